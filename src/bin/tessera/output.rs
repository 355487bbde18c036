//! How non-interactive runs (`-c`, `-f`, standard input) print result sets, per `--format`: aligned
//! tables, CSV, TSV or JSON lines, and nothing for statements without rows. Scripts parse this output,
//! so it stays as it is; the interactive shell shows results with `display`.

use std::io::Write;

use arrow::array::RecordBatch;
use tessera::StatementResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
}

/// Writes the rows of one result, if it has any.
pub fn print_result(out: &mut impl Write, result: &StatementResult, format: Format) -> std::io::Result<()> {
    if !result.has_rows() {
        return Ok(());
    }
    let batches: Vec<RecordBatch> = if result.batches.is_empty() {
        vec![RecordBatch::new_empty(result.schema.clone())]
    } else {
        result.batches.clone()
    };
    let to_io = |e: arrow::error::ArrowError| std::io::Error::other(e.to_string());
    match format {
        Format::Table => {
            let table = arrow::util::pretty::pretty_format_batches(&batches).map_err(to_io)?;
            writeln!(out, "{table}")?;
        }
        Format::Csv => write_delimited(out, &batches, b',')?,
        Format::Tsv => write_delimited(out, &batches, b'\t')?,
        Format::Json => write_json_lines(out, &batches)?,
    }
    Ok(())
}

/// Writes batches as CSV (or TSV) with a header line.
pub fn write_delimited(out: &mut (impl Write + ?Sized), batches: &[RecordBatch], delimiter: u8) -> std::io::Result<()> {
    let mut writer = arrow::csv::WriterBuilder::new().with_header(true).with_delimiter(delimiter).build(&mut *out);
    for batch in batches {
        writer.write(batch).map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    Ok(())
}

/// Writes batches as JSON, one object per row.
pub fn write_json_lines(out: &mut (impl Write + ?Sized), batches: &[RecordBatch]) -> std::io::Result<()> {
    let mut writer = arrow::json::LineDelimitedWriter::new(&mut *out);
    for batch in batches {
        writer.write(batch).map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    writer.finish().map_err(|e| std::io::Error::other(e.to_string()))
}
