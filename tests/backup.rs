//! BACKUP jobs: deduplication, consistency under concurrent writes, cancellation, restarts, and
//! compaction while a snapshot is held.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::StringArray;
use tessera::{BackupState, Database, Options, StoreOptions};

mod common;
use common::{count, wait_until, ChildProcess};

fn repo_root(location: &Path, name: &str) -> PathBuf {
    location.join(format!("__tessera_repository_{name}"))
}

fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.insert(e.path());
            }
        }
    }
    out
}

fn manifests(location: &Path, repo: &str, label: &str) -> Vec<serde_json::Value> {
    files_under(&repo_root(location, repo).join("snapshots").join(label))
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

fn manifest_rows(manifest: &serde_json::Value) -> i64 {
    let mut rows = 0;
    for table in manifest["tables"].as_array().unwrap() {
        for tablet in table["tablets"].as_array().unwrap() {
            for segment in tablet["segments"].as_array().unwrap() {
                rows += segment["rows"].as_i64().unwrap();
            }
        }
    }
    rows
}

/// Every data file a manifest names is in the repository and has the checksum it records.
fn verify_manifest_files(location: &Path, repo: &str, manifest: &serde_json::Value) {
    for table in manifest["tables"].as_array().unwrap() {
        for tablet in table["tablets"].as_array().unwrap() {
            for segment in tablet["segments"].as_array().unwrap() {
                let checksum = segment["checksum"].as_str().unwrap();
                let path =
                    repo_root(location, repo).join("data").join(&checksum[..2]).join(format!("{checksum}.parquet"));
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(blake3::hash(&bytes).to_hex().to_string(), checksum);
            }
        }
    }
}

fn setup(db: &Database, repo_location: &Path) {
    db.session()
        .execute(&format!(
            "CREATE DATABASE d; USE d;
             CREATE TABLE t (k BIGINT NOT NULL, v STRING) DISTRIBUTED BY HASH(k) BUCKETS 3;
             CREATE REPOSITORY r ON LOCATION '{}'",
            repo_location.display()
        ))
        .unwrap();
}

fn start_backup(db: &Database, sql: &str) -> u64 {
    db.session().execute_one(sql).unwrap().job.expect("BACKUP returns its job")
}

#[test]
fn unchanged_data_is_stored_once_and_changes_store_only_new_files() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    setup(&db, location.path());
    for i in 0..4 {
        db.session()
            .execute(&format!(
                "INSERT INTO d.t SELECT value, 'x{i}' FROM generate_series({}, {})",
                i * 1000,
                i * 1000 + 999
            ))
            .unwrap();
    }
    let first = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.full1 TO r")).unwrap();
    assert_eq!(first.state, BackupState::Finished, "{}", first.status);
    assert_eq!(first.files_deduplicated, 0);
    let stored = files_under(&repo_root(location.path(), "r").join("data"));
    assert_eq!(stored.len() as u64, first.files_total);

    let second = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.full2 TO r")).unwrap();
    assert_eq!(second.state, BackupState::Finished, "{}", second.status);
    assert_eq!(second.files_deduplicated, second.files_total, "an unchanged database stores no new data file");
    assert_eq!(files_under(&repo_root(location.path(), "r").join("data")), stored);

    db.session().execute("INSERT INTO d.t VALUES (99999, 'new')").unwrap();
    let third = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.full3 TO r")).unwrap();
    assert_eq!(third.files_total - third.files_deduplicated, 1, "only the new segment is stored");
    assert_eq!(files_under(&repo_root(location.path(), "r").join("data")).len(), stored.len() + 1);

    // Every snapshot is a full logical snapshot, and dropping one does not break another.
    let m3 = &manifests(location.path(), "r", "full3")[0];
    assert_eq!(manifest_rows(m3), 4001);
    db.session().execute("DROP SNAPSHOT full1 ON r; DROP SNAPSHOT full2 ON r").unwrap();
    verify_manifest_files(location.path(), "r", m3);
    db.session().execute("DROP SNAPSHOT full3 ON r").unwrap();
    assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty(), "garbage collected");
}

