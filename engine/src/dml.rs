//! INSERT, INSERT OVERWRITE, DELETE, TRUNCATE and bulk append.
//!
//! Every statement is atomic: rows are converted to the table's types, checked (NOT NULL, lengths,
//! partition ranges) and routed *before* anything is written; segment files are then written and
//! committed in one transaction. A failure at any point leaves the table as it was.
//!
//! Locks: INSERT and append take the table's lock shared (appends commute with each other and with
//! compaction), and exclusive when their rows need new partitions (`catalog::auto_partitions`);
//! INSERT OVERWRITE, DELETE and TRUNCATE take it exclusive, because they replace segments they have
//! read. Every write to a keyed table (PRIMARY, UNIQUE, AGGREGATE KEY) takes it exclusive: an upsert
//! reads the primary index and then changes it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;
use rayon::prelude::*;
use tessera_sql::{Insert, ObjectName};
use tessera_storage::primary_index::encode_keys;
use tessera_storage::routing::route_batch;
use tessera_storage::{Store, TableDef, TabletId, Transaction};

use crate::catalog::auto_partitions::{definition_for_write, partition_for_values};
use crate::catalog::resolve;
use crate::context::Ctx;
use crate::database::Shared;
use crate::datafusion_adapter::provider::TesseraTable;
use crate::datafusion_adapter::StatementContext;
use crate::error::{EngineError, Result};
use crate::materialized::rollup;
use crate::result::StatementResult;
use crate::write::{by_tablet, conform_batch, current_table, write_lock, write_rows, Target};

fn check_partitions(table: &TableDef, names: &[String]) -> Result<()> {
    for name in names {
        if table.partition(name).is_none() {
            return Err(EngineError::NotFound(format!("partition {name} does not exist in table {}", table.name)));
        }
    }
    Ok(())
}

pub(crate) fn insert(ctx: &Ctx, insert: Insert) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (_, table) = resolve::table(ctx, &store.snapshot(), &insert.table)?;
    let lock = store.table_lock(table.id);
    let mut guard = write_lock(&lock, &table, insert.overwrite);
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    check_partitions(&table, &insert.partitions)?;

    let positions: Vec<Option<usize>> = if insert.columns.is_empty() {
        (0..table.columns.len()).map(Some).collect()
    } else {
        let mut seen = HashSet::new();
        for name in &insert.columns {
            if table.column(name).is_none() {
                return Err(EngineError::NotFound(format!("Unknown column '{name}' in table {}", table.name)));
            }
            if !seen.insert(name) {
                return Err(EngineError::InvalidInput(format!(
                    "column {name} is listed twice in the INSERT into {}",
                    table.name
                )));
            }
        }
        table.columns.iter().map(|c| insert.columns.iter().position(|n| n == &c.name)).collect()
    };
    let expected = positions.iter().filter(|p| p.is_some()).count();
    if streams(store, &table, &insert) {
        return insert_streaming(ctx, &table, &insert, &positions, expected);
    }

    let output = crate::query::collect_query(ctx, &insert.source)?;
    if output.schema.fields().len() != expected {
        return Err(EngineError::InvalidInput(format!(
            "INSERT into {} expects {expected} column(s) but the rows have {}",
            table.name,
            output.schema.fields().len()
        )));
    }
    let batches =
        output.batches.par_iter().map(|b| conform_batch(&table, b, &positions)).collect::<Result<Vec<_>>>()?;
    // `PARTITION (col = value)` names the partition holding the values, created if missing.
    let (table, mut new_partitions, targets) = if insert.partition_values.is_empty() {
        (table, false, insert.partitions.clone())
    } else {
        let (table, created, name) = partition_for_values(&shared, &lock, &mut guard, table, &insert.partition_values)?;
        (table, created, vec![name])
    };
    let only = (!targets.is_empty()).then_some(targets.as_slice());
    let (table, created) = definition_for_write(&shared, &lock, &mut guard, table, &batches, only)?;
    new_partitions |= created;
    // An append keeps the table's rollups equal to it in the same commit (an overwrite makes them stale
    // instead, see `materialized::rollup`): their locks first, then the state they are upserted against.
    let rollup_locks = if insert.overwrite { Vec::new() } else { rollup::lock_rollups(store, table.id) };
    let _rollup_guards: Vec<_> = rollup_locks.iter().map(|l| l.write()).collect();
    let state = store.snapshot();
    let target = if insert.overwrite {
        let partitions = table
            .partitions
            .iter()
            .filter(|p| only.is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(&p.name))));
        Target::Overwrite(partitions.flat_map(|p| p.tablets.iter().copied()).collect())
    } else {
        Target::Existing(&state)
    };
    let mut txn = Transaction::new();
    if new_partitions {
        // First, so that the new partitions' tablets exist for the segments below.
        txn.put_table((*table).clone());
    }
    let rows = write_rows(store, &table, &batches, only, target, &mut txn)?.given;
    if !insert.overwrite {
        rollup::append(&ctx.shared, &table, &batches, &mut txn)?;
    }
    store.commit(txn)?;
    drop(output);
    Ok(StatementResult::affected(rows))
}

