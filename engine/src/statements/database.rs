//! CREATE DATABASE, DROP DATABASE and SHOW DATABASES. (USE, and clearing the current database when
//! it is dropped, are session changes: `statements/mod.rs` applies them.)

use tessera_storage::{DatabaseDef, DatabaseId, Transaction};

use crate::catalog::ddl::{check_name, now_ms};
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::{string_table, StatementResult};

pub(crate) fn show_databases(ctx: &Ctx) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let mut names: Vec<String> = state.databases.values().map(|d| d.name.clone()).collect();
    names.sort();
    string_table(&["Database"], names.into_iter().map(|n| vec![n]).collect())
}

pub(crate) fn create_database(ctx: &Ctx, name: &str, if_not_exists: bool) -> Result<StatementResult> {
    check_name("database", name)?;
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    if shared.store.snapshot().database_by_name(name).is_some() {
        if if_not_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::AlreadyExists(format!("Can't create database '{name}'; database exists")));
    }
    let mut txn = Transaction::new();
    txn.put_database(DatabaseDef {
        format: tessera_storage::catalog::CATALOG_FORMAT_VERSION,
        id: DatabaseId(shared.store.allocate_id()?),
        name: name.to_string(),
        create_time_ms: now_ms(),
    });
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

pub(crate) fn drop_database(ctx: &Ctx, name: &str, if_exists: bool) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let Some(db) = state.database_by_name(name).cloned() else {
        if if_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::NotFound(format!("Can't drop database '{name}'; database doesn't exist")));
    };
    let tables = state.tables_in(db.id);
    let locks: Vec<_> = tables.iter().map(|t| shared.store.table_lock(t.id)).collect();
    let _guards: Vec<_> = locks.iter().map(|l| l.write()).collect();
    for table in &tables {
        shared.backups.check_not_restoring(table)?;
    }
    let mut txn = Transaction::new();
    let dropped: Vec<_> = shared.store.snapshot().tables_in(db.id).into_iter().cloned().collect();
    // Asynchronous views elsewhere that read these tables become inactive (locked first, see
    // `materialized::dependents`; the database's own tables are locked above).
    let dependent_locks: Vec<_> = crate::materialized::dependents(&shared.store.snapshot(), &dropped)
        .into_iter()
        .filter(|id| !tables.iter().any(|t| t.id == *id))
        .map(|id| shared.store.table_lock(id))
        .collect();
    let _dependents: Vec<_> = dependent_locks.iter().map(|l| l.write()).collect();
    for table in &dropped {
        txn.drop_table(table.id);
    }
    crate::materialized::on_drop_tables(&shared.store.snapshot(), &dropped, &mut txn);
    // The database's views and functions go with it.
    let objects = shared.objects.of(&state);
    for view in objects.views_in(db.id) {
        txn.delete_record(tessera_storage::logical_objects::VIEW_RECORD, view.id);
    }
    for (_, overloads) in objects.functions_in(db.id) {
        for function in overloads {
            txn.delete_record(tessera_storage::logical_objects::FUNCTION_RECORD, function.id);
        }
    }
    txn.drop_database(db.id);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}
