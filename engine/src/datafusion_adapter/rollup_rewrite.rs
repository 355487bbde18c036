//! The query rewrite to synchronous materialized views (rollups): an analyzer rule, first in every
//! statement's list, that replaces an aggregation over a table by the same aggregation over one of the
//! table's ready rollups when the rollup can answer it.
//!
//! An `Aggregate` is rewritten when, below it, only filters, aliases and plain column projections
//! (views are inlined by then) lead to a whole-table scan of a Tessera table at the statement's state,
//! and a ready rollup of that table has: every GROUP BY column (plain columns) among its keys; every
//! filter referencing only its keys (and no subquery); every aggregate — `sum`, `min`, `max`, `count(x)`
//! or `count(*)`, without DISTINCT, FILTER or ORDER BY — as one of its columns. `sum` becomes the sum of
//! the partial sums, `min`/`max` the min/max of the partial ones, `count` the sum of the counts
//! (0 when there are none). A projection on top gives back the original output exactly (names,
//! qualifiers, types), so the rest of the plan is untouched. Among several rollups the one with the
//! fewest rows wins. EXPLAIN shows the rollup's `TableScan`.
//!
//! What stays true: a rollup that is not ready is never used, so a rewritten query returns what the
//! original would have.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result as DfResult, ScalarValue, TableReference};
use datafusion::datasource::{provider_as_source, source_as_provider};
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::{cast, ident, lit, Aggregate, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::optimizer::AnalyzerRule;
use tessera_storage::TableDef;

use super::context::PlanningEnv;
use super::provider::TesseraTable;
use crate::materialized::rollup::{self, RollupFunction, RollupShape};

pub(crate) struct RollupRewrite {
    pub(crate) env: Arc<PlanningEnv>,
}

impl fmt::Debug for RollupRewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RollupRewrite")
    }
}

impl AnalyzerRule for RollupRewrite {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        let any_ready = self.env.state.tables.values().any(|t| rollup::is_ready(t));
        if !any_ready {
            return Ok(plan);
        }
        plan.transform_up_with_subqueries(|node| self.rewrite(node)).map(|t| t.data)
    }

    fn name(&self) -> &str {
        "tessera_rollup_rewrite"
    }
}

/// One aggregate of the query: `function(column)` (`None`: `count(*)`).
struct Wanted {
    function: RollupFunction,
    column: Option<String>,
}

