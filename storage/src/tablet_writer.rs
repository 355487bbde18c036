//! `TabletWriter`: rows appended to one tablet over several calls, written into segment files as they
//! come.
//!
//! A file is opened on the first rows, receives rows until it holds `segment_max_rows`, and is then
//! finished (footer, fsync) while the next one opens; so a long INSERT streams into the same files,
//! with the same sizes and row groups, that writing all its rows at once would give.
//! [`TabletWriter::finish`] closes the last file, fsyncs the tablet folder once and hands back the
//! pending segments for the caller to commit in one transaction.
//!
//! What stays true: every file it creates is guarded by a [`PendingSegment`] from before the file
//! exists, so dropping the writer (an error, a cancelled statement) or the segments it returned without
//! committing them removes every file; nothing it writes is visible before the caller's commit.

use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::ids::{SegmentId, TabletId};
use crate::segment::{segment_file_name, sync_dir, PendingSegment, SegmentFormat, SegmentMeta, SegmentWriter};
use crate::store::Inner;

/// See the module documentation. Writers of different tablets may run on different threads at once.
pub struct TabletWriter<'a> {
    inner: &'a Inner,
    tablet: TabletId,
    dir: PathBuf,
    schema: SchemaRef,
    format: SegmentFormat,
    max_rows: u64,
    /// The file being written and the guard that removes it unless it is committed.
    open: Option<(SegmentWriter, PendingSegment)>,
    done: Vec<PendingSegment>,
}

impl<'a> TabletWriter<'a> {
    pub(crate) fn new(inner: &'a Inner, tablet: TabletId, dir: PathBuf, schema: &SchemaRef) -> TabletWriter<'a> {
        TabletWriter {
            inner,
            tablet,
            dir,
            schema: schema.clone(),
            format: SegmentFormat { row_group_rows: inner.options.row_group_rows },
            max_rows: inner.options.segment_max_rows.max(1) as u64,
            open: None,
            done: Vec::new(),
        }
    }

    pub fn tablet(&self) -> TabletId {
        self.tablet
    }

    /// Appends `batch` (in the tablet's schema), starting a new file whenever one is full.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let (writer, _) = match &mut self.open {
                Some(open) => open,
                None => {
                    let sample = batch.slice(offset, batch.num_rows() - offset);
                    self.open.insert(self.create(&sample)?)
                }
            };
            let room = (self.max_rows - writer.rows()) as usize;
            let take = room.min(batch.num_rows() - offset);
            writer.write(&batch.slice(offset, take))?;
            offset += take;
            if writer.rows() == self.max_rows {
                self.close()?;
            }
        }
        Ok(())
    }

    /// Finishes the last file and makes the tablet folder's new entries durable. The segments are
    /// uncommitted: the caller commits them, or drops them to remove their files.
    pub fn finish(mut self) -> Result<Vec<PendingSegment>> {
        self.close()?;
        if !self.done.is_empty() {
            sync_dir(&self.dir)?;
        }
        Ok(std::mem::take(&mut self.done))
    }

    fn create(&self, sample: &RecordBatch) -> Result<(SegmentWriter, PendingSegment)> {
        let id = SegmentId(self.inner.allocate_id()?);
        let path = self.inner.data_dir.join(segment_file_name(self.tablet, id));
        // The guard exists before the file so that any failure removes it.
        let pending = PendingSegment {
            meta: SegmentMeta { id, rows: 0, bytes: 0, checksum: String::new(), columns: Vec::new() },
            tablet: self.tablet,
            path: path.clone(),
            committed: false,
            // `finish` fsyncs the folder.
            entry_synced: true,
        };
        let writer = SegmentWriter::create(&path, id, &self.schema, Some(sample), &self.format)?;
        Ok((writer, pending))
    }

    fn close(&mut self) -> Result<()> {
        if let Some((writer, mut pending)) = self.open.take() {
            pending.meta = writer.finish()?;
            self.done.push(pending);
        }
        Ok(())
    }
}
