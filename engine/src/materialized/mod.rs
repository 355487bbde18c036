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

use tessera_sql::{CreateMaterializedView, ObjectName};
use tessera_storage::{
    DatabaseDef, MaterializedKind, MaterializedViewDef, MetaState, RefreshSchedule, TableDef, Transaction,
};

use crate::catalog::resolve;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;

/// `CREATE MATERIALIZED VIEW`: the synchronous form without PARTITION BY, DISTRIBUTED BY and REFRESH.
pub(crate) fn create(ctx: &Ctx, create: CreateMaterializedView) -> Result<StatementResult> {
    if create.is_sync() {
        rollup::create(ctx, create)
    } else {
        async_view::create(ctx, create)
    }
}

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

/// `DROP MATERIALIZED VIEW [IF EXISTS] [db.]mv`, either kind.
pub(crate) fn drop(ctx: &Ctx, name: &ObjectName, if_exists: bool) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let table = match find(ctx, &state, name) {
        Ok((_, table)) => table,
        Err(EngineError::NotFound(_)) if if_exists => {
            resolve::database(&state, &ctx.resolve_database(name.database.as_deref())?)?;
            return Ok(StatementResult::ok());
        }
        Err(e) => return Err(e),
    };
    let lock = shared.store.table_lock(table.id);
    let _exclusive = lock.write();
    shared.backups.check_not_restoring(&table)?;
    commit_drop(&shared.store, table)?;
    Ok(StatementResult::ok())
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
fn refresh_type(def: &MaterializedViewDef) -> &'static str {
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

/// `SHOW MATERIALIZED VIEWS [FROM db] [LIKE 'pattern']`: both kinds, by name, with StarRocks' leading
/// columns.
pub(crate) fn show(ctx: &Ctx, database: Option<&str>, like: Option<&str>) -> Result<StatementResult> {
    let name = ctx.resolve_database(database)?;
    let state = ctx.shared.store.snapshot();
    let db = resolve::database(&state, &name)?;
    let pattern = like.map(crate::result::like_pattern).transpose()?;
    let mut rows = Vec::new();
    let mut tables = state.tables_in(db.id);
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    for table in tables {
        let Some(def) = &table.materialized else { continue };
        if pattern.as_ref().is_some_and(|p| !p.is_match(&table.name)) {
            continue;
        }
        let rows_now: u64 = table.tablets().filter_map(|t| state.tablet(t)).map(|v| v.rows()).sum();
        let refresh = def.last_refresh.as_ref();
        let active = match def.kind {
            MaterializedKind::Sync { ready, .. } => ready && def.is_active(),
            MaterializedKind::Async { .. } => def.is_active(),
        };
        rows.push(vec![
            Some(table.id.0.to_string()),
            Some(db.name.clone()),
            Some(table.name.clone()),
            Some(refresh_type(def).to_string()),
            Some(active.to_string()),
            Some(def.inactive_reason.clone().unwrap_or_default()),
            Some(partition_type(table).to_string()),
            refresh.map(|r| tessera_backup::timestamp::show_time(r.start_ms)),
            refresh.map(|r| tessera_backup::timestamp::show_time(r.finish_ms)),
            refresh.map(|r| format!("{:.3}", (r.finish_ms - r.start_ms) as f64 / 1000.0)),
            refresh.map(|r| r.state.clone()),
            refresh.map(|r| r.error.clone().unwrap_or_default()),
            Some(rows_now.to_string()),
            Some(create_sql(&db.name, table, &state)),
        ]);
    }
    crate::result::nullable_table(
        &[
            "id",
            "database_name",
            "name",
            "refresh_type",
            "is_active",
            "inactive_reason",
            "partition_type",
            "last_refresh_start_time",
            "last_refresh_finished_time",
            "last_refresh_duration",
            "last_refresh_state",
            "last_refresh_error_message",
            "rows",
            "text",
        ],
        rows,
    )
}

fn partition_type(table: &TableDef) -> &'static str {
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

/// `SHOW CREATE MATERIALIZED VIEW [db.]mv`: columns `Materialized View` and `Create Materialized View`.
pub(crate) fn show_create(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let (db, table) = find(ctx, &state, name)?;
    crate::result::string_table(
        &["Materialized View", "Create Materialized View"],
        vec![vec![table.name.clone(), create_sql(&db.name, &table, &state)]],
    )
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
