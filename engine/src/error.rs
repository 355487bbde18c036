//! The engine's error type: what went wrong, grouped by what the caller must do about it. Every
//! message names the object and the rule that was broken.

use tessera_storage::StorageError;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The statement could not be parsed.
    #[error("{0}")]
    Parse(#[from] tessera_sql::ParseError),
    /// The statement is well-formed but breaks a rule (bad value, type mismatch, bad property, ...).
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The object is busy or changed concurrently; retrying later may succeed.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("data corruption: {0}")]
    Corruption(String),
    #[error("{0}")]
    Io(String),
    /// A bug in Tessera.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StorageError> for EngineError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::InvalidInput(m) => EngineError::InvalidInput(m),
            StorageError::Conflict(m) => EngineError::Conflict(m),
            StorageError::Corruption(m) => EngineError::Corruption(m),
            StorageError::Unsupported(m) => EngineError::Unsupported(m),
            StorageError::Internal(m) => EngineError::Internal(m),
            e @ StorageError::Locked { .. } => EngineError::Conflict(e.to_string()),
            e @ (StorageError::Io { .. } | StorageError::Poisoned(_) | StorageError::Meta(_)) => {
                EngineError::Io(e.to_string())
            }
            e @ StorageError::Parquet(_) => EngineError::Corruption(e.to_string()),
            e @ StorageError::Arrow(_) => EngineError::Internal(e.to_string()),
        }
    }
}

impl From<datafusion::error::DataFusionError> for EngineError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        match e {
            D::External(inner) => match inner.downcast::<EngineError>() {
                Ok(engine) => *engine,
                Err(other) => match other.downcast::<StorageError>() {
                    Ok(storage) => EngineError::from(*storage),
                    Err(other) => EngineError::InvalidInput(other.to_string()),
                },
            },
            D::Context(ctx, inner) => match EngineError::from(*inner) {
                EngineError::InvalidInput(m) => EngineError::InvalidInput(format!("{ctx}: {m}")),
                other => other,
            },
            D::NotImplemented(m) => EngineError::Unsupported(format!("not supported: {m}")),
            D::IoError(io) => EngineError::Io(io.to_string()),
            D::ParquetError(e) => EngineError::Corruption(format!("a segment or Parquet file cannot be read: {e}")),
            D::ObjectStore(e) => EngineError::Io(format!("a file cannot be read: {e}")),
            D::Internal(m) => EngineError::Internal(m),
            D::ResourcesExhausted(m) => EngineError::Conflict(format!("resources exhausted: {m}")),
            other => EngineError::InvalidInput(strip_df_prefix(&other.to_string())),
        }
    }
}

impl From<arrow::error::ArrowError> for EngineError {
    fn from(e: arrow::error::ArrowError) -> Self {
        EngineError::InvalidInput(e.to_string())
    }
}

/// DataFusion prefixes messages with its error kind ("Error during planning: ") and names tables with
/// their catalog; users of a database want the message itself, in the words StarRocks uses.
fn strip_df_prefix(message: &str) -> String {
    let mut text = message;
    for prefix in ["Error during planning: ", "Schema error: ", "SQL error: ", "Execution error: ", "Arrow error: "] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest;
        }
    }
    if let Some(name) = text.strip_prefix("table 'default_catalog.").and_then(|r| r.strip_suffix("' not found")) {
        return match name.strip_prefix('.') {
            Some(table) => format!("No database selected: USE a database or write {table} as db.{table}"),
            None => format!("Unknown table '{name}'"),
        };
    }
    text.to_string()
}
