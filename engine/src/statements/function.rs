//! SQL functions: CREATE [OR REPLACE] FUNCTION, DROP FUNCTION and SHOW FUNCTIONS.
//!
//! A function is one overload per record (`record/function/<id>`, `tessera_storage::FunctionDef`):
//! a database, a name, typed parameters, a return type and a SQL expression body. Statements call it
//! through `datafusion_adapter/sql_function.rs`.
//!
//! What stays true: every committed body planned with its declared parameter types and can be cast
//! to its return type; a function never calls itself, directly or through other functions (checked at
//! CREATE with the new definition in place); two overloads of one name never have the same argument
//! types; a function never takes the name of a built-in function (it would hide it).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast as sp;
use std::sync::Arc;

use tessera_sql::{CreateFunction, ObjectName, SqlType};
use tessera_storage::logical_objects::{encode_object, FUNCTION_RECORD, LOGICAL_OBJECT_FORMAT_VERSION};
use tessera_storage::{ColumnType, FunctionDef, FunctionParameterDef, Transaction};

use crate::catalog::ddl::now_ms;
use crate::catalog::objects::LogicalObjects;
use crate::catalog::resolve;
use crate::catalog::table_builder::column_type;
use crate::context::Ctx;
use crate::datafusion_adapter::sql_function::{called_functions, plan_body};
use crate::datafusion_adapter::StatementContext;
use crate::error::{EngineError, Result};
use crate::result::string_table;
use crate::result::StatementResult;

/// A type as written, as a storage type; errors name the function and the parameter.
fn parameter_type(function: &str, what: &str, ty: &SqlType) -> Result<ColumnType> {
    column_type(function, what, ty).map_err(|e| match e {
        EngineError::InvalidInput(m) => EngineError::InvalidInput(
            m.replace(&format!("column {what} of table {function}"), &format!("{what} of function {function}")),
        ),
        other => other,
    })
}

