//! How the shell shows a result set: an aligned table (column names and types, long values cut,
//! numbers on the right), CSV, TSV, JSON lines, or one value a line — at most `max_rows` rows.
//! (`-c`/`-f` runs print with `output` instead, unchanged for scripts.)

use std::io::{self, Write};

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use tessera::StatementResult;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How result sets are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Csv,
    Tsv,
    Json,
    /// One `column: value` line per value, rows separated by a header line (MySQL's `\G`).
    Line,
}

impl Mode {
    pub fn parse(name: &str) -> Option<Mode> {
        match name.to_ascii_lowercase().as_str() {
            "table" | "box" => Some(Mode::Table),
            "csv" => Some(Mode::Csv),
            "tsv" | "tabs" => Some(Mode::Tsv),
            "json" | "jsonl" => Some(Mode::Json),
            "line" | "lines" | "vertical" => Some(Mode::Line),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Table => "table",
            Mode::Csv => "csv",
            Mode::Tsv => "tsv",
            Mode::Json => "json",
            Mode::Line => "line",
        }
    }
}

/// How much of a result is shown; `None` is no limit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_rows: Option<usize>,
    /// Display width a table cell is cut to.
    pub max_width: Option<usize>,
    /// The terminal's width: text columns of a wider table are narrowed to fit, when they can be.
    pub screen_width: Option<usize>,
}

impl Limits {
    pub const NONE: Limits = Limits { max_rows: None, max_width: None, screen_width: None };
}

/// Text columns are never narrowed below this to fit the screen.
const MIN_FIT_WIDTH: usize = 8;

/// Writes the rows of `result` (which must have a result set) within `limits`. A table that cannot
/// fit the screen, even with its text columns narrowed, is written one value a line instead (as
/// psql's `\x auto` does).
pub fn write_rows(out: &mut dyn Write, result: &StatementResult, mode: Mode, limits: Limits) -> io::Result<Written> {
    let total = result.num_rows();
    let shown = limits.max_rows.map_or(total, |max| total.min(max));
    let batches = first_rows(result, shown);
    let mut vertical = false;
    match mode {
        Mode::Table => {
            if !write_table(out, result, &batches, limits)? {
                vertical = true;
                write_lines(out, result, &batches)?;
            }
        }
        Mode::Line => write_lines(out, result, &batches)?,
        Mode::Csv => crate::output::write_delimited(out, &batches, b',')?,
        Mode::Tsv => crate::output::write_delimited(out, &batches, b'\t')?,
        Mode::Json => crate::output::write_json_lines(out, &batches)?,
    }
    Ok(Written { rows: shown, vertical })
}

/// What [`write_rows`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub rows: usize,
    /// A table too wide for the screen was written one value a line instead.
    pub vertical: bool,
}

fn to_io(e: arrow::error::ArrowError) -> io::Error {
    io::Error::other(e.to_string())
}

/// The first `n` rows, as at least one (possibly empty) batch so that headers are always written.
fn first_rows(result: &StatementResult, n: usize) -> Vec<RecordBatch> {
    let mut batches = Vec::new();
    let mut left = n;
    for batch in &result.batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        batches.push(batch.slice(0, take));
        left -= take;
    }
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(result.schema.clone()));
    }
    batches
}

/// Every value of `batches` as text, row by row (NULL spelled out).
fn cells(batches: &[RecordBatch]) -> io::Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref() as &dyn Array, &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(to_io)?;
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    Ok(rows)
}

/// A short SQL name for a column's type: `bigint`, `varchar`, `decimal(12,2)`, `datetime`.
pub fn type_label(data_type: &DataType) -> String {
    let label = match data_type {
        DataType::Boolean => "boolean",
        DataType::Int8 => "tinyint",
        DataType::Int16 => "smallint",
        DataType::Int32 => "int",
        DataType::Int64 => "bigint",
        DataType::UInt8 => "tinyint unsigned",
        DataType::UInt16 => "smallint unsigned",
        DataType::UInt32 => "int unsigned",
        DataType::UInt64 => "bigint unsigned",
        DataType::Float16 | DataType::Float32 => "float",
        DataType::Float64 => "double",
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => return format!("decimal({p},{s})"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => return format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "varchar",
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => "varbinary",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Timestamp(_, _) => "datetime",
        DataType::Null => "null",
        other => return other.to_string().to_lowercase(),
    };
    label.to_string()
}

/// A value made fit for one table cell: control characters shown as symbols, cut to `max_width`.
fn cell_text(value: &str, max_width: Option<usize>) -> String {
    let mut text = String::with_capacity(value.len());
    let mut width = 0;
    let limit = max_width.unwrap_or(usize::MAX).max(1);
    let total_width = value.chars().map(shown_char).map(|c| c.width().unwrap_or(0)).sum::<usize>();
    for c in value.chars().map(shown_char) {
        let w = c.width().unwrap_or(0);
        if total_width > limit && width + w > limit - 1 {
            text.push('…');
            return text;
        }
        text.push(c);
        width += w;
    }
    text
}

fn shown_char(c: char) -> char {
    match c {
        '\n' => '↵',
        '\t' => ' ',
        c if c.is_control() => '�',
        c => c,
    }
}

/// Writes an aligned table; false (and nothing written) when it cannot fit `limits.screen_width`.
fn write_table(
    out: &mut dyn Write,
    result: &StatementResult,
    batches: &[RecordBatch],
    limits: Limits,
) -> io::Result<bool> {
    let fields = result.schema.fields();
    let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
    let types: Vec<String> = fields.iter().map(|f| type_label(f.data_type())).collect();
    let right: Vec<bool> = fields.iter().map(|f| f.data_type().is_numeric()).collect();
    let values = cells(batches)?;
    // Each column as wide as its widest text, within max_width; then text columns narrowed, widest
    // first, until the table fits the screen.
    let mut widths: Vec<usize> =
        names.iter().zip(&types).map(|(n, t)| cell_text(n, limits.max_width).width().max(t.width())).collect();
    for row in &values {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell_text(value, limits.max_width).width());
        }
    }
    if let Some(screen) = limits.screen_width {
        let total = |widths: &[usize]| widths.iter().map(|w| w + 3).sum::<usize>() + 1;
        while total(&widths) > screen {
            let widest = (0..widths.len())
                .filter(|&i| !right[i] && widths[i] > MIN_FIT_WIDTH.max(types[i].width()))
                .max_by_key(|&i| widths[i]);
            match widest {
                Some(i) => widths[i] -= 1,
                None => return Ok(false),
            }
        }
    }
    let fit = |i: usize, text: &str| cell_text(text, Some(widths[i]));
    let names: Vec<String> = names.iter().enumerate().map(|(i, n)| fit(i, n)).collect();
    let rows: Vec<Vec<String>> =
        values.iter().map(|row| row.iter().enumerate().map(|(i, v)| fit(i, v)).collect()).collect();
    let border = {
        let mut line = String::from("+");
        for width in &widths {
            line.push_str(&"-".repeat(width + 2));
            line.push('+');
        }
        line
    };
    let line = |values: &[String], align_right: &dyn Fn(usize) -> bool| {
        let mut text = String::from("|");
        for (i, (value, width)) in values.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(width - value.width());
            if align_right(i) {
                text.push_str(&format!(" {pad}{value} |"));
            } else {
                text.push_str(&format!(" {value}{pad} |"));
            }
        }
        text
    };
    writeln!(out, "{border}")?;
    writeln!(out, "{}", line(&names, &|_| false))?;
    writeln!(out, "{}", line(&types, &|_| false))?;
    writeln!(out, "{border}")?;
    if !rows.is_empty() {
        for row in &rows {
            writeln!(out, "{}", line(row, &|i| right[i]))?;
        }
        writeln!(out, "{border}")?;
    }
    Ok(true)
}

