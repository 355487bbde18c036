//! Synchronous materialized views (rollups): `CREATE MATERIALIZED VIEW mv AS SELECT k.., agg(c).. FROM t
//! GROUP BY k..` over one DUPLICATE KEY table `t`, with `agg` one of `sum`, `min`, `max`, `count`
//! (`count(*)` too).
//!
//! A rollup is an AGGREGATE KEY table named `mv` in `t`'s database: the GROUP BY columns are its key
//! columns (with `t`'s types), each aggregate a value column (`sum` -> SUM of the type DataFusion's
//! `sum` returns, `min`/`max` -> MIN/MAX of the column's type, `count` -> BIGINT SUM of counts). Because
//! an AGGREGATE KEY table merges rows of one key on write, upserting the partial aggregates of new rows
//! keeps it equal to the query it stands for, and `SELECT * FROM mv` returns exactly that query's rows.
//!
//! How it stays equal to its base (what must stay true):
//! - **appends** (INSERT, INSERT ... SELECT, FILES loads, `Database::append`) upsert the aggregates of
//!   just their new rows into every ready rollup of the base, in the same commit as the rows
//!   ([`lock_rollups`] then [`append`]); lock order: base table -> its rollups (by id) -> commit;
//! - **everything else** that changes the base's rows (DELETE, TRUNCATE, INSERT OVERWRITE, dropped
//!   partitions, RESTORE) clears the rollup's `ready` flag in the same commit, in the storage layer
//!   (`Store::commit`, "rollup invalidation"), so no path can leave a ready rollup that is wrong;
//!   [`rebuild_stale`] then recomputes it from the base (after each statement, at open, after a restore);
//! - a rollup that is not ready is never read: queries are not rewritten to it, and a query naming it
//!   directly reads its defining query over the base instead (`datafusion_adapter/catalog.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::{provider_as_source, MemTable};
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::logical_expr::{cast, ident, lit, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast as sp;
use parking_lot::RwLock;
use tessera_sql::CreateMaterializedView;
use tessera_storage::{
    AggregateFunction, BaseTableRef, ColumnDef, ColumnType, Distribution, KeyDesc, KeyModel, MaterializedKind,
    MaterializedViewDef, MetaState, PartitionBound, PartitionDef, PartitionId, PartitionKind, Store, TableDef, TableId,
    TableState, TabletId, Transaction,
};

use crate::catalog::resolve;
use crate::catalog::sql_text::quote_ident;
use crate::context::Ctx;
use crate::database::Shared;
use crate::datafusion_adapter::provider::TesseraTable;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;
use crate::write::{conform_batch, write_rows, Target};

/// An aggregate a rollup keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RollupFunction {
    Sum,
    Min,
    Max,
    Count,
}

impl RollupFunction {
    fn name(self) -> &'static str {
        match self {
            RollupFunction::Sum => "sum",
            RollupFunction::Min => "min",
            RollupFunction::Max => "max",
            RollupFunction::Count => "count",
        }
    }
}

/// One value column of a rollup: `function(source)` (`source` `None`: `count(*)`), stored as `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollupValue {
    pub(crate) name: String,
    pub(crate) function: RollupFunction,
    pub(crate) source: Option<String>,
}

/// What a rollup holds: its key columns (the base's GROUP BY columns, same names) and its aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RollupShape {
    pub(crate) keys: Vec<String>,
    pub(crate) values: Vec<RollupValue>,
}

impl RollupShape {
    /// The defining query over the table `base` (quoted as given), in the canonical form stored and shown.
    pub(crate) fn sql(&self, base: &str) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| quote_ident(k)).collect();
        let mut items = keys.clone();
        for v in &self.values {
            let arg = v.source.as_deref().map(quote_ident).unwrap_or_else(|| "*".to_string());
            items.push(format!("{}({arg}) AS {}", v.function.name(), quote_ident(&v.name)));
        }
        format!("SELECT {} FROM {base} GROUP BY {}", items.join(", "), keys.join(", "))
    }
}

