//! The 22 TPC-H queries, and running them on Tessera.
//!
//! The texts are the specification's, with the validation parameters of its section 2.4 substituted
//! (Q11's FRACTION is the SF1 value 0.0001 at every scale factor) and "return the first N rows" written
//! as LIMIT N. One spelling differs from the printed text: Q1's `interval '90' day (3)` drops the
//! precision `(3)`, which none of the three engines parses. The files are read by the peer script too,
//! so all three engines run the same text.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use tessera::Session;

use crate::results::{self, Rows};

pub struct Query {
    pub sql: &'static str,
    /// Whether the ORDER BY fixes the order of every row of the validation answer (Q11 orders by a value
    /// that may tie), so that rows are compared in order; otherwise as multisets.
    pub ordered: bool,
}

macro_rules! query {
    ($n:literal, $ordered:literal) => {
        Query { sql: include_str!(concat!("queries/q", $n, ".sql")), ordered: $ordered }
    };
}

pub const QUERIES: [Query; 22] = [
    query!(1, true),
    query!(2, true),
    query!(3, true),
    query!(4, true),
    query!(5, true),
    query!(6, true),
    query!(7, true),
    query!(8, true),
    query!(9, true),
    query!(10, true),
    query!(11, false),
    query!(12, true),
    query!(13, true),
    query!(14, true),
    query!(15, true),
    query!(16, true),
    query!(17, true),
    query!(18, true),
    query!(19, true),
    query!(20, true),
    query!(21, true),
    query!(22, true),
];

/// The directory of the query files, for the peer script.
pub const QUERY_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/tpch/queries");

pub fn query(number: u32) -> &'static Query {
    &QUERIES[number as usize - 1]
}

/// One engine's outcome for one query: the timed runs' seconds and the rows of the last run, or why
/// it failed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub seconds: Vec<f64>,
    pub rows: Rows,
    pub error: Option<String>,
}

impl Outcome {
    pub fn median(&self) -> Option<f64> {
        if self.error.is_some() || self.seconds.is_empty() {
            return None;
        }
        let mut s = self.seconds.clone();
        s.sort_by(f64::total_cmp);
        Some(s[s.len() / 2])
    }
}

/// Runs `query` once to warm up, then `runs` timed times, on a session using database `tpch`. An error
/// or a panic is the outcome's error, never the end of the benchmark.
pub fn run_on_tessera(session: &mut Session, query: &Query, runs: u32) -> Outcome {
    let mut outcome = Outcome::default();
    for run in 0..=runs {
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| session.execute(query.sql)));
        let seconds = start.elapsed().as_secs_f64();
        let results = match result {
            Ok(Ok(results)) => results,
            Ok(Err(e)) => {
                outcome.error = Some(e.to_string());
                return outcome;
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                outcome.error = Some(format!("panic: {message}"));
                return outcome;
            }
        };
        if run == 0 {
            continue;
        }
        outcome.seconds.push(seconds);
        if run == runs {
            // The result of the last statement that returns rows (Q15 creates and drops a view around it).
            let batches = results.iter().rev().find(|r| r.has_rows()).map(|r| r.batches.as_slice()).unwrap_or(&[]);
            match results::from_batches(batches) {
                Ok(rows) => outcome.rows = rows,
                Err(e) => outcome.error = Some(format!("reading the result: {e}")),
            }
        }
    }
    outcome
}
