//! The logical objects of a pinned state: views and SQL functions, decoded from their records.
//!
//! Views and functions live in storage as opaque records (`record/view/*`, `record/function/*`);
//! [`LogicalObjects::of`] decodes those of one `MetaState` once and caches the result by commit
//! number, so that planning a statement does not decode JSON again.
//!
//! What stays true: a damaged record never fails a statement that does not use it (it is skipped with a
//! warning, and a query naming it gets "unknown view"); one name names at most one table or view per
//! database (the DDL checks it under the DDL lock); overloads of one function differ in argument types.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tessera_storage::logical_objects::{decode_object, FUNCTION_RECORD, VIEW_RECORD};
use tessera_storage::{DatabaseId, FunctionDef, MetaState, ViewDef};

/// The views and functions of one state.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogicalObjects {
    views: BTreeMap<(DatabaseId, String), Arc<ViewDef>>,
    /// Overloads by (database, name), in creation order.
    functions: BTreeMap<(DatabaseId, String), Vec<Arc<FunctionDef>>>,
}

/// The decoded objects of the last state asked for, by commit number.
#[derive(Default)]
pub(crate) struct ObjectsCache {
    last: Mutex<Option<(u64, Arc<LogicalObjects>)>>,
}

impl ObjectsCache {
    /// The objects of `state`, decoded once per commit.
    pub(crate) fn of(&self, state: &MetaState) -> Arc<LogicalObjects> {
        let mut last = self.last.lock();
        if let Some((seq, objects)) = last.as_ref() {
            if *seq == state.commit_seq {
                return objects.clone();
            }
        }
        let objects = Arc::new(LogicalObjects::load(state));
        *last = Some((state.commit_seq, objects.clone()));
        objects
    }
}

impl LogicalObjects {
    /// Decodes the objects of `state` (uncached: for jobs that run outside any statement).
    pub(crate) fn from_state(state: &MetaState) -> LogicalObjects {
        Self::load(state)
    }

    fn load(state: &MetaState) -> LogicalObjects {
        let mut objects = LogicalObjects::default();
        for (id, bytes) in state.records_of(VIEW_RECORD) {
            match decode_object::<ViewDef>(bytes, &format!("view record {id}")) {
                Ok(view) => objects.put_view(Arc::new(view)),
                Err(e) => log::warn!("skipping a damaged view: {e}"),
            }
        }
        let mut functions: Vec<FunctionDef> = Vec::new();
        for (id, bytes) in state.records_of(FUNCTION_RECORD) {
            match decode_object::<FunctionDef>(bytes, &format!("function record {id}")) {
                Ok(function) => functions.push(function),
                Err(e) => log::warn!("skipping a damaged function: {e}"),
            }
        }
        functions.sort_by_key(|f| f.id);
        for function in functions {
            objects.put_function(Arc::new(function));
        }
        objects
    }

    pub(crate) fn view(&self, database: DatabaseId, name: &str) -> Option<&Arc<ViewDef>> {
        self.views.get(&(database, name.to_string()))
    }

    /// The views of a database, by name.
    pub(crate) fn views_in(&self, database: DatabaseId) -> Vec<Arc<ViewDef>> {
        self.views.iter().filter(|((db, _), _)| *db == database).map(|(_, v)| v.clone()).collect()
    }

    /// The overloads of `name` in a database (empty when there is no such function).
    pub(crate) fn overloads(&self, database: DatabaseId, name: &str) -> &[Arc<FunctionDef>] {
        self.functions.get(&(database, name.to_string())).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every function of a database: (name, overloads), by name.
    pub(crate) fn functions_in(&self, database: DatabaseId) -> Vec<(String, Vec<Arc<FunctionDef>>)> {
        self.functions
            .iter()
            .filter(|((db, _), _)| *db == database)
            .map(|((_, name), overloads)| (name.clone(), overloads.clone()))
            .collect()
    }

    /// Every function of every database: ((database, name), overloads).
    pub(crate) fn all_functions(&self) -> impl Iterator<Item = (DatabaseId, &str, &[Arc<FunctionDef>])> {
        self.functions.iter().map(|((db, name), overloads)| (*db, name.as_str(), overloads.as_slice()))
    }

    /// Adds or replaces (same database and name) a view: how CREATE OR REPLACE is checked before commit.
    pub(crate) fn put_view(&mut self, view: Arc<ViewDef>) {
        self.views.insert((view.database_id, view.name.clone()), view);
    }

    /// Adds an overload, replacing one with the same signature.
    pub(crate) fn put_function(&mut self, function: Arc<FunctionDef>) {
        let overloads = self.functions.entry((function.database_id, function.name.clone())).or_default();
        overloads.retain(|f| !f.same_signature(&function));
        overloads.push(function);
    }
}