/// The shape of the synchronous materialized view `table` (from its stored query), or `None` for any
/// other table.
pub(crate) fn shape_of(table: &TableDef) -> Option<RollupShape> {
    let def = table.materialized.as_ref().filter(|d| d.is_sync())?;
    let Ok(tessera_sql::Statement::Query(query)) = tessera_sql::parse_statement(&def.query) else { return None };
    analyze(&table.name, &query).ok().map(|(_, shape)| shape)
}

/// The synchronous views of `base` in `state`, ready or not, by id.
pub(crate) fn rollups_of(state: &MetaState, base: TableId) -> Vec<Arc<TableDef>> {
    let mut out: Vec<Arc<TableDef>> = state
        .tables
        .values()
        .filter(|t| t.materialized.as_ref().and_then(|m| m.sync_base()) == Some(base))
        .cloned()
        .collect();
    out.sort_by_key(|t| t.id);
    out
}

/// Whether `table` is a synchronous view that matches its base as of the state it was read from.
pub(crate) fn is_ready(table: &TableDef) -> bool {
    matches!(
        table.materialized.as_deref(),
        Some(MaterializedViewDef { kind: MaterializedKind::Sync { ready: true, .. }, .. })
    )
}

fn refuse(mv: &str, what: &str) -> EngineError {
    EngineError::Unsupported(format!(
        "materialized view {mv}: a synchronous materialized view must be SELECT <columns>, <sum|min|max|count>(<column>) \
         ... FROM <table> GROUP BY <columns>; {what} is not allowed (use an asynchronous materialized view, with \
         REFRESH, for other queries)"
    ))
}

/// The column an expression names, if it is a plain (possibly qualified) column.
fn column_name(expr: &sp::Expr) -> Option<String> {
    match expr {
        sp::Expr::Identifier(id) => Some(id.value.clone()),
        sp::Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.clone()),
        sp::Expr::Nested(inner) => column_name(inner),
        _ => None,
    }
}

/// `agg(column)` or `count(*)`, if `expr` is one.
fn aggregate_call(mv: &str, expr: &sp::Expr) -> Result<Option<(RollupFunction, Option<String>)>> {
    let sp::Expr::Function(f) = expr else { return Ok(None) };
    let name = f.name.to_string().to_ascii_lowercase();
    let function = match name.as_str() {
        "sum" => RollupFunction::Sum,
        "min" => RollupFunction::Min,
        "max" => RollupFunction::Max,
        "count" => RollupFunction::Count,
        _ => return Err(refuse(mv, &format!("the function {name}"))),
    };
    if f.filter.is_some() || f.over.is_some() || !f.within_group.is_empty() || f.null_treatment.is_some() {
        return Err(refuse(mv, &format!("FILTER, OVER or WITHIN GROUP on {name}")));
    }
    let sp::FunctionArguments::List(list) = &f.args else {
        return Err(refuse(mv, &format!("{name} without one column argument")));
    };
    if matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct)) {
        return Err(refuse(mv, &format!("{name}(DISTINCT ...)")));
    }
    if !list.clauses.is_empty() || list.args.len() != 1 {
        return Err(refuse(mv, &format!("{name} without exactly one column argument")));
    }
    let source = match &list.args[0] {
        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) if function == RollupFunction::Count => None,
        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => match column_name(e) {
            Some(c) => Some(c),
            None => return Err(refuse(mv, &format!("an expression ({e}) as the argument of {name}"))),
        },
        other => return Err(refuse(mv, &format!("the argument {other} of {name}"))),
    };
    Ok(Some((function, source)))
}

