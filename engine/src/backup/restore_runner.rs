//! The thread that runs one restore job from PENDING to FINISHED or CANCELLED.
//!
//! SNAPSHOTING and DOWNLOAD only record progress (a single node needs no replica snapshots);
//! DOWNLOADING stages every data file the job needs into `staging/restore-<job>/` (hard link or copy,
//! verified against the manifest's BLAKE3: see `tessera_storage::staging`), several files at once; COMMIT and COMMITTING take
//! the DDL lock and the target tables' exclusive locks, re-check the overwrite rules against the
//! current state, link the staged files into their target tablets under fresh segment ids, and commit
//! ONE transaction holding the new or changed table definitions (back in state NORMAL), the new
//! segments and the FINISHED job record.
//!
//! What stays true: no table's data or shape changes before that commit, so a failure, a CANCEL, a
//! timeout or a crash at any earlier point leaves every table exactly as it was (a missing target
//! database created at submission stays, as in StarRocks); the tables the job put in state RESTORE are
//! put back to NORMAL in the same commit that ends the job (or on the next open after a crash); the
//! staging folder is removed however the job ends.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rayon::prelude::*;
use tessera_backup::timestamp::now_ms;
use tessera_backup::{ManifestTablet, Repository};
use tessera_storage::{
    RowLocation, SegmentId, StagedFile, Store, TableDef, TableId, TableState, TabletId, Transaction,
};

use super::backup_job::{common_error, STATUS_OK};
use super::job_control::JobRecord;
use super::restore_check::plan as plan_table;
use super::restore_job::{RestoreJob, RestoreJobRecord, RestoreState, RESTORE_JOB_RECORD};

/// One table of the job: the snapshot definition (restricted to the selected partitions) and the name
/// it is restored under.
pub(crate) struct RestoreTable {
    pub definition: TableDef,
    pub target: String,
}

/// Everything a restore job needs, fixed at submission.
pub(crate) struct RestorePlan {
    pub tables: Vec<RestoreTable>,
    /// The views and functions to restore, renamed for the target database.
    pub objects: super::restore_objects::RestoredObjects,
    /// The snapshot's tablets (by snapshot tablet id) with their files.
    pub tablets: BTreeMap<TabletId, ManifestTablet>,
    /// The staging folder name under `staging/`.
    pub staging: String,
    /// Pause after each staged file (tests use it to watch and cancel a job mid-way).
    pub file_delay: Duration,
    /// When the job times out, in milliseconds since the epoch.
    pub deadline_ms: i64,
    /// The engine's DDL lock, held while the job commits.
    pub ddl: Arc<Mutex<()>>,
    /// The existing tables this job put in state RESTORE (back to NORMAL when it ends).
    pub marked: Vec<TableId>,
    /// Targets that did not exist at submission (the job creates them).
    pub new_targets: Vec<String>,
    /// The target database as it was at submission: a database dropped and re-created under the same
    /// name meanwhile is another database, and the job fails rather than restore into it.
    pub database_id: Option<tessera_storage::DatabaseId>,
    /// Told of every state the job enters, and of FINISHED right after the commit.
    pub hook: Option<crate::database::RestoreHook>,
}

fn tell_hook(job: &RestoreJob, plan: &RestorePlan, state: RestoreState) {
    if let Some(hook) = &plan.hook {
        let id = job.record.lock().id;
        (hook.0)(id, state);
    }
}

pub(crate) fn start(store: Arc<Store>, repository: Arc<Repository>, job: Arc<RestoreJob>, plan: RestorePlan) {
    // Claimed before the statement returns, so that a concurrent DROP SNAPSHOT's garbage collection
    // keeps every file the job still has to stage.
    let claimed: Vec<String> = needed_files(&plan).into_keys().collect();
    let (ddl, marked) = (plan.ddl.clone(), plan.marked.clone());
    repository.claim(claimed.iter().map(String::as_str));
    let worker = job.clone();
    let worker_store = store.clone();
    let worker_repository = repository.clone();
    let id = job.record.lock().id;
    let spawned = std::thread::Builder::new()
        .name(format!("tessera-restore-{id}"))
        .spawn(move || run(&worker_store, &worker_repository, &worker, &plan));
    match spawned {
        Ok(handle) => *job.thread.lock() = Some(handle),
        Err(e) => {
            // The closure and the plan it held are gone: release what the plan claimed and marked.
            repository.unclaim(claimed.iter().map(String::as_str));
            end_cancelled(&store, &job, &ddl, &marked, common_error(&format!("cannot start the job thread: {e}")));
            let _record = job.record.lock();
            job.done.notify_all();
        }
    }
}

