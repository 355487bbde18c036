//! Upsert throughput into a PRIMARY KEY table, and the cost of scanning a table with many deleted rows
//! before and after compaction.
//!
//! ```text
//! cargo bench --profile dev --bench upsert -- [--rows 1000000]
//! ```
//!
//! Times, in one run (rows per second, and the ratio to appending the same rows to a DUPLICATE KEY
//! table, which does no key work):
//! - loading `--rows` new keys in one batch, and upserting `--rows` existing keys in one batch;
//! - upserts in batches of 1,000 rows and of 1 row (Rust append API), and single-row SQL INSERTs;
//! - then deletes 90% of the rows and times a full scan and a filtered aggregate before and after
//!   compaction merges the deleted rows away.
//!
//! The machine is shared and noisy: compare ratios from one run. `--profile dev` reuses the test build
//! (dependencies at opt-level 1, Tessera's own code at opt-level 0), so absolute rates are pessimistic.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tessera::Database;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn batch(ids: &[i64], version: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("v", DataType::Int64, true),
        Field::new("s", DataType::Utf8, true),
    ]));
    let v: Int64Array = ids.iter().map(|i| Some(i * 10 + version)).collect();
    let s: StringArray = ids.iter().map(|i| Some(format!("row-{i}-{version}"))).collect();
    RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(ids.to_vec())), Arc::new(v), Arc::new(s)]).unwrap()
}

fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

struct Report {
    lines: Vec<(String, u64, f64, Option<f64>)>,
}

impl Report {
    fn add(&mut self, what: &str, rows: u64, secs: f64, baseline: Option<f64>) {
        eprintln!("  {what}: {rows} rows in {secs:.3}s");
        self.lines.push((what.to_string(), rows, secs, baseline.map(|b| secs / b)));
    }
}

fn main() {
    let rows: usize = arg("--rows").and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    // Compaction runs when the benchmark asks for it, so "before" really is before.
    let options = tessera::Options {
        storage: tessera::StoreOptions { compaction: false, ..Default::default() },
        ..Default::default()
    };
    let db = Database::open_temporary_with(options).expect("database");
    db.session()
        .execute(
            "CREATE DATABASE b; USE b;
             CREATE TABLE pk (id BIGINT NOT NULL, v BIGINT, s STRING) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4;
             CREATE TABLE dup (id BIGINT NOT NULL, v BIGINT, s STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4;",
        )
        .expect("tables");
    let mut report = Report { lines: Vec::new() };
    let ids: Vec<i64> = (0..rows as i64).collect();
    let first = batch(&ids, 0);

    eprintln!("loading {rows} rows");
    let dup = seconds(|| {
        db.append("b", "dup", std::slice::from_ref(&first)).unwrap();
    });
    report.add("DUPLICATE KEY append, one batch", rows as u64, dup, None);
    let load = seconds(|| {
        db.append("b", "pk", std::slice::from_ref(&first)).unwrap();
    });
    report.add("PRIMARY KEY load of new keys, one batch", rows as u64, load, Some(dup));
    let again = batch(&ids, 1);
    let upsert = seconds(|| {
        db.append("b", "pk", &[again]).unwrap();
    });
    report.add("PRIMARY KEY upsert of existing keys, one batch", rows as u64, upsert, Some(dup));

    let mut rng = StdRng::seed_from_u64(7);
    let thousand_batches = 20;
    let batches: Vec<RecordBatch> = (0..thousand_batches)
        .map(|i| {
            let ids: Vec<i64> = (0..1000).map(|_| rng.random_range(0..rows as i64 * 2)).collect();
            batch(&ids, 2 + i)
        })
        .collect();
    let dup_small = seconds(|| {
        for b in &batches {
            db.append("b", "dup", std::slice::from_ref(b)).unwrap();
        }
    });
    report.add("DUPLICATE KEY append, batches of 1,000", 1000 * thousand_batches as u64, dup_small, None);
    let small = seconds(|| {
        for b in &batches {
            db.append("b", "pk", std::slice::from_ref(b)).unwrap();
        }
    });
    report.add("PRIMARY KEY upsert, batches of 1,000", 1000 * thousand_batches as u64, small, Some(dup_small));

    let singles = 300;
    let one_rows: Vec<RecordBatch> =
        (0..singles).map(|i| batch(&[rng.random_range(0..rows as i64 * 2)], 100 + i)).collect();
    let dup_one = seconds(|| {
        for b in &one_rows {
            db.append("b", "dup", std::slice::from_ref(b)).unwrap();
        }
    });
    report.add("DUPLICATE KEY append, batches of 1", singles as u64, dup_one, None);
    let one = seconds(|| {
        for b in &one_rows {
            db.append("b", "pk", std::slice::from_ref(b)).unwrap();
        }
    });
    report.add("PRIMARY KEY upsert, batches of 1", singles as u64, one, Some(dup_one));
    let mut session = db.session();
    let sql_one = seconds(|| {
        for i in 0..singles {
            let id = rng.random_range(0..rows as i64 * 2);
            session.execute_one(&format!("INSERT INTO b.pk VALUES ({id}, {i}, 'sql')")).unwrap();
        }
    });
    report.add("PRIMARY KEY upsert, single-row SQL INSERT", singles as u64, sql_one, Some(dup_one));

    // Many deleted rows: 90% of the keys go.
    let live_before: i64 = count(&mut session, "SELECT count(*) FROM b.pk");
    let delete = seconds(|| {
        session.execute_one("DELETE FROM b.pk WHERE id % 10 <> 0").unwrap();
    });
    let live: i64 = count(&mut session, "SELECT count(*) FROM b.pk");
    report.add("DELETE of 90% of the keys", (live_before - live) as u64, delete, None);
    let scan = "SELECT count(*), sum(v), max(length(s)) FROM b.pk";
    let filtered = "SELECT count(*) FROM b.pk WHERE v % 7 = 1";
    let median = |session: &mut tessera::Session, sql: &str| {
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                seconds(|| {
                    session.query(sql).unwrap();
                })
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[2]
    };
    let scan_before = median(&mut session, scan);
    let filtered_before = median(&mut session, filtered);
    let compact = seconds(|| {
        db.compact().unwrap();
    });
    assert_eq!(count(&mut session, "SELECT count(*) FROM b.pk"), live, "compaction changed the row count");
    let scan_after = median(&mut session, scan);
    let filtered_after = median(&mut session, filtered);

    println!();
    println!("| operation | rows | seconds | rows/s | vs DUPLICATE KEY append |");
    println!("|---|---|---|---|---|");
    for (what, rows, secs, ratio) in &report.lines {
        let ratio = ratio.map(|r| format!("{r:.2}x")).unwrap_or_else(|| "-".into());
        println!("| {what} | {rows} | {secs:.3} | {:.0} | {ratio} |", *rows as f64 / secs);
    }
    println!();
    println!("Scans of {live} live rows among {live_before} written (median of 5):");
    println!("| query | before compaction (s) | after (s) | after / before |");
    println!("|---|---|---|---|");
    println!("| `{scan}` | {scan_before:.3} | {scan_after:.3} | {:.2} |", scan_after / scan_before);
    println!("| `{filtered}` | {filtered_before:.3} | {filtered_after:.3} | {:.2} |", filtered_after / filtered_before);
    println!("compaction: {compact:.3}s");
}

fn count(session: &mut tessera::Session, sql: &str) -> i64 {
    let batches = session.query(sql).unwrap();
    batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0)
}
