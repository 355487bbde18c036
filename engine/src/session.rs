//! `Session`: runs statements in order, remembering the current database (`USE`), and
//! [`InterruptHandle`]: how another thread stops the statement a session is running.
//!
//! The session is the dispatcher: it holds the session state (in its [`Ctx`]: the current database,
//! its registered functions, the progress counter) and the interrupt state, and hands each statement
//! to its handler with `&Ctx`. Handlers never change the session; the one statement that does (DROP
//! DATABASE of the current database, and USE) is applied here.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;
use tessera_sql::Statement;

use crate::context::Ctx;
use crate::database::Database;
use crate::error::{EngineError, Result};
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

/// See [`Session::progress_handle`].
#[derive(Debug, Clone)]
pub struct ProgressHandle {
    rows: Arc<std::sync::atomic::AtomicU64>,
}

impl ProgressHandle {
    /// Rows produced so far by the running (or last) statement's query.
    pub fn rows(&self) -> u64 {
        self.rows.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Stops the statement a [`Session`] is running; get one with [`Session::interrupt_handle`]. Cheap to
/// clone and usable from any thread.
///
/// A statement stops while it plans or runs a query (a SELECT or EXPLAIN, the rows of an INSERT or a
/// CREATE TABLE AS, each step of a DELETE): the query's work is dropped at once and the statement
/// fails with `EngineError::Conflict("statement cancelled by the user")`. A statement past its last
/// query (writing files, committing) finishes normally. Either way the database stays consistent:
/// statements commit only at their end, and the files an interrupted one wrote are deleted.
/// [`Session::execute`] runs no statement after an interrupted one. An interrupt when no statement
/// runs does nothing: it never cancels a later statement.
#[derive(Clone)]
pub struct InterruptHandle {
    state: Arc<InterruptState>,
}

impl InterruptHandle {
    /// Asks the running statement to stop. Returns false when no statement was running.
    pub fn interrupt(&self) -> bool {
        {
            let mut flags = self.state.flags.lock();
            if flags.depth == 0 {
                return false;
            }
            flags.interrupted = true;
        }
        self.state.notify.notify_waiters();
        true
    }
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle").finish_non_exhaustive()
    }
}

/// Whether a session runs a statement, and whether it was asked to stop.
#[derive(Default)]
struct InterruptState {
    flags: Mutex<InterruptFlags>,
    /// Wakes the query a statement is waiting for when it is interrupted.
    notify: tokio::sync::Notify,
}

#[derive(Default)]
struct InterruptFlags {
    /// Nesting of [`Running`] guards (`execute` around `run`); 0 when no statement runs.
    depth: u32,
    interrupted: bool,
}

impl InterruptState {
    fn interrupted(&self) -> bool {
        self.flags.lock().interrupted
    }
}

thread_local! {
    /// The interrupt state of the statement running on this thread, for [`interruptible`]: statements
    /// reach `Database::block_on` through many paths, and this spares each of them from passing it.
    static RUNNING: RefCell<Option<Arc<InterruptState>>> = const { RefCell::new(None) };
}

/// Marks a statement of a session as running on this thread, until dropped.
struct Running {
    state: Arc<InterruptState>,
    previous: Option<Arc<InterruptState>>,
}

impl Running {
    fn start(state: &Arc<InterruptState>) -> Running {
        {
            let mut flags = state.flags.lock();
            if flags.depth == 0 {
                flags.interrupted = false;
            }
            flags.depth += 1;
        }
        let previous = RUNNING.with(|running| running.replace(Some(state.clone())));
        Running { state: state.clone(), previous }
    }

    fn interrupted(&self) -> bool {
        self.state.interrupted()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| *running.borrow_mut() = self.previous.take());
        let mut flags = self.state.flags.lock();
        flags.depth = flags.depth.saturating_sub(1);
        if flags.depth == 0 {
            flags.interrupted = false;
        }
    }
}

fn cancelled() -> EngineError {
    EngineError::Conflict(CANCELLED_MESSAGE.into())
}

/// The message of the error an interrupted statement ends with.
const CANCELLED_MESSAGE: &str = "statement cancelled by the user";

/// `future`, ending early with the cancellation error when the statement running on this thread is
/// interrupted (dropping a DataFusion future stops its query). Outside a statement, `future` as is.
pub(crate) fn interruptible<F: Future>(future: F) -> impl Future<Output = Result<F::Output>> {
    let state = RUNNING.with(|running| running.borrow().clone());
    async move {
        let Some(state) = state else { return Ok(future.await) };
        let notified = state.notify.notified();
        tokio::pin!(notified);
        // Registered before the flag is read, so an interrupt between the two still wakes it.
        notified.as_mut().enable();
        if state.interrupted() {
            return Err(cancelled());
        }
        tokio::select! {
            biased;
            _ = &mut notified => Err(cancelled()),
            output = future => Ok(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

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
