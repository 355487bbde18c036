//! The thread that runs one backup job from its pinned hard-link snapshot to FINISHED or CANCELLED.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;
use tessera_backup::timestamp::now_ms;
use tessera_backup::{Manifest, ManifestTable, ManifestTablet, Repository, MANIFEST_FORMAT_VERSION};
use tessera_storage::{Store, TableDef, TabletSnapshot};

use super::backup_job::BackupJob;
use super::backup_job::{common_error, BackupJobRecord, BackupState, STATUS_OK};

/// Everything a job needs, fixed at submission.
pub(crate) struct JobPlan {
    /// Each table's definition (restricted to the backed-up partitions) and its tablets as pinned.
    pub tables: Vec<(TableDef, Vec<TabletSnapshot>)>,
    /// The views and function overloads in the job, as they were at submission.
    pub views: Vec<tessera_storage::ViewDef>,
    pub functions: Vec<tessera_storage::FunctionDef>,
    /// The hard-link snapshot folder name under `snapshots/`.
    pub snapshot_name: String,
    /// Pause after each uploaded file (tests use it to watch and cancel a job mid-way).
    pub file_delay: Duration,
    /// When the job times out, in milliseconds since the epoch.
    pub deadline_ms: i64,
    /// Told of every state the job enters.
    pub hook: Option<crate::database::JobHook>,
}

pub(crate) fn start(store: Arc<Store>, repository: Arc<Repository>, job: Arc<BackupJob>, plan: JobPlan) {
    let worker = job.clone();
    let id = job.record.lock().id;
    let spawned = std::thread::Builder::new()
        .name(format!("tessera-backup-{id}"))
        .spawn(move || run(&store, &repository, &worker, &plan));
    match spawned {
        Ok(handle) => *job.thread.lock() = Some(handle),
        Err(e) => {
            let mut record = job.record.lock();
            record.state = BackupState::Cancelled;
            record.status = common_error(&format!("cannot start the job thread: {e}"));
            record.finished_ms = Some(now_ms());
            job.done.notify_all();
        }
    }
}

fn run(store: &Store, repository: &Repository, job: &BackupJob, plan: &JobPlan) {
    let files = distinct_files(plan);
    repository.claim(files.keys().map(String::as_str));
    // A panic (a bug, or a hook that panics) must still end the job and wake whoever waits on it.
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| steps(store, repository, job, plan, &files)))
            .unwrap_or_else(|_| Err(common_error("internal error: the job stopped unexpectedly")));
    if let Err(e) = store.release_snapshot(&plan.snapshot_name) {
        log::warn!("releasing snapshot {}: {e}", plan.snapshot_name);
    }
    repository.unclaim(files.keys().map(String::as_str));
    if let Err(status) = outcome {
        let label = job.record.lock().label.clone();
        // Remove what the job wrote: the unfinished snapshot folder and data files no manifest needs.
        if let Err(e) = repository.remove_unfinished(&label).and_then(|_| repository.collect_garbage()) {
            log::warn!("cleaning up after backup {label}: {e}");
        }
        let _ = job.update(store, |r| {
            r.state = BackupState::Cancelled;
            r.status = status;
            r.finished_ms = Some(now_ms());
        });
    }
    let _record = job.record.lock();
    job.done.notify_all();
}

/// Each data file once (by checksum) with the snapshot link to upload it from.
fn distinct_files(plan: &JobPlan) -> BTreeMap<String, (PathBuf, u64)> {
    let mut files = BTreeMap::new();
    for (_, tablets) in &plan.tables {
        for tablet in tablets {
            for (meta, path) in &tablet.segments {
                files.entry(meta.checksum.clone()).or_insert_with(|| (path.clone(), meta.bytes));
            }
        }
    }
    files
}

/// [`JobControl::enter`](super::job_control::JobControl::enter) with the plan's hook and deadline.
fn enter(
    store: &Store,
    job: &BackupJob,
    plan: &JobPlan,
    state: BackupState,
    change: impl FnOnce(&mut BackupJobRecord),
) -> Result<(), String> {
    job.enter(store, state, change, plan.hook.as_ref().map(|h| &*h.0), plan.deadline_ms)
}

fn check(job: &BackupJob, plan: &JobPlan) -> Result<(), String> {
    job.check(plan.deadline_ms)
}

fn steps(
    store: &Store,
    repository: &Repository,
    job: &BackupJob,
    plan: &JobPlan,
    files: &BTreeMap<String, (PathBuf, u64)>,
) -> Result<(), String> {
    // The hard-link snapshot was taken at submission: SNAPSHOTING is already done.
    enter(store, job, plan, BackupState::Snapshoting, |_| {})?;
    enter(store, job, plan, BackupState::UploadSnapshot, |r| {
        r.snapshot_finished_ms = Some(now_ms());
        r.files_total = files.len() as u64;
        r.bytes_total = files.values().map(|(_, bytes)| bytes).sum();
    })?;
    enter(store, job, plan, BackupState::Uploading, |_| {})?;
    // Files are uploaded (linked, or copied and hashed) on every core at once; the first failure stops
    // the rest. Each is durable in the repository before the manifest that names it is written.
    let pool = super::file_pool(&format!("tessera-backup-{}", job.record.lock().id))?;
    pool.install(|| {
        files.par_iter().try_for_each(|(checksum, (path, bytes))| {
            check(job, plan)?;
            let stored = repository
                .upload(checksum, *bytes, path)
                .map_err(|e| common_error(&format!("uploading {} failed: {e}", path.display())))?;
            let mut record = job.record.lock();
            record.files_done += 1;
            record.bytes_done += bytes;
            if stored.is_none() {
                record.files_deduplicated += 1;
            }
            drop(record);
            if !plan.file_delay.is_zero() {
                std::thread::sleep(plan.file_delay);
            }
            Ok::<(), String>(())
        })
    })?;
    check(job, plan)?;
    enter(store, job, plan, BackupState::SaveMeta, |r| r.upload_finished_ms = Some(now_ms()))?;
    let record = job.record.lock().clone();
    let manifest = Manifest {
        format: MANIFEST_FORMAT_VERSION,
        label: record.label.clone(),
        timestamp: record.timestamp.clone(),
        database: record.database.clone(),
        database_id: record.database_id,
        backup_time_ms: record.create_time_ms,
        finish_time_ms: now_ms(),
        tables: plan
            .tables
            .iter()
            .map(|(definition, tablets)| ManifestTable {
                definition: definition.clone(),
                tablets: tablets
                    .iter()
                    .map(|t| ManifestTablet {
                        tablet: t.tablet,
                        partition: t.partition,
                        version: t.version,
                        segments: t.segments.iter().map(|(meta, _)| meta.clone()).collect(),
                        deletes: ManifestTablet::encode_deletes(t.deletes.iter().map(|(id, dv)| (id, dv.as_ref()))),
                    })
                    .collect(),
            })
            .collect(),
        views: plan.views.clone(),
        functions: plan.functions.clone(),
    };
    enter(store, job, plan, BackupState::UploadInfo, |_| {})?;
    repository.write_manifest(&manifest).map_err(|e| common_error(&format!("writing the manifest failed: {e}")))?;
    job.update(store, |r| {
        r.state = BackupState::Finished;
        r.status = STATUS_OK.to_string();
        r.finished_ms = Some(now_ms());
    })?;
    Ok(())
}
