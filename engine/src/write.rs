//! The write path every statement that stores rows shares (INSERT, DELETE, UPDATE, CREATE TABLE AS,
//! materialized views, the Rust append API): rows converted to a table's types and checked
//! ([`conform_batch`]), routed to tablets and written as segments into a transaction ([`write_rows`]),
//! and the table locks and current definitions writers work under.
//!
//! What must stay true: nothing here commits; the caller adds the transaction's other changes and
//! commits once, so a statement is atomic. Rows are fully checked before any file is written.
//! Depends only on the shared state and storage, never on a session or a statement handler.
//!
//! Locks: INSERT and append take the table's lock shared (appends commute with each other and with
//! compaction), and exclusive when their rows need new partitions (`catalog::auto_partitions`);
//! INSERT OVERWRITE, DELETE and TRUNCATE take it exclusive, because they replace segments they have
//! read. Every write to a keyed table (PRIMARY, UNIQUE, AGGREGATE KEY) takes it exclusive: an upsert
//! reads the primary index and then changes it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::compute::kernels::cast::{cast_with_options, CastOptions};
use parking_lot::RwLock;
use rayon::prelude::*;
use tessera_storage::routing::route_batch;
use tessera_storage::value::values_to_array;
use tessera_storage::{ColumnType, DefaultValue, MetaState, Store, TableDef, TabletId, Transaction, Value};

use crate::catalog::auto_partitions::TableGuard;
use crate::error::{EngineError, Result};

/// The value `DEFAULT CURRENT_TIMESTAMP` takes now (UTC, microseconds).
pub(crate) fn current_timestamp_value() -> Value {
    let micros =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
    Value::Datetime(micros)
}

/// Converts `batch` to the table's schema. `positions[i]` is the batch column that feeds table column
/// `i`, or `None` for a column that takes its default.
pub(crate) fn conform_batch(table: &TableDef, batch: &RecordBatch, positions: &[Option<usize>]) -> Result<RecordBatch> {
    let strict = CastOptions { safe: false, ..Default::default() };
    let rows = batch.num_rows();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (column, position) in table.columns.iter().zip(positions) {
        let target = column.column_type.arrow_type();
        let array = match position {
            Some(j) => {
                let source = batch.column(*j);
                cast_with_options(source, &target, &strict).map_err(|e| {
                    EngineError::InvalidInput(format!(
                        "column {} of table {} ({}) cannot take a value of type {}: {e}",
                        column.name,
                        table.name,
                        column.column_type,
                        source.data_type()
                    ))
                })?
            }
            None => match &column.default {
                Some(DefaultValue::Value(v)) => values_to_array(&vec![v.clone(); rows], &column.column_type)?,
                Some(DefaultValue::CurrentTimestamp) => {
                    values_to_array(&vec![current_timestamp_value(); rows], &column.column_type)?
                }
                None if column.nullable => new_null_array(&target, rows),
                None => {
                    return Err(EngineError::InvalidInput(format!(
                        "column {} of table {} is NOT NULL and has no DEFAULT, so it needs a value",
                        column.name, table.name
                    )))
                }
            },
        };
        check_value_range(table, column, &array)?;
        if !column.nullable && array.null_count() > 0 {
            return Err(EngineError::InvalidInput(format!(
                "column {} of table {} is NOT NULL, but a row gives it NULL",
                column.name, table.name
            )));
        }
        if let ColumnType::Char(n) | ColumnType::Varchar(n) = column.column_type {
            if let Some(strings) = array.as_any().downcast_ref::<StringArray>() {
                if let Some(long) = strings.iter().flatten().find(|s| s.len() > n as usize) {
                    return Err(EngineError::InvalidInput(format!(
                        "value '{}' ({} bytes) is too long for column {} {} of table {}",
                        long.chars().take(40).collect::<String>(),
                        long.len(),
                        column.name,
                        column.column_type,
                        table.name
                    )));
                }
            }
        }
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(table.arrow_schema(), arrays)?)
}

/// Days from 1970-01-01 to 0000-01-01 and to 9999-12-31: StarRocks' DATE range.
const DATE_RANGE: (i32, i32) = (-719_528, 2_932_896);

/// Microseconds from 1970-01-01 00:00:00 to 0000-01-01 00:00:00 and to 9999-12-31 23:59:59.999999:
/// StarRocks' DATETIME range.
const DATETIME_RANGE: (i64, i64) = (-62_167_219_200_000_000, 253_402_300_799_999_999);

/// Refuses values the column type cannot hold as StarRocks does (dates and datetimes outside years
/// 0000-9999, infinite floating-point numbers: an overflowed literal or computation), so that nothing
/// is stored that a later read cannot show.
fn check_value_range(table: &TableDef, column: &tessera_storage::ColumnDef, array: &ArrayRef) -> Result<()> {
    use arrow::array::{Date32Array, Float32Array, Float64Array, TimestampMicrosecondArray};
    let out_of_range = |what: &str| {
        EngineError::InvalidInput(format!(
            "a value is out of the range of column {} {} of table {}: {what}",
            column.name, column.column_type, table.name
        ))
    };
    if let Some(dates) = array.as_any().downcast_ref::<Date32Array>() {
        let (lo, hi) = (arrow::compute::min(dates), arrow::compute::max(dates));
        if lo.is_some_and(|d| d < DATE_RANGE.0) || hi.is_some_and(|d| d > DATE_RANGE.1) {
            return Err(out_of_range("dates run from 0000-01-01 to 9999-12-31"));
        }
    } else if let Some(times) = array.as_any().downcast_ref::<TimestampMicrosecondArray>() {
        let (lo, hi) = (arrow::compute::min(times), arrow::compute::max(times));
        if lo.is_some_and(|t| t < DATETIME_RANGE.0) || hi.is_some_and(|t| t > DATETIME_RANGE.1) {
            return Err(out_of_range("datetimes run from 0000-01-01 00:00:00 to 9999-12-31 23:59:59"));
        }
    } else if let Some(values) = array.as_any().downcast_ref::<Float64Array>() {
        if values.iter().flatten().any(f64::is_infinite) {
            return Err(out_of_range("infinity is not a DOUBLE value"));
        }
    } else if let Some(values) = array.as_any().downcast_ref::<Float32Array>() {
        if values.iter().flatten().any(f32::is_infinite) {
            return Err(out_of_range("the value overflows FLOAT"));
        }
    }
    Ok(())
}

