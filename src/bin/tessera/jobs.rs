//! The backup and restore jobs a run started: waiting for each one when its statement returns (unless
//! `--async`), and for every one still running before the process exits — closing the database
//! would cancel them.

use std::time::Duration;

use tessera::{BackupState, BackupSummary, Database, RestoreState, RestoreSummary, StatementResult};

use crate::ctrl_c::CtrlC;
use crate::progress::{self, Watched};

/// What became of the job a statement started.
pub enum JobOutcome {
    /// `--async`: the job runs in the background.
    Started,
    /// The job ended while we watched it.
    Ended { job: BackupSummary, elapsed: Duration },
    /// Ctrl-C stopped the watching; the job goes on.
    Detached(BackupSummary),
    /// A restore job ended while we watched it.
    RestoreEnded(RestoreSummary),
    /// Ctrl-C stopped watching a restore; the job goes on.
    RestoreDetached(RestoreSummary),
}

pub struct Jobs {
    db: Database,
    /// Wait for each job when its statement returns (not with --async).
    wait: bool,
    started: Vec<u64>,
}

impl Jobs {
    pub fn new(db: Database, wait: bool) -> Jobs {
        Jobs { db, wait, started: Vec::new() }
    }

    /// Called after each statement: when it started a job, waits for it (drawing progress) or, with
    /// `--async`, says how to watch it. `ctrl_c` lets Ctrl-C detach from the job.
    pub fn after_statement(&mut self, result: &StatementResult, ctrl_c: Option<&CtrlC>) -> Option<JobOutcome> {
        let id = result.job?;
        self.started.push(id);
        if let Some(restore) = self.db.restore_job(id) {
            if !self.wait {
                eprintln!("restore job {id} ({}) started; watch it with SHOW RESTORE", restore.label);
                return Some(JobOutcome::Started);
            }
            return match progress::watch_restore(&self.db, id, ctrl_c) {
                Watched::Ended { job, .. } => Some(JobOutcome::RestoreEnded(job)),
                Watched::Detached(job) => Some(JobOutcome::RestoreDetached(job)),
                Watched::Unknown => None,
            };
        }
        if !self.wait {
            if let Some(job) = self.db.backup_job(id) {
                eprintln!("backup job {id} ({}) started; watch it with SHOW BACKUP", job.label);
            }
            return Some(JobOutcome::Started);
        }
        match progress::watch(&self.db, id, ctrl_c) {
            Watched::Ended { job, elapsed } => Some(JobOutcome::Ended { job, elapsed }),
            Watched::Detached(job) => Some(JobOutcome::Detached(job)),
            Watched::Unknown => None,
        }
    }

    /// Waits for every job this run started (scripts, before the process exits).
    pub fn finish(&self) {
        for id in &self.started {
            if self.db.restore_job(*id).is_some() {
                if let Ok(job) = self.db.wait_for_restore(*id) {
                    if job.state == RestoreState::Cancelled {
                        eprintln!("note: restore {} ended CANCELLED: {}", job.label, job.status);
                    }
                }
                continue;
            }
            if let Ok(job) = self.db.wait_for_backup(*id) {
                if job.state == BackupState::Cancelled {
                    eprintln!("note: backup {} ended CANCELLED: {}", job.label, job.status);
                }
            }
        }
    }

    /// The shell's version of [`Jobs::finish`]: shows the progress of each job still running, and
    /// stops waiting on Ctrl-C (the jobs are then cancelled when the database closes).
    pub fn finish_interactive(&self, ctrl_c: Option<&CtrlC>) {
        for id in &self.started {
            if let Some(restore) = self.db.restore_job(*id) {
                if !restore.state.is_done() {
                    eprintln!("Waiting for restore {} to finish before closing the database.", restore.label);
                    let _ = self.db.wait_for_restore(*id);
                }
                continue;
            }
            let Some(job) = self.db.backup_job(*id) else { continue };
            if job.state.is_done() {
                continue;
            }
            eprintln!(
                "Waiting for backup {} to finish before closing the database (Ctrl-C stops waiting and cancels it).",
                job.label
            );
            if let Some(ctrl_c) = ctrl_c {
                ctrl_c.reset();
            }
            match progress::watch(&self.db, *id, ctrl_c) {
                Watched::Ended { job, .. } => eprintln!("{}", progress::summary(&job)),
                Watched::Detached(_) => {
                    eprintln!("Not waiting: closing the database cancels the backup jobs still running.");
                    return;
                }
                Watched::Unknown => {}
            }
        }
    }
}
