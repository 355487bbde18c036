//! `Ctx`: what a statement handler runs in, and all it may use of the session that runs it.
//!
//! A handler needs the shared engine state (store, catalogs, jobs, runtime), the database `USE`
//! selected, and the Rust functions the session registered; nothing else of the session. Handlers take
//! `&Ctx`, never a `Session`, so they cannot change session state behind the dispatcher's back: the
//! changes a statement makes to its session (USE; DROP DATABASE of the current database) are applied
//! by the dispatcher, `statements/mod.rs`. Background work (materialized view refreshes, rollup rebuilds) builds a
//! context of its own with [`Ctx::background`].

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::database::Shared;
use crate::datafusion_adapter::session_functions::SessionFunctions;
use crate::datafusion_adapter::StatementContext;
use crate::error::{EngineError, Result};

pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    /// The database `USE` selected, if any.
    pub(crate) current_database: Option<String>,
    /// Rust functions registered for the session only.
    pub(crate) functions: SessionFunctions,
    /// Rows the running statement's query has produced so far (reset at each statement).
    pub(crate) progress: Arc<AtomicU64>,
}

impl Ctx {
    /// A context with `current_database` selected and no session functions: what background jobs and
    /// definers (a materialized view's query runs as its own database's, without the caller's Rust
    /// functions) run in.
    pub(crate) fn background(shared: Arc<Shared>, current_database: Option<String>) -> Ctx {
        Ctx { shared, current_database, functions: SessionFunctions::default(), progress: Default::default() }
    }

    /// The same shared state with `database` current and no session functions.
    pub(crate) fn in_database(&self, database: &str) -> Ctx {
        Ctx::background(self.shared.clone(), Some(database.to_string()))
    }

    /// The database a possibly unqualified name refers to.
    pub(crate) fn resolve_database(&self, explicit: Option<&str>) -> Result<String> {
        match explicit.or(self.current_database.as_deref()) {
            Some(db) => Ok(db.to_string()),
            None => Err(EngineError::InvalidInput(
                "No database selected: USE a database or qualify the name as db.table".into(),
            )),
        }
    }

    /// A DataFusion context over the current state, for one statement.
    pub(crate) fn statement_context(&self) -> StatementContext {
        let shared = &self.shared;
        let state = shared.store.snapshot();
        let objects = shared.objects.of(&state);
        StatementContext::new(
            &shared.base_state,
            state,
            objects,
            self.functions.clone(),
            self.current_database.as_deref(),
        )
    }

    /// Runs a future on the query runtime (see `Shared::block_on`).
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output> {
        self.shared.block_on(future)
    }
}
