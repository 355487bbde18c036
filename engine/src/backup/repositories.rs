//! Repositories in the catalog: the persisted record (opened at startup by `manager.rs`; the CREATE /
//! DROP / SHOW REPOSITORIES statements are in `statements/repository.rs`).

use serde::{Deserialize, Serialize};

pub(crate) const REPOSITORY_RECORD: &str = "repository";
/// The newest repository record format this build writes and reads.
pub(crate) const REPOSITORY_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RepositoryRecord {
    pub format: u32,
    pub id: u64,
    pub name: String,
    pub location: String,
    pub read_only: bool,
    /// `WITH BROKER [name]`: accepted and ignored on one node; kept for SHOW REPOSITORIES.
    pub broker: Option<String>,
    pub create_time_ms: i64,
}