/// Checks the defining query of the synchronous view `mv` and returns the table it reads (`[db.]table`)
/// and the rollup's shape.
fn analyze(mv: &str, query: &sp::Query) -> Result<((Option<String>, String), RollupShape)> {
    if query.with.is_some() {
        return Err(refuse(mv, "WITH"));
    }
    if query.order_by.is_some() {
        return Err(refuse(mv, "ORDER BY"));
    }
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return Err(refuse(mv, "LIMIT"));
    }
    let sp::SetExpr::Select(select) = query.body.as_ref() else {
        return Err(refuse(mv, "a set operation or a nested query"));
    };
    if select.distinct.is_some() {
        return Err(refuse(mv, "DISTINCT"));
    }
    if select.selection.is_some() {
        return Err(refuse(mv, "WHERE"));
    }
    if select.having.is_some() {
        return Err(refuse(mv, "HAVING"));
    }
    if select.qualify.is_some() || !select.named_window.is_empty() || !select.sort_by.is_empty() {
        return Err(refuse(mv, "QUALIFY, WINDOW or SORT BY"));
    }
    let [from] = select.from.as_slice() else { return Err(refuse(mv, "reading more than one table")) };
    if !from.joins.is_empty() {
        return Err(refuse(mv, "JOIN"));
    }
    let sp::TableFactor::Table { name, args: None, .. } = &from.relation else {
        return Err(refuse(mv, "reading a subquery or a table function"));
    };
    let parts: Vec<String> = name.0.iter().map(|p| p.as_ident().map(|i| i.value.clone()).unwrap_or_default()).collect();
    let table = match parts.as_slice() {
        [table] => (None, table.clone()),
        [db, table] => (Some(db.clone()), table.clone()),
        _ => return Err(refuse(mv, &format!("the table name {name}"))),
    };
    let group: Vec<String> = match &select.group_by {
        sp::GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs
            .iter()
            .map(|e| column_name(e).ok_or_else(|| refuse(mv, &format!("grouping by the expression {e}"))))
            .collect::<Result<_>>()?,
        _ => return Err(refuse(mv, "GROUP BY ALL, ROLLUP, CUBE or GROUPING SETS")),
    };
    if group.is_empty() {
        return Err(refuse(mv, "a query without GROUP BY"));
    }
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for item in &select.projection {
        let (expr, alias) = match item {
            sp::SelectItem::UnnamedExpr(e) => (e, None),
            sp::SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            other => return Err(refuse(mv, &format!("the select item {other}"))),
        };
        if let Some((function, source)) = aggregate_call(mv, expr)? {
            let name = alias.unwrap_or_else(|| match &source {
                Some(c) => format!("{}_{c}", function.name()),
                None => "count_star".to_string(),
            });
            values.push(RollupValue { name, function, source });
            continue;
        }
        let Some(column) = column_name(expr) else {
            return Err(refuse(mv, &format!("the expression {expr}")));
        };
        if !values.is_empty() {
            return Err(refuse(mv, &format!("the GROUP BY column {column} after an aggregate (list them first)")));
        }
        if alias.as_ref().is_some_and(|a| a != &column) {
            return Err(refuse(mv, &format!("renaming the GROUP BY column {column}")));
        }
        if !group.contains(&column) {
            return Err(EngineError::InvalidInput(format!(
                "materialized view {mv}: column {column} is selected but not in GROUP BY"
            )));
        }
        if keys.contains(&column) {
            return Err(EngineError::InvalidInput(format!(
                "materialized view {mv}: column {column} is selected twice"
            )));
        }
        keys.push(column);
    }
    if let Some(missing) = group.iter().find(|g| !keys.contains(g)) {
        return Err(EngineError::InvalidInput(format!(
            "materialized view {mv}: GROUP BY column {missing} must also be selected"
        )));
    }
    if values.is_empty() {
        return Err(refuse(mv, "a query without an aggregate"));
    }
    Ok((table, RollupShape { keys, values }))
}

/// The type of `sum` over a column of type `ty` (what DataFusion's `sum` returns), if it is numeric.
fn sum_type(ty: &ColumnType) -> Option<ColumnType> {
    Some(match ty {
        ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt => ColumnType::BigInt,
        ColumnType::LargeInt => ColumnType::LargeInt,
        ColumnType::Float | ColumnType::Double => ColumnType::Double,
        ColumnType::Decimal { precision, scale } => ColumnType::Decimal {
            precision: (*precision + 10).min(tessera_storage::catalog::MAX_DECIMAL_PRECISION),
            scale: *scale,
        },
        _ => return None,
    })
}

