//! Expression partitioning in DDL: turning `PARTITION BY date_trunc(...)`, `time_slice(...)` or a
//! column list into the table's partition kind, columns and `PartitionExpr` (with StarRocks' rules),
//! and printing it back for SHOW CREATE TABLE.
//!
//! What must stay true: [`expression_sql`] prints exactly what [`apply`] accepts, so SHOW CREATE TABLE
//! re-creates the same table; a definition this module accepts is one `tessera_storage::auto_partition`
//! can always plan partitions for (one DATE/DATETIME column for the time functions; no floating point
//! or DECIMAL list columns).

use std::collections::HashSet;

use tessera_sql::{PartitionBy, PartitionExpression};
use tessera_storage::{ColumnType, PartitionExpr, PartitionKind, TableDef, TimeUnit};

use super::table_builder as build;
use crate::catalog::sql_text::quote_ident;
use crate::error::{EngineError, Result};

fn invalid(message: String) -> EngineError {
    EngineError::InvalidInput(message)
}

/// Largest `time_slice` interval (StarRocks takes an INT).
/// The longest time_slice interval per unit: 10000 years.
fn max_interval(unit: TimeUnit) -> u64 {
    match unit {
        TimeUnit::Hour => 10_000 * 366 * 24,
        TimeUnit::Day => 10_000 * 366,
        TimeUnit::Week => 10_000 * 53,
        TimeUnit::Month => 10_000 * 12,
        TimeUnit::Year => 10_000,
    }
}

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Hour => "hours",
        TimeUnit::Day => "days",
        TimeUnit::Week => "weeks",
        TimeUnit::Month => "months",
        TimeUnit::Year => "years",
    }
}

/// Makes `def` (with its columns) an expression-partitioned table as `partition_by` says. The table has
/// no partitions until rows arrive.
pub(crate) fn apply(def: &mut TableDef, partition_by: &PartitionBy, expression: &PartitionExpression) -> Result<()> {
    let table = def.name.clone();
    let columns = build::partition_columns(&table, &def.columns, &partition_by.columns)?;
    let column_type = |name: &str| -> Result<ColumnType> {
        def.column(name)
            .map(|(_, c)| c.column_type.clone())
            .ok_or_else(|| invalid(format!("table {table}: partition column {name} does not exist")))
    };
    let (kind, expr) = match expression {
        PartitionExpression::DateTrunc { unit } => {
            let unit = time_unit(&table, "date_trunc", unit)?;
            let ty = column_type(&columns[0])?;
            check_time_column(&table, "date_trunc", &columns[0], &ty, unit)?;
            (PartitionKind::Range, PartitionExpr::DateTrunc { unit })
        }
        PartitionExpression::TimeSlice { interval, unit, boundary } => {
            let unit = time_unit(&table, "time_slice", unit)?;
            let ty = column_type(&columns[0])?;
            if ty != ColumnType::Datetime {
                return Err(invalid(format!(
                    "table {table}: time_slice partitioning needs a DATETIME column; column {} is {ty}",
                    columns[0]
                )));
            }
            if let Some(boundary) = boundary.as_deref().filter(|b| *b != "floor") {
                return Err(invalid(format!(
                    "table {table}: time_slice partitioning only supports the floor boundary, not {boundary}"
                )));
            }
            // Slots longer than the calendar Tessera partitions (years 0..9999) would fall outside it.
            let max = max_interval(unit);
            if *interval > max {
                return Err(invalid(format!(
                    "table {table}: the time_slice interval must be at most {max} {} (10000 years), found {interval}",
                    unit_name(unit)
                )));
            }
            (PartitionKind::Range, PartitionExpr::TimeSlice { unit, interval: *interval as u32 })
        }
        PartitionExpression::Columns => {
            let mut seen = HashSet::new();
            for name in &columns {
                if !seen.insert(name) {
                    return Err(invalid(format!("table {table}: partition column {name} is listed twice")));
                }
                let ty = column_type(name)?;
                if matches!(ty, ColumnType::Decimal { .. } | ColumnType::Float | ColumnType::Double) {
                    return Err(invalid(format!(
                        "table {table}: column {name} ({ty}) cannot be an expression partition column; \
                         use string, integer, boolean, DATE or DATETIME columns"
                    )));
                }
            }
            (PartitionKind::List, PartitionExpr::Columns)
        }
    };
    def.partition_kind = kind;
    def.partition_columns = columns;
    def.partition_expr = Some(expr);
    Ok(())
}

/// The granularity of a time-function expression: hour, day, month or year (StarRocks supports no
/// other for expression partitioning).
fn time_unit(table: &str, function: &str, text: &str) -> Result<TimeUnit> {
    match TimeUnit::parse(text) {
        Some(unit @ (TimeUnit::Hour | TimeUnit::Day | TimeUnit::Month | TimeUnit::Year)) => Ok(unit),
        _ => Err(invalid(format!(
            "table {table}: {function} granularity '{text}' is not supported by expression partitioning; use hour, day, month or year"
        ))),
    }
}

fn check_time_column(table: &str, function: &str, column: &str, ty: &ColumnType, unit: TimeUnit) -> Result<()> {
    if !matches!(ty, ColumnType::Date | ColumnType::Datetime) {
        return Err(invalid(format!(
            "table {table}: {function} partitioning needs a DATE or DATETIME column; column {column} is {ty}"
        )));
    }
    if unit == TimeUnit::Hour && *ty == ColumnType::Date {
        return Err(invalid(format!(
            "table {table}: partitioning by hour needs a DATETIME column; column {column} is DATE"
        )));
    }
    Ok(())
}

/// The expression as CREATE TABLE writes it: `date_trunc('day', `dt`)`,
/// `time_slice(`dt`, INTERVAL 7 day)`, `(`dt`, `city`)`.
pub(crate) fn expression_sql(expr: &PartitionExpr, columns: &[String]) -> String {
    let first = columns.first().map(|c| quote_ident(c)).unwrap_or_default();
    match expr {
        PartitionExpr::DateTrunc { unit } => format!("date_trunc('{unit}', {first})"),
        PartitionExpr::TimeSlice { unit, interval } => format!("time_slice({first}, INTERVAL {interval} {unit})"),
        PartitionExpr::Columns => {
            format!("({})", columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", "))
        }
    }
}
