//! `Value`: one typed scalar as the storage layer persists and compares it.
//!
//! Values appear in partition bounds, LIST partition values, column DEFAULTs and segment statistics, and
//! are what rows are routed and pruned by. Every value belongs to a column type ([`ColumnType`]); values
//! of one column type are totally ordered by [`Value::compare`], with `MinValue < Null < every value <
//! MaxValue` (so NULL falls in the lowest range partition, as in StarRocks).
//!
//! Invariant: the bucket hash of a row ([`hash_row`]) depends only on the values, never on the machine or
//! library versions, because bucket numbers are persisted with the data and restored elsewhere.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array, Int32Array,
    Int64Array, Int8Array, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::kernels::cast::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::{Deserialize, Serialize};

use crate::catalog::ColumnType;
use crate::error::{Result, StorageError};

/// One scalar. Integers of every width are `Int`; `LARGEINT` and `DECIMAL` keep their 128-bit unscaled
/// value (the scale is the column's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum Value {
    /// Lower than every value: the open lower end of the first range partition.
    MinValue,
    Null,
    Boolean(bool),
    Int(i64),
    /// LARGEINT and DECIMAL: the unscaled 128-bit integer.
    Wide(#[serde(with = "i128_text")] i128),
    Float(f64),
    String(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00 (no time zone).
    Datetime(i64),
    /// Higher than every value: `MAXVALUE` in a range partition bound.
    MaxValue,
}

mod i128_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Value {
    fn rank(&self) -> u8 {
        match self {
            Value::MinValue => 0,
            Value::Null => 1,
            Value::MaxValue => 3,
            _ => 2,
        }
    }

    /// Total order between two values of one column type. Values of different types (which a correct
    /// caller never compares) order by variant so that sorting never panics.
    pub fn compare(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Boolean(a), Value::Boolean(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Wide(a), Value::Wide(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::String(a), Value::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Datetime(a), Value::Datetime(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()).then_with(|| self.variant().cmp(&other.variant())),
        }
    }

    fn variant(&self) -> u8 {
        match self {
            Value::MinValue => 0,
            Value::Null => 1,
            Value::Boolean(_) => 2,
            Value::Int(_) => 3,
            Value::Wide(_) => 4,
            Value::Float(_) => 5,
            Value::String(_) => 6,
            Value::Date(_) => 7,
            Value::Datetime(_) => 8,
            Value::MaxValue => 9,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Parses `text` as a value of `ty` with the same rules as a SQL cast from a string (so `'2024-01-01'`
    /// is a DATE, `'12.50'` a DECIMAL(5,2)); out-of-range or malformed text is an error naming both.
    pub fn parse(text: &str, ty: &ColumnType) -> Result<Value> {
        let source: ArrayRef = Arc::new(StringArray::from(vec![text]));
        let cast = cast_with_options(&source, &ty.arrow_type(), &CastOptions { safe: false, ..Default::default() })
            .map_err(|e| StorageError::InvalidInput(format!("'{text}' is not a valid {ty}: {e}")))?;
        let value = value_at(cast.as_ref(), 0)?;
        ty.check_value(&value)?;
        Ok(value)
    }

    /// Renders the value as SQL text would show it (`2024-01-01`, `12.50`, `abc`, `NULL`, `MAXVALUE`).
    pub fn display(&self, ty: &ColumnType) -> String {
        match self {
            Value::MinValue => return "MINVALUE".into(),
            Value::MaxValue => return "MAXVALUE".into(),
            Value::Null => return "NULL".into(),
            _ => {}
        }
        let Ok(array) = values_to_array(std::slice::from_ref(self), ty) else {
            return format!("{self:?}");
        };
        let options = FormatOptions::default().with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f")).with_null("NULL");
        let text = match ArrayFormatter::try_new(array.as_ref(), &options) {
            Ok(formatter) => formatter.value(0).to_string(),
            Err(_) => format!("{self:?}"),
        };
        text
    }

    /// Renders the value as a SQL literal that parses back to the same value (`'2024-01-01'`, `12`).
    pub fn sql_literal(&self, ty: &ColumnType) -> String {
        match self {
            Value::MinValue | Value::MaxValue | Value::Null => self.display(ty),
            Value::Boolean(_) | Value::Int(_) | Value::Wide(_) | Value::Float(_) => self.display(ty),
            Value::String(s) => quote_string(s),
            Value::Date(_) | Value::Datetime(_) => quote_string(&self.display(ty)),
        }
    }

    /// Feeds the value's canonical bytes into a running bucket hash. Integer widths, DATE and DATETIME all
    /// hash by value, so a TINYINT 5 and a BIGINT 5 land in the same bucket.
    fn hash_into(&self, seed: u64) -> u64 {
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        let mut buf = [0u8; 17];
        let bytes: &[u8] = match self {
            Value::MinValue | Value::MaxValue | Value::Null => &[0],
            Value::Boolean(b) => {
                buf[0] = 1;
                buf[1] = u8::from(*b);
                &buf[..2]
            }
            Value::Int(v) => {
                buf[0] = 2;
                buf[1..9].copy_from_slice(&v.to_le_bytes());
                &buf[..9]
            }
            Value::Date(v) => {
                buf[0] = 2;
                buf[1..9].copy_from_slice(&i64::from(*v).to_le_bytes());
                &buf[..9]
            }
            Value::Datetime(v) => {
                buf[0] = 3;
                buf[1..9].copy_from_slice(&v.to_le_bytes());
                &buf[..9]
            }
            Value::Wide(v) => {
                buf[0] = 4;
                buf[1..17].copy_from_slice(&v.to_le_bytes());
                &buf[..17]
            }
            Value::Float(v) => {
                buf[0] = 5;
                // -0.0 and 0.0 are equal in SQL and must share a bucket.
                let v = if *v == 0.0 { 0.0f64 } else { *v };
                buf[1..9].copy_from_slice(&v.to_bits().to_le_bytes());
                &buf[..9]
            }
            Value::String(s) => return xxh3_64_with_seed(s.as_bytes(), seed ^ 6),
        };
        xxh3_64_with_seed(bytes, seed)
    }
}

fn quote_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Compares two tuples of values element by element.
pub fn compare_tuples(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.compare(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// The stable bucket hash of one row's bucketing values.
pub fn hash_row(values: &[Value]) -> u64 {
    values.iter().fold(0x7e55_e7a0_u64, |seed, v| v.hash_into(seed))
}

/// Reads row `row` of `array` (one of the Arrow types [`ColumnType::arrow_type`] produces).
pub fn value_at(array: &dyn Array, row: usize) -> Result<Value> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    macro_rules! get {
        ($t:ty) => {
            array
                .as_any()
                .downcast_ref::<$t>()
                .ok_or_else(|| {
                    StorageError::Internal(format!("array of {} is not {}", array.data_type(), stringify!($t)))
                })?
                .value(row)
        };
    }
    Ok(match array.data_type() {
        DataType::Boolean => Value::Boolean(get!(BooleanArray)),
        DataType::Int8 => Value::Int(i64::from(get!(Int8Array))),
        DataType::Int16 => Value::Int(i64::from(get!(Int16Array))),
        DataType::Int32 => Value::Int(i64::from(get!(Int32Array))),
        DataType::Int64 => Value::Int(get!(Int64Array)),
        DataType::Decimal128(_, _) => Value::Wide(get!(Decimal128Array)),
        DataType::Float32 => Value::Float(f64::from(get!(Float32Array))),
        DataType::Float64 => Value::Float(get!(Float64Array)),
        DataType::Utf8 => Value::String(get!(StringArray).to_string()),
        DataType::Date32 => Value::Date(get!(Date32Array)),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None) => {
            Value::Datetime(get!(TimestampMicrosecondArray))
        }
        other => return Err(StorageError::Unsupported(format!("values of Arrow type {other}"))),
    })
}

/// Builds an Arrow array of `ty` from values (`MinValue`/`MaxValue` are not representable).
pub fn values_to_array(values: &[Value], ty: &ColumnType) -> Result<ArrayRef> {
    fn bad(v: &Value, ty: &ColumnType) -> StorageError {
        StorageError::InvalidInput(format!("value {v:?} does not fit column type {ty}"))
    }
    macro_rules! build {
        ($array:ty, $variant:ident, $conv:expr) => {{
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                out.push(match v {
                    Value::Null => None,
                    Value::$variant(x) => Some($conv(x.clone()).map_err(|_| bad(v, ty))?),
                    _ => return Err(bad(v, ty)),
                });
            }
            Arc::new(<$array>::from(out)) as ArrayRef
        }};
    }
    fn ok<T>(x: T) -> std::result::Result<T, ()> {
        Ok(x)
    }
    let array: ArrayRef = match ty {
        ColumnType::Boolean => build!(BooleanArray, Boolean, ok),
        ColumnType::TinyInt => build!(Int8Array, Int, i8::try_from),
        ColumnType::SmallInt => build!(Int16Array, Int, i16::try_from),
        ColumnType::Int => build!(Int32Array, Int, i32::try_from),
        ColumnType::BigInt => build!(Int64Array, Int, ok),
        ColumnType::LargeInt | ColumnType::Decimal { .. } => {
            let a = build!(Decimal128Array, Wide, ok);
            let DataType::Decimal128(p, s) = ty.arrow_type() else {
                return Err(StorageError::Internal(format!("{ty} is not a decimal")));
            };
            let a = a
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .ok_or_else(|| StorageError::Internal("decimal array".into()))?
                .clone()
                .with_precision_and_scale(p, s)?;
            // The declared precision is a promise the Parquet writer relies on (DECIMAL(9, s) is stored
            // as 32 bits): a value that does not fit is refused, never cut down.
            a.validate_decimal_precision(p)
                .map_err(|_| StorageError::InvalidInput(format!("a value does not fit column type {ty}")))?;
            Arc::new(a)
        }
        ColumnType::Float => build!(Float32Array, Float, |x: f64| {
            let narrowed = x as f32;
            if narrowed.is_infinite() && x.is_finite() {
                Err(())
            } else {
                Ok(narrowed)
            }
        }),
        ColumnType::Double => build!(Float64Array, Float, ok),
        ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::String => build!(StringArray, String, ok),
        ColumnType::Date => build!(Date32Array, Date, ok),
        ColumnType::Datetime => build!(TimestampMicrosecondArray, Datetime, ok),
    };
    Ok(array)
}

/// Minimum, maximum (both `None` when every value is null) and null count of one column of a batch.
pub fn column_min_max(array: &dyn Array) -> Result<(Option<Value>, Option<Value>, u64)> {
    use arrow::compute::{max, max_boolean, max_string, min, min_boolean, min_string};
    let nulls = array.null_count() as u64;
    macro_rules! prim {
        ($t:ty, $wrap:expr) => {{
            let a = array.as_any().downcast_ref::<$t>().ok_or_else(|| {
                StorageError::Internal(format!("array of {} is not {}", array.data_type(), stringify!($t)))
            })?;
            (min(a).map($wrap), max(a).map($wrap))
        }};
    }
    let (lo, hi) = match array.data_type() {
        DataType::Boolean => {
            let a = array
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(|| StorageError::Internal("boolean array".into()))?;
            (min_boolean(a).map(Value::Boolean), max_boolean(a).map(Value::Boolean))
        }
        DataType::Int8 => prim!(Int8Array, |v| Value::Int(i64::from(v))),
        DataType::Int16 => prim!(Int16Array, |v| Value::Int(i64::from(v))),
        DataType::Int32 => prim!(Int32Array, |v| Value::Int(i64::from(v))),
        DataType::Int64 => prim!(Int64Array, Value::Int),
        DataType::Decimal128(_, _) => prim!(Decimal128Array, Value::Wide),
        // NaN makes float bounds meaningless for pruning; record none rather than a wrong one.
        DataType::Float32 | DataType::Float64 => (None, None),
        DataType::Utf8 => {
            let a = array
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| StorageError::Internal("string array".into()))?;
            (min_string(a).map(|s| Value::String(s.to_string())), max_string(a).map(|s| Value::String(s.to_string())))
        }
        DataType::Date32 => prim!(Date32Array, Value::Date),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None) => {
            prim!(TimestampMicrosecondArray, Value::Datetime)
        }
        other => return Err(StorageError::Unsupported(format!("statistics of Arrow type {other}"))),
    };
    Ok((lo, hi, nulls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_null_after_min_and_max_last() {
        let mut v = vec![Value::MaxValue, Value::Int(3), Value::Null, Value::MinValue, Value::Int(-1)];
        v.sort_by(|a, b| a.compare(b));
        assert_eq!(v, vec![Value::MinValue, Value::Null, Value::Int(-1), Value::Int(3), Value::MaxValue]);
    }

    #[test]
    fn parse_and_display_round_trip() {
        let ty = ColumnType::Decimal { precision: 5, scale: 2 };
        let v = Value::parse("12.5", &ty).unwrap();
        assert_eq!(v, Value::Wide(1250));
        assert_eq!(v.display(&ty), "12.50");
        let d = Value::parse("2024-02-29", &ColumnType::Date).unwrap();
        assert_eq!(d.display(&ColumnType::Date), "2024-02-29");
        assert!(Value::parse("2023-02-29", &ColumnType::Date).is_err());
        assert!(Value::parse("300", &ColumnType::TinyInt).is_err());
        let ts = Value::parse("2024-01-02 03:04:05", &ColumnType::Datetime).unwrap();
        assert_eq!(ts.display(&ColumnType::Datetime), "2024-01-02 03:04:05");
    }

    #[test]
    fn bucket_hash_is_stable_and_width_independent() {
        assert_eq!(hash_row(&[Value::Int(5)]), hash_row(&[Value::Int(5)]));
        assert_ne!(hash_row(&[Value::Int(5)]), hash_row(&[Value::Int(6)]));
        assert_eq!(hash_row(&[Value::Float(0.0)]), hash_row(&[Value::Float(-0.0)]));
        // Pinned: a change here moves rows between buckets in existing data directories and backups.
        assert_eq!(hash_row(&[Value::Int(1), Value::String("a".into())]), 9157720781953775426);
        assert_eq!(hash_row(&[Value::Date(19000)]), 144248189890609212);
        assert_eq!(hash_row(&[Value::Null]), 6788278743191631930);
    }
}
