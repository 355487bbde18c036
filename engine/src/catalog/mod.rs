//! Catalog statements: resolving names, turning CREATE TABLE into a persisted `TableDef`, and the DDL
//! that changes databases, tables, partitions and columns; views and SQL functions.

pub(crate) mod auto_partitions;
pub(crate) mod ddl;
pub(crate) mod dynamic_partition;
pub(crate) mod key_model;
pub(crate) mod objects;
pub(crate) mod partition_expression;
pub(crate) mod resolve;
pub(crate) mod sql_text;
pub(crate) mod table_builder;
pub(crate) mod view;
