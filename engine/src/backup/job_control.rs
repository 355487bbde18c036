//! What BACKUP and RESTORE jobs share: the record trait every job record implements (storage kind,
//! format version, the fields the framework reads), and [`JobControl`], the block a running job's
//! thread shares with the statements and API calls that watch or cancel it.
//!
//! The rules, the same for both kinds:
//! - **Decoding** refuses a record of a newer format (written by a newer Tessera), naming it, as the
//!   manifest decoder does; older records load with their missing fields defaulted.
//! - **Cancel**: a cancel request is recorded under the record's lock, and only while the job is not
//!   done, so a job that has just ended is never marked cancelled; the job stops at its next step.
//! - **Durability**: progress is saved without waiting for the disk (a crash that loses it finds the
//!   job unfinished either way, and the next open cancels it); a job's end (FINISHED or CANCELLED) is
//!   saved durably. (A RESTORE's FINISHED is committed with the restored data, outside this file.)

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_storage::{Store, Transaction};

use tessera_backup::timestamp::now_ms;

use super::backup_job::common_error;
use crate::error::{EngineError, Result};

/// A job's persisted record, as the framework sees it.
pub(crate) trait JobRecord: Clone + Serialize + DeserializeOwned + Send + 'static {
    type State: Copy + Eq + std::fmt::Display + Send;
    /// The storage record kind (`record/<KIND>/<id>`).
    const KIND: &'static str;
    /// The newest record format this build writes and reads.
    const FORMAT_VERSION: u32;

    fn id(&self) -> u64;
    fn format(&self) -> u32;
    /// The database whose job slot the job takes.
    fn database(&self) -> &str;
    fn repository(&self) -> &str;
    fn state(&self) -> Self::State;
    fn label(&self) -> &str;
    fn set_state(&mut self, state: Self::State);
    /// FINISHED or CANCELLED.
    fn is_done(&self) -> bool;
    fn is_cancelled(&self) -> bool;
    /// The status of this job when it runs out of time, as StarRocks words it for its kind.
    fn timeout_status(&self) -> String;

    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a job record is plain data with string keys: encoding it cannot fail")
    }

    /// Decodes record `id`; a damaged record or one of a newer format is an error naming it.
    fn decode(id: u64, bytes: &[u8]) -> Result<Self> {
        let record: Self = serde_json::from_slice(bytes)
            .map_err(|e| EngineError::Corruption(format!("{} job record {id} cannot be read: {e}", Self::KIND)))?;
        if record.format() > Self::FORMAT_VERSION {
            return Err(EngineError::Unsupported(format!(
                "{} job record {id} has format version {}; this build reads up to {}",
                Self::KIND,
                record.format(),
                Self::FORMAT_VERSION
            )));
        }
        Ok(record)
    }
}

/// Shared between a running job's thread and the statements that watch or cancel it.
pub(crate) struct JobControl<R: JobRecord> {
    pub record: Mutex<R>,
    /// Why the job was asked to stop; set only through [`JobControl::request_cancel`].
    cancel: Mutex<Option<String>>,
    pub done: Condvar,
    pub thread: Mutex<Option<JoinHandle<()>>>,
}

impl<R: JobRecord> JobControl<R> {
    pub(crate) fn new(record: R) -> Arc<JobControl<R>> {
        Arc::new(JobControl {
            record: Mutex::new(record),
            cancel: Mutex::new(None),
            done: Condvar::new(),
            thread: Mutex::new(None),
        })
    }

    pub(crate) fn snapshot(&self) -> R {
        self.record.lock().clone()
    }

    pub(crate) fn id(&self) -> u64 {
        self.record.lock().id()
    }

    /// Blocks until the job has reached FINISHED or CANCELLED.
    pub(crate) fn wait(&self) -> R {
        let mut record = self.record.lock();
        while !record.is_done() {
            self.done.wait(&mut record);
        }
        record.clone()
    }

    /// Asks the job to stop with `reason` (built from the state it is in). Refused, with the record,
    /// when the job is done already.
    pub(crate) fn request_cancel(&self, reason: impl FnOnce(R::State) -> String) -> std::result::Result<(), R> {
        let record = self.record.lock();
        if record.is_done() {
            return Err(record.clone());
        }
        *self.cancel.lock() = Some(reason(record.state()));
        Ok(())
    }

    /// Why the job was asked to stop, if it was.
    pub(crate) fn cancel_reason(&self) -> Option<String> {
        self.cancel.lock().clone()
    }

