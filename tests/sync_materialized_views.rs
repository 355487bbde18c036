//! Synchronous materialized views (rollups) against a model: a partitioned DUPLICATE KEY table with a
//! rollup and an identical table without one take the same random writes (INSERT, INSERT ... SELECT,
//! bulk append, DELETE, TRUNCATE of a partition, INSERT OVERWRITE, DROP / ADD PARTITION); after every
//! step the rollup (`SELECT * FROM mv`) and the rewritten query over the base both equal the defining
//! query computed over the twin. Also after a close and reopen, after BACKUP + RESTORE into another
//! database (with the base under another name too), and with automatic rebuilds off (a stale rollup
//! is not used, and reads as its query).

use std::sync::Arc;

use arrow::array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tessera::{Database, Options, StoreOptions};

/// Rows as text, sorted, so that results compare whatever their batch layout and order.
fn rows(db: &Database, sql: &str) -> Vec<String> {
    let mut session = db.session();
    let batches = session.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for batch in &batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| arrow::compute::cast(c, &DataType::Utf8).expect("castable to text"))
            .collect();
        for row in 0..batch.num_rows() {
            let values: Vec<String> = columns
                .iter()
                .map(|c| {
                    let s = c.as_any().downcast_ref::<StringArray>().expect("cast to Utf8");
                    if s.is_null(row) {
                        "NULL".to_string()
                    } else {
                        s.value(row).to_string()
                    }
                })
                .collect();
            out.push(values.join("|"));
        }
    }
    out.sort();
    out
}

fn explain_scans(db: &Database, sql: &str) -> String {
    let mut session = db.session();
    let result = session.execute_one(&format!("EXPLAIN {sql}")).unwrap();
    let mut out = String::new();
    for batch in &result.batches {
        let kinds = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let plans = batch.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..batch.num_rows() {
            if kinds.value(i) == "tessera_scan" {
                out.push_str(plans.value(i));
            }
        }
    }
    out
}

const TABLE: &str = "(d INT NOT NULL, g INT, h STRING, v BIGINT, w INT) DUPLICATE KEY (d)
    PARTITION BY RANGE (d) (
      PARTITION p1 VALUES LESS THAN (100), PARTITION p2 VALUES LESS THAN (200),
      PARTITION p3 VALUES LESS THAN (300), PARTITION p4 VALUES LESS THAN (400))
    DISTRIBUTED BY HASH (g) BUCKETS 2";

/// The defining query of `mv` over `table` (the twin has no rollup, so nothing rewrites it).
fn model_query(table: &str) -> String {
    format!("SELECT g, h, sum(v), count(*), min(w), max(w), count(v) FROM {table} GROUP BY g, h")
}

/// The defining query over `table`, with a filter on a value column so that no rollup can answer it.
fn unrewritten_model_query(table: &str) -> String {
    format!(
        "SELECT g, h, sum(v), count(*), min(w), max(w), count(v) FROM {table} WHERE v IS NULL OR v IS NOT NULL \
         GROUP BY g, h"
    )
}

/// A query the rollup answers (fewer keys and a key filter), and its text over the twin.
fn rewritten_query(table: &str) -> String {
    format!("SELECT g, sum(v), count(*), max(w), count(v) FROM {table} WHERE g IS NOT NULL GROUP BY g")
}

fn setup(db: &Database) {
    db.session()
        .execute(&format!(
            "CREATE DATABASE d; USE d; CREATE TABLE base {TABLE}; CREATE TABLE twin {TABLE};
             CREATE MATERIALIZED VIEW mv AS SELECT g, h, sum(v), count(*), min(w), max(w), count(v) FROM base GROUP BY g, h"
        ))
        .unwrap();
}

fn check(db: &Database, step: &str) {
    let mv = rows(db, "SELECT * FROM d.mv");
    assert_eq!(mv, rows(db, &model_query("d.twin")), "after {step}: the rollup differs from its query");
    assert_eq!(mv, rows(db, &unrewritten_model_query("d.base")), "after {step}: the rollup differs from its base");
    assert!(!explain_scans(db, &unrewritten_model_query("d.base")).contains("table=d.mv"));
    assert_eq!(
        rows(db, &rewritten_query("d.base")),
        rows(db, &rewritten_query("d.twin")),
        "after {step}: the rewritten query differs"
    );
    let scans = explain_scans(db, &rewritten_query("d.base"));
    assert!(scans.contains("table=d.mv"), "after {step}: the query was not rewritten: {scans}");
}

