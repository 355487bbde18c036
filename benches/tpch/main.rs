//! TPC-H on Tessera, DuckDB and DataFusion, side by side, in one run.
//!
//! ```text
//! scripts/bench [--sf 1] [--runs 3] [--queries 1-22] [--skip queries,peers,backup] [--copy-to /dev/shm]
//! ```
//!
//! `scripts/bench` prepares the Python environment of the peers and runs this target with `cargo bench`.
//! In order:
//! 1. TPC-H data at the scale factor, generated as Parquet files by `tpchgen-arrow` (cached);
//! 2. loading: every table into a fresh Tessera database (StarRocks DDL, `INSERT ... SELECT * FROM
//!    FILES(...)`) and into a fresh DuckDB database file, timed;
//! 3. the 22 queries on Tessera, on DuckDB over its database file and on DataFusion over the Parquet
//!    files: one warm-up run, then the median of `--runs` timed runs; Tessera's rows are checked against
//!    DuckDB's (else DataFusion's); a failing or mismatching query is reported, not fatal;
//! 4. BACKUP and RESTORE against `cp -r` + sync and DuckDB's EXPORT / IMPORT DATABASE.
//!
//! Progress goes to stderr; the tables (Markdown) to stdout. The machine is shared and noisy: compare
//! ratios from one run, not absolute times across runs.

#[path = "../common/mod.rs"]
mod common;

mod backup_restore;
mod data;
mod options;
mod peers;
mod queries;
mod report;
mod results;
mod schema;

use std::collections::HashMap;

use clap::Parser;
use tessera::Database;

use options::{Options, Part};
use peers::Peers;
use queries::Outcome;
use report::{Check, Operation, QueryRow};

