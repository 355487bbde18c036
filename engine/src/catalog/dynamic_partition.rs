//! Dynamic partitioning: the `dynamic_partition.*` properties of a RANGE-partitioned table, checked
//! with StarRocks' rules, and the partitions they ask for at a given moment: created `end` units ahead
//! (and `history_partition_num` behind), dropped once they end before `start` units ago.
//!
//! Supported properties: `enable` (default true), `time_unit` (HOUR, DAY, WEEK, MONTH, YEAR; required),
//! `start` (negative; default: never drop), `end` (positive; required), `prefix` (default `p`),
//! `buckets` (must equal the table's BUCKETS: every partition of a Tessera table has the same buckets),
//! `history_partition_num` (default 0), `start_day_of_week` (1 = Monday .. 7, default 1),
//! `start_day_of_month` (1 .. 28, default 1), `time_zone` (only UTC) and `replication_num` (checked,
//! meaningless on one node).
//!
//! Time zone: "now" is taken in UTC, and partition bounds are UTC days, hours, weeks, months, years.
//!
//! What must stay true: [`changes`] is a pure function of the definition and the moment, so a table
//! brought up to date twice for the same moment does not change the second time; it never adds a
//! partition that overlaps an existing one (a partition that overlaps only the start of the new range
//! shortens it, as in StarRocks) and never drops a partition that ends after the `start` border.
//! Names are `prefix` + StarRocks' suffix of the range's first moment ([`TimeUnit::partition_suffix`]).

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta};
use tessera_storage::auto_partition::NewPartition;
use tessera_storage::calendar::datetime_to_value;
use tessera_storage::value::compare_tuples;
use tessera_storage::{ColumnType, PartitionBound, PartitionKind, Store, TableDef, TimeUnit, Value};

use super::auto_partitions::add_partitions;
use crate::error::{EngineError, Result};

/// The prefix of every dynamic partitioning property.
pub(crate) const PROPERTY_PREFIX: &str = "dynamic_partition.";

/// Most partitions `end` + `history_partition_num` may ask for (StarRocks' `max_dynamic_partition_num`).
const MAX_DYNAMIC_PARTITIONS: i64 = 500;

fn invalid(table: &str, message: impl std::fmt::Display) -> EngineError {
    EngineError::InvalidInput(format!("table {table}: {message}"))
}

/// Checks one `dynamic_partition.*` property of table `table` and returns its value as stored
/// (booleans lower-case, the time unit upper-case, numbers canonical).
pub(crate) fn normalize_property(table: &str, key: &str, value: &str) -> Result<String> {
    let name = key.strip_prefix(PROPERTY_PREFIX).unwrap_or(key);
    let trimmed = value.trim();
    // An INT (as StarRocks parses it) that must satisfy `rule`.
    let int = |malformed: String, rule: fn(i32) -> bool, broken: &str| -> Result<String> {
        let n = trimmed.parse::<i32>().map_err(|_| invalid(table, malformed))?;
        if !rule(n) {
            return Err(invalid(table, broken));
        }
        Ok(n.to_string())
    };
    Ok(match name {
        "enable" => match trimmed.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => v.to_string(),
            _ => {
                return Err(invalid(
                    table,
                    format!("Invalid dynamic partition enable: {value}. Expected true or false"),
                ))
            }
        },
        "time_unit" => match TimeUnit::parse(trimmed) {
            Some(unit) => unit.to_string().to_ascii_uppercase(),
            None => {
                return Err(invalid(table, format!("Unsupported time unit {value}. Expect HOUR/DAY/WEEK/MONTH/YEAR.")))
            }
        },
        "start" => int(
            format!("Invalid dynamic partition start {value}"),
            |n| n < 0,
            "Dynamic partition start must less than 0",
        )?,
        "end" => int(
            format!("Invalid dynamic partition end {value}"),
            |n| n > 0,
            "Dynamic partition end must greater than 0",
        )?,
        "prefix" => {
            let mut chars = trimmed.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
                && trimmed.len() <= 64;
            if !valid {
                return Err(invalid(
                    table,
                    format!("Invalid dynamic partition prefix: {value} (a letter, then letters, digits or _)"),
                ));
            }
            trimmed.to_string()
        }
        "buckets" => int(
            format!("Invalid dynamic partition buckets {value}"),
            |n| n > 0,
            "Dynamic partition buckets must greater than 0",
        )?,
        "history_partition_num" => {
            int(format!("Invalid properties: {key}"), |n| n >= 0, "Dynamic history partition num must not be negative")?
        }
        "start_day_of_week" => day_in(table, key, trimmed, 7)?,
        "start_day_of_month" => day_in(table, key, trimmed, 28)?,
        "replication_num" => int(
            format!("Invalid dynamic partition replication num: {value}"),
            |n| n > 0,
            "Dynamic partition replication num must greater than 0",
        )?,
        "time_zone" => {
            if !["UTC", "Etc/UTC", "+00:00"].iter().any(|z| z.eq_ignore_ascii_case(trimmed)) {
                return Err(invalid(
                    table,
                    format!("dynamic_partition.time_zone {value} is not supported: Tessera computes dynamic partitions in UTC"),
                ));
            }
            "UTC".to_string()
        }
        _ => {
            return Err(invalid(
                table,
                format!(
                "unknown property {key} (dynamic partitioning takes enable, time_unit, start, end, prefix, buckets, \
                     history_partition_num, start_day_of_week, start_day_of_month, time_zone, replication_num)"
            ),
            ))
        }
    })
}

