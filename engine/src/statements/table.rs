//! CREATE TABLE, DROP TABLE, TRUNCATE TABLE and ALTER TABLE (add and drop partitions and columns).
//! CREATE TABLE ... AS SELECT writes its rows through `write.rs` (`catalog::ddl::create_table_from`).
//!
//! ALTER's column changes rewrite every segment of the table into the new schema and commit the new files with
//! the new definition in one transaction, so every segment file always has exactly its table's schema
//! and readers see the old table or the new one, never a mix.

use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef, RecordBatch};
use tessera_sql::{AlterTableOp, CreateTable, ObjectName};
use tessera_storage::{ColumnDef, DefaultValue, PartitionKind, TableDef, Transaction};

use crate::catalog::ddl::{check_name, create_table_from};
use crate::catalog::resolve;
use crate::catalog::table_builder as build;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::write::{check_partitions, current_table};

pub(crate) fn alter_table(ctx: &Ctx, name: &ObjectName, op: AlterTableOp) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let (_, table) = resolve::table(ctx, &shared.store.snapshot(), name)?;
    let lock = shared.store.table_lock(table.id);
    let _exclusive = lock.write();
    shared.backups.check_not_restoring(&table)?;
    // Re-read under the lock: a DML statement may have committed meanwhile.
    let state = shared.store.snapshot();
    let table = state
        .tables
        .get(&table.id)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("Unknown table '{}'", name.name)))?;
    let store = &shared.store;
    let mut def = (*table).clone();
    let mut txn = Transaction::new();
    let column_rewrite = matches!(op, AlterTableOp::AddColumn { .. } | AlterTableOp::DropColumn { .. });
    match op {
        AlterTableOp::AddPartition(spec) => {
            if def.partition_kind == PartitionKind::Unpartitioned {
                return Err(EngineError::InvalidInput(format!(
                    "table {} is not partitioned; it cannot have partition {}",
                    def.name, spec.name
                )));
            }
            if def.partition(&spec.name).is_some() && spec.if_not_exists {
                return Ok(StatementResult::ok());
            }
            crate::catalog::dynamic_partition::check_alter_allowed(&def)?;
            let previous = build::highest_upper(&def);
            build::add_partition(&mut def, &spec, previous, &mut || Ok(store.allocate_id()?))?;
        }
        AlterTableOp::DropPartition { name: partition, if_exists } => {
            if def.partition_kind == PartitionKind::Unpartitioned {
                return Err(EngineError::InvalidInput(format!(
                    "table {} is not partitioned; drop the table instead",
                    def.name
                )));
            }
            crate::catalog::dynamic_partition::check_alter_allowed(&def)?;
            let before = def.partitions.len();
            def.partitions.retain(|p| !p.name.eq_ignore_ascii_case(&partition));
            if def.partitions.len() == before {
                if if_exists {
                    return Ok(StatementResult::ok());
                }
                return Err(EngineError::NotFound(format!(
                    "partition {partition} does not exist in table {}",
                    def.name
                )));
            }
        }
        AlterTableOp::AddColumn { column, after } => {
            let new = build::column_def(&def.name, &column)?;
            crate::catalog::key_model::check_column(&def.name, def.key.model, &new, false)?;
            if def.column(&new.name).is_some() {
                return Err(EngineError::AlreadyExists(format!(
                    "Duplicate column name '{}' in table {}",
                    new.name, def.name
                )));
            }
            if !new.nullable && new.default.is_none() {
                return Err(EngineError::InvalidInput(format!(
                    "column {} added to table {} is NOT NULL, so it needs a DEFAULT for the existing rows",
                    new.name, def.name
                )));
            }
            let position = match after.as_deref() {
                None => def.columns.len(),
                Some("") => 0,
                Some(after) => def.column(after).map(|(i, _)| i + 1).ok_or_else(|| {
                    EngineError::NotFound(format!("column {after} (in AFTER) does not exist in table {}", def.name))
                })?,
            };
            if position < def.key.columns.len() {
                return Err(EngineError::InvalidInput(format!(
                    "column {} cannot be added among the key columns of table {}",
                    new.name, def.name
                )));
            }
            def.columns.insert(position, new.clone());
            let fill = column_fill(&new)?;
            rewrite_segments(ctx, &table, &def, &mut txn, |batch, schema| {
                let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
                columns.insert(position, fill(batch.num_rows())?);
                Ok(RecordBatch::try_new(schema, columns)?)
            })?;
        }
        AlterTableOp::DropColumn { name: column } => {
            let (index, _) = def.column(&column).ok_or_else(|| {
                EngineError::NotFound(format!("column {column} does not exist in table {}", def.name))
            })?;
            let role = if def.key.columns.contains(&column) {
                Some("key")
            } else if def.partition_columns.contains(&column) {
                Some("partition")
            } else if def.bucket_column_indexes()?.contains(&index) {
                Some("distribution")
            } else {
                None
            };
            if let Some(role) = role {
                return Err(EngineError::InvalidInput(format!(
                    "column {column} is a {role} column of table {} and cannot be dropped",
                    def.name
                )));
            }
            if let Some(mv) = crate::materialized::rollup::rollup_using_column(&state, def.id, &column) {
                return Err(EngineError::InvalidInput(format!(
                    "column {column} of table {} is used by materialized view {mv}; drop the materialized view first",
                    def.name
                )));
            }
            if def.columns.len() == 1 {
                return Err(EngineError::InvalidInput(format!(
                    "column {column} is the only column of table {}",
                    def.name
                )));
            }
            def.columns.remove(index);
            rewrite_segments(ctx, &table, &def, &mut txn, |batch, schema| {
                let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
                columns.remove(index);
                Ok(RecordBatch::try_new(schema, columns)?)
            })?;
        }
        AlterTableOp::SetProperties(given) => {
            // Only what CREATE TABLE accepts, checked the same way; then the whole set must still make
            // sense (dynamic partitioning is checked against the partitioning).
            let changed = build::properties(&def.name, &given)?;
            def.properties.extend(changed);
            if crate::catalog::dynamic_partition::config(&def)?.is_some() {
                let now = crate::catalog::dynamic_partition::utc_moment(shared.clock.now_ms())?;
                if let Some(next) = crate::catalog::dynamic_partition::updated(store, &def, now)? {
                    def = next;
                }
            }
        }
    }
    // The definition goes first so that the tablets it creates exist for the segment changes.
    let mut ops = Transaction::new();
    if column_rewrite {
        // A column rewrite keeps every row (and every column a rollup reads: those cannot be dropped).
        ops.preserve_rows();
    }
    ops.put_table(def);
    ops.extend(txn);
    store.commit(ops)?;
    Ok(StatementResult::ok())
}