fn main() {
    let options = Options::parse();
    if let Err(e) = run(&options) {
        eprintln!("tpch: {e}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), String> {
    let sf = options.sf;
    let cache = options.cache_dir();
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let data = data::ensure(&cache, sf)?;
    let peers = if options.skips(Part::Peers) {
        None
    } else {
        let python = options.python();
        if !python.exists() {
            return Err(format!(
                "no Python for the peers at {} (scripts/bench prepares it; or --python, or --skip peers)",
                python.display()
            ));
        }
        Some(python)
    };

    // The work directory is on the cache's filesystem (the same-filesystem side of the backup
    // comparison) and is removed at the end, with the databases in it.
    let work = tempfile::Builder::new().prefix("run-").tempdir_in(&cache).map_err(|e| e.to_string())?;
    let db_dir = options.db.clone().unwrap_or_else(|| work.path().join("tessera"));
    let reuse = options.db.is_some() && db_dir.join("meta").exists();
    let mut db_options = tessera::Options::default();
    if let Some(mb) = options.scan_cache_mb {
        db_options.scan_cache_bytes = mb << 20;
    }
    let db = Database::open_with(&db_dir, db_options).map_err(|e| e.to_string())?;
    let mut session = db.session();
    let tessera_load = if reuse {
        eprintln!("Tessera: reusing the database in {}", db_dir.display());
        session.execute("USE tpch").map_err(|e| e.to_string())?;
        f64::NAN
    } else {
        eprintln!("Tessera: loading SF{sf} ...");
        schema::create_and_load(&mut session, &data, sf)?
    };
    let tessera_bytes = common::dir_bytes(&db_dir.join("data"));
    let peers = peers.map(|python| Peers { python, data: data.clone(), duckdb: work.path().join("tpch.duckdb") });
    let duckdb_load = peers.as_ref().map(|p| {
        eprintln!("DuckDB: loading SF{sf} ...");
        p.load()
    });

    if options.explain {
        for &n in &options.queries.0 {
            let sql = queries::query(n).sql;
            session.execute(sql).map_err(|e| e.to_string())?;
            // The last statement is the query (Q15 creates and drops a view around it).
            let statements: Vec<&str> = sql.split(';').map(str::trim).filter(|s| !s.is_empty()).collect();
            let query = statements.iter().rev().find(|s| s.to_ascii_lowercase().contains("select")).copied();
            let Some(query) = query else { continue };
            for statement in statements.iter().take_while(|s| **s != query) {
                session.execute(statement).map_err(|e| e.to_string())?;
            }
            let result = session.execute_one(&format!("EXPLAIN ANALYZE {query}")).map_err(|e| e.to_string())?;
            println!(
                "Q{n}:\n{}",
                arrow::util::pretty::pretty_format_batches(&result.batches).map_err(|e| e.to_string())?
            );
            for statement in statements.iter().skip_while(|s| **s != query).skip(1) {
                session.execute(statement).map_err(|e| e.to_string())?;
            }
        }
        return Ok(());
    }
    let machine = report::machine();
    if !options.skips(Part::Queries) {
        let rows = run_queries(options, &mut session, peers.as_ref());
        report::print_queries(
            &format!("TPC-H SF{sf}: median of {} warm runs (after one warm-up), seconds; {machine}", options.runs),
            &rows,
        );
    }

    let duckdb_load_seconds = duckdb_load.as_ref().and_then(|l| l.as_ref().ok()).map(|l| l.seconds);
    let mut operations = vec![Operation::new("load all tables into Tessera (FILES() from Parquet)", Ok(tessera_load))
        .against(None, duckdb_load_seconds)
        .bytes(tessera_bytes)];
    match duckdb_load {
        Some(Ok(l)) => operations.push(
            Operation::new("load all tables into DuckDB (CREATE TABLE AS from Parquet)", Ok(l.seconds))
                .against(None, Some(l.seconds))
                .bytes(l.db_bytes),
        ),
        Some(Err(e)) => operations.push(Operation::new("load all tables into DuckDB", Err(e))),
        None => {}
    }
    drop(session);
    if !options.skips(Part::Backup) {
        let other = tempfile::Builder::new()
            .prefix("tessera-bench-")
            .tempdir_in(&options.copy_to)
            .map_err(|e| format!("--copy-to {}: {e}", options.copy_to.display()))?;
        operations.extend(backup_restore::run(
            &db,
            &db_dir,
            work.path(),
            (other.path(), &options.copy_to),
            peers.as_ref(),
        ));
    }
    report::print_operations(&format!("Loading, BACKUP and RESTORE, TPC-H SF{sf}; {machine}"), &operations);
    Ok(())
}

fn run_queries(options: &Options, session: &mut tessera::Session, peers: Option<&Peers>) -> Vec<QueryRow> {
    let numbers = &options.queries.0;
    let mut tessera = HashMap::new();
    for &n in numbers {
        let outcome = queries::run_on_tessera(session, queries::query(n), options.runs);
        match (&outcome.error, outcome.median()) {
            (Some(e), _) => eprintln!("  Tessera Q{n}: ERROR {e}"),
            (None, Some(s)) => eprintln!("  Tessera Q{n}: {s:.3}s"),
            (None, None) => {}
        }
        tessera.insert(n, outcome);
    }
    let mut by_engine = match peers.map(|p| p.queries(numbers, options.runs)) {
        Some(Ok(answers)) => answers,
        Some(Err(e)) => {
            eprintln!("tpch: the peers failed, Tessera is reported alone: {e}");
            HashMap::new()
        }
        None => HashMap::new(),
    };
    numbers
        .iter()
        .map(|&n| {
            let tessera = tessera.remove(&n).unwrap_or_default();
            let mut peers = HashMap::new();
            for engine in peers::ENGINES {
                if let Some(outcome) = by_engine.get_mut(engine).and_then(|m| m.remove(&n)) {
                    peers.insert(engine.to_string(), outcome);
                }
            }
            let answer = if options.sf == 1.0 { results::sf1_answer(n) } else { None };
            let (check, peer_notes) = check(&tessera, &peers, answer.as_ref(), queries::query(n).ordered);
            QueryRow { number: n, tessera, peers, check, peer_notes }
        })
        .collect()
}

/// Tessera's rows against each peer's and, at SF1, against the TPC-H answer; and notes where a peer
/// differs from that answer.
fn check(
    tessera: &Outcome,
    peers: &HashMap<String, Outcome>,
    answer: Option<&results::Rows>,
    ordered: bool,
) -> (Check, Vec<String>) {
    let mut peer_notes = Vec::new();
    let mut references: Vec<(&'static str, &results::Rows)> = Vec::new();
    for engine in peers::ENGINES {
        let Some(peer) = peers.get(engine).filter(|p| p.error.is_none()) else { continue };
        if let Some(answer) = answer {
            if let Err(why) = results::compare(&peer.rows, answer, ordered) {
                peer_notes.push(format!("{engine} differs from the TPC-H answer: {why}"));
            }
        }
        references.push((engine, &peer.rows));
    }
    if let Some(answer) = answer {
        references.push(("TPC-H answer", answer));
    }
    if let Some(e) = &tessera.error {
        return (Check::Failed(e.clone()), peer_notes);
    }
    let compared =
        references.into_iter().map(|(name, rows)| (name, results::compare(&tessera.rows, rows, ordered))).collect();
    (Check::Compared(compared), peer_notes)
}