fn day_in(table: &str, key: &str, value: &str, last: i64) -> Result<String> {
    match value.parse::<i64>() {
        Ok(day) if (1..=last).contains(&day) => Ok(day.to_string()),
        Ok(_) => Err(invalid(table, format!("{key} should between 1 and {last}"))),
        Err(_) => Err(invalid(table, format!("Invalid properties: {key}"))),
    }
}

/// The dynamic partitioning of one table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DynamicPartition {
    pub(crate) enable: bool,
    unit: TimeUnit,
    /// Partitions ending before this many units ago are dropped; `None`: none is.
    start: Option<i64>,
    end: i64,
    prefix: String,
    history: i64,
    /// 1 = Monday .. 7 = Sunday.
    start_day_of_week: u32,
    start_day_of_month: u32,
}

/// The dynamic partitioning of `def`, checked against its partitioning and columns; `None` when it has
/// no `dynamic_partition.*` property.
pub(crate) fn config(def: &TableDef) -> Result<Option<DynamicPartition>> {
    let get = |name: &str| def.properties.get(&format!("{PROPERTY_PREFIX}{name}"));
    if !def.properties.keys().any(|k| k.starts_with(PROPERTY_PREFIX)) {
        return Ok(None);
    }
    let table = &def.name;
    if def.partition_expr.is_some() {
        return Err(invalid(
            table,
            "dynamic_partition properties are for PARTITION BY RANGE tables; this table uses expression partitioning",
        ));
    }
    if def.partition_kind != PartitionKind::Range || def.partition_columns.len() != 1 {
        return Err(invalid(table, "Dynamic partition only support single-column range partition"));
    }
    // Values are parsed as 32-bit numbers (what CREATE TABLE accepts), so a damaged record cannot make
    // the arithmetic below overflow.
    let number = |name: &str, default: i64| -> Result<i64> {
        match get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i32>()
                .map(i64::from)
                .map_err(|_| invalid(table, format!("Invalid properties: {PROPERTY_PREFIX}{name}"))),
        }
    };
    let unit = get("time_unit")
        .and_then(|u| TimeUnit::parse(u))
        .ok_or_else(|| invalid(table, "Must assign dynamic_partition.time_unit properties"))?;
    if get("end").is_none() {
        return Err(invalid(table, "Must assign dynamic_partition.end properties"));
    }
    let config = DynamicPartition {
        enable: get("enable").is_none_or(|v| v == "true"),
        unit,
        start: get("start").map(|_| number("start", 0)).transpose()?,
        end: number("end", 1)?,
        prefix: get("prefix").cloned().unwrap_or_else(|| "p".to_string()),
        history: number("history_partition_num", 0)?,
        start_day_of_week: number("start_day_of_week", 1)?.clamp(1, 7) as u32,
        start_day_of_month: number("start_day_of_month", 1)?.clamp(1, 28) as u32,
    };
    if config.end + config.history > MAX_DYNAMIC_PARTITIONS {
        return Err(invalid(
            table,
            format!("Too many dynamic partitions: {}. Limit: {MAX_DYNAMIC_PARTITIONS}", config.end + config.history),
        ));
    }
    let column = &def.partition_columns[0];
    let column_type = def.column(column).map(|(_, c)| c.column_type.clone());
    match column_type {
        Some(ColumnType::Datetime) => {}
        Some(ColumnType::Date) if unit != TimeUnit::Hour => {}
        Some(ColumnType::Date) => {
            return Err(invalid(
                table,
                format!("dynamic_partition.time_unit HOUR needs a DATETIME partition column; {column} is DATE"),
            ))
        }
        other => {
            return Err(invalid(
                table,
                format!(
                    "dynamic partitioning needs a DATE or DATETIME partition column; {column} is {}",
                    other.map(|t| t.to_string()).unwrap_or_else(|| "missing".into())
                ),
            ))
        }
    }
    if let Some(buckets) = get("buckets") {
        let table_buckets = def.distribution.buckets();
        if buckets.parse::<u32>().ok() != Some(table_buckets) {
            return Err(invalid(
                table,
                format!(
                    "dynamic_partition.buckets ({buckets}) must equal the table's BUCKETS ({table_buckets}): every partition of a table has the same number of buckets"
                ),
            ));
        }
    }
    Ok(Some(config))
}

/// ALTER TABLE ADD/DROP PARTITION are refused while dynamic partitioning manages the table's partitions.
pub(crate) fn check_alter_allowed(def: &TableDef) -> Result<()> {
    if config(def)?.is_some_and(|c| c.enable) {
        return Err(EngineError::InvalidInput(format!(
            "Cannot add/drop partition on a Dynamic Partition Table: table {} has dynamic_partition.enable = true",
            def.name
        )));
    }
    Ok(())
}

