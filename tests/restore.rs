//! RESTORE jobs: cancel before the commit, queries during a restore, a restart in the middle of a job,
//! and a damaged repository file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use arrow::array::Int64Array;
use tessera::{Database, Options, RestoreState, StoreOptions};

mod common;
use common::{count, wait_until, ChildProcess};

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

fn fast_options() -> Options {
    Options { backup_file_delay: Duration::ZERO, ..slow_options() }
}

/// Database `d` with `t` (300 rows, in 30 segment files) and `u` (1 row), backed up as `s` in `r`;
/// then `t` gets 5 more rows and `u` is dropped.
fn setup(db: &Database, repo_location: &Path) {
    db.session()
        .execute(&format!(
            "CREATE DATABASE d; USE d;
             CREATE TABLE t (k BIGINT NOT NULL, v STRING) DISTRIBUTED BY HASH(k) BUCKETS 3;
             CREATE TABLE u (a INT);
             INSERT INTO u VALUES (1);
             CREATE REPOSITORY r ON LOCATION '{}'",
            repo_location.display()
        ))
        .unwrap();
    db.session().execute("INSERT INTO d.t SELECT value, 'x' FROM generate_series(1, 300)").unwrap();
    let job = db.session().execute_one("BACKUP SNAPSHOT d.s TO r").unwrap().job.expect("BACKUP returns its job");
    let done = db.wait_for_backup(job).unwrap();
    assert_eq!(done.state, tessera::BackupState::Finished, "{}", done.status);
    db.session().execute("INSERT INTO d.t VALUES (1000, 'new'), (1001, 'new'), (1002, 'new'), (1003, 'new'), (1004, 'new'); DROP TABLE d.u").unwrap();
}

fn start_restore(db: &Database, sql: &str) -> u64 {
    db.session().execute_one(sql).unwrap().job.expect("RESTORE returns its job")
}

fn wait_for_state(db: &Database, job: u64, state: RestoreState) {
    for _ in 0..6000 {
        if db.restore_job(job).unwrap().state == state {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("job {job} never reached {state}: {:?}", db.restore_job(job));
}

fn table_exists(db: &Database, name: &str) -> bool {
    let shown = db.session().execute_one("SHOW TABLES FROM d").unwrap();
    shown.batches.iter().any(|b| {
        let names = b.column(0).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        names.iter().any(|n| n == Some(name))
    })
}

/// Holds a restore job when it enters a state, until released (see [`hold_at`]).
struct Hold {
    arrived: std::sync::mpsc::Receiver<u64>,
    release: std::sync::mpsc::Sender<()>,
}

impl Hold {
    /// Waits until the job is held; returns its id.
    fn arrived(&self) -> u64 {
        self.arrived.recv_timeout(Duration::from_secs(30)).expect("the job reaches the held state")
    }

    fn release(&self) {
        self.release.send(()).expect("the job is held");
    }
}

/// A restore hook that stops the job (on its own thread) when it enters `target`.
fn hold_at(target: RestoreState) -> (tessera::RestoreHook, Hold) {
    let (arrived_tx, arrived) = std::sync::mpsc::channel::<u64>();
    let (release, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = std::sync::Mutex::new(release_rx);
    let hook = tessera::RestoreHook(std::sync::Arc::new(move |id, state| {
        if state == target {
            let _ = arrived_tx.send(id);
            if let Ok(rx) = release_rx.lock() {
                let _ = rx.recv_timeout(Duration::from_secs(30));
            }
        }
    }));
    (hook, Hold { arrived, release })
}

fn staging_entries(db: &Database) -> usize {
    std::fs::read_dir(db.path().join("staging")).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn cancel_before_the_commit_changes_nothing() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(slow_options()).unwrap();
    setup(&db, location.path());
    let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
    wait_for_state(&db, job, RestoreState::Downloading);
    // The job enters DOWNLOADING just before it stages its first file: wait for that file.
    for _ in 0..6000 {
        if staging_entries(&db) > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(staging_entries(&db) > 0, "the job stages its files");
    let err = db.session().execute_one("RESTORE SNAPSHOT d.s FROM r").unwrap_err();
    assert!(err.to_string().contains("Can only run one backup or restore job of a database at same time"), "{err}");
    let err = db.session().execute_one("BACKUP SNAPSHOT d.other TO r").unwrap_err();
    assert!(err.to_string().contains("Can only run one backup or restore job of a database at same time"), "{err}");
    // The table being restored refuses writes and DDL; queries read the old rows.
    for sql in [
        "INSERT INTO d.t VALUES (2000, 'late')",
        "DELETE FROM d.t WHERE k = 1",
        "TRUNCATE TABLE d.t",
        "ALTER TABLE d.t ADD COLUMN c INT",
        "DROP TABLE d.t",
        "DROP DATABASE d",
    ] {
        let err = db.session().execute_one(sql).unwrap_err();
        assert!(err.to_string().contains("Table t is in restore process. Can not load into it"), "{sql}: {err}");
    }
    let batch = arrow::array::RecordBatch::try_new(
        std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
            "k",
            arrow::datatypes::DataType::Int64,
            false,
        )])),
        vec![std::sync::Arc::new(Int64Array::from(vec![3000]))],
    )
    .unwrap();
    let err = db.append("d", "t", &[batch]).unwrap_err();
    assert!(err.to_string().contains("is in restore process"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305);
    let err = db.session().execute_one("DROP REPOSITORY r").unwrap_err();
    assert!(err.to_string().contains("Backup or restore job is running on this repository"), "{err}");
    let shown = db.session().execute_one("SHOW RESTORE FROM d").unwrap();
    assert_eq!(shown.schema.fields().len(), 18);
    let state =
        shown.batches[0].column(4).as_any().downcast_ref::<arrow::array::StringArray>().unwrap().value(0).to_string();
    assert_eq!(state, "DOWNLOADING");
    db.session().execute_one("CANCEL RESTORE FROM d").unwrap();
    let summary = db.restore_job(job).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert_eq!(summary.status, "[COMMON_ERROR, msg: user cancelled, current state: DOWNLOADING]");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305, "the existing table is untouched");
    assert!(!table_exists(&db, "u"), "no table is created by a cancelled restore");
    assert_eq!(staging_entries(&db), 0, "the staging folder is removed");
    db.session().execute_one("INSERT INTO d.t VALUES (2000, 'late')").unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 306, "writes are accepted again after the job");
    // The slot is free again, and a full restore works.
    let again = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(again.state, RestoreState::Finished, "{}", again.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300);
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 1);
}

