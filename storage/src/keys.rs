//! The RocksDB key layout of the metadata store (documented in `docs/storage-format.md`).
//!
//! Keys are ASCII with fixed-width hex ids so that a prefix scan returns records in id order. Values are
//! JSON records that carry their own `format` version.

use crate::ids::{DatabaseId, TableId, TabletId};

/// Data directory format version, stored at [`FORMAT_KEY`]. Opening a directory with a higher version
/// is refused.
pub const DIRECTORY_FORMAT_VERSION: u32 = 1;

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