/// The rollup's columns: keys with the base's types, then one value column per aggregate.
fn rollup_columns(mv: &str, base: &TableDef, shape: &RollupShape) -> Result<Vec<ColumnDef>> {
    let base_column = |name: &str| {
        base.column(name).map(|(_, c)| c.clone()).ok_or_else(|| {
            EngineError::NotFound(format!(
                "materialized view {mv}: column {name} does not exist in table {}",
                base.name
            ))
        })
    };
    let mut columns = Vec::new();
    for key in &shape.keys {
        let c = base_column(key)?;
        if matches!(c.column_type, ColumnType::Float | ColumnType::Double) {
            return Err(EngineError::InvalidInput(format!(
                "materialized view {mv}: {} column {key} cannot be a key column, so it cannot be grouped by",
                c.column_type
            )));
        }
        columns.push(ColumnDef { default: None, comment: None, aggregate: None, ..c });
    }
    for value in &shape.values {
        let source = value.source.as_deref().map(base_column).transpose()?;
        let (column_type, aggregate) = match (value.function, &source) {
            (RollupFunction::Count, _) => (ColumnType::BigInt, AggregateFunction::Sum),
            (RollupFunction::Sum, Some(c)) => (
                sum_type(&c.column_type).ok_or_else(|| {
                    EngineError::InvalidInput(format!(
                        "materialized view {mv}: sum needs a numeric column, but {} is {}",
                        c.name, c.column_type
                    ))
                })?,
                AggregateFunction::Sum,
            ),
            (RollupFunction::Min, Some(c)) => (c.column_type.clone(), AggregateFunction::Min),
            (RollupFunction::Max, Some(c)) => (c.column_type.clone(), AggregateFunction::Max),
            (_, None) => return Err(refuse(mv, "* as the argument of an aggregate other than count")),
        };
        columns.push(ColumnDef {
            name: value.name.clone(),
            column_type,
            nullable: true,
            default: None,
            comment: None,
            aggregate: Some(aggregate),
        });
    }
    crate::catalog::table_builder::check_unique_columns(mv, &columns)?;
    Ok(columns)
}

/// The plan of `shape`'s query over `scan` (the base's rows), with the rollup's column names and types.
pub(crate) fn aggregate_plan(shape: &RollupShape, rollup: &TableDef, scan: LogicalPlanBuilder) -> Result<LogicalPlan> {
    let group: Vec<Expr> = shape.keys.iter().map(ident).collect();
    let aggregates: Vec<Expr> = shape
        .values
        .iter()
        .map(|v| {
            let arg = v.source.as_deref().map(ident);
            let e = match (v.function, arg) {
                (RollupFunction::Sum, Some(a)) => sum(a),
                (RollupFunction::Min, Some(a)) => min(a),
                (RollupFunction::Max, Some(a)) => max(a),
                (RollupFunction::Count, Some(a)) => count(a),
                (_, None) => count(lit(1i64)),
            };
            e.alias(&v.name)
        })
        .collect();
    let typed: Vec<Expr> =
        rollup.columns.iter().map(|c| cast(ident(&c.name), c.column_type.arrow_type()).alias(&c.name)).collect();
    Ok(scan.aggregate(group, aggregates)?.project(typed)?.build()?)
}

/// Runs `shape`'s query over `source` and returns its rows in the rollup's schema.
fn compute(
    shared: &Shared,
    shape: &RollupShape,
    rollup: &TableDef,
    source: Arc<dyn TableProvider>,
) -> Result<Vec<RecordBatch>> {
    let scan = LogicalPlanBuilder::scan("rollup_source", provider_as_source(source), None)?;
    let plan = aggregate_plan(shape, rollup, scan)?;
    let ctx = SessionContext::new_with_state(shared.base_state.clone());
    let batches = shared.block_on(async { ctx.execute_logical_plan(plan).await?.collect().await })??;
    let positions: Vec<Option<usize>> = (0..rollup.columns.len()).map(Some).collect();
    batches.iter().map(|b| conform_batch(rollup, b, &positions)).collect()
}