fn run(store: &Store, repository: &Repository, job: &RestoreJob, plan: &RestorePlan) {
    // A panic (a bug, or a hook that panics) must still end the job and wake whoever waits on it.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| steps(store, repository, job, plan)))
        .unwrap_or_else(|_| Err(common_error("internal error: the job stopped unexpectedly")));
    repository.unclaim(needed_files(plan).keys().map(String::as_str));
    if let Err(e) = store.release_staging(&plan.staging) {
        log::warn!("releasing staging folder {}: {e}", plan.staging);
    }
    // Once the commit is done the restore is complete: nothing after it (a panicking hook) may undo it.
    let committed = job.record.lock().state == RestoreState::Finished;
    if let (Err(status), false) = (outcome, committed) {
        end_cancelled(store, job, &plan.ddl, &plan.marked, status);
    }
    let _record = job.record.lock();
    job.done.notify_all();
}

/// Ends the job CANCELLED with `status` and, in the same commit, puts the tables it marked back to
/// NORMAL. Nothing else was changed by the job, so nothing else needs undoing.
fn end_cancelled(store: &Store, job: &RestoreJob, ddl: &Mutex<()>, marked: &[TableId], status: String) {
    let record = {
        let mut record = job.record.lock();
        record.state = RestoreState::Cancelled;
        record.status = status;
        record.finished_ms = Some(now_ms());
        record.clone()
    };
    let _ddl = ddl.lock();
    let state = store.snapshot();
    let mut txn = Transaction::new();
    for id in marked {
        if let Some(table) = state.tables.get(id).filter(|t| t.state == TableState::Restore) {
            let mut def = table.as_ref().clone();
            def.state = TableState::Normal;
            txn.put_table(def);
        }
    }
    txn.put_record(RESTORE_JOB_RECORD, record.id, record.encode());
    if let Err(e) = store.commit(txn) {
        // The next open puts the tables back to NORMAL and cancels the job record anyway.
        log::warn!("saving the end of restore job {}: {e}", record.id);
    }
}

/// [`JobControl::enter`](super::job_control::JobControl::enter) with the plan's hook and deadline.
fn enter(
    store: &Store,
    job: &RestoreJob,
    plan: &RestorePlan,
    state: RestoreState,
    change: impl FnOnce(&mut RestoreJobRecord),
) -> Result<(), String> {
    job.enter(store, state, change, plan.hook.as_ref().map(|h| &*h.0), plan.deadline_ms)
}

fn check(job: &RestoreJob, plan: &RestorePlan) -> Result<(), String> {
    job.check(plan.deadline_ms)
}

/// Each data file the job needs once (by checksum), with its size.
fn needed_files(plan: &RestorePlan) -> BTreeMap<String, u64> {
    let mut files = BTreeMap::new();
    for table in &plan.tables {
        for tablet in table.definition.tablets() {
            if let Some(t) = plan.tablets.get(&tablet) {
                for s in &t.segments {
                    files.insert(s.checksum.clone(), s.bytes);
                }
            }
        }
    }
    files
}

