//! The interactive shell, driven in a pseudo-terminal as a person drives it: typing, Enter, the arrow
//! keys, Tab, Ctrl-C and Ctrl-D. Each test runs the real `tessera` binary on its own data directory,
//! with `HOME` and the history file in a temporary directory.
//!
//! Nothing here depends on timing: every step waits (generously) for the output it expects, and the
//! screen is read with terminal escape sequences and carriage returns removed.
#![cfg(unix)]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession;

/// How long any expected output may take to appear.
const TIMEOUT: Duration = Duration::from_secs(90);

const UP: &str = "\x1b[A";
const CTRL_C: &str = "\x03";
const CTRL_D: &str = "\x04";

/// A running shell and everything it printed.
struct Shell {
    session: OsSession,
    /// Raw bytes read from the terminal.
    raw: Vec<u8>,
    /// How much of the cleaned-up screen text earlier expectations consumed.
    consumed: usize,
}

impl Shell {
    /// Starts `tessera --data DATA` with `home` as its home directory (and history file location).
    fn start(data: &Path, home: &Path, env: &[(&str, &str)]) -> Shell {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .arg("--data")
            .arg(data)
            .env("HOME", home)
            .env("TESSERA_HISTORY", home.join("history"))
            .env_remove("XDG_STATE_HOME")
            .env_remove("TESSERA_DATA")
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        for (key, value) in env {
            command.env(key, value);
        }
        let session = OsSession::spawn(command).expect("start tessera in a pseudo-terminal");
        let mut shell = Shell { session, raw: Vec::new(), consumed: 0 };
        shell.expect("Type .help for help");
        shell.prompt("tessera> ");
        shell
    }

    /// Sends keys as they are (control characters included).
    fn keys(&mut self, keys: &str) {
        self.session.write_all(keys.as_bytes()).expect("write to the terminal");
        self.session.flush().expect("flush the terminal");
    }

    /// Types a line and presses Enter.
    fn line(&mut self, text: &str) {
        self.keys(text);
        self.keys("\r");
    }

    /// The screen text so far: escape sequences and carriage returns removed.
    fn text(&self) -> String {
        clean(&String::from_utf8_lossy(&self.raw))
    }

    /// Reads what is available; false at the end of the output (the shell exited).
    fn read_some(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match self.session.try_read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
                true
            }
            // A pseudo-terminal whose other side closed reads as an I/O error.
            Err(_) => false,
        }
    }

    /// Waits for `needle` in the output after what earlier expectations matched; returns the output
    /// up to and including it.
    fn expect(&mut self, needle: &str) -> String {
        self.expect_within(needle, TIMEOUT).unwrap_or_else(|| {
            panic!("timed out waiting for {needle:?}; the screen after the last match:\n{}", self.unread())
        })
    }

    /// Like `expect`, but gives up (returning None) after `timeout`.
    fn expect_within(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let started = Instant::now();
        loop {
            let text = self.text();
            if let Some(at) = text[self.consumed..].find(needle) {
                let end = self.consumed + at + needle.len();
                let seen = text[self.consumed..end].to_string();
                self.consumed = end;
                return Some(seen);
            }
            if started.elapsed() > timeout || !self.read_some() {
                // One last look at what arrived with the end of the output.
                let text = self.text();
                if let Some(at) = text[self.consumed..].find(needle) {
                    self.consumed += at + needle.len();
                    return Some(text[..self.consumed].to_string());
                }
                return None;
            }
        }
    }

    fn unread(&self) -> String {
        self.text()[self.consumed..].to_string()
    }

    /// Waits for `prompt` at the start of a line: the shell is ready for the next input.
    fn prompt(&mut self, prompt: &str) -> String {
        self.expect(&format!("\n{prompt}"))
    }

    /// Presses Ctrl-D at the prompt and waits for the shell to exit; returns its exit code.
    fn quit(mut self) -> i32 {
        self.keys(CTRL_D);
        while self.read_some() {}
        match self.session.get_process().wait().expect("wait for tessera") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("tessera did not exit normally: {other:?}\n{}", self.text()),
        }
    }
}

/// Terminal output as a person reads it: no escape sequences (colors, cursor moves), no `\r`.
fn clean(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => text.push(c),
        }
    }
    text
}

struct Dirs {
    data: tempfile::TempDir,
    home: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs { data: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() }
}

fn start(dirs: &Dirs) -> Shell {
    Shell::start(dirs.data.path(), dirs.home.path(), &[])
}

#[test]
fn a_statement_may_span_lines_with_a_continuation_prompt() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    shell.line("SELECT concat('multi',");
    shell.expect("-> ");
    shell.line("  'line') AS joined");
    shell.expect("-> ");
    shell.line(";");
    let table = shell.expect("1 row in set");
    assert!(table.contains("| joined    |\n| varchar   |"), "column names and types: {table}");
    assert!(table.contains("| multiline |"), "{table}");
    shell.prompt("tessera> ");
    // The prompt shows the database in use.
    shell.line("CREATE DATABASE shop; USE shop;");
    shell.prompt("tessera:shop> ");
    assert_eq!(shell.quit(), 0);
}

