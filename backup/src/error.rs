//! The backup crate's error type.

use std::path::PathBuf;

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The request is wrong (bad label, bad location, ...).
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The repository holds something that is not what the format says.
    #[error("repository corruption: {0}")]
    Corruption(String),
    #[error("repository I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] tessera_storage::StorageError),
}

impl BackupError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BackupError::Io { path: path.into(), source }
    }
}

pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| BackupError::io(path, e))
    }
}