#[test]
fn queries_during_a_restore_see_the_old_data_until_the_commit() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(slow_options()).unwrap();
    setup(&db, location.path());
    let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r ON (t)");
    wait_for_state(&db, job, RestoreState::Downloading);
    let mut seen = Vec::new();
    let deadline = Instant::now() + common::WAIT_LIMIT;
    while !db.restore_job(job).unwrap().state.is_done() {
        assert!(Instant::now() < deadline, "the restore did not end within {:?}", common::WAIT_LIMIT);
        let before = db.restore_job(job).unwrap().state;
        let n = count(&db, "SELECT count(*) FROM d.t");
        let after = db.restore_job(job).unwrap().state;
        if after < RestoreState::Committing {
            assert_eq!(n, 305, "a query that ended before COMMITTING ({before} -> {after}) read the old rows");
        }
        assert!(n == 305 || n == 300, "a query sees the old or the new table, never a mix: {n}");
        seen.push(n);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(seen.contains(&305));
    let summary = db.wait_for_restore(job).unwrap();
    assert_eq!(summary.state, RestoreState::Finished, "{}", summary.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t WHERE v = 'new'"), 0);
}

#[test]
fn a_damaged_repository_file_cancels_the_job_and_changes_nothing() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(fast_options()).unwrap();
    setup(&db, location.path());
    // Replace one data file with different bytes (a new inode: the original may be hard-linked to a
    // live segment).
    let data = location.path().join("__tessera_repository_r").join("data");
    let victim: PathBuf = std::fs::read_dir(&data)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .next()
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    let replacement = victim.with_extension("tmp");
    std::fs::write(&replacement, &bytes).unwrap();
    std::fs::rename(&replacement, &victim).unwrap();

    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.starts_with("[COMMON_ERROR, msg: staging data file"), "{}", summary.status);
    assert!(summary.status.contains("but the manifest records"), "{}", summary.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305);
    assert!(!table_exists(&db, "u"));
    assert_eq!(staging_entries(&db), 0);
    let shown = db.session().execute_one("SHOW RESTORE FROM d").unwrap();
    assert_eq!(shown.batches[0].num_rows(), 1);
}