/// Whether an INSERT can write its rows as they come: a plain append (no OVERWRITE, no partition
/// values) to a DUPLICATE KEY table whose partitions are all declared (none created by the rows) and
/// that has no synchronous materialized view. Every other INSERT collects its rows first: keyed tables
/// merge them by key, automatic partitions and rollups are computed from all of them. Called under the
/// table's write lock, which creating a rollup needs exclusively, so the answer holds until the commit.
fn streams(store: &Store, table: &TableDef, insert: &Insert) -> bool {
    !insert.overwrite
        && insert.partition_values.is_empty()
        && !table.key.model.is_keyed()
        && table.partition_expr.is_none()
        && table.tablets().count() <= STREAMING_MAX_TABLETS
        && rollup::rollups_of(&store.snapshot(), table.id).is_empty()
}

/// Most tablets a streaming INSERT may write to: each keeps a segment file open, with a write buffer and
/// its current row group in memory, until the statement ends. A table with more tablets takes the
/// collected path, which has one file open per core at a time.
const STREAMING_MAX_TABLETS: usize = 128;

/// INSERT that writes as it reads: the query's rows come in chunks (`Options::insert_chunk_rows`); each
/// chunk is conformed, routed and appended to its tablets' open segment files (tablets in parallel), so
/// memory holds about one chunk plus each open file's current row group, not the whole result. The
/// files become visible in one commit at the end; an error at any point drops the writers and with
/// them every file written.
fn insert_streaming(
    ctx: &Ctx,
    table: &TableDef,
    insert: &Insert,
    positions: &[Option<usize>],
    expected: usize,
) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let schema = table.arrow_schema();
    let only = (!insert.partitions.is_empty()).then_some(insert.partitions.as_slice());
    let mut writers: BTreeMap<TabletId, tessera_storage::TabletWriter<'_>> = BTreeMap::new();
    let mut rows = 0u64;
    let check_columns = |output: &SchemaRef| {
        if output.fields().len() != expected {
            return Err(EngineError::InvalidInput(format!(
                "INSERT into {} expects {expected} column(s) but the rows have {}",
                table.name,
                output.fields().len()
            )));
        }
        Ok(())
    };
    let chunk_rows = shared.insert_chunk_rows;
    crate::query::for_each_chunk(ctx, &insert.source, chunk_rows, check_columns, |chunk| {
        let routed: Vec<_> = chunk
            .par_iter()
            .map(|batch| Ok(route_batch(table, &conform_batch(table, batch, positions)?, only)?))
            .collect::<Result<_>>()?;
        rows += chunk.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        drop(chunk);
        let mut work = Vec::new();
        for (tablet, parts) in by_tablet(routed) {
            let writer = match writers.remove(&tablet) {
                Some(writer) => writer,
                None => store.tablet_writer(tablet, &schema)?,
            };
            work.push((writer, parts));
        }
        work.par_iter_mut().try_for_each(|(writer, parts)| parts.iter().try_for_each(|part| writer.write(part)))?;
        writers.extend(work.into_iter().map(|(writer, _)| (writer.tablet(), writer)));
        Ok(())
    })?;
    let written: Vec<_> =
        writers.into_par_iter().map(|(tablet, writer)| Ok((tablet, writer.finish()?))).collect::<Result<_>>()?;
    let mut txn = Transaction::new();
    for (tablet, segments) in written {
        txn.append(tablet, segments);
    }
    store.commit(txn)?;
    Ok(StatementResult::affected(rows))
}

