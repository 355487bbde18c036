//! Expression partitioning: the partitions a table creates for itself when rows arrive that no existing
//! partition accepts, and their names.
//!
//! A table partitioned by `date_trunc('<unit>', col)` or `time_slice(col, INTERVAL n <unit>)` is an
//! ordinary RANGE table whose partitions are time slots ([`crate::calendar`]); a table partitioned by
//! a column list (`PARTITION BY col, ...`) is an ordinary LIST table with one partition per distinct
//! value tuple. So routing, pruning, SHOW PARTITIONS, TRUNCATE, DROP PARTITION and backups see plain
//! Range/List bounds; only the [`PartitionExpr`] kept in the `TableDef` says how to make new ones.
//!
//! What must stay true:
//! - the partitions planned here are a pure function of the table definition and the rows: nothing is
//!   created here; the engine adds them to the definition and commits them with the rows that need
//!   them, so a failed write leaves no partition behind;
//! - a planned partition never overlaps an existing one, and its name is unique in the table (compared
//!   case-insensitively, as StarRocks compares partition names);
//! - time slots: NULL and moments before 0000-01-01 go to the first slot (the one holding 0000-01-01),
//!   whose lower bound is MINVALUE, as StarRocks puts NULL in partition `p00000101`; a slot ending
//!   after 9999-12-31 23:59:59 ends at MAXVALUE; moments after that are refused;
//! - names are StarRocks': `p` + the slot's start as [`TimeUnit::partition_suffix`] formats it, or
//!   `p` + the values joined by `_` with every character other than ASCII letters and digits removed
//!   (`-`, `:` and space) or written as its hexadecimal code point, a leading `-` written as `_`, cut
//!   to 50 characters plus `_<hash>` when longer, and `_<hash>` appended when another partition already
//!   has the name (the hash is Java's `String.hashCode` in hex, as StarRocks computes it).

use std::collections::{BTreeSet, HashSet};

use arrow::array::RecordBatch;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::calendar::{datetime_to_value, moment, value_to_datetime, TimeUnit};
use crate::catalog::{ColumnDef, ColumnType, PartitionBound, TableDef};
use crate::error::{Result, StorageError};
use crate::routing::find_partition;
use crate::value::{compare_tuples, value_at, Value};

/// Most partitions one write may create (StarRocks' `auto_partition_max_creation_number_per_load`).
pub const MAX_NEW_PARTITIONS_PER_WRITE: usize = 4096;

/// Longest name made from list values before it is cut and given a hash suffix.
const MAX_LIST_NAME_LENGTH: usize = 50;

/// How an expression-partitioned table makes partitions. The partition column(s) are the table's
/// `partition_columns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartitionExpr {
    /// `date_trunc('<unit>', col)`: RANGE partitions of one `unit` each.
    DateTrunc { unit: TimeUnit },
    /// `time_slice(col, INTERVAL <interval> <unit>)`: RANGE partitions of `interval` units, counted from
    /// 0001-01-01 00:00:00.
    TimeSlice { unit: TimeUnit, interval: u32 },
    /// `PARTITION BY col, ...`: one LIST partition per distinct tuple of the partition columns.
    Columns,
}

impl PartitionExpr {
    /// The unit and interval of a time-function expression.
    pub fn time_slot(&self) -> Option<(TimeUnit, u32)> {
        match self {
            PartitionExpr::DateTrunc { unit } => Some((*unit, 1)),
            PartitionExpr::TimeSlice { unit, interval } => Some((*unit, *interval)),
            PartitionExpr::Columns => None,
        }
    }
}

/// A partition a write needs: its name and the rows it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPartition {
    pub name: String,
    pub bound: PartitionBound,
}

/// The partitions `table` lacks for `batches` (rows in the table's schema): for the rows no existing
/// partition accepts, the partitions the table's expression puts them in, each once, in the order the
/// rows first need them. Empty when the table has no expression or every row has a partition.
pub fn missing_partitions(table: &TableDef, batches: &[RecordBatch]) -> Result<Vec<NewPartition>> {
    let Some(expr) = &table.partition_expr else { return Ok(Vec::new()) };
    let planned = match expr.time_slot() {
        Some((unit, interval)) => missing_time_slots(table, unit, interval, batches)?,
        None => missing_value_lists(table, batches)?,
    };
    if planned.len() > MAX_NEW_PARTITIONS_PER_WRITE {
        return Err(StorageError::InvalidInput(format!(
            "the rows need {} new partitions of table {}; one statement creates at most {MAX_NEW_PARTITIONS_PER_WRITE}",
            planned.len(),
            table.name
        )));
    }
    Ok(planned)
}

