//! RESTORE, SHOW RESTORE and CANCEL RESTORE.
//!
//! `RESTORE SNAPSHOT` is validated completely before anything changes: properties, repository,
//! snapshot label and timestamp, source and target database, the objects in ON, and the overwrite
//! rules for every target table that already exists (`restore_check.rs`). Then, and only then, a
//! missing target database is created, the existing target tables enter state RESTORE in the same
//! commit that persists the job, and the job's thread is started (`restore_runner.rs`); the statement
//! returns the job id.
//!
//! What stays true: a failed RESTORE statement changed nothing; one unfinished BACKUP-or-RESTORE job
//! per database (the slot is shared with BACKUP); CANCEL RESTORE returns only once the job has ended.

use std::collections::{BTreeMap, BTreeSet};

use tessera_backup::timestamp::{now_ms, show_time};
use tessera_backup::{check_label, Manifest, ManifestTablet};
use tessera_sql::{Restore, RestoreObject};
use tessera_storage::{DatabaseDef, DatabaseId, PartitionKind, TableDef, TableId, TableState, Transaction};

use crate::backup::backup_job::STATUS_OK;
use crate::backup::job_control::JobRecord;
use crate::backup::manager::backup_error;
use crate::backup::restore_check::check_overwrite;
use crate::backup::restore_job::{
    user_cancelled, RestoreJob, RestoreJobRecord, RestoreState, RESTORE_JOB_FORMAT_VERSION, RESTORE_JOB_RECORD,
};
use crate::backup::restore_runner::{self, RestorePlan, RestoreTable};
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::nullable_table;
use crate::result::StatementResult;

const DEFAULT_TIMEOUT_S: u64 = 86_400;
const MIN_TIMEOUT_S: u64 = 600;
/// Longest timeout accepted (its deadline in milliseconds must fit an i64).
const MAX_TIMEOUT_S: u64 = (i64::MAX / 1000) as u64;
const DEFAULT_REPLICATION_NUM: u32 = 3;

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

/// RESTORE properties after validation.
struct Properties {
    timestamp: Option<String>,
    replication_num: u32,
    timeout_s: u64,
    allow_load: bool,
}

fn properties(given: &[(String, String)]) -> Result<Properties> {
    let mut out = Properties {
        timestamp: None,
        replication_num: DEFAULT_REPLICATION_NUM,
        timeout_s: DEFAULT_TIMEOUT_S,
        allow_load: false,
    };
    let mut unknown = Vec::new();
    for (key, value) in given {
        match key.as_str() {
            "backup_timestamp" => out.timestamp = Some(value.clone()),
            "replication_num" => {
                // StarRocks parses it with the meta-version parser, hence its error text.
                out.replication_num = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid(format!("Invalid meta version format: {value}")))?;
            }
            "timeout" => {
                out.timeout_s = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|t| *t <= MAX_TIMEOUT_S)
                    .ok_or_else(|| invalid(format!("Invalid timeout format: {value}")))?;
                if out.timeout_s < MIN_TIMEOUT_S {
                    return Err(invalid("timeout must be at least 10 min"));
                }
            }
            "meta_version" | "starrocks_meta_version" => {
                value.trim().parse::<i64>().map_err(|_| invalid(format!("Invalid meta version format: {value}")))?;
            }
            "allow_load" => {
                out.allow_load = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid(format!("Invalid allow load value: {value}"))),
                }
            }
            _ => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!("Unknown restore job properties: [{}]", unknown.join(", "))));
    }
    Ok(out)
}

/// The backup timestamp to restore: the given one (which must exist), or the only one of the label.
fn pick_timestamp(label: &str, given: Option<&str>, existing: &[String]) -> Result<String> {
    let fail = |why: String| {
        invalid(format!(
            "Failed to get info of snapshot '{label}' because: {why}. Maybe specified wrong backup timestamp"
        ))
    };
    if existing.is_empty() {
        return Err(fail(format!("snapshot {label} does not exist in the repository")));
    }
    match given {
        Some(ts) if existing.iter().any(|e| e == ts) => Ok(ts.to_string()),
        Some(ts) => Err(fail(format!(
            "snapshot {label} has no backup with timestamp {ts}; its timestamps are [{}]",
            existing.join(", ")
        ))),
        None if existing.len() == 1 => Ok(existing[0].clone()),
        None => Err(invalid("Missing backup_timestamp property")),
    }
}

