//! The persisted record of a restore job, its states, what the Rust API reports about it, and the
//! control block a running job shares with the statements that watch or cancel it.
//!
//! What stays true: a record in a non-terminal state exists only while its job thread runs in this
//! process; on open, such a record is turned into CANCELLED (see `manager.rs`). The FINISHED record is
//! written in the same transaction as the restored data.

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use serde::{Deserialize, Serialize};

/// Storage record kind of restore jobs.
pub(crate) const RESTORE_JOB_RECORD: &str = "restore_job";
pub(crate) const RESTORE_JOB_FORMAT_VERSION: u32 = 1;

/// StarRocks' RESTORE states, in order (note the single-T SNAPSHOTING).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RestoreState {
    Pending,
    Snapshoting,
    Download,
    Downloading,
    Commit,
    Committing,
    Finished,
    Cancelled,
}

impl RestoreState {
    pub fn is_done(self) -> bool {
        matches!(self, RestoreState::Finished | RestoreState::Cancelled)
    }

    pub fn name(self) -> &'static str {
        match self {
            RestoreState::Pending => "PENDING",
            RestoreState::Snapshoting => "SNAPSHOTING",
            RestoreState::Download => "DOWNLOAD",
            RestoreState::Downloading => "DOWNLOADING",
            RestoreState::Commit => "COMMIT",
            RestoreState::Committing => "COMMITTING",
            RestoreState::Finished => "FINISHED",
            RestoreState::Cancelled => "CANCELLED",
        }
    }
}

impl std::fmt::Display for RestoreState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A restore job as persisted (storage record `restore_job/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RestoreJobRecord {
    pub format: u32,
    pub id: u64,
    pub label: String,
    /// The backup timestamp restored.
    pub timestamp: String,
    /// The target database.
    pub database: String,
    pub repository: String,
    pub state: RestoreState,
    pub allow_load: bool,
    pub replication_num: u32,
    /// RestoreObjs as SHOW RESTORE prints them (snapshot names): `t PARTITIONS [p1, p2]`, `t2`.
    pub objects: Vec<String>,
    pub create_time_ms: i64,
    #[serde(default)]
    pub meta_prepared_ms: Option<i64>,
    #[serde(default)]
    pub snapshot_finished_ms: Option<i64>,
    #[serde(default)]
    pub download_finished_ms: Option<i64>,
    #[serde(default)]
    pub finished_ms: Option<i64>,
    pub timeout_s: u64,
    /// `[OK]`, `[COMMON_ERROR, msg: ...]`, `[TIMEOUT, msg: ...]`.
    pub status: String,
    #[serde(default)]
    pub files_total: u64,
    #[serde(default)]
    pub files_done: u64,
    #[serde(default)]
    pub bytes_total: u64,
    #[serde(default)]
    pub bytes_done: u64,
}

impl RestoreJobRecord {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a job record is plain data with string keys: encoding it cannot fail")
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<RestoreJobRecord> {
        serde_json::from_slice(bytes).ok()
    }

    pub(crate) fn summary(&self) -> RestoreSummary {
        RestoreSummary {
            id: self.id,
            label: self.label.clone(),
            database: self.database.clone(),
            state: self.state,
            status: self.status.clone(),
            files_total: self.files_total,
            files_done: self.files_done,
            timestamp: self.timestamp.clone(),
            cancel_requested: false,
        }
    }
}

/// What the Rust API reports about a restore job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    pub id: u64,
    pub label: String,
    /// The target database.
    pub database: String,
    pub state: RestoreState,
    pub status: String,
    pub files_total: u64,
    pub files_done: u64,
    /// The backup timestamp restored.
    pub timestamp: String,
    /// A CANCEL (or close) asked the job to stop; it stops at its next step.
    pub cancel_requested: bool,
}

/// Shared between a running restore job's thread and the statements that watch or cancel it.
pub(crate) struct RestoreControl {
    pub record: Mutex<RestoreJobRecord>,
    pub cancel: Mutex<Option<String>>,
    pub done: Condvar,
    pub thread: Mutex<Option<JoinHandle<()>>>,
}

impl RestoreControl {
    pub(crate) fn new(record: RestoreJobRecord) -> Arc<RestoreControl> {
        Arc::new(RestoreControl {
            record: Mutex::new(record),
            cancel: Mutex::new(None),
            done: Condvar::new(),
            thread: Mutex::new(None),
        })
    }

    pub(crate) fn snapshot(&self) -> RestoreJobRecord {
        self.record.lock().clone()
    }

    /// Blocks until the job has reached FINISHED or CANCELLED.
    pub(crate) fn wait(&self) -> RestoreJobRecord {
        let mut record = self.record.lock();
        while !record.state.is_done() {
            self.done.wait(&mut record);
        }
        record.clone()
    }
}

/// The status of a restore stopped by CANCEL RESTORE, as StarRocks words it.
pub(crate) fn user_cancelled(state: RestoreState) -> String {
    format!("user cancelled, current state: {state}")
}

/// The status of a restore that ran out of time (two spaces, as StarRocks).
pub(crate) fn timeout_status(label: &str) -> String {
    format!("[TIMEOUT, msg: restore job with label: {label}  timeout.]")
}