/// Where written rows go.
pub(crate) enum Target<'a> {
    /// Added to the table's rows. Keyed tables upsert against this state, read under the table's
    /// exclusive lock.
    Existing(&'a MetaState),
    /// A table created in the same transaction: nothing to merge with.
    New,
    /// Replacing everything in these tablets (INSERT OVERWRITE).
    Overwrite(Vec<TabletId>),
}

/// What [`write_rows`] did.
pub(crate) struct Written {
    /// Rows given (what INSERT reports).
    pub(crate) given: u64,
    /// Rows stored: fewer than given when a keyed table merged rows of one key.
    pub(crate) stored: u64,
}

/// Routes conformed rows to tablets, writes them and adds the changes to `txn`. Every row is routed
/// before any file is written. Batches are routed, and DUPLICATE KEY tablets written, on every core at
/// once; the parts of a tablet keep the order of the rows given.
pub(crate) fn write_rows(
    store: &Store,
    table: &TableDef,
    batches: &[RecordBatch],
    only_partitions: Option<&[String]>,
    target: Target<'_>,
    txn: &mut Transaction,
) -> Result<Written> {
    let given = batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
    let mut stored = 0u64;
    let routed: Vec<_> =
        batches.par_iter().map(|batch| route_batch(table, batch, only_partitions)).collect::<Result<_, _>>()?;
    let mut per_tablet = by_tablet(routed);
    let schema = table.arrow_schema();
    let keyed = table.key.model.is_keyed();
    if let Target::Overwrite(tablets) = &target {
        for tablet in tablets {
            let parts = per_tablet.remove(tablet).unwrap_or_default();
            if parts.is_empty() {
                txn.overwrite(*tablet, Vec::new());
                continue;
            }
            let merged = concat_batches(&schema, &parts)?;
            if keyed {
                // The index entries follow the overwrite, which empties the tablet's index.
                let mut index = Transaction::new();
                let rows = store.merge_batch(table, &merged)?;
                stored += rows.num_rows() as u64;
                let written = store.write_keyed(table, *tablet, &[rows], &mut index)?;
                txn.overwrite(*tablet, written);
                txn.extend(index);
            } else {
                stored += merged.num_rows() as u64;
                txn.overwrite(*tablet, store.write_segments(*tablet, &schema, &[merged])?);
            }
        }
    }
    if !keyed {
        // Appended as routed: the segment writer packs the parts into row groups itself. On failure the
        // files already written are removed as their pending segments drop.
        let written: Vec<_> = per_tablet
            .into_par_iter()
            .map(|(tablet, parts)| Ok((tablet, store.write_segments(tablet, &schema, &parts)?)))
            .collect::<Result<_>>()?;
        for (tablet, segments) in written {
            stored += segments.iter().map(|s| s.meta.rows).sum::<u64>();
            txn.append(tablet, segments);
        }
        return Ok(Written { given, stored });
    }
    for (tablet, parts) in per_tablet {
        let merged = concat_batches(&schema, &parts)?;
        match &target {
            // A tablet of a partition created by this write holds nothing to upsert against.
            Target::Existing(state) if state.tablet(tablet).is_some() => {
                stored += store.upsert(table, tablet, state, &merged, txn)?;
            }
            _ => {
                let rows = store.merge_batch(table, &merged)?;
                stored += rows.num_rows() as u64;
                let written = store.write_keyed(table, tablet, &[rows], txn)?;
                txn.append(tablet, written);
            }
        }
    }
    Ok(Written { given, stored })
}

/// The parts of routed batches, by tablet, each tablet's in the order of the batches.
pub(crate) fn by_tablet(routed: Vec<Vec<(TabletId, RecordBatch)>>) -> BTreeMap<TabletId, Vec<RecordBatch>> {
    let mut per_tablet: BTreeMap<TabletId, Vec<RecordBatch>> = BTreeMap::new();
    for (tablet, part) in routed.into_iter().flatten() {
        per_tablet.entry(tablet).or_default().push(part);
    }
    per_tablet
}

/// Takes the table's lock for adding rows: shared for DUPLICATE KEY tables (appends commute), exclusive
/// for keyed tables (an upsert reads the primary index it then changes) and for `exclusive` statements.
/// A shared hold becomes exclusive when the rows need new partitions (`catalog::auto_partitions`).
pub(crate) fn write_lock<'a>(lock: &'a RwLock<()>, table: &TableDef, exclusive: bool) -> TableGuard<'a> {
    TableGuard::take(lock, exclusive || table.key.model.is_keyed())
}

/// Reads the current definition of a table under its lock (it may have changed since it was resolved).
pub(crate) fn current_table(store: &Store, table: &TableDef) -> Result<Arc<TableDef>> {
    store
        .snapshot()
        .tables
        .get(&table.id)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("table {} was dropped", table.name)))
}

pub(crate) fn check_partitions(table: &TableDef, names: &[String]) -> Result<()> {
    for name in names {
        if table.partition(name).is_none() {
            return Err(EngineError::NotFound(format!("partition {name} does not exist in table {}", table.name)));
        }
    }
    Ok(())
}
