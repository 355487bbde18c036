//! Asynchronous materialized views: `CREATE MATERIALIZED VIEW ... REFRESH {ASYNC [START (..)] [EVERY
//! (INTERVAL n unit)] | MANUAL} AS <any query>`, `REFRESH MATERIALIZED VIEW`, `ALTER MATERIALIZED VIEW
//! {ACTIVE | INACTIVE | REFRESH .. | RENAME ..}`, and the refresh job ([`refresh_due`], run by
//! `materialized::scheduler`).
//!
//! An asynchronous view is a DUPLICATE KEY table (created as CREATE TABLE AS SELECT creates one, with the
//! view's PARTITION BY / DISTRIBUTED BY / PROPERTIES) holding its query's rows as of its last refresh.
//! A refresh runs the query over one pinned state and replaces every row of the table in one commit that
//! also records the refresh (times, outcome, and a digest of the base tables' versions); a failed
//! refresh changes no row and records its error.
//!
//! What stays true:
//! - the query is planned without the creating session's Rust functions (the refresh job has none),
//!   and its base tables (views expanded) are recorded with their ids;
//! - an inactive view is never refreshed; it becomes inactive when a base table is dropped
//!   (`materialized::on_drop_tables`) or by ALTER ... INACTIVE, and active again only by ALTER ... ACTIVE,
//!   which plans the query again and requires the same columns;
//! - refreshes of one view are serialized by its table lock; the rows of a refresh all come from one
//!   state.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast as sp;
use tessera_sql::{CreateMaterializedView, CreateTable, ObjectName, RefreshKind, RefreshSpec};
use tessera_storage::{
    BaseTableRef, MaterializedKind, MaterializedViewDef, MetaState, RefreshInterval, RefreshRecord, RefreshSchedule,
    TableDef, TableId, Transaction,
};

use crate::catalog::resolve;
use crate::catalog::sql_text::quote_ident;
use crate::context::Ctx;
use crate::database::Shared;
use crate::datafusion_adapter::provider::TesseraTable;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;

/// The reason ALTER ... INACTIVE records (StarRocks' text).
pub(crate) const INACTIVE_BY_USER: &str = "user use alter materialized view set status to inactive";

pub(crate) fn create(ctx: &Ctx, create: CreateMaterializedView) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(create.name.database.as_deref())?;
    let name = create.name.name.clone();
    let refresh = create
        .refresh
        .clone()
        .unwrap_or(RefreshSpec { deferred: false, kind: RefreshKind::Async { start: None, every: None } });
    let schedule = schedule(&db_name, &name, &refresh)?;
    let shared = ctx.shared.clone();
    {
        let state = shared.store.snapshot();
        let db = resolve::database(&state, &db_name)?;
        if state.table_by_name(db.id, &name).is_some() || shared.objects.of(&state).view(db.id, &name).is_some() {
            if create.if_not_exists {
                return Ok(StatementResult::ok());
            }
            return Err(EngineError::AlreadyExists(format!("Table '{name}' already exists in database {db_name}")));
        }
    }
    let query = crate::catalog::sql_text::query_text(&create.query);
    let definer = definer(ctx, &db_name);
    let start_ms = definer.shared.clock.now_ms();
    // IMMEDIATE (the default) computes the rows now, like CREATE TABLE AS SELECT; DEFERRED only plans.
    let (output, base_tables) = if refresh.deferred {
        let (schema, base_tables, context) = plan(&definer, &db_name, &name, &query)?;
        (crate::query::QueryOutput { schema, batches: Vec::new(), _context: context }, base_tables)
    } else {
        let (_, base_tables, _) = plan(&definer, &db_name, &name, &query)?;
        let output = crate::query::collect_query(&definer, &parse_query(&query)?)
            .map_err(|e| EngineError::InvalidInput(format!("materialized view {db_name}.{name}: {e}")))?;
        (output, base_tables)
    };
    let last_refresh = (!refresh.deferred).then(|| RefreshRecord {
        start_ms,
        finish_ms: definer.shared.clock.now_ms(),
        state: "SUCCESS".into(),
        error: None,
        base_digest: base_digest(&output._context.state, &base_tables),
    });
    let def = MaterializedViewDef {
        query,
        kind: MaterializedKind::Async { refresh: schedule },
        base_tables,
        inactive_reason: None,
        last_refresh,
    };
    let table = CreateTable {
        name: ObjectName { database: Some(db_name), name },
        if_not_exists: create.if_not_exists,
        columns: Vec::new(),
        key: None,
        comment: create.comment.clone(),
        partition_by: create.partition_by.clone(),
        distribution: create.distribution.clone(),
        properties: create.properties.clone(),
        as_query: None,
    };
    crate::catalog::ddl::create_table_from(ctx, table, Some(output), Some(Box::new(def)))?;
    Ok(StatementResult::ok())
}

