//! The key of a table (DUPLICATE, PRIMARY, UNIQUE or AGGREGATE KEY) and the rules StarRocks ties to it.
//!
//! Rules checked here, before anything is written:
//! - key columns are the first columns of the table, in order, and are not FLOAT/DOUBLE;
//! - PRIMARY KEY columns are NOT NULL (made so when the column does not say; an explicit NULL is an
//!   error);
//! - in keyed tables (every model but DUPLICATE) partition and HASH distribution columns are key columns
//!   (a row's key then decides its tablet, so one tablet holds every version of a key) and RANDOM
//!   distribution is refused; with no DISTRIBUTED BY they are distributed by HASH of the key;
//! - AGGREGATE KEY value columns all have an aggregate type (SUM only on numbers) and key columns none;
//!   other models have no aggregate types.

use tessera_sql::{AggregateKind, ColumnSpec, KeyKind, KeySpec};
use tessera_storage::{AggregateFunction, ColumnDef, ColumnType, Distribution, KeyDesc, KeyModel, TableDef};

use crate::error::{EngineError, Result};

fn invalid(message: String) -> EngineError {
    EngineError::InvalidInput(message)
}

fn is_float(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Float | ColumnType::Double)
}

/// The storage form of an aggregate type as written.
pub(crate) fn aggregate_function(kind: AggregateKind) -> AggregateFunction {
    match kind {
        AggregateKind::Sum => AggregateFunction::Sum,
        AggregateKind::Min => AggregateFunction::Min,
        AggregateKind::Max => AggregateFunction::Max,
        AggregateKind::Replace => AggregateFunction::Replace,
        AggregateKind::ReplaceIfNotNull => AggregateFunction::ReplaceIfNotNull,
    }
}

/// The key of a new table. `columns` are the built columns, `specs` the columns as written (absent for
/// CREATE TABLE AS SELECT without a column list); PRIMARY KEY columns are made NOT NULL here. Without a
/// key clause: DUPLICATE KEY on the first (up to three) columns that can be keys.
pub(crate) fn key_desc(
    table: &str,
    columns: &mut [ColumnDef],
    specs: Option<&[ColumnSpec]>,
    key: Option<&KeySpec>,
) -> Result<KeyDesc> {
    let Some(key) = key else {
        let columns: Vec<String> =
            columns.iter().take(3).take_while(|c| !is_float(&c.column_type)).map(|c| c.name.clone()).collect();
        return Ok(KeyDesc { model: KeyModel::Duplicate, columns });
    };
    let model = match key.kind {
        KeyKind::Duplicate => KeyModel::Duplicate,
        KeyKind::Primary => KeyModel::Primary,
        KeyKind::Unique => KeyModel::Unique,
        KeyKind::Aggregate => KeyModel::Aggregate,
    };
    if key.columns.is_empty() {
        return Err(invalid(format!("table {table}: {model} KEY needs at least one column")));
    }
    for (i, name) in key.columns.iter().enumerate() {
        let Some(column) = columns.iter().find(|c| &c.name == name) else {
            return Err(invalid(format!("table {table}: key column {name} does not exist")));
        };
        if columns.get(i).map(|c| &c.name) != Some(name) {
            return Err(invalid(format!(
                "table {table}: key columns must be the first columns of the table, in order (key column {name} is not column {})",
                i + 1
            )));
        }
        if is_float(&column.column_type) {
            return Err(invalid(format!("table {table}: {} column {name} cannot be a key column", column.column_type)));
        }
    }
    if model == KeyModel::Primary {
        for column in columns.iter_mut().take(key.columns.len()) {
            let explicit = specs.and_then(|s| s.iter().find(|s| s.name == column.name)).and_then(|s| s.nullable);
            if explicit == Some(true) {
                return Err(invalid(format!(
                    "table {table}: primary key column {} cannot be NULL; declare it NOT NULL",
                    column.name
                )));
            }
            column.nullable = false;
        }
    }
    Ok(KeyDesc { model, columns: key.columns.clone() })
}

/// The distribution of a keyed table without DISTRIBUTED BY: HASH of its key, one bucket.
pub(crate) fn default_distribution(key: &KeyDesc) -> Option<Distribution> {
    key.model.is_keyed().then(|| Distribution::Hash { columns: key.columns.clone(), buckets: 1 })
}

/// Checks one column against its table's key model (`is_key`: it is a key column).
pub(crate) fn check_column(table: &str, model: KeyModel, column: &ColumnDef, is_key: bool) -> Result<()> {
    match (model, column.aggregate, is_key) {
        (KeyModel::Aggregate, Some(function), true) => {
            Err(invalid(format!("table {table}: key column {} cannot have aggregate type {function}", column.name)))
        }
        (KeyModel::Aggregate, None, false) => Err(invalid(format!(
            "table {table}: value column {} of an AGGREGATE KEY table needs an aggregate type (SUM, MIN, MAX, \
             REPLACE or REPLACE_IF_NOT_NULL)",
            column.name
        ))),
        (KeyModel::Aggregate, Some(AggregateFunction::Sum), false) if !is_number(&column.column_type) => {
            Err(invalid(format!(
                "table {table}: aggregate type SUM needs a numeric column, but {} is {}",
                column.name, column.column_type
            )))
        }
        (_, Some(function), _) if model != KeyModel::Aggregate => Err(invalid(format!(
            "table {table}: column {} has aggregate type {function}, which only AGGREGATE KEY tables allow",
            column.name
        ))),
        _ => Ok(()),
    }
}

fn is_number(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::TinyInt
            | ColumnType::SmallInt
            | ColumnType::Int
            | ColumnType::BigInt
            | ColumnType::LargeInt
            | ColumnType::Float
            | ColumnType::Double
            | ColumnType::Decimal { .. }
    )
}

/// Checks a whole definition against its key model (see the module documentation).
pub(crate) fn check_table(def: &TableDef) -> Result<()> {
    let model = def.key.model;
    for column in &def.columns {
        check_column(&def.name, model, column, def.key.columns.contains(&column.name))?;
    }
    if !model.is_keyed() {
        return Ok(());
    }
    for name in &def.partition_columns {
        if !def.key.columns.contains(name) {
            return Err(invalid(format!(
                "table {}: partition column {name} must be a key column of a {model} KEY table",
                def.name
            )));
        }
    }
    match &def.distribution {
        Distribution::Random { .. } => Err(invalid(format!(
            "table {}: {model} KEY tables must be distributed by HASH of key columns, not RANDOM",
            def.name
        ))),
        Distribution::Hash { columns, .. } => match columns.iter().find(|c| !def.key.columns.contains(c)) {
            Some(name) => Err(invalid(format!(
                "table {}: distribution column {name} must be a key column of a {model} KEY table",
                def.name
            ))),
            None => Ok(()),
        },
    }
}
