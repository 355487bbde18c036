//! Segments: the immutable Parquet files that hold a tablet's rows.
//!
//! A segment is written once (`data/<tablet_id>/<segment_id>.parquet`), fsynced with its directory, and
//! only then referenced by a committed tablet version. Its [`SegmentMeta`] (rows, bytes, BLAKE3 checksum,
//! per-column min/max/null count) lives in the metadata so that pruning and backup never open the file.
//!
//! Lifetime: a [`Segment`] is shared by every version (and every reader's pinned snapshot) that contains
//! it. When a commit removes it from its tablet it is marked obsolete, and the file is deleted when the
//! last holder drops it. A crash before that leaves an orphan that the next open removes.
//!
//! Integrity: a segment loaded from the metadata at open is not trusted until its whole file has been
//! hashed and found to match the recorded BLAKE3 ([`Segment::verify`], run once per open, before the
//! first read of its data); a file missing or of the wrong size is known damaged from the open on.
//! Parquet's own checks do not catch a flipped bit in a data page (the `parquet` crate writes no page
//! CRCs), so without this a damaged file could return wrong rows. Segments this process wrote, or staged
//! and verified, are trusted as they are.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, SortField};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result, StorageError};
use crate::ids::{SegmentId, TabletId};
use crate::segment_cache::SegmentCache;
use crate::value::{column_min_max, Value};

/// Per-column statistics of one segment. `min`/`max` are absent when every value is null or the type
/// has no usable order (floating point, because of NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub name: String,
    pub min: Option<Value>,
    pub max: Option<Value>,
    pub nulls: u64,
}

/// What the metadata records about a segment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMeta {
    pub id: SegmentId,
    pub rows: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// BLAKE3 of the whole file, hex.
    pub checksum: String,
    pub columns: Vec<ColumnStats>,
}

impl SegmentMeta {
    pub fn column(&self, name: &str) -> Option<&ColumnStats> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The path of a segment file relative to the data directory's `data/` folder.
pub fn segment_file_name(tablet: TabletId, segment: SegmentId) -> PathBuf {
    PathBuf::from(tablet.0.to_string()).join(format!("{}.parquet", segment.0))
}

/// A committed segment shared by the versions that contain it.
#[derive(Debug)]
pub struct Segment {
    pub meta: SegmentMeta,
    pub tablet: TabletId,
    path: PathBuf,
    obsolete: AtomicBool,
    /// The store's cache of decoded data, told when this segment goes.
    cache: Arc<SegmentCache>,
    /// Whether the file is known to hold what the metadata records (`Err`: why not); unset until the
    /// first [`Segment::verify`] of a segment loaded at open.
    integrity: OnceLock<std::result::Result<(), String>>,
}

impl Segment {
    /// A segment this process wrote, or staged and verified: trusted.
    pub(crate) fn new(meta: SegmentMeta, tablet: TabletId, path: PathBuf, cache: Arc<SegmentCache>) -> Arc<Segment> {
        let integrity = OnceLock::from(Ok(()));
        Arc::new(Segment { meta, tablet, path, obsolete: AtomicBool::new(false), cache, integrity })
    }

    /// A segment named by the metadata at open: hashed before its data is first trusted, or, with
    /// `damage`, known to be damaged (missing, or of the wrong size).
    pub(crate) fn loaded(
        meta: SegmentMeta,
        tablet: TabletId,
        path: PathBuf,
        cache: Arc<SegmentCache>,
        damage: Option<String>,
    ) -> Arc<Segment> {
        let integrity = match damage {
            Some(reason) => OnceLock::from(Err(reason)),
            None => OnceLock::new(),
        };
        Arc::new(Segment { meta, tablet, path, obsolete: AtomicBool::new(false), cache, integrity })
    }

    /// Checks, once per open, that the file holds exactly what the metadata records (size and
    /// BLAKE3 of every byte); callers run it before they read the segment's data. Concurrent callers
    /// wait for one hash. A damaged file gives [`StorageError::Corruption`] naming it, every time.
    pub fn verify(&self) -> Result<()> {
        self.integrity.get_or_init(|| self.hash_matches()).clone().map_err(StorageError::Corruption)
    }

    /// [`Segment::verify`] of every segment of `segments`, the unverified ones hashed several at once.
    /// Without threads when all are known good (the usual case), so a query's path pays nothing after
    /// the first read.
    pub fn verify_all<'a>(segments: impl IntoIterator<Item = &'a Arc<Segment>>) -> Result<()> {
        let pending: Vec<&Arc<Segment>> =
            segments.into_iter().filter(|s| !matches!(s.integrity.get(), Some(Ok(())))).collect();
        match pending.as_slice() {
            [] => Ok(()),
            [one] => one.verify(),
            _ => crate::parallel_io::try_for_each(&pending, |s| s.verify()),
        }
    }

