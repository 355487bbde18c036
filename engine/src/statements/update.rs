//! UPDATE of PRIMARY KEY tables: `UPDATE t SET c = expr, ... [FROM t2, ...] [WHERE cond]`.
//!
//! The matching rows are read with the SET expressions applied, as one real query (so expressions and
//! conditions may use any function or subquery), converted to the table's types and upserted: each
//! new row replaces the row with its key. Key columns cannot be assigned, so every new row replaces
//! exactly the row it came from; when a join with FROM tables gives one row several matches, the last
//! one read wins (StarRocks: "a random row"). Like StarRocks, only PRIMARY KEY tables can be updated. The statement
//! holds the table's exclusive lock from the read to the commit, so it is atomic.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::catalog::SchemaProvider;
use datafusion::sql::sqlparser::ast as sp;
use tessera_sql::ObjectName;
use tessera_storage::{KeyModel, Transaction};

use super::delete::{delete_query, rewrite_context, run_on};
use crate::catalog::resolve;
use crate::context::Ctx;
use crate::datafusion_adapter::provider::TesseraTable;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::write::{conform_batch, current_table, write_rows, Target};

pub(crate) fn update(
    ctx: &Ctx,
    name: &ObjectName,
    assignments: &[(String, sp::Expr)],
    from: Vec<sp::TableWithJoins>,
    selection: Option<sp::Expr>,
) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (db, table) = resolve::table(ctx, &store.snapshot(), name)?;
    if table.key.model != KeyModel::Primary {
        return Err(EngineError::Unsupported(format!(
            "table {} is a {} KEY table; UPDATE supports only PRIMARY KEY tables",
            table.name, table.key.model
        )));
    }
    let mut seen = HashSet::new();
    for (column, _) in assignments {
        if table.column(column).is_none() {
            return Err(EngineError::NotFound(format!("Unknown column '{column}' in table {}", table.name)));
        }
        if table.key.columns.contains(column) {
            return Err(EngineError::InvalidInput(format!(
                "column {column} is a primary key column of table {} and cannot be updated",
                table.name
            )));
        }
        if !seen.insert(column) {
            return Err(EngineError::InvalidInput(format!("column {column} is assigned twice in the UPDATE")));
        }
    }
    let lock = store.table_lock(table.id);
    let _exclusive = lock.write();
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;

    let (context, schema) = rewrite_context(ctx)?;
    let state = context.state.clone();
    let qualified = format!("{}.{}", db.name, table.name);
    schema.register_table(
        "segment".to_string(),
        Arc::new(TesseraTable::whole(&qualified, table.clone(), state.clone())),
    )?;
    let condition = selection.unwrap_or(sp::Expr::Value(sp::Value::Boolean(true).into()));
    let mut query = delete_query(&table.name, "SELECT * FROM", &condition, false)?;
    // The projection: every column, assigned ones replaced by their expression.
    let sp::SetExpr::Select(select) = query.body.as_mut() else {
        return Err(EngineError::Internal("the UPDATE query is not a SELECT".into()));
    };
    select.from.extend(from);
    select.projection = table
        .columns
        .iter()
        .map(|c| {
            let alias = sp::Ident::with_quote('`', &c.name);
            match assignments.iter().find(|(name, _)| name == &c.name) {
                Some((_, expr)) => sp::SelectItem::ExprWithAlias { expr: expr.clone(), alias },
                None => sp::SelectItem::UnnamedExpr(sp::Expr::CompoundIdentifier(vec![
                    sp::Ident::with_quote('`', &table.name),
                    alias,
                ])),
            }
        })
        .collect();
    let rows = run_on(ctx, &context, &query)?;
    let positions: Vec<Option<usize>> = (0..table.columns.len()).map(Some).collect();
    let batches = rows.iter().map(|b| conform_batch(&table, b, &positions)).collect::<Result<Vec<_>>>()?;
    let mut txn = Transaction::new();
    // Rows updated: rows stored, one per key (a join with FROM tables may give one row several matches).
    let updated = write_rows(store, &table, &batches, None, Target::Existing(&state), &mut txn)?.stored;
    if !txn.is_empty() {
        store.commit(txn)?;
    }
    drop(context);
    Ok(StatementResult::affected(updated))
}
