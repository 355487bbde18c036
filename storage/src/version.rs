//! Tablet versions: the committed list of segments of one tablet.
//!
//! A version is immutable. Each commit that changes a tablet publishes a new version with a number one
//! higher; readers that pinned an older one keep reading it, and its segment files stay on disk until
//! they let go (see `segment.rs`). Keyed tables also have a delete vector per segment that lost rows
//! (see `delete_vector.rs`); it is part of the version, so a pinned version keeps its deletes too.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::delete_vector::DeleteVector;
use crate::ids::{PartitionId, SegmentId, TableId, TabletId};
use crate::segment::{Segment, SegmentMeta};

#[derive(Debug, Clone)]
pub struct TabletVersion {
    pub tablet: TabletId,
    pub table: TableId,
    pub partition: PartitionId,
    /// 1 for an empty new tablet; +1 with every commit that changes it.
    pub version: u64,
    pub segments: Vec<Arc<Segment>>,
    /// Deleted rows of some of `segments` (only keyed tables have any); a segment without an entry has
    /// none deleted.
    pub deletes: BTreeMap<SegmentId, Arc<DeleteVector>>,
}

impl TabletVersion {
    /// Live rows: every segment's rows minus its deleted ones.
    pub fn rows(&self) -> u64 {
        self.segments.iter().map(|s| self.live_rows(s)).sum()
    }

    /// Rows of `segment` that are not deleted in this version.
    pub fn live_rows(&self, segment: &Segment) -> u64 {
        segment.meta.rows - self.deleted(segment.id()).map_or(0, |d| d.len())
    }

    /// The delete vector of a segment, if it has deleted rows.
    pub fn deleted(&self, segment: SegmentId) -> Option<&Arc<DeleteVector>> {
        self.deletes.get(&segment)
    }

    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.meta.bytes).sum()
    }

    pub(crate) fn record(&self) -> TabletRecord {
        TabletRecord {
            format: TABLET_FORMAT_VERSION,
            tablet: self.tablet,
            table: self.table,
            partition: self.partition,
            version: self.version,
            segments: self.segments.iter().map(|s| s.meta.clone()).collect(),
        }
    }
}

pub const TABLET_FORMAT_VERSION: u32 = 1;

/// The persisted form of a [`TabletVersion`] (key `tablet/<id>`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TabletRecord {
    pub format: u32,
    pub tablet: TabletId,
    pub table: TableId,
    pub partition: PartitionId,
    pub version: u64,
    pub segments: Vec<SegmentMeta>,
}
