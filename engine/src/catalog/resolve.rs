//! Name resolution against one pinned state, with the errors users see for unknown names.

use std::sync::Arc;

use tessera_sql::ObjectName;
use tessera_storage::{DatabaseDef, MetaState, TableDef};

use crate::error::{EngineError, Result};
use crate::session::Session;

pub(crate) fn database(state: &MetaState, name: &str) -> Result<Arc<DatabaseDef>> {
    state.database_by_name(name).cloned().ok_or_else(|| EngineError::NotFound(format!("Unknown database '{name}'")))
}

/// Resolves `[db.]table` (the database defaults to the session's current one).
pub(crate) fn table(
    session: &Session,
    state: &MetaState,
    name: &ObjectName,
) -> Result<(Arc<DatabaseDef>, Arc<TableDef>)> {
    let db_name = session.resolve_database(name.database.as_deref())?;
    let db = database(state, &db_name)?;
    let Some(table) = state.table_by_name(db.id, &name.name).cloned() else {
        if session.db.shared.objects.of(state).view(db.id, &name.name).is_some() {
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
