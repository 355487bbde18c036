//! Staging files for a restore: verified hard link, checksum mismatch, adoption as pending segments
//! that become visible only with their commit, and cleanup on open.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use tessera_storage::{Store, StoreOptions, TabletId, Transaction};

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn staged_files_are_verified_and_invisible_until_committed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions { compaction: false, ..Default::default() }).unwrap();

    // A real segment written to a tablet of no table, read back as the "repository" file.
    let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
    let written = store.write_segments(TabletId(999_999), &schema, &[batch]).unwrap();
    let meta = written[0].meta.clone();
    let source = outside.path().join("file.parquet");
    std::fs::copy(dir.path().join("data/999999").join(format!("{}.parquet", meta.id.0)), &source).unwrap();
    drop(written);

    // A good file is staged under its checksum.
    let staged = store.stage_file("restore-1", &meta.checksum, &source).unwrap();
    assert_eq!(staged.bytes, meta.bytes);
    assert!(staged.linked, "same filesystem: a hard link");
    assert!(staged.path.starts_with(dir.path().join("staging/restore-1")));

    // A wrong checksum is refused and leaves no file.
    let bogus = blake3_hex(b"something else");
    let err = store.stage_file("restore-1", &bogus, &source).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    assert!(!dir.path().join("staging/restore-1").join(format!("{bogus}.parquet")).exists());

    // Adoption gives a fresh id; dropping it uncommitted removes the link.
    let pending = store.adopt_staged(TabletId(5), &[(&staged, &meta)]).unwrap().pop().unwrap();
    assert_ne!(pending.meta.id, meta.id);
    let path = dir.path().join("data/5").join(format!("{}.parquet", pending.meta.id.0));
    assert!(path.exists());
    drop(pending);
    assert!(!path.exists());
    assert!(store.snapshot().tablet(TabletId(5)).is_none());

    // A transaction naming a tablet that does not exist commits nothing.
    let pending = store.adopt_staged(TabletId(5), &[(&staged, &meta), (&staged, &meta)]).unwrap();
    assert_eq!(pending.len(), 2, "one staged file can become several segments");
    let mut txn = Transaction::new();
    txn.append(TabletId(5), pending);
    assert!(store.commit(txn).is_err());

    // Staging is emptied on open.
    drop(store);
    let store = Store::open(dir.path(), StoreOptions { compaction: false, ..Default::default() }).unwrap();
    assert_eq!(std::fs::read_dir(dir.path().join("staging")).unwrap().count(), 0);
    assert!(!dir.path().join("data/5").exists() || std::fs::read_dir(dir.path().join("data/5")).unwrap().count() == 0);
    store.release_staging("restore-1").unwrap();
    assert!(store.release_staging("../x").is_err());
}

/// A source on another filesystem is copied (and hashed while copying). Runs only where `/dev/shm` is a
/// different filesystem from the temporary directory.
#[test]
fn a_source_on_another_filesystem_is_copied_and_verified() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let Ok(other) = tempfile::tempdir_in("/dev/shm") else { return };
    if std::fs::metadata(dir.path()).unwrap().dev() == std::fs::metadata(other.path()).unwrap().dev() {
        return;
    }
    let store = Store::open(dir.path(), StoreOptions { compaction: false, ..Default::default() }).unwrap();
    let bytes = b"not really parquet, but bytes are bytes".to_vec();
    let source = other.path().join("file.parquet");
    std::fs::write(&source, &bytes).unwrap();
    let staged = store.stage_file("restore-7", &blake3_hex(&bytes), &source).unwrap();
    assert!(!staged.linked, "a copy across filesystems");
    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    let err = store.stage_file("restore-7", &blake3_hex(b"other"), &source).unwrap_err();
    assert!(err.to_string().contains("but the manifest records"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path().join("staging/restore-7")).unwrap().count(), 1, "the bad copy is removed");
}
