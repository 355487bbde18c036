//! Asynchronous materialized views through the Rust API, with time and refreshes controlled: the
//! refresh job (ASYNC without EVERY follows base changes; EVERY follows the clock), consistency with
//! the query after random changes and a reopen, and BACKUP / RESTORE (into another database, and of a
//! view without its base tables, which stays inactive until they exist and ALTER ... ACTIVE).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arrow::array::{Array, StringArray};
use tessera::{Clock, Database, Options, RestoreState};

/// The rows of a query as sorted `a|b|c` strings.
fn rows(db: &Database, sql: &str) -> Vec<String> {
    let batches = db.session().query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                let c = arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap();
                c.as_any().downcast_ref::<StringArray>().unwrap().clone()
            })
            .collect();
        for i in 0..batch.num_rows() {
            let row: Vec<String> =
                columns.iter().map(|c| if c.is_null(i) { "NULL".into() } else { c.value(i).to_string() }).collect();
            out.push(row.join("|"));
        }
    }
    out.sort();
    out
}

/// The SHOW MATERIALIZED VIEWS value of `column` for view `name` in database `db`.
fn shown(db: &Database, database: &str, name: &str, column: &str) -> String {
    let result = db.session().execute_one(&format!("SHOW MATERIALIZED VIEWS FROM {database} LIKE '{name}'")).unwrap();
    let batch = &result.batches[0];
    let index = batch.schema().index_of(column).unwrap();
    let values = batch.column(index).as_any().downcast_ref::<StringArray>().unwrap();
    if values.is_null(0) {
        "NULL".into()
    } else {
        values.value(0).to_string()
    }
}

fn options(now: Arc<AtomicI64>) -> Options {
    Options {
        clock: Clock(Arc::new(move || now.load(Ordering::SeqCst))),
        // Refreshes run only when the test asks (Database::refresh_materialized_views).
        materialized_view_refresh_interval: std::time::Duration::ZERO,
        ..Options::default()
    }
}

const DEFINITION: &str = "SELECT g, count(*) AS n, sum(v) AS total, min(v) AS low FROM t GROUP BY g";

#[test]
fn refresh_job_follows_base_changes_and_the_clock() {
    let now = Arc::new(AtomicI64::new(1_700_000_000_000));
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), options(now.clone())).unwrap();
    db.session()
        .execute(&format!(
            "CREATE DATABASE d; USE d;
             CREATE TABLE t (k INT NOT NULL, g INT, v BIGINT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3;
             INSERT INTO t VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
             CREATE MATERIALIZED VIEW follows REFRESH ASYNC AS {DEFINITION};
             CREATE MATERIALIZED VIEW hourly REFRESH ASYNC EVERY (INTERVAL 1 HOUR) AS {DEFINITION}"
        ))
        .unwrap();
    let expected = || rows(&db, &DEFINITION.replace("FROM t", "FROM d.t"));
    assert_eq!(rows(&db, "SELECT * FROM d.follows"), expected());
    // Nothing changed: nothing is due.
    assert_eq!(db.refresh_materialized_views().unwrap(), 0);

    // A base change: the view without EVERY is due at once, the hourly one only after an hour.
    db.session().execute("INSERT INTO d.t VALUES (4, 2, 7)").unwrap();
    assert_ne!(rows(&db, "SELECT * FROM d.follows"), expected());
    assert_eq!(db.refresh_materialized_views().unwrap(), 1);
    assert_eq!(rows(&db, "SELECT * FROM d.follows"), expected());
    assert_ne!(rows(&db, "SELECT * FROM d.hourly"), expected());
    now.fetch_add(3_600_000, Ordering::SeqCst);
    assert_eq!(db.refresh_materialized_views().unwrap(), 1);
    assert_eq!(rows(&db, "SELECT * FROM d.hourly"), expected());
    assert_eq!(shown(&db, "d", "hourly", "last_refresh_state"), "SUCCESS");

    // Random changes, each followed by the job: the view always equals its query afterwards, also after
    // a reopen.
    let mut seed = 42u64;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as i64
    };
    let mut session = db.session();
    session.execute("USE d").unwrap();
    for step in 0..25 {
        let sql = match next() % 4 {
            0 | 1 => {
                let values: Vec<String> =
                    (0..5).map(|i| format!("({}, {}, {})", 100 * step + i, next() % 4, next() % 50)).collect();
                format!("INSERT INTO t VALUES {}", values.join(", "))
            }
            2 => format!("DELETE FROM t WHERE v < {}", next() % 10),
            _ => format!("INSERT OVERWRITE t SELECT * FROM t WHERE g <> {}", next() % 4),
        };
        session.execute(&sql).unwrap();
        db.refresh_materialized_views().unwrap();
        assert_eq!(rows(&db, "SELECT * FROM d.follows"), expected(), "after {sql}");
    }
    drop(session);
    let before = rows(&db, "SELECT * FROM d.follows");
    db.close().unwrap();
    let db = Database::open_with(dir.path(), options(now.clone())).unwrap();
    assert_eq!(rows(&db, "SELECT * FROM d.follows"), before);
    assert_eq!(db.refresh_materialized_views().unwrap(), 0, "the bookkeeping survives a reopen");

    // A refresh that fails (the query no longer plans) changes no row and is recorded.
    db.session().execute("ALTER TABLE d.t DROP COLUMN v").unwrap();
    assert!(db.refresh_materialized_views().is_err());
    assert_eq!(rows(&db, "SELECT * FROM d.follows"), before);
    assert_eq!(shown(&db, "d", "follows", "last_refresh_state"), "FAILED");
    assert!(shown(&db, "d", "follows", "last_refresh_error_message").contains('v'));
}

