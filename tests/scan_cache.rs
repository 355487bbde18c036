//! The cache of decoded column data (`Options::scan_cache_bytes`): queries answer the same with and
//! without it, through deletes, upserts, compaction and drops; its memory stays under the bound; and a
//! dropped or compacted segment frees its share.

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use tessera::{Database, Options, StoreOptions};

fn options(cache_bytes: usize) -> Options {
    Options {
        storage: StoreOptions {
            segment_max_rows: 700,
            row_group_rows: 100,
            compaction: false,
            compaction_min_segments: 3,
        },
        threads: 2,
        scan_cache_bytes: cache_bytes,
        ..Options::default()
    }
}

const QUERIES: [&str; 9] = [
    "SELECT count(*), sum(v), min(s), max(s) FROM d.dup",
    "SELECT k, v, s FROM d.dup WHERE k BETWEEN 1200 AND 1300 ORDER BY k, v",
    "SELECT g, count(*), sum(v) FROM d.dup WHERE k % 7 = 3 GROUP BY g ORDER BY g",
    "SELECT count(*) FROM d.dup WHERE k > 2500",
    "SELECT count(*), sum(v) FROM d.pk",
    "SELECT k, v, s FROM d.pk WHERE k < 40 OR k > 2970 ORDER BY k",
    "SELECT p.g, count(*) FROM d.dup p JOIN d.pk q ON p.k = q.k WHERE q.v % 2 = 0 GROUP BY p.g ORDER BY p.g",
    "SELECT k FROM d.dup ORDER BY k DESC LIMIT 3",
    "SELECT count(*) FROM (SELECT * FROM d.pk LIMIT 10) t",
];

fn render(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

fn answers(db: &Database) -> Vec<String> {
    let mut s = db.session();
    QUERIES.iter().map(|q| render(&s.query(q).unwrap())).collect()
}

/// A duplicate-key table and a primary-key table with upserts and deletes, over many segments of
/// several row groups each.
fn load(db: &Database) {
    let mut s = db.session();
    s.execute(
        "CREATE DATABASE d; USE d;
         CREATE TABLE dup (k BIGINT NOT NULL, g INT NOT NULL, v BIGINT, s VARCHAR(20)) DUPLICATE KEY(k)
             DISTRIBUTED BY HASH(k) BUCKETS 2;
         CREATE TABLE pk (k BIGINT NOT NULL, v BIGINT, s VARCHAR(20)) PRIMARY KEY(k)
             DISTRIBUTED BY HASH(k) BUCKETS 2",
    )
    .unwrap();
    for i in 0..3 {
        s.execute(&format!(
            "INSERT INTO dup SELECT value, value % 5, value * 3, concat('s', value) FROM generate_series({}, {})",
            i * 1000,
            i * 1000 + 999
        ))
        .unwrap();
    }
    s.execute("INSERT INTO pk SELECT value, value AS v, concat('a', value) FROM generate_series(0, 2999)").unwrap();
}

/// Deletes, upserts and a compaction, each changing what the cached segments mean to a reader.
fn change(db: &Database) {
    let mut s = db.session();
    s.execute("DELETE FROM d.dup WHERE k % 10 = 0").unwrap();
    s.execute("INSERT INTO d.pk SELECT value, value * 100, 'upserted' FROM generate_series(100, 400)").unwrap();
    s.execute("DELETE FROM d.pk WHERE k BETWEEN 1000 AND 1999").unwrap();
    s.execute("INSERT INTO d.dup VALUES (5000, 1, 1, 'late'), (5001, 2, 2, 'late')").unwrap();
}

#[test]
fn results_are_the_same_with_and_without_the_cache() {
    let off = Database::open_temporary_with(options(0)).unwrap();
    let on = Database::open_temporary_with(options(64 << 20)).unwrap();
    let tiny = Database::open_temporary_with(options(16 << 10)).unwrap();
    for db in [&off, &on, &tiny] {
        load(db);
    }
    let expected = answers(&off);
    assert_eq!(off.scan_cache_stats().used_bytes, 0, "capacity zero caches nothing");
    for db in [&on, &tiny] {
        assert_eq!(answers(db), expected, "cold");
        assert_eq!(answers(db), expected, "warm");
    }
    assert!(on.scan_cache_stats().hits > 0);

    for db in [&off, &on, &tiny] {
        change(db);
    }
    let expected = answers(&off);
    for db in [&on, &tiny] {
        assert_eq!(answers(db), expected, "after deletes and upserts");
    }
    for db in [&off, &on, &tiny] {
        db.compact().unwrap();
    }
    for db in [&on, &tiny] {
        assert_eq!(answers(db), expected, "after compaction");
    }
    assert_eq!(answers(&off), expected);
}

#[test]
fn memory_stays_under_the_bound() {
    let capacity = 96 << 10;
    let db = Database::open_temporary_with(options(capacity)).unwrap();
    load(&db);
    let mut misses = 0;
    for _ in 0..2 {
        answers(&db);
        let stats = db.scan_cache_stats();
        assert!(stats.used_bytes <= capacity, "{stats:?}");
        assert!(stats.columns > 0 && stats.footers > 0, "{stats:?}");
        // The data is larger than the cache: the second pass decodes again what was evicted.
        assert!(stats.misses > misses, "{stats:?}");
        misses = stats.misses;
    }
}

#[test]
fn dropped_and_compacted_segments_free_their_memory() {
    let db = Database::open_temporary_with(options(64 << 20)).unwrap();
    load(&db);
    let mut s = db.session();
    // Small segments for compaction to merge.
    for i in 0..4 {
        s.execute(&format!("INSERT INTO d.dup VALUES ({i}, 0, 0, 'small'), ({}, 0, 0, 'small')", i + 1)).unwrap();
    }
    s.query("SELECT sum(v) FROM d.pk").unwrap();
    let only_pk = db.scan_cache_stats();
    assert!(only_pk.used_bytes > 0, "{only_pk:?}");
    s.query("SELECT sum(v), max(s) FROM d.dup").unwrap();
    let both = db.scan_cache_stats();
    assert!(both.used_bytes > only_pk.used_bytes, "{both:?}");

    // Compaction replaces dup's segments: once no reader holds the old ones, their columns are gone.
    let before = db.scan_cache_stats();
    assert!(db.compact().unwrap() > 0);
    assert!(db.scan_cache_stats().used_bytes < before.used_bytes, "{:?}", db.scan_cache_stats());

    s.query("SELECT sum(v), max(s) FROM d.dup").unwrap();
    assert!(db.scan_cache_stats().used_bytes > 0);
    s.execute("DROP TABLE d.dup").unwrap();
    s.execute("DROP TABLE d.pk").unwrap();
    let after = db.scan_cache_stats();
    assert_eq!((after.used_bytes, after.columns, after.footers), (0, 0, 0), "{after:?}");
}
