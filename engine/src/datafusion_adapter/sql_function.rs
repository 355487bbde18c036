//! SQL functions (`CREATE FUNCTION f(a INT) RETURNS INT AS a + 1`) as DataFusion scalar UDFs.
//!
//! One [`SqlFunction`] stands for every overload of one name in one database. It is registered in each
//! statement's context as `db.f`, and also as plain `f` when `db` is the context's default database.
//! Calls pick an overload by argument types (exact match first, then DataFusion's implicit coercions,
//! then any cast); arguments are cast to the declared types, and the body, planned on first use against
//! a schema of the parameters, is evaluated over them and cast to the declared return type.
//!
//! What stays true: a body is planned in a nested context one level deeper; past
//! [`MAX_FUNCTION_DEPTH`] planning fails, so functions that call each other in a cycle (which CREATE
//! FUNCTION refuses, but a damaged catalog could hold) end in an error, never in endless recursion.
//! The body only sees its parameters: no columns, no subqueries, no aggregates.

use std::any::Any;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use arrow::array::RecordBatchOptions;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::DFSchema;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::expr::Cast;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;
use tessera_storage::FunctionDef;

use super::context::{Nesting, PlanningEnv, StatementContext};
use crate::error::EngineError;

/// SQL function bodies may nest this deep (a function calling a function ...).
pub(crate) const MAX_FUNCTION_DEPTH: usize = 16;

pub(crate) struct SqlFunction {
    /// `db.f`.
    name: String,
    /// `[f]` when registered in the function's own database.
    aliases: Vec<String>,
    database: String,
    overloads: Vec<Arc<FunctionDef>>,
    env: Arc<PlanningEnv>,
    /// How many function bodies enclose the context this function was registered in.
    depth: usize,
    signature: Signature,
    /// Each overload's body, planned on first use.
    planned: Vec<OnceLock<Result<Arc<dyn PhysicalExpr>, String>>>,
}

impl SqlFunction {
    pub(crate) fn new(
        env: Arc<PlanningEnv>,
        database: &str,
        name: &str,
        overloads: Vec<Arc<FunctionDef>>,
        plain: bool,
        depth: usize,
    ) -> SqlFunction {
        SqlFunction {
            name: format!("{database}.{name}"),
            // DataFusion looks a qualified call up by its text as written: `db`.f and db.`f` too.
            aliases: [format!("`{database}`.{name}"), format!("{database}.`{name}`"), format!("`{database}`.`{name}`")]
                .into_iter()
                .chain(plain.then(|| name.to_string()))
                .collect(),
            database: database.to_string(),
            planned: overloads.iter().map(|_| OnceLock::new()).collect(),
            overloads,
            env,
            depth,
            signature: Signature::user_defined(Volatility::Volatile),
        }
    }

