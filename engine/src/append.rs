//! `Database::append`: Arrow batches appended to a table through the Rust API, columns matched by
//! name, in one atomic commit (with the table's rollups kept up to date), as an INSERT would.

use std::sync::Arc;

use arrow::array::RecordBatch;
use tessera_storage::Transaction;

use crate::catalog::auto_partitions::definition_for_write;
use crate::catalog::resolve;
use crate::database::Shared;
use crate::error::{EngineError, Result};
use crate::materialized::rollup;
use crate::write::{conform_batch, current_table, write_lock, write_rows, Target};

/// Bulk append through the Rust API: columns matched by name.
pub(crate) fn append_batches(
    shared: &Arc<Shared>,
    database: &str,
    table: &str,
    batches: &[RecordBatch],
) -> Result<u64> {
    let store = &shared.store;
    let state = store.snapshot();
    let db_def = resolve::database(&state, database)?;
    let table = state
        .table_by_name(db_def.id, table)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("Unknown table '{database}.{table}'")))?;
    if table.materialized.is_some() {
        return Err(EngineError::InvalidInput(format!(
            "'{database}.{}' is a materialized view: its rows change only through its own maintenance",
            table.name
        )));
    }
    let lock = store.table_lock(table.id);
    let mut guard = write_lock(&lock, &table, false);
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    let mut conformed = Vec::with_capacity(batches.len());
    for batch in batches {
        let schema = batch.schema();
        for field in schema.fields() {
            if table.column(field.name()).is_none() {
                return Err(EngineError::NotFound(format!(
                    "Unknown column '{}' in table {}",
                    field.name(),
                    table.name
                )));
            }
        }
        let positions: Vec<Option<usize>> =
            table.columns.iter().map(|c| schema.fields().iter().position(|f| f.name() == &c.name)).collect();
        conformed.push(conform_batch(&table, batch, &positions)?);
    }
    let (table, new_partitions) = definition_for_write(shared, &lock, &mut guard, table, &conformed, None)?;
    let mut txn = Transaction::new();
    if new_partitions {
        txn.put_table((*table).clone());
    }
    let rollup_locks = rollup::lock_rollups(store, table.id);
    let _rollup_guards: Vec<_> = rollup_locks.iter().map(|l| l.write()).collect();
    let state = store.snapshot();
    let rows = write_rows(store, &table, &conformed, None, Target::Existing(&state), &mut txn)?.given;
    rollup::append(shared, &table, &conformed, &mut txn)?;
    store.commit(txn)?;
    Ok(rows)
}
