//! # tessera-engine
//!
//! The top of the Tessera library: catalog statements, DML, and queries through DataFusion, over the
//! durable storage of `tessera-storage`. It depends on `tessera-sql` (text -> statements),
//! `tessera-storage` (where rows live) and `tessera-backup`; nothing depends on it but the `tessera`
//! facade. DataFusion types appear only in `datafusion_adapter` and where statements hand it a plan.
//!
//! ## Life of a SELECT
//! 1. [`Session::execute`] parses the text with `tessera-sql` into [`tessera_sql::Statement::Query`].
//! 2. The statement pins the store's current `MetaState` (one consistent version of every table) and
//!    builds a DataFusion context whose catalog resolves tables against that state.
//! 3. DataFusion plans and optimizes the query; for each table scan it calls `TesseraTable::scan`, which
//!    turns the pushed-down filters into a `ScanFilter`, prunes partitions, buckets and segments, and
//!    returns a scan of the surviving segment files: through the store's cache of decoded columns
//!    (row groups pruned by their statistics, cached columns never decoded twice), or, with the cache
//!    turned off, DataFusion's Parquet scan (row-group and page pruning).
//! 4. The plan runs on the database's tokio runtime; the batches are collected and returned. Until then
//!    the pinned state keeps every file it names on disk, even if a concurrent statement replaced it.
//!
//! ## Life of an INSERT
//! 1. The target table is resolved and its lock taken shared (INSERT OVERWRITE: exclusive).
//! 2. The source (`VALUES` or a query) runs through DataFusion like a SELECT.
//! 3. Each batch is cast to the table's column types, defaults fill omitted columns, NOT NULL and
//!    length rules are checked, and every row is routed to its tablet (partition by value, bucket by
//!    hash); a row that fits no partition fails the whole statement before anything is written. An
//!    expression-partitioned table first plans the partitions its rows lack; if there are any, the
//!    lock is taken exclusive, the plan is made again from the current definition, and the new
//!    definition goes into the statement's transaction.
//! 4. One segment file per touched tablet is written and fsynced, then one storage commit publishes the
//!    new tablet versions (and new partitions) atomically. The statement returns only after that
//!    commit is durable.
//!
//! ## Views and SQL functions
//! A view is a stored query (a `view` record), planned again in a nested DataFusion context over the
//! statement's own pinned state whenever a statement names it (`datafusion_adapter/catalog.rs`), with
//! a depth limit and a cycle check. A SQL function is a `function` record, registered in every
//! statement's context as a scalar UDF whose body is planned on first use
//! (`datafusion_adapter/sql_function.rs`). Both are checked by planning them when they are created.
//!
//! ## Life of a DDL statement
//! CREATE/DROP/ALTER take the database-wide DDL lock (then the table's lock, exclusive), validate the
//! new definition completely, and commit it — together with any rewritten segments — in one storage
//! transaction. The dynamic partition scheduler changes tables the same way (DDL lock, table lock,
//! one commit), at open, periodically and on demand.
//!
//! ## Life of a BACKUP
//! See the `backup` module: validated, pinned by hard links at submission, then run by a job thread
//! that stores each file the repository lacks under its checksum and writes the manifest last.
//!
//! ## Life of a RESTORE
//! Checked completely at submission (snapshot, timestamp, objects, properties, schemas of the tables
//! it would overwrite), then a job (`backup::restore*`) stages every needed file into `staging/` with
//! its checksum verified, and one storage commit swaps in the new tables, partitions and segments and
//! ends the job: before it nothing visible changed, after it the restore is complete.
//!
//! ## Module map, and who may import whom
//! From the top down; a module imports only modules below it (or its own children):
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | API | `database.rs` (`Database`: open, close, background threads, jobs by id), `session.rs` (`Session`, interrupts), `append.rs` (`Database::append`) | what users hold |
//! | dispatcher | `statements/mod.rs` | the one `match` over statement kinds; USE and DROP DATABASE's session change; the rollup rebuild around each statement |
//! | handlers | `statements/*.rs`, one file per object | one statement kind each, over `&Ctx`; only `session.rs` imports them |
//! | context | `context.rs` (`Ctx`) | what a handler may use: shared state, current database, session functions |
//! | machinery | `catalog/` (definitions, names, SQL text), `write.rs` (the write path), `query.rs` (running queries), `materialized/` (rollups, async views, refresh thread), `backup/` (job records and framework, runners, restore rules), `partition_scheduler.rs`, `datafusion_adapter/` (Tessera tables, views and functions as DataFusion sees them; scans), `result.rs`, `error.rs` | never name `Session`, `Database` or a handler |
//!
//! `database.rs`'s `Shared` is the state every layer below the API reads (store, catalogs cache, jobs,
//! runtime); `Database` owns the threads that use it.

mod append;
mod backup;
mod catalog;
mod context;
mod database;
pub(crate) mod datafusion_adapter;
mod error;
mod interrupt;
mod materialized;
mod partition_scheduler;
mod periodic;
mod query;
mod result;
mod session;
mod statements;
mod write;

pub use backup::{BackupState, BackupSummary, RestoreState, RestoreSummary};
pub use database::{Database, JobHook, Options, RestoreHook};
/// The DataFusion this engine is built on, for [`Session::register_scalar_function`] and
/// [`Session::register_aggregate_function`] (their UDFs must come from this exact version).
pub use datafusion;
pub use datafusion_adapter::provider::ScanReport;
pub use error::{EngineError, Result};
pub use interrupt::{InterruptHandle, ProgressHandle};
pub use partition_scheduler::Clock;
pub use result::StatementResult;
pub use session::Session;
pub use tessera_storage::{SegmentCacheStats, StoreOptions};
