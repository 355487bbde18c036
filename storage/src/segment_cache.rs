//! A bounded in-memory cache of decoded segment data, for warm queries.
//!
//! Decompressing and decoding Parquet is most of what a warm scan costs. Segment files are immutable
//! and their ids are never reused, so decoded data keyed by (segment, row group, column) can never go
//! stale: the cache needs no invalidation, only a memory bound and a way to let go of segments that
//! are gone.
//!
//! - **What is kept**: whole Arrow columns of one row group (every row of it, deleted rows included:
//!   delete vectors belong to tablet versions, not to files, so readers apply theirs on top), and each
//!   segment's Parquet footer (so that row-group pruning never re-reads it).
//! - **Bound**: the bytes of the kept arrays and footers (Arrow's own accounting) never exceed the
//!   capacity once an insertion returns; the least recently used entries go first. Capacity zero
//!   caches nothing.
//! - **Release**: a [`Segment`] forgets its entries when it is dropped (the last version, snapshot or
//!   reader holding it let go), so a dropped table or a compacted segment frees its memory at once.
//! - **Concurrency**: decoding happens outside the lock; two readers missing the same column both decode
//!   it and the second insertion replaces the first.

use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow::array::{new_empty_array, Array, ArrayRef};
use arrow::compute::concat;
use arrow::datatypes::DataType;
use parking_lot::Mutex;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use crate::error::{IoContext, Result, StorageError};
use crate::ids::SegmentId;
use crate::segment::Segment;

/// Default capacity: enough for the columns TPC-H SF1 queries touch.
pub const DEFAULT_SEGMENT_CACHE_BYTES: usize = 2 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ColumnKey {
    segment: SegmentId,
    row_group: usize,
    column: usize,
}

struct Entry<T> {
    value: T,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct Contents {
    columns: HashMap<ColumnKey, Entry<ArrayRef>>,
    footers: HashMap<SegmentId, Entry<ArrowReaderMetadata>>,
    used: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl Contents {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Evicts least recently used entries until at most `capacity` bytes are used.
    fn shrink_to(&mut self, capacity: usize) {
        if self.used <= capacity {
            return;
        }
        // Evict a little below the bound so that a run of insertions does not sort on each one.
        let goal = capacity - capacity / 8;
        let mut order: Vec<(u64, Option<ColumnKey>, SegmentId)> = self
            .columns
            .iter()
            .map(|(k, e)| (e.last_used, Some(*k), k.segment))
            .chain(self.footers.iter().map(|(s, e)| (e.last_used, None, *s)))
            .collect();
        order.sort_unstable_by_key(|o| o.0);
        for (_, column, segment) in order {
            if self.used <= goal {
                break;
            }
            let freed = match column {
                Some(key) => self.columns.remove(&key).map(|e| e.bytes),
                None => self.footers.remove(&segment).map(|e| e.bytes),
            };
            self.used -= freed.unwrap_or(0);
        }
    }
}

/// What the cache holds and how it was used, for tests and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCacheStats {
    pub capacity: usize,
    pub used_bytes: usize,
    pub columns: usize,
    pub footers: usize,
    pub hits: u64,
    pub misses: u64,
}

/// The cache of decoded segment data shared by every reader of one store.
pub struct SegmentCache {
    capacity: AtomicUsize,
    contents: Mutex<Contents>,
}

impl std::fmt::Debug for SegmentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SegmentCache({:?})", self.stats())
    }
}

impl SegmentCache {
    pub fn new(capacity: usize) -> Arc<SegmentCache> {
        Arc::new(SegmentCache { capacity: AtomicUsize::new(capacity), contents: Mutex::new(Contents::default()) })
    }

    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// Changes the bound; shrinking evicts at once.
    pub fn set_capacity(&self, bytes: usize) {
        self.capacity.store(bytes, Ordering::Relaxed);
        self.contents.lock().shrink_to(bytes);
    }

    pub fn stats(&self) -> SegmentCacheStats {
        let c = self.contents.lock();
        SegmentCacheStats {
            capacity: self.capacity(),
            used_bytes: c.used,
            columns: c.columns.len(),
            footers: c.footers.len(),
            hits: c.hits,
            misses: c.misses,
        }
    }

    /// Drops everything cached for `segment` (called when the segment itself is dropped).
    pub(crate) fn forget(&self, segment: SegmentId) {
        let mut c = self.contents.lock();
        if let Some(e) = c.footers.remove(&segment) {
            c.used -= e.bytes;
        }
        // Entries of one segment are few next to the whole cache; a scan is cheaper than an index.
        let mut freed = 0;
        c.columns.retain(|k, e| {
            let keep = k.segment != segment;
            if !keep {
                freed += e.bytes;
            }
            keep
        });
        c.used -= freed;
    }

