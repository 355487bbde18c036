//! Bulk loading: FILES() over Parquet and CSV, and the Rust append API.

use std::sync::Arc;

use arrow::array::{Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use tessera::Database;

mod common;
use common::count;

fn write_parquet(path: &std::path::Path, start: i64, rows: i64) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("qty", DataType::Int32, true),
    ]));
    let ids: Vec<i64> = (start..start + rows).collect();
    let regions: Vec<String> = ids.iter().map(|i| ["north", "south", "east"][(*i % 3) as usize].to_string()).collect();
    let qty: Vec<i32> = ids.iter().map(|i| (*i % 100) as i32).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(ids)), Arc::new(StringArray::from(regions)), Arc::new(Int32Array::from(qty))],
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn setup(db: &Database) {
    db.session()
        .execute(
            "CREATE DATABASE l; USE l;
             CREATE TABLE t (id BIGINT NOT NULL, region VARCHAR(10), qty INT)
             DUPLICATE KEY(id)
             PARTITION BY LIST(region) (PARTITION n VALUES IN ('north'), PARTITION s VALUES IN ('south'), PARTITION e VALUES IN ('east'))
             DISTRIBUTED BY HASH(id) BUCKETS 2",
        )
        .unwrap();
}

#[test]
fn insert_from_parquet_files_with_a_glob() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("part-0.parquet"), 0, 5000);
    write_parquet(&dir.path().join("part-1.parquet"), 5000, 5000);
    std::fs::write(dir.path().join("notes.txt"), "not parquet").unwrap();
    let db = Database::open_temporary().unwrap();
    setup(&db);
    let pattern = dir.path().join("part-*.parquet");
    let sql =
        format!("INSERT INTO l.t SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"parquet\")", pattern.display());
    let result = db.session().execute_one(&sql).unwrap();
    assert_eq!(result.affected_rows, Some(10_000));
    assert_eq!(count(&db, "SELECT count(*) FROM l.t"), 10_000);
    assert_eq!(count(&db, "SELECT count(*) FROM l.t WHERE region = 'south'"), 3333);
    // Reading files directly, without loading them.
    let direct = format!(
        "SELECT count(*) FROM Files(\"path\" = \"file://{}\", \"format\" = \"parquet\") WHERE qty < 10",
        dir.path().join("part-0.parquet").display()
    );
    assert_eq!(count(&db, &direct), 500);
}

#[test]
fn insert_from_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    std::fs::write(&csv, "id|region|qty\n1|north|5\n2|east|\n3|south|7\n").unwrap();
    let db = Database::open_temporary().unwrap();
    setup(&db);
    let sql = format!(
        "INSERT INTO l.t SELECT * FROM FILES('path' = '{}', 'format' = 'csv', 'csv.column_separator' = '|', 'csv.skip_header' = '1')",
        csv.display()
    );
    db.session().execute(&sql).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM l.t WHERE qty IS NULL"), 1);
    assert_eq!(count(&db, "SELECT sum(qty) FROM l.t"), 12);
}

#[test]
fn files_errors_name_the_problem_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("p.parquet"), 0, 10);
    let db = Database::open_temporary().unwrap();
    setup(&db);
    let mut s = db.session();
    let missing = format!(
        "INSERT INTO l.t SELECT * FROM FILES('path' = '{}/nope.parquet', 'format' = 'parquet')",
        dir.path().display()
    );
    let err = s.execute(&missing).unwrap_err().to_string();
    assert!(err.contains("nope.parquet"), "{err}");
    let p = dir.path().join("p.parquet");
    let err = s
        .execute(&format!("SELECT * FROM FILES('path' = '{}', 'format' = 'orc')", p.display()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unsupported format"), "{err}");
    let err = s
        .execute(&format!("SELECT * FROM FILES('path' = '{}', 'format' = 'parquet', 'x' = 'y')", p.display()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown properties"), "{err}");
    let err = s.execute("SELECT * FROM FILES('format' = 'parquet')").unwrap_err().to_string();
    assert!(err.contains("\"path\" property is required"), "{err}");
    // A row for no partition rejects the whole load.
    let other = dir.path().join("other.parquet");
    write_parquet(&other, 0, 10);
    s.execute("ALTER TABLE l.t DROP PARTITION e").unwrap();
    let err = s
        .execute(&format!("INSERT INTO l.t SELECT * FROM FILES('path' = '{}', 'format' = 'parquet')", other.display()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no partition of table t accepts the row with region = east"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM l.t"), 0);
}

#[test]
fn append_arrow_batches_by_column_name() {
    let db = Database::open_temporary().unwrap();
    setup(&db);
    let schema = Arc::new(Schema::new(vec![
        Field::new("region", DataType::Utf8, false),
        Field::new("id", DataType::Int32, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(StringArray::from(vec!["north", "east"])), Arc::new(Int32Array::from(vec![1, 2]))],
    )
    .unwrap();
    assert_eq!(db.append("l", "t", &[batch.clone(), batch]).unwrap(), 4);
    assert_eq!(count(&db, "SELECT count(*) FROM l.t WHERE qty IS NULL"), 4);
    let bad = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("nope", DataType::Int32, false)])),
        vec![Arc::new(Int32Array::from(vec![1]))],
    )
    .unwrap();
    let err = db.append("l", "t", &[bad]).unwrap_err().to_string();
    assert!(err.contains("Unknown column 'nope'"), "{err}");
    let err = db.append("l", "zz", &[]).unwrap_err().to_string();
    assert!(err.contains("Unknown table 'l.zz'"), "{err}");
}

/// Every segment file under the data directory, by path.
fn segment_files(dir: &std::path::Path) -> std::collections::BTreeSet<std::path::PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    for tablet in std::fs::read_dir(dir.join("data")).unwrap() {
        for file in std::fs::read_dir(tablet.unwrap().path()).unwrap() {
            out.insert(file.unwrap().path());
        }
    }
    out
}

