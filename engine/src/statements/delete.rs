//! DELETE: the rows to keep are found by a query over the table, and the segments that lose rows
//! are rewritten (DUPLICATE KEY) or get delete vectors (keyed tables), in one commit. The query
//! helpers here are shared with UPDATE.

use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch};
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;
use tessera_sql::ObjectName;
use tessera_storage::primary_index::encode_keys;
use tessera_storage::routing::route_batch;
use tessera_storage::Transaction;

use crate::catalog::resolve;
use crate::context::Ctx;
use crate::datafusion_adapter::provider::TesseraTable;
use crate::datafusion_adapter::StatementContext;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::write::current_table;

pub(crate) fn delete(ctx: &Ctx, name: &ObjectName, selection: Option<sp::Expr>) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (db, table) = resolve::table(ctx, &store.snapshot(), name)?;
    let lock = store.table_lock(table.id);
    let _exclusive = lock.write();
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    let Some(selection) = selection else {
        let mut deleted = 0;
        let state = store.snapshot();
        let mut txn = Transaction::new();
        for tablet in table.tablets() {
            deleted += state.tablet(tablet).map(|v| v.rows()).unwrap_or(0);
            txn.overwrite(tablet, Vec::new());
        }
        store.commit(txn)?;
        return Ok(StatementResult::affected(deleted));
    };

    // Each segment is exposed as the table `__tessera_delete.s.segment`, and the condition is planned as
    // part of a real query over it, so that subqueries in it resolve through the normal catalog.
    let (context, segment_schema) = rewrite_context(ctx)?;
    let state = context.state.clone();
    let qualified = format!("{}.{}", db.name, table.name);
    if table.key.model.is_keyed() {
        // One row per key: find the matching rows' keys and delete them through the primary index.
        let provider = Arc::new(TesseraTable::whole(&qualified, table.clone(), state.clone()));
        segment_schema.register_table("segment".to_string(), provider)?;
        let query = delete_query(&table.name, "SELECT * FROM", &selection, false)?;
        let matched = run_on(ctx, &context, &query)?;
        let key_columns = table.key_column_indexes()?;
        let mut txn = Transaction::new();
        let mut deleted = 0;
        for batch in matched {
            let batch = RecordBatch::try_new(table.arrow_schema(), batch.columns().to_vec())?;
            for (tablet, rows) in route_batch(&table, &batch, None)? {
                let keys = encode_keys(&rows, &key_columns)?;
                deleted += store.delete_keys(tablet, &state, &keys, &mut txn)?;
            }
        }
        if !txn.is_empty() {
            store.commit(txn)?;
        }
        drop(context);
        return Ok(StatementResult::affected(deleted));
    }
    let count_query = delete_query(&table.name, "SELECT count(*) FROM", &selection, false)?;
    let keep_query = delete_query(&table.name, "SELECT * FROM", &selection, true)?;
    let schema = table.arrow_schema();
    let mut deleted = 0u64;
    let mut txn = Transaction::new();
    for tablet in table.tablets() {
        let Some(version) = state.tablet(tablet) else { continue };
        let mut removed = Vec::new();
        let mut kept_batches = Vec::new();
        for segment in &version.segments {
            let provider =
                Arc::new(TesseraTable::for_segments(&qualified, table.clone(), state.clone(), &[segment.id()]));
            segment_schema.deregister_table("segment")?;
            segment_schema.register_table("segment".to_string(), provider)?;
            let counted = run_on(ctx, &context, &count_query)?;
            let matched = counted
                .first()
                .and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)))
                .unwrap_or(0);
            if matched == 0 {
                continue;
            }
            deleted += matched as u64;
            removed.push(segment.id());
            for batch in run_on(ctx, &context, &keep_query)? {
                kept_batches.push(RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?);
            }
        }
        if !removed.is_empty() {
            let written = store.write_segments(tablet, &schema, &kept_batches)?;
            txn.replace(tablet, removed, written);
        }
    }
    if !txn.is_empty() {
        store.commit(txn)?;
    }
    drop(context);
    Ok(StatementResult::affected(deleted))
}

/// A statement context over the current state with an empty schema `__tessera_delete.s`, where DELETE
/// and UPDATE register the rows they work on as the table `segment`.
pub(crate) fn rewrite_context(ctx: &Ctx) -> Result<(StatementContext, Arc<MemorySchemaProvider>)> {
    let context = ctx.statement_context();
    let segment_schema = Arc::new(MemorySchemaProvider::new());
    let segment_catalog = Arc::new(MemoryCatalogProvider::new());
    segment_catalog.register_schema("s", segment_schema.clone())?;
    context.ctx.register_catalog("__tessera_delete", segment_catalog);
    Ok((context, segment_schema))
}

/// Placeholder that [`delete_query`] replaces with the DELETE's condition (as an AST, never as text, so
/// that no literal is re-escaped).
const CONDITION_PLACEHOLDER: &str = "__tessera_delete_condition";

/// `<head> __tessera_delete.s.segment AS <table> WHERE <condition>` (or, with `keep`, `WHERE NOT
/// coalesce((<condition>), false)`: the rows the DELETE keeps, including those where it is NULL).
pub(crate) fn delete_query(table: &str, head: &str, condition: &sp::Expr, keep: bool) -> Result<sp::Query> {
    let alias = format!("`{}`", table.replace('`', "``"));
    let predicate =
        if keep { format!("NOT coalesce({CONDITION_PLACEHOLDER}, false)") } else { CONDITION_PLACEHOLDER.to_string() };
    let sql = format!("{head} `__tessera_delete`.`s`.`segment` AS {alias} WHERE {predicate}");
    let tessera_sql::Statement::Query(mut query) = tessera_sql::parse_statement(&sql)? else {
        return Err(EngineError::Internal(format!("not a query: {sql}")));
    };
    struct Substitute<'a>(&'a sp::Expr);
    impl sp::VisitorMut for Substitute<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut sp::Expr) -> std::ops::ControlFlow<()> {
            if matches!(expr, sp::Expr::Identifier(id) if id.value == CONDITION_PLACEHOLDER) {
                *expr = sp::Expr::Nested(Box::new(self.0.clone()));
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let _ = sp::VisitMut::visit(query.as_mut(), &mut Substitute(condition));
    Ok(*query)
}

/// Plans and runs `query` in `context`.
pub(crate) fn run_on(ctx: &Ctx, context: &StatementContext, query: &sp::Query) -> Result<Vec<RecordBatch>> {
    let statement = DfStatement::Statement(Box::new(sp::Statement::Query(Box::new(query.clone()))));
    ctx.block_on(async {
        let plan = context.ctx.state().statement_to_plan(statement).await?;
        Ok::<_, EngineError>(context.ctx.execute_logical_plan(plan).await?.collect().await?)
    })?
}
