//! Partitions created by writes (expression partitioning): before an INSERT, a bulk append or a CREATE
//! TABLE ... AS SELECT routes its rows, the partitions its rows need and the table lacks are added to
//! the definition it routes with and commits.
//!
//! What must stay true:
//! - new partitions are committed in the same transaction as the rows that need them, so a write that
//!   fails leaves no partition behind, and every row is routed (against the new definition) before any
//!   file is written;
//! - a table definition is only replaced under the table's exclusive lock, from the definition read
//!   under that lock. A plain INSERT holds the lock shared; when its rows need new partitions it lets
//!   go, takes the lock exclusive and plans again from the current definition, so two writers that
//!   need the same partition are serialized and the second one uses the partition the first created;
//! - lock order: the DDL lock (CREATE TABLE, the dynamic partition scheduler) before a table's lock;
//!   writes here never take the DDL lock.

use std::sync::Arc;

use arrow::array::RecordBatch;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tessera_sql::Literal;
use tessera_storage::auto_partition::{missing_partitions, partition_for_key, NewPartition};
use tessera_storage::routing::find_partition;
use tessera_storage::{PartitionDef, PartitionId, Store, TableDef, TabletId};

use super::table_builder::literal_value;
use crate::database::Shared;
use crate::error::{EngineError, Result};

/// How a write holds its table's lock (the guards are held for what their drop does, never read).
#[allow(dead_code)]
pub(crate) enum TableGuard<'a> {
    Shared(RwLockReadGuard<'a, ()>),
    Exclusive(RwLockWriteGuard<'a, ()>),
    Released,
}

impl<'a> TableGuard<'a> {
    pub(crate) fn take(lock: &'a RwLock<()>, exclusive: bool) -> TableGuard<'a> {
        if exclusive {
            TableGuard::Exclusive(lock.write())
        } else {
            TableGuard::Shared(lock.read())
        }
    }

    /// Holds `lock` exclusive (letting go of a shared hold first: the lock cannot be upgraded in place
    /// without blocking other readers). Returns true when the lock was let go on the way, so that what
    /// was read under it may have changed.
    fn make_exclusive(&mut self, lock: &'a RwLock<()>) -> bool {
        if matches!(self, TableGuard::Exclusive(_)) {
            return false;
        }
        *self = TableGuard::Released;
        *self = TableGuard::Exclusive(lock.write());
        true
    }
}

/// The definition to route `batches` (rows in `table`'s schema) with, and whether it has new partitions
/// (then it must be put in the write's transaction, before its segments). `guard` holds `lock`, the
/// table's lock; it ends up exclusive when partitions are created. `only` is the INSERT's PARTITION
/// list: rows outside it never create partitions.
pub(crate) fn definition_for_write<'a>(
    shared: &Shared,
    lock: &'a RwLock<()>,
    guard: &mut TableGuard<'a>,
    table: Arc<TableDef>,
    batches: &[RecordBatch],
    only: Option<&[String]>,
) -> Result<(Arc<TableDef>, bool)> {
    if table.partition_expr.is_none() {
        return Ok((table, false));
    }
    let needed = missing_partitions(&table, batches)?;
    let Some(first) = needed.first() else { return Ok((table, false)) };
    if let Some(allowed) = only {
        return Err(EngineError::InvalidInput(format!(
            "rows of the INSERT need partition {} of table {}, which does not exist and is not among the target partitions ({})",
            first.name,
            table.name,
            allowed.join(", ")
        )));
    }
    with_partitions(shared, lock, guard, table, needed, &|current| Ok(missing_partitions(current, batches)?))
}

/// For `INSERT ... PARTITION (col = value, ...)` into an expression-partitioned table: the definition
/// to write with, whether it has a new partition (the one holding `values`, created when missing, as
/// StarRocks does), and that partition's name.
pub(crate) fn partition_for_values<'a>(
    shared: &Shared,
    lock: &'a RwLock<()>,
    guard: &mut TableGuard<'a>,
    table: Arc<TableDef>,
    values: &[(String, Literal)],
) -> Result<(Arc<TableDef>, bool, String)> {
    let invalid = |rule: String| EngineError::InvalidInput(format!("table {}: {rule}", table.name));
    if table.partition_expr.is_none() {
        return Err(invalid(
            "PARTITION (column = value) is for expression-partitioned tables; name the partitions instead".into(),
        ));
    }
    for (i, (column, _)) in values.iter().enumerate() {
        if !table.partition_columns.contains(column) {
            return Err(invalid(format!(
                "{column} is not a partition column ({})",
                table.partition_columns.join(", ")
            )));
        }
        if values[..i].iter().any(|(c, _)| c == column) {
            return Err(invalid(format!("partition column {column} is given twice in PARTITION (...)")));
        }
    }
    if values.len() != table.partition_columns.len() {
        return Err(invalid(format!(
            "PARTITION (...) needs a value for every partition column ({})",
            table.partition_columns.join(", ")
        )));
    }
    let mut key = Vec::with_capacity(values.len());
    for column in &table.partition_columns {
        let (_, literal) = values.iter().find(|(c, _)| c == column).expect("every partition column is given");
        let (_, def) = table.column(column).ok_or_else(|| invalid(format!("partition column {column} is missing")))?;
        let what = format!("the value of partition column {column} of table {}", table.name);
        key.push(literal_value(literal, &def.column_type, &what)?);
    }
    let (table, created) = match partition_for_key(&table, &key)? {
        None => (table, false),
        Some(partition) => with_partitions(shared, lock, guard, table, vec![partition], &|current| {
            Ok(partition_for_key(current, &key)?.into_iter().collect())
        })?,
    };
    let index = find_partition(&table, &key).ok_or_else(|| {
        EngineError::Internal(format!("table {}: the partition of PARTITION (...) is missing", table.name))
    })?;
    let name = table.partitions[index].name.clone();
    Ok((table, created, name))
}

