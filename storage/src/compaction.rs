//! Background compaction: merges a tablet's small segments into larger ones.
//!
//! Small writes make small files; scans slow down with many files. After each commit that adds segments
//! the store sends the tablet to the compactor thread, which merges the tablet's small segments when it
//! has at least `compaction_min_segments` of them. The merge is an ordinary commit that replaces exactly
//! the segments it read, so a concurrent INSERT (which only appends) is never lost, and a concurrent
//! rewrite makes the compaction's commit fail harmlessly. Compaction takes the table's lock shared, so
//! statements that rewrite the table (DELETE, TRUNCATE, ALTER) wait for it rather than conflict.
//!
//! Keyed tables: a merge drops the rows their delete vectors hide and repoints the primary index at the
//! rows' new places, so it takes the table's lock exclusive (and skips the tablet if a writer holds it).
//! A segment that has lost at least half its rows is merged even when it is not small.

use crossbeam::channel::{bounded, Receiver, Sender};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Result, StorageError};
use crate::ids::TabletId;
use crate::keyed::write_keyed;
use crate::store::{read_live_rows, Inner};
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
    // Tablets whose table lock a writer held: retried after a pause, so that the hint of the last
    // statement of a burst (which still holds its lock when it sends the hint) is not lost.
    let mut busy: BTreeSet<TabletId> = BTreeSet::new();
    loop {
        let retry_after = if busy.is_empty() { Duration::from_secs(3600) } else { RETRY_BUSY_AFTER };
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
            default(retry_after) => {}
        }
        waiting.append(&mut busy);
        while let Some(t) = waiting.pop_first() {
            if stop.try_recv().is_ok() {
                return;
            }
            match compact_tablet(&inner, t, min_segments) {
                Ok(Outcome::Busy) => {
                    busy.insert(t);
                }
                Ok(_) => {}
                Err(e) => log::warn!("compaction of tablet {t} failed: {e}"),
            }
        }
    }
}

/// How long the compactor waits before retrying a tablet whose table a writer held.
const RETRY_BUSY_AFTER: Duration = Duration::from_millis(200);

/// What one compaction attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Merged,
    /// Nothing worth merging, or the tablet is gone, or a concurrent change won.
    Nothing,
    /// A writer held the table's lock; try again later.
    Busy,
}

/// Merges the small segments of `tablet` if it has at least `min_segments` of them (keyed tables: also
/// any segment that has lost at least half its rows to deletes).
pub(crate) fn compact_tablet(inner: &Inner, tablet: TabletId, min_segments: usize) -> Result<Outcome> {
    let state = inner.snapshot();
    let Some(version) = state.tablets.get(&tablet).cloned() else { return Ok(Outcome::Nothing) };
    let Some(table) = state.tables.get(&version.table).cloned() else { return Ok(Outcome::Nothing) };
    let keyed = table.key.model.is_keyed();
    let lock = inner.table_lock(table.id);
    // A keyed tablet's merge moves rows, so it rewrites their index entries: no other writer may run.
    let (_shared, _exclusive) = if keyed {
        let Some(guard) = lock.try_write() else { return Ok(Outcome::Busy) };
        (None, Some(guard))
    } else {
        let Some(guard) = lock.try_read() else { return Ok(Outcome::Busy) };
        (Some(guard), None)
    };
    // Re-read under the lock: a rewrite or a schema change may have finished just before.
    let state = inner.snapshot();
    let Some(version) = state.tablets.get(&tablet).cloned() else { return Ok(Outcome::Nothing) };
    let Some(table) = state.tables.get(&version.table).cloned() else { return Ok(Outcome::Nothing) };
    let small_limit = (inner.options.segment_max_rows / 2).max(1) as u64;
    let mostly_deleted = |s: &crate::segment::Segment| version.live_rows(s) * 2 <= s.meta.rows;
    let small: Vec<_> =
        version.segments.iter().filter(|s| s.meta.rows < small_limit || mostly_deleted(s)).cloned().collect();
    let worth_it = small.len() >= min_segments.max(2) || (keyed && small.iter().any(|s| mostly_deleted(s)));
    if !worth_it {
        return Ok(Outcome::Nothing);
    }
    let schema = table.arrow_schema();
    let mut batches = Vec::new();
    for s in &small {
        for b in read_live_rows(s, version.deleted(s.id()).map(|d| d.as_ref()))? {
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
    let mut txn = Transaction::new();
    // The merged segments hold exactly the rows they replace.
    txn.preserve_rows();
    let removed = small.iter().map(|s| s.id()).collect();
    if keyed {
        // Every row is the live row of its key, so the merged rows only need their entries repointed,
        // after the replace in the same commit.
        let mut index = Transaction::new();
        let merged = write_keyed(inner, &table, tablet, &batches, &mut index)?;
        txn.replace(tablet, removed, merged);
        txn.extend(index);
    } else {
        txn.replace(tablet, removed, inner.write_segments(tablet, &schema, &batches)?);
    }
    match inner.commit(txn) {
        Ok(_) => Ok(Outcome::Merged),
        Err(StorageError::Conflict(_)) => Ok(Outcome::Nothing),
        Err(e) => Err(e),
    }
}
