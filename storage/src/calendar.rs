//! Calendar arithmetic for time-based partitions (expression partitioning and dynamic partitions): the
//! slot of hours, days, weeks, months or years a moment falls in, stepping from slot to slot, and the
//! name StarRocks gives a partition that starts at a slot.
//!
//! Moments are naive (`DATETIME` has no time zone, `DATE` is a `DATETIME` at midnight); callers that
//! need "now" decide the zone (the engine uses UTC).
//!
//! What must stay true:
//! - slots of one unit and interval never overlap and cover every moment; they are counted from
//!   `time_slice`'s origin, 0001-01-01 00:00:00 (a Monday), so with an interval of 1 a slot is exactly
//!   what `date_trunc` returns (weeks start on Monday);
//! - partition name suffixes are exactly StarRocks' (`yyyyMMddHH`, `yyyyMMdd`, `yyyy_ww`, `yyyyMM`,
//!   `yyyy`): users and scripts refer to partitions by these names, and a restored or re-created table
//!   must name its partitions the same way.

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::catalog::ColumnType;
use crate::value::Value;

/// A calendar unit partitions are cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

const MICROS_PER_HOUR: i128 = 3_600_000_000;

impl TimeUnit {
    /// The unit named `text` (any case), if it is one of these five.
    pub fn parse(text: &str) -> Option<TimeUnit> {
        Some(match text.to_ascii_lowercase().as_str() {
            "hour" => TimeUnit::Hour,
            "day" => TimeUnit::Day,
            "week" => TimeUnit::Week,
            "month" => TimeUnit::Month,
            "year" => TimeUnit::Year,
            _ => return None,
        })
    }

    /// Length in microseconds of the units with a fixed length (hour, day, week).
    fn fixed_micros(self) -> Option<i128> {
        match self {
            TimeUnit::Hour => Some(MICROS_PER_HOUR),
            TimeUnit::Day => Some(24 * MICROS_PER_HOUR),
            TimeUnit::Week => Some(7 * 24 * MICROS_PER_HOUR),
            TimeUnit::Month | TimeUnit::Year => None,
        }
    }

    /// The start of the slot of `interval` units that holds `t`, slots being counted from 0001-01-01
    /// 00:00:00. `None` when the result is outside what the calendar represents.
    pub fn slot_start(self, t: NaiveDateTime, interval: u32) -> Option<NaiveDateTime> {
        let interval = i64::from(interval.max(1));
        match self.fixed_micros() {
            Some(unit) => {
                let origin = i128::from(micros(origin()));
                let length = unit * i128::from(interval);
                let start = origin + (i128::from(micros(t)) - origin).div_euclid(length) * length;
                from_micros(i64::try_from(start).ok()?)
            }
            None => {
                let months_per_unit = if self == TimeUnit::Month { 1 } else { 12 };
                let step = interval * months_per_unit;
                let index = (i64::from(t.year()) - 1) * 12 + i64::from(t.month0());
                let start = index.div_euclid(step) * step;
                let year = i32::try_from(start.div_euclid(12) + 1).ok()?;
                let month = u32::try_from(start.rem_euclid(12) + 1).ok()?;
                NaiveDate::from_ymd_opt(year, month, 1)?.and_hms_opt(0, 0, 0)
            }
        }
    }

    /// `t` moved by `count` units (backwards when negative). Months and years keep the day of the month
    /// (callers only step from days 1 to 28).
    pub fn add(self, t: NaiveDateTime, count: i64) -> Option<NaiveDateTime> {
        match self.fixed_micros() {
            Some(unit) => {
                let delta = i64::try_from(unit * i128::from(count)).ok()?;
                t.checked_add_signed(TimeDelta::microseconds(delta))
            }
            None => {
                let months = if self == TimeUnit::Month { count } else { count.checked_mul(12)? };
                let magnitude = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                if months >= 0 {
                    t.checked_add_months(magnitude)
                } else {
                    t.checked_sub_months(magnitude)
                }
            }
        }
    }

    /// The suffix StarRocks names a partition that starts at `start` with: `2020032101` (hour),
    /// `20200321` (day), `2020_13` (week), `202003` (month), `2020` (year).
    pub fn partition_suffix(self, start: NaiveDateTime) -> String {
        match self {
            TimeUnit::Hour => start.format("%Y%m%d%H").to_string(),
            TimeUnit::Day => start.format("%Y%m%d").to_string(),
            TimeUnit::Week => week_suffix(start.date()),
            TimeUnit::Month => start.format("%Y%m").to_string(),
            TimeUnit::Year => start.format("%Y").to_string(),
        }
    }
}

impl fmt::Display for TimeUnit {
    /// The unit as SQL writes it (`day`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
        })
    }
}

/// `yyyy_ww` as StarRocks computes it for a week starting on `date`: the week of the year as Java's
/// `Calendar` counts it (weeks start on Sunday, week 1 holds January 1st), except that a December week
/// counted as week 1 of the next year is week 53 of `date`'s year.
fn week_suffix(date: NaiveDate) -> String {
    let year = date.year();
    let january_first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(date);
    let saturday =
        date.checked_add_signed(TimeDelta::days(i64::from(6 - date.weekday().num_days_from_sunday()))).unwrap_or(date);
    let mut week = if saturday.year() > year {
        1
    } else {
        (date.ordinal0() + january_first.weekday().num_days_from_sunday()) / 7 + 1
    };
    if week <= 1 && date.month() == 12 {
        week += 52;
    }
    format!("{year:04}_{week:02}")
}

/// 0001-01-01 00:00:00, where `time_slice` starts counting slots.
fn origin() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("0001-01-01 is a valid date").and_time(Default::default())
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

