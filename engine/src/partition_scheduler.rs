//! The dynamic partition scheduler: brings every table with dynamic partitioning enabled up to date
//! (see `catalog::dynamic_partition`) when the database opens, every `dynamic_partition_interval`
//! (StarRocks' `dynamic_partition_check_interval_seconds`, 600 s by default) on a background thread,
//! and on demand ([`crate::Database::run_dynamic_partitions`]). "Now" comes from a [`Clock`], so tests
//! and embedders control time.
//!
//! What must stay true:
//! - each table is changed in one commit under the DDL lock and the table's exclusive lock (the order
//!   every DDL statement takes them), from the definition read under them, so the scheduler never
//!   races a write or a DDL statement;
//! - a table a RESTORE is replacing (state RESTORE) is left alone, as StarRocks skips tables that are
//!   not NORMAL;
//! - the thread holds the store, never the `Database`: closing the database stops and joins it first,
//!   and a failing table is logged and retried at the next pass, never stopping the thread.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tessera_storage::{Store, TableId, TableState, Transaction};

use crate::catalog::dynamic_partition;
use crate::error::Result;
use crate::periodic::PeriodicThread;

/// Where Tessera reads the current time for dynamic partitioning: milliseconds since 1970-01-01
/// 00:00:00 UTC. [`Clock::system`] (the default) reads the system clock; tests and embedders can give
/// any function.
#[derive(Clone)]
pub struct Clock(pub Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        }))
    }

    /// The current time, in milliseconds since 1970-01-01 00:00:00 UTC.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Brings every table with dynamic partitioning enabled up to date for the clock's current time.
/// Returns how many tables changed; a table that fails is logged and skipped, and the first error is
/// returned after every table was tried.
pub(crate) fn run_pass(store: &Store, ddl: &Mutex<()>, clock: &Clock) -> Result<usize> {
    let now = dynamic_partition::utc_moment(clock.now_ms())?;
    let tables: Vec<(TableId, String)> = store
        .snapshot()
        .tables
        .values()
        .filter(|t| t.properties.keys().any(|k| k.starts_with(dynamic_partition::PROPERTY_PREFIX)))
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let mut changed = 0;
    let mut first_error = None;
    for (id, name) in tables {
        match update_table(store, ddl, id, now) {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(e) => {
                log::warn!("dynamic partitioning of table {name} failed: {e}");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(changed),
    }
}

fn update_table(store: &Store, ddl: &Mutex<()>, id: TableId, now: chrono::NaiveDateTime) -> Result<bool> {
    // Most passes change nothing: decide that from the current state, without taking the DDL lock or
    // waiting for the table's writers.
    let Some(def) = store.snapshot().tables.get(&id).cloned() else { return Ok(false) };
    if def.state != TableState::Normal || dynamic_partition::updated(store, &def, now)?.is_none() {
        return Ok(false);
    }
    let _ddl = ddl.lock();
    let lock = store.table_lock(id);
    let _exclusive = lock.write();
    let Some(def) = store.snapshot().tables.get(&id).cloned() else { return Ok(false) };
    if def.state != TableState::Normal {
        return Ok(false);
    }
    let Some(next) = dynamic_partition::updated(store, &def, now)? else { return Ok(false) };
    let mut txn = Transaction::new();
    txn.put_table(next);
    store.commit(txn)?;
    Ok(true)
}

/// Starts the background thread, which runs a pass every `interval` (none when `interval` is zero);
/// stopped (and joined) by `PeriodicThread::stop` or on drop.
pub(crate) fn start(store: Arc<Store>, ddl: Arc<Mutex<()>>, clock: Clock, interval: Duration) -> PeriodicThread {
    PeriodicThread::start("tessera-dynamic-partitions", interval, move || {
        // Errors are logged per table inside the pass.
        let _ = run_pass(&store, &ddl, &clock);
        true
    })
}
