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
    let table = state
        .table_by_name(db.id, &name.name)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("Unknown table '{}.{}'", db.name, name.name)))?;
    Ok((db, table))
}