/// A function that builds the values of a newly added column for `n` existing rows.
fn column_fill(column: &ColumnDef) -> Result<impl Fn(usize) -> Result<ArrayRef>> {
    let ty = column.column_type.clone();
    let value = match &column.default {
        None => None,
        Some(DefaultValue::Value(v)) => Some(v.clone()),
        Some(DefaultValue::CurrentTimestamp) => Some(crate::write::current_timestamp_value()),
    };
    Ok(move |n: usize| -> Result<ArrayRef> {
        match &value {
            None => Ok(new_null_array(&ty.arrow_type(), n)),
            Some(v) => Ok(tessera_storage::value::values_to_array(&vec![v.clone(); n], &ty)?),
        }
    })
}

/// Rewrites every segment of `old` through `f` into segments of `new`'s schema, adding the changes to
/// `txn`.
fn rewrite_segments(
    ctx: &Ctx,
    old: &Arc<TableDef>,
    new: &TableDef,
    txn: &mut Transaction,
    f: impl Fn(&RecordBatch, arrow::datatypes::SchemaRef) -> Result<RecordBatch>,
) -> Result<()> {
    let store = &ctx.shared.store;
    let state = store.snapshot();
    let schema = new.arrow_schema();
    for tablet in old.tablets() {
        let Some(version) = state.tablet(tablet) else { continue };
        if version.segments.is_empty() {
            continue;
        }
        let mut batches = Vec::new();
        for segment in &version.segments {
            for batch in store.read_live(version, segment)? {
                batches.push(f(&batch, schema.clone())?);
            }
        }
        let removed = version.segments.iter().map(|s| s.id()).collect();
        if new.key.model.is_keyed() {
            // Rows move to new files: their index entries follow, after the replace.
            let mut index = Transaction::new();
            let written = store.write_keyed(new, tablet, &batches, &mut index)?;
            txn.replace(tablet, removed, written);
            txn.extend(index);
        } else {
            txn.replace(tablet, removed, store.write_segments(tablet, &schema, &batches)?);
        }
    }
    Ok(())
}

pub(crate) fn create_table(ctx: &Ctx, create: CreateTable) -> Result<StatementResult> {
    check_name("table", &create.name.name)?;
    // CREATE TABLE ... AS SELECT runs its query before taking the catalog lock.
    let query_output = match &create.as_query {
        Some(query) => Some(crate::query::collect_query(ctx, query)?),
        None => None,
    };
    create_table_from(ctx, create, query_output, None)
}

pub(crate) fn drop_table(ctx: &Ctx, name: &ObjectName, if_exists: bool) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let table = match resolve::table(ctx, &state, name) {
        Ok((_, table)) => table,
        Err(EngineError::NotFound(_))
            if if_exists && state.database_by_name(&ctx.resolve_database(name.database.as_deref())?).is_some() =>
        {
            return Ok(StatementResult::ok())
        }
        Err(e) => return Err(e),
    };
    let lock = shared.store.table_lock(table.id);
    let _exclusive = lock.write();
    shared.backups.check_not_restoring(&table)?;
    crate::materialized::commit_drop(&shared.store, table)?;
    Ok(StatementResult::ok())
}

pub(crate) fn truncate(ctx: &Ctx, name: &ObjectName, partitions: &[String]) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (_, table) = resolve::table(ctx, &store.snapshot(), name)?;
    let lock = store.table_lock(table.id);
    let _exclusive = lock.write();
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    check_partitions(&table, partitions)?;
    let mut txn = Transaction::new();
    for partition in table
        .partitions
        .iter()
        .filter(|p| partitions.is_empty() || partitions.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
    {
        for tablet in &partition.tablets {
            txn.overwrite(*tablet, Vec::new());
        }
    }
    store.commit(txn)?;
    Ok(StatementResult::ok())
}