#[test]
fn a_backup_taken_during_inserts_holds_exactly_whole_batches_up_to_its_pin() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let options = Options {
        storage: StoreOptions {
            segment_max_rows: 64,
            row_group_rows: 32,
            compaction: true,
            compaction_min_segments: 4,
        },
        ..Options::default()
    };
    let db = Database::open_with(data.path(), options).unwrap();
    setup(&db, location.path());
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicI64::new(0));
    let writer = {
        let (db, stop, next) = (db.clone(), stop.clone(), next.clone());
        std::thread::spawn(move || {
            let mut s = db.session();
            while !stop.load(Ordering::Relaxed) {
                let b = next.fetch_add(1, Ordering::SeqCst);
                let rows: Vec<String> = (0..10).map(|i| format!("({}, 'b{b}')", b * 10 + i)).collect();
                s.execute(&format!("INSERT INTO d.t VALUES {}", rows.join(","))).unwrap();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let before = count(&db, "SELECT count(*) FROM d.t");
    let job = start_backup(&db, "BACKUP SNAPSHOT d.during TO r");
    let after = count(&db, "SELECT count(*) FROM d.t");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let summary = db.wait_for_backup(job).unwrap();
    assert_eq!(summary.state, BackupState::Finished, "{}", summary.status);
    let manifest = &manifests(location.path(), "r", "during")[0];
    let rows = manifest_rows(manifest);
    assert!(before <= rows && rows <= after, "snapshot has {rows} rows; {before} before and {after} after submission");
    assert_eq!(rows % 10, 0, "every batch is whole in the snapshot");
    assert!(count(&db, "SELECT count(*) FROM d.t") > rows, "inserts kept running after the pin");
    verify_manifest_files(location.path(), "r", manifest);
}

fn slow_options() -> Options {
    Options {
        storage: StoreOptions {
            segment_max_rows: 10,
            row_group_rows: 10,
            compaction: false,
            compaction_min_segments: 8,
        },
        backup_file_delay: Duration::from_millis(100),
        ..Options::default()
    }
}

fn wait_for_state(db: &Database, job: u64, state: BackupState) {
    for _ in 0..6000 {
        if db.backup_job(job).unwrap().state == state {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("job {job} never reached {state}: {:?}", db.backup_job(job));
}

#[test]
fn cancel_while_uploading_removes_what_the_job_wrote() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_with(data.path(), slow_options()).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 200)").unwrap();
    let job = start_backup(&db, "BACKUP SNAPSHOT d.cancelled TO r");
    wait_for_state(&db, job, BackupState::Uploading);
    wait_until("the first uploaded file", || db.backup_job(job).unwrap().files_done > 0);
    db.session().execute("USE d; CANCEL BACKUP").unwrap();
    let summary = db.backup_job(job).unwrap();
    assert_eq!(summary.state, BackupState::Cancelled, "CANCEL is synchronous");
    assert_eq!(summary.status, "[COMMON_ERROR, msg: user cancelled]");
    assert!(summary.files_done > 0 && summary.files_done < summary.files_total, "{summary:?}");
    assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty(), "uploaded files are removed");
    assert!(files_under(&repo_root(location.path(), "r").join("snapshots")).is_empty());
    assert!(files_under(&data.path().join("snapshots")).is_empty(), "the hard-link snapshot is released");
    // The label can be used again.
    let again = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.cancelled TO r")).unwrap();
    assert_eq!(again.state, BackupState::Finished, "{}", again.status);
}

#[test]
fn one_job_per_database_and_no_drop_while_running() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_with(data.path(), slow_options()).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 100)").unwrap();
    let job = start_backup(&db, "BACKUP SNAPSHOT d.first TO r");
    let err = db.session().execute("BACKUP SNAPSHOT d.second TO r").unwrap_err().to_string();
    assert_eq!(err, "Can only run one backup or restore job of a database at same time");
    db.session().execute("CREATE DATABASE other; CREATE TABLE other.t (k INT)").unwrap();
    let err = db.session().execute("BACKUP SNAPSHOT other.first TO r").unwrap_err().to_string();
    assert_eq!(err, "Snapshot with name 'first' already exist in repository", "a label being written is taken");
    let err = db.session().execute("DROP REPOSITORY r").unwrap_err().to_string();
    assert_eq!(err, "Backup or restore job is running on this repository. Can not drop it");
    let err = db.session().execute("DROP SNAPSHOT first ON r").unwrap_err().to_string();
    assert_eq!(err, "Can not drop snapshot first: a backup is writing it");
    // SHOW BACKUP reports the running job's progress.
    let shown = db.session().execute_one("SHOW BACKUP FROM d").unwrap();
    let state = shown.batches[0].column(3).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    assert!(
        ["UPLOAD_SNAPSHOT", "UPLOADING", "SNAPSHOTING", "SAVE_META", "UPLOAD_INFO"].contains(&state.as_str()),
        "{state}"
    );
    assert_eq!(db.wait_for_backup(job).unwrap().state, BackupState::Finished);
}