    fn hash_matches(&self) -> std::result::Result<(), String> {
        let path = &self.path;
        let tablet = self.tablet;
        let unreadable = |e: &dyn std::fmt::Display| {
            format!("segment file {} of tablet {tablet} cannot be read: {e}", path.display())
        };
        let file = File::open(path).map_err(|e| unreadable(&e))?;
        let (actual, bytes) = crate::staging::hash_stream(file, None, path).map_err(|e| unreadable(&e))?;
        if bytes != self.meta.bytes {
            return Err(format!(
                "segment file {} of tablet {tablet} has {bytes} bytes, the metadata says {}",
                path.display(),
                self.meta.bytes
            ));
        }
        if actual != self.meta.checksum {
            return Err(format!(
                "segment file {} of tablet {tablet} is damaged: its BLAKE3 is {actual}, the metadata says {}",
                path.display(),
                self.meta.checksum
            ));
        }
        Ok(())
    }

    pub fn id(&self) -> SegmentId {
        self.meta.id
    }

    /// Absolute path of the file. Valid as long as this `Segment` is alive.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Called once a committed version no longer contains the segment: the file goes when the last
    /// reader lets go.
    pub(crate) fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        self.cache.forget(self.id());
        if self.obsolete.load(Ordering::Acquire) {
            if let Err(e) = std::fs::remove_file(&self.path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    log::warn!("could not delete obsolete segment {}: {e}", self.path.display());
                }
            }
        }
    }
}

/// A segment written to disk but not yet committed. Dropping it uncommitted deletes the file, so a
/// statement that fails halfway leaves nothing behind.
#[derive(Debug)]
pub struct PendingSegment {
    pub meta: SegmentMeta,
    pub tablet: TabletId,
    pub(crate) path: PathBuf,
    pub(crate) committed: bool,
    /// Whether the file's entry in its tablet folder is durable already; the commit fsyncs the folders
    /// of those that are not before it writes the metadata that names them.
    pub(crate) entry_synced: bool,
}

