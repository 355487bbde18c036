//! The Rust API used as an embedding application would use it.

use tessera::Database;

mod common;
use common::count;

#[test]
fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        s.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 3").unwrap();
        s.execute("INSERT INTO t SELECT value FROM generate_series(1, 100)").unwrap();
        drop(s);
        db.close().unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 100);
}

#[test]
fn close_refuses_while_sessions_are_alive() {
    let db = Database::open_temporary().unwrap();
    let session = db.session();
    let err = db.clone().close().unwrap_err().to_string();
    assert!(err.contains("still use it"), "{err}");
    drop(session);
    db.close().unwrap();
}

#[test]
fn usable_and_droppable_inside_a_multi_thread_tokio_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let db = Database::open_temporary().unwrap();
        db.session().execute("CREATE DATABASE d; CREATE TABLE d.t (k INT); INSERT INTO d.t VALUES (1)").unwrap();
        assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 1);
        drop(db); // must not panic inside async code
    });
}

#[test]
fn a_current_thread_runtime_gets_an_error_not_a_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let db = Database::open_temporary().unwrap();
    let err = runtime.block_on(async { db.session().execute("SELECT 1").unwrap_err().to_string() });
    assert!(err.contains("spawn_blocking"), "{err}");
}

#[test]
fn ids_are_not_reused_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let first_ids = {
        let db = Database::open(dir.path()).unwrap();
        db.session().execute("CREATE DATABASE a; CREATE TABLE a.t (k INT)").unwrap();
        let r = db.session().execute_one("SHOW PARTITIONS FROM a.t").unwrap();
        let ids =
            r.batches[0].column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap().value(0).to_string();
        db.close().unwrap();
        ids
    };
    let db = Database::open(dir.path()).unwrap();
    db.session().execute("CREATE TABLE a.u (k INT)").unwrap();
    let r = db.session().execute_one("SHOW PARTITIONS FROM a.u").unwrap();
    let second =
        r.batches[0].column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap().value(0).to_string();
    assert!(second.parse::<u64>().unwrap() > first_ids.parse::<u64>().unwrap());
}

#[test]
fn the_progress_handle_counts_the_rows_a_statement_reads() {
    let db = Database::open_temporary().unwrap();
    let mut session = db.session();
    let progress = session.progress_handle();
    session.execute("CREATE DATABASE d; CREATE TABLE d.t (k BIGINT)").unwrap();
    session.execute("INSERT INTO d.t SELECT value FROM generate_series(1, 50000)").unwrap();
    assert_eq!(progress.rows(), 50_000);
    session.execute("SELECT k FROM d.t WHERE k <= 10").unwrap();
    assert_eq!(progress.rows(), 10, "the counter restarts with each statement");
}

#[test]
fn values_a_column_cannot_hold_are_refused_and_nothing_is_stored() {
    // Once accepted: a year -262144 DATE (the table could then not be read) and 1e309 stored as inf.
    let db = Database::open_temporary().unwrap();
    db.session()
        .execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT, d DATE, dt DATETIME, f FLOAT, x DOUBLE)")
        .unwrap();
    for (insert, column) in [
        ("INSERT INTO d.t (k, d) VALUES (1, '-262144-01-01')", "column d DATE"),
        ("INSERT INTO d.t (k, x) VALUES (1, 1e309)", "column x DOUBLE"),
        ("INSERT INTO d.t (k, f) VALUES (1, 3.5e38)", "column f FLOAT"),
    ] {
        let err = db.session().execute(insert).unwrap_err().to_string();
        assert!(err.contains("out of the range") && err.contains(column), "{insert}: {err}");
    }
    // SQL cannot even build a datetime past 9999; the Rust API can.
    let year_10000 = arrow::array::TimestampMicrosecondArray::from(vec![253_402_300_800_000_000i64]);
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
        "dt",
        arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        true,
    )]));
    let batch = arrow::array::RecordBatch::try_new(schema, vec![std::sync::Arc::new(year_10000)]).unwrap();
    let err = db.append("d", "t", &[batch]).unwrap_err().to_string();
    assert!(err.contains("out of the range") && err.contains("column dt DATETIME"), "{err}");
    db.session()
        .execute("INSERT INTO d.t VALUES (2, '0000-01-01', '9999-12-31 23:59:59', 3.0e38, 1e308), (3, '9999-12-31', '0000-01-01 00:00:00', NULL, NULL)")
        .unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 2, "only the values in range were stored");
}