const CHILD_DIR: &str = "TESSERA_RESTORE_CHILD_DIR";
const CHILD_REPO: &str = "TESSERA_RESTORE_CHILD_REPO";

/// Starts a slow restore and waits to be killed. A no-op unless run by the test below.
#[test]
fn restore_child_process() {
    let (Ok(dir), Ok(repo)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_REPO)) else { return };
    let db = Database::open_with(&dir, slow_options()).unwrap();
    setup(&db, Path::new(&repo));
    let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
    wait_for_state(&db, job, RestoreState::Downloading);
    println!("downloading {job}");
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_restore_interrupted_by_sigkill_is_cancelled_on_reopen_and_changed_nothing() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "restore_child_process", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, data.path())
        .env(CHILD_REPO, location.path());
    let mut child = ChildProcess::spawn(command);
    let line = child.wait_for_line("downloading ", common::WAIT_LIMIT);
    let job: u64 = line.split("downloading ").nth(1).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    eprintln!("{}", child.kill());
    assert!(std::fs::read_dir(data.path().join("staging")).unwrap().count() > 0, "the killed job left staged files");

    let db = Database::open_with(data.path(), fast_options()).unwrap();
    let summary = db.restore_job(job).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.contains("Tessera stopped while the job was in state DOWNLOADING"), "{}", summary.status);
    assert_eq!(staging_entries(&db), 0, "staging is emptied on open");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305, "the old data is intact");
    assert!(!table_exists(&db, "u"));
    // The table the killed job had put in state RESTORE is NORMAL again.
    db.session().execute_one("INSERT INTO d.t VALUES (2000, 'late')").unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 306);
    let again = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(again.state, RestoreState::Finished, "{}", again.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300);
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 1);
}

#[test]
fn a_restore_that_runs_out_of_time_ends_with_the_timeout_status_and_changes_nothing() {
    let location = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open_with(dir.path(), fast_options()).unwrap();
        setup(&db, location.path());
    }
    let db =
        Database::open_with(dir.path(), Options { backup_timeout: Some(Duration::from_millis(1)), ..slow_options() })
            .unwrap();
    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert_eq!(summary.status, "[TIMEOUT, msg: restore job with label: s  timeout.]");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305);
    assert!(!table_exists(&db, "u"));
    db.session().execute_one("INSERT INTO d.t VALUES (2000, 'late')").unwrap();
}

/// Any data file of the repository (a new inode is written, so live segments are never touched).
fn some_data_file(location: &Path) -> PathBuf {
    let data = location.join("__tessera_repository_r").join("data");
    std::fs::read_dir(&data)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .next()
        .unwrap()
}

fn replace_file(path: &Path, bytes: &[u8]) {
    let replacement = path.with_extension("replacement");
    std::fs::write(&replacement, bytes).unwrap();
    std::fs::rename(&replacement, path).unwrap();
}

fn the_manifest(location: &Path) -> PathBuf {
    let dir = location.join("__tessera_repository_r").join("snapshots").join("s");
    std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()).next().unwrap()
}

/// The database is exactly as `setup` left it.
fn unchanged(db: &Database) {
    assert_eq!(count(db, "SELECT count(*) FROM d.t"), 305);
    assert!(!table_exists(db, "u"));
    assert_eq!(staging_entries(db), 0);
}

#[test]
fn a_truncated_or_missing_data_file_cancels_the_job_naming_it_and_changes_nothing() {
    for damage in ["truncate", "remove"] {
        let location = tempfile::tempdir().unwrap();
        let db = Database::open_temporary_with(fast_options()).unwrap();
        setup(&db, location.path());
        let victim = some_data_file(location.path());
        let name = victim.file_name().unwrap().to_string_lossy().to_string();
        if damage == "truncate" {
            let bytes = std::fs::read(&victim).unwrap();
            replace_file(&victim, &bytes[..bytes.len() / 2]);
        } else {
            std::fs::remove_file(&victim).unwrap();
        }
        let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
        assert_eq!(summary.state, RestoreState::Cancelled, "{damage}");
        assert!(summary.status.contains(&name[..16]), "{damage}: the status names the file: {}", summary.status);
        unchanged(&db);
    }
}

