//! # Tessera
//!
//! An embedded, single-node columnar OLAP database with StarRocks-compatible SQL, durable storage
//! (RocksDB metadata, Parquet segment files) and queries executed by DataFusion.
//!
//! ```
//! use tessera::Database;
//!
//! # fn main() -> tessera::Result<()> {
//! let db = Database::open_temporary()?;
//! let mut session = db.session();
//! session.execute(
//!     "CREATE DATABASE shop; USE shop;
//!      CREATE TABLE orders (id BIGINT NOT NULL, day DATE, amount DECIMAL(10, 2))
//!      DUPLICATE KEY(id)
//!      PARTITION BY RANGE(day) (
//!          PARTITION p2024 VALUES LESS THAN ('2025-01-01'),
//!          PARTITION p2025 VALUES LESS THAN ('2026-01-01'))
//!      DISTRIBUTED BY HASH(id) BUCKETS 4;
//!      INSERT INTO orders VALUES (1, '2024-03-01', 9.99), (2, '2025-07-14', 20.00);",
//! )?;
//! let batches = session.query("SELECT count(*) AS n, sum(amount) AS total FROM orders")?;
//! let text = arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
//! assert!(text.contains("| 2 | 29.99 |"));
//! # Ok(())
//! # }
//! ```
//!
//! Bulk loading from Arrow is [`Database::append`]; from files, `INSERT INTO t SELECT * FROM
//! FILES("path" = "...", "format" = "parquet")`.

/// DataFusion, at the version Tessera runs: build session functions
/// ([`Session::register_scalar_function`]) with its types.
pub use tessera_engine::datafusion;
pub use tessera_engine::{
    BackupState, BackupSummary, Clock, Database, EngineError, InterruptHandle, JobHook, Options, ProgressHandle,
    RestoreHook, RestoreState, RestoreSummary, Result, ScanReport, SegmentCacheStats, Session, StatementResult,
    StoreOptions,
};
