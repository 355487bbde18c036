//! `Store`: the data directory. Opens and locks it, loads the metadata, removes crash leftovers, writes
//! segments and commits transactions.
//!
//! Commit protocol (DESIGN.md section 3): segment files are written and fsynced (with their directory)
//! first; then one RocksDB `WriteBatch`, written with `sync`, records every changed catalog record and
//! tablet version; only then is the new [`MetaState`] published to readers. A crash before the batch
//! leaves unreferenced files that the next open deletes; after it, everything is durable. (A transaction
//! marked [`Transaction::without_sync`], a job's progress record, skips the wait for the disk and becomes
//! durable with the next synced commit; it may not add segments.)
//!
//! Lock order (outer to inner): a table's lock ([`Store::table_lock`]) -> `commit_lock` -> `state`.
//! `state` is held only to swap an `Arc`, never across I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parking_lot::{Mutex, RwLock};
use rocksdb::{Direction, IteratorMode, WriteBatch, WriteOptions, DB};

use crate::catalog::{DatabaseDef, TableDef};
use crate::compaction::Compactor;
use crate::delete_vector::DeleteVector;
use crate::error::{IoContext, Result, StorageError};
use crate::ids::{SegmentId, TableId, TabletId};
use crate::keys;
use crate::materialized::MaterializedKind;
use crate::primary_index::{self, RowLocation};
use crate::segment::{read_segment_file, segment_file_name, sync_dir, sync_dirs, PendingSegment, Segment, SegmentMeta};
use crate::segment_cache::{SegmentCache, DEFAULT_SEGMENT_CACHE_BYTES};
use crate::staging::StagedFile;
use crate::state::MetaState;
use crate::tablet_writer::TabletWriter;
use crate::transaction::{Op, SegmentRemoval, Transaction};
use crate::version::{TabletRecord, TabletVersion};

/// Tuning knobs of a store. The defaults suit real data; tests shrink them to exercise many segments.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Largest number of rows written into one segment file.
    pub segment_max_rows: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Run background compaction.
    pub compaction: bool,
    /// A tablet is compacted when it has at least this many small segments.
    pub compaction_min_segments: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            segment_max_rows: 1 << 20,
            row_group_rows: 128 * 1024,
            compaction: true,
            compaction_min_segments: 8,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) options: StoreOptions,
    meta: DB,
    state: RwLock<Arc<MetaState>>,
    commit_lock: Mutex<()>,
    /// Ids are handed out from a block whose end is persisted (synced) before any id in it is used, so
    /// an id is never handed out twice, even across a crash.
    ids: Mutex<IdBlock>,
    /// Tablet folders created (and their parent fsynced) since open; see `write_segments`.
    synced_tablet_dirs: Mutex<HashSet<TabletId>>,
    poisoned: Mutex<Option<String>>,
    table_locks: Mutex<HashMap<TableId, Arc<RwLock<()>>>>,
    /// Receives the tablets each commit added segments to.
    compaction_hints: Mutex<Option<crossbeam::channel::Sender<TabletId>>>,
    /// Decoded segment data for warm scans; every segment of this store forgets its entries on drop.
    pub(crate) cache: Arc<SegmentCache>,
    /// Held (locked) for as long as the store is open.
    _lock_file: File,
}

/// An open data directory. Dropping it stops background work and releases the directory.
pub struct Store {
    pub(crate) inner: Arc<Inner>,
    compactor: Option<Compactor>,
}

const LOCK_FILE: &str = "tessera.lock";

/// How many ids one synced reservation covers.
const ID_BLOCK: u64 = 1024;

struct IdBlock {
    next: u64,
    /// First id not covered by the persisted reservation.
    limit: u64,
}