/// First and last moments a time-function partition may hold (StarRocks' DATE/DATETIME range).
fn supported_range() -> (NaiveDateTime, NaiveDateTime) {
    let first = moment(0, 1, 1, 0).expect("0000-01-01 is a valid date");
    let last = moment(9999, 12, 31, 23)
        .and_then(|t| t.checked_add_signed(chrono::TimeDelta::microseconds(3_599_999_999)))
        .expect("9999-12-31 23:59:59.999999 is a valid moment");
    (first, last)
}

fn missing_time_slots(
    table: &TableDef,
    unit: TimeUnit,
    interval: u32,
    batches: &[RecordBatch],
) -> Result<Vec<NewPartition>> {
    let (index, column) = time_column(table)?;
    // Slot starts already planned, so that each slot is built once however many rows need it.
    let mut planned: BTreeSet<NaiveDateTime> = BTreeSet::new();
    let mut out = Vec::new();
    for batch in batches {
        let array = batch.column(index);
        for row in 0..batch.num_rows() {
            let value = value_at(array.as_ref(), row)?;
            if find_partition(table, std::slice::from_ref(&value)).is_some() {
                continue;
            }
            let start = slot_start(table, unit, interval, column, &value)?;
            if planned.insert(start) {
                out.push(slot_partition(table, unit, interval, column, start, &value)?);
            }
        }
    }
    Ok(out)
}

/// The partition column of a time-function table, with its index.
fn time_column(table: &TableDef) -> Result<(usize, &ColumnDef)> {
    let indexes = table.partition_column_indexes()?;
    match indexes.as_slice() {
        [index] => Ok((*index, &table.columns[*index])),
        _ => Err(corrupt(table, "a time-function partition expression needs exactly one partition column")),
    }
}

/// The start of the slot that holds `value` (NULL and moments before 0000-01-01: the first slot).
fn slot_start(
    table: &TableDef,
    unit: TimeUnit,
    interval: u32,
    column: &ColumnDef,
    value: &Value,
) -> Result<NaiveDateTime> {
    let (first_moment, last_moment) = supported_range();
    let moment = match value {
        Value::Null => first_moment,
        other => value_to_datetime(other).ok_or_else(|| {
            StorageError::InvalidInput(format!(
                "value {} of column {} is outside the dates expression partitioning of table {} supports",
                other.display(&column.column_type),
                column.name,
                table.name
            ))
        })?,
    };
    if moment > last_moment {
        return Err(StorageError::InvalidInput(format!(
            "value {} of column {} is after 9999-12-31 23:59:59, the last moment expression partitioning of table {} supports",
            value.display(&column.column_type),
            column.name,
            table.name
        )));
    }
    unit.slot_start(moment.max(first_moment), interval).ok_or_else(|| out_of_calendar(table))
}

/// The partition of the slot starting at `start`, checked against the table's partitions (`value` is
/// a value that needs it, for the error message).
fn slot_partition(
    table: &TableDef,
    unit: TimeUnit,
    interval: u32,
    column: &ColumnDef,
    start: NaiveDateTime,
    value: &Value,
) -> Result<NewPartition> {
    let (first_moment, last_moment) = supported_range();
    let first_slot = unit.slot_start(first_moment, interval).ok_or_else(|| out_of_calendar(table))?;
    let end = unit.add(start, i64::from(interval)).ok_or_else(|| out_of_calendar(table))?;
    let lower = if start == first_slot {
        Value::MinValue
    } else {
        datetime_to_value(start, &column.column_type).ok_or_else(|| out_of_calendar(table))?
    };
    let upper = if end > last_moment {
        Value::MaxValue
    } else {
        datetime_to_value(end, &column.column_type).ok_or_else(|| out_of_calendar(table))?
    };
    let name = format!("p{}", unit.partition_suffix(start.max(first_moment)));
    let partition = NewPartition { name, bound: PartitionBound::Range { lower: vec![lower], upper: vec![upper] } };
    check_fits(table, &partition, value, &column.column_type)?;
    Ok(partition)
}