#[test]
fn a_damaged_manifest_or_one_from_a_newer_format_is_refused_and_changes_nothing() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(fast_options()).unwrap();
    setup(&db, location.path());
    let manifest = the_manifest(location.path());
    let original = std::fs::read(&manifest).unwrap();

    replace_file(&manifest, &original[..original.len() / 3]);
    let err = db.session().execute("RESTORE SNAPSHOT d.s FROM r").unwrap_err().to_string();
    assert!(err.contains("manifest s/") && err.contains("cannot be read"), "{err}");
    unchanged(&db);

    let mut newer: serde_json::Value = serde_json::from_slice(&original).unwrap();
    newer["format"] = serde_json::json!(99);
    replace_file(&manifest, &serde_json::to_vec(&newer).unwrap());
    let err = db.session().execute("RESTORE SNAPSHOT d.s FROM r").unwrap_err().to_string();
    assert!(err.contains("has format 99; this build reads up to 4"), "{err}");
    unchanged(&db);

    // With the manifest intact again, the restore works.
    replace_file(&manifest, &original);
    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Finished, "{}", summary.status);
    assert!(table_exists(&db, "u"));
}

const STATES_BEFORE_COMMIT: [RestoreState; 5] = [
    RestoreState::Snapshoting,
    RestoreState::Download,
    RestoreState::Downloading,
    RestoreState::Commit,
    RestoreState::Committing,
];

#[test]
fn a_restore_can_be_cancelled_in_every_state_and_changes_nothing() {
    for target in STATES_BEFORE_COMMIT {
        let location = tempfile::tempdir().unwrap();
        let (hook, hold) = hold_at(target);
        let db = Database::open_temporary_with(Options { restore_hook: Some(hook), ..fast_options() }).unwrap();
        setup(&db, location.path());
        let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
        assert_eq!(hold.arrived(), job);
        assert_eq!(db.restore_job(job).unwrap().state, target);
        let canceller = {
            let db = db.clone();
            std::thread::spawn(move || db.session().execute("CANCEL RESTORE FROM d").map(|_| ()))
        };
        wait_until("CANCEL RESTORE to be requested", || db.restore_job(job).unwrap().cancel_requested);
        hold.release();
        canceller.join().unwrap().unwrap_or_else(|e| panic!("cancel in {target}: {e}"));
        let summary = db.restore_job(job).unwrap();
        assert_eq!(summary.state, RestoreState::Cancelled, "cancel in {target}");
        unchanged(&db);
        db.session().execute("INSERT INTO d.t VALUES (2000, 'writable again')").unwrap();
    }
}

const KILL_CHILD_DIR: &str = "TESSERA_RESTORE_KILL_DIR";
const KILL_CHILD_REPO: &str = "TESSERA_RESTORE_KILL_REPO";
const KILL_CHILD_STATE: &str = "TESSERA_RESTORE_KILL_STATE";

/// Runs a restore that stops (for good) when it reaches a given state. A no-op unless run by the test
/// below.
#[test]
fn restore_kill_child_process() {
    let (Ok(dir), Ok(repo), Ok(target)) =
        (std::env::var(KILL_CHILD_DIR), std::env::var(KILL_CHILD_REPO), std::env::var(KILL_CHILD_STATE))
    else {
        return;
    };
    let hook = tessera::RestoreHook(std::sync::Arc::new(move |_, state| {
        if state.to_string() == target {
            println!("reached {state}");
            std::thread::sleep(Duration::from_secs(120));
        }
    }));
    let db = Database::open_with(&dir, Options { restore_hook: Some(hook), ..fast_options() }).unwrap();
    setup(&db, Path::new(&repo));
    let _ = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_process_killed_at_any_step_of_a_restore_reopens_to_the_old_or_the_restored_state_exactly() {
    for target in STATES_BEFORE_COMMIT.into_iter().chain([RestoreState::Finished]) {
        let data = tempfile::tempdir().unwrap();
        let location = tempfile::tempdir().unwrap();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "restore_kill_child_process", "--nocapture", "--test-threads=1"])
            .env(KILL_CHILD_DIR, data.path())
            .env(KILL_CHILD_REPO, location.path())
            .env(KILL_CHILD_STATE, target.to_string());
        let mut child = ChildProcess::spawn(command);
        let _ = child.wait_for_line("reached ", common::WAIT_LIMIT);
        eprintln!("{}", child.kill());
        let db = Database::open(data.path()).unwrap();
        let shown = db.session().execute_one("SHOW RESTORE FROM d").unwrap();
        let state = shown.batches[0]
            .column(4)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap()
            .value(0)
            .to_string();
        if target == RestoreState::Finished {
            assert_eq!(state, "FINISHED", "killed just after the commit");
            assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300, "the restored rows, exactly");
            assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 1);
        } else {
            assert_eq!(state, "CANCELLED", "killed in {target}");
            unchanged(&db);
        }
        db.session()
            .execute("INSERT INTO d.t VALUES (3000, 'writable')")
            .unwrap_or_else(|e| panic!("after {target}: {e}"));
    }
}