pub(crate) fn truncate(ctx: &Ctx, name: &ObjectName, partitions: &[String]) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (_, table) = resolve::table(ctx, &store.snapshot(), name)?;
    let lock = store.table_lock(table.id);
    let _exclusive = lock.write();
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    check_partitions(&table, partitions)?;
    let mut txn = Transaction::new();
    for partition in table
        .partitions
        .iter()
        .filter(|p| partitions.is_empty() || partitions.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
    {
        for tablet in &partition.tablets {
            txn.overwrite(*tablet, Vec::new());
        }
    }
    store.commit(txn)?;
    Ok(StatementResult::ok())
}

pub(crate) fn delete(ctx: &Ctx, name: &ObjectName, selection: Option<sp::Expr>) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let (db, table) = resolve::table(ctx, &store.snapshot(), name)?;
    let lock = store.table_lock(table.id);
    let _exclusive = lock.write();
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    let Some(selection) = selection else {
        let mut deleted = 0;
        let state = store.snapshot();
        let mut txn = Transaction::new();
        for tablet in table.tablets() {
            deleted += state.tablet(tablet).map(|v| v.rows()).unwrap_or(0);
            txn.overwrite(tablet, Vec::new());
        }
        store.commit(txn)?;
        return Ok(StatementResult::affected(deleted));
    };

    // Each segment is exposed as the table `__tessera_delete.s.segment`, and the condition is planned as
    // part of a real query over it, so that subqueries in it resolve through the normal catalog.
    let (context, segment_schema) = rewrite_context(ctx)?;
    let state = context.state.clone();
    let qualified = format!("{}.{}", db.name, table.name);
    if table.key.model.is_keyed() {
        // One row per key: find the matching rows' keys and delete them through the primary index.
        let provider = Arc::new(TesseraTable::whole(&qualified, table.clone(), state.clone()));
        segment_schema.register_table("segment".to_string(), provider)?;
        let query = delete_query(&table.name, "SELECT * FROM", &selection, false)?;
        let matched = run_on(ctx, &context, &query)?;
        let key_columns = table.key_column_indexes()?;
        let mut txn = Transaction::new();
        let mut deleted = 0;
        for batch in matched {
            let batch = RecordBatch::try_new(table.arrow_schema(), batch.columns().to_vec())?;
            for (tablet, rows) in route_batch(&table, &batch, None)? {
                let keys = encode_keys(&rows, &key_columns)?;
                deleted += store.delete_keys(tablet, &state, &keys, &mut txn)?;
            }
        }
        if !txn.is_empty() {
            store.commit(txn)?;
        }
        drop(context);
        return Ok(StatementResult::affected(deleted));
    }
    let count_query = delete_query(&table.name, "SELECT count(*) FROM", &selection, false)?;
    let keep_query = delete_query(&table.name, "SELECT * FROM", &selection, true)?;
    let schema = table.arrow_schema();
    let mut deleted = 0u64;
    let mut txn = Transaction::new();
    for tablet in table.tablets() {
        let Some(version) = state.tablet(tablet) else { continue };
        let mut removed = Vec::new();
        let mut kept_batches = Vec::new();
        for segment in &version.segments {
            let provider =
                Arc::new(TesseraTable::for_segments(&qualified, table.clone(), state.clone(), &[segment.id()]));
            segment_schema.deregister_table("segment")?;
            segment_schema.register_table("segment".to_string(), provider)?;
            let counted = run_on(ctx, &context, &count_query)?;
            let matched = counted
                .first()
                .and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)))
                .unwrap_or(0);
            if matched == 0 {
                continue;
            }
            deleted += matched as u64;
            removed.push(segment.id());
            for batch in run_on(ctx, &context, &keep_query)? {
                kept_batches.push(RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?);
            }
        }
        if !removed.is_empty() {
            let written = store.write_segments(tablet, &schema, &kept_batches)?;
            txn.replace(tablet, removed, written);
        }
    }
    if !txn.is_empty() {
        store.commit(txn)?;
    }
    drop(context);
    Ok(StatementResult::affected(deleted))
}

/// A statement context over the current state with an empty schema `__tessera_delete.s`, where DELETE
/// and UPDATE register the rows they work on as the table `segment`.
pub(crate) fn rewrite_context(ctx: &Ctx) -> Result<(StatementContext, Arc<MemorySchemaProvider>)> {
    let context = ctx.statement_context();
    let segment_schema = Arc::new(MemorySchemaProvider::new());
    let segment_catalog = Arc::new(MemoryCatalogProvider::new());
    segment_catalog.register_schema("s", segment_schema.clone())?;
    context.ctx.register_catalog("__tessera_delete", segment_catalog);
    Ok((context, segment_schema))
}

