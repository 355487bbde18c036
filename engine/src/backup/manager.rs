//! The database's backup state in memory: open repositories, running jobs, the submission lock, and
//! recovery of jobs a stopped process left unfinished.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tessera_backup::timestamp::now_ms;
use tessera_backup::{BackupError, Repository};
use tessera_storage::{Store, TableDef, TableState, Transaction};

use super::backup_job::{common_error, BackupJob, BackupJobRecord, BackupState, JOB_RECORD};
use super::job_control::JobRecord;
use super::repositories::{RepositoryRecord, REPOSITORY_FORMAT_VERSION, REPOSITORY_RECORD};
use super::restore_job::{RestoreJob, RestoreJobRecord, RestoreState, RESTORE_JOB_RECORD};
use crate::error::{EngineError, Result};

pub(crate) fn backup_error(e: BackupError) -> EngineError {
    match e {
        BackupError::InvalidInput(m) => EngineError::InvalidInput(m),
        BackupError::NotFound(m) => EngineError::NotFound(m),
        BackupError::AlreadyExists(m) => EngineError::AlreadyExists(m),
        BackupError::Corruption(m) => EngineError::Corruption(m),
        e @ BackupError::Io { .. } => EngineError::Io(e.to_string()),
        BackupError::Storage(e) => e.into(),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RepositoryEntry {
    pub record: RepositoryRecord,
    /// `None` when the location could not be opened at startup (then `error` says why).
    pub repository: Option<Arc<Repository>>,
    pub error: Option<String>,
}

/// A job of either kind, as the per-database job slot holds it.
#[derive(Clone)]
pub(crate) enum AnyJob {
    Backup(Arc<BackupJob>),
    Restore(Arc<RestoreJob>),
}

impl AnyJob {
    /// Id, database, repository and whether it is done, read under the record's lock.
    fn key(&self) -> (u64, String, String, bool) {
        fn of<R: JobRecord>(r: &R) -> (u64, String, String, bool) {
            (r.id(), r.database().to_string(), r.repository().to_string(), r.is_done())
        }
        match self {
            AnyJob::Backup(j) => of(&*j.record.lock()),
            AnyJob::Restore(j) => of(&*j.record.lock()),
        }
    }

    fn request_cancel(&self, reason: &str) {
        let _ = match self {
            AnyJob::Backup(j) => j.request_cancel(|_| reason.to_string()).map_err(|_| ()),
            AnyJob::Restore(j) => j.request_cancel(|_| reason.to_string()).map_err(|_| ()),
        };
    }

    fn take_thread(&self) -> Option<std::thread::JoinHandle<()>> {
        match self {
            AnyJob::Backup(j) => j.thread.lock().take(),
            AnyJob::Restore(j) => j.thread.lock().take(),
        }
    }
}

#[derive(Default)]
pub(crate) struct BackupManager {
    repositories: Mutex<BTreeMap<String, RepositoryEntry>>,
    /// Every job of this open, of both kinds, by id (ids grow: the last of a database is its slot).
    jobs: Mutex<BTreeMap<u64, AnyJob>>,
    /// Serializes submissions and repository DDL (StarRocks' "submit" lock).
    pub submit: Mutex<()>,
}

impl BackupManager {
    /// Takes the submission lock, waiting at most 10 s as StarRocks does.
    pub(crate) fn submit_lock(&self) -> Result<parking_lot::MutexGuard<'_, ()>> {
        self.submit.try_lock_for(std::time::Duration::from_secs(10)).ok_or_else(|| {
            EngineError::Conflict("Another backup or restore job is being submitted. Please wait and try again".into())
        })
    }

    /// Loads repositories and jobs from the store; jobs left unfinished by a stopped process are
    /// cancelled with a status that says why, and their leftovers removed.
    pub(crate) fn load(store: &Store) -> Result<BackupManager> {
        let manager = BackupManager::default();
        let state = store.snapshot();
        for (_, bytes) in state.records_of(REPOSITORY_RECORD) {
            let record: RepositoryRecord = serde_json::from_slice(bytes)
                .map_err(|e| EngineError::Corruption(format!("a repository record cannot be read: {e}")))?;
            if record.format > REPOSITORY_FORMAT_VERSION {
                return Err(EngineError::Unsupported(format!(
                    "repository record {} ({}) has format version {}; this build reads up to {REPOSITORY_FORMAT_VERSION}",
                    record.id, record.name, record.format
                )));
            }
            let entry = match Repository::open(
                &record.name,
                &record.location,
                record.read_only,
                store.dir(),
                record.create_time_ms,
            ) {
                Ok(repository) => RepositoryEntry { record, repository: Some(Arc::new(repository)), error: None },
                Err(e) => {
                    let error = Some(format!("{}: {e}", tessera_backup::timestamp::show_time(now_ms())));
                    RepositoryEntry { record, repository: None, error }
                }
            };
            manager.add_repository(entry);
        }
        let mut txn = Transaction::new();
        for (id, bytes) in state.records_of(JOB_RECORD) {
            let mut record = BackupJobRecord::decode(id, bytes)?;
            let repository = manager.repository(&record.repository).and_then(|e| e.repository);
            let manifest_written = repository.as_ref().is_some_and(|r| {
                r.timestamps(&record.label)
                    .map(|ts| ts.iter().flatten().any(|t| t == &record.timestamp))
                    .unwrap_or(false)
            });
            if !record.state.is_done() && manifest_written {
                // Stopped after the manifest was written: the snapshot is complete.
                record.state = BackupState::Finished;
                record.status = super::backup_job::STATUS_OK.to_string();
                record.finished_ms = Some(now_ms());
                txn.put_record(JOB_RECORD, id, record.encode());
            } else if !record.state.is_done() {
                let was = record.state;
                record.state = BackupState::Cancelled;
                record.status = common_error(&format!(
                    "Tessera stopped while the job was in state {was}; nothing was kept, run the backup again"
                ));
                record.finished_ms = Some(now_ms());
                if let Some(repository) = repository {
                    if let Err(e) =
                        repository.remove_unfinished(&record.label).and_then(|_| repository.collect_garbage())
                    {
                        log::warn!("cleaning up backup job {id} in repository {}: {e}", record.repository);
                    }
                }
                txn.put_record(JOB_RECORD, id, record.encode());
            }
            manager.jobs.lock().insert(id, AnyJob::Backup(BackupJob::new(record)));
        }
        for (id, bytes) in state.records_of(RESTORE_JOB_RECORD) {
            let mut record = RestoreJobRecord::decode(id, bytes)?;
            if !record.state.is_done() {
                // The restore commits its data and its FINISHED state together: an unfinished record
                // means nothing was restored (its staging folder was emptied when the store opened).
                let was = record.state;
                record.state = RestoreState::Cancelled;
                record.status = common_error(&format!(
                    "Tessera stopped while the job was in state {was}; nothing was restored, run the restore again"
                ));
                record.finished_ms = Some(now_ms());
                txn.put_record(RESTORE_JOB_RECORD, id, record.encode());
            }
            manager.jobs.lock().insert(id, AnyJob::Restore(RestoreJob::new(record)));
        }
        // No job runs yet: a table left in state RESTORE by a stopped process goes back to NORMAL.
        for table in state.tables.values().filter(|t| t.state == TableState::Restore) {
            let mut def = table.as_ref().clone();
            def.state = TableState::Normal;
            txn.put_table(def);
        }
        if !txn.is_empty() {
            store.commit(txn)?;
        }
        Ok(manager)
    }

    pub(crate) fn repository(&self, name: &str) -> Option<RepositoryEntry> {
        self.repositories.lock().get(name).cloned()
    }

    pub(crate) fn repositories(&self) -> Vec<RepositoryEntry> {
        self.repositories.lock().values().cloned().collect()
    }

    pub(crate) fn add_repository(&self, entry: RepositoryEntry) {
        self.repositories.lock().insert(entry.record.name.clone(), entry);
    }

    pub(crate) fn remove_repository(&self, name: &str) {
        self.repositories.lock().remove(name);
    }

    pub(crate) fn add_job(&self, job: Arc<BackupJob>) {
        let id = job.id();
        self.jobs.lock().insert(id, AnyJob::Backup(job));
    }

    pub(crate) fn add_restore(&self, job: Arc<RestoreJob>) {
        let id = job.id();
        self.jobs.lock().insert(id, AnyJob::Restore(job));
    }

    pub(crate) fn job(&self, id: u64) -> Option<Arc<BackupJob>> {
        match self.jobs.lock().get(&id) {
            Some(AnyJob::Backup(job)) => Some(job.clone()),
            _ => None,
        }
    }

    pub(crate) fn restore(&self, id: u64) -> Option<Arc<RestoreJob>> {
        match self.jobs.lock().get(&id) {
            Some(AnyJob::Restore(job)) => Some(job.clone()),
            _ => None,
        }
    }

    /// Each database's job slot: its most recent job, of either kind (StarRocks keeps one per
    /// database, shared by BACKUP and RESTORE: a later restore hides an earlier backup and back).
    fn slots(&self) -> BTreeMap<String, AnyJob> {
        let mut out = BTreeMap::new();
        for job in self.jobs.lock().values() {
            out.insert(job.key().1, job.clone()); // ids grow, so the last one wins
        }
        out
    }

    /// The databases whose slot holds a backup, with it.
    pub(crate) fn latest_backups(&self) -> BTreeMap<String, Arc<BackupJob>> {
        self.slots()
            .into_iter()
            .filter_map(|(db, job)| match job {
                AnyJob::Backup(job) => Some((db, job)),
                AnyJob::Restore(_) => None,
            })
            .collect()
    }

    /// The databases whose slot holds a restore, with it.
    pub(crate) fn latest_restores(&self) -> BTreeMap<String, Arc<RestoreJob>> {
        self.slots()
            .into_iter()
            .filter_map(|(db, job)| match job {
                AnyJob::Restore(job) => Some((db, job)),
                AnyJob::Backup(_) => None,
            })
            .collect()
    }

    /// True when a backup or restore of `database` has not finished (the one-job-per-database slot).
    pub(crate) fn database_busy(&self, database: &str) -> bool {
        self.jobs.lock().values().any(|j| {
            let (_, db, _, done) = j.key();
            db == database && !done
        })
    }

    /// Refuses writes and DDL on a table a running restore will overwrite (`table` must be the
    /// definition read under the table's lock).
    pub(crate) fn check_not_restoring(&self, table: &TableDef) -> Result<()> {
        if table.state == TableState::Restore {
            return Err(EngineError::Conflict(format!(
                "Table {} is in restore process. Can not load into it",
                table.name
            )));
        }
        Ok(())
    }

    pub(crate) fn running_job_on_repository(&self, repository: &str) -> bool {
        self.jobs.lock().values().any(|j| {
            let (_, _, repo, done) = j.key();
            repo == repository && !done
        })
    }

    /// The backup jobs still running.
    pub(crate) fn running_backups(&self) -> Vec<Arc<BackupJob>> {
        self.jobs
            .lock()
            .values()
            .filter_map(|j| match j {
                AnyJob::Backup(job) if !job.record.lock().state.is_done() => Some(job.clone()),
                _ => None,
            })
            .collect()
    }

    /// Ids of the jobs of either kind still running.
    pub(crate) fn running_job_ids(&self) -> Vec<u64> {
        self.jobs.lock().values().map(AnyJob::key).filter(|k| !k.3).map(|k| k.0).collect()
    }

    /// Asks every running job to stop and waits for each (used when the database closes).
    pub(crate) fn cancel_all(&self, reason: &str) {
        let jobs: Vec<AnyJob> = self.jobs.lock().values().cloned().collect();
        for job in &jobs {
            job.request_cancel(reason);
        }
        let threads: Vec<_> = jobs.iter().filter_map(AnyJob::take_thread).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}