impl Store {
    /// Opens (creating if needed) the data directory `dir`.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<Store> {
        fs::create_dir_all(dir).at(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock_file =
            fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).at(&lock_path)?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StorageError::Locked { path: dir.to_path_buf(), lock: lock_path });
            }
            Err(TryLockError::Error(e)) => return Err(StorageError::io(&lock_path, e)),
        }
        let data_dir = dir.join("data");
        for sub in ["data", "snapshots", "staging"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).at(&p)?;
        }
        sync_dir(dir)?;

        let meta_dir = dir.join("meta");
        let new_catalog = check_catalog_files(dir, &meta_dir, &data_dir)?;
        let mut db_options = rocksdb::Options::default();
        // Only a directory with no catalog and no data gets a new catalog: RocksDB must never start an
        // empty one over a damaged one (the orphan sweep below would then delete every segment file).
        db_options.create_if_missing(new_catalog);
        db_options.set_paranoid_checks(true);
        // RocksDB's info log is rotated at every open; keep a few, not one per run forever.
        db_options.set_keep_log_file_num(4);
        // Upserts look up every key of a batch in the primary index; most are absent in a bulk load.
        let mut table_options = rocksdb::BlockBasedOptions::default();
        table_options.set_bloom_filter(10.0, false);
        db_options.set_block_based_table_factory(&table_options);
        // The default column family is opened by name so that batched lookups can address it.
        let meta = DB::open_cf(&db_options, &meta_dir, [rocksdb::DEFAULT_COLUMN_FAMILY_NAME])?;
        // Every commit records the format; a catalog without it has never committed anything, so it
        // cannot be the one that named the segment files found under data/.
        if read_u64(&meta, keys::FORMAT_KEY)?.is_none() {
            let files = count_segment_files(&data_dir)?;
            if files > 0 {
                return Err(StorageError::Corruption(format!(
                    "the catalog of data directory {} (meta/) is new, but data/ holds {files} segment files of an \
                     earlier catalog; refusing to open, since that would delete them as orphans. Put back the \
                     meta/ folder that belongs to them, or move data/ away to start empty",
                    dir.display()
                )));
            }
        }

        let cache = SegmentCache::new(DEFAULT_SEGMENT_CACHE_BYTES);
        let (state, max_id) = load_state(&meta, &data_dir, &cache)?;
        let persisted_next = read_u64(&meta, keys::NEXT_ID_KEY)?.unwrap_or(1);
        let next_id = persisted_next.max(max_id + 1);
        let ids = IdBlock { next: next_id, limit: next_id };
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            data_dir,
            options: options.clone(),
            meta,
            state: RwLock::new(Arc::new(state)),
            commit_lock: Mutex::new(()),
            ids: Mutex::new(ids),
            synced_tablet_dirs: Mutex::new(HashSet::new()),
            poisoned: Mutex::new(None),
            table_locks: Mutex::new(HashMap::new()),
            compaction_hints: Mutex::new(None),
            cache,
            _lock_file: lock_file,
        });
        inner.remove_orphans()?;
        let compactor = if options.compaction { Some(Compactor::start(inner.clone())) } else { None };
        Ok(Store { inner, compactor })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn options(&self) -> &StoreOptions {
        &self.inner.options
    }

    /// The cache of decoded segment data shared by this store's readers (bounded by
    /// [`SegmentCache::set_capacity`]).
    pub fn segment_cache(&self) -> &Arc<SegmentCache> {
        &self.inner.cache
    }

    /// The current committed state. Holding it pins every version (and file) in it.
    pub fn snapshot(&self) -> Arc<MetaState> {
        self.inner.snapshot()
    }

    /// A fresh id, never handed out before in this directory.
    pub fn allocate_id(&self) -> Result<u64> {
        self.inner.allocate_id()
    }

    /// The lock that orders changes to one table: appends (INSERT) and compaction take it shared;
    /// statements that remove or rewrite rows or change the table's shape take it exclusive.
    pub fn table_lock(&self, table: TableId) -> Arc<RwLock<()>> {
        self.inner.table_lock(table)
    }

    /// A writer of new segment files for `tablet`, for rows that arrive over several calls (see
    /// `tablet_writer.rs`).
    pub fn tablet_writer(&self, tablet: TabletId, schema: &SchemaRef) -> Result<TabletWriter<'_>> {
        self.inner.tablet_writer(tablet, schema)
    }

    /// Writes rows for one tablet into new segment files (at most `segment_max_rows` rows each).
    pub fn write_segments(
        &self,
        tablet: TabletId,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Vec<PendingSegment>> {
        self.inner.write_segments(tablet, schema, batches)
    }

    /// Reads every row of a committed segment, deleted ones included (see [`Store::read_live`]).
    pub fn read_segment(&self, segment: &Segment) -> Result<Vec<RecordBatch>> {
        segment.verify()?;
        read_segment_file(segment.path())
    }

    /// Reads the rows of `segment` that are live in `version` (its delete vector applied).
    pub fn read_live(&self, version: &TabletVersion, segment: &Segment) -> Result<Vec<RecordBatch>> {
        read_live_rows(segment, version.deleted(segment.id()).map(|d| d.as_ref()))
    }

    /// Looks up the primary index entries of `keys` (encoded with [`primary_index::encode_keys`]) in
    /// `tablet`. The caller holds the table's exclusive lock, so the answer stays true until it commits.
    pub fn index_lookup(&self, tablet: TabletId, keys: &[&[u8]]) -> Result<Vec<Option<RowLocation>>> {
        let cf = self.inner.meta.cf_handle(rocksdb::DEFAULT_COLUMN_FAMILY_NAME).ok_or_else(|| {
            StorageError::Internal("the metadata store has no default column family handle".to_string())
        })?;
        // Sorted lookups let RocksDB batch them block by block.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by(|a, b| keys[*a].cmp(keys[*b]));
        let sorted: Vec<Vec<u8>> = order.iter().map(|i| primary_index::index_key(tablet, keys[*i])).collect();
        let mut out = vec![None; keys.len()];
        for (i, result) in order.into_iter().zip(self.inner.meta.batched_multi_get_cf(cf, &sorted, true)) {
            out[i] = result?.map(|v| primary_index::decode_location(&v)).transpose()?;
        }
        Ok(out)
    }

    /// Commits a transaction atomically and durably, and returns the state it produced.
    pub fn commit(&self, txn: Transaction) -> Result<Arc<MetaState>> {
        self.inner.commit(txn)
    }

    /// Hard-links the segment files of `tablets`, as of `state`, into `snapshots/<name>/` (see
    /// `snapshot.rs`). The caller must keep `state` alive until this returns.
    pub fn create_snapshot(
        &self,
        name: &str,
        state: &MetaState,
        tablets: &[TabletId],
    ) -> Result<crate::snapshot::Snapshot> {
        crate::snapshot::create(&self.inner.dir.join("snapshots"), name, state, tablets)
    }

    /// Removes a snapshot folder (nothing happens if it is already gone).
    pub fn release_snapshot(&self, name: &str) -> Result<()> {
        crate::snapshot::release(&self.inner.dir.join("snapshots"), name)
    }

    /// Brings the file `source` into `staging/<name>/` (hard link, or verified copy on another
    /// filesystem) and checks its BLAKE3 against `checksum`; see `staging.rs`.
    pub fn stage_file(&self, name: &str, checksum: &str, source: &Path) -> Result<StagedFile> {
        crate::staging::stage(&self.inner.dir.join("staging"), name, checksum, source)
    }

    /// Turns staged files into pending segments of `tablet`, each with a fresh segment id (the rest of
    /// its `meta` is kept: the bytes are the same). Their folder entries are made durable by the commit
    /// that names them (one fsync per folder, all folders at once). Nothing is visible until then.
    pub fn adopt_staged(&self, tablet: TabletId, files: &[(&StagedFile, &SegmentMeta)]) -> Result<Vec<PendingSegment>> {
        self.inner.adopt_staged(tablet, files)
    }

    /// Checks that a staged file is what `meta` says (size, row count) and has exactly `schema`, so that
    /// a manifest that disagrees with its files can never be committed (a wrong size would make the
    /// directory unopenable; a wrong row count or schema would give wrong answers).
    pub fn check_staged(&self, staged: &StagedFile, meta: &SegmentMeta, schema: &SchemaRef) -> Result<()> {
        let corrupt = |what: String| {
            StorageError::Corruption(format!("staged file {} ({}): {what}", staged.path.display(), staged.checksum))
        };
        let size = fs::metadata(&staged.path).at(&staged.path)?.len();
        if size != meta.bytes {
            return Err(corrupt(format!("it has {size} bytes, the manifest says {}", meta.bytes)));
        }
        let file = File::open(&staged.path).at(&staged.path)?;
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| corrupt(format!("it is not a readable Parquet file: {e}")))?;
        let rows = builder.metadata().file_metadata().num_rows();
        if u64::try_from(rows).ok() != Some(meta.rows) {
            return Err(corrupt(format!("it has {rows} rows, the manifest says {}", meta.rows)));
        }
        if builder.schema().fields() != schema.fields() {
            return Err(corrupt("its columns differ from the table definition in the manifest".to_string()));
        }
        Ok(())
    }

    /// Removes a staging folder (nothing happens if it is already gone).
    pub fn release_staging(&self, name: &str) -> Result<()> {
        crate::staging::release(&self.inner.dir.join("staging"), name)
    }

    /// Compacts every tablet that has enough small segments, now, in the calling thread. Returns the
    /// number of tablets compacted.
    pub fn compact_all(&self) -> Result<usize> {
        let tablets: Vec<TabletId> = self.snapshot().tablets.keys().copied().collect();
        let mut n = 0;
        for tablet in tablets {
            // The caller holds no table lock, but a writer may: wait for it.
            loop {
                match crate::compaction::compact_tablet(&self.inner, tablet, 2)? {
                    crate::compaction::Outcome::Merged => n += 1,
                    crate::compaction::Outcome::Nothing => {}
                    crate::compaction::Outcome::Busy => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                }
                break;
            }
        }
        Ok(n)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(c) = self.compactor.take() {
            c.stop();
        }
    }
}

