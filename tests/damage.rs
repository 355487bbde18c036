//! Damaged or littered data directories: clear errors, never a panic; crash leftovers are removed.

use std::path::{Path, PathBuf};

use tessera::Database;

mod common;
use common::count;

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for tablet in std::fs::read_dir(dir.join("data")).unwrap().flatten() {
        for file in std::fs::read_dir(tablet.path()).unwrap().flatten() {
            out.push(file.path());
        }
    }
    out.sort();
    out
}

fn populated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.session()
        .execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING); INSERT INTO t VALUES (1, 'a'), (2, 'b');")
        .unwrap();
    db.close().unwrap();
    dir
}

/// The error of a statement that must fail.
fn error(db: &Database, sql: &str) -> String {
    match db.session().execute(sql) {
        Ok(_) => panic!("{sql} succeeded on a damaged table"),
        Err(e) => e.to_string(),
    }
}

/// `d.t` (2 rows) and `d.u` (1 row) in a closed directory, each table's data in one segment file;
/// returns the directory and t's file.
fn two_tables() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.session()
        .execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING); INSERT INTO t VALUES (1, 'a'), (2, 'b');")
        .unwrap();
    let before = segment_files(dir.path());
    db.session().execute("CREATE TABLE d.u (a INT); INSERT INTO d.u VALUES (7)").unwrap();
    db.close().unwrap();
    (dir, before[0].clone())
}

/// A damaged segment is contained to its table: the directory opens, the other table reads and
/// writes, statements on the damaged table fail naming the table and the file, and DROP repairs it.
fn assert_contained(dir: &Path, file: &Path, damage: &str) {
    let db = Database::open(dir).unwrap_or_else(|e| panic!("{damage}: the directory must still open: {e}"));
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 1, "{damage}: the other table reads");
    db.session().execute("INSERT INTO d.u VALUES (8)").unwrap();
    let err = error(&db, "SELECT * FROM d.t");
    assert!(
        err.contains("d.t") && err.contains(&file.display().to_string()) && err.contains("RESTORE"),
        "{damage}: {err}"
    );
    let err = error(&db, "SELECT sum(k) FROM d.t");
    assert!(err.contains(&file.display().to_string()), "{damage}: {err}");
    db.session().execute("DROP TABLE d.t").unwrap();
    db.session().execute("CREATE TABLE d.t (k INT, v STRING); INSERT INTO d.t VALUES (3, 'c')").unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 2);
}

#[test]
fn a_missing_segment_file_damages_only_its_table() {
    let (dir, file) = two_tables();
    std::fs::remove_file(&file).unwrap();
    assert_contained(dir.path(), &file, "missing");
}

#[test]
fn a_truncated_segment_file_damages_only_its_table() {
    let (dir, file) = two_tables();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    assert_contained(dir.path(), &file, "truncated");
}

#[test]
fn a_flipped_bit_anywhere_in_a_segment_is_caught_before_its_rows_are_used() {
    // Once, one bit flipped in a data page returned wrong sums with no error. Every byte position
    // is tried in a sample spread over the file (magic, data pages, footer), in plain and primary-key
    // tables; each read must fail naming the file, never return rows.
    for model in ["", "PRIMARY KEY(k)"] {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let sql = format!(
            "CREATE DATABASE d; USE d; CREATE TABLE t (k INT NOT NULL, v STRING) {model} DISTRIBUTED BY HASH(k) BUCKETS 1;
             INSERT INTO t SELECT value, concat('v', value) FROM generate_series(1, 2000);"
        );
        db.session().execute(&sql).unwrap();
        db.close().unwrap();
        let file = segment_files(dir.path()).pop().unwrap();
        let original = std::fs::read(&file).unwrap();
        let step = (original.len() / 23).max(1);
        for (trial, position) in (0..original.len()).step_by(step).enumerate() {
            let mut bytes = original.clone();
            bytes[position] ^= 1 << (trial % 8);
            std::fs::write(&file, &bytes).unwrap();
            let db = Database::open(dir.path()).unwrap();
            let err = error(&db, "SELECT sum(k), count(*) FROM d.t");
            assert!(
                err.contains("damaged") && err.contains(&file.display().to_string()),
                "{model}: flip at byte {position}: {err}"
            );
            db.close().unwrap();
        }
        std::fs::write(&file, &original).unwrap();
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(count(&db, "SELECT sum(k) FROM d.t"), 2001000, "{model}: the repaired file reads again");
    }
}

