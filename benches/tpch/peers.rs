//! DuckDB and DataFusion, run by `peers.py` in the Python environment `scripts/bench` prepares; each
//! call is one process whose JSON answer is parsed here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::queries::{Outcome, QUERY_DIR};
use crate::results;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/tpch/peers.py");

pub const ENGINES: [&str; 2] = ["duckdb", "datafusion"];

pub struct Peers {
    pub python: PathBuf,
    /// The Parquet files (one directory per table).
    pub data: PathBuf,
    /// DuckDB's database file.
    pub duckdb: PathBuf,
}

#[derive(Deserialize)]
pub struct Load {
    pub seconds: f64,
    pub db_bytes: u64,
}

#[derive(Deserialize)]
pub struct ExportImport {
    pub export_seconds: f64,
    pub export_bytes: u64,
    pub import_seconds: f64,
    pub import_bytes: u64,
}

#[derive(Deserialize)]
struct QueryJson {
    seconds: Vec<f64>,
    rows: Option<serde_json::Value>,
    error: Option<String>,
}

impl Peers {
    fn call<T: DeserializeOwned>(&self, args: &[&str]) -> Result<T, String> {
        let output = Command::new(&self.python)
            .arg(SCRIPT)
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("running {} {SCRIPT}: {e}", self.python.display()))?;
        if !output.status.success() {
            return Err(format!("peers.py {} failed ({})", args.first().unwrap_or(&""), output.status));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| format!("peers.py answer: {e}"))
    }

    fn path(p: &Path) -> &str {
        p.to_str().expect("the benchmark's paths are UTF-8")
    }

    /// Loads every table into a new DuckDB database file.
    pub fn load(&self) -> Result<Load, String> {
        self.call(&["load", "--data", Self::path(&self.data), "--db", Self::path(&self.duckdb)])
    }

    /// Runs the queries on both engines: for each engine, the outcome of each query number.
    pub fn queries(&self, numbers: &[u32], runs: u32) -> Result<HashMap<String, HashMap<u32, Outcome>>, String> {
        let only: Vec<String> = numbers.iter().map(u32::to_string).collect();
        let answer: HashMap<String, HashMap<String, QueryJson>> = self.call(&[
            "query",
            "--data",
            Self::path(&self.data),
            "--db",
            Self::path(&self.duckdb),
            "--queries",
            QUERY_DIR,
            "--only",
            &only.join(","),
            "--runs",
            &runs.to_string(),
        ])?;
        let mut engines = HashMap::new();
        for (engine, queries) in answer {
            let mut outcomes = HashMap::new();
            for (number, q) in queries {
                let number: u32 = number.parse().map_err(|_| format!("peers.py: query {number:?}"))?;
                let mut outcome = Outcome { seconds: q.seconds, rows: Vec::new(), error: q.error };
                if let Some(rows) = q.rows.filter(|_| outcome.error.is_none()) {
                    match results::from_json(&rows) {
                        Ok(rows) => outcome.rows = rows,
                        Err(e) => outcome.error = Some(e),
                    }
                }
                outcomes.insert(number, outcome);
            }
            engines.insert(engine, outcomes);
        }
        Ok(engines)
    }

    /// DuckDB's EXPORT DATABASE (Parquet) of the loaded database into `work`, and IMPORT DATABASE of it
    /// into a new database file there.
    pub fn export_import(&self, work: &Path) -> Result<ExportImport, String> {
        self.call(&["export-import", "--db", Self::path(&self.duckdb), "--work", Self::path(work)])
    }
}
