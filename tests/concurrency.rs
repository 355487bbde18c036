//! Readers running while writers insert, delete and compaction merges always see a consistent version:
//! every batch whole (10 rows whose `i` sum to 45), and row counts that never go backwards while only
//! inserts run.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, Int64Array};
use tessera::{Database, Options, StoreOptions};

fn scalar_row(db: &Database, sql: &str) -> Vec<i64> {
    let batches = db.session().query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let b = batches.iter().find(|b| b.num_rows() > 0).expect("one row");
    b.columns()
        .iter()
        .map(|c| {
            let a = c.as_any().downcast_ref::<Int64Array>().expect("BIGINT");
            if a.is_null(0) {
                0
            } else {
                a.value(0)
            }
        })
        .collect()
}

/// A temporary database with small segments and compaction on, holding database `c` with `create_table`.
fn open_with_table(create_table: &str) -> Database {
    let options = Options {
        storage: StoreOptions { segment_max_rows: 8, row_group_rows: 4, compaction: true, compaction_min_segments: 3 },
        threads: 2,
        ..Options::default()
    };
    let db = Database::open_temporary_with(options).expect("open");
    db.session().execute(&format!("CREATE DATABASE c; USE c; {create_table}")).expect("create");
    db
}

#[test]
fn readers_see_whole_batches_while_writers_commit() {
    let db = open_with_table(
        "CREATE TABLE t (batch BIGINT NOT NULL, i BIGINT NOT NULL)
         DUPLICATE KEY(batch) DISTRIBUTED BY HASH(batch) BUCKETS 4",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let next_batch = Arc::new(AtomicI64::new(0));
    let mut threads = Vec::new();
    for _ in 0..2 {
        let (db, stop, next_batch) = (db.clone(), stop.clone(), next_batch.clone());
        threads.push(std::thread::spawn(move || {
            let mut session = db.session();
            while !stop.load(Ordering::Relaxed) {
                let b = next_batch.fetch_add(1, Ordering::SeqCst);
                let rows: Vec<String> = (0..10).map(|i| format!("({b}, {i})")).collect();
                session.execute(&format!("INSERT INTO c.t VALUES {}", rows.join(","))).expect("insert");
            }
        }));
    }
    {
        let (db, stop) = (db.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut session = db.session();
            let mut victim = 0;
            while !stop.load(Ordering::Relaxed) {
                session.execute(&format!("DELETE FROM c.t WHERE batch = {victim}")).expect("delete");
                victim += 7;
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    {
        let (db, stop) = (db.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                db.compact().expect("compact");
                std::thread::sleep(Duration::from_millis(10));
            }
        }));
    }
    let mut checks = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < deadline {
        let row = scalar_row(&db, "SELECT count(*), count(DISTINCT batch), sum(i) FROM c.t");
        let (rows, batches, sum) = (row[0], row[1], row[2]);
        assert_eq!(rows, batches * 10, "a batch is partly visible: {rows} rows in {batches} batches");
        assert_eq!(sum, batches * 45, "a batch is partly visible: sum {sum} over {batches} batches");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("worker thread");
    }
    assert!(checks > 5, "only {checks} consistency checks ran");
    let row = scalar_row(&db, "SELECT count(*), count(DISTINCT batch) FROM c.t");
    assert!(row[1] > 0, "writers made no progress");
}

/// Two writers upserting overlapping keys of a PRIMARY KEY table, a deleter and background compaction,
/// while readers check that no key ever has two live rows and that each row is whole (`v` and `w` are
/// written together and always differ by exactly 1,000,000).
#[test]
fn primary_key_readers_never_see_two_rows_for_one_key() {
    let db = open_with_table(
        "CREATE TABLE t (k BIGINT NOT NULL, v BIGINT, w BIGINT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3",
    );
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for writer in 0..2i64 {
        let (db, stop) = (db.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut session = db.session();
            let mut round = 0i64;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let rows: Vec<String> = (0..10)
                    .map(|i| {
                        let k = (round * 7 + i * 13 + writer) % 40;
                        let v = round * 100 + writer;
                        format!("({k}, {v}, {})", v + 1_000_000)
                    })
                    .collect();
                session.execute(&format!("INSERT INTO c.t VALUES {}", rows.join(","))).expect("upsert");
            }
        }));
    }
    {
        let (db, stop) = (db.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut session = db.session();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                session.execute(&format!("DELETE FROM c.t WHERE k % 9 = {}", n % 9)).expect("delete");
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(4);
    let mut checks = 0;
    while std::time::Instant::now() < deadline {
        let row = scalar_row(
            &db,
            "SELECT count(*), count(DISTINCT k), sum(CASE WHEN w - v = 1000000 THEN 0 ELSE 1 END) FROM c.t",
        );
        assert_eq!(row[0], row[1], "a key has two live rows: {row:?}");
        assert_eq!(row[2], 0, "a row is not whole: {row:?}");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("thread");
    }
    assert!(checks > 5, "only {checks} checks ran");
    let row = scalar_row(&db, "SELECT count(*), count(DISTINCT k) FROM c.t");
    assert_eq!(row[0], row[1]);
    db.compact().expect("compaction");
    let after = scalar_row(&db, "SELECT count(*), count(DISTINCT k) FROM c.t");
    assert_eq!(after, row, "compaction changed the rows");
}