    /// Stops the job (`Err` with the status it ends with) if it was cancelled or has run past
    /// `deadline_ms`.
    pub(crate) fn check(&self, deadline_ms: i64) -> std::result::Result<(), String> {
        if let Some(reason) = self.cancel_reason() {
            return Err(common_error(&reason));
        }
        if now_ms() > deadline_ms {
            return Err(self.record.lock().timeout_status());
        }
        Ok(())
    }

    /// Moves the job to `state` (with `change`), saves it, tells `hook`, then [`JobControl::check`]s:
    /// so a job can be cancelled in every state.
    pub(crate) fn enter(
        &self,
        store: &Store,
        state: R::State,
        change: impl FnOnce(&mut R),
        hook: Option<&(dyn Fn(u64, R::State) + Send + Sync)>,
        deadline_ms: i64,
    ) -> std::result::Result<(), String> {
        self.update(store, |r| {
            r.set_state(state);
            change(r);
        })?;
        if let Some(hook) = hook {
            hook(self.id(), state);
        }
        self.check(deadline_ms)
    }

    /// Applies `change` to the record and saves it: durably when the job has ended, otherwise without
    /// waiting for the disk.
    pub(crate) fn update(&self, store: &Store, change: impl FnOnce(&mut R)) -> std::result::Result<(), String> {
        let record = {
            let mut record = self.record.lock();
            change(&mut record);
            record.clone()
        };
        let mut txn = Transaction::new();
        if !record.is_done() {
            txn.without_sync();
        }
        txn.put_record(R::KIND, record.id(), record.encode());
        store.commit(txn).map(|_| ()).map_err(|e| common_error(&format!("cannot save the job state: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::backup_job::{BackupJob, BackupJobRecord, BackupState, JOB_FORMAT_VERSION};
    use crate::backup::restore_job::{RestoreJobRecord, RestoreState, RESTORE_JOB_FORMAT_VERSION};

    fn backup(state: BackupState) -> BackupJobRecord {
        BackupJobRecord {
            format: JOB_FORMAT_VERSION,
            id: 7,
            label: "l".into(),
            timestamp: "2026-01-01-00-00-00-000".into(),
            database: "d".into(),
            database_id: 3,
            repository: "r".into(),
            state,
            objects: vec![],
            create_time_ms: 0,
            snapshot_finished_ms: None,
            upload_finished_ms: None,
            finished_ms: None,
            timeout_s: 600,
            status: "[OK]".into(),
            files_total: 0,
            files_done: 0,
            bytes_total: 0,
            bytes_done: 0,
            files_deduplicated: 0,
        }
    }

    /// The record as JSON with its `format` replaced.
    fn with_format(bytes: &[u8], format: u32) -> Vec<u8> {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        value["format"] = format.into();
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn both_kinds_refuse_a_record_of_a_newer_format_and_name_it() {
        let bytes = backup(BackupState::Finished).encode();
        assert_eq!(BackupJobRecord::decode(7, &bytes).unwrap(), backup(BackupState::Finished));
        let err = BackupJobRecord::decode(7, &with_format(&bytes, JOB_FORMAT_VERSION + 1)).unwrap_err();
        assert!(
            matches!(err, EngineError::Unsupported(_)) && err.to_string().contains("backup_job job record 7"),
            "{err}"
        );

        let restore = serde_json::json!({
            "format": RESTORE_JOB_FORMAT_VERSION, "id": 9, "label": "l", "timestamp": "t", "database": "d",
            "repository": "r", "state": "FINISHED", "allow_load": false, "replication_num": 1, "objects": [],
            "create_time_ms": 0, "timeout_s": 600, "status": "[OK]"
        });
        let bytes = serde_json::to_vec(&restore).unwrap();
        assert_eq!(RestoreJobRecord::decode(9, &bytes).unwrap().state, RestoreState::Finished);
        let err = RestoreJobRecord::decode(9, &with_format(&bytes, RESTORE_JOB_FORMAT_VERSION + 1)).unwrap_err();
        assert!(err.to_string().contains("restore_job job record 9"), "{err}");
        let err = RestoreJobRecord::decode(9, b"{not json").unwrap_err();
        assert!(matches!(err, EngineError::Corruption(_)), "{err}");
    }

    #[test]
    fn a_job_that_has_ended_cannot_be_marked_cancelled() {
        let running = BackupJob::new(backup(BackupState::Uploading));
        assert!(running.request_cancel(|state| format!("stop in {state}")).is_ok());
        assert_eq!(running.cancel_reason().as_deref(), Some("stop in UPLOADING"));
        let ended = BackupJob::new(backup(BackupState::Finished));
        let refused = ended.request_cancel(|_| "too late".into()).unwrap_err();
        assert_eq!(refused.state, BackupState::Finished);
        assert_eq!(ended.cancel_reason(), None, "a finished job is never marked cancelled");
    }
}
