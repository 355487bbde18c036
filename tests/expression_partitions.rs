//! Expression partitioning under concurrency and across restarts: writers that need the same new
//! partition at the same moment create it once and lose no row (SQL INSERTs and `Database::append`
//! alike), and automatic partitions, their names and SHOW CREATE TABLE survive close and reopen.

use std::sync::{Arc, Barrier};

use arrow::array::{Array, Date32Array, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use tessera::Database;

mod common;
use common::count;

fn strings(db: &Database, sql: &str, column: &str) -> Vec<String> {
    let result = db.session().execute_one(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for batch in &result.batches {
        let index = batch.schema().index_of(column).expect("column");
        let values = batch.column(index).as_any().downcast_ref::<StringArray>().expect("strings");
        out.extend((0..values.len()).map(|i| values.value(i).to_string()));
    }
    out
}

const WRITERS: usize = 6;
const ROUNDS: usize = 12;
const ROWS: usize = 10;

#[test]
fn concurrent_writers_create_each_partition_once_and_lose_no_row() {
    let db = Database::open_temporary().expect("open");
    db.session()
        .execute(
            "CREATE DATABASE c; USE c;
             CREATE TABLE events (day DATE NOT NULL, writer INT, i INT)
             PARTITION BY date_trunc('day', day) DISTRIBUTED BY HASH(i) BUCKETS 3;
             CREATE TABLE cities (city STRING, writer INT, i INT) PARTITION BY city",
        )
        .expect("create");
    // Each round, every writer needs the same new day (and the same new city) at once.
    let barrier = Arc::new(Barrier::new(WRITERS));
    let threads: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (db, barrier) = (db.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut session = db.session();
                for round in 0..ROUNDS {
                    barrier.wait();
                    let day = format!("2024-01-{:02}", round + 1);
                    if writer == 0 {
                        // The bulk API takes the same path.
                        let schema = Arc::new(Schema::new(vec![
                            Field::new("day", DataType::Date32, false),
                            Field::new("writer", DataType::Int32, true),
                            Field::new("i", DataType::Int32, true),
                        ]));
                        let days_since_epoch = 19_723 + round as i32; // 2024-01-01 + round
                        let batch = RecordBatch::try_new(
                            schema,
                            vec![
                                Arc::new(Date32Array::from(vec![days_since_epoch; ROWS])),
                                Arc::new(Int32Array::from(vec![writer as i32; ROWS])),
                                Arc::new(Int32Array::from((0..ROWS as i32).collect::<Vec<_>>())),
                            ],
                        )
                        .expect("batch");
                        db.append("c", "events", &[batch]).expect("append");
                    } else {
                        let rows: Vec<String> = (0..ROWS).map(|i| format!("('{day}', {writer}, {i})")).collect();
                        session.execute(&format!("INSERT INTO c.events VALUES {}", rows.join(", "))).expect("insert");
                    }
                    let rows: Vec<String> = (0..ROWS).map(|i| format!("('city {round}', {writer}, {i})")).collect();
                    session.execute(&format!("INSERT INTO c.cities VALUES {}", rows.join(", "))).expect("insert");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer");
    }

    let expected_days: Vec<String> = (1..=ROUNDS).map(|d| format!("p202401{d:02}")).collect();
    assert_eq!(strings(&db, "SHOW PARTITIONS FROM c.events", "PartitionName"), expected_days);
    let per_partition = (WRITERS * ROWS).to_string();
    assert!(
        strings(&db, "SHOW PARTITIONS FROM c.events", "RowCount").iter().all(|n| *n == per_partition),
        "every day holds {per_partition} rows"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM c.events"), (WRITERS * ROUNDS * ROWS) as i64);

    // One partition per city, named without a uniqueness suffix: nobody created a second one.
    let mut cities = strings(&db, "SHOW PARTITIONS FROM c.cities", "PartitionName");
    cities.sort();
    let mut expected: Vec<String> = (0..ROUNDS).map(|r| format!("pcity{r}")).collect();
    expected.sort();
    assert_eq!(cities, expected);
    assert_eq!(count(&db, "SELECT count(*) FROM c.cities"), (WRITERS * ROUNDS * ROWS) as i64);
}

#[test]
fn automatic_partitions_survive_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    let create_sql;
    {
        let db = Database::open(dir.path()).expect("open");
        db.session()
            .execute(
                "CREATE DATABASE d; USE d;
                 CREATE TABLE t (ts DATETIME, city VARCHAR(20), v INT) PARTITION BY time_slice(ts, INTERVAL 6 hour);
                 CREATE TABLE l (city VARCHAR(20), v INT) PARTITION BY (city);
                 INSERT INTO t VALUES ('2024-05-01 05:00:00', 'a', 1), ('2024-05-01 06:00:00', 'b', 2);
                 INSERT INTO l VALUES ('Zürich', 1), (NULL, 2);",
            )
            .expect("setup");
        create_sql = strings(&db, "SHOW CREATE TABLE d.t", "Create Table");
        db.close().expect("close");
    }
    let db = Database::open(dir.path()).expect("reopen");
    assert_eq!(strings(&db, "SHOW CREATE TABLE d.t", "Create Table"), create_sql);
    assert_eq!(strings(&db, "SHOW PARTITIONS FROM d.t", "PartitionName"), ["p2024050100", "p2024050106"]);
    assert_eq!(strings(&db, "SHOW PARTITIONS FROM d.l", "PartitionName"), ["pZfcrich", "pNULL"]);
    // After the restart, rows reuse the partitions they belong to and create the missing ones.
    db.session()
        .execute("INSERT INTO d.t VALUES ('2024-05-01 11:59:59', 'c', 3), ('2024-05-01 12:00:00', 'd', 4)")
        .expect("insert");
    db.session().execute("INSERT INTO d.l VALUES (NULL, 3), ('zürich', 4)").expect("insert");
    assert_eq!(
        strings(&db, "SHOW PARTITIONS FROM d.t", "PartitionName"),
        ["p2024050100", "p2024050106", "p2024050112"]
    );
    assert_eq!(strings(&db, "SHOW PARTITIONS FROM d.l", "PartitionName"), ["pZfcrich", "pNULL", "pzfcrich_5bf2ada3"]);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 4);
    assert_eq!(count(&db, "SELECT count(*) FROM d.l WHERE city IS NULL"), 2);
}
