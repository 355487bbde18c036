//! The DataFusion context of one statement: the shared session configuration, plus a catalog over the
//! state the statement pinned, plus the session's current database as the default schema.

use std::sync::Arc;

use datafusion::catalog::MemoryCatalogProviderList;
use datafusion::execution::context::SessionState;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use tessera_storage::MetaState;

use super::catalog::{StateCatalog, CATALOG_NAME};
use super::files::FilesFunction;
use super::provider::{ScanLog, ScanReport};

/// Builds the session state every statement starts from.
pub(crate) fn base_state(target_partitions: usize) -> SessionState {
    let mut config = SessionConfig::new()
        .with_target_partitions(target_partitions.max(1))
        .with_default_catalog_and_schema(CATALOG_NAME, "")
        .with_create_default_catalog_and_schema(false)
        .with_information_schema(false);
    {
        let options = config.options_mut();
        // StarRocks is MySQL-like: backticks quote identifiers, "..." is a string.
        options.sql_parser.dialect = datafusion::config::Dialect::MySQL;
        options.execution.parquet.pushdown_filters = true;
        options.execution.parquet.reorder_filters = true;
        // Segment files are written with Utf8; keep it so scans, inserts and results agree on types.
        options.execution.parquet.schema_force_view_types = false;
    }
    let state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    let ctx = SessionContext::new_with_state(state);
    // Statements reach DataFusion with every FILES(...) spelled `files` (see `rewrite_files_arguments`).
    ctx.register_udtf("files", Arc::new(FilesFunction));
    ctx.state()
}

/// The DataFusion side of one statement. Holding it keeps the pinned state (and its files) alive.
pub(crate) struct StatementContext {
    pub(crate) ctx: SessionContext,
    pub(crate) state: Arc<MetaState>,
    scans: ScanLog,
}

impl StatementContext {
    pub(crate) fn new(base: &SessionState, state: Arc<MetaState>, current_database: Option<&str>) -> Self {
        // A cloned SessionState shares its catalog list; each statement needs its own, or concurrent
        // statements would resolve tables against each other's pinned state.
        let mut session = SessionStateBuilder::new_from_existing(base.clone())
            .with_catalog_list(Arc::new(MemoryCatalogProviderList::new()))
            .build();
        session.config_mut().options_mut().catalog.default_schema = current_database.unwrap_or("").to_string();
        let ctx = SessionContext::new_with_state(session);
        let scans: ScanLog = Default::default();
        ctx.register_catalog(CATALOG_NAME, Arc::new(StateCatalog { state: state.clone(), scans: scans.clone() }));
        StatementContext { ctx, state, scans }
    }

    /// What the scans planned so far kept (for EXPLAIN).
    pub(crate) fn scan_reports(&self) -> Vec<ScanReport> {
        self.scans.lock().clone()
    }
}