#[test]
fn compaction_and_deletes_do_not_disturb_a_running_backup() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_with(data.path(), slow_options()).unwrap();
    setup(&db, location.path());
    for i in 0..6 {
        db.session().execute(&format!("INSERT INTO d.t VALUES ({i}, 'v')")).unwrap();
    }
    let job = start_backup(&db, "BACKUP SNAPSHOT d.held TO r");
    assert!(db.compact().unwrap() > 0);
    db.session().execute("DELETE FROM d.t WHERE k >= 0").unwrap();
    let summary = db.wait_for_backup(job).unwrap();
    assert_eq!(summary.state, BackupState::Finished, "{}", summary.status);
    let manifest = &manifests(location.path(), "r", "held")[0];
    assert_eq!(manifest_rows(manifest), 6);
    verify_manifest_files(location.path(), "r", manifest);
}

#[test]
fn repository_locations_are_checked() {
    let data = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    let inside = data.path().join("data");
    let err = db
        .session()
        .execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", inside.display()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is inside the data directory"), "{err}");
    let file = data.path().join("tessera.lock");
    let err =
        db.session().execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", file.display())).unwrap_err().to_string();
    assert!(err.contains("is not a directory"), "{err}");
    // Re-creating a repository on a location that holds one adopts it and its snapshots.
    let location = tempfile::tempdir().unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t VALUES (1, 'a')").unwrap();
    db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.kept TO r")).unwrap();
    db.session().execute("DROP REPOSITORY r").unwrap();
    db.session().execute(&format!("CREATE REPOSITORY r2 ON LOCATION '{}'", location.path().display())).unwrap();
    let shown = db.session().execute_one("SHOW SNAPSHOT ON r2").unwrap();
    assert_eq!(shown.num_rows(), 0, "another name is another repository");
    db.session().execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", location.path().display())).unwrap();
    let shown = db.session().execute_one("SHOW SNAPSHOT ON r").unwrap();
    assert_eq!(shown.num_rows(), 1);
}

#[test]
fn closing_the_database_cancels_running_jobs_and_reopen_reports_them() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let job = {
        let db = Database::open_with(data.path(), slow_options()).unwrap();
        setup(&db, location.path());
        db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 100)").unwrap();
        let job = start_backup(&db, "BACKUP SNAPSHOT d.closed TO r");
        wait_for_state(&db, job, BackupState::Uploading);
        db.close().unwrap();
        job
    };
    let db = Database::open(data.path()).unwrap();
    let summary = db.backup_job(job).unwrap();
    assert_eq!(summary.state, BackupState::Cancelled);
    assert!(summary.status.contains("the database was closed"), "{}", summary.status);
    assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty());
}

const CHILD_DIR: &str = "TESSERA_BACKUP_CHILD_DIR";
const CHILD_REPO: &str = "TESSERA_BACKUP_CHILD_REPO";

/// Starts a slow backup and waits to be killed. A no-op unless run by the test below.
#[test]
fn backup_child_process() {
    let (Ok(dir), Ok(repo)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_REPO)) else { return };
    let db = Database::open_with(&dir, slow_options()).unwrap();
    setup(&db, Path::new(&repo));
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 300)").unwrap();
    let job = start_backup(&db, "BACKUP SNAPSHOT d.killed TO r");
    wait_for_state(&db, job, BackupState::Uploading);
    println!("uploading {job}");
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_job_interrupted_by_sigkill_is_cancelled_on_reopen() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "backup_child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, data.path())
        .env(CHILD_REPO, location.path());
    let mut child = ChildProcess::spawn(command);
    let line = child.wait_for_line("uploading ", common::WAIT_LIMIT);
    let job: u64 = line.split("uploading ").nth(1).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    eprintln!("{}", child.kill());
    let db = Database::open(data.path()).unwrap();
    let summary = db.backup_job(job).unwrap();
    assert_eq!(summary.state, BackupState::Cancelled);
    assert!(summary.status.contains("Tessera stopped while the job was in state UPLOADING"), "{}", summary.status);
    assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty(), "leftovers removed");
    let shown = db.session().execute_one("SHOW SNAPSHOT ON r").unwrap();
    assert_eq!(shown.num_rows(), 0, "no half-snapshot is reported");
    // The database is usable and a new backup works.
    let again = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.killed TO r")).unwrap();
    assert_eq!(again.state, BackupState::Finished, "{}", again.status);
}

