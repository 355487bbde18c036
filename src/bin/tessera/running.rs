//! A spinner for statements that run for more than a second: rows read so far (an INSERT ... SELECT
//! or a load from FILES() reads its source first) and the elapsed time. Drawn on standard error only
//! when it is a terminal, and cleared when the statement ends.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tessera::ProgressHandle;

/// Statements shorter than this show nothing.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);

pub struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts watching the statement about to run.
    pub fn start(progress: ProgressHandle) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Spinner { stop, thread: None };
        }
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-spinner".into())
            .spawn(move || {
                let started = Instant::now();
                while started.elapsed() < SHOW_AFTER {
                    if flag.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let bar = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                    bar.set_style(style);
                }
                while !flag.load(Ordering::Relaxed) {
                    bar.set_message(format!("running: {} rows read", progress.rows()));
                    bar.tick();
                    std::thread::sleep(TICK);
                }
                bar.finish_and_clear();
            })
            .ok();
        Spinner { stop, thread }
    }

    /// Stops and clears the spinner (call when the statement has returned).
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