#[test]
fn history_is_kept_across_sessions_and_recalled_with_the_up_arrow() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    shell.line("SELECT 'remembered' AS h;");
    shell.expect("| remembered |");
    shell.prompt("tessera> ");
    shell.line("SELECT 'newer' AS h;");
    shell.expect("| newer ");
    shell.prompt("tessera> ");
    assert_eq!(shell.quit(), 0);
    let history = std::fs::read_to_string(dirs.home.path().join("history")).expect("the history file exists");
    assert!(history.contains("SELECT 'remembered' AS h;"), "{history}");

    let mut shell = start(&dirs);
    shell.keys(UP);
    shell.keys(UP);
    shell.keys("\r");
    let screen = shell.expect("1 row in set");
    assert!(screen.contains("| remembered |"), "Up twice re-ran the older statement: {screen}");
    assert!(!screen.contains("| newer "), "{screen}");
    shell.prompt("tessera> ");
    assert_eq!(shell.quit(), 0);
}

#[test]
fn ctrl_c_cancels_a_long_query_and_the_shell_goes_on() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    // 10^12 rows: hours of work.
    shell.line("SELECT count(*) FROM generate_series(1, 1000000000000) WHERE value % 7 = 3;");
    // Ctrl-C until the statement reports its cancellation: a press that arrives before the statement
    // has started only clears the (empty) prompt line.
    let mut cancelled = false;
    let started = Instant::now();
    while !cancelled && started.elapsed() < TIMEOUT {
        std::thread::sleep(Duration::from_millis(500));
        shell.keys(CTRL_C);
        cancelled = shell.expect_within("statement cancelled by the user", Duration::from_secs(3)).is_some();
    }
    assert!(cancelled, "the query was not cancelled:\n{}", shell.unread());
    shell.prompt("tessera> ");
    shell.line("SELECT 'still here' AS after;");
    shell.expect("| still here |");
    assert_eq!(shell.quit(), 0);
}

#[test]
fn a_failing_statement_is_reported_and_the_next_one_runs() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    shell.line("SELECT * FROM nowhere.missing;");
    let error = shell.prompt("tessera> ");
    assert!(error.contains("ERROR: ") && error.contains("nowhere"), "{error}");
    // A syntax error shows the line and a caret under the spot.
    shell.line("SELECT 1 FROM");
    shell.line("t WHER x;");
    let error = shell.prompt("tessera> ");
    assert!(error.contains("ERROR: syntax error at line 2, column 8"), "{error}");
    assert!(error.contains("   2 | t WHER x\n     |        ^"), "{error}");
    shell.line("SELECT 'fine' AS status;");
    shell.expect("| fine ");
    assert_eq!(shell.quit(), 0);
}

#[test]
fn dot_commands_switch_the_output_mode() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    shell.line(".mode csv");
    shell.prompt("tessera> ");
    shell.line("SELECT 1 AS a, 'x' AS b;");
    shell.expect("a,b\n1,x\n1 row in set");
    shell.prompt("tessera> ");
    shell.line(".mode line");
    shell.prompt("tessera> ");
    shell.line("SELECT 1 AS a, 'x' AS b;");
    shell.expect("a: 1\nb: x\n");
    shell.prompt("tessera> ");
    shell.line(".help");
    let help = shell.prompt("tessera> ");
    for command in [".mode", ".output", ".read", ".timer", ".maxrows", ".tables", ".databases", ".quit"] {
        assert!(help.contains(command), "{command} is listed by .help: {help}");
    }
    shell.line(".quit");
    while shell.read_some() {}
}

#[test]
fn tab_completes_a_table_name() {
    let dirs = dirs();
    let mut shell = start(&dirs);
    shell.line("CREATE DATABASE d; USE d; CREATE TABLE customers_archive (name STRING);");
    shell.prompt("tessera:d> ");
    shell.line("INSERT INTO customers_archive VALUES ('completed');");
    shell.prompt("tessera:d> ");
    shell.keys("SELECT name FROM customers_ar");
    shell.keys("\t");
    shell.expect("customers_archive");
    shell.line(";");
    shell.expect("| completed |");
    assert_eq!(shell.quit(), 0);
}

#[test]
fn ctrl_c_detaches_from_a_backup_job_which_keeps_running() {
    let dirs = dirs();
    let repo = tempfile::tempdir().unwrap();
    // A pause after each file the job stores keeps it running long enough to watch.
    let mut shell = Shell::start(dirs.data.path(), dirs.home.path(), &[("TESSERA_BACKUP_FILE_DELAY_MS", "2000")]);
    shell.line("CREATE DATABASE d; USE d; CREATE TABLE t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 4;");
    shell.prompt("tessera:d> ");
    shell.line("INSERT INTO t SELECT value FROM generate_series(1, 100);");
    shell.prompt("tessera:d> ");
    shell.line(&format!("CREATE REPOSITORY r ON LOCATION '{}';", repo.path().display()));
    shell.prompt("tessera:d> ");
    shell.line("BACKUP SNAPSHOT d.s1 TO r;");
    shell.expect("backup s1 ");
    shell.keys(CTRL_C);
    let detached = shell.prompt("tessera:d> ");
    assert!(detached.contains("Detached from backup s1"), "{detached}");
    assert!(detached.contains("SHOW BACKUP FROM d") && detached.contains("CANCEL BACKUP FROM d"), "{detached}");
    // Leaving the shell waits for the job rather than cancelling it.
    assert_eq!(shell.quit(), 0);
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data")
        .arg(dirs.data.path())
        .args(["--format", "csv", "-c", "SHOW BACKUP FROM d"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(",FINISHED,"), "{shown}{}", String::from_utf8_lossy(&out.stderr));
}
