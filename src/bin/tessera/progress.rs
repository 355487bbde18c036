//! Watching a backup or restore job until it ends, with a progress bar on a terminal (state, files done of
//! total, bytes, elapsed time, ETA). Ctrl-C, when the shell handles it, stops the watching — never
//! the job.

use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use tessera::{BackupSummary, Database, RestoreSummary};

use crate::ctrl_c::CtrlC;

/// How watching a job ended.
pub enum Watched<J> {
    /// The job is FINISHED or CANCELLED.
    Ended { job: J, elapsed: Duration },
    /// Ctrl-C: the job goes on without us.
    Detached(J),
    /// The database knows no job with this id.
    Unknown,
}

/// What the progress bar shows of a job: backups and restores alike.
pub trait Watchable {
    /// `backup` or `restore`.
    const KIND: &'static str;
    fn label(&self) -> &str;
    fn files_done(&self) -> u64;
    fn files_total(&self) -> u64;
    fn is_done(&self) -> bool;
    /// The state, and what else is worth showing beside the bar.
    fn message(&self) -> String;
}

impl Watchable for BackupSummary {
    const KIND: &'static str = "backup";
    fn label(&self) -> &str {
        &self.label
    }
    fn files_done(&self) -> u64 {
        self.files_done
    }
    fn files_total(&self) -> u64 {
        self.files_total
    }
    fn is_done(&self) -> bool {
        self.state.is_done()
    }
    fn message(&self) -> String {
        describe(self)
    }
}

impl Watchable for RestoreSummary {
    const KIND: &'static str = "restore";
    fn label(&self) -> &str {
        &self.label
    }
    fn files_done(&self) -> u64 {
        self.files_done
    }
    fn files_total(&self) -> u64 {
        self.files_total
    }
    fn is_done(&self) -> bool {
        self.state.is_done()
    }
    fn message(&self) -> String {
        self.state.to_string()
    }
}

const POLL: Duration = Duration::from_millis(100);

/// Polls backup job `id` until it ends or, with `ctrl_c`, until Ctrl-C is pressed. The bar is drawn
/// on standard error only when it is a terminal.
pub fn watch(db: &Database, id: u64, ctrl_c: Option<&CtrlC>) -> Watched<BackupSummary> {
    watch_with(|| db.backup_job(id), ctrl_c)
}

/// Like [`watch`], for a restore job.
pub fn watch_restore(db: &Database, id: u64, ctrl_c: Option<&CtrlC>) -> Watched<RestoreSummary> {
    watch_with(|| db.restore_job(id), ctrl_c)
}

fn watch_with<J: Watchable>(fetch: impl Fn() -> Option<J>, ctrl_c: Option<&CtrlC>) -> Watched<J> {
    let started = Instant::now();
    let Some(mut job) = fetch() else { return Watched::Unknown };
    let bar = ProgressBar::new(job.files_total()).with_prefix(format!("{} {}", J::KIND, job.label()));
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {prefix} {msg} [{wide_bar}] {pos}/{len} files, {elapsed} elapsed, ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(POLL);
    loop {
        bar.set_length(job.files_total());
        bar.set_position(job.files_done());
        bar.set_message(job.message());
        if job.is_done() {
            bar.finish_and_clear();
            return Watched::Ended { job, elapsed: started.elapsed() };
        }
        if ctrl_c.is_some_and(CtrlC::pressed) {
            bar.abandon();
            return Watched::Detached(job);
        }
        std::thread::sleep(POLL);
        match fetch() {
            Some(next) => job = next,
            None => {
                bar.abandon();
                return Watched::Unknown;
            }
        }
    }
}

/// `UPLOADING 1.2 MiB/3.4 MiB`.
fn describe(job: &BackupSummary) -> String {
    format!("{} {}/{}", job.state, HumanBytes(job.bytes_done), HumanBytes(job.bytes_total))
}

/// One line saying how a finished job ended, for the shell.
pub fn summary(job: &BackupSummary) -> String {
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
