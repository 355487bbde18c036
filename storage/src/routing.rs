//! Routing rows to tablets: which partition (by the partition columns' values) and which bucket (by the
//! stable hash of the bucketing columns, or spread evenly for RANDOM distribution).
//!
//! Routing is all-or-nothing: a row that falls in no partition fails the whole batch with an error that
//! names the table and the value, before anything is written.

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;

use crate::catalog::{Distribution, PartitionBound, PartitionKind, TableDef};
use crate::error::{Result, StorageError};
use crate::ids::TabletId;
use crate::value::{compare_tuples, hash_row, value_at, Value};

/// Splits `batch` (in the table's schema) into one batch per destination tablet.
///
/// `only_partitions`, when given, restricts the allowed partitions (INSERT ... PARTITION (...)); a row
/// for another partition is an error.
pub fn route_batch(
    table: &TableDef,
    batch: &RecordBatch,
    only_partitions: Option<&[String]>,
) -> Result<Vec<(TabletId, RecordBatch)>> {
    let rows = batch.num_rows();
    if rows == 0 {
        return Ok(Vec::new());
    }
    let partition_cols = table.partition_column_indexes()?;
    let bucket_cols = table.bucket_column_indexes()?;
    let buckets = table.distribution.buckets().max(1) as usize;
    // Rows by (partition, bucket), indexed `partition * buckets + bucket`: no hashing per row.
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); table.partitions.len() * buckets];
    let mut key = Vec::with_capacity(partition_cols.len());
    let mut bucket_key = Vec::with_capacity(bucket_cols.len());
    let mut rows_per_partition: Vec<Vec<u32>> = vec![Vec::new(); table.partitions.len()];
    let lookup = PartitionLookup::new(table);
    for row in 0..rows {
        key.clear();
        for &c in &partition_cols {
            key.push(value_at(batch.column(c).as_ref(), row)?);
        }
        let partition = lookup.find(&key).ok_or_else(|| no_partition_error(table, &key))?;
        rows_per_partition[partition].push(row as u32);
    }
    for (partition, part_rows) in rows_per_partition.into_iter().enumerate() {
        if part_rows.is_empty() {
            continue;
        }
        if let Some(allowed) = only_partitions {
            let name = &table.partitions[partition].name;
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                let first = part_rows[0] as usize;
                let mut k = Vec::new();
                for &c in &partition_cols {
                    k.push(value_at(batch.column(c).as_ref(), first)?);
                }
                return Err(StorageError::InvalidInput(format!(
                    "a row ({}) belongs to partition {name} of table {}, which is not among the target partitions ({})",
                    describe_key(table, &k),
                    table.name,
                    allowed.join(", ")
                )));
            }
        }
        match &table.distribution {
            Distribution::Hash { .. } => {
                for &row in &part_rows {
                    bucket_key.clear();
                    for &c in &bucket_cols {
                        bucket_key.push(value_at(batch.column(c).as_ref(), row as usize)?);
                    }
                    let bucket = (hash_row(&bucket_key) % buckets as u64) as usize;
                    groups[partition * buckets + bucket].push(row);
                }
            }
            Distribution::Random { .. } => {
                // Even contiguous slices: one per bucket.
                let per = part_rows.len().div_ceil(buckets);
                for (bucket, chunk) in part_rows.chunks(per.max(1)).enumerate() {
                    groups[partition * buckets + bucket].extend_from_slice(chunk);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (index, rows) in groups.into_iter().enumerate().filter(|(_, rows)| !rows.is_empty()) {
        let (partition, bucket) = (index / buckets, index % buckets);
        let tablet = *table.partitions[partition].tablets.get(bucket).ok_or_else(|| {
            StorageError::Corruption(format!(
                "partition {} of table {} lacks bucket {bucket}",
                table.partitions[partition].name, table.name
            ))
        })?;
        let indices = UInt32Array::from(rows);
        out.push((tablet, take_record_batch(batch, &indices)?));
    }
    Ok(out)
}

/// Finds the partitions of many keys: [`find_partition`] for RANGE tables (a binary search), and a
/// binary search over a sorted index of the listed tuples for LIST tables, so that a table with many
/// list partitions (as expression partitioning makes) routes each row in logarithmic time.
struct PartitionLookup<'a> {
    table: &'a TableDef,
    /// LIST tables: every listed tuple with the index of its partition, sorted by [`compare_tuples`].
    lists: Option<Vec<(&'a [Value], usize)>>,
}

impl<'a> PartitionLookup<'a> {
    fn new(table: &'a TableDef) -> Self {
        let lists = (table.partition_kind == PartitionKind::List).then(|| {
            let mut index: Vec<(&[Value], usize)> = Vec::new();
            for (i, partition) in table.partitions.iter().enumerate() {
                if let PartitionBound::List { values } = &partition.bound {
                    index.extend(values.iter().map(|tuple| (tuple.as_slice(), i)));
                }
            }
            index.sort_by(|a, b| compare_tuples(a.0, b.0));
            index
        });
        PartitionLookup { table, lists }
    }

    fn find(&self, key: &[Value]) -> Option<usize> {
        match &self.lists {
            Some(index) => index.binary_search_by(|(tuple, _)| compare_tuples(tuple, key)).ok().map(|i| index[i].1),
            None => find_partition(self.table, key),
        }
    }
}

/// The index of the partition that holds `key`, if any.
pub fn find_partition(table: &TableDef, key: &[Value]) -> Option<usize> {
    match table.partition_kind {
        PartitionKind::Unpartitioned => (!table.partitions.is_empty()).then_some(0),
        PartitionKind::Range => {
            // Partitions are sorted by lower bound and never overlap.
            let idx = table.partitions.partition_point(|p| match &p.bound {
                PartitionBound::Range { lower, .. } => compare_tuples(lower, key).is_le(),
                _ => false,
            });
            let candidate = idx.checked_sub(1)?;
            table.partitions[candidate].bound.contains(key).then_some(candidate)
        }
        PartitionKind::List => table.partitions.iter().position(|p| p.bound.contains(key)),
    }
}

fn describe_key(table: &TableDef, key: &[Value]) -> String {
    table
        .partition_columns
        .iter()
        .zip(key)
        .map(|(name, v)| {
            let shown = table.column(name).map(|(_, c)| v.display(&c.column_type)).unwrap_or_else(|| format!("{v:?}"));
            format!("{name} = {shown}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn no_partition_error(table: &TableDef, key: &[Value]) -> StorageError {
    StorageError::InvalidInput(format!(
        "no partition of table {} accepts the row with {}",
        table.name,
        describe_key(table, key)
    ))
}