fn random_row(rng: &mut StdRng) -> String {
    let d = rng.random_range(0..400);
    let g = if rng.random_range(0..10) == 0 { "NULL".to_string() } else { rng.random_range(0..5).to_string() };
    let h = match rng.random_range(0..4) {
        0 => "NULL".to_string(),
        n => format!("'h{n}'"),
    };
    let v = if rng.random_range(0..8) == 0 { "NULL".to_string() } else { rng.random_range(-50..100).to_string() };
    let w = if rng.random_range(0..8) == 0 { "NULL".to_string() } else { rng.random_range(0..1000).to_string() };
    format!("({d}, {g}, {h}, {v}, {w})")
}

/// One random write, applied the same way to `base` and `twin`.
fn random_step(db: &Database, rng: &mut StdRng) -> String {
    let partition = format!("p{}", rng.random_range(1..5));
    let statement = match rng.random_range(0..10) {
        0..=2 => {
            let values: Vec<String> = (0..rng.random_range(1..12)).map(|_| random_row(rng)).collect();
            format!("INSERT INTO {{t}} VALUES {}", values.join(", "))
        }
        3 => format!("INSERT INTO {{t}} SELECT d, g, h, v + 1, w FROM {{t}} WHERE g = {}", rng.random_range(0..5)),
        4 if rng.random_range(0..2) == 0 => format!("DELETE FROM {{t}} WHERE v < {}", rng.random_range(-40..20)),
        // A condition on the rollup's keys: DELETE's per-segment counts must not be read from it.
        4 => format!("DELETE FROM {{t}} WHERE g = {} AND h IS NOT NULL", rng.random_range(0..5)),
        5 => format!("TRUNCATE TABLE {{t}} PARTITION ({partition})"),
        6 => {
            let n: i32 = partition[1..].parse().unwrap();
            let d = (n - 1) * 100 + rng.random_range(0..100);
            format!("INSERT OVERWRITE {{t}} PARTITION ({partition}) VALUES ({d}, 1, 'h1', 5, 5)")
        }
        7 => {
            let n: i32 = partition[1..].parse().unwrap();
            format!(
                "ALTER TABLE {{t}} DROP PARTITION {partition}; ALTER TABLE {{t}} ADD PARTITION IF NOT EXISTS {partition} \
                 VALUES [('{}'), ('{}'))",
                (n - 1) * 100,
                n * 100
            )
        }
        _ => {
            let n = rng.random_range(1..20);
            let schema = Arc::new(Schema::new(vec![
                Field::new("d", DataType::Int32, false),
                Field::new("g", DataType::Int32, true),
                Field::new("v", DataType::Int64, true),
            ]));
            let d: Int32Array = (0..n).map(|_| rng.random_range(0..400)).collect();
            let g: Int32Array = (0..n).map(|_| Some(rng.random_range(0..5))).collect();
            let v: Int64Array = (0..n).map(|_| Some(rng.random_range(0..10))).collect();
            let batch = RecordBatch::try_new(schema, vec![Arc::new(d), Arc::new(g), Arc::new(v)]).unwrap();
            db.append("d", "base", std::slice::from_ref(&batch)).unwrap();
            db.append("d", "twin", &[batch]).unwrap();
            return format!("append of {n} rows");
        }
    };
    let mut affected = Vec::new();
    for table in ["base", "twin"] {
        let results = db.session().execute(&format!("USE d; {}", statement.replace("{t}", table))).unwrap();
        affected.push(results.iter().map(|r| r.affected_rows).collect::<Vec<_>>());
    }
    assert_eq!(affected[0], affected[1], "{statement}: affected rows differ");
    statement
}

fn tiny() -> Options {
    Options {
        storage: StoreOptions { segment_max_rows: 3, row_group_rows: 2, compaction: true, compaction_min_segments: 3 },
        threads: 2,
        ..Options::default()
    }
}

