//! Segment pruning by statistics, and the counts EXPLAIN reports, with fixed segment sizes.

use tessera::{Database, Options, StoreOptions};

fn scan_line(db: &Database, sql: &str) -> String {
    let result = db.session().execute_one(&format!("EXPLAIN {sql}")).unwrap();
    let batch = &result.batches[0];
    let kinds = batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
    let plans = batch.column(1).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
    (0..batch.num_rows())
        .find(|i| kinds.value(*i) == "tessera_scan")
        .map(|i| plans.value(i).to_string())
        .expect("a tessera_scan row")
}

#[test]
fn segments_are_pruned_by_min_max() {
    let options = Options {
        storage: StoreOptions {
            segment_max_rows: 100,
            row_group_rows: 50,
            compaction: false,
            compaction_min_segments: 8,
        },
        threads: 2,
        ..Options::default()
    };
    let db = Database::open_temporary_with(options).unwrap();
    let mut s = db.session();
    s.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT NOT NULL, v STRING)").unwrap();
    // Ten inserts of 100 sorted keys each: ten segments with disjoint [min, max].
    for i in 0..10 {
        s.execute(&format!("INSERT INTO t SELECT value, 'x' FROM generate_series({}, {})", i * 100, i * 100 + 99))
            .unwrap();
    }
    assert_eq!(
        scan_line(&db, "SELECT * FROM d.t"),
        "TesseraScan: table=d.t, partitions=1/1, tablets=1/1, segments=10/10, rows=1000"
    );
    assert_eq!(
        scan_line(&db, "SELECT * FROM d.t WHERE k >= 250 AND k < 420"),
        "TesseraScan: table=d.t, partitions=1/1, tablets=1/1, segments=3/10, rows=300"
    );
    assert_eq!(
        scan_line(&db, "SELECT * FROM d.t WHERE k IN (5, 905)"),
        "TesseraScan: table=d.t, partitions=1/1, tablets=1/1, segments=2/10, rows=200"
    );
    assert_eq!(
        scan_line(&db, "SELECT * FROM d.t WHERE k > 5000"),
        "TesseraScan: table=d.t, partitions=1/1, tablets=1/1, segments=0/10, rows=0"
    );
    let rows = s.query("SELECT count(*) FROM d.t WHERE k >= 250 AND k < 420").unwrap();
    let n = rows[0].column(0).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0);
    assert_eq!(n, 170);
    // Small inserts make small segments; compaction merges them and results do not change.
    for i in 0..5 {
        s.execute(&format!("INSERT INTO t VALUES ({}, 'small')", 2000 + i)).unwrap();
    }
    assert!(scan_line(&db, "SELECT * FROM d.t").contains("segments=15/15"));
    assert_eq!(db.compact().unwrap(), 1);
    assert!(scan_line(&db, "SELECT * FROM d.t").contains("segments=11/11"));
    let rows = s.query("SELECT count(*) FROM d.t").unwrap();
    let n = rows[0].column(0).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0);
    assert_eq!(n, 1005);
}
