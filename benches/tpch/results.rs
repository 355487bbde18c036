//! Query results in a form the three engines can be compared in: rows of numbers, text and NULLs.
//!
//! Engines type the same expression differently (DuckDB's AVG of a DECIMAL is a DOUBLE, DataFusion's a
//! wider DECIMAL; CHAR may come back padded), so values are compared loosely: every number as an f64,
//! equal within 0.01 (results rounded to two decimals) or 1e-7 of their size for large sums; text with
//! trailing blanks trimmed; dates as ISO text.

use std::cmp::Ordering;

use arrow::array::{Array, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Number(f64),
    Text(String),
}

pub type Rows = Vec<Vec<Value>>;

/// The rows of Arrow record batches.
pub fn from_batches(batches: &[RecordBatch]) -> Result<Rows, String> {
    let mut rows = Vec::new();
    let options = FormatOptions::default();
    for batch in batches {
        let mut columns = Vec::new();
        for column in batch.columns() {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options).map_err(|e| e.to_string())?;
            let numeric = column.data_type().is_numeric();
            let values: Vec<Value> = (0..column.len())
                .map(|i| {
                    if column.is_null(i) {
                        return Value::Null;
                    }
                    let text = formatter.value(i).to_string();
                    match text.parse::<f64>() {
                        Ok(n) if numeric => Value::Number(n),
                        _ => Value::Text(text.trim_end().to_string()),
                    }
                })
                .collect();
            columns.push(values);
        }
        for r in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[r].clone()).collect());
        }
    }
    Ok(rows)
}

/// The rows the peer script sent: a JSON array of arrays of numbers, strings and nulls.
pub fn from_json(rows: &serde_json::Value) -> Result<Rows, String> {
    let rows = rows.as_array().ok_or("peer rows: not a JSON array")?;
    rows.iter()
        .map(|row| {
            let row = row.as_array().ok_or("peer row: not a JSON array")?;
            Ok(row
                .iter()
                .map(|v| match v {
                    serde_json::Value::Null => Value::Null,
                    serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
                    serde_json::Value::String(s) => Value::Text(s.trim_end().to_string()),
                    other => Value::Text(other.to_string()),
                })
                .collect())
        })
        .collect()
}

/// Equal within 0.01, or within 1e-7 of their size: the TPC-H answer of Q17 (348406.02) and the engines'
/// (348406.05) differ by the precision of an intermediate average. (The specification's own validation
/// tolerance is wider still: $100 on sums of money, 1% on ratios.)
fn numbers_equal(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01_f64.max(1e-7 * a.abs().max(b.abs()))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => numbers_equal(*x, *y),
        // A number one engine types as text (e.g. an EXTRACT result as a string) still compares.
        (Value::Number(x), Value::Text(t)) | (Value::Text(t), Value::Number(x)) => {
            t.parse::<f64>().is_ok_and(|y| numbers_equal(*x, y))
        }
        _ => a == b,
    }
}

/// The order rows are sorted in for an order-insensitive comparison: numbers by value, text by text,
/// NULL first.
fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::Number(_), Value::Text(_)) => Ordering::Less,
        (Value::Text(_), Value::Number(_)) => Ordering::Greater,
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
    }
}

fn sorted(rows: &Rows) -> Rows {
    let mut rows = rows.clone();
    rows.sort_by(|a, b| {
        a.iter().zip(b).map(|(x, y)| compare_values(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    });
    rows
}

fn show(row: &[Value]) -> String {
    let values: Vec<String> = row
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".to_string(),
            Value::Number(n) => format!("{n:.2}"),
            Value::Text(t) => t.clone(),
        })
        .collect();
    format!("({})", values.join(", "))
}

/// Whether `ours` has the rows of `expected` (in the same order when `ordered`), and if not, the first
/// difference.
pub fn compare(ours: &Rows, expected: &Rows, ordered: bool) -> Result<(), String> {
    if ours.len() != expected.len() {
        return Err(format!("{} rows, expected {}", ours.len(), expected.len()));
    }
    let (ours, expected) = if ordered { (ours.clone(), expected.clone()) } else { (sorted(ours), sorted(expected)) };
    for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
        if a.len() != b.len() {
            return Err(format!("{} columns, expected {}", a.len(), b.len()));
        }
        if !a.iter().zip(b).all(|(x, y)| values_equal(x, y)) {
            let which = if ordered { "row" } else { "sorted row" };
            return Err(format!("{which} {}: {} expected {}", i + 1, show(a), show(b)));
        }
    }
    Ok(())
}

/// The answer the TPC-H tools print for query `number` at scale factor 1 with the validation
/// parameters (shipped by `tpchgen`, whose data is dbgen's): numbers there are rounded to two decimals.
/// None for Q11, whose shipped answer cuts ps_partkey to its first four digits.
pub fn sf1_answer(number: u32) -> Option<Rows> {
    if number == 11 {
        return None;
    }
    let text = tpchgen::q_and_a::answers_sf1::answer(number as i32)?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.next()?; // the column names
    Some(
        lines
            .map(|line| {
                line.split('|')
                    .map(|field| match field.trim().parse::<f64>() {
                        Ok(n) => Value::Number(n),
                        Err(_) => Value::Text(field.trim_end().to_string()),
                    })
                    .collect()
            })
            .collect(),
    )
}
