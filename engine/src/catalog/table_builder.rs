//! Building and validating table definitions from CREATE TABLE / ALTER TABLE syntax.
//!
//! Every rule StarRocks enforces on a definition that makes sense on one node is checked here, before
//! anything is written, with a message that names the table, column or partition at fault.

use std::collections::{BTreeMap, HashSet};

use tessera_sql::{ColumnSpec, DistributionSpec, Literal, PartitionSpec, PartitionValues, SqlType};
use tessera_storage::catalog::MAX_DECIMAL_PRECISION;
use tessera_storage::value::compare_tuples;
use tessera_storage::{
    ColumnDef, ColumnType, DefaultValue, Distribution, PartitionBound, PartitionDef, PartitionId, PartitionKind,
    TableDef, TabletId, Value,
};

use crate::error::{EngineError, Result};

fn invalid(message: String) -> EngineError {
    EngineError::InvalidInput(message)
}

/// Longest CHAR, as in StarRocks.
const MAX_CHAR_LENGTH: u32 = 255;
/// Longest VARCHAR, as in StarRocks.
const MAX_VARCHAR_LENGTH: u32 = 1_048_576;
/// Most buckets one partition may have.
const MAX_BUCKETS: u64 = 1024;

/// Converts a column type as written into a validated storage type.
pub(crate) fn column_type(table: &str, column: &str, ty: &SqlType) -> Result<ColumnType> {
    Ok(match ty {
        SqlType::Boolean => ColumnType::Boolean,
        SqlType::TinyInt => ColumnType::TinyInt,
        SqlType::SmallInt => ColumnType::SmallInt,
        SqlType::Int => ColumnType::Int,
        SqlType::BigInt => ColumnType::BigInt,
        SqlType::LargeInt => ColumnType::LargeInt,
        SqlType::Float => ColumnType::Float,
        SqlType::Double => ColumnType::Double,
        SqlType::Decimal(p, s) => {
            let precision = p.unwrap_or(10);
            let scale = s.unwrap_or(0);
            if precision == 0 || precision > u32::from(MAX_DECIMAL_PRECISION) {
                return Err(invalid(format!(
                    "column {column} of table {table}: DECIMAL precision must be between 1 and {MAX_DECIMAL_PRECISION}, found {precision}"
                )));
            }
            if scale > precision {
                return Err(invalid(format!(
                    "column {column} of table {table}: DECIMAL scale {scale} is larger than its precision {precision}"
                )));
            }
            ColumnType::Decimal { precision: precision as u8, scale: scale as u8 }
        }
        SqlType::Char(n) => {
            let n = n.unwrap_or(1);
            if n == 0 || n > MAX_CHAR_LENGTH {
                return Err(invalid(format!(
                    "column {column} of table {table}: CHAR length must be between 1 and {MAX_CHAR_LENGTH}, found {n}"
                )));
            }
            ColumnType::Char(n)
        }
        SqlType::Varchar(n) => {
            let n = n.unwrap_or(1);
            if n == 0 || n > MAX_VARCHAR_LENGTH {
                return Err(invalid(format!(
                    "column {column} of table {table}: VARCHAR length must be between 1 and {MAX_VARCHAR_LENGTH}, found {n}"
                )));
            }
            ColumnType::Varchar(n)
        }
        SqlType::String => ColumnType::String,
        SqlType::Date => ColumnType::Date,
        SqlType::Datetime => ColumnType::Datetime,
    })
}

/// A literal as a value of `ty`. `what` names where the literal appears, for errors.
pub(crate) fn literal_value(literal: &Literal, ty: &ColumnType, what: &str) -> Result<Value> {
    let text = match literal {
        Literal::Null => return Ok(Value::Null),
        Literal::MaxValue => return Ok(Value::MaxValue),
        Literal::CurrentTimestamp => {
            return Err(invalid(format!(
                "{what}: CURRENT_TIMESTAMP is only allowed as the DEFAULT of a DATETIME column"
            )))
        }
        Literal::Boolean(b) => {
            if *ty == ColumnType::Boolean {
                return Ok(Value::Boolean(*b));
            }
            if *b { "1" } else { "0" }.to_string()
        }
        Literal::Number(s) | Literal::String(s) => s.clone(),
    };
    if *ty == ColumnType::Boolean {
        return match text.to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(Value::Boolean(true)),
            "0" | "false" => Ok(Value::Boolean(false)),
            _ => Err(invalid(format!("{what}: '{text}' is not a valid BOOLEAN"))),
        };
    }
    Value::parse(&text, ty).map_err(|e| invalid(format!("{what}: {e}")))
}