impl Inner {
    pub(crate) fn snapshot(&self) -> Arc<MetaState> {
        self.state.read().clone()
    }

    pub(crate) fn allocate_id(&self) -> Result<u64> {
        let mut ids = self.ids.lock();
        if ids.next >= ids.limit {
            let limit = ids.next + ID_BLOCK;
            let mut write_options = WriteOptions::default();
            write_options.set_sync(true);
            self.meta.put_opt(keys::NEXT_ID_KEY, limit.to_string(), &write_options)?;
            ids.limit = limit;
        }
        let id = ids.next;
        ids.next += 1;
        Ok(id)
    }

    pub(crate) fn table_lock(&self, table: TableId) -> Arc<RwLock<()>> {
        self.table_locks.lock().entry(table).or_default().clone()
    }

    pub(crate) fn set_compaction_hints(&self, tx: Option<crossbeam::channel::Sender<TabletId>>) {
        *self.compaction_hints.lock() = tx;
    }

    /// The tablet's folder under `data/`, created (and its entry made durable) if needed.
    fn tablet_dir(&self, tablet: TabletId) -> Result<PathBuf> {
        let dir = self.data_dir.join(tablet.0.to_string());
        // Held across create + fsync so that a concurrent writer to the same new tablet cannot
        // commit a file in a folder whose entry is not yet durable.
        let mut synced = self.synced_tablet_dirs.lock();
        if !synced.contains(&tablet) {
            fs::create_dir_all(&dir).at(&dir)?;
            sync_dir(&self.data_dir)?;
            synced.insert(tablet);
        }
        Ok(dir)
    }

