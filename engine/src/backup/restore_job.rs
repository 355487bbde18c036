//! The persisted record of a restore job, its states, and what the Rust API reports about it.
//!
//! What stays true: a record in a non-terminal state exists only while its job thread runs in this
//! process; on open, such a record is turned into CANCELLED (see `manager.rs`). The FINISHED record is
//! written in the same transaction as the restored data.

use serde::{Deserialize, Serialize};

use super::job_control::{JobControl, JobRecord};

/// A restore job's control block (see `job_control.rs`).
pub(crate) type RestoreJob = JobControl<RestoreJobRecord>;

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

impl JobRecord for RestoreJobRecord {
    type State = RestoreState;
    const KIND: &'static str = RESTORE_JOB_RECORD;
    const FORMAT_VERSION: u32 = RESTORE_JOB_FORMAT_VERSION;

    fn id(&self) -> u64 {
        self.id
    }
    fn format(&self) -> u32 {
        self.format
    }
    fn database(&self) -> &str {
        &self.database
    }
    fn repository(&self) -> &str {
        &self.repository
    }
    fn state(&self) -> RestoreState {
        self.state
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn is_cancelled(&self) -> bool {
        self.state == RestoreState::Cancelled
    }
    fn set_state(&mut self, state: RestoreState) {
        self.state = state;
    }
    fn is_done(&self) -> bool {
        self.state.is_done()
    }
    fn timeout_status(&self) -> String {
        timeout_status(&self.label)
    }
}

impl RestoreJobRecord {
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

/// The status of a restore stopped by CANCEL RESTORE, as StarRocks words it.
pub(crate) fn user_cancelled(state: RestoreState) -> String {
    format!("user cancelled, current state: {state}")
}

/// The status of a restore that ran out of time (two spaces, as StarRocks).
pub(crate) fn timeout_status(label: &str) -> String {
    format!("[TIMEOUT, msg: restore job with label: {label}  timeout.]")
}