/// Placeholder that [`delete_query`] replaces with the DELETE's condition (as an AST, never as text, so
/// that no literal is re-escaped).
const CONDITION_PLACEHOLDER: &str = "__tessera_delete_condition";

/// `<head> __tessera_delete.s.segment AS <table> WHERE <condition>` (or, with `keep`, `WHERE NOT
/// coalesce((<condition>), false)`: the rows the DELETE keeps, including those where it is NULL).
pub(crate) fn delete_query(table: &str, head: &str, condition: &sp::Expr, keep: bool) -> Result<sp::Query> {
    let alias = format!("`{}`", table.replace('`', "``"));
    let predicate =
        if keep { format!("NOT coalesce({CONDITION_PLACEHOLDER}, false)") } else { CONDITION_PLACEHOLDER.to_string() };
    let sql = format!("{head} `__tessera_delete`.`s`.`segment` AS {alias} WHERE {predicate}");
    let tessera_sql::Statement::Query(mut query) = tessera_sql::parse_statement(&sql)? else {
        return Err(EngineError::Internal(format!("not a query: {sql}")));
    };
    struct Substitute<'a>(&'a sp::Expr);
    impl sp::VisitorMut for Substitute<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut sp::Expr) -> std::ops::ControlFlow<()> {
            if matches!(expr, sp::Expr::Identifier(id) if id.value == CONDITION_PLACEHOLDER) {
                *expr = sp::Expr::Nested(Box::new(self.0.clone()));
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let _ = sp::VisitMut::visit(query.as_mut(), &mut Substitute(condition));
    Ok(*query)
}

/// Plans and runs `query` in `context`.
pub(crate) fn run_on(ctx: &Ctx, context: &StatementContext, query: &sp::Query) -> Result<Vec<RecordBatch>> {
    let statement = DfStatement::Statement(Box::new(sp::Statement::Query(Box::new(query.clone()))));
    ctx.block_on(async {
        let plan = context.ctx.state().statement_to_plan(statement).await?;
        Ok::<_, EngineError>(context.ctx.execute_logical_plan(plan).await?.collect().await?)
    })?
}

/// Bulk append through the Rust API: columns matched by name.
pub(crate) fn append_batches(
    shared: &Arc<Shared>,
    database: &str,
    table: &str,
    batches: &[RecordBatch],
) -> Result<u64> {
    let store = &shared.store;
    let state = store.snapshot();
    let db_def = resolve::database(&state, database)?;
    let table = state
        .table_by_name(db_def.id, table)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("Unknown table '{database}.{table}'")))?;
    if table.materialized.is_some() {
        return Err(EngineError::InvalidInput(format!(
            "'{database}.{}' is a materialized view: its rows change only through its own maintenance",
            table.name
        )));
    }
    let lock = store.table_lock(table.id);
    let mut guard = write_lock(&lock, &table, false);
    let table = current_table(store, &table)?;
    shared.backups.check_not_restoring(&table)?;
    let mut conformed = Vec::with_capacity(batches.len());
    for batch in batches {
        let schema = batch.schema();
        for field in schema.fields() {
            if table.column(field.name()).is_none() {
                return Err(EngineError::NotFound(format!(
                    "Unknown column '{}' in table {}",
                    field.name(),
                    table.name
                )));
            }
        }
        let positions: Vec<Option<usize>> =
            table.columns.iter().map(|c| schema.fields().iter().position(|f| f.name() == &c.name)).collect();
        conformed.push(conform_batch(&table, batch, &positions)?);
    }
    let (table, new_partitions) = definition_for_write(shared, &lock, &mut guard, table, &conformed, None)?;
    let mut txn = Transaction::new();
    if new_partitions {
        txn.put_table((*table).clone());
    }
    let rollup_locks = rollup::lock_rollups(store, table.id);
    let _rollup_guards: Vec<_> = rollup_locks.iter().map(|l| l.write()).collect();
    let state = store.snapshot();
    let rows = write_rows(store, &table, &conformed, None, Target::Existing(&state), &mut txn)?.given;
    rollup::append(shared, &table, &conformed, &mut txn)?;
    store.commit(txn)?;
    Ok(rows)
}
