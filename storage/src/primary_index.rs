//! The primary index of keyed tables: for every live row of a tablet, where it is.
//!
//! PRIMARY, UNIQUE and AGGREGATE KEY tables keep one row per key. The index maps a tablet's encoded key
//! to the live row holding it (segment id and ordinal), in RocksDB next to the rest of the metadata and
//! changed in the same atomic commit as the segments and delete vectors it describes. Writers use it to
//! find the row an upsert replaces without reading data files; readers never need it (delete vectors
//! already hide replaced rows).
//!
//! Invariants (the caller holds the table's exclusive lock while reading and changing it):
//! - every live row of a keyed tablet has exactly one entry, and every entry names a live row;
//! - a tablet whose segments are all replaced (TRUNCATE, INSERT OVERWRITE) or that is dropped loses all
//!   its entries in the same commit (a range delete), so entries never outlive their rows.
//!
//! Layout (documented in `docs/storage-format.md`): key `pk/<tablet:016x>/<encoded key>`, value the
//! segment id (u64) and row ordinal (u32), big-endian. The key encoding ([`encode_keys`]) is stable
//! across versions and machines: it is persisted and rebuilt from data files on RESTORE.

use arrow::array::{
    Array, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
    Int8Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::DataType;

use crate::error::{Result, StorageError};
use crate::ids::{SegmentId, TabletId};

/// Where a live row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLocation {
    pub segment: SegmentId,
    pub row: u32,
}

const PREFIX: &str = "pk/";

/// The prefix of every index key of `tablet`.
pub(crate) fn tablet_prefix(tablet: TabletId) -> Vec<u8> {
    format!("{PREFIX}{:016x}/", tablet.0).into_bytes()
}

/// The first key after every index key of `tablet` (`'0'` follows `'/'`), for range deletes.
pub(crate) fn tablet_prefix_end(tablet: TabletId) -> Vec<u8> {
    format!("{PREFIX}{:016x}0", tablet.0).into_bytes()
}

pub(crate) fn index_key(tablet: TabletId, key: &[u8]) -> Vec<u8> {
    let mut out = tablet_prefix(tablet);
    out.extend_from_slice(key);
    out
}

pub(crate) fn encode_location(location: RowLocation) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&location.segment.0.to_be_bytes());
    out[8..].copy_from_slice(&location.row.to_be_bytes());
    out
}

pub(crate) fn decode_location(bytes: &[u8]) -> Result<RowLocation> {
    let bytes: [u8; 12] = bytes.try_into().map_err(|_| {
        StorageError::Corruption(format!("a primary index entry has {} bytes, expected 12", bytes.len()))
    })?;
    let mut segment = [0u8; 8];
    segment.copy_from_slice(&bytes[..8]);
    let mut row = [0u8; 4];
    row.copy_from_slice(&bytes[8..]);
    Ok(RowLocation { segment: SegmentId(u64::from_be_bytes(segment)), row: u32::from_be_bytes(row) })
}

/// Encodes the key columns `columns` of every row of `batch`, one byte string per row.
///
/// Per column: a null marker byte (0 for NULL, 1 otherwise), then for non-null values: integers of every
/// width as 8 bytes big-endian, DECIMAL/LARGEINT as 16 bytes big-endian, BOOLEAN as one byte, DATE as 4
/// bytes, DATETIME as 8 bytes, FLOAT/DOUBLE as the 8-byte IEEE bits of the double, strings as a 4-byte
/// big-endian length and the UTF-8 bytes. Equal keys give equal bytes and different keys different ones.
pub fn encode_keys(batch: &RecordBatch, columns: &[usize]) -> Result<Vec<Vec<u8>>> {
    let rows = batch.num_rows();
    let mut out: Vec<Vec<u8>> = (0..rows).map(|_| Vec::with_capacity(16 * columns.len())).collect();
    for &c in columns {
        let array = batch.column(c).as_ref();
        encode_column(array, &mut out)?;
    }
    Ok(out)
}

fn encode_column(array: &dyn Array, out: &mut [Vec<u8>]) -> Result<()> {
    macro_rules! each {
        ($t:ty, |$v:ident, $buf:ident| $body:expr) => {{
            let a = array.as_any().downcast_ref::<$t>().ok_or_else(|| {
                StorageError::Internal(format!("array of {} is not {}", array.data_type(), stringify!($t)))
            })?;
            for (row, $buf) in out.iter_mut().enumerate() {
                if a.is_null(row) {
                    $buf.push(0);
                } else {
                    $buf.push(1);
                    let $v = a.value(row);
                    $body;
                }
            }
        }};
    }
    match array.data_type() {
        DataType::Boolean => each!(BooleanArray, |v, b| b.push(u8::from(v))),
        DataType::Int8 => each!(Int8Array, |v, b| b.extend_from_slice(&i64::from(v).to_be_bytes())),
        DataType::Int16 => each!(Int16Array, |v, b| b.extend_from_slice(&i64::from(v).to_be_bytes())),
        DataType::Int32 => each!(Int32Array, |v, b| b.extend_from_slice(&i64::from(v).to_be_bytes())),
        DataType::Int64 => each!(Int64Array, |v, b| b.extend_from_slice(&v.to_be_bytes())),
        DataType::Decimal128(_, _) => each!(Decimal128Array, |v, b| b.extend_from_slice(&v.to_be_bytes())),
        DataType::Float32 => each!(Float32Array, |v, b| b.extend_from_slice(&f64::from(v).to_bits().to_be_bytes())),
        DataType::Float64 => each!(Float64Array, |v, b| b.extend_from_slice(&v.to_bits().to_be_bytes())),
        DataType::Utf8 => each!(StringArray, |v, b| {
            b.extend_from_slice(&(v.len() as u32).to_be_bytes());
            b.extend_from_slice(v.as_bytes())
        }),
        DataType::Date32 => each!(Date32Array, |v, b| b.extend_from_slice(&v.to_be_bytes())),
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None) => {
            each!(TimestampMicrosecondArray, |v, b| b.extend_from_slice(&v.to_be_bytes()))
        }
        other => return Err(StorageError::Unsupported(format!("key columns of Arrow type {other}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::ArrayRef;
    use arrow::datatypes::{Field, Schema};

    use super::*;

    /// The encoding is persisted: this pins it.
    #[test]
    fn key_encoding_is_stable() {
        let schema =
            Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true), Field::new("b", DataType::Utf8, true)]));
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
        let b: ArrayRef = Arc::new(StringArray::from(vec![Some("xy"), Some("")]));
        let batch = RecordBatch::try_new(schema, vec![a, b]).unwrap();
        let keys = encode_keys(&batch, &[0, 1]).unwrap();
        assert_eq!(keys[0], vec![1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, b'x', b'y']);
        assert_eq!(keys[1], vec![0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn string_boundaries_cannot_collide() {
        let schema =
            Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, false), Field::new("b", DataType::Utf8, false)]));
        let a: ArrayRef = Arc::new(StringArray::from(vec!["ab", "a"]));
        let b: ArrayRef = Arc::new(StringArray::from(vec!["c", "bc"]));
        let keys = encode_keys(&RecordBatch::try_new(schema, vec![a, b]).unwrap(), &[0, 1]).unwrap();
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn locations_round_trip() {
        let loc = RowLocation { segment: SegmentId(77), row: 12 };
        assert_eq!(decode_location(&encode_location(loc)).unwrap(), loc);
        assert!(decode_location(&[1, 2]).is_err());
    }
}