/// What dynamic partitioning changes in a table at one moment.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Changes {
    pub(crate) add: Vec<NewPartition>,
    /// Names of partitions to drop.
    pub(crate) drop: Vec<String>,
}

impl DynamicPartition {
    /// The first moment of the partition `offset` units from the one holding `now`.
    fn border(&self, now: NaiveDateTime, offset: i64) -> Option<NaiveDateTime> {
        match self.unit {
            TimeUnit::Hour | TimeUnit::Day => self.unit.slot_start(self.unit.add(now, offset)?, 1),
            TimeUnit::Week => {
                let day = TimeUnit::Week.add(now, offset)?.date();
                let back = (day.weekday().number_from_monday() + 7 - self.start_day_of_week) % 7;
                day.checked_sub_signed(TimeDelta::days(i64::from(back)))?.and_hms_opt(0, 0, 0)
            }
            TimeUnit::Month => {
                // Before the month's first day, the current partition is the one that began last month.
                let offset = if now.day() < self.start_day_of_month { offset - 1 } else { offset };
                let month = TimeUnit::Month.add(TimeUnit::Month.slot_start(now, 1)?, offset)?;
                month.with_day(self.start_day_of_month)
            }
            TimeUnit::Year => TimeUnit::Year.add(TimeUnit::Year.slot_start(now, 1)?, offset),
        }
    }
}

/// The moment `ms` (milliseconds since 1970-01-01 00:00:00 UTC) in UTC.
pub(crate) fn utc_moment(ms: i64) -> Result<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.naive_utc())
        .ok_or_else(|| EngineError::Internal(format!("the clock reads {ms} ms, outside the calendar")))
}

/// The partitions to add and drop so that `def` has its dynamic partitions for `now`.
pub(crate) fn changes(def: &TableDef, config: &DynamicPartition, now: NaiveDateTime) -> Result<Changes> {
    let column_type =
        def.partition_columns.first().and_then(|c| def.column(c)).map(|(_, c)| c.column_type.clone()).ok_or_else(
            || EngineError::Corruption(format!("table {} has no partition column for dynamic partitioning", def.name)),
        )?;
    let value = |t: NaiveDateTime| -> Result<Value> {
        datetime_to_value(t, &column_type).ok_or_else(|| {
            EngineError::Internal(format!("table {}: a dynamic partition bound does not fit {column_type}", def.name))
        })
    };
    let border = |offset: i64| -> Result<NaiveDateTime> {
        config.border(now, offset).ok_or_else(|| {
            EngineError::InvalidInput(format!("table {}: a dynamic partition falls outside the calendar", def.name))
        })
    };
    let mut out = Changes::default();
    let existing: Vec<&PartitionBound> = def.partitions.iter().map(|p| &p.bound).collect();
    let first = config.start.unwrap_or(i64::MIN).max(-config.history);
    for offset in first..=config.end {
        let begin = border(offset)?;
        let mut lower = vec![value(begin)?];
        let upper = vec![value(border(offset + 1)?)?];
        let name = format!("{}{}", config.prefix, config.unit.partition_suffix(begin));
        let mut exists = def.partitions.iter().any(|p| p.name.eq_ignore_ascii_case(&name));
        for bound in existing.iter().copied().chain(out.add.iter().map(|p| &p.bound)) {
            let PartitionBound::Range { lower: l, upper: u } = bound else { continue };
            let candidate = PartitionBound::Range { lower: lower.clone(), upper: upper.clone() };
            if !bound.overlaps(&candidate) {
                continue;
            }
            // An existing partition covering the start of the new range shortens it (StarRocks).
            let covers_start = compare_tuples(l, &lower).is_le() && compare_tuples(&lower, u).is_lt();
            if covers_start && compare_tuples(u, &upper).is_lt() {
                lower = u.clone();
                continue;
            }
            exists = true;
            break;
        }
        if !exists {
            out.add.push(NewPartition { name, bound: PartitionBound::Range { lower, upper } });
        }
    }
    // A `start` border before the calendar begins drops nothing: no partition ends before it.
    if let Some(begin) = config.start.and_then(|start| config.border(now, start)) {
        let keep_from = vec![value(begin)?];
        for p in &def.partitions {
            if let PartitionBound::Range { upper, .. } = &p.bound {
                if compare_tuples(upper, &keep_from).is_le() {
                    out.drop.push(p.name.clone());
                }
            }
        }
    }
    Ok(out)
}

/// `def` with its dynamic partitions brought up to date for `now` (new partitions get fresh ids), or
/// `None` when dynamic partitioning is off or nothing changes.
pub(crate) fn updated(store: &Store, def: &TableDef, now: NaiveDateTime) -> Result<Option<TableDef>> {
    let Some(config) = config(def)? else { return Ok(None) };
    if !config.enable {
        return Ok(None);
    }
    let changes = changes(def, &config, now)?;
    if changes == Changes::default() {
        return Ok(None);
    }
    let mut next = def.clone();
    next.partitions.retain(|p| !changes.drop.contains(&p.name));
    add_partitions(store, &mut next, changes.add)?;
    Ok(Some(next))
}
