//! Helpers shared by the benchmarks: directory sizes, timing, `cp -r` + `sync`, and BACKUP / RESTORE jobs
//! run to their end.

// Each benchmark target compiles this module on its own and uses a subset of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use tessera::{BackupState, Database, RestoreState};

/// Bytes of the files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            total += if meta.is_dir() { dir_bytes(&e.path()) } else { meta.len() };
        }
    }
    total
}

/// Bytes of files whose inode is not shared with another link (what a copy really added).
pub fn own_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            total += if meta.is_dir() {
                own_bytes(&e.path())
            } else if meta.nlink() == 1 {
                meta.len()
            } else {
                0
            };
        }
    }
    total
}

/// Runs `f` and returns its wall-clock seconds, also printed on stderr as progress. Every filesystem is
/// flushed first, untimed, so that no timed operation pays for dirty data an earlier one (or another
/// process) left behind: the copies, backups and restores compared here each end with a `sync`.
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (f64, T) {
    sync();
    let start = Instant::now();
    let out = f();
    let s = start.elapsed().as_secs_f64();
    eprintln!("  {what}: {s:.3}s");
    (s, out)
}

/// Flushes every filesystem, so that a timed copy includes getting its bytes to the disk.
pub fn sync() {
    let _ = Command::new("sync").status();
}

/// `cp -r from to` then `sync`: the baseline every BACKUP and RESTORE is compared with.
pub fn cp_r(from: &Path, to: &Path) {
    let ok = Command::new("cp").arg("-r").arg(from).arg(to).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "cp -r {} {} failed", from.display(), to.display());
    sync();
}

/// Runs one BACKUP statement and waits for its job to end (then syncs); the job's status if it did
/// not finish.
pub fn run_backup(db: &Database, sql: &str) -> Result<(), String> {
    let result = db.session().execute_one(sql).map_err(|e| e.to_string())?;
    let job = result.job.ok_or_else(|| format!("{sql}: no job id"))?;
    let summary = db.wait_for_backup(job).map_err(|e| e.to_string())?;
    sync();
    match summary.state {
        BackupState::Finished => Ok(()),
        state => Err(format!("BACKUP ended {state:?}: {}", summary.status)),
    }
}

/// Runs one RESTORE statement and waits for its job to end (then syncs); the job's status if it did
/// not finish.
pub fn run_restore(db: &Database, sql: &str) -> Result<(), String> {
    let result = db.session().execute_one(sql).map_err(|e| e.to_string())?;
    let job = result.job.ok_or_else(|| format!("{sql}: no job id"))?;
    let summary = db.wait_for_restore(job).map_err(|e| e.to_string())?;
    sync();
    match summary.state {
        RestoreState::Finished => Ok(()),
        state => Err(format!("RESTORE ended {state:?}: {}", summary.status)),
    }
}