fn steps(store: &Store, repository: &Repository, job: &RestoreJob, plan: &RestorePlan) -> Result<(), String> {
    enter(store, job, plan, RestoreState::Snapshoting, |r| r.meta_prepared_ms = Some(now_ms()))?;
    let files = needed_files(plan);
    enter(store, job, plan, RestoreState::Download, |r| {
        r.snapshot_finished_ms = Some(now_ms());
        r.files_total = files.len() as u64;
        r.bytes_total = files.values().sum();
    })?;
    enter(store, job, plan, RestoreState::Downloading, |_| {})?;
    // Files are staged (linked or copied, and hashed) on every core at once; the first failure stops
    // the rest.
    let pool = super::file_pool(&format!("tessera-restore-{}", job.record.lock().id))?;
    let staged: HashMap<String, StagedFile> = pool.install(|| {
        files
            .par_iter()
            .map(|(checksum, bytes)| {
                check(job, plan)?;
                let source = repository
                    .local_data_file(checksum)
                    .map_err(|e| common_error(&format!("cannot read data file {checksum}: {e}")))?;
                let file = store
                    .stage_file(&plan.staging, checksum, &source)
                    .map_err(|e| common_error(&format!("staging data file {} failed: {e}", source.display())))?;
                {
                    let mut record = job.record.lock();
                    record.files_done += 1;
                    record.bytes_done += bytes;
                }
                if !plan.file_delay.is_zero() {
                    std::thread::sleep(plan.file_delay);
                }
                Ok((checksum.clone(), file))
            })
            .collect::<Result<_, String>>()
    })?;
    // Rebuilding keyed tables' primary index reads the key columns of every restored file: done here,
    // before the commit takes the DDL and table locks.
    let index = index_entries(plan, &staged)?;
    check(job, plan)?;
    enter(store, job, plan, RestoreState::Commit, |r| r.download_finished_ms = Some(now_ms()))?;
    enter(store, job, plan, RestoreState::Committing, |_| {})?;
    commit(store, job, plan, &staged, &index)
}

/// Primary index entries of the live rows of every staged file of a keyed table, by source tablet and
/// segment (locations name the source segment; the commit substitutes the adopted one).
type IndexEntries = HashMap<(TabletId, SegmentId), Vec<(Vec<u8>, RowLocation)>>;

fn index_entries(plan: &RestorePlan, staged: &HashMap<String, StagedFile>) -> Result<IndexEntries, String> {
    let mut out = HashMap::new();
    for table in plan.tables.iter().filter(|t| t.definition.key.model.is_keyed()) {
        for tablet in table.definition.tablets() {
            let Some(manifest_tablet) = plan.tablets.get(&tablet) else { continue };
            for meta in &manifest_tablet.segments {
                let file = staged
                    .get(&meta.checksum)
                    .ok_or_else(|| common_error(&format!("data file {} was not staged", meta.checksum)))?;
                let deleted = manifest_tablet.deleted(meta.id).map_err(|e| common_error(&e.to_string()))?;
                let entries = tessera_storage::keyed::index_entries_from_file(
                    &table.definition,
                    &file.path,
                    meta.id,
                    deleted.as_ref(),
                )
                .map_err(|e| common_error(&e.to_string()))?;
                out.insert((tablet, meta.id), entries);
            }
        }
    }
    Ok(out)
}

