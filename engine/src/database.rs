//! `Database`: an open data directory with its query runtime. Cheap to clone; every clone is the same
//! database. Sessions hold the per-connection state (the current database).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::execution::context::SessionState;
use parking_lot::Mutex;
use tessera_storage::{Store, StoreOptions};

use crate::backup::manager::BackupManager;
use crate::backup::{BackupSummary, RestoreSummary};
use crate::datafusion_adapter::context::base_state;
use crate::error::{EngineError, Result};
use crate::partition_scheduler::Clock;
use crate::periodic::PeriodicThread;
use crate::session::Session;

/// How to open a database.
#[derive(Debug, Clone)]
pub struct Options {
    pub storage: StoreOptions,
    /// Threads (and scan partitions) DataFusion uses for one query. Defaults to the number of cores.
    pub threads: usize,
    /// A pause after each file a backup job uploads. Zero by default; tests use it to watch and cancel
    /// jobs mid-way.
    pub backup_file_delay: std::time::Duration,
    /// When set, every backup job times out after this long instead of after its `timeout` property
    /// (which must still be at least 600 s). For embedders with tight deadlines, and for tests.
    pub backup_timeout: Option<std::time::Duration>,
    /// Called by a backup job's thread each time the job enters a state (after the state is saved),
    /// with the job id and the state. For monitoring and tests; it runs on the job's thread, so a hook
    /// that blocks holds the job in that state.
    pub backup_hook: Option<JobHook>,
    /// Like `backup_hook`, for restore jobs; also called with FINISHED right after the restore's commit.
    pub restore_hook: Option<RestoreHook>,
    /// Where "now" comes from for dynamic partitioning (the system clock by default; UTC).
    pub clock: Clock,
    /// How often a background thread brings dynamic partitions up to date (StarRocks'
    /// `dynamic_partition_check_interval_seconds`: 600 s by default). They are also brought up to date
    /// when the database opens, when a table is created, and by [`Database::run_dynamic_partitions`].
    /// Zero: no background thread.
    pub dynamic_partition_interval: std::time::Duration,
    /// How often a background thread refreshes the asynchronous materialized views that are due (EVERY
    /// interval passed, or a base table changed for those without EVERY). Zero: no background thread;
    /// [`Database::refresh_materialized_views`] still runs them.
    pub materialized_view_refresh_interval: std::time::Duration,
    /// Bytes of decoded column data kept in memory for warm queries (least recently used goes first;
    /// a dropped or compacted segment frees its share at once). Zero turns the cache off: scans then
    /// decode the Parquet files each time. 2 GiB by default.
    pub scan_cache_bytes: usize,
    /// Rebuild synchronous materialized views (rollups) as soon as a change to their base made them stale
    /// (a DELETE, TRUNCATE, INSERT OVERWRITE, dropped partition or RESTORE): around every statement and
    /// when the database opens. On by default. Turned off, stale rollups are rebuilt only by
    /// [`Database::rebuild_rollups`]; until then queries do not use them (results stay right, only
    /// slower). For tests that observe a stale rollup, and for embedders that batch rebuilds.
    pub rebuild_rollups: bool,
    /// Rows an INSERT that streams (a plain append to a DUPLICATE KEY table with declared partitions)
    /// takes from its query per step: about this many rows are held in memory at once, whatever the
    /// INSERT's size. 1,048,576 by default; tests make it small.
    pub insert_chunk_rows: usize,
}

/// A callback told of restore job state changes (see [`Options::restore_hook`]).
#[derive(Clone)]
pub struct RestoreHook(pub Arc<dyn Fn(u64, crate::backup::RestoreState) + Send + Sync>);

impl std::fmt::Debug for RestoreHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RestoreHook")
    }
}

/// A callback told of backup job state changes (see [`Options::backup_hook`]).
#[derive(Clone)]
pub struct JobHook(pub Arc<dyn Fn(u64, crate::backup::BackupState) + Send + Sync>);

impl std::fmt::Debug for JobHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobHook")
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            storage: StoreOptions::default(),
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            backup_file_delay: std::time::Duration::ZERO,
            backup_timeout: None,
            backup_hook: None,
            restore_hook: None,
            clock: Clock::system(),
            dynamic_partition_interval: std::time::Duration::from_secs(600),
            materialized_view_refresh_interval: std::time::Duration::from_secs(5),
            scan_cache_bytes: tessera_storage::segment_cache::DEFAULT_SEGMENT_CACHE_BYTES,
            rebuild_rollups: true,
            insert_chunk_rows: 1 << 20,
        }
    }
}

