//! SHOW TABLES / CREATE TABLE / PARTITIONS and DESC, with StarRocks' column names.

use tessera_sql::ObjectName;
use tessera_storage::{DefaultValue, Distribution, PartitionBound, PartitionKind, TableDef, Value};

use crate::catalog::resolve;
use crate::catalog::sql_text::{create_table_sql, list_values};
use crate::catalog::table_builder::show_tuple;
use crate::context::Ctx;
use crate::error::Result;
use crate::result::{string_table, StatementResult};

/// SHOW [FULL] TABLES: tables and views by name; FULL adds StarRocks' `Table_type` (`BASE TABLE` or
/// `VIEW`).
pub(crate) fn show_tables(ctx: &Ctx, database: Option<&str>, full: bool) -> Result<StatementResult> {
    let name = ctx.resolve_database(database)?;
    let state = ctx.shared.store.snapshot();
    let db = resolve::database(&state, &name)?;
    // `State` is NORMAL, or RESTORE while a restore job is replacing the table.
    // Asynchronous materialized views are listed as views (as StarRocks does); synchronous ones are
    // part of their base table and are not listed.
    let mut rows: Vec<(String, &str, String)> = state
        .tables_in(db.id)
        .iter()
        .filter(|t| !t.materialized.as_ref().is_some_and(|m| m.is_sync()))
        .map(|t| (t.name.clone(), if t.materialized.is_some() { "VIEW" } else { "BASE TABLE" }, t.state.to_string()))
        .collect();
    let objects = ctx.shared.objects.of(&state);
    rows.extend(objects.views_in(db.id).iter().map(|v| (v.name.clone(), "VIEW", "NORMAL".to_string())));
    rows.sort();
    let title = format!("Tables_in_{name}");
    if full {
        let rows = rows.into_iter().map(|(n, kind, state)| vec![n, kind.to_string(), state]).collect();
        return string_table(&[&title, "Table_type", "State"], rows);
    }
    string_table(&[&title, "State"], rows.into_iter().map(|(n, _, state)| vec![n, state]).collect())
}

pub(crate) fn describe(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    if let Some((db, view)) = crate::catalog::view::find_view(ctx, &state, name)? {
        return crate::catalog::view::describe_view(ctx, &state, &db, &view);
    }
    let (_, table) = resolve::relation(ctx, &state, name)?;
    let rows = table
        .columns
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.column_type.to_string(),
                if c.nullable { "YES" } else { "NO" }.to_string(),
                table.key.columns.contains(&c.name).to_string(),
                match &c.default {
                    None => "NULL".to_string(),
                    Some(DefaultValue::CurrentTimestamp) => "CURRENT_TIMESTAMP".to_string(),
                    Some(DefaultValue::Value(v)) => v.display(&c.column_type),
                },
                c.aggregate.map(|f| f.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    string_table(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}

pub(crate) fn show_create_table(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    if crate::catalog::view::find_view(ctx, &state, name)?.is_some() {
        // As StarRocks: SHOW CREATE TABLE on a view shows the view.
        return super::view::show_create_view(ctx, name);
    }
    let (_, table) = resolve::relation(ctx, &state, name)?;
    string_table(&["Table", "Create Table"], vec![vec![table.name.clone(), create_table_sql(&table)]])
}

/// Bytes as StarRocks shows data sizes: `0B`, `12.500KB`, `3.100MB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.3}{}", UNITS[unit])
    }
}

/// StarRocks renders a range as `[types: [INT]; keys: [10]; ..types: [INT]; keys: [20]; )`.
fn range_text(table: &TableDef, lower: &[Value], upper: &[Value]) -> String {
    let types: Vec<String> = table
        .partition_columns
        .iter()
        .map(|c| table.column(c).map(|(_, d)| d.column_type.to_string()).unwrap_or_default())
        .collect();
    format!(
        "[types: [{}]; keys: [{}]; ..types: [{}]; keys: [{}]; )",
        types.join(", "),
        show_tuple(table, lower),
        types.join(", "),
        show_tuple(table, upper)
    )
}

pub(crate) fn show_partitions(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let (_, table) = resolve::relation(ctx, &state, name)?;
    let distribution_key = match &table.distribution {
        Distribution::Hash { columns, .. } => columns.join(", "),
        Distribution::Random { .. } => "RANDOM".to_string(),
    };
    let replication = table.properties.get("replication_num").cloned().unwrap_or_else(|| "1".to_string());
    let mut rows = Vec::new();
    for p in &table.partitions {
        let versions: Vec<_> = p.tablets.iter().filter_map(|t| state.tablet(*t)).collect();
        let rows_count: u64 = versions.iter().map(|v| v.rows()).sum();
        let bytes: u64 = versions.iter().map(|v| v.bytes()).sum();
        let segments: usize = versions.iter().map(|v| v.segments.len()).sum();
        let visible = versions.iter().map(|v| v.version).max().unwrap_or(1);
        let values = match &p.bound {
            PartitionBound::All => String::new(),
            PartitionBound::Range { lower, upper } => range_text(&table, lower, upper),
            PartitionBound::List { values } => list_values(&table, values),
        };
        rows.push(vec![
            p.id.to_string(),
            p.name.clone(),
            visible.to_string(),
            table.state.to_string(),
            table.partition_columns.join(", "),
            values,
            distribution_key.clone(),
            p.tablets.len().to_string(),
            replication.clone(),
            human_bytes(bytes),
            rows_count.to_string(),
            segments.to_string(),
        ]);
    }
    let values_column = if table.partition_kind == PartitionKind::List { "List" } else { "Range" };
    string_table(
        &[
            "PartitionId",
            "PartitionName",
            "VisibleVersion",
            "State",
            "PartitionKey",
            values_column,
            "DistributionKey",
            "Buckets",
            "ReplicationNum",
            "DataSize",
            "RowCount",
            "SegmentCount",
        ],
        rows,
    )
}
