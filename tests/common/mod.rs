//! Helpers shared by the integration test files (`mod common;` in each that uses them).
//!
//! What must stay true: no helper waits without a bound. A wait that runs out fails the test with a
//! message saying what it waited for, so a regression costs one failed test, not CI's time limit; and
//! a child process's exit status and stderr are kept, so a failure involving a child says what the
//! child said.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arrow::array::Int64Array;
use tessera::Database;

/// The BIGINT in the first column of the first row `sql` returns (a `count(*)`, a `sum`).
pub fn count(db: &Database, sql: &str) -> i64 {
    let batches = db.session().query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let column = batches.iter().find(|b| b.num_rows() > 0).unwrap_or_else(|| panic!("{sql}: no rows")).column(0);
    column.as_any().downcast_ref::<Int64Array>().unwrap_or_else(|| panic!("{sql}: not a BIGINT")).value(0)
}

/// How long a test waits for something another thread or process is expected to do soon.
pub const WAIT_LIMIT: Duration = Duration::from_secs(120);

/// Polls `done` every few milliseconds until it is true; fails the test, naming `what`, when it is
/// still false after [`WAIT_LIMIT`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "gave up after {WAIT_LIMIT:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A child process (usually this test binary running one `*_child_process` test) whose stdout is read
/// line by line and whose stderr is collected, for the failure messages.
pub struct ChildProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Lines [`ChildProcess::wait_for_line`] read past: they go into the report.
    skipped: Vec<String>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a child process ended, with everything it printed: shown in failure messages.
pub struct ChildReport {
    pub status: Option<ExitStatus>,
    pub stderr: String,
    /// The stdout lines [`ChildProcess::wait_for_line`] did not return, in order.
    pub lines: Vec<String>,
}

impl std::fmt::Display for ChildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "child exit status: {status}")?,
            None => write!(f, "child exit status: unknown")?,
        }
        write!(f, "\n--- child stderr ---\n{}--- end of child stderr ---", self.stderr)
    }
}

impl ChildProcess {
    /// Starts `command` with stdout and stderr piped.
    pub fn spawn(mut command: Command) -> ChildProcess {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        let stdout = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        ChildProcess { child, lines, skipped: Vec::new(), stdout: Some(stdout), stderr: Some(stderr) }
    }

    /// The next stdout line containing `needle` (earlier ones are kept for the report). Fails the test, with the
    /// child's exit status and stderr, if the child ends first or nothing comes within `limit`.
    pub fn wait_for_line(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => self.skipped.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let report = self.finish();
                    panic!("the child ended before printing {needle:?}\n{report}");
                }
                Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    let report = self.kill();
                    panic!("the child printed no {needle:?} within {limit:?}\n{report}");
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// SIGKILLs the child and reports how it ended.
    pub fn kill(&mut self) -> ChildReport {
        let _ = self.child.kill();
        self.finish()
    }

    /// Waits for the child to end (at most [`WAIT_LIMIT`], then kills it) and reports how it ended.
    pub fn finish(&mut self) -> ChildReport {
        let deadline = Instant::now() + WAIT_LIMIT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(None) => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
                Err(_) => break None,
            }
        };
        if let Some(reader) = self.stdout.take() {
            let _ = reader.join();
        }
        let stderr = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        let mut lines = std::mem::take(&mut self.skipped);
        lines.extend(self.lines.try_iter());
        ChildReport { status, stderr, lines }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // A test that fails midway must not leave its child running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