pub(crate) struct Shared {
    pub(crate) store: Arc<Store>,
    /// Repositories and backup jobs.
    pub(crate) backups: BackupManager,
    pub(crate) backup_file_delay: std::time::Duration,
    pub(crate) backup_timeout: Option<std::time::Duration>,
    pub(crate) backup_hook: Option<JobHook>,
    pub(crate) restore_hook: Option<RestoreHook>,
    /// Always `Some` until drop; see `Drop for Shared`.
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) base_state: SessionState,
    /// The views and SQL functions of the last state planned against, decoded once per commit.
    pub(crate) objects: crate::catalog::objects::ObjectsCache,
    /// Serializes statements that change the catalog (CREATE/DROP/ALTER), so that checking a name and
    /// committing it cannot interleave. Lock order: `ddl` -> table lock -> storage commit.
    pub(crate) ddl: Arc<Mutex<()>>,
    /// "Now" for dynamic partitioning.
    pub(crate) clock: Clock,
    /// See [`Options::rebuild_rollups`].
    pub(crate) rebuild_rollups: bool,
    /// See [`Options::insert_chunk_rows`].
    pub(crate) insert_chunk_rows: usize,
    /// The dynamic partition thread; stopped first when the database closes (it holds the store).
    partition_scheduler: PeriodicThread,
    /// The materialized view refresh thread; stopped with the partition thread.
    refresh_scheduler: parking_lot::Mutex<PeriodicThread>,
    /// Kept so that a temporary database's directory lives as long as the database.
    _temp_dir: Option<tempfile::TempDir>,
}

/// An open Tessera database.
#[derive(Clone)]
pub struct Database {
    pub(crate) shared: Arc<Shared>,
}

