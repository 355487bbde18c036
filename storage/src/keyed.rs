//! Writing keyed tables (PRIMARY, UNIQUE and AGGREGATE KEY): one row per key, merged on write.
//!
//! An upsert into a tablet (rows already routed there):
//! 1. merges the rows of the batch that share a key, in write order: the last one wins (PRIMARY,
//!    UNIQUE), or the value columns are combined with their aggregate functions (AGGREGATE);
//! 2. looks every key up in the primary index ([`crate::primary_index`]) and, where a live row exists,
//!    marks it deleted in its segment's delete vector (for AGGREGATE, after reading its values and
//!    folding them into the new row);
//! 3. writes the merged rows as new segments and points the index at them.
//!
//! Everything goes into the caller's [`Transaction`], so the new rows, the deletions and the index change
//! become visible together. Readers never merge anything: a live row is the only row of its key.
//!
//! The caller holds the table's exclusive lock from the lookups until the commit (the index is read here
//! and must not change underneath), and passes the state it read under that lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};

use crate::catalog::{AggregateFunction, KeyModel, TableDef};
use crate::delete_vector::DeleteVector;
use crate::error::{Result, StorageError};
use crate::ids::{SegmentId, TabletId};
use crate::primary_index::{encode_keys, RowLocation};
use crate::segment::{read_segment_rows, PendingSegment, Segment};
use crate::state::MetaState;
use crate::store::{Inner, Store};
use crate::transaction::Transaction;
use crate::value::{value_at, values_to_array, Value};
use crate::version::TabletVersion;

/// Rows of one key within a batch, in write order.
struct KeyGroup {
    key: Vec<u8>,
    rows: Vec<u32>,
}

/// Groups the rows of `batch` by key, in order of first appearance.
fn group_by_key(table: &TableDef, batch: &RecordBatch) -> Result<Vec<KeyGroup>> {
    if u32::try_from(batch.num_rows()).is_err() {
        return Err(StorageError::InvalidInput(format!("a write to table {} has more than 2^32 rows", table.name)));
    }
    let mut keys = encode_keys(batch, &table.key_column_indexes()?)?;
    // First row of each group, and the rows after it; keys are moved out once grouping is done.
    let mut groups: Vec<(usize, Vec<u32>)> = Vec::new();
    {
        let mut by_key: HashMap<&[u8], usize> = HashMap::with_capacity(keys.len());
        for (row, key) in keys.iter().enumerate() {
            match by_key.get(key.as_slice()) {
                Some(&g) => groups[g].1.push(row as u32),
                None => {
                    by_key.insert(key, groups.len());
                    groups.push((row, vec![row as u32]));
                }
            }
        }
    }
    Ok(groups.into_iter().map(|(first, rows)| KeyGroup { key: std::mem::take(&mut keys[first]), rows }).collect())
}

