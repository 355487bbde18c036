//! The one place where DataFusion types meet Tessera's catalog and storage.
//!
//! Each statement gets a DataFusion context whose catalog is a pinned [`MetaState`]: every table it
//! resolves reads that one consistent version, and the statement holds the state (and so every segment
//! file in it) until its results are collected. Scans prune partitions, buckets and segments here and
//! read the surviving segments through the store's cache of decoded columns ([`cached_scan`]), or,
//! with the cache turned off, hand them to DataFusion's Parquet scan (row-group and page pruning).
//! Views are planned from their stored query in a nested context over the same state; SQL functions
//! are scalar UDFs whose bodies are planned the same way; a session's Rust functions are registered
//! in every context of that session.
//!
//! [`MetaState`]: tessera_storage::MetaState

pub(crate) mod cached_scan;
pub(crate) mod catalog;
pub(crate) mod context;
pub(crate) mod files;
pub(crate) mod filters;
pub(crate) mod key_prefilter;
pub(crate) mod provider;
pub(crate) mod rollup_rewrite;
pub(crate) mod session_functions;
pub(crate) mod sql_function;

pub(crate) use context::StatementContext;