#[test]
fn an_io_failure_while_staging_cancels_the_job_and_changes_nothing() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(fast_options()).unwrap();
    setup(&db, location.path());
    // The staging area becomes unusable (as a full or failing disk would make it).
    let staging = db.path().join("staging");
    std::fs::remove_dir_all(&staging).unwrap();
    std::fs::write(&staging, b"not a folder").unwrap();
    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.contains("staging"), "the status says where it failed: {}", summary.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305);
    assert!(!table_exists(&db, "u"));
    db.session().execute("INSERT INTO d.t VALUES (4000, 'writable')").unwrap();
    // Once the disk is usable again, the same restore works.
    std::fs::remove_file(&staging).unwrap();
    std::fs::create_dir(&staging).unwrap();
    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Finished, "{}", summary.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300);
}

#[test]
fn tables_being_restored_show_their_state_refuse_writes_and_serve_reads() {
    let location = tempfile::tempdir().unwrap();
    let (hook, hold) = hold_at(RestoreState::Committing);
    let db = Database::open_temporary_with(Options { restore_hook: Some(hook), ..fast_options() }).unwrap();
    setup(&db, location.path());
    let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
    hold.arrived();
    let state_of = |sql: &str, column: &str| -> String {
        let result = db.session().execute_one(sql).unwrap();
        let batch = &result.batches[0];
        let index = batch.schema().index_of(column).unwrap();
        batch.column(index).as_any().downcast_ref::<arrow::array::StringArray>().unwrap().value(0).to_string()
    };
    assert_eq!(state_of("SHOW TABLES FROM d", "State"), "RESTORE");
    assert_eq!(state_of("SHOW PARTITIONS FROM d.t", "State"), "RESTORE");
    let err = db.session().execute("INSERT INTO d.t VALUES (9, 'no')").unwrap_err().to_string();
    assert_eq!(err, "Table t is in restore process. Can not load into it");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305, "reads see the data from before the restore");
    hold.release();
    let summary = db.wait_for_restore(job).unwrap();
    assert_eq!(summary.state, RestoreState::Finished, "{}", summary.status);
    assert_eq!(state_of("SHOW TABLES FROM d", "State"), "NORMAL");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 300);
}

#[test]
fn a_damaged_repository_info_file_is_reported_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    {
        let db = Database::open_with(data.path(), fast_options()).unwrap();
        setup(&db, location.path());
        db.close().unwrap();
    }
    let info = location.path().join("__tessera_repository_r").join("repository.json");
    let bytes = std::fs::read(&info).unwrap();
    replace_file(&info, &bytes[..bytes.len() / 2]);
    let db = Database::open_with(data.path(), fast_options()).unwrap();
    let shown = db.session().execute_one("SHOW REPOSITORIES").unwrap();
    let index = shown.batches[0].schema().index_of("ErrMsg").unwrap();
    let message = shown.batches[0]
        .column(index)
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap()
        .value(0)
        .to_string();
    assert!(message.contains("repository.json") && message.contains("cannot be read"), "{message}");
    let err = db.session().execute("RESTORE SNAPSHOT d.s FROM r").unwrap_err().to_string();
    assert!(err.contains("Repository r cannot be used"), "{err}");
    unchanged(&db);
}

