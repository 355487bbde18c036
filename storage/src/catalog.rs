//! Catalog definitions as they are persisted: databases, tables, columns, partitions and distribution.
//!
//! These records are the single source of truth for a table's shape. The engine validates DDL and
//! builds them; the storage layer persists them (RocksDB, see `docs/storage-format.md`) and routes rows
//! by them; backup copies them verbatim into manifests. New fields must get serde defaults so that
//! older records still load.

use std::collections::BTreeMap;
use std::fmt;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::ids::{DatabaseId, PartitionId, TableId, TabletId};
use crate::value::{compare_tuples, Value};

/// Format version written into every catalog record.
pub const CATALOG_FORMAT_VERSION: u32 = 1;

/// Largest precision of DECIMAL (and the precision LARGEINT is stored with).
pub const MAX_DECIMAL_PRECISION: u8 = 38;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "args", rename_all = "snake_case")]
pub enum ColumnType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    /// 128-bit integer, stored as DECIMAL(38, 0).
    LargeInt,
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Char(u32),
    Varchar(u32),
    String,
    Date,
    Datetime,
}

impl ColumnType {
    /// The Arrow type columns of this type have in segment files and query results.
    pub fn arrow_type(&self) -> DataType {
        match self {
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::TinyInt => DataType::Int8,
            ColumnType::SmallInt => DataType::Int16,
            ColumnType::Int => DataType::Int32,
            ColumnType::BigInt => DataType::Int64,
            ColumnType::LargeInt => DataType::Decimal128(MAX_DECIMAL_PRECISION, 0),
            ColumnType::Float => DataType::Float32,
            ColumnType::Double => DataType::Float64,
            ColumnType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale as i8),
            ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// The column type a query result of Arrow type `data_type` is stored as (CREATE TABLE AS SELECT).
    pub fn from_arrow(data_type: &DataType) -> Result<ColumnType> {
        Ok(match data_type {
            DataType::Boolean => ColumnType::Boolean,
            DataType::Int8 => ColumnType::TinyInt,
            DataType::Int16 | DataType::UInt8 => ColumnType::SmallInt,
            DataType::Int32 | DataType::UInt16 => ColumnType::Int,
            DataType::Int64 | DataType::UInt32 => ColumnType::BigInt,
            DataType::UInt64 => ColumnType::LargeInt,
            DataType::Float16 | DataType::Float32 => ColumnType::Float,
            DataType::Float64 => ColumnType::Double,
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) if *s >= 0 => {
                ColumnType::Decimal { precision: *p, scale: *s as u8 }
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnType::String,
            DataType::Date32 | DataType::Date64 => ColumnType::Date,
            DataType::Timestamp(_, _) => ColumnType::Datetime,
            DataType::Null => ColumnType::String,
            other => {
                return Err(StorageError::Unsupported(format!(
                    "a column of Arrow type {other} cannot be stored in a table"
                )))
            }
        })
    }

    /// Checks a value against limits Arrow does not enforce (CHAR/VARCHAR length).
    pub fn check_value(&self, value: &Value) -> Result<()> {
        if let (ColumnType::Char(n) | ColumnType::Varchar(n), Value::String(s)) = (self, value) {
            if s.len() > *n as usize {
                return Err(StorageError::InvalidInput(format!(
                    "string of {} bytes is too long for {self} ('{}')",
                    s.len(),
                    s.chars().take(32).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    pub fn is_string(&self) -> bool {
        matches!(self, ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String)
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Boolean => f.write_str("BOOLEAN"),
            ColumnType::TinyInt => f.write_str("TINYINT"),
            ColumnType::SmallInt => f.write_str("SMALLINT"),
            ColumnType::Int => f.write_str("INT"),
            ColumnType::BigInt => f.write_str("BIGINT"),
            ColumnType::LargeInt => f.write_str("LARGEINT"),
            ColumnType::Float => f.write_str("FLOAT"),
            ColumnType::Double => f.write_str("DOUBLE"),
            ColumnType::Decimal { precision, scale } => write!(f, "DECIMAL({precision},{scale})"),
            ColumnType::Char(n) => write!(f, "CHAR({n})"),
            ColumnType::Varchar(n) => write!(f, "VARCHAR({n})"),
            ColumnType::String => f.write_str("STRING"),
            ColumnType::Date => f.write_str("DATE"),
            ColumnType::Datetime => f.write_str("DATETIME"),
        }
    }
}

/// A column DEFAULT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DefaultValue {
    Value(Value),
    CurrentTimestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub column_type: ColumnType,
    pub nullable: bool,
    #[serde(default)]
    pub default: Option<DefaultValue>,
    #[serde(default)]
    pub comment: Option<String>,
    /// The aggregate function of a value column of an AGGREGATE KEY table (`None` everywhere else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateFunction>,
}

/// How rows with equal key columns relate (StarRocks' table types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyModel {
    /// Every row is kept; the key is only the sort/prefix key.
    Duplicate,
    /// One row per key: a new row with an existing key replaces it (upsert); supports DELETE and UPDATE.
    Primary,
    /// One row per key, the latest written wins (same visible semantics as `Primary`).
    Unique,
    /// One row per key whose value columns are aggregated with their [`AggregateFunction`].
    Aggregate,
}

impl KeyModel {
    /// True for the models that keep one row per key (backed by a primary index and delete vectors).
    pub fn is_keyed(self) -> bool {
        !matches!(self, KeyModel::Duplicate)
    }
}

impl fmt::Display for KeyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyModel::Duplicate => f.write_str("DUPLICATE"),
            KeyModel::Primary => f.write_str("PRIMARY"),
            KeyModel::Unique => f.write_str("UNIQUE"),
            KeyModel::Aggregate => f.write_str("AGGREGATE"),
        }
    }
}

/// How a value column of an AGGREGATE KEY table combines the rows of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregateFunction {
    Sum,
    Min,
    Max,
    /// The latest written value.
    Replace,
    /// The latest written value that is not NULL.
    ReplaceIfNotNull,
}

