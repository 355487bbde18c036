//! The persisted record of a backup job, its states, and what the Rust API reports about it.

use serde::{Deserialize, Serialize};

use super::job_control::{JobControl, JobRecord};

/// A backup job's control block (see `job_control.rs`).
pub(crate) type BackupJob = JobControl<BackupJobRecord>;

/// Storage record kind of backup jobs.
pub(crate) const JOB_RECORD: &str = "backup_job";
pub(crate) const JOB_FORMAT_VERSION: u32 = 1;

/// StarRocks' BACKUP states, in order (note the single-T SNAPSHOTING).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackupState {
    Pending,
    Snapshoting,
    UploadSnapshot,
    Uploading,
    SaveMeta,
    UploadInfo,
    Finished,
    Cancelled,
}

impl BackupState {
    pub fn is_done(self) -> bool {
        matches!(self, BackupState::Finished | BackupState::Cancelled)
    }

    pub fn name(self) -> &'static str {
        match self {
            BackupState::Pending => "PENDING",
            BackupState::Snapshoting => "SNAPSHOTING",
            BackupState::UploadSnapshot => "UPLOAD_SNAPSHOT",
            BackupState::Uploading => "UPLOADING",
            BackupState::SaveMeta => "SAVE_META",
            BackupState::UploadInfo => "UPLOAD_INFO",
            BackupState::Finished => "FINISHED",
            BackupState::Cancelled => "CANCELLED",
        }
    }
}

impl std::fmt::Display for BackupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A backup job as persisted (storage record `backup_job/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BackupJobRecord {
    pub format: u32,
    pub id: u64,
    pub label: String,
    pub timestamp: String,
    pub database: String,
    pub database_id: u64,
    pub repository: String,
    pub state: BackupState,
    /// BackupObjs as SHOW BACKUP prints them: `[db.t]`, `[db.t PARTITION (p1, p2)]`.
    pub objects: Vec<String>,
    pub create_time_ms: i64,
    #[serde(default)]
    pub snapshot_finished_ms: Option<i64>,
    #[serde(default)]
    pub upload_finished_ms: Option<i64>,
    #[serde(default)]
    pub finished_ms: Option<i64>,
    pub timeout_s: u64,
    /// `[OK]`, `[COMMON_ERROR, msg: ...]`, `[TIMEOUT, msg: ]`.
    pub status: String,
    #[serde(default)]
    pub files_total: u64,
    #[serde(default)]
    pub files_done: u64,
    #[serde(default)]
    pub bytes_total: u64,
    #[serde(default)]
    pub bytes_done: u64,
    /// Files the repository already had (stored by an earlier backup).
    #[serde(default)]
    pub files_deduplicated: u64,
}

impl JobRecord for BackupJobRecord {
    type State = BackupState;
    const KIND: &'static str = JOB_RECORD;
    const FORMAT_VERSION: u32 = JOB_FORMAT_VERSION;

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
    fn state(&self) -> BackupState {
        self.state
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn is_cancelled(&self) -> bool {
        self.state == BackupState::Cancelled
    }
    fn set_state(&mut self, state: BackupState) {
        self.state = state;
    }
    fn is_done(&self) -> bool {
        self.state.is_done()
    }
    fn timeout_status(&self) -> String {
        STATUS_TIMEOUT.to_string()
    }
}

impl BackupJobRecord {
    pub(crate) fn summary(&self) -> BackupSummary {
        BackupSummary {
            id: self.id,
            label: self.label.clone(),
            database: self.database.clone(),
            state: self.state,
            status: self.status.clone(),
            files_total: self.files_total,
            files_done: self.files_done,
            bytes_total: self.bytes_total,
            bytes_done: self.bytes_done,
            files_deduplicated: self.files_deduplicated,
            timestamp: self.timestamp.clone(),
            cancel_requested: false,
        }
    }
}

/// What the Rust API reports about a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub id: u64,
    pub label: String,
    pub database: String,
    pub state: BackupState,
    pub status: String,
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub files_deduplicated: u64,
    /// The backup timestamp (`yyyy-MM-dd-HH-mm-ss-SSS`).
    pub timestamp: String,
    /// A CANCEL (or close) asked the job to stop; it stops at its next step.
    pub cancel_requested: bool,
}

pub(crate) fn common_error(message: &str) -> String {
    format!("[COMMON_ERROR, msg: {message}]")
}

pub(crate) const STATUS_OK: &str = "[OK]";
pub(crate) const STATUS_TIMEOUT: &str = "[TIMEOUT, msg: ]";
