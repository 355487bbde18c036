//! CREATE / DROP of databases and tables (including CREATE TABLE ... AS SELECT).

use tessera_sql::{CreateTable, ObjectName};
use tessera_storage::{
    ColumnDef, ColumnType, DatabaseDef, DatabaseId, PartitionBound, PartitionDef, PartitionId, PartitionKind, TableDef,
    TableId, TabletId, Transaction,
};

use super::key_model;
use super::resolve;
use super::table_builder as build;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 {
        return Err(EngineError::InvalidInput(format!("{kind} name '{name}' must have 1 to 256 characters")));
    }
    Ok(())
}

pub(crate) fn create_database(ctx: &Ctx, name: &str, if_not_exists: bool) -> Result<StatementResult> {
    check_name("database", name)?;
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    if shared.store.snapshot().database_by_name(name).is_some() {
        if if_not_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::AlreadyExists(format!("Can't create database '{name}'; database exists")));
    }
    let mut txn = Transaction::new();
    txn.put_database(DatabaseDef {
        format: tessera_storage::catalog::CATALOG_FORMAT_VERSION,
        id: DatabaseId(shared.store.allocate_id()?),
        name: name.to_string(),
        create_time_ms: now_ms(),
    });
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

pub(crate) fn drop_database(ctx: &Ctx, name: &str, if_exists: bool) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let Some(db) = state.database_by_name(name).cloned() else {
        if if_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::NotFound(format!("Can't drop database '{name}'; database doesn't exist")));
    };
    let tables = state.tables_in(db.id);
    let locks: Vec<_> = tables.iter().map(|t| shared.store.table_lock(t.id)).collect();
    let _guards: Vec<_> = locks.iter().map(|l| l.write()).collect();
    for table in &tables {
        shared.backups.check_not_restoring(table)?;
    }
    let mut txn = Transaction::new();
    let dropped: Vec<_> = shared.store.snapshot().tables_in(db.id).into_iter().cloned().collect();
    // Asynchronous views elsewhere that read these tables become inactive (locked first, see
    // `materialized::dependents`; the database's own tables are locked above).
    let dependent_locks: Vec<_> = crate::materialized::dependents(&shared.store.snapshot(), &dropped)
        .into_iter()
        .filter(|id| !tables.iter().any(|t| t.id == *id))
        .map(|id| shared.store.table_lock(id))
        .collect();
    let _dependents: Vec<_> = dependent_locks.iter().map(|l| l.write()).collect();
    for table in &dropped {
        txn.drop_table(table.id);
    }
    crate::materialized::on_drop_tables(&shared.store.snapshot(), &dropped, &mut txn);
    // The database's views and functions go with it.
    let objects = shared.objects.of(&state);
    for view in objects.views_in(db.id) {
        txn.delete_record(tessera_storage::logical_objects::VIEW_RECORD, view.id);
    }
    for (_, overloads) in objects.functions_in(db.id) {
        for function in overloads {
            txn.delete_record(tessera_storage::logical_objects::FUNCTION_RECORD, function.id);
        }
    }
    txn.drop_database(db.id);
    shared.store.commit(txn)?;
    Ok(StatementResult::ok())
}

pub(crate) fn create_table(ctx: &Ctx, create: CreateTable) -> Result<StatementResult> {
    check_name("table", &create.name.name)?;
    // CREATE TABLE ... AS SELECT runs its query before taking the catalog lock.
    let query_output = match &create.as_query {
        Some(query) => Some(crate::query::collect_query(ctx, query)?),
        None => None,
    };
    create_table_from(ctx, create, query_output, None)
}

