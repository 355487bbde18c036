//! DataFusion catalog and schema providers over one pinned [`MetaState`]: databases are schemas of the
//! catalog `default_catalog`, tables resolve to [`TesseraTable`]s reading that state.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::error::Result as DfResult;
use tessera_storage::{DatabaseId, MetaState};

use super::provider::{ScanLog, TesseraTable};

pub(crate) const CATALOG_NAME: &str = "default_catalog";

pub(crate) struct StateCatalog {
    pub(crate) state: Arc<MetaState>,
    pub(crate) scans: ScanLog,
}

impl fmt::Debug for StateCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateCatalog").field("commit", &self.state.commit_seq).finish()
    }
}

impl CatalogProvider for StateCatalog {
    fn schema_names(&self) -> Vec<String> {
        self.state.databases.values().map(|d| d.name.clone()).collect()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let db = self.state.database_by_name(name)?;
        Some(Arc::new(StateSchema {
            database: db.id,
            database_name: db.name.clone(),
            state: self.state.clone(),
            scans: self.scans.clone(),
        }))
    }
}

struct StateSchema {
    database: DatabaseId,
    database_name: String,
    state: Arc<MetaState>,
    scans: ScanLog,
}

impl fmt::Debug for StateSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSchema").field("database", &self.database_name).finish()
    }
}

#[async_trait]
impl SchemaProvider for StateSchema {
    fn table_names(&self) -> Vec<String> {
        self.state.tables_in(self.database).iter().map(|t| t.name.clone()).collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let Some(def) = self.state.table_by_name(self.database, name) else { return Ok(None) };
        Ok(Some(Arc::new(TesseraTable {
            qualified_name: format!("{}.{}", self.database_name, def.name),
            schema: def.arrow_schema(),
            def: def.clone(),
            state: self.state.clone(),
            scans: self.scans.clone(),
            only_segments: None,
        })))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.state.table_by_name(self.database, name).is_some()
    }
}