/// One snapshot table selected by ON (or by its absence).
struct Selection {
    /// The snapshot definition, restricted to the selected partitions.
    definition: TableDef,
    target: String,
    /// For RestoreObjs: the partitions named, or all of a partitioned table.
    object: String,
}

fn select(manifest: &Manifest, label: &str, objects: &[RestoreObject]) -> Result<Vec<Selection>> {
    let by_name: BTreeMap<&str, &TableDef> =
        manifest.tables.iter().map(|t| (t.definition.name.as_str(), &t.definition)).collect();
    let manifest_tablets: std::collections::HashSet<_> =
        manifest.tables.iter().flat_map(|t| t.tablets.iter()).map(|t| t.tablet).collect();
    let mut picked: Vec<(&TableDef, Vec<String>, Option<String>)> = Vec::new();
    let mut all = objects.is_empty();
    let mut all_materialized = objects.is_empty();
    let mut seen = BTreeSet::new();
    let mut aliases = BTreeSet::new();
    for object in objects {
        match object {
            RestoreObject::AllTables => all = true,
            RestoreObject::Table { name, partitions, alias } => {
                if !seen.insert(name.clone()) {
                    return Err(invalid(format!("Duplicated table: {name}")));
                }
                let def = by_name
                    .get(name.as_str())
                    .copied()
                    .ok_or_else(|| invalid(format!("Table {name} does not exist in snapshot {label}")))?;
                if def.materialized.as_ref().is_some_and(|m| m.is_sync()) {
                    return Err(invalid(format!(
                        "{name} is a synchronous materialized view: it is restored with its base table"
                    )));
                }
                if def.materialized.is_some() {
                    return Err(invalid(format!(
                        "{name} is a materialized view: restore it with ON (MATERIALIZED VIEW {name})"
                    )));
                }
                for p in partitions {
                    if def.partition(p).is_none() {
                        return Err(invalid(format!(
                            "Partition {p} of table {name} does not exist in snapshot {label}"
                        )));
                    }
                }
                picked.push((def, partitions.clone(), alias.clone()));
            }
            RestoreObject::Other { kind, .. } if kind == "ALL MATERIALIZED VIEWS" => all_materialized = true,
            RestoreObject::Other { kind, name: Some(name), alias } if kind == "MATERIALIZED VIEW" => {
                let def = by_name
                    .get(name.as_str())
                    .copied()
                    .filter(|d| d.materialized.as_ref().is_some_and(|m| !m.is_sync()))
                    .ok_or_else(|| invalid(format!("Materialized view {name} does not exist in snapshot {label}")))?;
                if !seen.insert(name.clone()) {
                    return Err(invalid(format!("Duplicated materialized view: {name}")));
                }
                picked.push((def, Vec::new(), alias.clone()));
            }
            // Views and functions: `restore_objects::select`.
            RestoreObject::Other { .. } => {}
        }
    }
    // An alias may not equal another listed table or another alias.
    for (def, _, alias) in &picked {
        if let Some(alias) = alias {
            // The name the restored object gets follows CREATE's rules.
            crate::catalog::ddl::check_name("Table", alias)?;
            let other_table = seen.contains(alias) && alias != &def.name;
            if other_table || !aliases.insert(alias.clone()) {
                return Err(invalid(format!("Duplicated alias name: {alias}")));
            }
        }
    }
    // ALL TABLES brings the tables, ALL MATERIALIZED VIEWS the asynchronous views, no ON clause both;
    // synchronous views come with their base table (`rollup::snapshot_rollups_of`).
    for t in &manifest.tables {
        let wanted = match &t.definition.materialized {
            None => all,
            Some(mv) if !mv.is_sync() => all_materialized,
            Some(_) => false,
        };
        if wanted && !seen.contains(&t.definition.name) {
            picked.push((&t.definition, Vec::new(), None));
        }
    }
    // Synchronous materialized views come with their base tables (whole, under their own names), last,
    // so that the job restores each base before its rollups.
    let bases: Vec<TableId> = picked.iter().map(|(def, _, _)| def.id).collect();
    for base in bases {
        for rollup in
            crate::materialized::rollup::snapshot_rollups_of(manifest.tables.iter().map(|t| &t.definition), base)
        {
            picked.push((rollup, Vec::new(), None));
        }
    }
    let mut out = Vec::with_capacity(picked.len());
    for (def, partitions, alias) in picked {
        let mut definition = def.clone();
        if !partitions.is_empty() {
            definition.partitions.retain(|p| partitions.iter().any(|n| n.eq_ignore_ascii_case(&p.name)));
        }
        let names: Vec<&str> = definition.partitions.iter().map(|p| p.name.as_str()).collect();
        let object = if def.partition_kind == PartitionKind::Unpartitioned {
            def.name.clone()
        } else {
            format!("{} PARTITIONS [{}]", def.name, names.join(", "))
        };
        let target = alias.unwrap_or_else(|| def.name.clone());
        // Two snapshot tables may not land on one target (e.g. `t1 AS t2` with ALL TABLES bringing t2).
        if out.iter().any(|o: &Selection| o.target == target) {
            return Err(invalid(format!("Duplicated alias name: {target}")));
        }
        // Every tablet of a selected partition must be in the manifest: a missing one is a damaged
        // snapshot, never an empty tablet.
        for partition in &definition.partitions {
            for tablet in &partition.tablets {
                if !manifest_tablets.contains(tablet) {
                    return Err(EngineError::Corruption(format!(
                        "snapshot {label} is damaged: tablet {tablet} of partition {} of table {} is missing from its manifest",
                        partition.name, def.name
                    )));
                }
            }
        }
        out.push(Selection { definition, target, object });
    }
    Ok(out)
}