/// Builds and commits the one transaction that makes the restore visible.
fn commit(
    store: &Store,
    job: &RestoreJob,
    plan: &RestorePlan,
    staged: &HashMap<String, StagedFile>,
    index: &IndexEntries,
) -> Result<(), String> {
    let failed = |e: &dyn std::fmt::Display| common_error(&e.to_string());
    let _ddl = plan.ddl.lock();
    let database_name = job.record.lock().database.clone();
    let before = store.snapshot();
    let database = before
        .database_by_name(&database_name)
        .filter(|d| plan.database_id.is_none_or(|id| d.id == id))
        .cloned()
        .ok_or_else(|| common_error(&format!("database {database_name} has been dropped")))?;
    // A table the job was to create must not have been created by someone else meanwhile.
    if let Some(name) = plan.new_targets.iter().find(|t| before.table_by_name(database.id, t).is_some()) {
        return Err(common_error(&format!("Table {name} already exist in db: {database_name}")));
    }
    // Exclusive locks on the existing target tables (sorted, each once): no write lands between the
    // check and the commit.
    let ids: std::collections::BTreeSet<_> =
        plan.tables.iter().filter_map(|t| before.table_by_name(database.id, &t.target)).map(|t| t.id).collect();
    let locks: Vec<_> = ids.iter().map(|id| store.table_lock(*id)).collect();
    let _guards: Vec<_> = locks.iter().map(|l| l.write()).collect();
    let state = store.snapshot();
    let mut txn = Transaction::new();
    let mut allocate = || store.allocate_id().map_err(crate::error::EngineError::from);
    let mut restored_defs = Vec::with_capacity(plan.tables.len());
    // Snapshot table id -> the id and name it is restored as (rollups are linked to their restored base).
    let mut restored_ids = HashMap::new();
    for table in &plan.tables {
        let local = state.table_by_name(database.id, &table.target).map(|t| t.as_ref());
        let mut table_plan = plan_table(local, &table.definition, database.id, &table.target, now_ms(), &mut allocate)
            .map_err(|e| failed(&e))?;
        // An asynchronous view overwriting one of its name takes the snapshot's definition with its rows.
        if table.definition.materialized.as_ref().is_some_and(|m| !m.is_sync()) {
            table_plan.definition.materialized = table.definition.materialized.clone();
        }
        restored_ids.insert(table.definition.id, (table_plan.definition.id, table.target.clone()));
        crate::materialized::rollup::relink_restored(&mut table_plan.definition, &restored_ids, &database_name);
        restored_defs.push(table_plan.definition.clone());
        txn.put_table(table_plan.definition);
        for source in &table_plan.tablets {
            let manifest_tablet = plan.tablets.get(&source.source).ok_or_else(|| {
                common_error(&format!("the snapshot's manifest has no tablet {} (damaged snapshot)", source.source))
            })?;
            let schema = table.definition.arrow_schema();
            let mut files = Vec::with_capacity(manifest_tablet.segments.len());
            for meta in &manifest_tablet.segments {
                let file = staged
                    .get(&meta.checksum)
                    .ok_or_else(|| common_error(&format!("data file {} was not staged", meta.checksum)))?;
                store.check_staged(file, meta, &schema).map_err(|e| failed(&e))?;
                files.push((file, meta));
            }
            let pending = store.adopt_staged(source.target, &files).map_err(|e| failed(&e))?;
            // Keyed tables: the deleted rows of each new segment, and the primary index of its live rows
            // (rebuilt from the files: the index is not part of a snapshot).
            let mut after = Transaction::new();
            for (meta, segment) in manifest_tablet.segments.iter().zip(&pending) {
                let deleted = manifest_tablet.deleted(meta.id).map_err(|e| common_error(&e.to_string()))?;
                if table.definition.key.model.is_keyed() {
                    // Cloned, not taken: one snapshot table may be restored under two names.
                    let entries = index.get(&(source.source, meta.id)).cloned().ok_or_else(|| {
                        common_error(&format!("no index entries were prepared for data file {}", meta.checksum))
                    })?;
                    for (key, location) in entries {
                        after.index_put(source.target, key, RowLocation { segment: segment.meta.id, ..location });
                    }
                }
                if let Some(deleted) = deleted {
                    after.delete_rows(source.target, segment.meta.id, deleted);
                }
            }
            if source.replace {
                txn.overwrite(source.target, pending);
            } else {
                txn.append(source.target, pending);
            }
            txn.extend(after);
        }
    }
    // Asynchronous materialized views find their base tables in the state this commit makes.
    crate::materialized::restore::relink(&mut txn, &state, database.id, &restored_defs);
    // Functions and views after the tables, in the same commit.
    let targets: Vec<String> = plan.tables.iter().map(|t| t.target.clone()).collect();
    super::restore_objects::check_names(&state, database.id, &database_name, &targets, &plan.objects)
        .map_err(|e| failed(&e))?;
    super::restore_objects::commit(&mut txn, &state, database.id, &plan.objects, now_ms(), &mut allocate)
        .map_err(|e| failed(&e))?;
    // A cancel that arrived while the files were linked still wins: nothing is committed yet.
    check(job, plan)?;
    let finished = {
        let mut record = job.record.lock().clone();
        record.state = RestoreState::Finished;
        record.status = STATUS_OK.to_string();
        record.finished_ms = Some(now_ms());
        record
    };
    txn.put_record(RESTORE_JOB_RECORD, finished.id, finished.encode());
    store.commit(txn).map_err(|e| common_error(&format!("committing the restore failed: {e}")))?;
    // The table locks are released first: `after_commit` takes the restored views' locks itself.
    drop(_guards);
    let restored_ids: Vec<_> = restored_defs.iter().map(|t| t.id).collect();
    crate::materialized::restore::after_commit(store, &restored_ids);
    *job.record.lock() = finished;
    tell_hook(job, plan, RestoreState::Finished);
    Ok(())
}
