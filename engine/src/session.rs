//! `Session`: runs statements in order, remembering the current database (`USE`).
//!
//! The session holds the session state (in its [`Ctx`]: the current database, its registered
//! functions, the progress counter) and the interrupt state (`interrupt.rs`), and hands each statement
//! to the dispatcher (`statements/mod.rs`), which is the only place that changes the session.

use std::sync::Arc;

use tessera_sql::Statement;

use crate::context::Ctx;
use crate::database::Database;
use crate::error::Result;
use crate::interrupt::{cancelled, InterruptHandle, InterruptState, ProgressHandle, Running};
use crate::result::StatementResult;

pub struct Session {
    db: Database,
    /// The session state handlers see.
    ctx: Ctx,
    interrupt: Arc<InterruptState>,
}

impl Session {
    pub(crate) fn new(db: Database) -> Session {
        let ctx = Ctx::background(db.shared.clone(), None);
        Session { db, ctx, interrupt: Arc::new(InterruptState::default()) }
    }

    /// Registers a native Rust scalar function (a DataFusion [`ScalarUDF`]) for this session: every
    /// later statement of the session can call it by its name (and aliases), in queries, DML and view
    /// definitions. It is not persisted, so other sessions, a reopened database and backups do not see
    /// it; a view that calls it works only in sessions that registered it. A SQL function of the current
    /// database with the same name wins. Registering a name again replaces the earlier function.
    ///
    /// [`ScalarUDF`]: datafusion::logical_expr::ScalarUDF
    pub fn register_scalar_function(&mut self, function: datafusion::logical_expr::ScalarUDF) {
        self.ctx.functions.add_scalar(function);
    }

    /// Registers a native Rust aggregate function (a DataFusion [`AggregateUDF`]) for this session,
    /// with the same rules as [`register_scalar_function`](Self::register_scalar_function).
    ///
    /// [`AggregateUDF`]: datafusion::logical_expr::AggregateUDF
    pub fn register_aggregate_function(&mut self, function: datafusion::logical_expr::AggregateUDF) {
        self.ctx.functions.add_aggregate(function);
    }

    /// A handle that stops the statement this session is running, from another thread (a Ctrl-C
    /// handler, a timeout). See [`InterruptHandle`].
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle { state: self.interrupt.clone() }
    }

    /// A counter of the rows the running statement's query has produced so far (for an INSERT ...
    /// SELECT or a load from FILES(), the rows read). Readable from another thread to show progress.
    pub fn progress_handle(&self) -> ProgressHandle {
        ProgressHandle { rows: self.ctx.progress.clone() }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The database `USE` selected, if any.
    pub fn current_database(&self) -> Option<&str> {
        self.ctx.current_database.as_deref()
    }

    /// Parses and runs every `;`-separated statement in `sql`, in order, stopping at the first error.
    /// Statements before the failing one stay done (each statement is atomic on its own).
    /// An interrupt stops the statement running and the ones after it.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let statements = tessera_sql::parse_statements(sql)?;
        let running = Running::start(&self.interrupt);
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            if running.interrupted() {
                return Err(cancelled());
            }
            results.push(self.run(statement)?);
        }
        Ok(results)
    }

    /// Runs exactly one statement.
    pub fn execute_one(&mut self, sql: &str) -> Result<StatementResult> {
        let statement = tessera_sql::parse_statement(sql)?;
        self.run(statement)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<Vec<arrow::array::RecordBatch>> {
        Ok(self.execute_one(sql)?.batches)
    }

    /// Runs one parsed statement.
    pub fn run(&mut self, statement: Statement) -> Result<StatementResult> {
        self.ctx.progress.store(0, std::sync::atomic::Ordering::Relaxed);
        let _running = Running::start(&self.interrupt);
        crate::statements::run(&mut self.ctx, statement)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::error::EngineError;
    use crate::interrupt::CANCELLED_MESSAGE;

    /// A query that would run for hours: 10^12 rows through a filter (which keeps DataFusion from
    /// answering from statistics).
    const ENDLESS: &str = "SELECT count(*) FROM generate_series(1, 1000000000000) WHERE value % 7 = 3";

    /// Interrupts the statement `handle`'s session runs, from another thread, as soon as one runs.
    fn interrupt_when_running(handle: InterruptHandle) -> (std::thread::JoinHandle<()>, Arc<AtomicBool>) {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_thread = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stop_thread.load(Ordering::SeqCst) {
                // Give the statement time to get into its query before interrupting it.
                std::thread::sleep(Duration::from_millis(200));
                if handle.interrupt() {
                    return;
                }
            }
        });
        (thread, stop)
    }

    fn is_cancelled(result: &Result<impl std::fmt::Debug>) -> bool {
        matches!(result, Err(EngineError::Conflict(m)) if m == CANCELLED_MESSAGE)
    }

    #[test]
    fn interrupting_a_long_query_from_another_thread_cancels_it() {
        let db = Database::open_temporary().unwrap();
        let mut session = db.session();
        let (thread, stop) = interrupt_when_running(session.interrupt_handle());
        let result = session.execute_one(ENDLESS);
        stop.store(true, Ordering::SeqCst);
        thread.join().unwrap();
        assert!(is_cancelled(&result), "{result:?}");
        // The session goes on, and the interrupt does not leak into the next statement.
        let rows = session.query("SELECT count(*) FROM generate_series(1, 10)").unwrap();
        assert_eq!(rows[0].num_rows(), 1);
    }

    #[test]
    fn an_interrupted_insert_changes_nothing() {
        let db = Database::open_temporary().unwrap();
        let mut session = db.session();
        session.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k BIGINT); INSERT INTO t VALUES (1)").unwrap();
        let (thread, stop) = interrupt_when_running(session.interrupt_handle());
        // The source yields one row, at the end: the cancelled INSERT never reaches its write.
        let insert = format!("INSERT INTO t {ENDLESS}");
        let result = session.execute(&format!("{insert}; INSERT INTO t VALUES (2)"));
        stop.store(true, Ordering::SeqCst);
        thread.join().unwrap();
        assert!(is_cancelled(&result), "{result:?}");
        let result = session.execute_one("SELECT k FROM t").unwrap();
        assert_eq!(result.num_rows(), 1, "neither the interrupted INSERT nor the one after it ran");
    }

    #[test]
    fn an_interrupt_when_idle_does_nothing() {
        let db = Database::open_temporary().unwrap();
        let mut session = db.session();
        assert!(!session.interrupt_handle().interrupt());
        assert_eq!(session.query("SELECT 1").unwrap()[0].num_rows(), 1);
    }
}
