//! Background compaction: merges a tablet's small segments into larger ones.
//!
//! Small writes make small files; scans slow down with many files. After each commit that adds segments
//! the store sends the tablet to the compactor thread, which merges the tablet's small segments when it
//! has at least `compaction_min_segments` of them. The merge is an ordinary commit that replaces exactly
//! the segments it read, so a concurrent INSERT (which only appends) is never lost, and a concurrent
//! rewrite makes the compaction's commit fail harmlessly. Compaction takes the table's lock shared, so
//! statements that rewrite the table (DELETE, TRUNCATE, ALTER) wait for it rather than conflict.

use crossbeam::channel::{bounded, Receiver, Sender};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::{Result, StorageError};
use crate::ids::TabletId;
use crate::segment::read_segment_file;
use crate::store::Inner;
use crate::transaction::Transaction;

pub(crate) struct Compactor {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
    inner: Arc<Inner>,
}

impl Compactor {
    pub(crate) fn start(inner: Arc<Inner>) -> Compactor {
        let (hint_tx, hint_rx) = bounded::<TabletId>(4096);
        let (stop_tx, stop_rx) = bounded::<()>(1);
        inner.set_compaction_hints(Some(hint_tx));
        let worker = inner.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-compaction".into())
            .spawn(move || run(worker, hint_rx, stop_rx))
            .ok();
        Compactor { stop: stop_tx, thread, inner }
    }

    pub(crate) fn stop(mut self) {
        self.inner.set_compaction_hints(None);
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(inner: Arc<Inner>, hints: Receiver<TabletId>, stop: Receiver<()>) {
    let min_segments = inner.options.compaction_min_segments.max(2);
    let mut waiting: BTreeSet<TabletId> = BTreeSet::new();
    loop {
        crossbeam::select! {
            recv(stop) -> _ => return,
            recv(hints) -> hint => match hint {
                Ok(t) => {
                    waiting.insert(t);
                    // Take the whole burst so that one merge covers several commits.
                    while let Ok(t) = hints.try_recv() {
                        waiting.insert(t);
                    }
                }
                Err(_) => return,
            },
        }
        while let Some(t) = waiting.pop_first() {
            if stop.try_recv().is_ok() {
                return;
            }
            if let Err(e) = compact_tablet(&inner, t, min_segments) {
                log::warn!("compaction of tablet {t} failed: {e}");
            }
        }
    }
}

/// Merges the small segments of `tablet` if it has at least `min_segments` of them. Returns whether it
/// committed a merge.
pub(crate) fn compact_tablet(inner: &Inner, tablet: TabletId, min_segments: usize) -> Result<bool> {
    let state = inner.snapshot();
    let Some(version) = state.tablets.get(&tablet).cloned() else { return Ok(false) };
    let Some(table) = state.tables.get(&version.table).cloned() else { return Ok(false) };
    let lock = inner.table_lock(table.id);
    let Some(_shared) = lock.try_read() else { return Ok(false) };
    // Re-read under the lock: a rewrite or a schema change may have finished just before.
    let state = inner.snapshot();
    let Some(version) = state.tablets.get(&tablet).cloned() else { return Ok(false) };
    let Some(table) = state.tables.get(&version.table).cloned() else { return Ok(false) };
    let small_limit = (inner.options.segment_max_rows / 2).max(1) as u64;
    let small: Vec<_> = version.segments.iter().filter(|s| s.meta.rows < small_limit).cloned().collect();
    if small.len() < min_segments.max(2) {
        return Ok(false);
    }
    let schema = table.arrow_schema();
    let mut batches = Vec::new();
    for s in &small {
        for b in read_segment_file(s.path())? {
            if b.schema().fields() != schema.fields() {
                return Err(StorageError::Corruption(format!(
                    "segment {} of tablet {tablet} does not have the schema of table {}",
                    s.id(),
                    table.name
                )));
            }
            batches.push(b);
        }
    }
    let merged = inner.write_segments(tablet, &schema, &batches)?;
    let mut txn = Transaction::new();
    txn.replace(tablet, small.iter().map(|s| s.id()).collect(), merged);
    match inner.commit(txn) {
        Ok(_) => Ok(true),
        Err(StorageError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