    pub(crate) fn adopt_staged(
        &self,
        tablet: TabletId,
        files: &[(&StagedFile, &SegmentMeta)],
    ) -> Result<Vec<PendingSegment>> {
        self.tablet_dir(tablet)?;
        let mut out = Vec::with_capacity(files.len());
        for (staged, meta) in files {
            let id = SegmentId(self.allocate_id()?);
            let path = self.data_dir.join(segment_file_name(tablet, id));
            crate::staging::adopt(staged, &path, meta)?;
            // The guard exists once the link does, so that any failure below removes it.
            let meta = SegmentMeta { id, ..(*meta).clone() };
            out.push(PendingSegment { meta, tablet, path, committed: false, entry_synced: false });
        }
        Ok(out)
    }

    pub(crate) fn tablet_writer(&self, tablet: TabletId, schema: &SchemaRef) -> Result<TabletWriter<'_>> {
        Ok(TabletWriter::new(self, tablet, self.tablet_dir(tablet)?, schema))
    }

    pub(crate) fn write_segments(
        &self,
        tablet: TabletId,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Vec<PendingSegment>> {
        let mut writer = self.tablet_writer(tablet, schema)?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish()
    }

    pub(crate) fn commit(&self, txn: Transaction) -> Result<Arc<MetaState>> {
        // Folder entries of new segments not made durable yet (adopted restore files), before the
        // metadata names them; outside the commit lock, so other commits do not wait on these fsyncs.
        sync_dirs(&txn.unsynced_folders())?;
        let _commit = self.commit_lock.lock();
        if let Some(reason) = self.poisoned.lock().clone() {
            return Err(StorageError::Poisoned(reason));
        }
        let base = self.snapshot();
        let mut next = (*base).clone();
        let mut dirty_databases = HashSet::new();
        let mut dirty_tables = HashSet::new();
        let mut dirty_tablets = HashSet::new();
        let mut dirty_records: HashSet<(&'static str, u64)> = HashSet::new();
        let mut pendings: Vec<PendingSegment> = Vec::new();
        let mut grown_tablets = Vec::new();
        // Primary index changes, in transaction order (range deletes of emptied tablets included).
        let mut index_writes: Vec<IndexWrite> = Vec::new();
        // A tablet's version before this commit first changed its segments or deletes: however many
        // changes the commit makes to it, its version goes up by one.
        let mut versions_before: HashMap<TabletId, u64> = HashMap::new();
        // Tables whose rows changed other than by appending (see "rollup invalidation" below).
        let mut rewritten_tables: HashSet<TableId> = HashSet::new();
        let rows_preserved = txn.rows_preserved;
        let unsynced = txn.unsynced;

        for op in txn.ops {
            match op {
                Op::PutDatabase(def) => {
                    if next.databases.values().any(|d| d.name == def.name && d.id != def.id) {
                        return Err(StorageError::Conflict(format!("database {} already exists", def.name)));
                    }
                    dirty_databases.insert(def.id);
                    next.databases.insert(def.id, Arc::new(def));
                }
                Op::DropDatabase(id) => {
                    if let Some(t) = next.tables.values().find(|t| t.database_id == id) {
                        return Err(StorageError::Internal(format!(
                            "database {id} dropped while it still has table {}",
                            t.name
                        )));
                    }
                    dirty_databases.insert(id);
                    next.databases.remove(&id);
                }
                Op::PutTable(mut def) => {
                    if !next.databases.contains_key(&def.database_id) {
                        return Err(StorageError::Conflict(format!("the database of table {} was dropped", def.name)));
                    }
                    if next
                        .tables
                        .values()
                        .any(|t| t.database_id == def.database_id && t.name == def.name && t.id != def.id)
                    {
                        return Err(StorageError::Conflict(format!("table {} already exists", def.name)));
                    }
                    def.sort_partitions();
                    let new_tablets: HashSet<TabletId> = def.tablets().collect();
                    if let Some(old) = next.tables.get(&def.id).cloned() {
                        for t in old.tablets().filter(|t| !new_tablets.contains(t)) {
                            rewritten_tables.insert(def.id);
                            next.tablets.remove(&t);
                            dirty_tablets.insert(t);
                            if old.key.model.is_keyed() {
                                index_writes.push(IndexWrite::Clear(t));
                            }
                        }
                    }
                    for p in &def.partitions {
                        for &t in &p.tablets {
                            if let std::collections::hash_map::Entry::Vacant(slot) = next.tablets.entry(t) {
                                slot.insert(Arc::new(TabletVersion {
                                    tablet: t,
                                    table: def.id,
                                    partition: p.id,
                                    version: 1,
                                    segments: Vec::new(),
                                    deletes: BTreeMap::new(),
                                }));
                                dirty_tablets.insert(t);
                            }
                        }
                    }
                    dirty_tables.insert(def.id);
                    next.tables.insert(def.id, Arc::new(def));
                }
                Op::DropTable(id) => {
                    if let Some(old) = next.tables.remove(&id) {
                        for t in old.tablets() {
                            next.tablets.remove(&t);
                            dirty_tablets.insert(t);
                            if old.key.model.is_keyed() {
                                index_writes.push(IndexWrite::Clear(t));
                            }
                        }
                    }
                    dirty_tables.insert(id);
                }
                Op::DeleteRows { tablet, segment, rows } => {
                    let current = next.tablets.get(&tablet).cloned().ok_or_else(|| {
                        StorageError::Conflict(format!("tablet {tablet} was dropped while rows were being deleted"))
                    })?;
                    let Some(held) = current.segments.iter().find(|s| s.id() == segment) else {
                        return Err(StorageError::Conflict(format!(
                            "segment {segment} left tablet {tablet} while rows were being deleted from it"
                        )));
                    };
                    if rows.max().is_some_and(|r| u64::from(r) >= held.meta.rows) {
                        return Err(StorageError::Internal(format!(
                            "a delete names a row past the {} rows of segment {segment}",
                            held.meta.rows
                        )));
                    }
                    if !rows_preserved {
                        rewritten_tables.insert(current.table);
                    }
                    let mut version = (*current).clone();
                    let merged = match version.deletes.get(&segment) {
                        Some(old) => old.union(&rows),
                        None => rows,
                    };
                    version.deletes.insert(segment, Arc::new(merged));
                    version.version = *versions_before.entry(tablet).or_insert(current.version) + 1;
                    next.tablets.insert(tablet, Arc::new(version));
                    dirty_tablets.insert(tablet);
                    // Mostly deleted segments are worth merging away.
                    grown_tablets.push(tablet);
                }
                Op::IndexPut { key, location } => index_writes.push(IndexWrite::Put(key, location)),
                Op::IndexDelete { key } => index_writes.push(IndexWrite::Delete(key)),
                Op::PutRecord { kind, id, value } => {
                    next.records.insert((kind.to_string(), id), Arc::new(value));
                    dirty_records.insert((kind, id));
                }
                Op::DeleteRecord { kind, id } => {
                    next.records.remove(&(kind.to_string(), id));
                    dirty_records.insert((kind, id));
                }
                Op::ChangeSegments { tablet, remove, add } => {
                    let current = next.tablets.get(&tablet).cloned().ok_or_else(|| {
                        StorageError::Conflict(format!("tablet {tablet} was dropped while it was being written"))
                    })?;
                    let removes = !matches!(&remove, SegmentRemoval::Exactly(ids) if ids.is_empty());
                    if removes && !rows_preserved {
                        rewritten_tables.insert(current.table);
                    }
                    let mut segments = match remove {
                        SegmentRemoval::All => {
                            if next.tables.get(&current.table).is_none_or(|t| t.key.model.is_keyed()) {
                                index_writes.push(IndexWrite::Clear(tablet));
                            }
                            Vec::new()
                        }
                        SegmentRemoval::Exactly(ids) => {
                            let remove: HashSet<SegmentId> = ids.iter().copied().collect();
                            let kept: Vec<_> =
                                current.segments.iter().filter(|s| !remove.contains(&s.id())).cloned().collect();
                            if kept.len() + remove.len() != current.segments.len() {
                                return Err(StorageError::Conflict(format!(
                                    "tablet {tablet} changed while its segments were being rewritten"
                                )));
                            }
                            kept
                        }
                    };
                    for p in &add {
                        if p.tablet != tablet {
                            return Err(StorageError::Internal(format!(
                                "segment {} written for tablet {} committed to tablet {tablet}",
                                p.meta.id, p.tablet
                            )));
                        }
                        segments.push(Segment::new(p.meta.clone(), tablet, p.path.clone(), self.cache.clone()));
                    }
                    if !add.is_empty() {
                        grown_tablets.push(tablet);
                    }
                    pendings.extend(add);
                    let deletes = current
                        .deletes
                        .iter()
                        .filter(|(id, _)| segments.iter().any(|s| s.id() == **id))
                        .map(|(id, dv)| (*id, dv.clone()))
                        .collect();
                    next.tablets.insert(
                        tablet,
                        Arc::new(TabletVersion {
                            tablet,
                            table: current.table,
                            partition: current.partition,
                            version: *versions_before.entry(tablet).or_insert(current.version) + 1,
                            segments,
                            deletes,
                        }),
                    );
                    dirty_tablets.insert(tablet);
                }
            }
        }
        // Rollup invalidation: a synchronous materialized view is kept equal to its base by the writes
        // that append to the base (they upsert the new rows' aggregates into it in the same commit).
        // Any other change to the base's rows (rows deleted or rewritten, tablets overwritten or
        // dropped with a partition or a restore) clears the view's `ready` flag in this same commit, so
        // that no path, present or future, can leave a rollup that claims to match its base but does
        // not. The engine then rebuilds it; queries never read a rollup that is not ready.
        if !rewritten_tables.is_empty() {
            let stale: Vec<TableDef> = next
                .tables
                .values()
                .filter(|t| {
                    t.materialized.as_ref().is_some_and(|mv| {
                        matches!(mv.kind, MaterializedKind::Sync { base, ready: true } if rewritten_tables.contains(&base))
                    })
                })
                .map(|t| (**t).clone())
                .collect();
            for mut def in stale {
                if let Some(MaterializedKind::Sync { ready, .. }) = def.materialized.as_mut().map(|mv| &mut mv.kind) {
                    *ready = false;
                }
                dirty_tables.insert(def.id);
                next.tables.insert(def.id, Arc::new(def));
            }
        }
        next.commit_seq = base.commit_seq + 1;

        let mut batch = WriteBatch::default();
        for id in &dirty_databases {
            match next.databases.get(id) {
                Some(def) => batch.put(keys::database_key(*id), to_json(def.as_ref())?),
                None => batch.delete(keys::database_key(*id)),
            }
        }
        for id in &dirty_tables {
            match next.tables.get(id) {
                Some(def) => batch.put(keys::table_key(*id), to_json(def.as_ref())?),
                None => batch.delete(keys::table_key(*id)),
            }
        }
        for id in &dirty_tablets {
            match next.tablets.get(id) {
                Some(v) => batch.put(keys::tablet_key(*id), to_json(&v.record())?),
                None => batch.delete(keys::tablet_key(*id)),
            }
            let old_deletes = base.tablets.get(id).map(|v| &v.deletes);
            let new_deletes = next.tablets.get(id).map(|v| &v.deletes);
            if new_deletes.is_none() {
                let (start, end) = keys::delete_vector_range(*id);
                batch.delete_range(start, end);
                continue;
            }
            for (segment, dv) in new_deletes.into_iter().flatten() {
                if old_deletes.and_then(|o| o.get(segment)).is_none_or(|o| !Arc::ptr_eq(o, dv)) {
                    batch.put(keys::delete_vector_key(*id, *segment), dv.encode());
                }
            }
            for segment in old_deletes.into_iter().flat_map(|o| o.keys()) {
                if new_deletes.is_some_and(|n| !n.contains_key(segment)) {
                    batch.delete(keys::delete_vector_key(*id, *segment));
                }
            }
        }
        for write in index_writes {
            match write {
                IndexWrite::Put(key, location) => batch.put(key, primary_index::encode_location(location)),
                IndexWrite::Delete(key) => batch.delete(key),
                IndexWrite::Clear(tablet) => {
                    batch.delete_range(primary_index::tablet_prefix(tablet), primary_index::tablet_prefix_end(tablet))
                }
            }
        }
        for (kind, id) in &dirty_records {
            match next.records.get(&(kind.to_string(), *id)) {
                Some(value) => batch.put(keys::record_key(kind, *id), value.as_slice()),
                None => batch.delete(keys::record_key(kind, *id)),
            }
        }
        batch.put(keys::COMMIT_SEQ_KEY, next.commit_seq.to_string());
        batch.put(keys::FORMAT_KEY, keys::DIRECTORY_FORMAT_VERSION.to_string());
        if unsynced && !pendings.is_empty() {
            return Err(StorageError::Internal("a commit that adds segments must be synced".to_string()));
        }

        let mut write_options = WriteOptions::default();
        write_options.set_sync(!unsynced);
        if let Err(e) = self.meta.write_opt(batch, &write_options) {
            // The batch may have reached the log before the failure and be replayed on the next open,
            // so its new files must stay; the orphan sweep at open removes them if it was not.
            for p in &mut pendings {
                p.committed = true;
            }
            *self.poisoned.lock() = Some(e.to_string());
            return Err(StorageError::Meta(e));
        }
        // Durable from here on.
        for p in &mut pendings {
            p.committed = true;
        }
        let next = Arc::new(next);
        *self.state.write() = next.clone();

        // Segments that no new version holds go when their last reader lets go.
        for id in &dirty_tablets {
            let Some(old) = base.tablets.get(id) else { continue };
            let still: HashSet<SegmentId> =
                next.tablets.get(id).map(|v| v.segments.iter().map(|s| s.id()).collect()).unwrap_or_default();
            for s in old.segments.iter().filter(|s| !still.contains(&s.id())) {
                s.mark_obsolete();
            }
        }
        if let Some(tx) = self.compaction_hints.lock().as_ref() {
            for t in grown_tablets {
                let _ = tx.try_send(t);
            }
        }
        Ok(next)
    }

    /// Deletes files and folders under `data/` that no committed version refers to (left by a crash
    /// between writing a segment and committing it, or between a commit and a deletion), and empties
    /// `staging/` and `snapshots/`, which no job owns in this format version.
    fn remove_orphans(&self) -> Result<()> {
        let state = self.snapshot();
        let entries = fs::read_dir(&self.data_dir).at(&self.data_dir)?;
        for entry in entries {
            let entry = entry.at(&self.data_dir)?;
            let path = entry.path();
            let tablet = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()).map(TabletId);
            let Some(version) = tablet.and_then(|t| state.tablets.get(&t)) else {
                remove_path(&path)?;
                continue;
            };
            let live: HashSet<String> = version.segments.iter().map(|s| format!("{}.parquet", s.id().0)).collect();
            for file in fs::read_dir(&path).at(&path)? {
                let file = file.at(&path)?;
                if !file.file_name().to_str().is_some_and(|n| live.contains(n)) {
                    remove_path(&file.path())?;
                }
            }
        }
        for sub in ["staging", "snapshots"] {
            let dir = self.dir.join(sub);
            for entry in fs::read_dir(&dir).at(&dir)? {
                remove_path(&entry.at(&dir)?.path())?;
            }
        }
        Ok(())
    }
}

