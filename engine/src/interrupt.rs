//! Stopping and watching a running statement from another thread: [`InterruptHandle`] (Ctrl-C, a
//! timeout) and [`ProgressHandle`] (rows produced so far), and how a statement's DataFusion futures
//! learn that they were interrupted ([`interruptible`]).
//!
//! What must stay true: an interrupt affects only the statement running when it arrives, never a
//! later one; a statement stops only where it can without a partial effect (while it plans or runs a
//! query), because statements commit only at their end.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{EngineError, Result};

/// See [`Session::progress_handle`].
#[derive(Debug, Clone)]
pub struct ProgressHandle {
    pub(crate) rows: Arc<std::sync::atomic::AtomicU64>,
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
    pub(crate) state: Arc<InterruptState>,
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
pub(crate) struct InterruptState {
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
pub(crate) struct Running {
    state: Arc<InterruptState>,
    previous: Option<Arc<InterruptState>>,
}

impl Running {
    pub(crate) fn start(state: &Arc<InterruptState>) -> Running {
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

    pub(crate) fn interrupted(&self) -> bool {
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

pub(crate) fn cancelled() -> EngineError {
    EngineError::Conflict(CANCELLED_MESSAGE.into())
}

/// The message of the error an interrupted statement ends with.
pub(crate) const CANCELLED_MESSAGE: &str = "statement cancelled by the user";

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
