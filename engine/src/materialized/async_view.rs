//! Asynchronous materialized views. Not built yet.

use tessera_sql::CreateMaterializedView;

use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::session::Session;

pub(crate) fn create(_session: &mut Session, create: CreateMaterializedView) -> Result<StatementResult> {
    Err(EngineError::Unsupported(format!("asynchronous materialized view {}: not supported yet", create.name.name)))
}

/// The CREATE MATERIALIZED VIEW text of an asynchronous view.
pub(crate) fn create_sql(_db: &str, table: &tessera_storage::TableDef) -> String {
    let query = table.materialized.as_ref().map(|d| d.query.as_str()).unwrap_or_default();
    format!("CREATE MATERIALIZED VIEW {} AS {query}", crate::show::quote_ident(&table.name))
}

pub(crate) fn refresh_statement(_session: &mut Session, name: &tessera_sql::ObjectName) -> Result<StatementResult> {
    Err(EngineError::Unsupported(format!("REFRESH MATERIALIZED VIEW {}: not supported yet", name.name)))
}

pub(crate) fn alter(
    _session: &mut Session,
    name: &tessera_sql::ObjectName,
    _op: tessera_sql::AlterMaterializedViewOp,
) -> Result<StatementResult> {
    Err(EngineError::Unsupported(format!("ALTER MATERIALIZED VIEW {}: not supported yet", name.name)))
}