fn write_lines(out: &mut dyn Write, result: &StatementResult, batches: &[RecordBatch]) -> io::Result<()> {
    let names: Vec<&str> = result.schema.fields().iter().map(|f| f.name().as_str()).collect();
    let name_width = names.iter().map(|n| n.width()).max().unwrap_or(0);
    for (i, row) in cells(batches)?.iter().enumerate() {
        writeln!(out, "{0} {1}. row {0}", "*".repeat(27), i + 1)?;
        for (name, value) in names.iter().zip(row) {
            let pad = " ".repeat(name_width - name.width());
            writeln!(out, "{pad}{name}: {value}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn result() -> StatementResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 200, 3])),
                Arc::new(StringArray::from(vec![Some("ann"), None, Some("a very long name\nwith a newline")])),
            ],
        )
        .unwrap();
        StatementResult { schema, batches: vec![batch], affected_rows: None, job: None, warnings: Vec::new() }
    }

    fn render(mode: Mode, limits: Limits) -> (String, Written) {
        let mut out = Vec::new();
        let written = write_rows(&mut out, &result(), mode, limits).unwrap();
        (String::from_utf8(out).unwrap(), written)
    }

    #[test]
    fn tables_have_names_types_aligned_numbers_and_cut_values() {
        let (text, shown) = render(Mode::Table, Limits { max_rows: Some(2), max_width: Some(10), screen_width: None });
        assert_eq!(shown, Written { rows: 2, vertical: false });
        assert_eq!(
            text,
            "+--------+---------+\n\
             | id     | name    |\n\
             | bigint | varchar |\n\
             +--------+---------+\n\
             |      1 | ann     |\n\
             |    200 | NULL    |\n\
             +--------+---------+\n"
        );
        let (text, _) = render(Mode::Table, Limits { max_rows: None, max_width: Some(10), screen_width: None });
        assert!(text.contains("| a very lo… |"), "{text}");
    }

    #[test]
    fn wide_tables_are_fitted_to_the_screen() {
        let (text, written) = render(Mode::Table, Limits { max_rows: None, max_width: None, screen_width: Some(22) });
        assert!(text.lines().all(|line| line.width() <= 22), "{text}");
        assert!(text.contains("| a very l… |"), "{text}");
        assert!(!written.vertical);
        // Too narrow even then: one value a line.
        let (text, written) =
            render(Mode::Table, Limits { max_rows: Some(1), max_width: None, screen_width: Some(12) });
        assert!(written.vertical);
        assert!(text.contains("  id: 1\nname: ann\n"), "{text}");
    }

    #[test]
    fn line_csv_and_json_modes() {
        let (text, _) = render(Mode::Line, Limits { max_rows: Some(1), max_width: None, screen_width: None });
        assert_eq!(text, format!("{0} 1. row {0}\n  id: 1\nname: ann\n", "*".repeat(27)));
        let (text, _) = render(Mode::Csv, Limits { max_rows: Some(1), max_width: None, screen_width: None });
        assert_eq!(text, "id,name\n1,ann\n");
        let (text, _) = render(Mode::Json, Limits { max_rows: Some(1), max_width: None, screen_width: None });
        assert_eq!(text, "{\"id\":1,\"name\":\"ann\"}\n");
    }

    #[test]
    fn type_labels_read_like_sql() {
        assert_eq!(type_label(&DataType::Decimal128(12, 2)), "decimal(12,2)");
        assert_eq!(type_label(&DataType::Utf8), "varchar");
        assert_eq!(type_label(&DataType::Int32), "int");
    }
}
