//! `MetaState`: one immutable, consistent picture of the whole catalog and every tablet version.
//!
//! The store publishes a new `Arc<MetaState>` with every commit. A reader takes the current one in O(1)
//! and sees one consistent point in time for as long as it holds it (snapshot isolation across all
//! tables); writers never wait for readers, and readers never see half of a commit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::catalog::{DatabaseDef, TableDef};
use crate::ids::{DatabaseId, TableId, TabletId};
use crate::version::TabletVersion;

#[derive(Debug, Clone, Default)]
pub struct MetaState {
    pub databases: BTreeMap<DatabaseId, Arc<DatabaseDef>>,
    pub tables: BTreeMap<TableId, Arc<TableDef>>,
    pub tablets: HashMap<TabletId, Arc<TabletVersion>>,
    /// Number of commits since the directory was created; grows by one with every commit.
    pub commit_seq: u64,
    /// Records of layers above storage (repositories, backup jobs), by (kind, id).
    pub records: BTreeMap<(String, u64), Arc<Vec<u8>>>,
}

impl MetaState {
    pub fn database_by_name(&self, name: &str) -> Option<&Arc<DatabaseDef>> {
        self.databases.values().find(|d| d.name == name)
    }

    pub fn table_by_name(&self, database: DatabaseId, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.values().find(|t| t.database_id == database && t.name == name)
    }

    /// Tables of a database, by name.
    pub fn tables_in(&self, database: DatabaseId) -> Vec<&Arc<TableDef>> {
        let mut tables: Vec<_> = self.tables.values().filter(|t| t.database_id == database).collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        tables
    }

    pub fn tablet(&self, id: TabletId) -> Option<&Arc<TabletVersion>> {
        self.tablets.get(&id)
    }

    /// The records of one kind, by id.
    pub fn records_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (u64, &'a Arc<Vec<u8>>)> + 'a {
        self.records.iter().filter(move |((k, _), _)| k == kind).map(|((_, id), v)| (*id, v))
    }
}
