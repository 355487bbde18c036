//! Name resolution against one pinned state, with the errors users see for unknown names.

use std::sync::Arc;

use tessera_sql::ObjectName;
use tessera_storage::{DatabaseDef, MetaState, TableDef};

use crate::context::Ctx;
use crate::error::{EngineError, Result};

pub(crate) fn database(state: &MetaState, name: &str) -> Result<Arc<DatabaseDef>> {
    state.database_by_name(name).cloned().ok_or_else(|| EngineError::NotFound(format!("Unknown database '{name}'")))
}

/// Resolves `[db.]table` for a statement that changes it (the database defaults to the session's
/// current one): materialized views are refused, their rows change only through their own maintenance.
pub(crate) fn table(ctx: &Ctx, state: &MetaState, name: &ObjectName) -> Result<(Arc<DatabaseDef>, Arc<TableDef>)> {
    let (db, table) = relation(ctx, state, name)?;
    if let Some(mv) = &table.materialized {
        let how = if mv.is_sync() {
            "it changes with its base table"
        } else {
            "its rows come from REFRESH MATERIALIZED VIEW"
        };
        return Err(EngineError::InvalidInput(format!(
            "'{}.{}' is a materialized view: {how}; use ALTER / DROP MATERIALIZED VIEW to change it",
            db.name, table.name
        )));
    }
    Ok((db, table))
}

/// Resolves `[db.]table` for reading its definition: a table or a materialized view.
pub(crate) fn relation(ctx: &Ctx, state: &MetaState, name: &ObjectName) -> Result<(Arc<DatabaseDef>, Arc<TableDef>)> {
    let db_name = ctx.resolve_database(name.database.as_deref())?;
    let db = database(state, &db_name)?;
    let Some(table) = state.table_by_name(db.id, &name.name).cloned() else {
        if ctx.shared.objects.of(state).view(db.id, &name.name).is_some() {
            return Err(EngineError::InvalidInput(format!(
                "'{}.{}' is a view, not a table: views are changed only by CREATE OR REPLACE VIEW, ALTER VIEW \
                 and DROP VIEW",
                db.name, name.name
            )));
        }
        return Err(EngineError::NotFound(format!("Unknown table '{}.{}'", db.name, name.name)));
    };
    Ok((db, table))
}
