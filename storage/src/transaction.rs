//! `Transaction`: a set of catalog and tablet changes that the store commits atomically.
//!
//! Tablets follow their table definitions: putting a table whose partitions name new tablet ids creates
//! those tablets empty; putting or dropping a table without some of its old tablets drops them. Segment
//! changes name their tablet and the exact segments they remove, and are checked against the current
//! version at commit so that a change computed from an older version can never lose rows.

use crate::catalog::{DatabaseDef, TableDef};
use crate::delete_vector::DeleteVector;
use crate::ids::{DatabaseId, SegmentId, TableId, TabletId};
use crate::primary_index::RowLocation;
use crate::segment::PendingSegment;

#[derive(Debug)]
pub(crate) enum Op {
    PutDatabase(DatabaseDef),
    DropDatabase(DatabaseId),
    PutTable(TableDef),
    DropTable(TableId),
    ChangeSegments {
        tablet: TabletId,
        remove: SegmentRemoval,
        add: Vec<PendingSegment>,
    },
    DeleteRows {
        tablet: TabletId,
        segment: SegmentId,
        rows: DeleteVector,
    },
    /// `key` is the full RocksDB key (built here, outside the commit lock).
    IndexPut {
        key: Vec<u8>,
        location: RowLocation,
    },
    IndexDelete {
        key: Vec<u8>,
    },
    PutRecord {
        kind: &'static str,
        id: u64,
        value: Vec<u8>,
    },
    DeleteRecord {
        kind: &'static str,
        id: u64,
    },
}

#[derive(Debug)]
pub(crate) enum SegmentRemoval {
    /// Remove exactly these; the commit fails if one is no longer in the tablet.
    Exactly(Vec<SegmentId>),
    /// Remove whatever the tablet holds at commit time (TRUNCATE, INSERT OVERWRITE; the caller holds the
    /// table's exclusive lock).
    All,
}

#[derive(Debug, Default)]
pub struct Transaction {
    pub(crate) ops: Vec<Op>,
    /// Every row the transaction removes from a table it writes again unchanged (compaction, column
    /// rewrites): such a commit leaves the rollups of its tables ready (see `store.rs`, "rollup
    /// invalidation").
    pub(crate) rows_preserved: bool,
    /// True for progress records a crash may lose (see [`Transaction::without_sync`]).
    pub(crate) unsynced: bool,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The tablet folders of the new segments whose entries are not durable yet (files a restore
    /// adopted by hard link), each once: the commit fsyncs them before it names the files.
    pub(crate) fn unsynced_folders(&self) -> Vec<&std::path::Path> {
        let mut folders = std::collections::BTreeSet::new();
        for op in &self.ops {
            if let Op::ChangeSegments { add, .. } = op {
                folders.extend(add.iter().filter(|p| !p.entry_synced).filter_map(|p| p.path.parent()));
            }
        }
        folders.into_iter().collect()
    }

    /// Declares that every row this transaction removes from a table comes back unchanged in the same
    /// commit (compaction merging segments, ALTER rewriting them into a new column layout), so that the
    /// aggregates of the table's synchronous materialized views stay true. Only for such rewrites: a
    /// commit that claims it wrongly leaves a rollup that no longer matches its base.
    pub fn preserve_rows(&mut self) {
        self.rows_preserved = true;
    }

    /// Commits without waiting for the disk: the change is atomic and visible at once, and durable with
    /// the next synced commit, but a crash before that may lose it (the state is then the one before).
    /// Only for progress records whose loss recovery tolerates, such as a running job's intermediate
    /// state; never for a transaction that adds segments (their files would outlive a lost commit as
    /// orphans) or that a caller acknowledges.
    pub fn without_sync(&mut self) {
        self.unsynced = true;
    }

    pub fn put_database(&mut self, def: DatabaseDef) {
        self.ops.push(Op::PutDatabase(def));
    }

    /// Drops a database; its tables must be dropped in the same transaction (or earlier).
    pub fn drop_database(&mut self, id: DatabaseId) {
        self.ops.push(Op::DropDatabase(id));
    }

    /// Creates or replaces a table definition (and creates/drops tablets to match its partitions).
    pub fn put_table(&mut self, def: TableDef) {
        self.ops.push(Op::PutTable(def));
    }

    /// Drops a table and all its tablets.
    pub fn drop_table(&mut self, id: TableId) {
        self.ops.push(Op::DropTable(id));
    }

    /// Adds written segments to a tablet.
    pub fn append(&mut self, tablet: TabletId, add: Vec<PendingSegment>) {
        self.ops.push(Op::ChangeSegments { tablet, remove: SegmentRemoval::Exactly(Vec::new()), add });
    }

    /// Replaces exactly `remove` with `add` (DELETE rewrites, compaction).
    pub fn replace(&mut self, tablet: TabletId, remove: Vec<SegmentId>, add: Vec<PendingSegment>) {
        self.ops.push(Op::ChangeSegments { tablet, remove: SegmentRemoval::Exactly(remove), add });
    }

    /// Marks rows of a committed segment deleted (keyed tables). The commit fails if the segment is no
    /// longer in the tablet.
    pub fn delete_rows(&mut self, tablet: TabletId, segment: SegmentId, rows: DeleteVector) {
        if !rows.is_empty() {
            self.ops.push(Op::DeleteRows { tablet, segment, rows });
        }
    }

    /// Points the primary index entry of `key` in `tablet` at `location`. Index changes apply in
    /// transaction order, after the index range delete of any earlier `overwrite` or table change.
    pub fn index_put(&mut self, tablet: TabletId, key: Vec<u8>, location: RowLocation) {
        self.ops.push(Op::IndexPut { key: crate::primary_index::index_key(tablet, &key), location });
    }

    /// Removes the primary index entry of `key` in `tablet`.
    pub fn index_delete(&mut self, tablet: TabletId, key: Vec<u8>) {
        self.ops.push(Op::IndexDelete { key: crate::primary_index::index_key(tablet, &key) });
    }

    /// Stores an opaque record owned by a layer above (repositories, jobs): `kind` names the
    /// collection, `id` the record within it.
    pub fn put_record(&mut self, kind: &'static str, id: u64, value: Vec<u8>) {
        self.ops.push(Op::PutRecord { kind, id, value });
    }

    pub fn delete_record(&mut self, kind: &'static str, id: u64) {
        self.ops.push(Op::DeleteRecord { kind, id });
    }

    /// Appends every change of `other` after this transaction's own.
    pub fn extend(&mut self, other: Transaction) {
        self.rows_preserved |= other.rows_preserved;
        self.ops.extend(other.ops);
    }

    /// Replaces everything the tablet holds with `add` (TRUNCATE with no segments, INSERT OVERWRITE), and
    /// empties its primary index (the caller indexes `add` with later `index_put`s).
    pub fn overwrite(&mut self, tablet: TabletId, add: Vec<PendingSegment>) {
        self.ops.push(Op::ChangeSegments { tablet, remove: SegmentRemoval::All, add });
    }
}
