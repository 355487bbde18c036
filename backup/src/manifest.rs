//! The snapshot manifest: what one backup contains. Written last; its presence makes the snapshot
//! exist. Versioned (`format`); new fields get serde defaults so that older manifests still load.

use serde::{Deserialize, Serialize};
use tessera_storage::{PartitionId, SegmentMeta, TableDef, TabletId};

use crate::error::{BackupError, Result};

/// Manifest format written by this build. Readers accept every version up to this one.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The snapshot name (StarRocks: label).
    pub label: String,
    /// Submission time as `yyyy-MM-dd-HH-mm-ss-SSS` (local time), the backup timestamp.
    pub timestamp: String,
    /// The database the tables were backed up from.
    pub database: String,
    pub database_id: u64,
    /// Submission time, milliseconds since the epoch.
    pub backup_time_ms: i64,
    pub finish_time_ms: i64,
    pub tables: Vec<ManifestTable>,
}

/// One table: its full definition, restricted to the backed-up partitions, and its tablets' files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTable {
    pub definition: TableDef,
    pub tablets: Vec<ManifestTablet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTablet {
    pub tablet: TabletId,
    pub partition: PartitionId,
    /// The tablet version the snapshot captured.
    pub version: u64,
    /// The segment files; each is stored in the repository under its checksum.
    pub segments: Vec<SegmentMeta>,
}

impl Manifest {
    pub fn encode(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|e| BackupError::InvalidInput(format!("cannot encode manifest: {e}")))
    }

    /// Decodes a manifest, refusing formats newer than this build understands.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Manifest> {
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        let version: Version = serde_json::from_slice(bytes)
            .map_err(|e| BackupError::Corruption(format!("manifest {what} cannot be read: {e}")))?;
        if version.format > MANIFEST_FORMAT_VERSION {
            return Err(BackupError::Corruption(format!(
                "manifest {what} has format {}; this build reads up to {MANIFEST_FORMAT_VERSION}",
                version.format
            )));
        }
        serde_json::from_slice(bytes)
            .map_err(|e| BackupError::Corruption(format!("manifest {what} cannot be read: {e}")))
    }

    /// Every data file (by checksum) the snapshot needs.
    pub fn checksums(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().flat_map(|t| t.tablets.iter()).flat_map(|t| t.segments.iter()).map(|s| s.checksum.as_str())
    }

    pub fn rows(&self) -> u64 {
        self.tables.iter().flat_map(|t| t.tablets.iter()).flat_map(|t| t.segments.iter()).map(|s| s.rows).sum()
    }
}
