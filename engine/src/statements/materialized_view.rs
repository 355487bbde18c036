//! CREATE / DROP / SHOW / SHOW CREATE / REFRESH / ALTER MATERIALIZED VIEW, for both kinds: the
//! synchronous ones (rollups, `materialized/rollup.rs`) and the asynchronous ones
//! (`materialized/async_view.rs`).

use tessera_sql::{AlterMaterializedViewOp, CreateMaterializedView, ObjectName};
use tessera_storage::{MaterializedKind, Transaction};

use crate::catalog::resolve;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::materialized::async_view::{self, definer, find_async, plan, refresh, schedule, INACTIVE_BY_USER};
use crate::materialized::{commit_drop, create_sql, find, partition_type, refresh_type, rollup};
use crate::result::StatementResult;

/// `CREATE MATERIALIZED VIEW`: the synchronous form without PARTITION BY, DISTRIBUTED BY and REFRESH.
pub(crate) fn create(ctx: &Ctx, create: CreateMaterializedView) -> Result<StatementResult> {
    if create.is_sync() {
        rollup::create(ctx, create)
    } else {
        async_view::create(ctx, create)
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

/// `SHOW CREATE MATERIALIZED VIEW [db.]mv`: columns `Materialized View` and `Create Materialized View`.
pub(crate) fn show_create(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let (db, table) = find(ctx, &state, name)?;
    crate::result::string_table(
        &["Materialized View", "Create Materialized View"],
        vec![vec![table.name.clone(), create_sql(&db.name, &table, &state)]],
    )
}

/// `REFRESH MATERIALIZED VIEW [db.]mv`: refreshes it now (WITH ASYNC MODE is run synchronously too).
pub(crate) fn refresh_statement(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let table = find_async(ctx, &state, name)?;
    let rows = refresh(&ctx.shared, table.id)?;
    Ok(StatementResult::affected(rows))
}

/// `ALTER MATERIALIZED VIEW [db.]mv {ACTIVE | INACTIVE | REFRESH ... | RENAME new}`.
pub(crate) fn alter(ctx: &Ctx, name: &ObjectName, op: AlterMaterializedViewOp) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let table = find_async(ctx, &state, name)?;
    let lock = shared.store.table_lock(table.id);
    let _exclusive = lock.write();
    shared.backups.check_not_restoring(&table)?;
    let table = crate::write::current_table(&shared.store, &table)?;
    let db_name = state.databases.get(&table.database_id).map(|d| d.name.clone()).unwrap_or_default();
    let mut next = (*table).clone();
    let Some(def) = next.materialized.as_mut() else {
        return Err(EngineError::Internal(format!("{db_name}.{} is not a materialized view", table.name)));
    };
    match op {
        AlterMaterializedViewOp::Inactive => def.inactive_reason = Some(INACTIVE_BY_USER.into()),
        AlterMaterializedViewOp::Active => {
            let definer = definer(ctx, &db_name);
            let (schema, bases, _) = plan(&definer, &db_name, &table.name, &def.query).map_err(|e| {
                EngineError::InvalidInput(format!("cannot activate materialized view {db_name}.{}: {e}", table.name))
            })?;
            let same_columns = schema.fields().len() == table.columns.len()
                && schema.fields().iter().zip(&table.columns).all(|(f, c)| f.name() == &c.name);
            if !same_columns {
                return Err(EngineError::InvalidInput(format!(
                    "cannot activate materialized view {db_name}.{}: its query now returns other columns than the \
                     view has; drop and create it again",
                    table.name
                )));
            }
            def.base_tables = bases;
            def.inactive_reason = None;
        }
        AlterMaterializedViewOp::Refresh(spec) => {
            def.kind = MaterializedKind::Async { refresh: schedule(&db_name, &table.name, &spec)? }
        }
        AlterMaterializedViewOp::Rename(new_name) => {
            if new_name.is_empty() || new_name.len() > 256 {
                return Err(EngineError::InvalidInput(format!(
                    "materialized view name '{new_name}' must have 1 to 256 characters"
                )));
            }
            if state.table_by_name(table.database_id, &new_name).is_some()
                || shared.objects.of(&state).view(table.database_id, &new_name).is_some()
            {
                return Err(EngineError::AlreadyExists(format!(
                    "Table '{new_name}' already exists in database {db_name}"
                )));
            }
            next.name = new_name;
        }
    }
    let mut txn = Transaction::new();
    txn.put_table(next);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}
