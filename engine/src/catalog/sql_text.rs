//! SQL text Tessera writes: names quoted as identifiers, the parts of `SHOW CREATE TABLE` (partitions,
//! distribution, properties, the whole statement), and parsed SQL printed back as text that parses to
//! the same statement (view queries and function bodies are stored as text). Used by SHOW, by BACKUP
//! manifests and by materialized views; nothing here reads the session.
//!
//! sqlparser prints a string literal with its quotes doubled but its backslashes as they are, while the
//! MySQL dialect reads backslash escapes (`'\\'` is one backslash, `'\n'` a newline): printing then
//! parsing again would lose one level of escaping and change the value. Backslashes are doubled here
//! before printing, so that text round-trips exactly.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast as sp;
use tessera_storage::{DefaultValue, Distribution, PartitionBound, PartitionKind, TableDef, Value};

struct EscapeBackslashes;

impl sp::VisitorMut for EscapeBackslashes {
    type Break = ();

    fn pre_visit_value(&mut self, value: &mut sp::ValueWithSpan) -> ControlFlow<()> {
        if let sp::Value::SingleQuotedString(s) | sp::Value::DoubleQuotedString(s) = &mut value.value {
            if s.contains('\\') {
                *s = s.replace('\\', "\\\\");
            }
        }
        ControlFlow::Continue(())
    }
}

/// The text of a query, for storing.
pub(crate) fn query_text(query: &sp::Query) -> String {
    let mut query = query.clone();
    let _ = sp::VisitMut::visit(&mut query, &mut EscapeBackslashes);
    query.to_string()
}

/// The text of an expression, for storing.
pub(crate) fn expr_text(expr: &sp::Expr) -> String {
    let mut expr = expr.clone();
    let _ = sp::VisitMut::visit(&mut expr, &mut EscapeBackslashes);
    expr.to_string()
}

pub(crate) fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

pub(crate) fn quote_string(s: &str) -> String {
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
pub(crate) fn list_values(table: &TableDef, values: &[Vec<Value>]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_and_quotes_round_trip() {
        let sql = r"SELECT 'C:\\temp\\new', 'it''s', 'a\tb' AS x";
        let tessera_sql::Statement::Query(query) = tessera_sql::parse_statement(sql).unwrap() else { panic!() };
        let text = query_text(&query);
        let tessera_sql::Statement::Query(again) = tessera_sql::parse_statement(&text).unwrap() else { panic!() };
        assert_eq!(query_text(&again), text);
        assert_eq!(again.to_string(), query.to_string(), "{text}");
    }
}
