//! The RocksDB key layout of the metadata store (documented in `docs/storage-format.md`).
//!
//! Keys are ASCII with fixed-width hex ids so that a prefix scan returns records in id order. Values are
//! JSON records that carry their own `format` version.

use crate::ids::{DatabaseId, SegmentId, TableId, TabletId};

/// Data directory format version, stored at [`FORMAT_KEY`]. Opening a directory with a higher version
/// is refused. 2 added keyed tables (primary index `pk/` and delete vectors `dv/`).
pub const DIRECTORY_FORMAT_VERSION: u32 = 3;

pub const FORMAT_KEY: &[u8] = b"meta/format";
/// The next unused id (ids are never reused).
pub const NEXT_ID_KEY: &[u8] = b"meta/next_id";
/// Number of commits so far.
pub const COMMIT_SEQ_KEY: &[u8] = b"meta/commit_seq";

pub const DATABASE_PREFIX: &str = "db/";
pub const TABLE_PREFIX: &str = "table/";
pub const TABLET_PREFIX: &str = "tablet/";

pub fn database_key(id: DatabaseId) -> Vec<u8> {
    format!("{DATABASE_PREFIX}{:016x}", id.0).into_bytes()
}

pub fn table_key(id: TableId) -> Vec<u8> {
    format!("{TABLE_PREFIX}{:016x}", id.0).into_bytes()
}

pub fn tablet_key(id: TabletId) -> Vec<u8> {
    format!("{TABLET_PREFIX}{:016x}", id.0).into_bytes()
}

pub const DELETE_VECTOR_PREFIX: &str = "dv/";

pub fn delete_vector_key(tablet: TabletId, segment: SegmentId) -> Vec<u8> {
    format!("{DELETE_VECTOR_PREFIX}{:016x}/{:016x}", tablet.0, segment.0).into_bytes()
}

/// The range `[start, end)` of every delete vector key of `tablet`.
pub fn delete_vector_range(tablet: TabletId) -> (Vec<u8>, Vec<u8>) {
    (
        format!("{DELETE_VECTOR_PREFIX}{:016x}/", tablet.0).into_bytes(),
        format!("{DELETE_VECTOR_PREFIX}{:016x}0", tablet.0).into_bytes(),
    )
}

/// Splits a delete vector key into its tablet and segment.
pub fn parse_delete_vector_key(key: &[u8]) -> Option<(TabletId, SegmentId)> {
    let text = std::str::from_utf8(key).ok()?.strip_prefix(DELETE_VECTOR_PREFIX)?;
    let (tablet, segment) = text.split_once('/')?;
    Some((TabletId(u64::from_str_radix(tablet, 16).ok()?), SegmentId(u64::from_str_radix(segment, 16).ok()?)))
}

pub const RECORD_PREFIX: &str = "record/";

pub fn record_key(kind: &str, id: u64) -> Vec<u8> {
    format!("{RECORD_PREFIX}{kind}/{id:016x}").into_bytes()
}

/// Splits a record key into its kind and id.
pub fn parse_record_key(key: &[u8]) -> Option<(String, u64)> {
    let text = std::str::from_utf8(key).ok()?.strip_prefix(RECORD_PREFIX)?;
    let (kind, id) = text.rsplit_once('/')?;
    Some((kind.to_string(), u64::from_str_radix(id, 16).ok()?))
}
