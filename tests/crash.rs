//! Durability under SIGKILL: a child process inserts (and sometimes deletes) batches of rows and prints
//! an acknowledgement after each statement returns; the parent kills it at random moments, reopens the
//! data directory and checks that
//! - every acknowledged batch is there, whole (10 rows), and every acknowledged DELETE took effect;
//! - no batch is partly visible, and nothing beyond the one statement in flight appeared;
//! - SHOW PARTITIONS row counts add up to COUNT(*).
//!
//! The child is this same test binary, started with an environment variable that turns
//! `crash_child_writer` from a no-op into the writer.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use arrow::array::{Array, Int64Array, StringArray};
use rand::Rng;
use tessera::{Database, Options, StoreOptions};

mod common;
use common::ChildProcess;

const CHILD_DIR: &str = "TESSERA_CRASH_CHILD_DIR";
const CHILD_START: &str = "TESSERA_CRASH_CHILD_START";
const ROWS_PER_BATCH: i64 = 10;

fn options() -> Options {
    Options {
        storage: StoreOptions { segment_max_rows: 4, row_group_rows: 2, compaction: true, compaction_min_segments: 3 },
        threads: 2,
        ..Options::default()
    }
}

fn insert_sql(batch: i64) -> String {
    let rows: Vec<String> =
        (0..ROWS_PER_BATCH).map(|i| format!("({batch}, {i}, '2024-01-0{}')", 1 + (batch + i) % 9)).collect();
    format!("INSERT INTO t VALUES {}", rows.join(", "))
}

/// The writer. Does nothing unless started by `kill_writer_at_random_moments`.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR) else { return };
    let start: i64 = std::env::var(CHILD_START).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let db = Database::open_with(&dir, options()).expect("child opens the database");
    let mut session = db.session();
    session
        .execute(
            "CREATE DATABASE IF NOT EXISTS crash; USE crash;
             CREATE TABLE IF NOT EXISTS t (batch BIGINT NOT NULL, i INT NOT NULL, day DATE)
             DUPLICATE KEY(batch)
             PARTITION BY RANGE(day) (
               PARTITION p1 VALUES LESS THAN ('2024-01-04'),
               PARTITION p2 VALUES LESS THAN ('2024-01-07'),
               PARTITION p3 VALUES LESS THAN (MAXVALUE))
             DISTRIBUTED BY HASH(batch) BUCKETS 3",
        )
        .expect("child creates the table");
    for batch in start.. {
        session.execute(&insert_sql(batch)).expect("insert");
        println!("ack {batch}");
        if batch % 5 == 0 {
            session.execute(&format!("DELETE FROM t WHERE batch = {batch}")).expect("delete");
            println!("del {batch}");
        }
    }
}

fn query_i64(db: &Database, sql: &str) -> Vec<Vec<i64>> {
    let mut session = db.session();
    let batches = session.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .map(|c| c.as_any().downcast_ref::<Int64Array>().expect("BIGINT column").value(r))
                    .collect(),
            );
        }
    }
    rows
}

#[test]
fn kill_writer_at_random_moments() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let exe = std::env::current_exe().expect("test binary path");
    let mut rng = rand::rng();
    let mut acked: BTreeSet<i64> = BTreeSet::new();
    let mut deleted: BTreeSet<i64> = BTreeSet::new();
    let mut next = 0i64;
    let mut rounds_with_writes = 0;
    for round in 0..8 {
        let mut command = Command::new(&exe);
        command
            .args(["--exact", "crash_child_writer", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_START, next.to_string());
        let mut child = ChildProcess::spawn(command);
        // Kill at a random moment once the writer is writing (however slow its start on this machine).
        let mut lines = vec![child.wait_for_line("ack ", common::WAIT_LIMIT)];
        std::thread::sleep(Duration::from_millis(rng.random_range(0..700)));
        let report = child.kill();
        // Shown with the test's output if a check below fails.
        eprintln!("round {round}: {report}");
        lines.extend(report.lines);
        let mut acked_this_round = 0;
        // libtest may print "test crash_child_writer ... " in front of the first line.
        for line in lines {
            if let Some((_, n)) = line.split_once("ack ") {
                acked.insert(n.trim().parse().expect("batch number"));
                acked_this_round += 1;
            } else if let Some((_, n)) = line.split_once("del ") {
                deleted.insert(n.trim().parse().expect("batch number"));
            }
        }
        if acked_this_round > 0 {
            rounds_with_writes += 1;
        }

        let db = Database::open_with(dir.path(), options()).expect("reopen after SIGKILL");
        if db.session().execute("USE crash").is_err() {
            assert!(acked.is_empty(), "round {round}: database lost after acknowledged writes");
            continue;
        }
        let present = query_i64(&db, "SELECT batch, count(*) FROM crash.t GROUP BY batch ORDER BY batch");
        let max_acked = acked.iter().max().copied().unwrap_or(-1);
        for row in &present {
            let (batch, count) = (row[0], row[1]);
            assert_eq!(count, ROWS_PER_BATCH, "round {round}: batch {batch} is partly visible ({count} rows)");
            assert!(
                acked.contains(&batch) || batch == max_acked + 1,
                "round {round}: batch {batch} appeared without being acknowledged (last acknowledged {max_acked})"
            );
            assert!(!deleted.contains(&batch), "round {round}: batch {batch} was deleted (acknowledged) but is back");
        }
        let present_set: BTreeSet<i64> = present.iter().map(|r| r[0]).collect();
        for batch in acked.difference(&deleted) {
            // A batch whose DELETE was in flight may be gone; only those may be missing.
            if !present_set.contains(batch) {
                assert!(batch % 5 == 0 && *batch >= max_acked, "round {round}: acknowledged batch {batch} was lost");
            }
        }
        let total = query_i64(&db, "SELECT count(*) FROM crash.t")[0][0];
        let mut session = db.session();
        let partitions = session.execute_one("SHOW PARTITIONS FROM crash.t").expect("show partitions");
        let mut sum = 0i64;
        for b in &partitions.batches {
            let index = b.schema().index_of("RowCount").expect("RowCount column");
            let counts = b.column(index).as_any().downcast_ref::<StringArray>().expect("string column");
            for r in 0..counts.len() {
                sum += counts.value(r).parse::<i64>().expect("row count");
            }
        }
        assert_eq!(sum, total, "round {round}: SHOW PARTITIONS row counts disagree with COUNT(*)");
        // What was in flight is now settled: a committed but unacknowledged batch stays, and a batch
        // whose DELETE was in flight and took effect stays deleted.
        for batch in &present_set {
            acked.insert(*batch);
        }
        for batch in acked.iter().filter(|b| !present_set.contains(b)) {
            deleted.insert(*batch);
        }
        next = present_set.iter().chain(acked.iter()).max().copied().unwrap_or(-1) + 1;
        drop(session);
        db.close().expect("close");
    }
    assert_eq!(rounds_with_writes, 8, "the writer acknowledged writes in only {rounds_with_writes} of 8 rounds");
}