/// `CREATE MATERIALIZED VIEW` of the synchronous form.
pub(crate) fn create(ctx: &Ctx, create: CreateMaterializedView) -> Result<StatementResult> {
    let mv = create.name.name.clone();
    if !create.properties.is_empty() {
        return Err(EngineError::Unsupported(format!(
            "materialized view {mv}: a synchronous materialized view takes no PROPERTIES"
        )));
    }
    let (table_ref, shape) = analyze(&mv, &create.query)?;
    let db_name = ctx.resolve_database(create.name.database.as_deref())?;
    if table_ref.0.as_ref().is_some_and(|d| d != &db_name) {
        return Err(EngineError::InvalidInput(format!(
            "materialized view {db_name}.{mv}: a synchronous materialized view must be in the database of its base \
             table {}.{}",
            table_ref.0.as_deref().unwrap_or_default(),
            table_ref.1
        )));
    }
    let shared = ctx.shared.clone();
    let store = &shared.store;
    let _ddl = shared.ddl.lock();
    let state = store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    if let Some(existing) = state.table_by_name(db.id, &mv) {
        if create.if_not_exists && existing.materialized.is_some() {
            return Ok(StatementResult::ok());
        }
        let what = if existing.materialized.is_some() { "materialized view" } else { "table" };
        return Err(EngineError::AlreadyExists(format!(
            "Can't create materialized view '{db_name}.{mv}': {what} '{mv}' already exists"
        )));
    }
    if shared.objects.of(&state).view(db.id, &mv).is_some() {
        return Err(EngineError::AlreadyExists(format!(
            "Can't create materialized view '{db_name}.{mv}': view '{mv}' already exists"
        )));
    }
    let Some(base) = state.table_by_name(db.id, &table_ref.1).cloned() else {
        if shared.objects.of(&state).view(db.id, &table_ref.1).is_some() {
            return Err(EngineError::InvalidInput(format!(
                "materialized view {mv}: '{db_name}.{}' is a view; a synchronous materialized view reads one table \
                 (use an asynchronous materialized view)",
                table_ref.1
            )));
        }
        return Err(EngineError::NotFound(format!(
            "materialized view {mv}: Unknown table '{db_name}.{}'",
            table_ref.1
        )));
    };
    if base.materialized.is_some() {
        return Err(EngineError::InvalidInput(format!(
            "materialized view {mv}: '{db_name}.{}' is a materialized view; a synchronous materialized view reads a \
             table",
            base.name
        )));
    }
    if base.key.model != KeyModel::Duplicate {
        return Err(EngineError::Unsupported(format!(
            "materialized view {mv}: table {} is a {} KEY table; synchronous materialized views are built on \
             DUPLICATE KEY tables only (use an asynchronous materialized view)",
            base.name, base.key.model
        )));
    }
    let lock = store.table_lock(base.id);
    let _exclusive = lock.write();
    let state = store.snapshot();
    let base = state
        .tables
        .get(&base.id)
        .cloned()
        .ok_or_else(|| EngineError::NotFound(format!("table {} was dropped", base.name)))?;
    shared.backups.check_not_restoring(&base)?;
    let columns = rollup_columns(&mv, &base, &shape)?;
    let def = new_rollup_def(store, &mv, &db.name, &base, &shape, columns, true)?;
    crate::catalog::key_model::check_table(&def)?;
    let rows =
        compute(&ctx.shared, &shape, &def, Arc::new(TesseraTable::whole(&base.name, base.clone(), state.clone())))?;
    let mut txn = Transaction::new();
    txn.put_table(def.clone());
    write_rows(store, &def, &rows, None, Target::New, &mut txn)?;
    store.commit(txn)?;
    Ok(StatementResult::ok())
}