pub(crate) fn restore(ctx: &Ctx, restore: Restore) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let manager = &shared.backups;
    if restore.label_database.is_some() && restore.target_database.is_some() {
        return Err(invalid(
            "Can not specify the target database both with DATABASE ... AS and as a prefix of the snapshot name",
        ));
    }
    check_label(&restore.label).map_err(backup_error)?;
    let props = properties(&restore.properties)?;

    let _submit = manager.submit_lock()?;
    let entry = manager
        .repository(&restore.repository)
        .ok_or_else(|| EngineError::NotFound(format!("Repository {} does not exist", restore.repository)))?;
    let repository = entry.repository.clone().ok_or_else(|| {
        EngineError::Io(format!(
            "Repository {} cannot be used: {}",
            restore.repository,
            entry.error.clone().unwrap_or_default()
        ))
    })?;
    let existing: Vec<String> =
        repository.timestamps(&restore.label).map_err(backup_error)?.into_iter().flatten().collect();
    let timestamp = pick_timestamp(&restore.label, props.timestamp.as_deref(), &existing)?;
    let manifest = repository.read_manifest(&restore.label, &timestamp).map_err(|e| {
        invalid(format!(
            "Failed to get info of snapshot '{}' because: {e}. Maybe specified wrong backup timestamp",
            restore.label
        ))
    })?;
    if let Some(source) = &restore.source_database {
        if source != &manifest.database {
            return Err(invalid(format!("target database: {source} is not existed in snapshot")));
        }
    }
    let target_db = restore
        .target_database
        .clone()
        .or_else(|| restore.label_database.clone())
        .unwrap_or_else(|| manifest.database.clone());
    let mut selection = select(&manifest, &restore.label, &restore.objects)?;
    for s in &mut selection {
        crate::materialized::restore::retarget(&mut s.definition, &manifest.database, &target_db)?;
    }
    let restored = crate::backup::restore_objects::select(&manifest, &restore.label, &restore.objects, &target_db)?;
    let table_targets: Vec<String> = selection.iter().map(|s| s.target.clone()).collect();
    // Checks that need no target database (it may not exist yet): a restored table may not take a
    // restored view's name, and a restored function may not take a built-in's.
    if let Some(t) = table_targets.iter().find(|t| restored.views.iter().any(|v| &v.name == *t)) {
        return Err(invalid(format!("Only support restore OLAP table: {t} (it is also a view restored by this job)")));
    }
    let base = &shared.base_state;
    if let Some(f) = restored.functions.iter().find(|f| {
        base.scalar_functions().contains_key(&f.name)
            || base.aggregate_functions().contains_key(&f.name)
            || base.window_functions().contains_key(&f.name)
    }) {
        return Err(invalid(format!("Can't restore function {}: {} is a built-in function", f.name, f.name)));
    }

    // Overwrite rules against the current state: a mismatch fails the statement, changing nothing.
    let state = shared.store.snapshot();
    if let Some(db) = state.database_by_name(&target_db) {
        // An active asynchronous materialized view of the target's name is kept, not overwritten (its
        // refresh bookkeeping would not match the snapshot's rows), as StarRocks does.
        selection.retain(|s| {
            let snapshot_view = s.definition.materialized.as_ref().is_some_and(|m| !m.is_sync());
            !(snapshot_view && crate::materialized::restore::keeps_existing(&state, db.id, &s.target))
        });
        for s in &selection {
            let Some(local) = state.table_by_name(db.id, &s.target) else { continue };
            let local_view = local.materialized.is_some();
            if local_view != s.definition.materialized.is_some() {
                return Err(invalid(format!(
                    "Table {} already exist but is {} materialized view, unlike the snapshot's {}",
                    s.target,
                    if local_view { "a" } else { "not a" },
                    s.definition.name
                )));
            }
        }
        let table_targets: Vec<String> = selection.iter().map(|s| s.target.clone()).collect();
        crate::backup::restore_objects::check_names(&state, db.id, &target_db, &table_targets, &restored)?;
        for s in &selection {
            if let Some(local) = state.table_by_name(db.id, &s.target) {
                check_overwrite(local, &s.definition)?;
            }
        }
        let targets: Vec<(&TableDef, &str)> = selection.iter().map(|s| (&s.definition, s.target.as_str())).collect();
        crate::materialized::rollup::check_restore_overwrite(&state, db.id, &target_db, &targets)?;
    }
    drop(state);
    if manager.database_busy(&target_db) {
        return Err(EngineError::Conflict("Can only run one backup or restore job of a database at same time".into()));
    }

    let id = shared.store.allocate_id()?;
    let create_time_ms = now_ms();
    let record = RestoreJobRecord {
        format: RESTORE_JOB_FORMAT_VERSION,
        id,
        label: restore.label.clone(),
        timestamp,
        database: target_db.clone(),
        repository: restore.repository.clone(),
        state: RestoreState::Pending,
        allow_load: props.allow_load,
        replication_num: props.replication_num,
        objects: selection.iter().map(|s| s.object.clone()).chain(restored.shown()).collect(),
        create_time_ms,
        meta_prepared_ms: None,
        snapshot_finished_ms: None,
        download_finished_ms: None,
        finished_ms: None,
        timeout_s: props.timeout_s,
        status: STATUS_OK.to_string(),
        files_total: 0,
        files_done: 0,
        bytes_total: 0,
        bytes_done: 0,
    };
    // A missing target database is created now, and kept even if the job fails (as StarRocks). Then, in
    // one commit with the job record, the existing target tables enter state RESTORE (under their
    // exclusive locks, so that a write in flight finishes first): writes and DDL on them are refused
    // until the job ends.
    let mut marked = Vec::new();
    let database_id;
    // Targets that do not exist yet: the job creates them, and fails if someone else did meanwhile.
    let mut new_targets = Vec::new();
    {
        let _ddl = shared.ddl.lock();
        if shared.store.snapshot().database_by_name(&target_db).is_none() {
            let mut txn = Transaction::new();
            txn.put_database(DatabaseDef {
                format: tessera_storage::catalog::CATALOG_FORMAT_VERSION,
                id: DatabaseId(shared.store.allocate_id()?),
                name: target_db.clone(),
                create_time_ms: now_ms(),
            });
            shared
                .store
                .commit(txn)
                .map_err(|e| invalid(format!("Can not create database: {target_db} in restore process: {e}")))?;
        }
        let state = shared.store.snapshot();
        let db = crate::catalog::resolve::database(&state, &target_db)?;
        database_id = Some(db.id);
        // Sorted and without duplicates: one table's lock is never taken twice.
        let ids: std::collections::BTreeSet<_> =
            selection.iter().filter_map(|s| state.table_by_name(db.id, &s.target)).map(|t| t.id).collect();
        let locks: Vec<_> = ids.iter().map(|id| shared.store.table_lock(*id)).collect();
        let _guards: Vec<_> = locks.iter().map(|l| l.write()).collect();
        let current = shared.store.snapshot();
        let mut txn = Transaction::new();
        for s in &selection {
            if let Some(local) = current.table_by_name(db.id, &s.target) {
                let mut def = local.as_ref().clone();
                def.state = TableState::Restore;
                marked.push(def.id);
                txn.put_table(def);
            } else {
                new_targets.push(s.target.clone());
            }
        }
        txn.put_record(RESTORE_JOB_RECORD, id, record.encode());
        shared.store.commit(txn)?;
    }

    let tablets: BTreeMap<_, ManifestTablet> =
        manifest.tables.iter().flat_map(|t| t.tablets.iter()).map(|t| (t.tablet, t.clone())).collect();
    let timeout_ms = match shared.backup_timeout {
        Some(limit) => limit.as_millis() as i64,
        None => (props.timeout_s as i64).saturating_mul(1000),
    };
    let plan = RestorePlan {
        tables: selection.into_iter().map(|s| RestoreTable { definition: s.definition, target: s.target }).collect(),
        objects: restored,
        tablets,
        staging: format!("restore-{id}"),
        file_delay: shared.backup_file_delay,
        deadline_ms: create_time_ms.saturating_add(timeout_ms),
        ddl: shared.ddl.clone(),
        marked,
        new_targets,
        database_id,
        hook: shared.restore_hook.clone(),
    };
    let job = RestoreJob::new(record);
    manager.add_restore(job.clone());
    restore_runner::start(shared.store.clone(), repository, job, plan);
    Ok(StatementResult::job(id))
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(show_time)
}

