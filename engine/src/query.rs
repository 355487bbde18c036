//! Queries and EXPLAIN: planned and run by DataFusion over the state the statement pinned.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;

use crate::context::Ctx;
use crate::datafusion_adapter::files::rewrite_files_arguments;
use crate::datafusion_adapter::StatementContext;
use crate::error::Result;

/// Rows of a query, with the context that pinned the state they were read from.
pub(crate) struct QueryOutput {
    pub(crate) schema: SchemaRef,
    pub(crate) batches: Vec<RecordBatch>,
    /// Keeps the pinned state alive while the rows are used.
    pub(crate) _context: StatementContext,
}

pub(crate) fn context(ctx: &Ctx) -> StatementContext {
    ctx.statement_context()
}

/// Plans and runs a query to completion.
pub(crate) fn collect_query(ctx: &Ctx, query: &sp::Query) -> Result<QueryOutput> {
    let context = context(ctx);
    let mut schema = None;
    let mut batches = Vec::new();
    run_chunked(
        ctx,
        &context,
        query,
        usize::MAX,
        |s| {
            schema = Some(s.clone());
            Ok(())
        },
        |all| {
            batches = all;
            Ok(())
        },
    )?;
    let schema = schema.ok_or_else(|| crate::error::EngineError::Internal("the query gave no schema".into()))?;
    Ok(QueryOutput { schema, batches, _context: context })
}

/// Runs `query` and hands its rows to `on_rows` in chunks of about `chunk_rows` rows, as they come,
/// after `on_schema` has seen the result's schema (also when there are no rows). At most one chunk
/// (plus DataFusion's buffers; the parts of the plan DataFusion runs as tasks of their own, such as
/// scans feeding a repartition, keep producing into them while `on_rows` works) is held at a time. The
/// first error stops the query.
pub(crate) fn for_each_chunk(
    ctx: &Ctx,
    query: &sp::Query,
    chunk_rows: usize,
    on_schema: impl FnOnce(&SchemaRef) -> Result<()>,
    on_rows: impl FnMut(Vec<RecordBatch>) -> Result<()>,
) -> Result<()> {
    run_chunked(ctx, &context(ctx), query, chunk_rows, on_schema, on_rows)
}

/// [`for_each_chunk`] within `context`. The rows are streamed rather than collected at once, so that
/// the session's progress counter moves.
fn run_chunked(
    ctx: &Ctx,
    context: &StatementContext,
    query: &sp::Query,
    chunk_rows: usize,
    on_schema: impl FnOnce(&SchemaRef) -> Result<()>,
    mut on_rows: impl FnMut(Vec<RecordBatch>) -> Result<()>,
) -> Result<()> {
    let mut query = query.clone();
    rewrite_files_arguments(&mut query);
    let statement = DfStatement::Statement(Box::new(sp::Statement::Query(Box::new(query))));
    ctx.block_on(async {
        let plan = context.ctx.state().statement_to_plan(statement).await?;
        let frame = context.ctx.execute_logical_plan(plan).await?;
        on_schema(&Arc::new(frame.schema().as_arrow().clone()))?;
        let mut stream = frame.execute_stream().await?;
        let mut chunk = Vec::new();
        let mut rows = 0;
        while let Some(batch) = futures::StreamExt::next(&mut stream).await {
            let batch = batch?;
            ctx.progress.fetch_add(batch.num_rows() as u64, std::sync::atomic::Ordering::Relaxed);
            rows += batch.num_rows();
            chunk.push(batch);
            if rows >= chunk_rows {
                on_rows(std::mem::take(&mut chunk))?;
                rows = 0;
            }
        }
        if !chunk.is_empty() {
            on_rows(chunk)?;
        }
        Ok::<_, crate::error::EngineError>(())
    })?
}