pub(crate) fn create_function(ctx: &Ctx, create: CreateFunction) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(create.name.database.as_deref())?;
    let name = create.name.name.clone();
    if name.is_empty() || name.len() > 256 {
        return Err(EngineError::InvalidInput(format!("function name '{name}' must have 1 to 256 characters")));
    }
    if let Some((key, _)) = create.properties.first() {
        return Err(EngineError::InvalidInput(format!(
            "Unknown function property '{key}': SQL functions take their body from AS <expression>; \
             the properties of Java UDFs (symbol, type, file, md5, isolation) do not apply"
        )));
    }
    let has_subquery = sp::visit_expressions(create.body.as_ref(), |e| match e {
        sp::Expr::Subquery(_) | sp::Expr::Exists { .. } | sp::Expr::InSubquery { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    if has_subquery.is_break() {
        return Err(EngineError::InvalidInput(format!(
            "function {db_name}.{name}: the body must be a scalar expression over the parameters, not a subquery"
        )));
    }
    let shared = ctx.shared.clone();
    let base = &shared.base_state;
    if base.scalar_functions().contains_key(&name)
        || base.aggregate_functions().contains_key(&name)
        || base.window_functions().contains_key(&name)
    {
        return Err(EngineError::InvalidInput(format!(
            "Can't create function {db_name}.{name}: {name} is a built-in function"
        )));
    }
    let mut parameters = Vec::with_capacity(create.parameters.len());
    let mut seen = BTreeSet::new();
    for p in &create.parameters {
        if !seen.insert(p.name.clone()) {
            return Err(EngineError::InvalidInput(format!(
                "function {db_name}.{name}: parameter {} is declared twice",
                p.name
            )));
        }
        let data_type = parameter_type(&format!("{db_name}.{name}"), &format!("parameter {}", p.name), &p.data_type)?;
        parameters.push(FunctionParameterDef { name: p.name.clone(), data_type });
    }
    let returns = parameter_type(&format!("{db_name}.{name}"), "the return type", &create.returns)?;

    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let objects = shared.objects.of(&state);
    let mut function = FunctionDef {
        format: LOGICAL_OBJECT_FORMAT_VERSION,
        id: 0,
        database_id: db.id,
        name: name.clone(),
        parameters,
        returns,
        body: crate::catalog::sql_text::expr_text(&create.body),
        properties: Default::default(),
        create_time_ms: now_ms(),
    };
    let existing = objects.overloads(db.id, &name).iter().find(|f| f.same_signature(&function)).cloned();
    if let Some(old) = &existing {
        if create.if_not_exists {
            return Ok(StatementResult::ok());
        }
        if !create.or_replace {
            return Err(EngineError::AlreadyExists(format!(
                "Function {db_name}.{} already exists",
                function.signature()
            )));
        }
        function.id = old.id;
    } else {
        function.id = shared.store.allocate_id()?;
    }
    // Checked with the new definition in place: its body plans, and no call chain leads back to it.
    let mut trial = objects.as_ref().clone();
    trial.put_function(Arc::new(function.clone()));
    let context = StatementContext::new(base, state.clone(), Arc::new(trial), Default::default(), Some(&db_name));
    let (_, body) = plan_body(&context.env, &db_name, &function, 0)?;
    check_no_cycle(&context, &db_name, &name, called_functions(&body))?;

    let mut txn = Transaction::new();
    txn.put_record(FUNCTION_RECORD, function.id, encode_object(&function)?);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

/// Follows the calls from a function body (`calls`) through every overload of each called function;
/// reaching `db.name` again is a cycle.
fn check_no_cycle(context: &StatementContext, db: &str, name: &str, calls: Vec<(String, String)>) -> Result<()> {
    let env = &context.env;
    let mut pending: Vec<(Vec<String>, (String, String))> =
        calls.into_iter().map(|c| (vec![format!("{db}.{name}")], c)).collect();
    let mut done = BTreeSet::new();
    while let Some((path, (called_db, called))) = pending.pop() {
        let qualified = format!("{called_db}.{called}");
        if called_db == db && called == name {
            return Err(EngineError::InvalidInput(format!(
                "function {db}.{name} would call itself: {} -> {qualified}",
                path.join(" -> ")
            )));
        }
        if !done.insert(qualified.clone()) {
            continue;
        }
        let Some(database) = env.state.database_by_name(&called_db) else { continue };
        for overload in env.objects.overloads(database.id, &called) {
            // A body that does not plan any more fails when called; it calls nothing now.
            let Ok((_, body)) = plan_body(env, &called_db, overload, 0) else { continue };
            let mut next = path.clone();
            next.push(qualified.clone());
            pending.extend(called_functions(&body).into_iter().map(|c| (next.clone(), c)));
        }
    }
    Ok(())
}

pub(crate) fn drop_function(
    ctx: &Ctx,
    name: &ObjectName,
    argument_types: &[SqlType],
    if_exists: bool,
) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(name.database.as_deref())?;
    let qualified = format!("{db_name}.{}", name.name);
    let types = argument_types
        .iter()
        .enumerate()
        .map(|(i, t)| parameter_type(&qualified, &format!("argument {}", i + 1), t))
        .collect::<Result<Vec<_>>>()?;
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let objects = shared.objects.of(&state);
    let found = objects
        .overloads(db.id, &name.name)
        .iter()
        .find(|f| f.parameters.len() == types.len() && f.parameters.iter().zip(&types).all(|(p, t)| &p.data_type == t));
    let Some(function) = found else {
        if if_exists {
            return Ok(StatementResult::ok());
        }
        let shown: Vec<String> = types.iter().map(|t| t.to_string()).collect();
        return Err(EngineError::NotFound(format!("Unknown function {qualified}({})", shown.join(", "))));
    };
    let mut txn = Transaction::new();
    txn.delete_record(FUNCTION_RECORD, function.id);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

/// SHOW FUNCTIONS: StarRocks' SHOW FULL FUNCTIONS columns, one row per overload, by signature.
pub(crate) fn show_functions(ctx: &Ctx, database: Option<&str>) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(database)?;
    let state = ctx.shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let objects: Arc<LogicalObjects> = ctx.shared.objects.of(&state);
    let mut rows: Vec<Vec<String>> = objects
        .functions_in(db.id)
        .into_iter()
        .flat_map(|(_, overloads)| overloads)
        .map(|f| {
            vec![
                f.signature(),
                f.returns.to_string(),
                "Scalar".to_string(),
                String::new(),
                serde_json::json!({ "body": f.body }).to_string(),
            ]
        })
        .collect();
    rows.sort();
    string_table(&["Signature", "Return Type", "Function Type", "Intermediate Type", "Properties"], rows)
}