pub(crate) fn show_restore(ctx: &Ctx, database: Option<&str>) -> Result<StatementResult> {
    let jobs = super::backup::shown_jobs(ctx, ctx.shared.backups.latest_restores(), database)?;
    let rows = jobs
        .iter()
        .map(|r| {
            let unfinished = if r.state == RestoreState::Downloading {
                format!("[download: {} files left]", r.files_total.saturating_sub(r.files_done))
            } else {
                String::new()
            };
            vec![
                Some(r.id.to_string()),
                Some(r.label.clone()),
                Some(r.timestamp.clone()),
                Some(r.database.clone()),
                Some(r.state.to_string()),
                Some(r.allow_load.to_string()),
                Some(r.replication_num.to_string()),
                Some(r.objects.join(", ")),
                time(Some(r.create_time_ms)),
                time(r.meta_prepared_ms),
                time(r.snapshot_finished_ms),
                time(r.download_finished_ms),
                time(r.finished_ms),
                Some(unfinished),
                Some(format!(
                    "[download: {}/{} files, {}/{} bytes]",
                    r.files_done, r.files_total, r.bytes_done, r.bytes_total
                )),
                Some(String::new()),
                Some(r.status.clone()),
                Some(r.timeout_s.to_string()),
            ]
        })
        .collect();
    nullable_table(
        &[
            "JobId",
            "Label",
            "Timestamp",
            "DbName",
            "State",
            "AllowLoad",
            "ReplicationNum",
            "RestoreObjs",
            "CreateTime",
            "MetaPreparedTime",
            "SnapshotFinishedTime",
            "DownloadFinishedTime",
            "FinishedTime",
            "UnfinishedTasks",
            "Progress",
            "TaskErrMsg",
            "Status",
            "Timeout",
        ],
        rows,
    )
}

