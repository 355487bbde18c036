//! Synchronous materialized views (rollups). Not built yet.

use tessera_sql::CreateMaterializedView;

use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::session::Session;

pub(crate) fn create(_session: &mut Session, create: CreateMaterializedView) -> Result<StatementResult> {
    Err(EngineError::Unsupported(format!("synchronous materialized view {}: not supported yet", create.name.name)))
}

/// The CREATE MATERIALIZED VIEW text of a synchronous view.
pub(crate) fn create_sql(_db: &str, table: &tessera_storage::TableDef, _state: &tessera_storage::MetaState) -> String {
    let query = table.materialized.as_ref().map(|d| d.query.as_str()).unwrap_or_default();
    format!("CREATE MATERIALIZED VIEW {} AS {query}", crate::show::quote_ident(&table.name))
}
