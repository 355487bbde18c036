//! Damaged or littered data directories: clear errors, never a panic; crash leftovers are removed.

use std::path::{Path, PathBuf};

use tessera::Database;

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

#[test]
fn a_missing_segment_file_is_reported_by_name() {
    let dir = populated();
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 1);
    std::fs::remove_file(&files[0]).unwrap();
    let err = Database::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is missing") && err.contains(&files[0].display().to_string()), "{err}");
}

#[test]
fn a_truncated_segment_file_is_reported_by_name() {
    let dir = populated();
    let file = &segment_files(dir.path())[0];
    let bytes = std::fs::read(file).unwrap();
    std::fs::write(file, &bytes[..bytes.len() / 2]).unwrap();
    let err = Database::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("data corruption") && err.contains("bytes, the metadata says"), "{err}");
}

#[test]
fn corrupted_segment_bytes_fail_the_query_not_the_process() {
    let dir = populated();
    let file = &segment_files(dir.path())[0];
    let mut bytes = std::fs::read(file).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n - 64..n - 8] {
        *b ^= 0x5a;
    }
    std::fs::write(file, &bytes).unwrap();
    let db = Database::open(dir.path()).unwrap();
    let result = db.session().execute("SELECT * FROM d.t");
    assert!(result.is_err(), "reading a corrupted file must fail");
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
