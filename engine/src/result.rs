//! What a statement returns, and the builders of small result sets (SHOW statements' string tables).

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;

/// The outcome of one statement: rows (queries, SHOW, EXPLAIN), a count of affected rows (DML), or
/// nothing (DDL).
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// Rows inserted or deleted, for DML.
    pub affected_rows: Option<u64>,
    /// The job a BACKUP statement started; watch it with `Database::backup_job` / `Database::wait_for_backup` (`restore_job` / `wait_for_restore` for a RESTORE).
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

/// A result set of string columns.
pub(crate) fn string_table(columns: &[&str], rows: Vec<Vec<String>>) -> Result<StatementResult> {
    nullable_table(columns, rows.into_iter().map(|r| r.into_iter().map(Some).collect()).collect())
}

/// A result set of string columns where `None` is NULL.
pub(crate) fn nullable_table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Result<StatementResult> {
    let schema =
        Arc::new(Schema::new(columns.iter().map(|c| Field::new(*c, DataType::Utf8, true)).collect::<Vec<_>>()));
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|i| {
            Arc::new(StringArray::from(rows.iter().map(|r| r.get(i).cloned().flatten()).collect::<Vec<_>>()))
                as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(StatementResult::rows(schema, vec![batch]))
}

/// A `LIKE 'pattern'` of a SHOW statement (`%` and `_` wildcards, case-insensitive as in MySQL).
pub(crate) struct LikePattern(arrow::array::Scalar<StringArray>);

impl LikePattern {
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let text = StringArray::from(vec![text]);
        arrow::compute::kernels::comparison::ilike(&text, &self.0).is_ok_and(|m| m.value(0))
    }
}

pub(crate) fn like_pattern(pattern: &str) -> Result<LikePattern> {
    Ok(LikePattern(StringArray::new_scalar(pattern)))
}
