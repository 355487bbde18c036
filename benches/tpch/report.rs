//! The tables the benchmark prints (Markdown, so that a run can be pasted into the README).

use std::collections::HashMap;

use crate::queries::Outcome;

/// One query on the three engines, and whether Tessera's rows match the peers'.
pub struct QueryRow {
    pub number: u32,
    pub tessera: Outcome,
    /// By engine name; empty when the peers were skipped.
    pub peers: HashMap<String, Outcome>,
    pub check: Check,
    /// Where a peer's rows differ from the TPC-H answer (a problem of the harness or of the peer).
    pub peer_notes: Vec<String>,
}

pub enum Check {
    /// Tessera failed: the error.
    Failed(String),
    /// Tessera's rows compared with each reference (a peer engine, or the TPC-H answer at SF1).
    Compared(Vec<(&'static str, Result<(), String>)>),
}

/// One timed operation of the loading / BACKUP / RESTORE table.
pub struct Operation {
    pub name: String,
    pub seconds: Result<f64, String>,
    /// Ratio to the matching `cp -r` + sync.
    pub vs_copy: Option<f64>,
    /// Ratio to the matching DuckDB operation.
    pub vs_duckdb: Option<f64>,
    pub bytes: Option<u64>,
}

impl Operation {
    pub fn new(name: impl Into<String>, seconds: Result<f64, String>) -> Operation {
        Operation { name: name.into(), seconds, vs_copy: None, vs_duckdb: None, bytes: None }
    }

    pub fn bytes(mut self, bytes: u64) -> Operation {
        self.bytes = Some(bytes);
        self
    }

    /// Sets the ratios of this operation's time to a `cp -r` and to a DuckDB operation, where known.
    pub fn against(mut self, copy: Option<f64>, duckdb: Option<f64>) -> Operation {
        let ratio = |base: Option<f64>| match (&self.seconds, base) {
            (Ok(s), Some(b)) if b > 0.0 => Some(s / b),
            _ => None,
        };
        self.vs_copy = ratio(copy);
        self.vs_duckdb = ratio(duckdb);
        self
    }
}

fn seconds(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".to_string())
}

fn ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".to_string())
}

fn geometric_mean(ratios: &[f64]) -> Option<f64> {
    (!ratios.is_empty()).then(|| (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp())
}

/// The machine and the date, for the heading of a run.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|rest| rest.split_once(':')).map(|(_, m)| m.trim()))
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:").and_then(|k| k.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / (1024.0 * 1024.0))
        .unwrap_or(0.0);
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cores} cores ({model}), {memory_gib:.0} GiB memory, {date}")
}

pub fn print_queries(heading: &str, rows: &[QueryRow]) {
    println!();
    println!("{heading}");
    println!();
    println!("| query | Tessera s | DuckDB s | DataFusion s | Tessera/DuckDB | Tessera/DataFusion | rows | check |");
    println!("|---|--:|--:|--:|--:|--:|--:|---|");
    let mut vs = [Vec::new(), Vec::new()];
    let mut notes = Vec::new();
    for row in rows {
        let ours = row.tessera.median();
        let peer = |name: &str| row.peers.get(name).and_then(Outcome::median);
        let (duckdb, datafusion) = (peer("duckdb"), peer("datafusion"));
        let ratios = [duckdb, datafusion].map(|p| match (ours, p) {
            (Some(o), Some(p)) if p > 0.0 => Some(o / p),
            _ => None,
        });
        let (check, matched) = match &row.check {
            Check::Failed(why) => {
                notes.push(format!("Q{}: Tessera: {why}", row.number));
                ("**FAILED**".to_string(), false)
            }
            Check::Compared(comparisons) if comparisons.is_empty() => ("unchecked".to_string(), true),
            Check::Compared(comparisons) => {
                let mut differs = Vec::new();
                for (reference, result) in comparisons {
                    if let Err(why) = result {
                        notes.push(format!("Q{}: Tessera's result differs from {reference}: {why}", row.number));
                        differs.push(*reference);
                    }
                }
                let references: Vec<&str> = comparisons.iter().map(|(r, _)| *r).collect();
                if differs.is_empty() {
                    (format!("ok (= {})", references.join(", ")), true)
                } else {
                    (format!("**MISMATCH** ({})", differs.join(", ")), false)
                }
            }
        };
        if matched {
            for (all, r) in vs.iter_mut().zip(ratios) {
                all.extend(r);
            }
        }
        for (name, outcome) in &row.peers {
            if let Some(e) = &outcome.error {
                notes.push(format!("Q{}: {name}: {e}", row.number));
            }
        }
        notes.extend(row.peer_notes.iter().map(|n| format!("Q{}: {n}", row.number)));
        let rows_shown = if row.tessera.error.is_some() { "-".to_string() } else { row.tessera.rows.len().to_string() };
        println!(
            "| Q{} | {} | {} | {} | {} | {} | {rows_shown} | {check} |",
            row.number,
            ours.map(|s| format!("{s:.3}")).unwrap_or_else(|| "FAILED".to_string()),
            seconds(duckdb),
            seconds(datafusion),
            ratio(ratios[0]),
            ratio(ratios[1]),
        );
    }
    let totals = |f: &dyn Fn(&QueryRow) -> Option<f64>| -> Option<f64> {
        rows.iter().map(f).collect::<Option<Vec<f64>>>().map(|v| v.iter().sum())
    };
    let sum_tessera = totals(&|r| r.tessera.median());
    let sum_duckdb = totals(&|r| r.peers.get("duckdb").and_then(Outcome::median));
    let sum_datafusion = totals(&|r| r.peers.get("datafusion").and_then(Outcome::median));
    println!(
        "| total | {} | {} | {} | | | | |",
        sum_tessera.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".to_string()),
        seconds(sum_duckdb),
        seconds(sum_datafusion)
    );
    let [g_duckdb, g_datafusion] = [&vs[0], &vs[1]].map(|v| geometric_mean(v));
    println!(
        "| geometric mean of ratios | | | | {} | {} | | over {} / {} matching queries |",
        ratio(g_duckdb),
        ratio(g_datafusion),
        vs[0].len(),
        vs[1].len()
    );
    if !notes.is_empty() {
        println!();
        for note in notes {
            println!("- {note}");
        }
    }
}

pub fn print_operations(heading: &str, operations: &[Operation]) {
    println!();
    println!("{heading}");
    println!();
    println!("| operation | seconds | vs cp -r + sync | vs DuckDB | bytes written |");
    println!("|---|--:|--:|--:|--:|");
    let mut notes = Vec::new();
    for op in operations {
        let s = match &op.seconds {
            Ok(s) => format!("{s:.3}"),
            Err(e) => {
                notes.push(format!("{}: {e}", op.name));
                "**FAILED**".to_string()
            }
        };
        let bytes = op.bytes.map(|b| b.to_string()).unwrap_or_default();
        println!("| {} | {s} | {} | {} | {bytes} |", op.name, ratio(op.vs_copy), ratio(op.vs_duckdb));
    }
    if !notes.is_empty() {
        println!();
        for note in notes {
            println!("- {note}");
        }
    }
}