impl Drop for PendingSegment {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How segment files are laid out.
#[derive(Debug, Clone)]
pub struct SegmentFormat {
    /// Rows per Parquet row group (the unit DataFusion prunes and parallelizes by).
    pub row_group_rows: usize,
}

/// A `Write` that hashes and counts what passes through it.
struct HashingWriter {
    inner: BufWriter<File>,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A new segment file, written batch by batch: Parquet (LZ4, page statistics, row groups of
/// `format.row_group_rows`), hashed with BLAKE3 as it is written, with the column statistics of every
/// row. Nothing is durable before [`SegmentWriter::finish`]; the caller owns removing the file if it
/// never gets there (a [`PendingSegment`] guard created before the file does it).
pub(crate) struct SegmentWriter {
    path: PathBuf,
    id: SegmentId,
    schema: SchemaRef,
    writer: ArrowWriter<HashingWriter>,
    rows: u64,
    stats: Vec<ColumnStats>,
}

impl SegmentWriter {
    /// Creates the file at `path` (which must not exist). `sample`, the first rows to come, decides
    /// which columns go without a dictionary.
    pub(crate) fn create(
        path: &Path,
        id: SegmentId,
        schema: &SchemaRef,
        sample: Option<&RecordBatch>,
        format: &SegmentFormat,
    ) -> Result<SegmentWriter> {
        let file = File::create_new(path).at(path)?;
        let sink =
            HashingWriter { inner: BufWriter::with_capacity(1 << 20, file), hasher: blake3::Hasher::new(), bytes: 0 };
        let mut props = WriterProperties::builder()
            .set_compression(Compression::LZ4_RAW)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_max_row_group_row_count(Some(format.row_group_rows.max(1)));
        if let Some(sample) = sample {
            for (field, column) in schema.fields().iter().zip(sample.columns()) {
                if mostly_distinct(column.as_ref()) {
                    props = props.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
                }
            }
        }
        let writer = ArrowWriter::try_new(sink, schema.clone(), Some(props.build()))?;
        let stats = schema
            .fields()
            .iter()
            .map(|f| ColumnStats { name: f.name().clone(), min: None, max: None, nulls: 0 })
            .collect();
        Ok(SegmentWriter { path: path.to_path_buf(), id, schema: schema.clone(), writer, rows: 0, stats })
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.schema().fields() != self.schema.fields() {
            return Err(StorageError::Internal(format!(
                "segment batch schema {:?} differs from the table schema {:?}",
                batch.schema(),
                self.schema
            )));
        }
        self.rows += batch.num_rows() as u64;
        for (stat, column) in self.stats.iter_mut().zip(batch.columns()) {
            let (lo, hi, nulls) = column_min_max(column.as_ref())?;
            stat.nulls += nulls;
            if let Some(lo) = lo {
                if stat.min.as_ref().is_none_or(|m| lo.compare(m).is_lt()) {
                    stat.min = Some(lo);
                }
            }
            if let Some(hi) = hi {
                if stat.max.as_ref().is_none_or(|m| hi.compare(m).is_gt()) {
                    stat.max = Some(hi);
                }
            }
        }
        self.writer.write(batch)?;
        Ok(())
    }

    /// Writes the footer, fsyncs the file (not its directory: the caller does) and returns the
    /// segment's metadata.
    pub(crate) fn finish(self) -> Result<SegmentMeta> {
        let SegmentWriter { path, id, writer, rows, stats, .. } = self;
        let mut sink = writer.into_inner()?;
        sink.flush().at(&path)?;
        let HashingWriter { inner, hasher, bytes } = sink;
        let file = inner.into_inner().map_err(|e| StorageError::io(&path, e.into_error()))?;
        file.sync_all().at(&path)?;
        Ok(SegmentMeta { id, rows, bytes, checksum: hasher.finalize().to_hex().to_string(), columns: stats })
    }
}

/// Rows sampled to decide whether a column is worth a dictionary.
const DICTIONARY_SAMPLE_ROWS: usize = 4096;

/// Whether most of the first [`DICTIONARY_SAMPLE_ROWS`] values of `column` differ from each other. Such a
/// column (a comment, a unique key, a price) gains nothing from dictionary encoding, and interning every
/// value costs the writer more than the rest of the encoding; the writer would fall back to plain
/// encoding only after its dictionary page filled up.
fn mostly_distinct(column: &dyn Array) -> bool {
    let sample = column.slice(0, column.len().min(DICTIONARY_SAMPLE_ROWS));
    if sample.len() < 64 || matches!(sample.data_type(), DataType::Boolean) {
        return false;
    }
    let Ok(converter) = RowConverter::new(vec![SortField::new(sample.data_type().clone())]) else {
        return false;
    };
    let Ok(rows) = converter.convert_columns(std::slice::from_ref(&sample)) else {
        return false;
    };
    let distinct: HashSet<_> = rows.iter().collect();
    distinct.len() * 2 > sample.len()
}

type ReaderBuilder = ParquetRecordBatchReaderBuilder<File>;

/// Opens a segment file, lets `configure` restrict what is read, and reads it into batches.
fn read_with(path: &Path, configure: impl FnOnce(ReaderBuilder) -> Result<ReaderBuilder>) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).at(path)?;
    let reader = configure(ParquetRecordBatchReaderBuilder::try_new(file)?)?.with_batch_size(64 * 1024).build()?;
    let mut out = Vec::new();
    for batch in reader {
        out.push(batch?);
    }
    Ok(out)
}

/// Reads a whole segment file into batches of the schema it was written with.
pub fn read_segment_file(path: &Path) -> Result<Vec<RecordBatch>> {
    read_with(path, Ok)
}

/// Reads only the columns at `columns` (indexes into the file's schema, ascending) of a segment file.
pub fn read_segment_columns(path: &Path, columns: &[usize]) -> Result<Vec<RecordBatch>> {
    read_with(path, |builder| {
        let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), columns.iter().copied());
        Ok(builder.with_projection(mask))
    })
}

/// Reads the rows at the given ordinals (ascending, no repeats) of a segment file, in that order.
pub fn read_segment_rows(path: &Path, rows: &[u32]) -> Result<Vec<RecordBatch>> {
    use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
    read_with(path, |builder| {
        let total = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let mut selectors = Vec::new();
        let mut next = 0u64;
        for &row in rows {
            let row = u64::from(row);
            if row < next || row >= total {
                return Err(StorageError::Internal(format!(
                    "row {row} of {} requested out of order or past its {total} rows",
                    path.display()
                )));
            }
            if row > next {
                selectors.push(RowSelector::skip((row - next) as usize));
            }
            selectors.push(RowSelector::select(1));
            next = row + 1;
        }
        Ok(builder.with_row_selection(RowSelection::from(selectors)))
    })
}

/// Fsyncs a directory so that entries created or removed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// Fsyncs every folder of `dirs`, several at once (see `parallel_io.rs`).
pub(crate) fn sync_dirs(dirs: &[&Path]) -> Result<()> {
    crate::parallel_io::try_for_each(dirs, |dir| sync_dir(dir))
}