/// A new rollup table `mv` of `base` (fresh ids, one unpartitioned partition, HASH of its keys with the
/// base's bucket count).
pub(crate) fn new_rollup_def(
    store: &Store,
    mv: &str,
    db_name: &str,
    base: &TableDef,
    shape: &RollupShape,
    columns: Vec<ColumnDef>,
    ready: bool,
) -> Result<TableDef> {
    let buckets = base.distribution.buckets().max(1);
    Ok(TableDef {
        format: tessera_storage::catalog::CATALOG_FORMAT_VERSION,
        id: TableId(store.allocate_id()?),
        database_id: base.database_id,
        name: mv.to_string(),
        columns,
        key: KeyDesc { model: KeyModel::Aggregate, columns: shape.keys.clone() },
        comment: None,
        partition_kind: PartitionKind::Unpartitioned,
        partition_columns: Vec::new(),
        partitions: vec![PartitionDef {
            id: PartitionId(store.allocate_id()?),
            name: mv.to_string(),
            bound: PartitionBound::All,
            tablets: (0..buckets).map(|_| store.allocate_id().map(TabletId)).collect::<Result<_, _>>()?,
        }],
        partition_expr: None,
        distribution: Distribution::Hash { columns: shape.keys.clone(), buckets },
        properties: Default::default(),
        create_time_ms: crate::catalog::ddl::now_ms(),
        state: TableState::Normal,
        materialized: Some(Box::new(MaterializedViewDef {
            query: shape.sql(&quote_ident(&base.name)),
            kind: MaterializedKind::Sync { base: base.id, ready },
            base_tables: vec![BaseTableRef { database: db_name.to_string(), table: base.name.clone(), id: base.id }],
            inactive_reason: None,
            last_refresh: None,
        })),
    })
}

/// The locks of `base`'s rollups, by id: an append takes them exclusively (after the base's own lock)
/// and holds them until it commits, then calls [`append`].
pub(crate) fn lock_rollups(store: &Store, base: TableId) -> Vec<Arc<RwLock<()>>> {
    rollups_of(&store.snapshot(), base).iter().map(|r| store.table_lock(r.id)).collect()
}

/// Adds to `txn` the upsert of the aggregates of `rows` (new rows of `base`, in its schema) into every
/// ready rollup of `base`. The caller holds the base's lock and the rollups' locks ([`lock_rollups`]).
pub(crate) fn append(shared: &Shared, base: &TableDef, rows: &[RecordBatch], txn: &mut Transaction) -> Result<()> {
    let store = &shared.store;
    let state = store.snapshot();
    let rollups: Vec<_> = rollups_of(&state, base.id).into_iter().filter(|r| is_ready(r)).collect();
    if rollups.is_empty() || rows.iter().all(|b| b.num_rows() == 0) {
        return Ok(());
    }
    let source: Arc<dyn TableProvider> = Arc::new(MemTable::try_new(base.arrow_schema(), vec![rows.to_vec()])?);
    for rollup in rollups {
        let shape = shape_of(&rollup).ok_or_else(|| {
            EngineError::Corruption(format!("materialized view {}: its stored query is not a rollup", rollup.name))
        })?;
        let partial = compute(shared, &shape, &rollup, source.clone())?;
        write_rows(store, &rollup, &partial, None, Target::Existing(&state), txn)?;
    }
    Ok(())
}

