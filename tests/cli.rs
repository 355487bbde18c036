//! The `tessera` binary, driven as users and scripts drive it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tessera(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tessera");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("tessera runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

#[test]
fn statements_from_c_run_in_one_session_and_persist() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(
        dir.path(),
        &["-c", "CREATE DATABASE d; USE d; CREATE TABLE t (k INT, v STRING); INSERT INTO t VALUES (1, 'a'), (2, 'b');"],
        None,
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let out = tessera(dir.path(), &["--format", "csv", "-c", "SELECT k, v FROM d.t ORDER BY k"], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "k,v\n1,a\n2,b\n");
}

#[test]
fn table_tsv_and_json_formats() {
    let dir = tempfile::tempdir().unwrap();
    let sql = "SELECT 1 AS a, 'x' AS b";
    let table = tessera(dir.path(), &["-c", sql], None);
    let table = text(&table.stdout);
    assert!(table.contains("| a | b |") && table.contains("| 1 | x |"), "{table}");
    let tsv = tessera(dir.path(), &["--format", "tsv", "-c", sql], None);
    assert_eq!(text(&tsv.stdout), "a\tb\n1\tx\n");
    let json = tessera(dir.path(), &["--format", "json", "-c", sql], None);
    assert_eq!(text(&json.stdout).trim(), r#"{"a":1,"b":"x"}"#);
}

#[test]
fn a_failing_statement_stops_the_run_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), &["-c", "CREATE DATABASE d; SELECT * FROM d.missing; CREATE DATABASE e;"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("missing"), "error should name the table: {err}");
    let out = tessera(dir.path(), &["--format", "csv", "-c", "SHOW DATABASES"], None);
    assert_eq!(text(&out.stdout), "Database\nd\n", "statements after the failure must not run");
}

#[test]
fn script_from_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("setup.sql");
    std::fs::write(&script, "CREATE DATABASE d;\nUSE d;\n-- a comment; with a semicolon\nCREATE TABLE t (k INT);\nINSERT INTO t VALUES (7);\n").unwrap();
    let data = dir.path().join("db");
    let out = tessera(&data, &["-f", script.to_str().unwrap()], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let out = tessera(&data, &["--format", "csv"], Some("USE d;\nSELECT k\nFROM t;\n"));
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "k\n7\n");
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = tessera::Database::open(dir.path()).unwrap();
    let out = tessera(dir.path(), &["-c", "SHOW DATABASES"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already open"), "{}", text(&out.stderr));
    drop(db);
    let out = tessera(dir.path(), &["-c", "SHOW DATABASES"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn backup_waits_for_its_job_and_fails_when_the_job_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let setup = format!(
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1), (2);
         CREATE REPOSITORY r ON LOCATION '{}';
         BACKUP SNAPSHOT d.ok TO r;
         SHOW BACKUP FROM d;",
        repo.path().display()
    );
    let out = tessera(dir.path(), &["--format", "csv", "-c", &setup], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains(",FINISHED,"), "the CLI waited for the job: {}", text(&out.stdout));

    // The repository's data folder becomes a file: uploads fail, the job ends CANCELLED, the CLI exits 1.
    let data = repo.path().join("__tessera_repository_r/data");
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::write(&data, b"not a folder").unwrap();
    let out = tessera(dir.path(), &["-c", "INSERT INTO d.t VALUES (3); BACKUP SNAPSHOT d.broken TO r"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("backup broken was cancelled: [COMMON_ERROR, msg: uploading"), "{err}");

    // With --async the statement returns at once and the CLI still waits before exiting.
    std::fs::remove_file(&data).unwrap();
    let repo2 = tempfile::tempdir().unwrap();
    let sql = format!("CREATE REPOSITORY r2 ON LOCATION '{}'; BACKUP SNAPSHOT d.later TO r2", repo2.path().display());
    let out = tessera(dir.path(), &["--async", "-c", &sql], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("started; watch it with SHOW BACKUP"));
    let out = tessera(dir.path(), &["--format", "csv", "-c", "SHOW SNAPSHOT ON r2"], None);
    assert!(text(&out.stdout).contains("later,"), "{}", text(&out.stdout));
}

#[test]
fn restore_waits_for_its_job_and_fails_when_the_job_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let setup = format!(
        "CREATE DATABASE d; USE d; CREATE TABLE t (k INT); INSERT INTO t VALUES (1), (2);
         CREATE REPOSITORY r ON LOCATION '{}';
         BACKUP SNAPSHOT d.s TO r;
         DROP TABLE t;
         RESTORE SNAPSHOT d.s FROM r;
         SELECT count(*) FROM t;",
        repo.path().display()
    );
    let out = tessera(dir.path(), &["--format", "csv", "-c", &setup], None);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("2\n"), "the CLI waited for the restore: {}", text(&out.stdout));

    // A missing repository data file: the job ends CANCELLED and the CLI exits 1.
    std::fs::remove_dir_all(repo.path().join("__tessera_repository_r/data")).unwrap();
    let out = tessera(dir.path(), &["-c", "RESTORE SNAPSHOT d.s FROM r ON (t AS t2)"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("restore s was cancelled: [COMMON_ERROR, msg: cannot read data file"), "{err}");
}

#[test]
fn piped_input_prints_only_results_and_keeps_no_history() {
    // Standard input that is not a terminal runs as a script, even in a session started from a
    // terminal: no banner, no prompt, no status lines, no history file.
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data")
        .arg(dir.path())
        .args(["--format", "csv"])
        .env("HOME", home.path())
        .env_remove("XDG_STATE_HOME")
        .env_remove("TESSERA_HISTORY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tessera");
    child.stdin.take().expect("stdin").write_all(b"SELECT 1 AS a;\n.mode table\n").expect("write stdin");
    let out = child.wait_with_output().expect("tessera runs");
    assert_eq!(text(&out.stdout), "a\n1\n");
    // Dot-commands belong to the interactive shell: in a script they are SQL, and a syntax error.
    assert!(!out.status.success());
    assert!(text(&out.stderr).starts_with("ERROR: syntax error"), "{}", text(&out.stderr));
    let entries: Vec<_> = std::fs::read_dir(home.path()).unwrap().collect();
    assert!(entries.is_empty(), "nothing written in HOME: {entries:?}");
}