    /// The overload a call with `types` uses.
    fn choose(&self, types: &[DataType]) -> DfResult<usize> {
        let mut best: Option<(u32, usize)> = None;
        for (i, overload) in self.overloads.iter().enumerate() {
            if overload.parameters.len() != types.len() {
                continue;
            }
            let mut score = 0;
            let mut usable = true;
            for (parameter, given) in overload.parameters.iter().zip(types) {
                let wanted = parameter.data_type.arrow_type();
                if &wanted == given {
                    score += 3;
                } else if same_family(&wanted, given) {
                    score += 2;
                } else if arrow::compute::can_cast_types(given, &wanted) {
                    score += 1;
                } else {
                    usable = false;
                    break;
                }
            }
            if usable && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        best.map(|(_, i)| i).ok_or_else(|| {
            let given: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            let known: Vec<String> = self.overloads.iter().map(|o| o.signature()).collect();
            DataFusionError::External(Box::new(EngineError::InvalidInput(format!(
                "No matching function with signature: {}({}); {} has: {}",
                self.name,
                given.join(", "),
                self.name,
                known.join(", ")
            ))))
        })
    }

    /// The overload whose parameter types are exactly `types` (after coercion), else the best one.
    fn overload_for(&self, types: &[DataType]) -> DfResult<usize> {
        let exact = self.overloads.iter().position(|o| {
            o.parameters.len() == types.len()
                && o.parameters.iter().zip(types).all(|(p, t)| &p.data_type.arrow_type() == t)
        });
        match exact {
            Some(i) => Ok(i),
            None => self.choose(types),
        }
    }

    fn body(&self, index: usize) -> DfResult<Arc<dyn PhysicalExpr>> {
        let overload = &self.overloads[index];
        let planned = self.planned[index].get_or_init(|| {
            plan_body(&self.env, &self.database, overload, self.depth)
                .map(|(physical, _)| physical)
                .map_err(|e| e.to_string())
        });
        planned.clone().map_err(|m| DataFusionError::External(Box::new(EngineError::InvalidInput(m))))
    }
}

/// Plans one overload's body in a context `depth + 1` deep: the logical expression (cast to the return
/// type) and its physical form over a batch of the parameters.
pub(crate) fn plan_body(
    env: &Arc<PlanningEnv>,
    database: &str,
    function: &FunctionDef,
    depth: usize,
) -> Result<(Arc<dyn PhysicalExpr>, Expr), EngineError> {
    let what = format!("function {database}.{}", function.signature());
    if depth >= MAX_FUNCTION_DEPTH {
        return Err(EngineError::InvalidInput(format!(
            "{what}: function calls nest deeper than {MAX_FUNCTION_DEPTH} levels (does a function call itself?)"
        )));
    }
    let nesting = Nesting { views: Vec::new(), function_depth: depth + 1 };
    let context = StatementContext::nested(env.clone(), Some(database), nesting);
    let state = context.ctx.state();
    let fail = |e: EngineError| EngineError::InvalidInput(format!("{what}: {e}"));
    let schema = parameters_schema(function);
    let df_schema = DFSchema::try_from(schema).map_err(|e| fail(e.into()))?;
    let body = state.create_logical_expr(&function.body, &df_schema).map_err(|e| fail(e.into()))?;
    let mut refused = None;
    let _ = body.apply(|e| {
        refused = match e {
            Expr::AggregateFunction(_) => Some("an aggregate function"),
            Expr::WindowFunction(_) => Some("a window function"),
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_) => Some("a subquery"),
            _ => None,
        };
        Ok(if refused.is_some() { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    if let Some(what_kind) = refused {
        return Err(EngineError::InvalidInput(format!(
            "{what}: the body must be a scalar expression over the parameters, not {what_kind}"
        )));
    }
    let cast = Expr::Cast(Cast::new(Box::new(body), function.returns.arrow_type()));
    // Simplified as a query's expressions are (some functions, like coalesce, only run simplified).
    let simplify = SimplifyContext::builder()
        .with_schema(Arc::new(df_schema.clone()))
        .with_config_options(Arc::new(state.config_options().as_ref().clone()))
        .build();
    let simplifier = ExprSimplifier::new(simplify);
    let simplified = simplifier.coerce(cast.clone(), &df_schema).and_then(|e| simplifier.simplify(e));
    let physical = simplified.and_then(|e| state.create_physical_expr(e, &df_schema)).map_err(|e| {
        fail(EngineError::InvalidInput(format!(
            "the body cannot be returned as {}: {}",
            function.returns,
            EngineError::from(e)
        )))
    })?;
    Ok((physical, cast))
}

/// Both numbers, both strings, or both dates/times: a cast within a family loses least.
fn same_family(a: &DataType, b: &DataType) -> bool {
    let family = |t: &DataType| {
        if t.is_numeric() {
            1
        } else if matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            2
        } else if t.is_temporal() {
            3
        } else {
            0
        }
    };
    family(a) != 0 && family(a) == family(b)
}

fn parameters_schema(function: &FunctionDef) -> Schema {
    Schema::new(
        function.parameters.iter().map(|p| Field::new(&p.name, p.data_type.arrow_type(), true)).collect::<Vec<_>>(),
    )
}

/// The SQL functions `expr` calls: (database, name) of each.
pub(crate) fn called_functions(expr: &Expr) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let _ = expr.apply(|e| {
        if let Expr::ScalarFunction(call) = e {
            let inner: &dyn Any = call.func.inner().as_ref();
            if let Some(f) = inner.downcast_ref::<SqlFunction>() {
                let name = f.name.strip_prefix(&format!("{}.", f.database)).unwrap_or(&f.name).to_string();
                out.push((f.database.clone(), name));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

impl std::fmt::Debug for SqlFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlFunction").field("name", &self.name).field("overloads", &self.overloads.len()).finish()
    }
}

impl PartialEq for SqlFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.aliases == other.aliases
            && self.depth == other.depth
            && self.overloads == other.overloads
            && Arc::ptr_eq(&self.env, &other.env)
    }
}

impl Eq for SqlFunction {}

impl Hash for SqlFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.depth.hash(state);
        for overload in &self.overloads {
            overload.id.hash(state);
        }
    }
}

impl ScalarUDFImpl for SqlFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        let overload = &self.overloads[self.choose(arg_types)?];
        Ok(overload.parameters.iter().map(|p| p.data_type.arrow_type()).collect())
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(self.overloads[self.overload_for(arg_types)?].returns.arrow_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let types: Vec<DataType> = args.arg_fields.iter().map(|f| f.data_type().clone()).collect();
        let index = self.overload_for(&types)?;
        let body = self.body(index)?;
        let schema = Arc::new(parameters_schema(&self.overloads[index]));
        let mut columns = Vec::with_capacity(args.args.len());
        for (value, field) in args.args.iter().zip(schema.fields()) {
            let array = value.to_array(args.number_rows)?;
            columns.push(if array.data_type() == field.data_type() {
                array
            } else {
                arrow::compute::cast(&array, field.data_type())?
            });
        }
        let options = RecordBatchOptions::new().with_row_count(Some(args.number_rows));
        let batch = RecordBatch::try_new_with_options(schema, columns, &options)?;
        let result = body.evaluate(&batch)?;
        Ok(ColumnarValue::Array(result.to_array(args.number_rows)?))
    }
}
