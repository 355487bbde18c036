//! Materialized views: synchronous ones (rollups of one table, kept equal to it with every write and
//! used by queries they can answer, see [`rollup`]) and asynchronous ones (any query's result, stored as
//! a table and refreshed by jobs, see [`async_view`]).
//!
//! Both are tables whose record carries a `MaterializedViewDef` (`tessera_storage::materialized`), so
//! storage, snapshots and compaction treat them as tables. What stays true: a materialized view is never
//! written by INSERT, DELETE, UPDATE, TRUNCATE or ALTER TABLE (`catalog::resolve::table` refuses it);
//! its rows change only through its own maintenance.

pub(crate) mod async_view;
pub(crate) mod restore;
pub(crate) mod rollup;
pub(crate) mod scheduler;

use std::sync::Arc;

use tessera_sql::ObjectName;
use tessera_storage::{
    DatabaseDef, MaterializedKind, MaterializedViewDef, MetaState, RefreshSchedule, TableDef, Transaction,
};

use crate::catalog::resolve;
use crate::context::Ctx;
use crate::error::{EngineError, Result};

/// The materialized view `[db.]name`, or an error naming what the name is instead.
pub(crate) fn find(ctx: &Ctx, state: &MetaState, name: &ObjectName) -> Result<(Arc<DatabaseDef>, Arc<TableDef>)> {
    let db_name = ctx.resolve_database(name.database.as_deref())?;
    let db = resolve::database(state, &db_name)?;
    match state.table_by_name(db.id, &name.name) {
        Some(table) if table.materialized.is_some() => Ok((db, table.clone())),
        Some(_) => {
            Err(EngineError::InvalidInput(format!("'{db_name}.{}' is a table, not a materialized view", name.name)))
        }
        None => Err(EngineError::NotFound(format!("Unknown materialized view '{db_name}.{}'", name.name))),
    }
}

/// Drops `table` (a table or a materialized view, whose lock the caller holds exclusively) in one commit
/// with what that does to materialized views ([`on_drop_tables`]), holding the locks of the views it
/// makes inactive ([`dependents`]).
pub(crate) fn commit_drop(store: &tessera_storage::Store, table: Arc<TableDef>) -> Result<()> {
    let locks: Vec<_> = dependents(&store.snapshot(), std::slice::from_ref(&table))
        .into_iter()
        .map(|id| store.table_lock(id))
        .collect();
    let _dependents: Vec<_> = locks.iter().map(|l| l.write()).collect();
    let mut txn = Transaction::new();
    txn.drop_table(table.id);
    on_drop_tables(&store.snapshot(), &[table], &mut txn);
    store.commit(txn)?;
    Ok(())
}

/// `refresh_type` of SHOW MATERIALIZED VIEWS.
pub(crate) fn refresh_type(def: &MaterializedViewDef) -> &'static str {
    match &def.kind {
        MaterializedKind::Sync { .. } => "ROLLUP",
        MaterializedKind::Async { refresh: RefreshSchedule::Manual } => "MANUAL",
        MaterializedKind::Async { refresh: RefreshSchedule::Async { .. } } => "ASYNC",
    }
}

/// Milliseconds since the epoch as `yyyy-MM-dd HH:mm:ss` in UTC: how START times are written and read
/// (refresh times are shown in local time, as SHOW BACKUP shows its times).
pub(crate) fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

pub(crate) fn partition_type(table: &TableDef) -> &'static str {
    match table.partition_kind {
        tessera_storage::PartitionKind::Unpartitioned => "UNPARTITIONED",
        tessera_storage::PartitionKind::Range => "RANGE",
        tessera_storage::PartitionKind::List => "LIST",
    }
}

/// The CREATE MATERIALIZED VIEW statement of `table`.
pub(crate) fn create_sql(db: &str, table: &TableDef, state: &MetaState) -> String {
    match table.materialized.as_ref().map(|d| &d.kind) {
        Some(MaterializedKind::Sync { .. }) => rollup::create_sql(db, table, state),
        _ => async_view::create_sql(db, table),
    }
}

/// The asynchronous views (other than `dropped`) that [`on_drop_tables`] would make inactive, by id:
/// the statement dropping `dropped` locks them (after its own table locks) before it reads their
/// definitions, so that a refresh running meanwhile cannot put an active definition back.
pub(crate) fn dependents(state: &MetaState, dropped: &[Arc<TableDef>]) -> Vec<tessera_storage::TableId> {
    let dropped_ids: std::collections::BTreeSet<_> = dropped.iter().map(|t| t.id).collect();
    state
        .tables
        .values()
        .filter(|t| !dropped_ids.contains(&t.id))
        .filter(|t| {
            t.materialized
                .as_ref()
                .is_some_and(|mv| !mv.is_sync() && mv.base_tables.iter().any(|b| dropped_ids.contains(&b.id)))
        })
        .map(|t| t.id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What dropping `dropped` (in the same transaction) does to materialized views: its synchronous views
/// are dropped with it, and asynchronous views that read it become inactive, saying why.
pub(crate) fn on_drop_tables(state: &MetaState, dropped: &[Arc<TableDef>], txn: &mut Transaction) {
    let dropped_ids: std::collections::BTreeSet<_> = dropped.iter().map(|t| t.id).collect();
    for table in state.tables.values() {
        if dropped_ids.contains(&table.id) {
            continue;
        }
        let Some(def) = &table.materialized else { continue };
        if def.sync_base().is_some_and(|base| dropped_ids.contains(&base)) {
            txn.drop_table(table.id);
            continue;
        }
        if !def.is_active() {
            continue;
        }
        if let Some(base) = def.base_tables.iter().find(|b| dropped_ids.contains(&b.id)) {
            let mut next = (**table).clone();
            if let Some(mv) = next.materialized.as_mut() {
                mv.inactive_reason = Some(format!("base-table dropped: {}.{}", base.database, base.table));
            }
            txn.put_table(next);
        }
    }
}