/// A context in the view's database without the caller's Rust functions: what the refresh job has.
pub(crate) fn definer(ctx: &Ctx, database: &str) -> Ctx {
    ctx.in_database(database)
}

fn parse_query(text: &str) -> Result<sp::Query> {
    match tessera_sql::parse_statement(text)? {
        tessera_sql::Statement::Query(query) => Ok(*query),
        _ => Err(EngineError::Internal(format!("a materialized view's query is not a query: {text}"))),
    }
}

/// Plans the view's query in `session` (its database current): the columns it returns, the Tessera
/// tables it reads (views expanded), and the context holding the state it was planned over.
pub(crate) fn plan(
    ctx: &Ctx,
    db_name: &str,
    name: &str,
    query: &str,
) -> Result<(SchemaRef, Vec<BaseTableRef>, crate::datafusion_adapter::StatementContext)> {
    let context = ctx.statement_context();
    let statement = DfStatement::Statement(Box::new(sp::Statement::Query(Box::new(parse_query(query)?))));
    let planned = ctx.block_on(async {
        let state = context.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        // The analyzer (type coercion) finds type errors the planner alone would leave for later.
        state.optimize(&plan)?;
        Ok::<_, EngineError>(plan)
    })?;
    let plan = planned.map_err(|e| EngineError::InvalidInput(format!("materialized view {db_name}.{name}: {e}")))?;
    let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
    let mut seen = std::collections::BTreeSet::new();
    for field in schema.fields() {
        if !seen.insert(field.name().clone()) {
            return Err(EngineError::InvalidInput(format!(
                "materialized view {db_name}.{name}: duplicate column name '{}'; give the columns distinct names \
                 with AS",
                field.name()
            )));
        }
    }
    let mut bases: Vec<BaseTableRef> = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            if let Ok(provider) = datafusion::datasource::source_as_provider(&scan.source) {
                if let Some(table) = (provider.as_ref() as &dyn std::any::Any).downcast_ref::<TesseraTable>() {
                    if !bases.iter().any(|b| b.id == table.def.id) {
                        let database = context
                            .state
                            .databases
                            .get(&table.def.database_id)
                            .map(|d| d.name.clone())
                            .unwrap_or_default();
                        bases.push(BaseTableRef { database, table: table.def.name.clone(), id: table.def.id });
                    }
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(|e| EngineError::Internal(format!("walking the plan of {db_name}.{name}: {e}")))?;
    Ok((schema, bases, context))
}

/// The refresh schedule a REFRESH clause asks for.
pub(crate) fn schedule(db: &str, name: &str, refresh: &RefreshSpec) -> Result<RefreshSchedule> {
    Ok(match &refresh.kind {
        RefreshKind::Manual => RefreshSchedule::Manual,
        RefreshKind::Async { start, every } => {
            let every = match every {
                None => None,
                Some((count, unit)) => {
                    if RefreshInterval::unit_seconds(unit).is_none() {
                        return Err(EngineError::InvalidInput(format!(
                            "materialized view {db}.{name}: unsupported refresh interval unit {unit}; use SECOND, \
                             MINUTE, HOUR, DAY or WEEK"
                        )));
                    }
                    let count = u32::try_from(*count).map_err(|_| {
                        EngineError::InvalidInput(format!("materialized view {db}.{name}: refresh interval too large"))
                    })?;
                    Some(RefreshInterval { count, unit: unit.clone() })
                }
            };
            let start_ms = match start {
                None => None,
                Some(text) => Some(
                    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
                        .map_err(|_| {
                            EngineError::InvalidInput(format!(
                                "materialized view {db}.{name}: START must be 'yyyy-MM-dd HH:mm:ss', found '{text}'"
                            ))
                        })?
                        .and_utc()
                        .timestamp_millis(),
                ),
            };
            RefreshSchedule::Async { every, start_ms }
        }
    })
}

/// A digest of the versions of `bases`' tablets in `state`: a view refreshed from a state has the digest
/// of that state until a base table changes.
pub(crate) fn base_digest(state: &MetaState, bases: &[BaseTableRef]) -> u64 {
    // FNV-1a over (tablet, version) pairs; only compared with digests this build computed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |value: u64| {
        for byte in value.to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for base in bases {
        mix(base.id.0);
        match state.tables.get(&base.id) {
            None => mix(u64::MAX),
            Some(table) => {
                for tablet in table.tablets() {
                    mix(tablet.0);
                    mix(state.tablet(tablet).map_or(0, |v| v.version));
                }
            }
        }
    }
    hash
}

/// The asynchronous view `[db.]name`, or an error saying what the name is instead.
pub(crate) fn find_async(ctx: &Ctx, state: &MetaState, name: &ObjectName) -> Result<Arc<TableDef>> {
    let (db, table) = super::find(ctx, state, name)?;
    if table.materialized.as_ref().is_some_and(|m| m.is_sync()) {
        return Err(EngineError::InvalidInput(format!(
            "'{}.{}' is a synchronous materialized view: it changes with its base table and cannot be refreshed \
             or altered",
            db.name, table.name
        )));
    }
    Ok(table)
}

/// Recomputes the view `id` and replaces its rows; returns the rows stored. A failure is recorded in
/// the view (last refresh FAILED, with the error) and returned.
pub(crate) fn refresh(shared: &Arc<Shared>, id: TableId) -> Result<u64> {
    let store = &shared.store;
    let lock = store.table_lock(id);
    let _exclusive = lock.write();
    let state = store.snapshot();
    let Some(table) = state.tables.get(&id).cloned() else {
        return Err(EngineError::NotFound(format!("materialized view {} was dropped", id.0)));
    };
    let db_name = state.databases.get(&table.database_id).map(|d| d.name.clone()).unwrap_or_default();
    let Some(def) = table.materialized.clone() else {
        return Err(EngineError::Internal(format!("{db_name}.{} is not a materialized view", table.name)));
    };
    if let Some(reason) = &def.inactive_reason {
        return Err(EngineError::InvalidInput(format!(
            "Refresh materialized view {db_name}.{} failed: it is inactive ({reason}); run ALTER MATERIALIZED VIEW \
             {} ACTIVE first",
            table.name,
            quote_ident(&table.name)
        )));
    }
    shared.backups.check_not_restoring(&table)?;
    let start_ms = shared.clock.now_ms();
    let definer = Ctx::background(shared.clone(), Some(db_name.clone()));
    match compute(&definer, &table, &def) {
        Ok((mut next, batches, digest)) => {
            let record = RefreshRecord {
                start_ms,
                finish_ms: shared.clock.now_ms(),
                state: "SUCCESS".into(),
                error: None,
                base_digest: digest,
            };
            let tablets: Vec<_> = next.tablets().collect();
            if let Some(mv) = next.materialized.as_mut() {
                mv.last_refresh = Some(record);
            }
            let mut txn = Transaction::new();
            txn.put_table(next.clone());
            let rows = crate::write::write_rows(
                store,
                &next,
                &batches,
                None,
                crate::write::Target::Overwrite(tablets),
                &mut txn,
            )?
            .stored;
            store.commit(txn)?;
            Ok(rows)
        }
        Err(e) => {
            let mut failed = (*table).clone();
            if let Some(mv) = failed.materialized.as_mut() {
                mv.last_refresh = Some(RefreshRecord {
                    start_ms,
                    finish_ms: shared.clock.now_ms(),
                    state: "FAILED".into(),
                    error: Some(e.to_string()),
                    base_digest: base_digest(&store.snapshot(), &def.base_tables),
                });
            }
            let mut txn = Transaction::new();
            txn.put_table(failed);
            if let Err(record_error) = store.commit(txn) {
                log::warn!("cannot record the failed refresh of {db_name}.{}: {record_error}", table.name);
            }
            Err(EngineError::InvalidInput(format!("Refresh materialized view {db_name}.{} failed: {e}", table.name)))
        }
    }
}

/// Runs the view's query: the table definition to commit (with partitions the rows need), the rows
/// conformed to its columns, and the digest of the state they were read from.
fn compute(
    ctx: &Ctx,
    table: &Arc<TableDef>,
    def: &MaterializedViewDef,
) -> Result<(TableDef, Vec<arrow::array::RecordBatch>, u64)> {
    let output = crate::query::collect_query(ctx, &parse_query(&def.query)?)?;
    if output.schema.fields().len() != table.columns.len() {
        return Err(EngineError::InvalidInput(format!(
            "the query now returns {} columns; the view has {}",
            output.schema.fields().len(),
            table.columns.len()
        )));
    }
    let positions: Vec<Option<usize>> = (0..table.columns.len()).map(Some).collect();
    let batches =
        output.batches.iter().map(|b| crate::write::conform_batch(table, b, &positions)).collect::<Result<Vec<_>>>()?;
    let mut next = (**table).clone();
    crate::catalog::auto_partitions::add_missing_partitions(&ctx.shared.store, &mut next, &batches)?;
    let digest = base_digest(&output._context.state, &def.base_tables);
    Ok((next, batches, digest))
}

/// The asynchronous views due for a refresh at `now_ms`: active, ASYNC, and either their EVERY interval
/// has passed since the last refresh (not before START), or, without EVERY, a base table changed since.
pub(crate) fn due(state: &MetaState, now_ms: i64) -> Vec<TableId> {
    let mut due = Vec::new();
    for table in state.tables.values() {
        let Some(def) = &table.materialized else { continue };
        let MaterializedKind::Async { refresh: RefreshSchedule::Async { every, start_ms } } = &def.kind else {
            continue;
        };
        if !def.is_active() || start_ms.is_some_and(|start| now_ms < start) {
            continue;
        }
        let last = def.last_refresh.as_ref();
        let is_due = match every {
            Some(interval) => {
                last.is_none_or(|r| now_ms.saturating_sub(r.start_ms) >= interval.millis().min(i64::MAX as u64) as i64)
            }
            None => last.is_none_or(|r| r.base_digest != base_digest(state, &def.base_tables)),
        };
        if is_due {
            due.push(table.id);
        }
    }
    due
}

/// Refreshes every view [`due`] now; returns how many were refreshed. Failures are recorded in the
/// views and logged; the first is returned after all were tried.
pub(crate) fn refresh_due(shared: &Arc<Shared>) -> Result<usize> {
    let now = shared.clock.now_ms();
    let mut refreshed = 0;
    let mut first_error = None;
    for id in due(&shared.store.snapshot(), now) {
        match refresh(shared, id) {
            Ok(_) => refreshed += 1,
            Err(e) => {
                log::warn!("{e}");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(refreshed),
    }
}

/// The CREATE MATERIALIZED VIEW text of an asynchronous view.
pub(crate) fn create_sql(db: &str, table: &TableDef) -> String {
    let mut out = format!("CREATE MATERIALIZED VIEW {}.{}\n", quote_ident(db), quote_ident(&table.name));
    if let Some(comment) = &table.comment {
        out.push_str(&format!("COMMENT \"{}\"\n", comment.replace('\\', "\\\\").replace('"', "\\\"")));
    }
    if let Some(partition) = crate::catalog::sql_text::partition_sql(table) {
        out.push_str(&partition);
        out.push('\n');
    }
    out.push_str(&crate::catalog::sql_text::distribution_sql(table));
    out.push('\n');
    let Some(def) = &table.materialized else { return out };
    match &def.kind {
        MaterializedKind::Async { refresh: RefreshSchedule::Manual } => out.push_str("REFRESH MANUAL\n"),
        MaterializedKind::Async { refresh: RefreshSchedule::Async { every, start_ms } } => {
            out.push_str("REFRESH ASYNC");
            if let Some(start) = start_ms {
                out.push_str(&format!(" START (\"{}\")", super::format_time(*start)));
            }
            if let Some(every) = every {
                out.push_str(&format!(" EVERY (INTERVAL {} {})", every.count, every.unit));
            }
            out.push('\n');
        }
        MaterializedKind::Sync { .. } => {}
    }
    if let Some(properties) = crate::catalog::sql_text::properties_sql(table) {
        out.push_str(&properties);
        out.push('\n');
    }
    out.push_str("AS ");
    out.push_str(&def.query);
    out.push(';');
    out
}
