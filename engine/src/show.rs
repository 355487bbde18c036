//! SHOW DATABASES / TABLES / CREATE TABLE / PARTITIONS and DESC, with StarRocks' column names.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use tessera_sql::ObjectName;
use tessera_storage::{DefaultValue, Distribution, PartitionBound, PartitionKind, TableDef, Value};

use crate::catalog::resolve;
use crate::catalog::table_builder::show_tuple;
use crate::context::Ctx;
use crate::error::Result;
use crate::result::StatementResult;

/// A result set of string columns.
pub(crate) fn string_table(columns: &[&str], rows: Vec<Vec<String>>) -> Result<StatementResult> {
    nullable_table(columns, rows.into_iter().map(|r| r.into_iter().map(Some).collect()).collect())
}

/// A result set of string columns where `None` is NULL.
pub(crate) fn nullable_table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Result<StatementResult> {
    let schema =
        Arc::new(Schema::new(columns.iter().map(|c| Field::new(*c, DataType::Utf8, true)).collect::<Vec<_>>()));
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|i| {
            Arc::new(StringArray::from(rows.iter().map(|r| r.get(i).cloned().flatten()).collect::<Vec<_>>()))
                as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(StatementResult::rows(schema, vec![batch]))
}

/// A `LIKE 'pattern'` of a SHOW statement (`%` and `_` wildcards, case-insensitive as in MySQL).
pub(crate) struct LikePattern(arrow::array::Scalar<StringArray>);

impl LikePattern {
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let text = StringArray::from(vec![text]);
        arrow::compute::kernels::comparison::ilike(&text, &self.0).is_ok_and(|m| m.value(0))
    }
}

pub(crate) fn like_pattern(pattern: &str) -> Result<LikePattern> {
    Ok(LikePattern(StringArray::new_scalar(pattern)))
}

pub(crate) fn show_databases(ctx: &Ctx) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    let mut names: Vec<String> = state.databases.values().map(|d| d.name.clone()).collect();
    names.sort();
    string_table(&["Database"], names.into_iter().map(|n| vec![n]).collect())
}

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

pub(crate) fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn quote_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn idents(names: &[String]) -> String {
    names.iter().map(|n| quote_ident(n)).collect::<Vec<_>>().join(", ")
}

/// A partition tuple as SQL: `("2024-01-01", "10")`, `(MAXVALUE)`.
fn sql_tuple(table: &TableDef, values: &[Value]) -> String {
    let items: Vec<String> = values
        .iter()
        .zip(&table.partition_columns)
        .map(|(v, c)| match v {
            Value::MaxValue => "MAXVALUE".to_string(),
            // Only automatic (expression) partitions hold NULL.
            Value::Null => "NULL".to_string(),
            _ => match table.column(c) {
                Some((_, def)) => quote_string(&v.display(&def.column_type)),
                None => quote_string(&format!("{v:?}")),
            },
        })
        .collect();
    format!("({})", items.join(", "))
}

/// LIST partition values as SQL: `("a", "b")` for one column, `(("1", "x"), ("2", "y"))` for several.
fn list_values(table: &TableDef, values: &[Vec<Value>]) -> String {
    let items: Vec<String> = if table.partition_columns.len() == 1 {
        values.iter().map(|t| sql_tuple(table, t).trim_start_matches('(').trim_end_matches(')').to_string()).collect()
    } else {
        values.iter().map(|t| sql_tuple(table, t)).collect()
    };
    format!("({})", items.join(", "))
}

