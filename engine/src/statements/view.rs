//! CREATE [OR REPLACE] VIEW, DROP VIEW and SHOW CREATE VIEW; view records and planning live in
//! `catalog/view.rs`.

use std::sync::Arc;

use tessera_sql::{CreateView, ObjectName, ViewMode};
use tessera_storage::logical_objects::{encode_object, LOGICAL_OBJECT_FORMAT_VERSION, VIEW_RECORD};
use tessera_storage::{Transaction, ViewColumnDef, ViewDef};

use crate::catalog::ddl::now_ms;
use crate::catalog::resolve;
use crate::catalog::view::{create_view_sql, find_view, table_exists_error, view_schema};
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::{string_table, StatementResult};

pub(crate) fn create_view(ctx: &Ctx, create: CreateView) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(create.name.database.as_deref())?;
    let name = create.name.name.clone();
    if name.is_empty() || name.len() > 256 {
        return Err(EngineError::InvalidInput(format!("view name '{name}' must have 1 to 256 characters")));
    }
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let objects = shared.objects.of(&state);
    let existing = objects.view(db.id, &name).cloned();
    if state.table_by_name(db.id, &name).is_some() {
        if create.mode == ViewMode::CreateIfNotExists {
            return Ok(StatementResult::ok());
        }
        if create.mode == ViewMode::Alter {
            return Err(EngineError::InvalidInput(format!(
                "'{db_name}.{name}' is a table, not a view: use ALTER TABLE"
            )));
        }
        return Err(table_exists_error(&db_name, &name));
    }
    match (&existing, create.mode) {
        (Some(_), ViewMode::Create) => {
            return Err(EngineError::AlreadyExists(format!("Table '{name}' already exists: view {db_name}.{name}")))
        }
        (Some(_), ViewMode::CreateIfNotExists) => return Ok(StatementResult::ok()),
        (None, ViewMode::Alter) => {
            return Err(EngineError::NotFound(format!("Unknown view '{db_name}.{name}'")));
        }
        _ => {}
    }
    let mut seen = std::collections::BTreeSet::new();
    for column in &create.columns {
        if !seen.insert(column.name.clone()) {
            return Err(EngineError::InvalidInput(format!(
                "view {db_name}.{name} cannot be used: Duplicate column name '{}'",
                column.name
            )));
        }
    }
    let view = ViewDef {
        format: LOGICAL_OBJECT_FORMAT_VERSION,
        id: match &existing {
            Some(old) => old.id,
            None => shared.store.allocate_id()?,
        },
        database_id: db.id,
        name: name.clone(),
        query: crate::catalog::sql_text::query_text(&create.query),
        columns: create
            .columns
            .iter()
            .map(|c| ViewColumnDef { name: c.name.clone(), comment: c.comment.clone() })
            .collect(),
        comment: create.comment.clone(),
        create_time_ms: existing.as_ref().map_or_else(now_ms, |old| old.create_time_ms),
    };
    // Planned with the new definition in place, so that a cycle through it is found now.
    let mut trial = objects.as_ref().clone();
    trial.put_view(Arc::new(view.clone()));
    view_schema(ctx, &state, Arc::new(trial), &db, &view)?;
    let mut txn = Transaction::new();
    txn.put_record(VIEW_RECORD, view.id, encode_object(&view)?);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

pub(crate) fn drop_view(ctx: &Ctx, name: &ObjectName, if_exists: bool) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(name.database.as_deref())?;
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let objects = shared.objects.of(&state);
    let Some(view) = objects.view(db.id, &name.name) else {
        if state.table_by_name(db.id, &name.name).is_some() {
            return Err(EngineError::InvalidInput(format!(
                "'{db_name}.{}' is a table, not a view: use DROP TABLE",
                name.name
            )));
        }
        if if_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::NotFound(format!("Unknown view '{db_name}.{}'", name.name)));
    };
    let mut txn = Transaction::new();
    txn.delete_record(VIEW_RECORD, view.id);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

/// SHOW CREATE VIEW (and SHOW CREATE TABLE on a view): StarRocks' four columns.
pub(crate) fn show_create_view(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let Some((db, view)) = find_view(ctx, &state, name)? else {
        let db_name = ctx.resolve_database(name.database.as_deref())?;
        let db = resolve::database(&state, &db_name)?;
        if state.table_by_name(db.id, &name.name).is_some() {
            return Err(EngineError::InvalidInput(format!(
                "'{db_name}.{}' is a table, not a view: use SHOW CREATE TABLE",
                name.name
            )));
        }
        return Err(EngineError::NotFound(format!("Unknown view '{}.{}'", db.name, name.name)));
    };
    let _ = db;
    string_table(
        &["View", "Create View", "character_set_client", "collation_connection"],
        vec![vec![view.name.clone(), create_view_sql(&view), "utf8".into(), "utf8_general_ci".into()]],
    )
}
