//! The refresh job of asynchronous materialized views: a background thread that, every
//! `Options::materialized_view_refresh_interval`, refreshes the views that are due
//! (`async_view::due`: their EVERY interval passed, or, without EVERY, a base table changed). Also run
//! on demand by [`crate::Database::refresh_materialized_views`].
//!
//! What stays true: the thread holds only a weak reference to the database, so it never keeps a
//! database open; if the last handle happens to be dropped while the thread holds it, the thread is
//! not joined from itself. A failing view is recorded (last refresh FAILED) and logged, never stopping
//! the thread.

use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::sync::Weak;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::database::Shared;

pub(crate) struct RefreshScheduler {
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RefreshScheduler {
    /// A scheduler that runs nothing (until [`RefreshScheduler::start`] replaces it).
    pub(crate) fn none() -> RefreshScheduler {
        RefreshScheduler { stop: None, thread: None }
    }

    /// Starts the thread, which looks for due views every `interval` (none when `interval` is zero).
    pub(crate) fn start(shared: Weak<Shared>, interval: Duration) -> RefreshScheduler {
        if interval.is_zero() {
            return RefreshScheduler::none();
        }
        let (stop_tx, stop_rx) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("tessera-mv-refresh".into())
            .spawn(move || loop {
                match stop_rx.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {
                        let Some(shared) = shared.upgrade() else { return };
                        // Failures are recorded in the views and logged by the pass.
                        let _ = super::async_view::refresh_due(&shared);
                    }
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|e| log::warn!("cannot start the materialized view refresh thread: {e}"))
            .ok();
        RefreshScheduler { stop: Some(stop_tx), thread }
    }

    pub(crate) fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            // The thread itself may drop the last handle; it then ends on its own.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for RefreshScheduler {
    fn drop(&mut self) {
        self.stop();
    }
}
