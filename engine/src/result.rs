//! What a statement returns.

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use std::sync::Arc;

/// The outcome of one statement: rows (queries, SHOW, EXPLAIN), a count of affected rows (DML), or
/// nothing (DDL).
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Rows inserted or deleted, for DML.
    pub affected_rows: Option<u64>,
    /// The job a BACKUP statement started; watch it with `Database::job` / `Database::wait_for_job`.
    pub job: Option<u64>,
}

impl StatementResult {
    pub(crate) fn rows(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        StatementResult { schema, batches, affected_rows: None, job: None }
    }

    pub(crate) fn affected(n: u64) -> Self {
        StatementResult { schema: Arc::new(Schema::empty()), batches: Vec::new(), affected_rows: Some(n), job: None }
    }

    pub(crate) fn ok() -> Self {
        StatementResult { schema: Arc::new(Schema::empty()), batches: Vec::new(), affected_rows: None, job: None }
    }

    pub(crate) fn job(id: u64) -> Self {
        StatementResult { job: Some(id), ..Self::ok() }
    }

    /// True when the statement returns a result set (even an empty one).
    pub fn has_rows(&self) -> bool {
        !self.schema.fields().is_empty()
    }

    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}