#[test]
fn backup_and_restore_of_materialized_views() {
    let now = Arc::new(AtomicI64::new(1_700_000_000_000));
    let db = Database::open_temporary_with(options(now)).unwrap();
    let repo = tempfile::tempdir().unwrap();
    db.session()
        .execute(&format!(
            "CREATE DATABASE src; USE src;
             CREATE TABLE t (k INT NOT NULL, g INT, v BIGINT) DUPLICATE KEY(k);
             INSERT INTO t VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5);
             CREATE MATERIALIZED VIEW mv REFRESH ASYNC AS SELECT g, sum(v) AS total FROM src.t GROUP BY g;
             CREATE REPOSITORY r ON LOCATION '{}'",
            repo.path().display()
        ))
        .unwrap();
    let backup = |sql: &str| {
        let result = db.session().execute_one(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let job = db.wait_for_backup(result.job.unwrap()).unwrap();
        assert_eq!(job.state, tessera::BackupState::Finished, "{}", job.status);
    };
    let restore = |sql: &str| {
        let result = db.session().execute_one(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let job = db.wait_for_restore(result.job.unwrap()).unwrap();
        assert_eq!(job.state, RestoreState::Finished, "{}", job.status);
    };
    backup("BACKUP SNAPSHOT src.whole TO r");
    backup("BACKUP SNAPSHOT src.only_mv TO r ON (MATERIALIZED VIEW mv)");
    let error = db.session().execute_one("BACKUP SNAPSHOT src.x TO r ON (TABLE mv)").unwrap_err().to_string();
    assert!(error.contains("is a materialized view"), "{error}");
    // SHOW SNAPSHOT's details list the view as one.
    let listed = db.session().execute_one("SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'only_mv'").unwrap();
    let timestamp = listed.batches[0].column(1).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    let details = db
        .session()
        .execute_one(&format!("SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'only_mv' AND TIMESTAMP = '{timestamp}'"))
        .unwrap();
    let index = details.batches[0].schema().index_of("Details").unwrap();
    let text = details.batches[0].column(index).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    assert!(text.contains("\"materialized_views\"") && text.contains("\"ASYNC\""), "{text}");

    // Whole database into another database: active, rows as backed up, `src.` qualifiers now `dst.`,
    // and no refresh needed.
    restore("RESTORE SNAPSHOT whole FROM r DATABASE src AS dst");
    assert_eq!(rows(&db, "SELECT * FROM dst.mv"), vec!["1|30", "2|5"]);
    assert_eq!(shown(&db, "dst", "mv", "is_active"), "true");
    assert!(shown(&db, "dst", "mv", "text").contains("FROM `dst`.t"));
    assert_eq!(db.refresh_materialized_views().unwrap(), 0);
    // It follows its own base table, not the original's.
    db.session().execute("INSERT INTO dst.t VALUES (4, 2, 1); INSERT INTO src.t VALUES (5, 9, 9)").unwrap();
    db.refresh_materialized_views().unwrap();
    assert_eq!(rows(&db, "SELECT * FROM dst.mv"), vec!["1|30", "2|6"]);

    // The view without its base table: restored inactive, with the reason, rows kept; active once the
    // table exists and ALTER ... ACTIVE runs.
    restore("RESTORE SNAPSHOT only_mv FROM r DATABASE src AS lonely");
    assert_eq!(rows(&db, "SELECT * FROM lonely.mv"), vec!["1|30", "2|5"]);
    assert_eq!(shown(&db, "lonely", "mv", "is_active"), "false");
    assert!(shown(&db, "lonely", "mv", "inactive_reason").contains("lonely.t"));
    let error = db.session().execute_one("REFRESH MATERIALIZED VIEW lonely.mv").unwrap_err().to_string();
    assert!(error.contains("inactive"), "{error}");
    // An inactive view of the name is overwritten (the job holds its lock while committing, and takes it
    // again afterwards to settle the view's bookkeeping).
    restore("RESTORE SNAPSHOT only_mv FROM r DATABASE src AS lonely");
    assert_eq!(shown(&db, "lonely", "mv", "is_active"), "false");
    restore("RESTORE SNAPSHOT whole FROM r DATABASE src AS lonely ON (TABLE t)");
    db.session().execute("ALTER MATERIALIZED VIEW lonely.mv ACTIVE; REFRESH MATERIALIZED VIEW lonely.mv").unwrap();
    assert_eq!(rows(&db, "SELECT * FROM lonely.mv"), vec!["1|30", "2|5"]);

    // An existing active view of the name is kept, not overwritten.
    db.session().execute("INSERT INTO dst.t VALUES (6, 3, 3); REFRESH MATERIALIZED VIEW dst.mv").unwrap();
    restore("RESTORE SNAPSHOT only_mv FROM r DATABASE src AS dst ON (MATERIALIZED VIEW mv)");
    assert_eq!(rows(&db, "SELECT * FROM dst.mv"), vec!["1|30", "2|6", "3|3"]);
    // A snapshot table never lands on a materialized view (nor the other way round): refused, nothing
    // changes.
    let error = db
        .session()
        .execute_one("RESTORE SNAPSHOT whole FROM r DATABASE src AS dst ON (TABLE t AS mv)")
        .unwrap_err()
        .to_string();
    assert!(error.contains("already exist but is a materialized view"), "{error}");
    assert_eq!(rows(&db, "SELECT * FROM dst.mv"), vec!["1|30", "2|6", "3|3"]);
    // Under another name it lands beside it.
    restore("RESTORE SNAPSHOT only_mv FROM r DATABASE src AS dst ON (MATERIALIZED VIEW mv AS mv_copy)");
    assert_eq!(rows(&db, "SELECT * FROM dst.mv_copy"), vec!["1|30", "2|5"]);
    assert_eq!(shown(&db, "dst", "mv_copy", "is_active"), "true");
}