/// The `PARTITION BY ...` clause of `table` (without a trailing newline), if it is partitioned.
pub(crate) fn partition_sql(table: &TableDef) -> Option<String> {
    let kind = match table.partition_kind {
        PartitionKind::Unpartitioned => None,
        PartitionKind::Range => Some("RANGE"),
        PartitionKind::List => Some("LIST"),
    };
    if let Some(expr) = &table.partition_expr {
        let sql = crate::catalog::partition_expression::expression_sql(expr, &table.partition_columns);
        return Some(format!("PARTITION BY {sql}"));
    }
    let kind = kind?;
    let parts: Vec<String> = table
        .partitions
        .iter()
        .map(|p| {
            let values = match &p.bound {
                PartitionBound::Range { lower, upper } if lower.iter().all(|v| matches!(v, Value::MinValue)) => {
                    format!("VALUES LESS THAN {}", sql_tuple(table, upper))
                }
                PartitionBound::Range { lower, upper } => {
                    format!("VALUES [{}, {})", sql_tuple(table, lower), sql_tuple(table, upper))
                }
                PartitionBound::List { values } => format!("VALUES IN {}", list_values(table, values)),
                PartitionBound::All => String::new(),
            };
            format!("PARTITION {} {values}", quote_ident(&p.name))
        })
        .collect();
    Some(format!("PARTITION BY {kind}({})\n({})", idents(&table.partition_columns), parts.join(",\n")))
}

/// The `DISTRIBUTED BY ...` clause of `table`.
pub(crate) fn distribution_sql(table: &TableDef) -> String {
    match &table.distribution {
        Distribution::Hash { columns, buckets } => {
            format!("DISTRIBUTED BY HASH({}) BUCKETS {buckets}", idents(columns))
        }
        Distribution::Random { buckets } => format!("DISTRIBUTED BY RANDOM BUCKETS {buckets}"),
    }
}

/// The `PROPERTIES (...)` clause of `table`, if it has properties.
pub(crate) fn properties_sql(table: &TableDef) -> Option<String> {
    if table.properties.is_empty() {
        return None;
    }
    let props: Vec<String> =
        table.properties.iter().map(|(k, v)| format!("{} = {}", quote_string(k), quote_string(v))).collect();
    Some(format!("PROPERTIES (\n{}\n)", props.join(",\n")))
}

/// `CREATE TABLE` text that re-creates `table` (without its rows).
pub(crate) fn create_table_sql(table: &TableDef) -> String {
    let mut out = format!("CREATE TABLE {} (\n", quote_ident(&table.name));
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let aggregate = c.aggregate.map(|f| format!(" {f}")).unwrap_or_default();
            let mut line = format!(
                "  {} {}{aggregate} {}",
                quote_ident(&c.name),
                c.column_type,
                if c.nullable { "NULL" } else { "NOT NULL" }
            );
            match &c.default {
                None => {}
                Some(DefaultValue::CurrentTimestamp) => line.push_str(" DEFAULT CURRENT_TIMESTAMP"),
                Some(DefaultValue::Value(Value::Null)) => line.push_str(" DEFAULT NULL"),
                Some(DefaultValue::Value(v)) => {
                    line.push_str(&format!(" DEFAULT {}", quote_string(&v.display(&c.column_type))))
                }
            }
            if let Some(comment) = &c.comment {
                line.push_str(&format!(" COMMENT {}", quote_string(comment)));
            }
            line
        })
        .collect();
    out.push_str(&columns.join(",\n"));
    out.push_str("\n) ENGINE=OLAP\n");
    out.push_str(&format!("{} KEY({})\n", table.key.model, idents(&table.key.columns)));
    if let Some(comment) = &table.comment {
        out.push_str(&format!("COMMENT {}\n", quote_string(comment)));
    }
    if let Some(partition) = partition_sql(table) {
        out.push_str(&partition);
        out.push('\n');
    }
    out.push_str(&distribution_sql(table));
    if let Some(properties) = properties_sql(table) {
        out.push('\n');
        out.push_str(&properties);
    }
    out.push(';');
    out
}

pub(crate) fn show_create_table(ctx: &Ctx, name: &ObjectName) -> Result<StatementResult> {
    let state = ctx.shared.store.snapshot();
    if crate::catalog::view::find_view(ctx, &state, name)?.is_some() {
        // As StarRocks: SHOW CREATE TABLE on a view shows the view.
        return crate::catalog::view::show_create_view(ctx, name);
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