/// Reads a segment's rows without those `deleted` names.
pub(crate) fn read_live_rows(segment: &Segment, deleted: Option<&DeleteVector>) -> Result<Vec<RecordBatch>> {
    segment.verify()?;
    let batches = read_segment_file(segment.path())?;
    let Some(deleted) = deleted.filter(|d| !d.is_empty()) else { return Ok(batches) };
    let mut offset = 0u64;
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mask = deleted.live_mask(offset, batch.num_rows());
        offset += batch.num_rows() as u64;
        out.push(arrow::compute::filter_record_batch(&batch, &mask)?);
    }
    Ok(out)
}

/// One change to the primary index within a commit.
enum IndexWrite {
    /// Full RocksDB keys.
    Put(Vec<u8>, RowLocation),
    Delete(Vec<u8>),
    /// Every entry of the tablet (it was dropped or all its segments were replaced).
    Clear(TabletId),
}

/// Decides, before RocksDB opens `meta_dir`, whether the catalog is to be created (`true`): only when
/// there is none and no segment file either. A catalog that is missing its `CURRENT` file but keeps
/// the RocksDB files that hold its contents (write-ahead logs, tables; a manifest alone, left by a
/// creation that stopped before `CURRENT`, holds none), or that is missing while `data/` holds
/// segment files, is refused, naming what is missing; the files are left exactly as they were.
fn check_catalog_files(dir: &Path, meta_dir: &Path, data_dir: &Path) -> Result<bool> {
    if meta_dir.join("CURRENT").exists() {
        return Ok(false);
    }
    let mut kept = Vec::new();
    match fs::read_dir(meta_dir) {
        Ok(entries) => {
            for entry in entries {
                let name = entry.at(meta_dir)?.file_name().to_string_lossy().into_owned();
                if name.ends_with(".log") || name.ends_with(".sst") {
                    kept.push(name);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StorageError::io(meta_dir, e)),
    }
    if !kept.is_empty() {
        kept.sort();
        return Err(StorageError::Corruption(format!(
            "the catalog of data directory {} is damaged: meta/CURRENT is missing, but meta/ still holds {}; \
             refusing to open, since starting a new catalog would lose every table. Put back meta/CURRENT (or the \
             whole meta/ folder) from a copy of this directory, or RESTORE the databases into a new data directory",
            dir.display(),
            kept.join(", ")
        )));
    }
    let files = count_segment_files(data_dir)?;
    if files > 0 {
        return Err(StorageError::Corruption(format!(
            "the catalog of data directory {} is missing (no meta/ catalog), but data/ holds {files} segment files; \
             refusing to open, since starting a new catalog would delete them as orphans. Put back the meta/ folder \
             from a copy of this directory, or move data/ away to start empty",
            dir.display()
        )));
    }
    Ok(true)
}

/// How many files the tablet folders under `data_dir` hold.
fn count_segment_files(data_dir: &Path) -> Result<usize> {
    let mut files = 0;
    for tablet in fs::read_dir(data_dir).at(data_dir)? {
        let tablet = tablet.at(data_dir)?.path();
        if tablet.is_dir() {
            files += fs::read_dir(&tablet).at(&tablet)?.count();
        } else {
            files += 1;
        }
    }
    Ok(files)
}

fn remove_path(path: &Path) -> Result<()> {
    log::info!("removing unreferenced {}", path.display());
    let r = if path.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    r.at(path)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StorageError::Internal(format!("cannot encode a record: {e}")))
}

fn read_u64(db: &DB, key: &[u8]) -> Result<Option<u64>> {
    match db.get(key)? {
        None => Ok(None),
        Some(v) => {
            let text = String::from_utf8_lossy(&v);
            text.parse::<u64>().map(Some).map_err(|_| {
                StorageError::Corruption(format!(
                    "metadata key {} holds {text:?}, not a number",
                    String::from_utf8_lossy(key)
                ))
            })
        }
    }
}

fn scan<T: serde::de::DeserializeOwned>(db: &DB, prefix: &str) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for item in db.iterator(IteratorMode::From(prefix.as_bytes(), Direction::Forward)) {
        let (key, value) = item?;
        if !key.starts_with(prefix.as_bytes()) {
            break;
        }
        out.push(serde_json::from_slice(&value).map_err(|e| {
            StorageError::Corruption(format!(
                "metadata record {} cannot be decoded: {e}",
                String::from_utf8_lossy(&key)
            ))
        })?);
    }
    Ok(out)
}