impl fmt::Display for AggregateFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AggregateFunction::Sum => "SUM",
            AggregateFunction::Min => "MIN",
            AggregateFunction::Max => "MAX",
            AggregateFunction::Replace => "REPLACE",
            AggregateFunction::ReplaceIfNotNull => "REPLACE_IF_NOT_NULL",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDesc {
    pub model: KeyModel,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKind {
    /// No PARTITION BY: one partition named after the table.
    Unpartitioned,
    Range,
    List,
}

/// Which rows a partition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartitionBound {
    /// Every row (the single partition of an unpartitioned table).
    All,
    /// Rows whose partition-column tuple is in `[lower, upper)`.
    Range { lower: Vec<Value>, upper: Vec<Value> },
    /// Rows whose partition-column tuple equals one of `values`.
    List { values: Vec<Vec<Value>> },
}

impl PartitionBound {
    pub fn contains(&self, key: &[Value]) -> bool {
        match self {
            PartitionBound::All => true,
            PartitionBound::Range { lower, upper } => {
                compare_tuples(key, lower).is_ge() && compare_tuples(key, upper).is_lt()
            }
            PartitionBound::List { values } => values.iter().any(|v| compare_tuples(v, key).is_eq()),
        }
    }

    /// True when two range bounds share at least one key, or two list bounds share a value.
    pub fn overlaps(&self, other: &PartitionBound) -> bool {
        match (self, other) {
            (PartitionBound::Range { lower: l1, upper: u1 }, PartitionBound::Range { lower: l2, upper: u2 }) => {
                compare_tuples(l1, u2).is_lt() && compare_tuples(l2, u1).is_lt()
            }
            (PartitionBound::List { values: a }, PartitionBound::List { values: b }) => {
                a.iter().any(|x| b.iter().any(|y| compare_tuples(x, y).is_eq()))
            }
            _ => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionDef {
    pub id: PartitionId,
    pub name: String,
    pub bound: PartitionBound,
    /// One tablet per bucket, in bucket order.
    pub tablets: Vec<TabletId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    Hash { columns: Vec<String>, buckets: u32 },
    Random { buckets: u32 },
}

impl Distribution {
    pub fn buckets(&self) -> u32 {
        match self {
            Distribution::Hash { buckets, .. } | Distribution::Random { buckets } => *buckets,
        }
    }
}

/// What a table is doing, persisted with its definition. `Restore`: a running RESTORE will overwrite it,
/// so writes and DDL are refused until the job ends (the engine enforces this; on open, no job runs, so
/// the engine puts every table back to `Normal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableState {
    #[default]
    Normal,
    Restore,
}

impl fmt::Display for TableState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableState::Normal => f.write_str("NORMAL"),
            TableState::Restore => f.write_str("RESTORE"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseDef {
    #[serde(default = "format_version")]
    pub format: u32,
    pub id: DatabaseId,
    pub name: String,
    pub create_time_ms: i64,
}

fn format_version() -> u32 {
    CATALOG_FORMAT_VERSION
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    #[serde(default = "format_version")]
    pub format: u32,
    pub id: TableId,
    pub database_id: DatabaseId,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub key: KeyDesc,
    #[serde(default)]
    pub comment: Option<String>,
    pub partition_kind: PartitionKind,
    /// Partition columns (empty when unpartitioned).
    pub partition_columns: Vec<String>,
    /// Partitions sorted by their bound (range: by lower bound; list: as created).
    pub partitions: Vec<PartitionDef>,
    /// Expression partitioning: how the table makes a partition for rows no partition accepts (see
    /// `auto_partition`). Absent for tables whose partitions are only made by DDL, and in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_expr: Option<crate::auto_partition::PartitionExpr>,
    pub distribution: Distribution,
    /// PROPERTIES as given (validated keys only), shown again by SHOW CREATE TABLE.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    pub create_time_ms: i64,
    /// Absent in records written before table states existed (= `Normal`).
    #[serde(default)]
    pub state: TableState,
    /// Set when the table is a materialized view (its rows are derived from other tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub materialized: Option<Box<crate::materialized::MaterializedViewDef>>,
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<(usize, &ColumnDef)> {
        self.columns.iter().enumerate().find(|(_, c)| c.name == name)
    }

    /// The Arrow schema of the table's rows (and of every one of its segment files).
    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> =
            self.columns.iter().map(|c| Field::new(&c.name, c.column_type.arrow_type(), c.nullable)).collect();
        std::sync::Arc::new(Schema::new(fields))
    }

    /// The partition named `name`. Partition names are case-insensitive, as in StarRocks.
    pub fn partition(&self, name: &str) -> Option<&PartitionDef> {
        self.partitions.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Indexes (into `columns`) of the key columns.
    pub fn key_column_indexes(&self) -> Result<Vec<usize>> {
        self.column_indexes(&self.key.columns)
    }

    /// Indexes (into `columns`) of the partition columns.
    pub fn partition_column_indexes(&self) -> Result<Vec<usize>> {
        self.column_indexes(&self.partition_columns)
    }

    /// Indexes (into `columns`) of the bucketing columns (empty for RANDOM distribution).
    pub fn bucket_column_indexes(&self) -> Result<Vec<usize>> {
        match &self.distribution {
            Distribution::Hash { columns, .. } => self.column_indexes(columns),
            Distribution::Random { .. } => Ok(Vec::new()),
        }
    }

    fn column_indexes(&self, names: &[String]) -> Result<Vec<usize>> {
        names
            .iter()
            .map(|n| {
                self.column(n).map(|(i, _)| i).ok_or_else(|| {
                    StorageError::Corruption(format!("table {} names unknown column {n} in its layout", self.name))
                })
            })
            .collect()
    }

    /// All tablets of the table.
    pub fn tablets(&self) -> impl Iterator<Item = TabletId> + '_ {
        self.partitions.iter().flat_map(|p| p.tablets.iter().copied())
    }

    /// Sorts range partitions by lower bound (the order routing and SHOW PARTITIONS rely on).
    pub fn sort_partitions(&mut self) {
        if self.partition_kind == PartitionKind::Range {
            self.partitions.sort_by(|a, b| match (&a.bound, &b.bound) {
                (PartitionBound::Range { lower: la, .. }, PartitionBound::Range { lower: lb, .. }) => {
                    compare_tuples(la, lb)
                }
                _ => std::cmp::Ordering::Equal,
            });
        }
    }
}
