//! The refresh job of asynchronous materialized views: a background thread that, every
//! `Options::materialized_view_refresh_interval`, refreshes the views that are due
//! (`async_view::due`: their EVERY interval passed, or, without EVERY, a base table changed). Also run
//! on demand by [`crate::Database::refresh_materialized_views`].
//!
//! What stays true: the thread holds only a weak reference to the database, so it never keeps a
//! database open; if the last handle happens to be dropped while the thread holds it, the thread is
//! not joined from itself. A failing view is recorded (last refresh FAILED) and logged, never stopping
//! the thread.

use std::sync::Weak;
use std::time::Duration;

use crate::database::Shared;
use crate::periodic::PeriodicThread;

/// Starts the thread, which looks for due views every `interval` (none when `interval` is zero).
pub(crate) fn start(shared: Weak<Shared>, interval: Duration) -> PeriodicThread {
    PeriodicThread::start("tessera-mv-refresh", interval, move || {
        let Some(shared) = shared.upgrade() else { return false };
        // Failures are recorded in the views and logged by the pass.
        let _ = super::async_view::refresh_due(&shared);
        true
    })
}
