//! Waiting on the disk from several threads at once.
//!
//! An fsync mostly waits: for the device, and on journaling filesystems for a journal commit, which
//! concurrent fsyncs share. So a batch of them (the folders of a restore's new segments, of a backup's
//! new repository files) finishes far sooner issued together than one after another, and needs more
//! threads than cores. [`try_for_each`] runs such a batch on up to [`IO_THREADS`] scoped threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// Most threads [`try_for_each`] uses.
pub const IO_THREADS: usize = 16;

/// Calls `work` on every item, from up to [`IO_THREADS`] threads (the caller's among them). After a
/// failure no new item is started; the first error is returned once the calls under way are done.
pub fn try_for_each<T: Sync, E: Send>(items: &[T], work: impl Fn(&T) -> Result<(), E> + Sync) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(None);
    let run = || {
        while failed.lock().is_none() {
            let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
            if let Err(e) = work(item) {
                failed.lock().get_or_insert(e);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..items.len().min(IO_THREADS) {
            scope.spawn(run);
        }
        run();
    });
    failed.into_inner().map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_item_once_and_the_first_error_stops_the_rest() {
        let seen = AtomicUsize::new(0);
        let items: Vec<usize> = (0..100).collect();
        let counted = super::try_for_each(&items, |_| {
            seen.fetch_add(1, Ordering::Relaxed);
            Ok::<(), ()>(())
        });
        assert_eq!(counted, Ok(()));
        assert_eq!(seen.load(Ordering::Relaxed), 100);
        let started = AtomicUsize::new(0);
        let outcome = super::try_for_each(&items, |i| {
            started.fetch_add(1, Ordering::Relaxed);
            if *i == 3 {
                Err(format!("item {i}"))
            } else {
                Ok(())
            }
        });
        assert_eq!(outcome, Err("item 3".to_string()));
        assert!(started.load(Ordering::Relaxed) < 100, "items after the failure were not started");
        let none: Vec<usize> = Vec::new();
        assert_eq!(super::try_for_each(&none, |_| Err::<(), ()>(())), Ok(()));
    }
}