/// The partition `table`'s expression puts `key` (one value per partition column, in their order) in,
/// or `None` when a partition already holds it or the table has no expression.
pub fn partition_for_key(table: &TableDef, key: &[Value]) -> Result<Option<NewPartition>> {
    let Some(expr) = &table.partition_expr else { return Ok(None) };
    if find_partition(table, key).is_some() {
        return Ok(None);
    }
    if let Some((unit, interval)) = expr.time_slot() {
        let (_, column) = time_column(table)?;
        let value = key.first().ok_or_else(|| corrupt(table, "an empty partition key"))?;
        let start = slot_start(table, unit, interval, column, value)?;
        return slot_partition(table, unit, interval, column, start, value).map(Some);
    }
    let indexes = table.partition_column_indexes()?;
    let types: Vec<&ColumnType> = indexes.iter().map(|&i| &table.columns[i].column_type).collect();
    let names: HashSet<String> = table.partitions.iter().map(|p| p.name.to_ascii_lowercase()).collect();
    let name = unique_name(table, list_partition_name(key, &types), &names)?;
    Ok(Some(NewPartition { name, bound: PartitionBound::List { values: vec![key.to_vec()] } }))
}

/// A new time slot must neither overlap nor share its name with an existing partition (only possible
/// when partitions were added by hand with ALTER TABLE ADD PARTITION).
fn check_fits(table: &TableDef, partition: &NewPartition, value: &Value, column_type: &ColumnType) -> Result<()> {
    let clash = table
        .partitions
        .iter()
        .find(|p| p.bound.overlaps(&partition.bound) || p.name.eq_ignore_ascii_case(&partition.name));
    match clash {
        None => Ok(()),
        Some(existing) => Err(StorageError::InvalidInput(format!(
            "the row with {} = {} needs partition {} of table {}, which would {} existing partition {}",
            table.partition_columns.join(", "),
            value.display(column_type),
            partition.name,
            table.name,
            if existing.bound.overlaps(&partition.bound) { "overlap" } else { "have the name of" },
            existing.name
        ))),
    }
}

/// A partition-column tuple ordered by [`compare_tuples`], so distinct tuples can be collected.
#[derive(Debug, Clone, PartialEq)]
struct Tuple(Vec<Value>);

impl Eq for Tuple {}

impl PartialOrd for Tuple {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tuple {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare_tuples(&self.0, &other.0)
    }
}

fn missing_value_lists(table: &TableDef, batches: &[RecordBatch]) -> Result<Vec<NewPartition>> {
    let indexes = table.partition_column_indexes()?;
    let types: Vec<&ColumnType> = indexes.iter().map(|&i| &table.columns[i].column_type).collect();
    let mut seen: BTreeSet<Tuple> = BTreeSet::new();
    let mut names: HashSet<String> = table.partitions.iter().map(|p| p.name.to_ascii_lowercase()).collect();
    let mut out = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let tuple = indexes.iter().map(|&i| value_at(batch.column(i).as_ref(), row)).collect::<Result<Vec<_>>>()?;
            // Each distinct tuple is looked up once, whether a partition holds it or not.
            if !seen.insert(Tuple(tuple.clone())) || find_partition(table, &tuple).is_some() {
                continue;
            }
            let name = unique_name(table, list_partition_name(&tuple, &types), &names)?;
            names.insert(name.to_ascii_lowercase());
            out.push(NewPartition { name, bound: PartitionBound::List { values: vec![tuple] } });
        }
    }
    Ok(out)
}

/// StarRocks' name for the list partition of `tuple`, before making it unique.
pub fn list_partition_name(tuple: &[Value], types: &[&ColumnType]) -> String {
    let parts: Vec<String> = tuple
        .iter()
        .zip(types)
        .map(|(value, ty)| match value {
            Value::Null => "NULL".to_string(),
            other => name_part(&other.display(ty)),
        })
        .collect();
    let name = format!("p{}", parts.join("_"));
    if name.len() > MAX_LIST_NAME_LENGTH {
        // Every character of `name` is ASCII here, so cutting at a byte index is cutting at a character.
        format!("{}_{}", &name[..MAX_LIST_NAME_LENGTH], java_hash_hex(&name))
    } else {
        name
    }
}