/// Builds one column definition.
pub(crate) fn column_def(table: &str, spec: &ColumnSpec) -> Result<ColumnDef> {
    if spec.name.is_empty() {
        return Err(invalid(format!("table {table} has a column with an empty name")));
    }
    let column_type = column_type(table, &spec.name, &spec.data_type)?;
    let nullable = spec.nullable.unwrap_or(true);
    let default = match &spec.default {
        None => None,
        Some(Literal::CurrentTimestamp) => {
            if column_type != ColumnType::Datetime {
                return Err(invalid(format!(
                    "column {} of table {table}: DEFAULT CURRENT_TIMESTAMP needs a DATETIME column, not {column_type}",
                    spec.name
                )));
            }
            Some(DefaultValue::CurrentTimestamp)
        }
        Some(Literal::MaxValue) => {
            return Err(invalid(format!("column {} of table {table}: MAXVALUE is not a valid DEFAULT", spec.name)))
        }
        Some(lit) => {
            let value = literal_value(lit, &column_type, &format!("DEFAULT of column {} of table {table}", spec.name))?;
            if value.is_null() && !nullable {
                return Err(invalid(format!(
                    "column {} of table {table} is NOT NULL and cannot have DEFAULT NULL",
                    spec.name
                )));
            }
            Some(DefaultValue::Value(value))
        }
    };
    Ok(ColumnDef {
        name: spec.name.clone(),
        column_type,
        nullable,
        default,
        comment: spec.comment.clone(),
        aggregate: spec.aggregate.map(super::key_model::aggregate_function),
    })
}

pub(crate) fn check_unique_columns(table: &str, columns: &[ColumnDef]) -> Result<()> {
    let mut seen = HashSet::new();
    for c in columns {
        if !seen.insert(c.name.to_ascii_lowercase()) {
            return Err(invalid(format!("Duplicate column name '{}' in table {table}", c.name)));
        }
    }
    Ok(())
}

fn is_float(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Float | ColumnType::Double)
}

/// The distribution (bucketing) of a table.
pub(crate) fn distribution(
    table: &str,
    columns: &[ColumnDef],
    spec: Option<&DistributionSpec>,
) -> Result<Distribution> {
    let check_buckets = |b: Option<u64>| -> Result<u32> {
        let n = b.unwrap_or(1);
        if n == 0 || n > MAX_BUCKETS {
            return Err(invalid(format!("table {table}: BUCKETS must be between 1 and {MAX_BUCKETS}, found {n}")));
        }
        Ok(n as u32)
    };
    match spec {
        None => Ok(Distribution::Random { buckets: 1 }),
        Some(DistributionSpec::Random { buckets }) => Ok(Distribution::Random { buckets: check_buckets(*buckets)? }),
        Some(DistributionSpec::Hash { columns: names, buckets }) => {
            if names.is_empty() {
                return Err(invalid(format!("table {table}: DISTRIBUTED BY HASH needs at least one column")));
            }
            let mut seen = HashSet::new();
            for name in names {
                let Some(c) = columns.iter().find(|c| &c.name == name) else {
                    return Err(invalid(format!("table {table}: distribution column {name} does not exist")));
                };
                if is_float(&c.column_type) {
                    return Err(invalid(format!(
                        "table {table}: {} column {name} cannot be a distribution column",
                        c.column_type
                    )));
                }
                if !seen.insert(name) {
                    return Err(invalid(format!("table {table}: distribution column {name} is listed twice")));
                }
            }
            Ok(Distribution::Hash { columns: names.clone(), buckets: check_buckets(*buckets)? })
        }
    }
}