#[test]
fn a_damaged_table_is_repaired_by_restore_and_cannot_be_backed_up() {
    let (dir, file) = two_tables();
    let repo = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.session().execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", repo.path().display())).unwrap();
        let job = db.session().execute_one("BACKUP SNAPSHOT d.good TO r").unwrap().job.unwrap();
        assert_eq!(db.wait_for_backup(job).unwrap().state, tessera::BackupState::Finished);
        db.close().unwrap();
    }
    // Flip one byte in place: the repository (another filesystem or not) keeps its own good copy only
    // if it copied; here it is a temporary folder, so on the same filesystem it shares the inode.
    // Replace the file instead, as a disk error rewriting the block would.
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    let db = Database::open(dir.path()).unwrap();
    // The snapshot is taken when the BACKUP is submitted, and that is where the file is checked.
    let err = error(&db, "BACKUP SNAPSHOT d.bad TO r");
    assert!(err.contains("damaged") && err.contains(&file.display().to_string()), "{err}");
    let shown = db.session().query("SHOW SNAPSHOT ON r").unwrap();
    let rows: usize = shown.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 1, "only the good snapshot exists");
    let timestamp = {
        let b = &shown[0];
        let column = b.column(b.schema().index_of("Timestamp").unwrap());
        column.as_any().downcast_ref::<arrow::array::StringArray>().unwrap().value(0).to_string()
    };
    let job = db
        .session()
        .execute_one(&format!(
            "RESTORE SNAPSHOT d.good FROM r ON (t) PROPERTIES (\"backup_timestamp\" = \"{timestamp}\")"
        ))
        .unwrap()
        .job
        .unwrap();
    let restored = db.wait_for_restore(job).unwrap();
    assert_eq!(restored.state, tessera::RestoreState::Finished, "{}", restored.status);
    assert_eq!(count(&db, "SELECT sum(k) FROM d.t"), 3, "the restored rows");
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 1);
}

#[test]
fn a_missing_catalog_is_refused_and_nothing_is_deleted() {
    // Once: delete meta/CURRENT, open twice, and every table was gone and every segment deleted.
    let dir = populated();
    let files = segment_files(dir.path());
    let current = dir.path().join("meta/CURRENT");
    let saved = std::fs::read(&current).unwrap();
    std::fs::remove_file(&current).unwrap();
    for attempt in 0..2 {
        let err = Database::open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("meta/CURRENT is missing") && err.contains("refusing to open"),
            "attempt {attempt}: {err}"
        );
        assert!(!current.exists(), "attempt {attempt}: no new catalog was started");
        assert_eq!(segment_files(dir.path()), files, "attempt {attempt}: no segment file was deleted");
    }
    std::fs::write(&current, saved).unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 2, "putting CURRENT back recovers everything");
    db.close().unwrap();

    // The whole meta/ folder gone.
    let meta = dir.path().join("meta");
    let moved = tempfile::tempdir().unwrap();
    std::fs::rename(&meta, moved.path().join("meta")).unwrap();
    for attempt in 0..2 {
        let err = Database::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("catalog") && err.contains("is missing") && err.contains("1 segment files"), "{err}");
        assert!(!meta.join("CURRENT").exists(), "attempt {attempt}: no new catalog was started");
        assert_eq!(segment_files(dir.path()), files, "attempt {attempt}: no segment file was deleted");
    }
    // A new, empty catalog put in its place is refused too.
    {
        let other = tempfile::tempdir().unwrap();
        Database::open(other.path()).unwrap().close().unwrap();
        std::fs::rename(other.path().join("meta"), &meta).unwrap();
    }
    let err = Database::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is new") && err.contains("segment files"), "{err}");
    assert_eq!(segment_files(dir.path()), files);
    std::fs::remove_dir_all(&meta).unwrap();
    std::fs::rename(moved.path().join("meta"), &meta).unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 2);
}

#[test]
fn rocksdb_info_logs_do_not_pile_up() {
    let dir = populated();
    for _ in 0..12 {
        Database::open(dir.path()).unwrap().close().unwrap();
    }
    let logs = std::fs::read_dir(dir.path().join("meta"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("LOG.old"))
        .count();
    assert!(logs <= 4, "{logs} old info logs kept");
}

#[test]
fn crash_leftovers_are_removed_on_open_and_data_survives() {
    let dir = populated();
    let live = segment_files(dir.path());
    let tablet_dir = live[0].parent().unwrap().to_path_buf();
    std::fs::write(tablet_dir.join("999999.parquet"), b"half-written").unwrap();
    std::fs::create_dir_all(dir.path().join("data/424242")).unwrap();
    std::fs::write(dir.path().join("data/424242/1.parquet"), b"orphan").unwrap();
    std::fs::write(dir.path().join("staging/leftover"), b"x").unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(segment_files(dir.path()), live);
    assert!(!dir.path().join("data/424242").exists());
    assert!(!dir.path().join("staging/leftover").exists());
    let rows = db.session().query("SELECT count(*) FROM d.t").unwrap();
    let n = rows[0].column(0).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().value(0);
    assert_eq!(n, 2);
}

#[test]
fn replaced_segments_are_deleted_once_no_reader_needs_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    s.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
        .unwrap();
    assert_eq!(segment_files(dir.path()).len(), 2);
    s.execute("DELETE FROM t WHERE k = 1").unwrap();
    assert_eq!(segment_files(dir.path()).len(), 1, "the rewritten segment's old file is gone");
    s.execute("TRUNCATE TABLE t").unwrap();
    assert!(segment_files(dir.path()).is_empty());
}
