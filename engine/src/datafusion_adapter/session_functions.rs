//! Native Rust functions a [`Session`](crate::Session) registered for itself: DataFusion scalar and
//! aggregate UDFs, usable by name in every statement the session runs (not persisted, so neither
//! backed up nor seen by other sessions). A SQL function of the current database with the same name
//! takes precedence over a session function.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

#[derive(Debug, Clone, Default)]
pub(crate) struct SessionFunctions {
    pub(crate) scalar: Vec<Arc<ScalarUDF>>,
    pub(crate) aggregate: Vec<Arc<AggregateUDF>>,
}

impl SessionFunctions {
    /// Adds a scalar function, replacing one registered earlier under the same name.
    pub(crate) fn add_scalar(&mut self, function: ScalarUDF) {
        self.scalar.retain(|f| f.name() != function.name());
        self.scalar.push(Arc::new(function));
    }

    /// Adds an aggregate function, replacing one registered earlier under the same name.
    pub(crate) fn add_aggregate(&mut self, function: AggregateUDF) {
        self.aggregate.retain(|f| f.name() != function.name());
        self.aggregate.push(Arc::new(function));
    }
}