#[test]
fn random_writes_keep_the_rollup_equal_to_its_query_across_reopen_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let mut db = Database::open_with(dir.path(), tiny()).unwrap();
    setup(&db);
    let mut rng = StdRng::seed_from_u64(7);
    for step in 0..60 {
        let what = random_step(&db, &mut rng);
        check(&db, &format!("step {step}: {what}"));
        if step % 20 == 19 {
            db.close().unwrap();
            db = Database::open_with(dir.path(), tiny()).unwrap();
            check(&db, &format!("reopen after step {step}"));
        }
    }
    db.compact().unwrap();
    check(&db, "compaction");

    // BACKUP, then RESTORE into another database, and with the base under another name.
    let mut session = db.session();
    session.execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", repo.path().display())).unwrap();
    let job = session.execute_one("BACKUP SNAPSHOT d.s TO r").unwrap().job.unwrap();
    assert_eq!(db.wait_for_backup(job).unwrap().state, tessera::BackupState::Finished);
    let expected = rows(&db, &model_query("d.twin"));
    for (restore, database, base) in [
        ("RESTORE SNAPSHOT s FROM r DATABASE d AS d2", "d2", "base"),
        ("RESTORE SNAPSHOT s FROM r DATABASE d AS d3 ON (base AS renamed)", "d3", "renamed"),
    ] {
        let job = session.execute_one(restore).unwrap().job.unwrap();
        let done = db.wait_for_restore(job).unwrap();
        assert_eq!(done.state, tessera::RestoreState::Finished, "{restore}: {}", done.status);
        assert_eq!(rows(&db, &format!("SELECT * FROM {database}.mv")), expected, "{restore}");
        let query = rewritten_query(&format!("{database}.{base}"));
        assert!(explain_scans(&db, &query).contains(&format!("table={database}.mv")), "{restore}");
        assert_eq!(rows(&db, &query), rows(&db, &rewritten_query("d.twin")), "{restore}");
        let create = rows(&db, &format!("SHOW CREATE MATERIALIZED VIEW {database}.mv")).join("\n");
        assert!(create.contains(&format!("FROM `{database}`.`{base}` GROUP BY")), "{create}");
        // The restored rollup is maintained like any other.
        session.execute(&format!("INSERT INTO {database}.{base} VALUES (1, 1, 'h1', 1000, 1)")).unwrap();
        assert_eq!(
            rows(&db, &format!("SELECT * FROM {database}.mv")),
            rows(&db, &unrewritten_model_query(&format!("{database}.{base}"))),
            "{restore}: after an INSERT"
        );
    }
    drop(session);
    // Reopened, the restored rollups are still linked to their bases.
    db.close().unwrap();
    let db = Database::open_with(dir.path(), tiny()).unwrap();
    check(&db, "reopen after the restores");
    assert!(explain_scans(&db, &rewritten_query("d3.renamed")).contains("table=d3.mv"));
}

#[test]
fn a_stale_rollup_is_not_used_and_reads_as_its_query_until_it_is_rebuilt() {
    let db = Database::open_temporary_with(Options { rebuild_rollups: false, ..Options::default() }).unwrap();
    setup(&db);
    let mut session = db.session();
    session.execute("USE d").unwrap();
    for table in ["base", "twin"] {
        session
            .execute(&format!(
                "INSERT INTO {table} VALUES (1, 1, 'a', 10, 1), (150, 1, 'a', 5, 2), (250, 2, NULL, 7, 3)"
            ))
            .unwrap();
    }
    check(&db, "inserts");
    let shown = rows(&db, "SHOW MATERIALIZED VIEWS FROM d");
    assert!(shown[0].contains("|mv|ROLLUP|true|"), "{shown:?}");

    for table in ["base", "twin"] {
        session.execute(&format!("DELETE FROM {table} WHERE v = 5")).unwrap();
    }
    // Stale: queries read the base, the view reads as its query, SHOW says it is not active.
    let scans = explain_scans(&db, &rewritten_query("d.base"));
    assert!(scans.contains("table=d.base") && !scans.contains("table=d.mv"), "{scans}");
    assert_eq!(rows(&db, "SELECT * FROM d.mv"), rows(&db, &model_query("d.twin")));
    assert_eq!(rows(&db, &rewritten_query("d.base")), rows(&db, &rewritten_query("d.twin")));
    let shown = rows(&db, "SHOW MATERIALIZED VIEWS FROM d");
    assert!(shown[0].contains("|mv|ROLLUP|false|"), "{shown:?}");
    // Appends to a stale rollup's base leave it to the rebuild.
    for table in ["base", "twin"] {
        session.execute(&format!("INSERT INTO {table} VALUES (2, 1, 'a', 100, 9)")).unwrap();
    }
    assert_eq!(rows(&db, "SELECT * FROM d.mv"), rows(&db, &model_query("d.twin")));

    assert_eq!(db.rebuild_rollups().unwrap(), 1);
    check(&db, "the rebuild");
    assert_eq!(db.rebuild_rollups().unwrap(), 0);
}

#[test]
fn compaction_and_column_changes_keep_the_rollup_ready() {
    let mut options = Options { rebuild_rollups: false, ..tiny() };
    // Compaction only when asked, so that the test knows it merged the base's segments.
    options.storage.compaction = false;
    // One-row segments count as small (under half of `segment_max_rows`).
    options.storage.segment_max_rows = 100;
    let db = Database::open_temporary_with(options).unwrap();
    setup(&db);
    let mut session = db.session();
    session.execute("USE d").unwrap();
    for i in 0..12 {
        for table in ["base", "twin"] {
            session.execute(&format!("INSERT INTO {table} VALUES ({i}, {}, 'x', {i}, {i})", i % 3)).unwrap();
        }
    }
    assert!(db.compact().unwrap() > 0, "the base's small segments were merged");
    check(&db, "compaction");
    for table in ["base", "twin"] {
        session.execute(&format!("ALTER TABLE {table} ADD COLUMN extra INT")).unwrap();
    }
    check(&db, "ADD COLUMN");
}
