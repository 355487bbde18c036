//! SELECT and EXPLAIN: planned and run by DataFusion through `query.rs`; EXPLAIN adds one
//! `tessera_scan` row per table scan saying what pruning kept.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;

use crate::context::Ctx;
use crate::datafusion_adapter::files::rewrite_files_arguments;
use crate::error::Result;
use crate::query::{collect_query, context};
use crate::result::StatementResult;

pub(crate) fn run_query(ctx: &Ctx, query: sp::Query) -> Result<StatementResult> {
    let output = collect_query(ctx, &query)?;
    Ok(StatementResult::rows(output.schema, output.batches))
}

/// EXPLAIN: DataFusion's plans, followed by one `tessera_scan` row per table scan saying how many
/// partitions, tablets and segments survived pruning.
pub(crate) fn explain(ctx: &Ctx, mut statement: sp::Statement) -> Result<StatementResult> {
    let context = context(ctx);
    rewrite_files_arguments(&mut statement);
    let batches = ctx.block_on(async {
        let plan = context.ctx.state().statement_to_plan(DfStatement::Statement(Box::new(statement))).await?;
        let frame = context.ctx.execute_logical_plan(plan).await?;
        Ok::<_, crate::error::EngineError>(frame.collect().await?)
    })??;
    let mut plan_types: Vec<String> = Vec::new();
    let mut plans: Vec<String> = Vec::new();
    for batch in &batches {
        if batch.num_columns() < 2 {
            continue;
        }
        let (Some(types), Some(texts)) = (
            batch.column(0).as_any().downcast_ref::<StringArray>(),
            batch.column(1).as_any().downcast_ref::<StringArray>(),
        ) else {
            // EXPLAIN ANALYZE and other shapes: return DataFusion's output as it is.
            let schema = batch.schema();
            return Ok(StatementResult::rows(schema, batches));
        };
        for i in 0..batch.num_rows() {
            plan_types.push(types.value(i).to_string());
            plans.push(texts.value(i).to_string());
        }
    }
    let reports = context.scan_reports();
    if !reports.is_empty() {
        plan_types.push("tessera_scan".to_string());
        plans.push(reports.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n"));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("plan_type", DataType::Utf8, false),
        Field::new("plan", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from(plan_types)), Arc::new(StringArray::from(plans))],
    )?;
    Ok(StatementResult::rows(schema, vec![batch]))
}
