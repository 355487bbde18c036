//! INSERT and INSERT OVERWRITE (VALUES or a query, optionally into named partitions). Every
//! statement is atomic: rows are converted, checked and routed before anything is written
//! (`write.rs`), then committed in one transaction. A plain append to a DUPLICATE KEY table with
//! declared partitions streams its query in chunks instead of holding every row.

use std::collections::{BTreeMap, HashSet};

use arrow::datatypes::SchemaRef;
use rayon::prelude::*;
use tessera_sql::Insert;
use tessera_storage::routing::route_batch;
use tessera_storage::{Store, TableDef, TabletId, Transaction};

use crate::catalog::auto_partitions::{definition_for_write, partition_for_values};
use crate::catalog::resolve;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::materialized::rollup;
use crate::result::StatementResult;
use crate::write::{by_tablet, check_partitions, conform_batch, current_table, write_lock, write_rows, Target};

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