fn streaming_options(segment_max_rows: usize) -> tessera::Options {
    tessera::Options {
        insert_chunk_rows: 700,
        storage: tessera::StoreOptions { segment_max_rows, row_group_rows: 256, ..Default::default() },
        ..Default::default()
    }
}

#[test]
fn a_large_insert_streams_into_the_files_one_write_would_make() {
    let files = tempfile::tempdir().unwrap();
    write_parquet(&files.path().join("part-0.parquet"), 0, 5000);
    write_parquet(&files.path().join("part-1.parquet"), 5000, 5000);
    let sql = format!(
        "INSERT INTO l.t SELECT * FROM FILES(\"path\" = \"{}/part-*.parquet\", \"format\" = \"parquet\")",
        files.path().display()
    );
    // 10,000 rows in chunks of about 700 rows. With room for them all, each of the 6 tablets (3
    // partitions x 2 buckets) gets one file, however many chunks fed it; with 1,000 rows a file, each
    // tablet's 1,600-odd rows fill one file and start a second.
    for (max_rows, expected_files) in [(100_000, 6), (1000, 12)] {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open_with(dir.path(), streaming_options(max_rows)).unwrap();
        setup(&db);
        let result = db.session().execute_one(&sql).unwrap();
        assert_eq!(result.affected_rows, Some(10_000));
        assert_eq!(segment_files(dir.path()).len(), expected_files, "segment_max_rows {max_rows}");
        assert_eq!(count(&db, "SELECT count(*) FROM l.t"), 10_000);
        assert_eq!(count(&db, "SELECT sum(id) FROM l.t"), (0..10_000).sum::<i64>());
        assert_eq!(
            count(&db, "SELECT sum(qty) FROM l.t WHERE region = 'east'"),
            (0..10_000i64).filter(|i| i % 3 == 2).map(|i| i % 100).sum::<i64>()
        );
        assert_eq!(count(&db, "SELECT count(DISTINCT id) FROM l.t"), 10_000);
        // Reopened, the same rows (the files were committed whole).
        drop(db);
        let db = Database::open_with(dir.path(), streaming_options(max_rows)).unwrap();
        assert_eq!(count(&db, "SELECT count(*) FROM l.t WHERE region = 'south'"), 3333);
    }
}

#[test]
fn a_streaming_insert_that_fails_midway_leaves_nothing() {
    let files = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("qty", DataType::Int32, true),
    ]));
    // Row 9,000 has no qty: several chunks are written before the one that holds it.
    let ids: Vec<i64> = (0..10_000).collect();
    let regions: Vec<&str> = ids.iter().map(|i| ["north", "south", "east"][(*i % 3) as usize]).collect();
    let qty: Vec<Option<i32>> = ids.iter().map(|i| (*i != 9000).then_some(1)).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(ids)), Arc::new(StringArray::from(regions)), Arc::new(Int32Array::from(qty))],
    )
    .unwrap();
    let path = files.path().join("rows.parquet");
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), streaming_options(1000)).unwrap();
    db.session()
        .execute(
            "CREATE DATABASE l; USE l;
             CREATE TABLE t (id BIGINT NOT NULL, region VARCHAR(10), qty INT NOT NULL)
             DUPLICATE KEY(id)
             PARTITION BY LIST(region) (PARTITION n VALUES IN ('north'), PARTITION s VALUES IN ('south'), PARTITION e VALUES IN ('east'))
             DISTRIBUTED BY HASH(id) BUCKETS 2;
             INSERT INTO t VALUES (1, 'north', 5)",
        )
        .unwrap();
    let before = segment_files(dir.path());
    let sql =
        format!("INSERT INTO l.t SELECT * FROM FILES(\"path\" = \"{}\", \"format\" = \"parquet\")", path.display());
    let err = db.session().execute_one(&sql).unwrap_err().to_string();
    assert!(err.contains("column qty of table t is NOT NULL"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM l.t"), 1);
    assert_eq!(segment_files(dir.path()), before, "the files of the chunks written before the error are gone");

    // No rows at all still checks the columns.
    let err = db.session().execute_one("INSERT INTO l.t SELECT 1, 'north' WHERE false").unwrap_err().to_string();
    assert!(err.contains("expects 3 column(s) but the rows have 2"), "{err}");
    let err = db.session().execute_one("INSERT INTO l.t SELECT 1, 'west', 3").unwrap_err().to_string();
    assert!(err.contains("west"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM l.t"), 1);
    assert_eq!(segment_files(dir.path()), before);
}