/// `table` with the partitions `needed` (planned from it) added. Holds `lock` exclusive first; if it
/// had to let go of a shared hold, the definition is read again and `plan` makes the plan again from
/// it (another writer may have created some of the partitions meanwhile).
fn with_partitions<'a>(
    shared: &Shared,
    lock: &'a RwLock<()>,
    guard: &mut TableGuard<'a>,
    table: Arc<TableDef>,
    needed: Vec<NewPartition>,
    plan: &dyn Fn(&TableDef) -> Result<Vec<NewPartition>>,
) -> Result<(Arc<TableDef>, bool)> {
    let mut table = table;
    let mut needed = needed;
    if guard.make_exclusive(lock) {
        let current = crate::write::current_table(&shared.store, &table)?;
        shared.backups.check_not_restoring(&current)?;
        if current.columns != table.columns || current.partition_expr != table.partition_expr {
            return Err(EngineError::Conflict(format!(
                "table {} changed while rows were being written to it; run the statement again",
                table.name
            )));
        }
        needed = plan(&current)?;
        table = current;
    }
    if needed.is_empty() {
        return Ok((table, false));
    }
    let mut def = (*table).clone();
    add_partitions(&shared.store, &mut def, needed)?;
    Ok((Arc::new(def), true))
}

/// Adds to `def` (a table nobody else can see yet, or one whose lock the caller holds exclusive) the
/// partitions `batches` need. Returns how many were added.
pub(crate) fn add_missing_partitions(store: &Store, def: &mut TableDef, batches: &[RecordBatch]) -> Result<usize> {
    let needed = missing_partitions(def, batches)?;
    add_partitions(store, def, needed)
}

/// Adds partitions with fresh ids (one tablet per bucket) to `def`, keeping range partitions sorted.
pub(crate) fn add_partitions(store: &Store, def: &mut TableDef, partitions: Vec<NewPartition>) -> Result<usize> {
    let count = partitions.len();
    let buckets = def.distribution.buckets();
    for partition in partitions {
        let id = PartitionId(store.allocate_id()?);
        let tablets = (0..buckets).map(|_| store.allocate_id().map(TabletId)).collect::<Result<_, _>>()?;
        def.partitions.push(PartitionDef { id, name: partition.name, bound: partition.bound, tablets });
    }
    def.sort_partitions();
    Ok(count)
}