impl RollupRewrite {
    fn rewrite(&self, node: LogicalPlan) -> DfResult<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &node else { return Ok(Transformed::no(node)) };
        match self.replacement(aggregate)? {
            Some(plan) => Ok(Transformed::yes(plan)),
            None => Ok(Transformed::no(node)),
        }
    }

    fn replacement(&self, aggregate: &Aggregate) -> DfResult<Option<LogicalPlan>> {
        // Down to the scan through filters, aliases and plain column projections.
        let mut filters: Vec<Expr> = Vec::new();
        let mut current = aggregate.input.as_ref();
        let scan = loop {
            match current {
                LogicalPlan::Filter(f) => {
                    filters.push(f.predicate.clone());
                    current = f.input.as_ref();
                }
                LogicalPlan::SubqueryAlias(a) => current = a.input.as_ref(),
                LogicalPlan::Projection(p) if p.expr.iter().all(|e| matches!(e, Expr::Column(_))) => {
                    current = p.input.as_ref()
                }
                LogicalPlan::TableScan(scan) => break scan,
                _ => return Ok(None),
            }
        };
        if !scan.filters.is_empty() || scan.fetch.is_some() {
            return Ok(None);
        }
        let Ok(provider) = source_as_provider(&scan.source) else { return Ok(None) };
        let Some(table) = provider.downcast_ref::<TesseraTable>() else { return Ok(None) };
        if table.only_segments.is_some() || !Arc::ptr_eq(&table.state, &self.env.state) {
            return Ok(None);
        }
        let Some(group) = plain_columns(&aggregate.group_expr) else { return Ok(None) };
        let Some(wanted) = aggregate.aggr_expr.iter().map(wanted).collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        let mut filter_columns: HashSet<String> = HashSet::new();
        for f in &filters {
            if f.exists(|e| {
                Ok(matches!(
                    e,
                    Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_) | Expr::OuterReferenceColumn(..)
                ))
            })? {
                return Ok(None);
            }
            filter_columns.extend(f.column_refs().into_iter().map(|c| c.name.clone()));
        }
        let mut candidates: Vec<(u64, Arc<TableDef>, RollupShape)> = rollup::rollups_of(&self.env.state, table.def.id)
            .into_iter()
            .filter(|r| rollup::is_ready(r))
            .filter_map(|r| {
                let shape = rollup::shape_of(&r)?;
                let rows = r.tablets().filter_map(|t| self.env.state.tablet(t)).map(|v| v.rows()).sum();
                Some((rows, r, shape))
            })
            .collect();
        candidates.sort_by_key(|(rows, r, _)| (*rows, r.id));
        for (_, rollup, shape) in candidates {
            let keys_cover = |name: &String| shape.keys.contains(name);
            if !group.iter().all(keys_cover) || !filter_columns.iter().all(keys_cover) {
                continue;
            }
            let Some(columns) = wanted.iter().map(|w| value_column(&shape, w)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            return self.build(aggregate, &group, &wanted, &columns, filters, rollup).map(Some);
        }
        Ok(None)
    }

    /// The aggregation over `rollup` that gives `aggregate`'s output.
    fn build(
        &self,
        aggregate: &Aggregate,
        group: &[String],
        wanted: &[Wanted],
        columns: &[String],
        filters: Vec<Expr>,
        rollup: Arc<TableDef>,
    ) -> DfResult<LogicalPlan> {
        let database = self.env.state.databases.get(&rollup.database_id).map(|d| d.name.clone()).unwrap_or_default();
        let provider = TesseraTable {
            qualified_name: format!("{database}.{}", rollup.name),
            schema: rollup.arrow_schema(),
            def: rollup.clone(),
            state: self.env.state.clone(),
            scans: self.env.scans.clone(),
            only_segments: None,
        };
        let mut builder = LogicalPlanBuilder::scan(
            TableReference::partial(database.as_str(), rollup.name.as_str()),
            provider_as_source(Arc::new(provider)),
            None,
        )?;
        for f in filters {
            builder = builder.filter(unqualified(f)?)?;
        }
        let aggregates: Vec<Expr> = wanted
            .iter()
            .zip(columns)
            .enumerate()
            .map(|(i, (w, c))| {
                let e = match w.function {
                    RollupFunction::Sum | RollupFunction::Count => sum(ident(c)),
                    RollupFunction::Min => min(ident(c)),
                    RollupFunction::Max => max(ident(c)),
                };
                e.alias(format!("__rollup_{i}"))
            })
            .collect();
        builder = builder.aggregate(group.iter().map(ident).collect::<Vec<_>>(), aggregates)?;
        let mut out = Vec::new();
        for (i, (qualifier, field)) in aggregate.schema.iter().enumerate() {
            let value = if i < group.len() {
                ident(&group[i])
            } else {
                let w = &wanted[i - group.len()];
                let e = ident(format!("__rollup_{}", i - group.len()));
                if w.function == RollupFunction::Count {
                    datafusion::functions::expr_fn::coalesce(vec![e, lit(0i64)])
                } else {
                    e
                }
            };
            out.push(cast(value, field.data_type().clone()).alias_qualified(qualifier.cloned(), field.name()));
        }
        builder.project(out)?.build()
    }
}

/// The names of `exprs` if each is a plain column.
fn plain_columns(exprs: &[Expr]) -> Option<Vec<String>> {
    exprs
        .iter()
        .map(|e| match e {
            Expr::Column(c) => Some(c.name.clone()),
            _ => None,
        })
        .collect()
}

/// What one aggregate expression asks for, if a rollup can give it.
fn wanted(expr: &Expr) -> Option<Wanted> {
    let inner = match expr {
        Expr::Alias(a) => a.expr.as_ref(),
        e => e,
    };
    let Expr::AggregateFunction(f) = inner else { return None };
    let p = &f.params;
    if p.distinct || p.filter.is_some() || !p.order_by.is_empty() || p.null_treatment.is_some() || p.args.len() != 1 {
        return None;
    }
    let function = match f.func.name() {
        "sum" => RollupFunction::Sum,
        "min" => RollupFunction::Min,
        "max" => RollupFunction::Max,
        "count" => RollupFunction::Count,
        _ => return None,
    };
    let column = match &p.args[0] {
        Expr::Column(c) => Some(c.name.clone()),
        Expr::Literal(v, _) if function == RollupFunction::Count && !v.is_null() && !matches!(v, ScalarValue::Null) => {
            None
        }
        _ => return None,
    };
    Some(Wanted { function, column })
}

/// The rollup column holding what `w` asks for.
fn value_column(shape: &RollupShape, w: &Wanted) -> Option<String> {
    shape.values.iter().find(|v| v.function == w.function && v.source == w.column).map(|v| v.name.clone())
}

/// `expr` with its columns unqualified (they resolve against the rollup scan, which has the same key
/// column names as the base).
fn unqualified(expr: Expr) -> DfResult<Expr> {
    expr.transform(|e| match e {
        Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))),
        e => Ok(Transformed::no(e)),
    })
    .map(|t| t.data)
}