/// Rebuilds every synchronous materialized view that is not ready (its base changed other than by
/// appending): recomputed from the base under the DDL lock, the base's exclusive lock and its own, then
/// committed with `ready` set. Returns how many were rebuilt. A base being restored is left for later.
pub(crate) fn rebuild_stale(shared: &Shared) -> Result<usize> {
    let store = &shared.store;
    let mut bases: BTreeMap<TableId, ()> = BTreeMap::new();
    for table in store.snapshot().tables.values() {
        if let Some(MaterializedKind::Sync { base, ready: false }) = table.materialized.as_ref().map(|m| &m.kind) {
            bases.insert(*base, ());
        }
    }
    let mut rebuilt = 0;
    for base_id in bases.into_keys() {
        let _ddl = shared.ddl.lock();
        let lock = store.table_lock(base_id);
        let _base = lock.write();
        let locks = lock_rollups(store, base_id);
        let _guards: Vec<_> = locks.iter().map(|l| l.write()).collect();
        let state = store.snapshot();
        let Some(base) = state.tables.get(&base_id).cloned() else { continue };
        if base.state == TableState::Restore {
            continue;
        }
        let mut txn = Transaction::new();
        for rollup in rollups_of(&state, base_id).into_iter().filter(|r| !is_ready(r)) {
            let Some(shape) = shape_of(&rollup) else {
                log::warn!("materialized view {}: its stored query is not a rollup; not rebuilt", rollup.name);
                continue;
            };
            let source = Arc::new(TesseraTable::whole(&base.name, base.clone(), state.clone()));
            let rows = compute(shared, &shape, &rollup, source)?;
            let mut next = (*rollup).clone();
            if let Some(MaterializedKind::Sync { ready, .. }) = next.materialized.as_mut().map(|m| &mut m.kind) {
                *ready = true;
            }
            txn.put_table(next);
            write_rows(store, &rollup, &rows, None, Target::Overwrite(rollup.tablets().collect()), &mut txn)?;
            rebuilt += 1;
        }
        if !txn.is_empty() {
            store.commit(txn)?;
        }
    }
    Ok(rebuilt)
}

/// [`rebuild_stale`] where a failure must not fail the caller (the statement that made the rollup
/// stale already committed): logged, and tried again after the next statement. Until then queries do
/// not use the rollup, so results stay right.
pub(crate) fn rebuild_stale_logged(shared: &Shared) {
    if !has_stale(&shared.store.snapshot()) {
        return;
    }
    if let Err(e) = rebuild_stale(shared) {
        log::warn!("rebuilding synchronous materialized views failed (tried again after the next statement): {e}");
    }
}

/// Whether some synchronous materialized view is not ready.
pub(crate) fn has_stale(state: &MetaState) -> bool {
    state.tables.values().any(|t| t.materialized.as_ref().is_some_and(|m| m.is_sync()) && !is_ready(t))
}

/// The columns of `base` that its rollups use, with the rollup using each (for ALTER TABLE DROP COLUMN).
pub(crate) fn rollup_using_column(state: &MetaState, base: TableId, column: &str) -> Option<String> {
    rollups_of(state, base).into_iter().find_map(|r| {
        let shape = shape_of(&r)?;
        let used =
            shape.keys.iter().any(|k| k == column) || shape.values.iter().any(|v| v.source.as_deref() == Some(column));
        used.then(|| r.name.clone())
    })
}

/// The CREATE MATERIALIZED VIEW text of a synchronous view: its query over the base's current name.
pub(crate) fn create_sql(db: &str, table: &TableDef, state: &MetaState) -> String {
    let base = table.materialized.as_ref().and_then(|d| d.sync_base()).and_then(|b| state.tables.get(&b));
    let query = match (shape_of(table), base) {
        (Some(shape), Some(base)) => shape.sql(&format!("{}.{}", quote_ident(db), quote_ident(&base.name))),
        _ => table.materialized.as_ref().map(|d| d.query.clone()).unwrap_or_default(),
    };
    format!("CREATE MATERIALIZED VIEW {} AS {query}", quote_ident(&table.name))
}

/// BACKUP names `name` on its own (`ON (TABLE name)` or `ON (MATERIALIZED VIEW name)`): refused when it is
/// a synchronous materialized view, which is backed up with its base table (as StarRocks backs up a
/// rollup as an index of its table). `Ok` for anything else, which the caller handles.
pub(crate) fn refuse_backup_of_rollup(state: &MetaState, db: &tessera_storage::DatabaseDef, name: &str) -> Result<()> {
    let Some(table) = state.table_by_name(db.id, name) else { return Ok(()) };
    let Some(base) = table.materialized.as_ref().and_then(|m| m.sync_base()) else { return Ok(()) };
    let base = state.tables.get(&base).map(|b| b.name.clone()).unwrap_or_default();
    Err(EngineError::InvalidInput(format!(
        "{name} is a synchronous materialized view of table {}.{base}: it is backed up with its base table; back \
         up ON (TABLE {base}) instead",
        db.name
    )))
}