/// Creates the table `create` describes, with the columns and rows of `query_output` when given (CREATE
/// TABLE AS SELECT, and materialized views, whose record also carries `materialized`).
pub(crate) fn create_table_from(
    ctx: &Ctx,
    create: CreateTable,
    query_output: Option<crate::query::QueryOutput>,
    materialized: Option<Box<tessera_storage::MaterializedViewDef>>,
) -> Result<StatementResult> {
    let db_name = ctx.resolve_database(create.name.database.as_deref())?;
    let table_name = create.name.name.clone();
    check_name("table", &table_name)?;
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    // A materialized view's query was planned before the DDL lock: its base tables must still exist,
    // or a later DROP of them could never make it inactive.
    if let Some(base) =
        materialized.as_ref().and_then(|mv| mv.base_tables.iter().find(|b| !state.tables.contains_key(&b.id)))
    {
        return Err(EngineError::Conflict(format!(
            "materialized view {db_name}.{table_name}: base table {}.{} was dropped while the view was being \
             created; create the view again",
            base.database, base.table
        )));
    }
    if state.table_by_name(db.id, &table_name).is_some() {
        if create.if_not_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::AlreadyExists(format!("Table '{table_name}' already exists")));
    }
    if shared.objects.of(&state).view(db.id, &table_name).is_some() {
        if create.if_not_exists {
            return Ok(StatementResult::ok());
        }
        return Err(EngineError::AlreadyExists(format!(
            "Can't create table '{}.{table_name}': view '{table_name}' already exists in database {}",
            db.name, db.name
        )));
    }

    let mut columns: Vec<ColumnDef> = match (&query_output, create.columns.is_empty()) {
        (Some(output), true) => output
            .schema
            .fields()
            .iter()
            .map(|f| {
                Ok(ColumnDef {
                    name: f.name().clone(),
                    column_type: ColumnType::from_arrow(f.data_type()).map_err(|e| {
                        EngineError::Unsupported(format!("column {} of table {table_name}: {e}", f.name()))
                    })?,
                    nullable: true,
                    default: None,
                    comment: None,
                    aggregate: None,
                })
            })
            .collect::<Result<_>>()?,
        (_, false) => create.columns.iter().map(|c| build::column_def(&table_name, c)).collect::<Result<_>>()?,
        (None, true) => {
            return Err(EngineError::InvalidInput(format!("table {table_name} must have at least one column")))
        }
    };
    if let Some(output) = &query_output {
        if output.schema.fields().len() != columns.len() {
            return Err(EngineError::InvalidInput(format!(
                "table {table_name} declares {} columns but its AS SELECT returns {}",
                columns.len(),
                output.schema.fields().len()
            )));
        }
    }
    build::check_unique_columns(&table_name, &columns)?;
    let specs = (!create.columns.is_empty()).then_some(create.columns.as_slice());
    let key = key_model::key_desc(&table_name, &mut columns, specs, create.key.as_ref())?;
    let distribution = match (&create.distribution, key_model::default_distribution(&key)) {
        (None, Some(default)) => default,
        (spec, _) => build::distribution(&table_name, &columns, spec.as_ref())?,
    };
    let properties = build::properties(&table_name, &create.properties)?;
    let store = &shared.store;
    let mut def = TableDef {
        format: tessera_storage::catalog::CATALOG_FORMAT_VERSION,
        id: TableId(store.allocate_id()?),
        database_id: db.id,
        name: table_name.clone(),
        columns,
        key,
        comment: create.comment.clone(),
        partition_kind: PartitionKind::Unpartitioned,
        partition_columns: Vec::new(),
        partitions: Vec::new(),
        partition_expr: None,
        distribution,
        properties,
        create_time_ms: now_ms(),
        state: tessera_storage::TableState::Normal,
        materialized,
    };
    match &create.partition_by {
        None => {
            let buckets = def.distribution.buckets();
            def.partitions.push(PartitionDef {
                id: PartitionId(store.allocate_id()?),
                name: table_name.clone(),
                bound: PartitionBound::All,
                tablets: (0..buckets).map(|_| store.allocate_id().map(TabletId)).collect::<Result<_, _>>()?,
            });
        }
        Some(partition_by) if partition_by.expression.is_some() => {
            let expression = partition_by.expression.as_ref().expect("matched by the guard");
            super::partition_expression::apply(&mut def, partition_by, expression)?;
        }
        Some(partition_by) => {
            def.partition_kind = match partition_by.kind {
                tessera_sql::PartitionKind::Range => PartitionKind::Range,
                tessera_sql::PartitionKind::List => PartitionKind::List,
            };
            def.partition_columns = build::partition_columns(&table_name, &def.columns, &partition_by.columns)?;
            if def.partition_kind == PartitionKind::List && partition_by.partitions.is_empty() {
                return Err(EngineError::InvalidInput(format!(
                    "table {table_name}: PARTITION BY LIST needs at least one partition"
                )));
            }
            let mut previous_upper = None;
            for spec in &partition_by.partitions {
                build::add_partition(&mut def, spec, previous_upper.clone(), &mut || Ok(store.allocate_id()?))?;
                if let Some(p) = def.partition(&spec.name) {
                    if let PartitionBound::Range { upper, .. } = &p.bound {
                        previous_upper = Some(upper.clone());
                    }
                }
            }
        }
    }

    key_model::check_table(&def)?;
    // Dynamic partitions exist from the start; partitions an AS SELECT's rows need are made with them.
    if super::dynamic_partition::config(&def)?.is_some() {
        let now = super::dynamic_partition::utc_moment(shared.clock.now_ms())?;
        if let Some(next) = super::dynamic_partition::updated(store, &def, now)? {
            def = next;
        }
    }
    let mut conformed = Vec::new();
    if let Some(output) = &query_output {
        let positions: Vec<Option<usize>> = (0..def.columns.len()).map(Some).collect();
        for batch in &output.batches {
            conformed.push(crate::write::conform_batch(&def, batch, &positions)?);
        }
        super::auto_partitions::add_missing_partitions(store, &mut def, &conformed)?;
    }
    let mut txn = Transaction::new();
    txn.put_table(def.clone());
    let mut rows = 0;
    if query_output.is_some() {
        rows = crate::write::write_rows(store, &def, &conformed, None, crate::write::Target::New, &mut txn)?.given;
    }
    store.commit(txn)?;
    if create.as_query.is_some() {
        return Ok(StatementResult::affected(rows));
    }
    Ok(StatementResult::ok())
}

pub(crate) fn drop_table(ctx: &Ctx, name: &ObjectName, if_exists: bool) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let _ddl = shared.ddl.lock();
    let state = shared.store.snapshot();
    let table = match resolve::table(ctx, &state, name) {
        Ok((_, table)) => table,
        Err(EngineError::NotFound(_))
            if if_exists && state.database_by_name(&ctx.resolve_database(name.database.as_deref())?).is_some() =>
        {
            return Ok(StatementResult::ok())
        }
        Err(e) => return Err(e),
    };
    let lock = shared.store.table_lock(table.id);
    let _exclusive = lock.write();
    shared.backups.check_not_restoring(&table)?;
    crate::materialized::commit_drop(&shared.store, table)?;
    Ok(StatementResult::ok())
}
