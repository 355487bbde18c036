//! Watching a backup job until it ends, with a progress bar on a terminal (state, files done of
//! total, bytes, elapsed time, ETA). Ctrl-C, when the shell handles it, stops the watching — never
//! the job.

use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use tessera::{Database, JobSummary};

use crate::ctrl_c::CtrlC;

/// How watching a job ended.
pub enum Watched {
    /// The job is FINISHED or CANCELLED.
    Ended { job: JobSummary, elapsed: Duration },
    /// Ctrl-C: the job goes on without us.
    Detached(JobSummary),
    /// The database knows no job with this id.
    Unknown,
}

const POLL: Duration = Duration::from_millis(100);

/// Polls job `id` until it ends or, with `ctrl_c`, until Ctrl-C is pressed. The bar is drawn on
/// standard error only when it is a terminal.
pub fn watch(db: &Database, id: u64, ctrl_c: Option<&CtrlC>) -> Watched {
    let started = Instant::now();
    let Some(mut job) = db.job(id) else { return Watched::Unknown };
    let bar = ProgressBar::new(job.files_total).with_prefix(format!("backup {}", job.label));
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {prefix} {msg} [{wide_bar}] {pos}/{len} files, {elapsed} elapsed, ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(POLL);
    loop {
        bar.set_length(job.files_total);
        bar.set_position(job.files_done);
        bar.set_message(describe(&job));
        if job.state.is_done() {
            bar.finish_and_clear();
            return Watched::Ended { job, elapsed: started.elapsed() };
        }
        if ctrl_c.is_some_and(CtrlC::pressed) {
            bar.abandon();
            return Watched::Detached(job);
        }
        std::thread::sleep(POLL);
        match db.job(id) {
            Some(next) => job = next,
            None => {
                bar.abandon();
                return Watched::Unknown;
            }
        }
    }
}

/// `UPLOADING 1.2 MiB/3.4 MiB`.
fn describe(job: &JobSummary) -> String {
    format!("{} {}/{}", job.state, HumanBytes(job.bytes_done), HumanBytes(job.bytes_total))
}

/// One line saying how a finished job ended, for the shell.
pub fn summary(job: &JobSummary) -> String {
    let mut text = format!(
        "Backup {} {}: {} file{}, {}",
        job.label,
        job.state,
        job.files_total,
        if job.files_total == 1 { "" } else { "s" },
        HumanBytes(job.bytes_total)
    );
    if job.files_deduplicated > 0 {
        text.push_str(&format!(", {} already in the repository", job.files_deduplicated));
    }
    text
}
