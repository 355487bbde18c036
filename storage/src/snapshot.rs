//! Hard-link snapshots: a consistent, immutable copy of some tablets' files that costs O(files).
//!
//! A snapshot is taken from a pinned [`MetaState`] (so every file it names exists while linking) into
//! `snapshots/<name>/<tablet>/<segment>.parquet`. Because the links are separate directory entries of
//! the same inodes, compaction, DELETE or DROP may remove the live files afterwards without touching the
//! snapshot. The owner releases it (removes the folder) when done. `snapshots/` is emptied when the store
//! opens: a snapshot never outlives the process that took it, so nothing here is fsynced (the files'
//! bytes are durable already, and a link a crash loses belonged to a snapshot the crash ended anyway).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::delete_vector::DeleteVector;
use crate::error::{IoContext, Result, StorageError};
use crate::ids::{PartitionId, SegmentId, TableId, TabletId};
use crate::segment::SegmentMeta;
use crate::state::MetaState;

/// One tablet as captured by a snapshot.
#[derive(Debug, Clone)]
pub struct TabletSnapshot {
    pub tablet: TabletId,
    pub table: TableId,
    pub partition: PartitionId,
    pub version: u64,
    /// Each segment with the path of its hard link inside the snapshot folder.
    pub segments: Vec<(SegmentMeta, PathBuf)>,
    /// The delete vectors of the captured version (keyed tables), by segment.
    pub deletes: BTreeMap<SegmentId, Arc<DeleteVector>>,
}

/// A snapshot folder and what it holds.
#[derive(Debug)]
pub struct Snapshot {
    pub dir: PathBuf,
    pub tablets: Vec<TabletSnapshot>,
}

/// Checks that a snapshot name is one path component.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(StorageError::InvalidInput(format!("invalid snapshot folder name {name:?}")));
    }
    Ok(())
}

pub(crate) fn create(snapshots_dir: &Path, name: &str, state: &MetaState, tablets: &[TabletId]) -> Result<Snapshot> {
    check_name(name)?;
    let dir = snapshots_dir.join(name);
    if dir.exists() {
        return Err(StorageError::Conflict(format!("snapshot {name} already exists")));
    }
    // A snapshot's links are the bytes a backup keeps (a same-filesystem repository links them too),
    // so a damaged file must fail the backup here, naming it, rather than be kept under its checksum.
    crate::segment::Segment::verify_all(
        tablets.iter().filter_map(|t| state.tablet(*t)).flat_map(|v| v.segments.iter()),
    )?;
    let result = link_all(&dir, state, tablets);
    if result.is_err() {
        let _ = fs::remove_dir_all(&dir);
    }
    Ok(Snapshot { dir, tablets: result? })
}

fn link_all(dir: &Path, state: &MetaState, tablets: &[TabletId]) -> Result<Vec<TabletSnapshot>> {
    fs::create_dir_all(dir).at(dir)?;
    let mut out = Vec::with_capacity(tablets.len());
    for tablet in tablets {
        let version = state
            .tablet(*tablet)
            .ok_or_else(|| StorageError::Conflict(format!("tablet {tablet} does not exist in the pinned state")))?;
        let tablet_dir = dir.join(tablet.0.to_string());
        fs::create_dir_all(&tablet_dir).at(&tablet_dir)?;
        let mut segments = Vec::with_capacity(version.segments.len());
        for segment in &version.segments {
            let link = tablet_dir.join(format!("{}.parquet", segment.id().0));
            fs::hard_link(segment.path(), &link).at(&link)?;
            segments.push((segment.meta.clone(), link));
        }
        out.push(TabletSnapshot {
            tablet: *tablet,
            table: version.table,
            partition: version.partition,
            version: version.version,
            segments,
            deletes: version.deletes.clone(),
        });
    }
    Ok(out)
}

pub(crate) fn release(snapshots_dir: &Path, name: &str) -> Result<()> {
    check_name(name)?;
    let dir = snapshots_dir.join(name);
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(&dir, e)),
    }
}
