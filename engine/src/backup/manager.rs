//! The database's backup state in memory: open repositories, running jobs, the submission lock, and
//! recovery of jobs a stopped process left unfinished.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use tessera_backup::timestamp::now_ms;
use tessera_backup::{BackupError, Repository};
use tessera_storage::{Store, TableDef, TableState, Transaction};

use super::job::{common_error, BackupJobRecord, BackupState, JOB_RECORD};
use super::repositories::{RepositoryRecord, REPOSITORY_RECORD};
use super::restore_job::{RestoreControl, RestoreJobRecord, RestoreState, RESTORE_JOB_RECORD};
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

/// Shared between a running job's thread and the statements that watch or cancel it.
pub(crate) struct JobControl {
    pub record: Mutex<BackupJobRecord>,
    pub cancel: Mutex<Option<String>>,
    pub done: Condvar,
    pub thread: Mutex<Option<JoinHandle<()>>>,
}

impl JobControl {
    pub(crate) fn new(record: BackupJobRecord) -> Arc<JobControl> {
        Arc::new(JobControl {
            record: Mutex::new(record),
            cancel: Mutex::new(None),
            done: Condvar::new(),
            thread: Mutex::new(None),
        })
    }

    pub(crate) fn snapshot(&self) -> BackupJobRecord {
        self.record.lock().clone()
    }

    /// Blocks until the job has reached FINISHED or CANCELLED.
    pub(crate) fn wait(&self) -> BackupJobRecord {
        let mut record = self.record.lock();
        while !record.state.is_done() {
            self.done.wait(&mut record);
        }
        record.clone()
    }
}

#[derive(Default)]
pub(crate) struct BackupManager {
    repositories: Mutex<BTreeMap<String, RepositoryEntry>>,
    jobs: Mutex<BTreeMap<u64, Arc<JobControl>>>,
    restores: Mutex<BTreeMap<u64, Arc<RestoreControl>>>,
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
            let Some(mut record) = BackupJobRecord::decode(bytes) else {
                return Err(EngineError::Corruption(format!("backup job record {id} cannot be read")));
            };
            let repository = manager.repository(&record.repository).and_then(|e| e.repository);
            let manifest_written = repository.as_ref().is_some_and(|r| {
                r.timestamps(&record.label)
                    .map(|ts| ts.iter().flatten().any(|t| t == &record.timestamp))
                    .unwrap_or(false)
            });
            if !record.state.is_done() && manifest_written {
                // Stopped after the manifest was written: the snapshot is complete.
                record.state = BackupState::Finished;
                record.status = super::job::STATUS_OK.to_string();
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
            manager.jobs.lock().insert(id, JobControl::new(record));
        }
        for (id, bytes) in state.records_of(RESTORE_JOB_RECORD) {
            let Some(mut record) = RestoreJobRecord::decode(bytes) else {
                return Err(EngineError::Corruption(format!("restore job record {id} cannot be read")));
            };
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
            manager.restores.lock().insert(id, RestoreControl::new(record));
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

    pub(crate) fn add_job(&self, job: Arc<JobControl>) {
        let id = job.record.lock().id;
        self.jobs.lock().insert(id, job);
    }

    pub(crate) fn add_restore(&self, job: Arc<RestoreControl>) {
        let id = job.record.lock().id;
        self.restores.lock().insert(id, job);
    }

    pub(crate) fn restore(&self, id: u64) -> Option<Arc<RestoreControl>> {
        self.restores.lock().get(&id).cloned()
    }

    /// The most recent restore job of each database, for databases whose slot holds a restore (the
    /// slot is shared with BACKUP: a later backup hides an earlier restore).
    pub(crate) fn latest_restores(&self) -> BTreeMap<String, Arc<RestoreControl>> {
        let backups: BTreeMap<String, u64> =
            self.latest_jobs().into_iter().map(|(db, j)| (db, j.record.lock().id)).collect();
        let mut out: BTreeMap<String, Arc<RestoreControl>> = BTreeMap::new();
        for job in self.restores.lock().values() {
            let (database, id) = {
                let r = job.record.lock();
                (r.database.clone(), r.id)
            };
            if backups.get(&database).is_none_or(|b| *b < id) {
                out.insert(database, job.clone());
            }
        }
        out
    }

    /// True when a backup or restore of `database` has not finished (the one-job-per-database slot).
    pub(crate) fn database_busy(&self, database: &str) -> bool {
        let backup = self.jobs.lock().values().any(|j| {
            let r = j.record.lock();
            r.database == database && !r.state.is_done()
        });
        backup
            || self.restores.lock().values().any(|j| {
                let r = j.record.lock();
                r.database == database && !r.state.is_done()
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

    pub(crate) fn running_restores(&self) -> Vec<Arc<RestoreControl>> {
        self.restores.lock().values().filter(|j| !j.record.lock().state.is_done()).cloned().collect()
    }

    pub(crate) fn job(&self, id: u64) -> Option<Arc<JobControl>> {
        self.jobs.lock().get(&id).cloned()
    }

    /// The most recent backup job of each database (the slot StarRocks keeps per database).
    pub(crate) fn latest_jobs(&self) -> BTreeMap<String, Arc<JobControl>> {
        let mut out: BTreeMap<String, Arc<JobControl>> = BTreeMap::new();
        for job in self.jobs.lock().values() {
            let database = job.record.lock().database.clone();
            out.insert(database, job.clone()); // ids grow, so the last one wins
        }
        out
    }

    /// The most recent backup job of each database whose slot holds a backup (a later restore of the
    /// same database hides it, as StarRocks' shared slot does).
    pub(crate) fn latest_backups(&self) -> BTreeMap<String, Arc<JobControl>> {
        let mut out = self.latest_jobs();
        let restores = self.restores.lock();
        out.retain(|db, job| {
            let id = job.record.lock().id;
            !restores.values().any(|r| {
                let r = r.record.lock();
                &r.database == db && r.id > id
            })
        });
        out
    }

    pub(crate) fn running_job_on_repository(&self, repository: &str) -> bool {
        self.jobs.lock().values().any(|j| {
            let r = j.record.lock();
            r.repository == repository && !r.state.is_done()
        }) || self.restores.lock().values().any(|j| {
            let r = j.record.lock();
            r.repository == repository && !r.state.is_done()
        })
    }

    pub(crate) fn running_jobs(&self) -> Vec<Arc<JobControl>> {
        self.jobs.lock().values().filter(|j| !j.record.lock().state.is_done()).cloned().collect()
    }

    /// Asks every running job to stop and waits for each (used when the database closes).
    pub(crate) fn cancel_all(&self, reason: &str) {
        for job in self.running_jobs() {
            *job.cancel.lock() = Some(reason.to_string());
        }
        for job in self.running_restores() {
            *job.cancel.lock() = Some(reason.to_string());
        }
        let mut threads: Vec<_> = self.jobs.lock().values().filter_map(|j| j.thread.lock().take()).collect();
        threads.extend(self.restores.lock().values().filter_map(|j| j.thread.lock().take()));
        for t in threads {
            let _ = t.join();
        }
    }
}