impl Database {
    /// Opens (creating if needed) the database in directory `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(path, Options::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        Self::build(path.as_ref(), options, None)
    }

    /// Opens a new database in a temporary directory that is deleted when the database is dropped.
    pub fn open_temporary() -> Result<Database> {
        Self::open_temporary_with(Options::default())
    }

    pub fn open_temporary_with(options: Options) -> Result<Database> {
        let dir = tempfile::Builder::new()
            .prefix("tessera-")
            .tempdir()
            .map_err(|e| EngineError::Io(format!("cannot create a temporary directory: {e}")))?;
        let path = dir.path().to_path_buf();
        Self::build(&path, options, Some(dir))
    }

    fn build(path: &Path, options: Options, temp_dir: Option<tempfile::TempDir>) -> Result<Database> {
        let store = Store::open(path, options.storage.clone())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads.max(1))
            .thread_name("tessera-query")
            .enable_all()
            .build()
            .map_err(|e| EngineError::Io(format!("cannot start the query runtime: {e}")))?;
        store.segment_cache().set_capacity(options.scan_cache_bytes);
        let base_state = base_state(options.threads, store.segment_cache().clone());
        let backups = BackupManager::load(&store)?;
        let store = Arc::new(store);
        let ddl = Arc::new(Mutex::new(()));
        // Tables are brought up to date before anything else can run; a failure is logged and retried
        // by the background thread, so that a database always opens.
        if let Err(e) = crate::partition_scheduler::run_pass(&store, &ddl, &options.clock) {
            log::warn!("dynamic partitioning at open: {e}");
        }
        let partition_scheduler = crate::partition_scheduler::start(
            store.clone(),
            ddl.clone(),
            options.clock.clone(),
            options.dynamic_partition_interval,
        );
        let database = Database {
            shared: Arc::new(Shared {
                store,
                backups,
                backup_file_delay: options.backup_file_delay,
                backup_timeout: options.backup_timeout,
                backup_hook: options.backup_hook.clone(),
                restore_hook: options.restore_hook.clone(),
                runtime: Some(runtime),
                base_state,
                objects: Default::default(),
                ddl,
                clock: options.clock.clone(),
                rebuild_rollups: options.rebuild_rollups,
                insert_chunk_rows: options.insert_chunk_rows.max(1),
                partition_scheduler,
                refresh_scheduler: parking_lot::Mutex::new(PeriodicThread::none()),
                _temp_dir: temp_dir,
            }),
        };
        // Rollups left stale (by a restore or the dynamic partition thread before a close) are rebuilt
        // now; a failure is logged and retried after the next statement.
        if options.rebuild_rollups {
            crate::materialized::rollup::rebuild_stale_logged(&database.shared);
        }
        let scheduler = crate::materialized::scheduler::start(
            Arc::downgrade(&database.shared),
            options.materialized_view_refresh_interval,
        );
        *database.shared.refresh_scheduler.lock() = scheduler;
        Ok(database)
    }

    /// Refreshes the asynchronous materialized views that are due now (EVERY interval passed, or a base
    /// table changed for those without EVERY), instead of waiting for the background thread. Returns
    /// how many were refreshed; a failure is recorded in its view and the first is returned.
    pub fn refresh_materialized_views(&self) -> Result<usize> {
        crate::materialized::async_view::refresh_due(&self.shared)
    }

    /// Rebuilds every synchronous materialized view (rollup) that a change to its base made stale, now.
    /// Returns how many were rebuilt. Only needed with [`Options::rebuild_rollups`] off.
    pub fn rebuild_rollups(&self) -> Result<usize> {
        crate::materialized::rollup::rebuild_stale(&self.shared)
    }

    /// The data directory.
    pub fn path(&self) -> PathBuf {
        self.shared.store.dir().to_path_buf()
    }

    /// A new session (no current database).
    pub fn session(&self) -> Session {
        Session::new(self.clone())
    }

    /// Appends Arrow record batches to `database.table` in one atomic commit. Columns are matched by
    /// name (missing nullable columns get their default or NULL) and cast to the table's types.
    /// Returns the number of rows appended.
    pub fn append(&self, database: &str, table: &str, batches: &[RecordBatch]) -> Result<u64> {
        crate::append::append_batches(&self.shared, database, table, batches)
    }

    /// Merges small segment files now, instead of waiting for background compaction. Returns the number
    /// of tablets compacted.
    pub fn compact(&self) -> Result<usize> {
        Ok(self.shared.store.compact_all()?)
    }

    /// What the cache of decoded column data holds now (see [`Options::scan_cache_bytes`]).
    pub fn scan_cache_stats(&self) -> tessera_storage::SegmentCacheStats {
        self.shared.store.segment_cache().stats()
    }

    /// Brings every table with dynamic partitioning enabled up to date for the clock's current time now,
    /// instead of waiting for the background thread. Returns how many tables changed.
    pub fn run_dynamic_partitions(&self) -> Result<usize> {
        let changed = crate::partition_scheduler::run_pass(&self.shared.store, &self.shared.ddl, &self.shared.clock)?;
        // Dropped partitions made their tables' rollups stale.
        if self.shared.rebuild_rollups {
            crate::materialized::rollup::rebuild_stale_logged(&self.shared);
        }
        Ok(changed)
    }

    /// The current state of a backup job (see `StatementResult::job`).
    pub fn backup_job(&self, id: u64) -> Option<BackupSummary> {
        self.shared.backups.job(id).map(|j| {
            let mut summary = j.snapshot().summary();
            summary.cancel_requested = j.cancel_reason().is_some();
            summary
        })
    }

    /// Waits until a backup job is FINISHED or CANCELLED and returns how it ended.
    pub fn wait_for_backup(&self, id: u64) -> Result<BackupSummary> {
        let job = self.shared.backups.job(id).ok_or_else(|| EngineError::NotFound(format!("no job with id {id}")))?;
        Ok(job.wait().summary())
    }

    /// The current state of a restore job (see `StatementResult::job`).
    pub fn restore_job(&self, id: u64) -> Option<RestoreSummary> {
        self.shared.backups.restore(id).map(|j| {
            let mut summary = j.snapshot().summary();
            summary.cancel_requested = j.cancel_reason().is_some();
            summary
        })
    }

    /// Waits until a restore job is FINISHED or CANCELLED and returns how it ended.
    pub fn wait_for_restore(&self, id: u64) -> Result<RestoreSummary> {
        let job = self
            .shared
            .backups
            .restore(id)
            .ok_or_else(|| EngineError::NotFound(format!("no restore job with id {id}")))?;
        Ok(job.wait().summary())
    }

    /// Ids of the jobs still running.
    pub fn running_jobs(&self) -> Vec<u64> {
        self.shared.backups.running_job_ids()
    }

    /// Closes the database: waits for background work and releases the directory. Equivalent to dropping
    /// the last clone, but says so explicitly; fails if other clones or sessions are still alive (the
    /// materialized view refresh thread is stopped either way).
    /// Backup jobs still running are cancelled (status "the database was closed"); to let them finish,
    /// call [`Database::wait_for_backup`] first.
    pub fn close(self) -> Result<()> {
        // The refresh thread holds the database while it refreshes: stop it (waiting for a refresh in
        // progress) so that it is not the other handle.
        self.shared.refresh_scheduler.lock().stop();
        match Arc::try_unwrap(self.shared) {
            Ok(shared) => {
                drop(shared);
                Ok(())
            }
            Err(shared) => {
                let others = Arc::strong_count(&shared) - 1;
                Err(EngineError::Conflict(format!(
                    "cannot close the database: {others} other handle(s) or session(s) still use it"
                )))
            }
        }
    }
}

impl Shared {
    /// Runs a future on the query runtime from synchronous code. Inside a statement, the future is
    /// dropped, and the statement cancelled, when the session is interrupted (see `InterruptHandle`).
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output> {
        let runtime = self.runtime.as_ref().ok_or_else(|| EngineError::Internal("query runtime is gone".into()))?;
        let future = crate::interrupt::interruptible(future);
        match tokio::runtime::Handle::try_current() {
            Err(_) => runtime.block_on(future),
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| runtime.block_on(future))
            }
            Ok(_) => Err(EngineError::Unsupported(
                "Tessera's API blocks; call it from a blocking thread (tokio::task::spawn_blocking), not from a current-thread async runtime".into(),
            )),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.partition_scheduler.stop();
        self.refresh_scheduler.lock().stop();
        self.backups.cancel_all("the database was closed while the job was running");
        // Dropping a tokio runtime from inside async code panics; shutting it down in the background
        // does not, and no query can still be running once the last handle is gone.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("path", &self.shared.store.dir()).finish()
    }
}
