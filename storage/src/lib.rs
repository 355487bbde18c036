//! # tessera-storage
//!
//! The data directory of a Tessera database: metadata in RocksDB, rows in immutable Parquet segment
//! files grouped by tablet (one partition x one bucket), versions, pruning, compaction and crash
//! recovery. No SQL and no DataFusion here: the engine above decides *what* to write; this crate makes
//! it durable and atomic, and decides *where* rows go.
//!
//! What callers may rely on:
//! - **Atomic, durable commits.** A [`Transaction`] becomes visible all at once, only after it is on
//!   disk (segment files fsynced, then one synced RocksDB batch). A crash at any instant exposes either
//!   all of it or none of it.
//! - **Snapshot isolation.** [`Store::snapshot`] returns one consistent state of every table; holding it
//!   keeps every file it refers to on disk. Readers never block writers.
//! - **Ids are never reused** within a data directory.
//! - **Single writer process.** A second process opening the same directory gets
//!   [`StorageError::Locked`].
//! - **Leftovers of a crash are removed on open**: files no committed version refers to.
//! - **Keyed tables** (PRIMARY, UNIQUE, AGGREGATE KEY) keep one row per key through a primary index in
//!   RocksDB ([`primary_index`]) and per-segment delete vectors ([`delete_vector`]), both changed in the
//!   same commits as the segments ([`keyed`]).
//! - **Files brought in from outside** (RESTORE) are staged and verified in `staging/` and become
//!   segments only through one ordinary commit ([`staging`]).
//!
//! The on-disk layout is documented in `docs/storage-format.md`.

pub mod auto_partition;
pub mod calendar;
pub mod catalog;
mod compaction;
pub mod delete_vector;
pub mod error;
pub mod ids;
pub mod keyed;
mod keys;
pub mod logical_objects;
pub mod materialized;
pub mod parallel_io;
pub mod primary_index;
pub mod pruning;
pub mod routing;
pub mod segment;
pub mod segment_cache;
pub mod snapshot;
pub mod staging;
pub mod state;
mod store;
pub mod tablet_writer;
pub mod transaction;
pub mod value;
pub mod version;

pub use auto_partition::PartitionExpr;
pub use calendar::TimeUnit;
pub use catalog::*;
pub use delete_vector::DeleteVector;
pub use error::{Result, StorageError};
pub use ids::*;
pub use keys::DIRECTORY_FORMAT_VERSION;
pub use logical_objects::{FunctionDef, FunctionParameterDef, ViewColumnDef, ViewDef};
pub use materialized::{
    BaseTableRef, MaterializedKind, MaterializedViewDef, RefreshInterval, RefreshRecord, RefreshSchedule,
};
pub use primary_index::RowLocation;
pub use pruning::{ColumnRange, ScanFilter};
pub use segment::{PendingSegment, Segment, SegmentMeta};
pub use segment_cache::{SegmentCache, SegmentCacheStats};
pub use snapshot::{Snapshot, TabletSnapshot};
pub use staging::StagedFile;
pub use state::MetaState;
pub use store::{Store, StoreOptions};
pub use tablet_writer::TabletWriter;
pub use transaction::Transaction;
pub use value::Value;
pub use version::TabletVersion;