    fn insert<T>(&self, entry: Entry<T>, place: impl FnOnce(&mut Contents, Entry<T>) -> Option<Entry<T>>) {
        let capacity = self.capacity();
        if capacity == 0 || entry.bytes > capacity {
            return;
        }
        let mut c = self.contents.lock();
        c.used += entry.bytes;
        if let Some(old) = place(&mut c, entry) {
            c.used -= old.bytes;
        }
        c.shrink_to(capacity);
    }

    /// The Parquet footer of `segment` (schema, row groups with their statistics).
    pub fn footer(&self, segment: &Segment) -> Result<ArrowReaderMetadata> {
        {
            let mut c = self.contents.lock();
            let now = c.tick();
            if let Some(e) = c.footers.get_mut(&segment.id()) {
                e.last_used = now;
                return Ok(e.value.clone());
            }
        }
        segment.verify()?;
        let path = segment.path();
        let file = File::open(path).at(path)?;
        let footer = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?;
        let bytes = footer.metadata().memory_size();
        let id = segment.id();
        let entry = Entry { value: footer.clone(), bytes, last_used: 0 };
        self.insert(entry, |c, mut e| {
            e.last_used = c.tick();
            c.footers.insert(id, e)
        });
        Ok(footer)
    }

    /// The columns at `columns` (indexes into the file's schema) of one row group of `segment`, every
    /// row of it, decoding and keeping those not cached yet.
    pub fn read_row_group(&self, segment: &Segment, row_group: usize, columns: &[usize]) -> Result<Vec<ArrayRef>> {
        let mut found: Vec<Option<ArrayRef>> = Vec::with_capacity(columns.len());
        {
            let mut c = self.contents.lock();
            let now = c.tick();
            for &column in columns {
                let key = ColumnKey { segment: segment.id(), row_group, column };
                let hit = c.columns.get_mut(&key).map(|e| {
                    e.last_used = now;
                    e.value.clone()
                });
                if hit.is_some() {
                    c.hits += 1;
                } else {
                    c.misses += 1;
                }
                found.push(hit);
            }
        }
        let mut missing: Vec<usize> =
            columns.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(c, _)| *c).collect();
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        missing.sort_unstable();
        missing.dedup();
        let decoded = self.decode(segment, row_group, &missing)?;
        for (&column, array) in missing.iter().zip(&decoded) {
            let key = ColumnKey { segment: segment.id(), row_group, column };
            let entry = Entry { value: array.clone(), bytes: array.get_array_memory_size(), last_used: 0 };
            self.insert(entry, |c, mut e| {
                e.last_used = c.tick();
                c.columns.insert(key, e)
            });
        }
        Ok(columns
            .iter()
            .zip(found)
            .map(|(column, hit)| {
                hit.unwrap_or_else(|| {
                    // `missing` holds every column without a hit, so the position exists.
                    let i = missing.binary_search(column).unwrap_or(0);
                    decoded[i].clone()
                })
            })
            .collect())
    }

    /// Decodes the columns at `columns` (ascending, distinct) of one row group.
    fn decode(&self, segment: &Segment, row_group: usize, columns: &[usize]) -> Result<Vec<ArrayRef>> {
        let footer = self.footer(segment)?;
        let path = segment.path();
        let groups = footer.metadata().num_row_groups();
        let width = footer.schema().fields().len();
        if row_group >= groups || columns.iter().any(|c| *c >= width) {
            return Err(StorageError::Internal(format!(
                "segment {} has {groups} row groups and {width} columns; asked for row group {row_group}, columns \
                 {columns:?}",
                path.display()
            )));
        }
        let rows = footer.metadata().row_group(row_group).num_rows().max(1) as usize;
        let types: Vec<DataType> = columns.iter().map(|c| footer.schema().field(*c).data_type().clone()).collect();
        let mask = ProjectionMask::roots(footer.parquet_schema(), columns.iter().copied());
        let file = File::open(path).at(path)?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, footer)
            .with_projection(mask)
            .with_row_groups(vec![row_group])
            .with_batch_size(rows)
            .build()?;
        let mut parts: Vec<Vec<ArrayRef>> = vec![Vec::new(); columns.len()];
        for batch in reader {
            for (part, column) in parts.iter_mut().zip(batch?.columns()) {
                part.push(column.clone());
            }
        }
        parts
            .into_iter()
            .zip(types)
            .map(|(mut part, data_type)| match part.len() {
                0 => Ok(new_empty_array(&data_type)),
                1 => Ok(part.swap_remove(0)),
                _ => {
                    let refs: Vec<&dyn Array> = part.iter().map(|a| a.as_ref()).collect();
                    Ok(concat(&refs)?)
                }
            })
            .collect()
    }
}