/// Validates PROPERTIES. Only properties that mean something on a single node are accepted.
pub(crate) fn properties(table: &str, given: &[(String, String)]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut unknown = Vec::new();
    for (key, value) in given {
        match key.as_str() {
            "replication_num" => {
                let n: i64 = value.trim().parse().map_err(|_| {
                    invalid(format!("table {table}: replication_num must be a positive integer, found '{value}'"))
                })?;
                if !(1..=32767).contains(&n) {
                    return Err(invalid(format!(
                        "table {table}: replication_num must be between 1 and 32767, found {n}"
                    )));
                }
                out.insert(key.clone(), n.to_string());
            }
            "storage_medium" => {
                let v = value.to_ascii_uppercase();
                if v != "HDD" && v != "SSD" {
                    return Err(invalid(format!("table {table}: storage_medium must be HDD or SSD, found '{value}'")));
                }
                out.insert(key.clone(), v);
            }
            k if k.starts_with(super::dynamic_partition::PROPERTY_PREFIX) => {
                out.insert(key.clone(), super::dynamic_partition::normalize_property(table, key, value)?);
            }
            _ => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "table {table}: unknown properties [{}] (supported: replication_num, storage_medium, dynamic_partition.*)",
            unknown.join(", ")
        )));
    }
    Ok(out)
}

/// Checks partition columns and returns them.
pub(crate) fn partition_columns(table: &str, columns: &[ColumnDef], names: &[String]) -> Result<Vec<String>> {
    if names.is_empty() {
        return Err(invalid(format!("table {table}: PARTITION BY needs at least one column")));
    }
    for name in names {
        let Some(c) = columns.iter().find(|c| &c.name == name) else {
            return Err(invalid(format!("table {table}: partition column {name} does not exist")));
        };
        if is_float(&c.column_type) {
            return Err(invalid(format!(
                "table {table}: {} column {name} cannot be a partition column",
                c.column_type
            )));
        }
    }
    Ok(names.to_vec())
}

/// Converts one partition tuple to values of the partition columns' types.
fn tuple(table: &TableDef, partition: &str, literals: &[Literal], allow_short: bool) -> Result<Vec<Value>> {
    let n = table.partition_columns.len();
    if literals.len() > n || (!allow_short && literals.len() != n) || literals.is_empty() {
        return Err(invalid(format!(
            "partition {partition} of table {}: expected {n} value(s) for partition column(s) ({}), found {}",
            table.name,
            table.partition_columns.join(", "),
            literals.len()
        )));
    }
    let mut out = Vec::with_capacity(literals.len());
    for (literal, column) in literals.iter().zip(&table.partition_columns) {
        let (_, def) = table.column(column).ok_or_else(|| {
            EngineError::Internal(format!("partition column {column} missing from table {}", table.name))
        })?;
        let what = format!("partition {partition} of table {}", table.name);
        let value = literal_value(literal, &def.column_type, &what)?;
        if value.is_null() {
            return Err(invalid(format!("{what}: a partition value cannot be NULL")));
        }
        out.push(value);
    }
    Ok(out)
}

