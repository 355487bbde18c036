//! CREATE / DROP of databases and tables (including CREATE TABLE ... AS SELECT).

use tessera_sql::CreateTable;
use tessera_storage::{
    ColumnDef, ColumnType, PartitionBound, PartitionDef, PartitionId, PartitionKind, TableDef, TableId, TabletId,
    Transaction,
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

pub(crate) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 {
        return Err(EngineError::InvalidInput(format!("{kind} name '{name}' must have 1 to 256 characters")));
    }
    Ok(())
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
