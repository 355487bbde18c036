//! `PeriodicThread`: a named background thread that runs a pass every interval until it is stopped.
//! The dynamic partition scheduler and the materialized view refresh thread are two of them.
//!
//! What must stay true: stopping wakes the thread at once (it waits on a channel, not in a sleep) and
//! joins it, except from the thread itself (a pass may drop the last handle of what owns it; the
//! thread then ends on its own after that pass). A pass's failure is the pass's to log; the thread
//! goes on.

use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

pub(crate) struct PeriodicThread {
    stop: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl PeriodicThread {
    /// A thread that runs nothing (a zero interval, or until replaced).
    pub(crate) fn none() -> PeriodicThread {
        PeriodicThread { stop: None, thread: None }
    }

    /// Starts thread `name`, which calls `pass` every `interval` (none when `interval` is zero) until
    /// stopped or until `pass` returns false.
    pub(crate) fn start(
        name: &str,
        interval: Duration,
        mut pass: impl FnMut() -> bool + Send + 'static,
    ) -> PeriodicThread {
        if interval.is_zero() {
            return PeriodicThread::none();
        }
        let (stop_tx, stop_rx) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || loop {
                match stop_rx.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {
                        if !pass() {
                            return;
                        }
                    }
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|e| log::warn!("cannot start the {name} thread: {e}"))
            .ok();
        PeriodicThread { stop: Some(stop_tx), thread }
    }

    /// Stops the thread and waits for a pass in progress (unless called from the thread itself).
    pub(crate) fn stop(&mut self) {
        // Dropping the sender wakes the thread, which then ends.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for PeriodicThread {
    fn drop(&mut self) {
        self.stop();
    }
}