#[test]
fn a_damaged_manifest_is_not_reported_as_usable_and_protects_data_from_collection() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t VALUES (1, 'a')").unwrap();
    db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.one TO r")).unwrap();
    db.session().execute("INSERT INTO d.t VALUES (2, 'b')").unwrap();
    db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.two TO r")).unwrap();
    let manifest = files_under(&repo_root(location.path(), "r").join("snapshots/one")).into_iter().next().unwrap();
    let timestamp = manifest.file_name().unwrap().to_string_lossy().replace(".manifest.json", "");
    std::fs::write(&manifest, b"{ truncated").unwrap();
    let detail = db
        .session()
        .execute_one(&format!("SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'one' AND TIMESTAMP = '{timestamp}'"))
        .unwrap();
    let status = detail.batches[0].column(4).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    assert!(status.starts_with("Failed to get info: repository corruption: manifest one/"), "{status}");
    // While a manifest cannot be read, dropping another snapshot deletes no data file.
    let before = files_under(&repo_root(location.path(), "r").join("data"));
    db.session().execute("DROP SNAPSHOT two ON r").unwrap();
    assert_eq!(files_under(&repo_root(location.path(), "r").join("data")), before);
    // A label folder with no manifest at all is reported as no snapshot.
    std::fs::remove_file(&manifest).unwrap();
    let brief = db.session().execute_one("SHOW SNAPSHOT ON r").unwrap();
    let status = brief.batches[0].column(2).as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string();
    assert_eq!(status, "ERROR: no snapshot");
}

#[test]
fn a_job_that_runs_out_of_time_ends_with_the_timeout_status() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let options = Options { backup_timeout: Some(Duration::from_millis(300)), ..slow_options() };
    let db = Database::open_with(data.path(), options).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 200)").unwrap();
    let summary = db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.slow TO r")).unwrap();
    assert_eq!(summary.state, BackupState::Cancelled);
    assert_eq!(summary.status, "[TIMEOUT, msg: ]");
    assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty(), "uploaded files are removed");
    let shown = db.session().execute_one("SHOW SNAPSHOT ON r").unwrap();
    assert_eq!(shown.num_rows(), 0);
}

#[test]
fn a_job_can_be_cancelled_in_every_state() {
    use std::sync::mpsc;
    for target in [
        BackupState::Snapshoting,
        BackupState::UploadSnapshot,
        BackupState::Uploading,
        BackupState::SaveMeta,
        BackupState::UploadInfo,
    ] {
        let data = tempfile::tempdir().unwrap();
        let location = tempfile::tempdir().unwrap();
        // The hook holds the job in `target` until the test releases it.
        let (arrived_tx, arrived_rx) = mpsc::channel::<u64>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let hook = tessera::JobHook(Arc::new(move |id, state| {
            if state == target {
                let _ = arrived_tx.send(id);
                let _ = release_rx.lock().unwrap().recv_timeout(Duration::from_secs(30));
            }
        }));
        let options = Options { backup_hook: Some(hook), ..Options::default() };
        let db = Database::open_with(data.path(), options).unwrap();
        setup(&db, location.path());
        db.session().execute("INSERT INTO d.t VALUES (1, 'a'), (2, 'b')").unwrap();
        let job = start_backup(&db, "BACKUP SNAPSHOT d.held TO r");
        assert_eq!(arrived_rx.recv_timeout(Duration::from_secs(30)).unwrap(), job);
        assert_eq!(db.backup_job(job).unwrap().state, target, "SHOW BACKUP reports the state the job is in");
        let canceller = {
            let db = db.clone();
            std::thread::spawn(move || db.session().execute("CANCEL BACKUP FROM d").map(|_| ()))
        };
        wait_until("CANCEL BACKUP to be requested", || db.backup_job(job).unwrap().cancel_requested);
        release_tx.send(()).unwrap();
        canceller.join().unwrap().unwrap_or_else(|e| panic!("cancel in {target}: {e}"));
        let summary = db.backup_job(job).unwrap();
        assert_eq!(summary.state, BackupState::Cancelled, "cancel in {target}");
        assert_eq!(summary.status, "[COMMON_ERROR, msg: user cancelled]");
        assert!(files_under(&repo_root(location.path(), "r").join("data")).is_empty(), "cancel in {target}");
        assert!(files_under(&repo_root(location.path(), "r").join("snapshots")).is_empty(), "cancel in {target}");
        assert!(files_under(&data.path().join("snapshots")).is_empty(), "cancel in {target}");
    }
}

