//! Printing statement results as aligned tables, CSV, TSV or JSON lines.

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

/// Writes one result. `chatty` adds row counts and "Query OK" lines (interactive use).
pub fn print_result(
    out: &mut impl Write,
    result: &StatementResult,
    format: Format,
    chatty: bool,
) -> std::io::Result<()> {
    if !result.has_rows() {
        if chatty {
            match result.affected_rows {
                Some(n) => writeln!(out, "Query OK, {n} row{} affected", if n == 1 { "" } else { "s" })?,
                None => writeln!(out, "Query OK")?,
            }
        }
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
            if chatty {
                let n = result.num_rows();
                writeln!(out, "{n} row{} in set", if n == 1 { "" } else { "s" })?;
            }
        }
        Format::Csv | Format::Tsv => {
            let delimiter = if format == Format::Csv { b',' } else { b'\t' };
            let mut writer =
                arrow::csv::WriterBuilder::new().with_header(true).with_delimiter(delimiter).build(&mut *out);
            for batch in &batches {
                writer.write(batch).map_err(to_io)?;
            }
        }
        Format::Json => {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut *out);
            for batch in &batches {
                writer.write(batch).map_err(to_io)?;
            }
            writer.finish().map_err(to_io)?;
        }
    }
    Ok(())
}
