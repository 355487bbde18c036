//! StarRocks' `FILES(...)` table function: read Parquet or CSV files in place.
//!
//! ```sql
//! INSERT INTO t SELECT * FROM FILES("path" = "/data/part-*.parquet", "format" = "parquet");
//! SELECT * FROM FILES("path" = "/data/x.csv", "format" = "csv", "csv.column_separator" = ",", "csv.skip_header" = "1");
//! ```
//!
//! `path` is a file, a directory (every file in it), or a glob pattern; `file://` is accepted.
//! Properties are `"key" = "value"` pairs. In the MySQL dialect a double-quoted string is a string, so
//! each pair parses as an equality of two string literals, which DataFusion would fold to a boolean
//! before calling the function; [`rewrite_files_arguments`] therefore turns each pair into two plain
//! string arguments before planning.

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::common::ScalarValue;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::Expr;
use datafusion::sql::sqlparser::ast::{self as sp, VisitMut, VisitorMut};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

#[derive(Debug)]
pub(crate) struct FilesFunction;

const KNOWN_PROPERTIES: &[&str] = &["path", "format", "csv.column_separator", "csv.skip_header", "csv.enclose"];

fn plan_error(message: String) -> DataFusionError {
    DataFusionError::Plan(message)
}

impl TableFunctionImpl for FilesFunction {
    fn call(&self, exprs: &[Expr]) -> DfResult<Arc<dyn TableProvider>> {
        let properties = properties(exprs)?;
        let unknown: Vec<&String> = properties.keys().filter(|k| !KNOWN_PROPERTIES.contains(&k.as_str())).collect();
        if !unknown.is_empty() {
            return Err(plan_error(format!(
                "FILES(): unknown properties {unknown:?}; known properties are {KNOWN_PROPERTIES:?}"
            )));
        }
        let path =
            properties.get("path").ok_or_else(|| plan_error("FILES(): the \"path\" property is required".into()))?;
        let format = properties
            .get("format")
            .ok_or_else(|| plan_error("FILES(): the \"format\" property is required (parquet or csv)".into()))?
            .to_ascii_lowercase();
        let files = resolve_files(path)?;
        let first = files.first().ok_or_else(|| plan_error(format!("FILES(): no file matches path {path}")))?;
        let (file_format, schema): (Arc<dyn FileFormat>, _) = match format.as_str() {
            "parquet" => {
                let file = File::open(first)
                    .map_err(|e| plan_error(format!("FILES(): cannot open {}: {e}", first.display())))?;
                let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
                    plan_error(format!("FILES(): {} is not a readable Parquet file: {e}", first.display()))
                })?;
                // Strings are read as the file's own types (not as views), which are what the schema
                // says and what INSERT stores: no cast of every string on the way in.
                (Arc::new(ParquetFormat::default().with_force_view_types(false)), builder.schema().clone())
            }
            "csv" => {
                let separator = match properties.get("csv.column_separator").map(String::as_str) {
                    None => b',',
                    Some("\\t") => b'\t',
                    Some(s) if s.len() == 1 => s.as_bytes()[0],
                    Some(s) => {
                        return Err(plan_error(format!(
                            "FILES(): csv.column_separator must be one character, found {s:?}"
                        )))
                    }
                };
                let header = match properties.get("csv.skip_header").map(String::as_str) {
                    None | Some("0") => false,
                    Some("1") => true,
                    Some(s) => return Err(plan_error(format!("FILES(): csv.skip_header must be 0 or 1, found {s:?}"))),
                };
                let quote = match properties.get("csv.enclose").map(String::as_str) {
                    None => b'"',
                    Some(s) if s.len() == 1 => s.as_bytes()[0],
                    Some(s) => {
                        return Err(plan_error(format!("FILES(): csv.enclose must be one character, found {s:?}")))
                    }
                };
                let file = File::open(first)
                    .map_err(|e| plan_error(format!("FILES(): cannot open {}: {e}", first.display())))?;
                let (schema, _) = arrow::csv::reader::Format::default()
                    .with_header(header)
                    .with_delimiter(separator)
                    .with_quote(quote)
                    .infer_schema(file, Some(10_000))
                    .map_err(|e| plan_error(format!("FILES(): cannot read CSV {}: {e}", first.display())))?;
                let format = CsvFormat::default().with_has_header(header).with_delimiter(separator).with_quote(quote);
                (Arc::new(format), Arc::new(schema))
            }
            other => return Err(plan_error(format!("FILES(): unsupported format {other:?}; use parquet or csv"))),
        };
        let urls = files.iter().map(|f| ListingTableUrl::parse(f.to_string_lossy())).collect::<DfResult<Vec<_>>>()?;
        let options = ListingOptions::new(file_format).with_file_extension("");
        let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(schema);
        Ok(Arc::new(ListingTable::try_new(config)?))
    }
}

