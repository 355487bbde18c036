//! Criterion micro-benchmarks of Tessera's hot paths, each on a temporary database:
//!
//! - `segment_write`: [`Database::append`] of 100,000 rows (one segment per touched tablet);
//! - `scan`: a point query that partition, bucket and segment pruning narrow to one tablet, and the
//!   full scan it avoids;
//! - `small_insert`: the latency of a one-row INSERT (a segment file, its fsyncs and a metadata commit);
//! - `snapshot`: BACKUP of a table of 1,000 small segment files to a same-filesystem repository that
//!   already holds them: the cost that grows with the number of files, not their bytes.
//!
//! ```text
//! cargo bench --manifest-path benches/micro/Cargo.toml [-- FILTER]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tessera::datafusion::arrow::array::{Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use tessera::datafusion::arrow::datatypes::{DataType, Field, Schema};
use tessera::Database;

#[path = "../../common/mod.rs"]
mod common;

const ROWS: i64 = 100_000;

fn database(ddl: &str) -> Database {
    let db = Database::open_temporary().expect("a temporary database");
    db.session().execute(&format!("CREATE DATABASE m; USE m; {ddl}")).expect("schema");
    db
}

/// `ROWS` rows starting at key `first`: a key, a day of 2024 derived from it, a measure and a label.
fn batch(first: i64) -> RecordBatch {
    let keys: Vec<i64> = (first..first + ROWS).collect();
    let schema = Schema::new(vec![
        Field::new("k", DataType::Int64, false),
        Field::new("d", DataType::Date32, false),
        Field::new("v", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
    ]);
    // 19723 is 2024-01-01 in days since the epoch.
    let days = Date32Array::from_iter_values(keys.iter().map(|k| 19723 + (k % 366) as i32));
    let values = Float64Array::from_iter_values(keys.iter().map(|k| *k as f64 * 0.5));
    let labels = StringArray::from_iter_values(keys.iter().map(|k| format!("label-{}", k % 1000)));
    RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int64Array::from(keys)), Arc::new(days), Arc::new(values), Arc::new(labels)],
    )
    .expect("the columns match the schema")
}

const TABLE: &str = "CREATE TABLE t (k BIGINT NOT NULL, d DATE NOT NULL, v DOUBLE, s STRING)
    DUPLICATE KEY(k)
    PARTITION BY RANGE(d) (
      PARTITION q1 VALUES LESS THAN ('2024-04-01'), PARTITION q2 VALUES LESS THAN ('2024-07-01'),
      PARTITION q3 VALUES LESS THAN ('2024-10-01'), PARTITION q4 VALUES LESS THAN ('2025-01-01'))
    DISTRIBUTED BY HASH(k) BUCKETS 4";

fn segment_write(c: &mut Criterion) {
    let db = database(TABLE);
    let data = batch(0);
    let mut group = c.benchmark_group("segment_write");
    group.throughput(Throughput::Elements(ROWS as u64)).sample_size(20);
    group.bench_function("append 100k rows", |b| b.iter(|| db.append("m", "t", std::slice::from_ref(&data))));
    group.finish();
}

fn scan(c: &mut Criterion) {
    let db = database(TABLE);
    for i in 0..10 {
        db.append("m", "t", &[batch(i * ROWS)]).expect("load");
    }
    db.compact().expect("compact");
    let mut session = db.session();
    session.execute("USE m").expect("use");
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    group.bench_function("point query, pruned to one tablet", |b| {
        b.iter(|| session.query("SELECT v FROM t WHERE d = '2024-02-11' AND k = 123456").expect("query"))
    });
    group.bench_function("full scan aggregate, 1M rows", |b| {
        b.iter(|| session.query("SELECT count(*), sum(v) FROM t").expect("query"))
    });
    group.finish();
}

fn small_insert(c: &mut Criterion) {
    let db = database("CREATE TABLE small (k BIGINT NOT NULL, s STRING) DISTRIBUTED BY HASH(k) BUCKETS 1");
    let mut session = db.session();
    session.execute("USE m").expect("use");
    let mut group = c.benchmark_group("small_insert");
    group.sample_size(20);
    group.bench_function("INSERT one row", |b| {
        b.iter(|| session.execute("INSERT INTO small VALUES (1, 'one row')").expect("insert"))
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let db = database("CREATE TABLE many (k BIGINT NOT NULL, s STRING) DISTRIBUTED BY HASH(k) BUCKETS 1");
    let repo = tempfile::tempdir().expect("repository directory");
    let mut session = db.session();
    session.execute("USE m").expect("use");
    for i in 0..1000 {
        session.execute(&format!("INSERT INTO many VALUES ({i}, 'file {i}')")).expect("insert");
    }
    session.execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", repo.path().display())).expect("repository");
    let label = AtomicU64::new(0);
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("BACKUP of 1000 segment files, unchanged", |b| {
        b.iter(|| {
            let n = label.fetch_add(1, Ordering::Relaxed);
            common::run_backup(&db, &format!("BACKUP SNAPSHOT m.s{n} TO r")).expect("BACKUP")
        })
    });
    group.finish();
}

criterion_group!(benches, segment_write, scan, small_insert, snapshot);
criterion_main!(benches);
