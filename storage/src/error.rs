//! The storage crate's error type, grouped by what the caller must do about it.

use std::path::PathBuf;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The request is wrong (for example a row that falls in no partition); retrying will not help.
    #[error("{0}")]
    InvalidInput(String),
    /// Another process holds the data directory.
    #[error("data directory {path} is already open in another process (lock file {lock} is held)")]
    Locked { path: PathBuf, lock: PathBuf },
    /// A concurrent change made this one impossible (for example a tablet dropped under a write).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Persisted data is not what the format says it must be.
    #[error("corruption: {0}")]
    Corruption(String),
    /// The directory was written by a newer Tessera, or uses a feature this build does not have.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An earlier write failed to reach the disk; the store refuses further writes until reopened.
    #[error("the store refuses writes after an earlier I/O failure ({0}); reopen the data directory")]
    Poisoned(String),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metadata store error: {0}")]
    Meta(#[from] rocksdb::Error),
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A bug: an invariant of this crate does not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl StorageError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StorageError::Io { path: path.into(), source }
    }
}

/// Attaches a path to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| StorageError::io(path, e))
    }
}