/// The rollups of the selected tables that a BACKUP adds to its selection (a synchronous view goes with
/// its base table, whole, whatever partitions of the base are selected), by id, without those already
/// in `selected`.
pub(crate) fn rollups_to_back_up(state: &MetaState, selected: &[Arc<TableDef>]) -> Vec<Arc<TableDef>> {
    let mut out = Vec::new();
    for table in selected {
        for r in rollups_of(state, table.id) {
            if !selected.iter().any(|s| s.id == r.id) && !out.iter().any(|o: &Arc<TableDef>| o.id == r.id) {
                out.push(r);
            }
        }
    }
    out
}

/// The rollups in a snapshot's `tables` of the snapshot table `base`.
pub(crate) fn snapshot_rollups_of<'a>(tables: impl Iterator<Item = &'a TableDef>, base: TableId) -> Vec<&'a TableDef> {
    tables.filter(|t| t.materialized.as_ref().and_then(|m| m.sync_base()) == Some(base)).collect()
}

/// RESTORE overwriting existing tables: each existing base target must have the same synchronous views
/// (by name) as its snapshot table (StarRocks compares the index names of the table's signature), and a
/// restored rollup may only land on a local table that is the rollup of the same name of that base.
/// `targets`: each restored snapshot table with its target name.
pub(crate) fn check_restore_overwrite(
    state: &MetaState,
    db: tessera_storage::DatabaseId,
    db_name: &str,
    targets: &[(&TableDef, &str)],
) -> Result<()> {
    for (snap, target) in targets {
        if snap.materialized.as_ref().is_some_and(|m| m.is_sync()) {
            continue;
        }
        let Some(local) = state.table_by_name(db, target) else { continue };
        let mut mine: Vec<String> = rollups_of(state, local.id).iter().map(|r| r.name.clone()).collect();
        let mut theirs: Vec<String> =
            snapshot_rollups_of(targets.iter().map(|(t, _)| *t), snap.id).iter().map(|r| r.name.clone()).collect();
        mine.sort();
        theirs.sort();
        if mine != theirs {
            return Err(EngineError::InvalidInput(format!(
                "Table {target} already exist but with different schema, errMsg: indexName is inconsistent \
                 (synchronous materialized views here: [{}]; in the snapshot: [{}])",
                mine.join(", "),
                theirs.join(", ")
            )));
        }
    }
    for (snap, target) in targets {
        let Some(snap_base) = snap.materialized.as_ref().and_then(|m| m.sync_base()) else { continue };
        let Some(local) = state.table_by_name(db, target) else { continue };
        let base_target = targets.iter().find(|(t, _)| t.id == snap_base).map(|(_, name)| *name);
        let local_base = local.materialized.as_ref().and_then(|m| m.sync_base()).and_then(|b| state.tables.get(&b));
        if base_target.is_none() || local_base.map(|b| b.name.as_str()) != base_target {
            return Err(EngineError::InvalidInput(format!(
                "Table {target} already exist in db: {db_name} (the snapshot's synchronous materialized view {target} \
                 of table {} would replace it)",
                base_target.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// A restored rollup's definition, linked to its restored base: `restored` maps each snapshot table id to
/// the id and name it was restored as. Not ready: it is rebuilt from the restored base after the job
/// commits (its rows in the snapshot are not relied on).
pub(crate) fn relink_restored(
    def: &mut TableDef,
    restored: &std::collections::HashMap<TableId, (TableId, String)>,
    db_name: &str,
) {
    let Some(mv) = def.materialized.as_mut() else { return };
    let MaterializedKind::Sync { base, ready } = &mut mv.kind else { return };
    *ready = false;
    if let Some((id, name)) = restored.get(base) {
        *base = *id;
        mv.base_tables = vec![BaseTableRef { database: db_name.to_string(), table: name.clone(), id: *id }];
    }
}