/// Folds `new` into `acc` with the column's aggregate function (`None`: a key column, kept).
fn combine(function: Option<AggregateFunction>, column: &str, table: &str, acc: Value, new: Value) -> Result<Value> {
    let Some(function) = function else { return Ok(acc) };
    Ok(match function {
        AggregateFunction::Replace => new,
        AggregateFunction::ReplaceIfNotNull => {
            if new.is_null() {
                acc
            } else {
                new
            }
        }
        _ if new.is_null() => acc,
        _ if acc.is_null() => new,
        AggregateFunction::Min => {
            if new.compare(&acc).is_lt() {
                new
            } else {
                acc
            }
        }
        AggregateFunction::Max => {
            if new.compare(&acc).is_gt() {
                new
            } else {
                acc
            }
        }
        AggregateFunction::Sum => {
            let overflow = || StorageError::InvalidInput(format!("SUM of column {column} of table {table} overflows"));
            match (acc, new) {
                (Value::Int(a), Value::Int(b)) => Value::Int(a.checked_add(b).ok_or_else(overflow)?),
                (Value::Wide(a), Value::Wide(b)) => Value::Wide(a.checked_add(b).ok_or_else(overflow)?),
                (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                (a, b) => return Err(StorageError::Internal(format!("SUM of column {column} over {a:?} and {b:?}"))),
            }
        }
    })
}

/// One merged output row: either a row of the batch taken as is, or values computed by aggregation.
enum Merged {
    Take(u32),
    Values(Vec<Value>),
}

/// Merges each key's rows (and, for AGGREGATE, its existing row's values) into one row. Returns the
/// merged rows as one batch, and each output row's key.
fn merge_groups(
    table: &TableDef,
    batch: &RecordBatch,
    groups: Vec<KeyGroup>,
    existing: &HashMap<usize, Vec<Value>>,
) -> Result<(RecordBatch, Vec<Vec<u8>>)> {
    let mut plan = Vec::with_capacity(groups.len());
    for (g, group) in groups.iter().enumerate() {
        let old = existing.get(&g);
        let Some(&last) = group.rows.last() else { continue };
        let aggregate = table.key.model == KeyModel::Aggregate;
        if !aggregate || (group.rows.len() == 1 && old.is_none()) {
            plan.push(Merged::Take(last));
            continue;
        }
        let row_values = |row: u32| -> Result<Vec<Value>> {
            batch.columns().iter().map(|c| value_at(c.as_ref(), row as usize)).collect()
        };
        let (mut acc, rest) = match old {
            Some(values) => (values.clone(), &group.rows[..]),
            None => (row_values(group.rows[0])?, &group.rows[1..]),
        };
        for &row in rest {
            let new = row_values(row)?;
            acc = acc
                .into_iter()
                .zip(new)
                .zip(&table.columns)
                .map(|((a, n), c)| combine(c.aggregate, &c.name, &table.name, a, n))
                .collect::<Result<_>>()?;
        }
        plan.push(Merged::Values(acc));
    }
    // Rows taken as is first, then computed ones; keys follow the same order.
    let mut taken = Vec::new();
    let mut computed: Vec<Vec<Value>> = Vec::new();
    let mut keys_taken = Vec::new();
    let mut keys_computed = Vec::new();
    for (merged, group) in plan.into_iter().zip(groups) {
        match merged {
            Merged::Take(row) => {
                taken.push(row);
                keys_taken.push(group.key);
            }
            Merged::Values(values) => {
                computed.push(values);
                keys_computed.push(group.key);
            }
        }
    }
    let schema = table.arrow_schema();
    let mut parts = vec![take_record_batch(batch, &UInt32Array::from(taken))?];
    if !computed.is_empty() {
        let columns = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let values: Vec<Value> = computed.iter().map(|row| row[i].clone()).collect();
                values_to_array(&values, &c.column_type).map_err(|e| match e {
                    StorageError::InvalidInput(_) => StorageError::InvalidInput(format!(
                        "the aggregated value of column {} of table {} does not fit its type {}",
                        c.name, table.name, c.column_type
                    )),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        parts.push(RecordBatch::try_new(schema.clone(), columns)?);
    }
    keys_taken.extend(keys_computed);
    Ok((concat_batches(&schema, &parts)?, keys_taken))
}

/// The live rows of a version by segment id, to validate index entries against.
struct LiveCheck<'a> {
    segments: HashMap<SegmentId, (&'a Arc<Segment>, Option<&'a DeleteVector>)>,
}

impl<'a> LiveCheck<'a> {
    fn new(version: &'a TabletVersion) -> Self {
        let segments =
            version.segments.iter().map(|s| (s.id(), (s, version.deleted(s.id()).map(|d| d.as_ref())))).collect();
        LiveCheck { segments }
    }

    /// The segment of `location` if the row is live in the version.
    fn segment(&self, location: RowLocation) -> Option<&'a Arc<Segment>> {
        let (segment, deleted) = self.segments.get(&location.segment)?;
        let live = u64::from(location.row) < segment.meta.rows && !deleted.is_some_and(|d| d.contains(location.row));
        live.then_some(*segment)
    }
}

/// Rows of one segment to read back (AGGREGATE KEY upserts): the segment, and (row, key group) pairs.
type RowsToRead = (Arc<Segment>, Vec<(u32, usize)>);

impl Store {
    /// Upserts `batch` (rows of one tablet of a keyed table, in the table's schema) into `txn`; see the
    /// module documentation. `state` is the current state, read under the table's exclusive lock.
    /// Returns the rows written: one per distinct key of the batch.
    pub fn upsert(
        &self,
        table: &TableDef,
        tablet: TabletId,
        state: &MetaState,
        batch: &RecordBatch,
        txn: &mut Transaction,
    ) -> Result<u64> {
        if batch.num_rows() == 0 {
            return Ok(0);
        }
        let version = state
            .tablet(tablet)
            .ok_or_else(|| StorageError::Conflict(format!("tablet {tablet} of table {} is gone", table.name)))?;
        let groups = group_by_key(table, batch)?;
        let mut deleted: BTreeMap<SegmentId, Vec<u32>> = BTreeMap::new();
        let mut existing_values: HashMap<usize, Vec<Value>> = HashMap::new();
        if !version.segments.is_empty() {
            let keys: Vec<&[u8]> = groups.iter().map(|g| g.key.as_slice()).collect();
            let check = LiveCheck::new(version);
            // Rows of the aggregate model to read back, by segment.
            let mut to_read: BTreeMap<SegmentId, RowsToRead> = BTreeMap::new();
            for (g, location) in self.index_lookup(tablet, &keys)?.into_iter().enumerate() {
                let Some(location) = location else { continue };
                let Some(segment) = check.segment(location) else { continue };
                deleted.entry(location.segment).or_default().push(location.row);
                if table.key.model == KeyModel::Aggregate {
                    to_read
                        .entry(location.segment)
                        .or_insert_with(|| (segment.clone(), Vec::new()))
                        .1
                        .push((location.row, g));
                }
            }
            for (_, (segment, mut rows)) in to_read {
                rows.sort_unstable();
                let ordinals: Vec<u32> = rows.iter().map(|(r, _)| *r).collect();
                segment.verify()?;
                let batches = read_segment_rows(segment.path(), &ordinals)?;
                let mut groups_in_order = rows.iter().map(|(_, g)| *g);
                for b in &batches {
                    for row in 0..b.num_rows() {
                        let values = b.columns().iter().map(|c| value_at(c.as_ref(), row)).collect::<Result<_>>()?;
                        let g = groups_in_order.next().ok_or_else(|| {
                            StorageError::Corruption(format!("segment {} returned more rows than asked", segment.id()))
                        })?;
                        existing_values.insert(g, values);
                    }
                }
                // Every row asked for must come back, or its key would lose its old values.
                if groups_in_order.next().is_some() {
                    return Err(StorageError::Corruption(format!(
                        "segment {} returned fewer rows than asked",
                        segment.id()
                    )));
                }
            }
        }
        let (merged, keys) = merge_groups(table, batch, groups, &existing_values)?;
        let written = merged.num_rows() as u64;
        let (pendings, locations) = write_indexed(&self.inner, tablet, table, &[merged])?;
        txn.append(tablet, pendings);
        for (segment, rows) in deleted {
            txn.delete_rows(tablet, segment, DeleteVector::from_rows(rows));
        }
        for (key, location) in keys.into_iter().zip(locations) {
            txn.index_put(tablet, key, location);
        }
        Ok(written)
    }

    /// Merges rows that share a key within `batch` (last wins, or aggregated), without looking at the
    /// table's existing rows: what INSERT OVERWRITE of a keyed table writes.
    pub fn merge_batch(&self, table: &TableDef, batch: &RecordBatch) -> Result<RecordBatch> {
        let groups = group_by_key(table, batch)?;
        Ok(merge_groups(table, batch, groups, &HashMap::new())?.0)
    }

    /// Writes rows of a keyed table whose keys are all distinct and not yet indexed in `tablet`, and
    /// adds their index entries to `txn` (after earlier changes such as an `overwrite`). Returns the
    /// segments for the caller to append, replace or overwrite with.
    pub fn write_keyed(
        &self,
        table: &TableDef,
        tablet: TabletId,
        batches: &[RecordBatch],
        txn: &mut Transaction,
    ) -> Result<Vec<PendingSegment>> {
        write_keyed(&self.inner, table, tablet, batches, txn)
    }

    /// Deletes the live rows with these keys (encoded) from `tablet`; returns how many existed.
    pub fn delete_keys(
        &self,
        tablet: TabletId,
        state: &MetaState,
        keys: &[Vec<u8>],
        txn: &mut Transaction,
    ) -> Result<u64> {
        let Some(version) = state.tablet(tablet) else { return Ok(0) };
        let check = LiveCheck::new(version);
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut deleted: BTreeMap<SegmentId, Vec<u32>> = BTreeMap::new();
        for (key, location) in keys.iter().zip(self.index_lookup(tablet, &refs)?) {
            let Some(location) = location.filter(|l| check.segment(*l).is_some()) else { continue };
            deleted.entry(location.segment).or_default().push(location.row);
            txn.index_delete(tablet, key.clone());
        }
        let count = deleted.values().map(|r| r.len() as u64).sum();
        for (segment, rows) in deleted {
            txn.delete_rows(tablet, segment, DeleteVector::from_rows(rows));
        }
        Ok(count)
    }
}

/// [`Store::write_keyed`].
pub(crate) fn write_keyed(
    inner: &Inner,
    table: &TableDef,
    tablet: TabletId,
    batches: &[RecordBatch],
    txn: &mut Transaction,
) -> Result<Vec<PendingSegment>> {
    let key_columns = table.key_column_indexes()?;
    let mut keys = Vec::new();
    for batch in batches {
        keys.extend(encode_keys(batch, &key_columns)?);
    }
    let (pendings, locations) = write_indexed(inner, tablet, table, batches)?;
    for (key, location) in keys.into_iter().zip(locations) {
        txn.index_put(tablet, key, location);
    }
    Ok(pendings)
}

/// Writes `batches` as segments of `tablet` and returns where each row landed, in order.
fn write_indexed(
    inner: &Inner,
    tablet: TabletId,
    table: &TableDef,
    batches: &[RecordBatch],
) -> Result<(Vec<PendingSegment>, Vec<RowLocation>)> {
    let pendings = inner.write_segments(tablet, &table.arrow_schema(), batches)?;
    let mut locations = Vec::new();
    for p in &pendings {
        let rows = u32::try_from(p.meta.rows)
            .map_err(|_| StorageError::InvalidInput(format!("segment {} has more than 2^32 rows", p.meta.id)))?;
        locations.extend((0..rows).map(|row| RowLocation { segment: p.meta.id, row }));
    }
    Ok((pendings, locations))
}

/// Index entries for the live rows of a committed or staged segment file of a keyed table (RESTORE
/// rebuilds the index of the tablets it brings in from the files themselves).
pub fn index_entries_from_file(
    table: &TableDef,
    path: &std::path::Path,
    segment: SegmentId,
    deleted: Option<&DeleteVector>,
) -> Result<Vec<(Vec<u8>, RowLocation)>> {
    let key_columns = table.key_column_indexes()?;
    let mut out = Vec::new();
    let mut row = 0u32;
    for batch in crate::segment::read_segment_columns(path, &key_columns)? {
        let keys: Vec<usize> = (0..key_columns.len()).collect();
        for key in encode_keys(&batch, &keys)? {
            if !deleted.is_some_and(|d| d.contains(row)) {
                out.push((key, RowLocation { segment, row }));
            }
            row = row.checked_add(1).ok_or_else(|| {
                StorageError::InvalidInput(format!("segment file {} has more than 2^32 rows", path.display()))
            })?;
        }
    }
    Ok(out)
}
