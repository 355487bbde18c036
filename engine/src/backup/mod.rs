//! BACKUP and RESTORE jobs in the engine: repositories in the catalog, the job records and their one
//! framework (`job_control.rs`), the job runners, the restore rules, and recovery at open. The
//! statements that submit, show and cancel jobs are in `statements/backup.rs`, `statements/restore.rs`
//! and `statements/repository.rs`; nothing here imports them.
//!
//! ## Life of a BACKUP
//! 1. `BACKUP SNAPSHOT ...` is validated (repository, label, database, objects, properties, one job per
//!    database) without changing anything.
//! 2. The statement pins the store's current state and hard-links every segment file of the selected
//!    partitions into `snapshots/backup-<job>/` (the consistent version: writes that commit after this
//!    point are not in the backup, and nothing blocks them). The job is persisted and the statement
//!    returns its id.
//! 3. A job thread advances the StarRocks states: UPLOAD_SNAPSHOT (claim the files in the repository),
//!    UPLOADING (store each file the repository lacks, under its checksum: hard link on the same
//!    filesystem, verified copy otherwise), SAVE_META (build the manifest), UPLOAD_INFO (write the
//!    manifest: now the snapshot exists), FINISHED. Each state change is persisted (the intermediate
//!    ones without waiting for the disk). Files move on a thread pool of the job's own
//!    ([`file_pool`]), one thread per core.
//! 4. CANCEL, a timeout or an error stops it between files: it removes the unfinished snapshot folder and
//!    the data files no manifest needs, releases the hard-link snapshot, and ends CANCELLED with a status.
//! 5. A job that was running when the process stopped is CANCELLED on the next open, with a status that
//!    says so (its hard-link snapshot did not survive the restart).

//!
//! ## Life of a RESTORE
//! `statements/restore.rs` validates the statement and the overwrite rules (`restore_check.rs`) without changing
//! anything, creates a missing target database, persists the job (`restore_job.rs`) and starts its
//! thread (`restore_runner.rs`), which stages the files, then commits the tables, their segments and
//! the FINISHED record in one transaction. Before that commit nothing visible changed.

pub(crate) mod backup_job;
pub(crate) mod job_control;
pub(crate) mod manager;
pub(crate) mod repositories;
pub(crate) mod restore_check;
pub(crate) mod restore_job;
pub(crate) mod restore_objects;
pub(crate) mod restore_runner;
pub(crate) mod runner;

/// The threads one backup or restore job moves and hashes its files on: a pool of its own, not rayon's
/// global one, so that statements that use the global pool meanwhile (an INSERT routing its rows) do
/// not queue behind a job's file I/O.
pub(crate) fn file_pool(job: &str) -> Result<rayon::ThreadPool, String> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let name = job.to_string();
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .map_err(|e| backup_job::common_error(&format!("cannot start the job's file threads: {e}")))
}

pub use backup_job::{BackupState, BackupSummary};
pub use restore_job::{RestoreState, RestoreSummary};
