//! Command-line options of the TPC-H benchmark.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// TPC-H on Tessera, DuckDB and DataFusion side by side: queries, loading, BACKUP and RESTORE.
#[derive(Parser, Debug)]
#[command(name = "tpch")]
pub struct Options {
    /// TPC-H scale factor (1 is about 1 GB of raw data; 0.1 for a quick run).
    #[arg(long, default_value_t = 1.0)]
    pub sf: f64,
    /// Timed runs of each query, after one warm-up run; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Queries to run: numbers and ranges, e.g. `1,3,5-9`.
    #[arg(long, default_value = "1-22", value_parser = parse_query_list)]
    pub queries: QueryList,
    /// Parts to leave out, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<Part>,
    /// Where the generated data, the Python environment and the work directories live
    /// (default: $TESSERA_BENCH_CACHE, else ~/.cache/tessera-bench).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// The Python with `duckdb` and `datafusion` installed (default: $TESSERA_BENCH_PYTHON, else the
    /// cache's venv/bin/python, which `scripts/bench` prepares).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Keep Tessera's database in this directory, and reuse it (no loading) when it already holds the
    /// tables: for repeated query runs and profiling. The loading time is then not measured.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Print Tessera's EXPLAIN ANALYZE of each query (after one warm-up run) instead of timing them.
    #[arg(long)]
    pub explain: bool,
    /// Tessera's cache of decoded column data, in MiB (default: Tessera's default; 0 turns it off).
    #[arg(long)]
    pub scan_cache_mb: Option<usize>,
    /// A directory on another filesystem, for BACKUP and RESTORE through copies.
    #[arg(long, default_value = "/dev/shm")]
    pub copy_to: PathBuf,
    /// Passed by `cargo bench` to every benchmark binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// A part of the benchmark that `--skip` can leave out.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The 22 queries (loading still runs).
    Queries,
    /// DuckDB and DataFusion (Tessera alone, no ratios to them).
    Peers,
    /// BACKUP and RESTORE against cp -r and DuckDB's EXPORT / IMPORT DATABASE.
    Backup,
}

/// TPC-H query numbers, ascending, each once.
#[derive(Clone, Debug)]
pub struct QueryList(pub Vec<u32>);

fn parse_query_list(text: &str) -> Result<QueryList, String> {
    let mut numbers = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (from, to) = item.split_once('-').unwrap_or((item, item));
        let parse = |s: &str| s.trim().parse::<u32>().map_err(|_| format!("not a query number: {s:?}"));
        let (from, to) = (parse(from)?, parse(to)?);
        if from < 1 || to > 22 || from > to {
            return Err(format!("TPC-H queries are numbered 1 to 22: {item:?}"));
        }
        numbers.extend(from..=to);
    }
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() {
        return Err("no query selected".to_string());
    }
    Ok(QueryList(numbers))
}

impl Options {
    pub fn skips(&self, part: Part) -> bool {
        self.skip.contains(&part)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.cache
            .clone()
            .or_else(|| std::env::var_os("TESSERA_BENCH_CACHE").map(PathBuf::from))
            .unwrap_or_else(|| home().join(".cache/tessera-bench"))
    }

    pub fn python(&self) -> PathBuf {
        self.python
            .clone()
            .or_else(|| std::env::var_os("TESSERA_BENCH_PYTHON").map(PathBuf::from))
            .unwrap_or_else(|| self.cache_dir().join("venv/bin/python"))
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"))
}