/// Adds a partition to `table` (with fresh ids from `next_id`), checking its name, values and that it
/// overlaps no existing partition. `previous_upper` is the upper bound a `LESS THAN` partition starts
/// from (the upper bound of the partition written before it; for ADD PARTITION, the highest one).
pub(crate) fn add_partition(
    table: &mut TableDef,
    spec: &PartitionSpec,
    previous_upper: Option<Vec<Value>>,
    next_id: &mut dyn FnMut() -> Result<u64>,
) -> Result<()> {
    if spec.name.is_empty() {
        return Err(invalid(format!("table {}: a partition name cannot be empty", table.name)));
    }
    if table.partition(&spec.name).is_some() {
        return Err(EngineError::AlreadyExists(format!(
            "Duplicate partition name {} in table {}",
            spec.name, table.name
        )));
    }
    let bound = match (table.partition_kind, &spec.values) {
        (PartitionKind::Range, PartitionValues::LessThan(upper)) => {
            let upper = tuple(table, &spec.name, upper, true)?;
            let lower = previous_upper.unwrap_or_else(|| vec![Value::MinValue]);
            if compare_tuples(&lower, &upper).is_ge() {
                return Err(invalid(format!(
                    "partition {} of table {}: upper bound ({}) must be greater than the previous partition's upper bound ({})",
                    spec.name,
                    table.name,
                    show_tuple(table, &upper),
                    show_tuple(table, &lower)
                )));
            }
            PartitionBound::Range { lower, upper }
        }
        (PartitionKind::Range, PartitionValues::Fixed(lo, hi)) => {
            let lower = tuple(table, &spec.name, lo, true)?;
            let upper = tuple(table, &spec.name, hi, true)?;
            if compare_tuples(&lower, &upper).is_ge() {
                return Err(invalid(format!(
                    "partition {} of table {}: lower bound ({}) must be less than upper bound ({})",
                    spec.name,
                    table.name,
                    show_tuple(table, &lower),
                    show_tuple(table, &upper)
                )));
            }
            PartitionBound::Range { lower, upper }
        }
        (PartitionKind::List, PartitionValues::In(values)) => {
            if values.is_empty() {
                return Err(invalid(format!("partition {} of table {}: VALUES IN needs at least one value", spec.name, table.name)));
            }
            let mut tuples: Vec<Vec<Value>> = Vec::new();
            for v in values {
                let t = tuple(table, &spec.name, v, false)?;
                if t.iter().any(|x| matches!(x, Value::MaxValue)) {
                    return Err(invalid(format!("partition {} of table {}: MAXVALUE is only valid in RANGE partitions", spec.name, table.name)));
                }
                if tuples.iter().any(|x| compare_tuples(x, &t).is_eq()) {
                    return Err(invalid(format!(
                        "partition {} of table {}: value ({}) is listed twice",
                        spec.name,
                        table.name,
                        show_tuple(table, &t)
                    )));
                }
                tuples.push(t);
            }
            PartitionBound::List { values: tuples }
        }
        (PartitionKind::Range, PartitionValues::In(_)) => {
            return Err(invalid(format!(
                "partition {} of table {}: VALUES IN is for LIST partitioning; RANGE partitions use VALUES LESS THAN or VALUES [...)",
                spec.name, table.name
            )))
        }
        (PartitionKind::List, _) => {
            return Err(invalid(format!(
                "partition {} of table {}: LIST partitions take VALUES IN (...)",
                spec.name, table.name
            )))
        }
        (PartitionKind::Unpartitioned, _) => {
            return Err(invalid(format!("table {} is not partitioned; it cannot have partition {}", table.name, spec.name)))
        }
    };
    if let Some(other) = table.partitions.iter().find(|p| p.bound.overlaps(&bound)) {
        return Err(invalid(format!(
            "partition {} of table {} overlaps existing partition {}",
            spec.name, table.name, other.name
        )));
    }
    let buckets = table.distribution.buckets();
    let id = PartitionId(next_id()?);
    let tablets = (0..buckets).map(|_| next_id().map(TabletId)).collect::<Result<_>>()?;
    table.partitions.push(PartitionDef { id, name: spec.name.clone(), bound, tablets });
    table.sort_partitions();
    Ok(())
}

/// Renders a partition tuple for messages and SHOW output.
pub(crate) fn show_tuple(table: &TableDef, values: &[Value]) -> String {
    values
        .iter()
        .zip(&table.partition_columns)
        .map(|(v, c)| match table.column(c) {
            Some((_, def)) => v.display(&def.column_type),
            None => format!("{v:?}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The upper bound a new `LESS THAN` partition starts from: the highest existing upper bound.
pub(crate) fn highest_upper(table: &TableDef) -> Option<Vec<Value>> {
    table
        .partitions
        .iter()
        .filter_map(|p| match &p.bound {
            PartitionBound::Range { upper, .. } => Some(upper.clone()),
            _ => None,
        })
        .max_by(|a, b| compare_tuples(a, b))
}