pub(crate) fn cancel_restore(ctx: &Ctx, database: Option<&str>) -> Result<StatementResult> {
    let latest = ctx.shared.backups.latest_restores();
    super::backup::cancel_job(ctx, latest, database, "No restore is currently running", user_cancelled)
}

#[cfg(test)]
mod tests {
    use super::pick_timestamp;

    #[test]
    fn backup_timestamp_may_be_omitted_only_when_the_label_has_one() {
        let one = vec!["2026-01-01-00-00-00-000".to_string()];
        assert_eq!(pick_timestamp("s", None, &one).unwrap(), one[0]);
        let two = vec![one[0].clone(), "2026-01-02-00-00-00-000".to_string()];
        assert_eq!(pick_timestamp("s", None, &two).unwrap_err().to_string(), "Missing backup_timestamp property");
        assert_eq!(pick_timestamp("s", Some(&two[1]), &two).unwrap(), two[1]);
        let wrong = pick_timestamp("s", Some("2000-01-01-00-00-00-000"), &two).unwrap_err().to_string();
        assert!(wrong.contains("2026-01-01-00-00-00-000, 2026-01-02-00-00-00-000"), "{wrong}");
        assert!(wrong.ends_with("Maybe specified wrong backup timestamp"), "{wrong}");
        let missing = pick_timestamp("s", None, &[]).unwrap_err().to_string();
        assert!(missing.contains("snapshot s does not exist"), "{missing}");
    }
}