#[test]
fn two_snapshot_tables_on_one_target_are_refused_instead_of_deadlocking() {
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(fast_options()).unwrap();
    setup(&db, location.path());
    db.session().execute("CREATE TABLE d.u (a INT)").unwrap();
    // `t AS u` plus ALL TABLES (which brings the snapshot's own u) would both target u.
    let err =
        db.session().execute("RESTORE SNAPSHOT d.s FROM r ON (TABLE t AS u, ALL TABLES)").unwrap_err().to_string();
    assert_eq!(err, "Duplicated alias name: u");
    db.session().execute("CREATE DATABASE other; INSERT INTO d.t VALUES (7000, 'still writable')").unwrap();
}

#[test]
fn a_table_created_by_someone_else_during_the_restore_is_not_overwritten() {
    let location = tempfile::tempdir().unwrap();
    let (hook, hold) = hold_at(RestoreState::Downloading);
    let db = Database::open_temporary_with(Options { restore_hook: Some(hook), ..fast_options() }).unwrap();
    setup(&db, location.path());
    let job = start_restore(&db, "RESTORE SNAPSHOT d.s FROM r");
    hold.arrived();
    db.session().execute("CREATE TABLE d.u (a INT); INSERT INTO d.u VALUES (41), (42)").unwrap();
    hold.release();
    let summary = db.wait_for_restore(job).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.contains("Table u already exist in db: d"), "{}", summary.status);
    assert_eq!(count(&db, "SELECT count(*) FROM d.u"), 2, "the user's table is untouched");
    assert_eq!(count(&db, "SELECT count(*) FROM d.t"), 305);
}

#[test]
fn a_manifest_that_disagrees_with_its_files_cancels_the_restore_and_the_database_stays_openable() {
    let data = tempfile::tempdir().unwrap();
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_with(data.path(), fast_options()).unwrap();
    setup(&db, location.path());
    let manifest = the_manifest(location.path());
    let mut value: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let segment = &mut value["tables"][0]["tablets"][0]["segments"][0];
    let bytes = segment["bytes"].as_u64().unwrap();
    segment["bytes"] = serde_json::json!(bytes + 1);
    replace_file(&manifest, &serde_json::to_vec(&value).unwrap());
    let summary = db.wait_for_restore(start_restore(&db, "RESTORE SNAPSHOT d.s FROM r")).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.contains("bytes, the manifest says"), "{}", summary.status);
    unchanged(&db);
    db.close().unwrap();
    let db = Database::open(data.path()).expect("the data directory still opens");
    unchanged(&db);
}

#[test]
fn a_restore_whose_database_was_dropped_can_be_cancelled_and_never_lands_in_a_new_one() {
    let location = tempfile::tempdir().unwrap();
    let (hook, hold) = hold_at(RestoreState::Downloading);
    let db = Database::open_temporary_with(Options { restore_hook: Some(hook), ..fast_options() }).unwrap();
    setup(&db, location.path());
    // Into a new database the restore creates (so no table of it is locked).
    let job = start_restore(&db, "RESTORE SNAPSHOT s FROM r DATABASE d AS fresh");
    hold.arrived();
    db.session().execute("DROP DATABASE fresh; CREATE DATABASE fresh").unwrap();
    hold.release();
    let summary = db.wait_for_restore(job).unwrap();
    assert_eq!(summary.state, RestoreState::Cancelled);
    assert!(summary.status.contains("database fresh has been dropped"), "{}", summary.status);
    assert_eq!(db.session().execute_one("SHOW TABLES FROM fresh").unwrap().num_rows(), 0);
}

#[test]
fn an_alias_follows_the_naming_rules_of_create() {
    // RESTORE once accepted a 300-character alias that CREATE TABLE refuses (at most 256).
    let location = tempfile::tempdir().unwrap();
    let db = Database::open_temporary_with(fast_options()).unwrap();
    setup(&db, location.path());
    let long = "x".repeat(300);
    let err =
        db.session().execute(&format!("RESTORE SNAPSHOT d.s FROM r ON (TABLE t AS {long})")).unwrap_err().to_string();
    assert!(err.contains("must have 1 to 256 characters"), "{err}");
    unchanged(&db);
    assert!(!table_exists(&db, &long));
}
