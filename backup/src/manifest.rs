//! The snapshot manifest: what one backup contains. Written last; its presence makes the snapshot
//! exist. Versioned (`format`); new fields get serde defaults so that older manifests still load.
//!
//! Format history: 1, the first; 2 adds the delete vectors of keyed tables' tablets (`deletes`). A
//! build that reads only format 1 would ignore them and bring deleted rows back, so it must refuse
//! format 2. Format 3 adds the database's views and SQL functions (`views`, `functions`); a format-2
//! reader would restore a snapshot without them, so it must refuse format 3.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use tessera_storage::{DeleteVector, FunctionDef, PartitionId, SegmentId, SegmentMeta, TableDef, TabletId, ViewDef};

use crate::error::{BackupError, Result};

/// Manifest format written by this build. Readers accept every version up to this one.
pub const MANIFEST_FORMAT_VERSION: u32 = 4;

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
    /// Logical views, as the data directory stores them (format 3; absent = none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<ViewDef>,
    /// SQL functions, one entry per overload (format 3; absent = none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionDef>,
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
    /// Deleted rows of some segments at the captured version (keyed tables), by segment id: the
    /// persisted delete vector (`tessera_storage::DeleteVector::encode`) in standard base64.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deletes: BTreeMap<u64, String>,
}

impl ManifestTablet {
    /// Encodes delete vectors for [`deletes`](Self::deletes).
    pub fn encode_deletes<'a>(
        deletes: impl IntoIterator<Item = (&'a SegmentId, &'a DeleteVector)>,
    ) -> BTreeMap<u64, String> {
        deletes
            .into_iter()
            .filter(|(_, dv)| !dv.is_empty())
            .map(|(id, dv)| (id.0, base64::engine::general_purpose::STANDARD.encode(dv.encode())))
            .collect()
    }

    /// The deleted rows of `segment`, if any.
    pub fn deleted(&self, segment: SegmentId) -> Result<Option<DeleteVector>> {
        let Some(text) = self.deletes.get(&segment.0) else { return Ok(None) };
        let what = format!("of segment {segment} in tablet {}", self.tablet);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| BackupError::Corruption(format!("the delete vector {what} is not base64: {e}")))?;
        let dv = DeleteVector::decode(&bytes, &what).map_err(|e| BackupError::Corruption(e.to_string()))?;
        Ok(Some(dv))
    }

    /// Rows visible at the captured version.
    pub fn rows(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.rows.saturating_sub(self.deleted(s.id).ok().flatten().map_or(0, |d| d.len())))
            .sum()
    }
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
        self.tables.iter().flat_map(|t| t.tablets.iter()).map(|t| t.rows()).sum()
    }
}