/// Reads the (key, value) string pairs that [`rewrite_files_arguments`] produced.
fn properties(exprs: &[Expr]) -> DfResult<BTreeMap<String, String>> {
    let text = |e: &Expr| match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
            _,
        ) => Some(s.clone()),
        _ => None,
    };
    let mut out = BTreeMap::new();
    for pair in exprs.chunks(2) {
        let (Some(k), Some(v)) = (pair.first().and_then(text), pair.get(1).and_then(text)) else {
            return Err(plan_error("FILES() takes \"key\" = \"value\" properties of quoted strings".into()));
        };
        if out.insert(k.clone(), v).is_some() {
            return Err(plan_error(format!("FILES(): property {k:?} is given twice")));
        }
    }
    Ok(out)
}

/// Rewrites every `FILES("k" = "v", ...)` (any case) in a statement into `files('k', 'v', ...)`.
pub(crate) fn rewrite_files_arguments<T: VisitMut>(node: &mut T) {
    struct Rewriter;
    impl VisitorMut for Rewriter {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut sp::TableFactor) -> ControlFlow<()> {
            if let sp::TableFactor::Table { name, args: Some(args), .. } = factor {
                if name.to_string().eq_ignore_ascii_case("files") {
                    // DataFusion looks table functions up by the name as written: one spelling.
                    *name = sp::ObjectName::from(vec![sp::Ident::new("files")]);
                    let mut rewritten = Vec::with_capacity(args.args.len() * 2);
                    for arg in &args.args {
                        match arg {
                            sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(sp::Expr::BinaryOp {
                                left,
                                op: sp::BinaryOperator::Eq,
                                right,
                            })) => {
                                rewritten.push(sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr((**left).clone())));
                                rewritten.push(sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr((**right).clone())));
                            }
                            // Left as is: the function reports it as malformed.
                            other => rewritten.push(other.clone()),
                        }
                    }
                    args.args = rewritten;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = node.visit(&mut Rewriter);
}

/// The files `path` names, sorted.
fn resolve_files(path: &str) -> DfResult<Vec<PathBuf>> {
    let path = path.strip_prefix("file://").unwrap_or(path);
    let p = Path::new(path);
    let mut out = Vec::new();
    if p.is_dir() {
        let entries =
            std::fs::read_dir(p).map_err(|e| plan_error(format!("FILES(): cannot list {}: {e}", p.display())))?;
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with(['.', '_']);
            if entry.path().is_file() && !hidden {
                out.push(entry.path());
            }
        }
    } else if p.is_file() {
        out.push(p.to_path_buf());
    } else {
        let matches = glob::glob(path).map_err(|e| plan_error(format!("FILES(): bad path pattern {path}: {e}")))?;
        out.extend(matches.flatten().filter(|m| m.is_file()));
        if out.is_empty() {
            return Err(plan_error(format!("FILES(): no file matches path {path}")));
        }
    }
    out.sort();
    Ok(out.into_iter().map(|f| std::fs::canonicalize(&f).unwrap_or(f)).collect())
}