/// One value as it appears in a partition name (StarRocks' `getFormatPartitionValue`).
fn name_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.starts_with('-') {
        out.push('_');
    }
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !matches!(c, '-' | ':' | ' ') {
            out.push_str(&format!("{:x}", u32::from(c)));
        }
    }
    out
}

/// `name`, or, when the table already has a partition of that name (in any case), `name_<hash>`, the
/// hash counted up until the name is free (StarRocks' `calculateUniquePartitionName`).
fn unique_name(table: &TableDef, name: String, taken: &HashSet<String>) -> Result<String> {
    if !taken.contains(&name.to_ascii_lowercase()) {
        return Ok(name);
    }
    let mut hash = java_hash(&name);
    for _ in 0..=100 {
        let candidate = format!("{name}_{:x}", hash as u32);
        if !taken.contains(&candidate.to_ascii_lowercase()) {
            return Ok(candidate);
        }
        hash = hash.wrapping_add(1);
    }
    Err(StorageError::Conflict(format!("no free partition name for {name} in table {}", table.name)))
}

/// Java's `String.hashCode`: over UTF-16 code units, `h = 31 * h + c`, wrapping.
fn java_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn java_hash_hex(text: &str) -> String {
    format!("{:x}", java_hash(text) as u32)
}

fn corrupt(table: &TableDef, what: &str) -> StorageError {
    StorageError::Corruption(format!("table {}: {what}", table.name))
}

fn out_of_calendar(table: &TableDef) -> StorageError {
    StorageError::InvalidInput(format!("table {}: a partition slot is outside the calendar", table.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_follow_starrocks() {
        let string = ColumnType::String;
        let date = ColumnType::Date;
        let int = ColumnType::Int;
        assert_eq!(name_part("-11"), "_11");
        assert_eq!(name_part("2020-01-01"), "20200101");
        assert_eq!(name_part("杭州"), "676d5dde");
        assert_eq!(name_part("a.b/c"), "a2eb2fc");
        let tuple = [Value::Date(19083), Value::String("beijing".into())];
        assert_eq!(list_partition_name(&tuple, &[&date, &string]), "p20220401_beijing");
        assert_eq!(list_partition_name(&[Value::Int(-5)], &[&int]), "p_5");
        assert_eq!(list_partition_name(&[Value::Null], &[&int]), "pNULL");
        let long = "x".repeat(60);
        let name = list_partition_name(&[Value::String(long.clone())], &[&string]);
        assert_eq!(name, format!("p{}_{}", &long[..49], java_hash_hex(&format!("p{long}"))));
    }

    /// A table record as format 1 wrote it before expression partitioning existed.
    const RECORD_WITHOUT_EXPRESSION: &str = r#"{"format":1,"id":7,"database_id":2,"name":"t",
        "columns":[{"name":"d","column_type":{"type":"date"},"nullable":true}],
        "key":{"model":"duplicate","columns":["d"]},"partition_kind":"range","partition_columns":["d"],
        "partitions":[],"distribution":{"kind":"random","buckets":1},"create_time_ms":0}"#;

    #[test]
    fn records_without_an_expression_still_load_and_are_written_unchanged() {
        let def: TableDef = serde_json::from_str(RECORD_WITHOUT_EXPRESSION).expect("old record loads");
        assert_eq!(def.partition_expr, None);
        let written = serde_json::to_string(&def).expect("encode");
        assert!(!written.contains("partition_expr"), "{written}");

        let mut with = def.clone();
        with.partition_expr = Some(PartitionExpr::TimeSlice { unit: TimeUnit::Day, interval: 7 });
        let written = serde_json::to_string(&with).expect("encode");
        assert!(written.contains(r#""partition_expr":{"kind":"time_slice","unit":"day","interval":7}"#), "{written}");
        assert_eq!(serde_json::from_str::<TableDef>(&written).expect("decode"), with);
        with.partition_expr = Some(PartitionExpr::Columns);
        let written = serde_json::to_string(&with).expect("encode");
        assert!(written.contains(r#""partition_expr":{"kind":"columns"}"#), "{written}");
    }

    #[test]
    fn java_string_hash() {
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("hello"), 99_162_322);
        // Wraps like Java's int arithmetic.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    }
}