fn from_micros(micros: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// The moment a DATE or DATETIME value stands for (a DATE is its midnight); `None` for other values.
pub fn value_to_datetime(value: &Value) -> Option<NaiveDateTime> {
    match value {
        Value::Date(days) => {
            NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)?.and_hms_opt(0, 0, 0)
        }
        Value::Datetime(micros) => from_micros(*micros),
        _ => None,
    }
}

/// `t` as a value of a DATE (its day) or DATETIME column; `None` for other column types or when it
/// does not fit.
pub fn datetime_to_value(t: NaiveDateTime, column_type: &ColumnType) -> Option<Value> {
    match column_type {
        ColumnType::Date => Some(Value::Date(t.date().num_days_from_ce().checked_sub(UNIX_EPOCH_DAYS_FROM_CE)?)),
        ColumnType::Datetime => Some(Value::Datetime(micros(t))),
        _ => None,
    }
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// `y-m-d h:00:00`, for callers that build fixed moments (range limits, tests).
pub fn moment(year: i32, month: u32, day: u32, hour: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test moment")
    }

    #[test]
    fn date_trunc_slots() {
        let t = at("2023-02-26 20:12:04");
        assert_eq!(TimeUnit::Hour.slot_start(t, 1), Some(at("2023-02-26 20:00:00")));
        assert_eq!(TimeUnit::Day.slot_start(t, 1), Some(at("2023-02-26 00:00:00")));
        assert_eq!(TimeUnit::Week.slot_start(t, 1), Some(at("2023-02-20 00:00:00")), "weeks start on Monday");
        assert_eq!(TimeUnit::Month.slot_start(t, 1), Some(at("2023-02-01 00:00:00")));
        assert_eq!(TimeUnit::Year.slot_start(t, 1), Some(at("2023-01-01 00:00:00")));
        assert_eq!(TimeUnit::Year.slot_start(at("0000-06-01 00:00:00"), 1), Some(at("0000-01-01 00:00:00")));
    }

    #[test]
    fn time_slice_slots_count_from_year_one() {
        // 0001-01-01 is day 0; 2023-02-26 is day 738576, so 7-day slots start on multiples of 7 from it.
        let start = TimeUnit::Day.slot_start(at("2023-02-26 20:12:04"), 7).expect("slot");
        assert_eq!(start, at("2023-02-20 00:00:00"));
        assert_eq!(TimeUnit::Day.add(start, 7), Some(at("2023-02-27 00:00:00")));
        assert_eq!(TimeUnit::Month.slot_start(at("2023-05-31 23:00:00"), 3), Some(at("2023-04-01 00:00:00")));
        assert_eq!(TimeUnit::Year.slot_start(at("2023-05-31 23:00:00"), 10), Some(at("2021-01-01 00:00:00")));
        assert_eq!(TimeUnit::Hour.slot_start(at("2023-05-31 23:59:59"), 6), Some(at("2023-05-31 18:00:00")));
    }

    #[test]
    fn stepping() {
        let t = at("2020-01-31 00:00:00");
        assert_eq!(TimeUnit::Month.add(at("2020-01-01 00:00:00"), 1), Some(at("2020-02-01 00:00:00")));
        assert_eq!(TimeUnit::Month.add(at("2020-03-01 00:00:00"), -3), Some(at("2019-12-01 00:00:00")));
        assert_eq!(TimeUnit::Year.add(at("2020-02-01 00:00:00"), -1), Some(at("2019-02-01 00:00:00")));
        assert_eq!(TimeUnit::Hour.add(t, -1), Some(at("2020-01-30 23:00:00")));
        assert_eq!(TimeUnit::Week.add(t, 2), Some(at("2020-02-14 00:00:00")));
    }

    #[test]
    fn starrocks_partition_names() {
        let t = at("2020-03-21 01:00:00");
        assert_eq!(TimeUnit::Hour.partition_suffix(t), "2020032101");
        assert_eq!(TimeUnit::Day.partition_suffix(t), "20200321");
        assert_eq!(TimeUnit::Month.partition_suffix(t), "202003");
        assert_eq!(TimeUnit::Year.partition_suffix(t), "2020");
        assert_eq!(TimeUnit::Day.partition_suffix(at("0000-01-01 00:00:00")), "00000101");
        // StarRocks' documented example, and the turn of the year (Java's Calendar counts 2019-12-30 in
        // week 1 of 2020; StarRocks makes it week 53 of 2019).
        assert_eq!(TimeUnit::Week.partition_suffix(at("2020-03-23 00:00:00")), "2020_13");
        assert_eq!(TimeUnit::Week.partition_suffix(at("2019-12-30 00:00:00")), "2019_53");
        assert_eq!(TimeUnit::Week.partition_suffix(at("2020-01-06 00:00:00")), "2020_02");
        assert_eq!(TimeUnit::Week.partition_suffix(at("2023-01-02 00:00:00")), "2023_01");
        assert_eq!(TimeUnit::Week.partition_suffix(at("2022-12-26 00:00:00")), "2022_53");
    }

    #[test]
    fn values_round_trip() {
        let t = at("1969-12-31 00:00:00");
        let date = datetime_to_value(t, &ColumnType::Date).expect("date");
        assert_eq!(date, Value::Date(-1));
        assert_eq!(value_to_datetime(&date), Some(t));
        let datetime = datetime_to_value(at("1970-01-01 01:00:00"), &ColumnType::Datetime).expect("datetime");
        assert_eq!(datetime, Value::Datetime(3_600_000_000));
        assert_eq!(value_to_datetime(&Value::Int(1)), None);
        assert_eq!(datetime_to_value(t, &ColumnType::Int), None);
    }
}
