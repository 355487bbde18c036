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
    /// Things the user should know although the statement succeeded (MySQL's warnings), for example a
    /// repository that shares the data directory's filesystem. The shell prints them on stderr.
    pub warnings: Vec<String>,
}

impl StatementResult {
    pub(crate) fn rows(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        StatementResult { schema, batches, affected_rows: None, job: None, warnings: Vec::new() }
    }

    pub(crate) fn affected(n: u64) -> Self {
        StatementResult { affected_rows: Some(n), ..Self::ok() }
    }

    pub(crate) fn ok() -> Self {
        Self::rows(Arc::new(Schema::empty()), Vec::new())
    }

    pub(crate) fn with_warning(mut self, warning: String) -> Self {
        self.warnings.push(warning);
        self
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
