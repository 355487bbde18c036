//! Integration tests of the `tessera-sql` public API, one concept per module.

mod alter_table;
mod backup;
mod common;
mod create_table;
mod database;
mod dml;
mod errors;
mod garbage;
mod identifiers;
mod materialized_views;
mod partitions;
mod queries;
mod restore;
mod split;
mod statements;
mod table_ops;
mod views_functions;