#[test]
fn a_job_of_a_dropped_database_can_still_be_cancelled() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_with(data.path(), slow_options()).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 100)").unwrap();
    let job = start_backup(&db, "BACKUP SNAPSHOT d.orphaned TO r");
    wait_for_state(&db, job, BackupState::Uploading);
    db.session().execute("DROP DATABASE d").unwrap();
    db.session().execute("CANCEL BACKUP FROM d").unwrap();
    assert_eq!(db.backup_job(job).unwrap().state, BackupState::Cancelled);
    let err = db.session().execute("CANCEL BACKUP FROM d").unwrap_err().to_string();
    assert!(err.contains("can not be cancelled. state: CANCELLED"), "{err}");
}

#[test]
fn an_enormous_timeout_is_refused_rather_than_wrapping() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    setup(&db, location.path());
    let err = db
        .session()
        .execute("BACKUP SNAPSHOT d.x TO r PROPERTIES ('timeout' = '18446744073709551615')")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Invalid timeout format: 18446744073709551615");
}

#[test]
fn temporary_files_of_a_killed_copy_are_removed_and_a_live_ones_kept() {
    // A BACKUP killed while copying left `<checksum>.parquet.tmp-<pid>-<n>` files that survived every
    // later backup and DROP SNAPSHOT.
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    setup(&db, location.path());
    db.session().execute("INSERT INTO d.t VALUES (1, 'a')").unwrap();
    assert_eq!(
        db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.first TO r")).unwrap().state,
        BackupState::Finished
    );
    let folder = repo_root(location.path(), "r").join("data/ab");
    std::fs::create_dir_all(&folder).unwrap();
    // No process has pid 4194305 (above Linux's largest pid).
    let dead = folder.join(format!("{}.parquet.tmp-4194305-7", "ab".repeat(32)));
    let live = folder.join(format!("{}.parquet.tmp-{}-7", "ab".repeat(32), std::process::id()));
    db.session().execute("INSERT INTO d.t VALUES (2, 'b')").unwrap();
    assert_eq!(
        db.wait_for_backup(start_backup(&db, "BACKUP SNAPSHOT d.second TO r")).unwrap().state,
        BackupState::Finished
    );
    let kept_snapshot = repo_root(location.path(), "r").join("snapshots/second");
    let dead_manifest = kept_snapshot.join("__manifest.tmp-4194305-1");
    for f in [&dead, &live, &dead_manifest] {
        std::fs::write(f, b"half a file").unwrap();
    }
    db.session().execute("DROP SNAPSHOT first ON r").unwrap_or_else(|e| panic!("{e}"));
    assert!(!dead.exists(), "the dead process's temporary data file is removed");
    assert!(!dead_manifest.exists(), "the dead process's temporary manifest is removed");
    assert!(live.exists(), "a live process's temporary file is kept");
    let shown = db.session().execute_one("SHOW SNAPSHOT ON r").unwrap();
    assert_eq!(shown.num_rows(), 1, "the other snapshot is intact");
}

#[test]
fn a_repository_on_the_data_directorys_filesystem_is_announced() {
    let data = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    let same = tempfile::tempdir_in(data.path().parent().unwrap()).unwrap();
    let created =
        db.session().execute_one(&format!("CREATE REPOSITORY near ON LOCATION '{}'", same.path().display())).unwrap();
    assert_eq!(created.warnings.len(), 1, "{:?}", created.warnings);
    assert!(
        created.warnings[0].contains("same filesystem") && created.warnings[0].contains("near"),
        "{:?}",
        created.warnings
    );
    // /dev/shm is a tmpfs of its own on Linux.
    if let Ok(other) = tempfile::tempdir_in("/dev/shm") {
        use std::os::unix::fs::MetadataExt;
        let different = std::fs::metadata(other.path()).unwrap().dev() != std::fs::metadata(data.path()).unwrap().dev();
        let created = db
            .session()
            .execute_one(&format!("CREATE REPOSITORY far ON LOCATION '{}'", other.path().display()))
            .unwrap();
        assert_eq!(created.warnings.is_empty(), different, "{:?}", created.warnings);
    }
}