/// Loads the committed state and returns it with the highest id it mentions.
fn load_state(db: &DB, data_dir: &Path, cache: &Arc<SegmentCache>) -> Result<(MetaState, u64)> {
    if let Some(format) = read_u64(db, keys::FORMAT_KEY)? {
        if format > u64::from(keys::DIRECTORY_FORMAT_VERSION) {
            return Err(StorageError::Unsupported(format!(
                "the data directory has format version {format}; this build reads up to {}",
                keys::DIRECTORY_FORMAT_VERSION
            )));
        }
    }
    let mut state = MetaState { commit_seq: read_u64(db, keys::COMMIT_SEQ_KEY)?.unwrap_or(0), ..Default::default() };
    let mut max_id = 0u64;
    for def in scan::<DatabaseDef>(db, keys::DATABASE_PREFIX)? {
        max_id = max_id.max(def.id.0);
        state.databases.insert(def.id, Arc::new(def));
    }
    for def in scan::<TableDef>(db, keys::TABLE_PREFIX)? {
        max_id = max_id.max(def.id.0);
        for p in &def.partitions {
            max_id = max_id.max(p.id.0);
            max_id = p.tablets.iter().fold(max_id, |m, t| m.max(t.0));
        }
        state.tables.insert(def.id, Arc::new(def));
    }
    for item in db.iterator(IteratorMode::From(keys::RECORD_PREFIX.as_bytes(), Direction::Forward)) {
        let (key, value) = item?;
        if !key.starts_with(keys::RECORD_PREFIX.as_bytes()) {
            break;
        }
        let (kind, id) = keys::parse_record_key(&key).ok_or_else(|| {
            StorageError::Corruption(format!(
                "metadata key {} is not a valid record key",
                String::from_utf8_lossy(&key)
            ))
        })?;
        max_id = max_id.max(id);
        state.records.insert((kind, id), Arc::new(value.to_vec()));
    }
    for record in scan::<TabletRecord>(db, keys::TABLET_PREFIX)? {
        let mut segments = Vec::with_capacity(record.segments.len());
        for meta in record.segments {
            max_id = max_id.max(meta.id.0);
            let path = data_dir.join(segment_file_name(record.tablet, meta.id));
            // A damaged file is contained to its table: the directory still opens, reads of that
            // table fail naming the file, and DROP or RESTORE replace it.
            let damage = match fs::metadata(&path) {
                Err(e) => Some(format!("segment file {} of tablet {} is missing: {e}", path.display(), record.tablet)),
                Ok(m) if m.len() != meta.bytes => Some(format!(
                    "segment file {} of tablet {} has {} bytes, the metadata says {}",
                    path.display(),
                    record.tablet,
                    m.len(),
                    meta.bytes
                )),
                Ok(_) => None,
            };
            if let Some(damage) = &damage {
                log::warn!("{damage}");
            }
            segments.push(Segment::loaded(meta, record.tablet, path, cache.clone(), damage));
        }
        state.tablets.insert(
            record.tablet,
            Arc::new(TabletVersion {
                tablet: record.tablet,
                table: record.table,
                partition: record.partition,
                version: record.version,
                segments,
                deletes: BTreeMap::new(),
            }),
        );
    }
    for item in db.iterator(IteratorMode::From(keys::DELETE_VECTOR_PREFIX.as_bytes(), Direction::Forward)) {
        let (key, value) = item?;
        if !key.starts_with(keys::DELETE_VECTOR_PREFIX.as_bytes()) {
            break;
        }
        let name = String::from_utf8_lossy(&key).to_string();
        let (tablet, segment) = keys::parse_delete_vector_key(&key)
            .ok_or_else(|| StorageError::Corruption(format!("metadata key {name} is not a valid delete vector key")))?;
        let dv = DeleteVector::decode(&value, &name)?;
        let version = state
            .tablets
            .get_mut(&tablet)
            .and_then(Arc::get_mut)
            .ok_or_else(|| StorageError::Corruption(format!("delete vector {name} belongs to no tablet")))?;
        let Some(held) = version.segments.iter().find(|s| s.id() == segment) else {
            return Err(StorageError::Corruption(format!("delete vector {name} belongs to no segment of its tablet")));
        };
        if dv.max().is_some_and(|r| u64::from(r) >= held.meta.rows) {
            return Err(StorageError::Corruption(format!(
                "delete vector {name} names rows past the {} rows of its segment",
                held.meta.rows
            )));
        }
        version.deletes.insert(segment, Arc::new(dv));
    }
    Ok((state, max_id))
}
