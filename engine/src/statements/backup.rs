//! BACKUP, SHOW BACKUP, CANCEL BACKUP, SHOW SNAPSHOT and DROP SNAPSHOT.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tessera_backup::check_label;
use tessera_backup::timestamp::{backup_timestamp, now_ms, show_time};
use tessera_sql::{Backup, BackupObject, SnapshotFilter};
use tessera_storage::{TableDef, Transaction};

use crate::backup::backup_job::BackupJob;
use crate::backup::backup_job::{BackupJobRecord, BackupState, JOB_FORMAT_VERSION, JOB_RECORD, STATUS_OK};
use crate::backup::job_control::{JobControl, JobRecord};
use crate::backup::manager::backup_error;
use crate::backup::runner::{self, JobPlan};
use crate::catalog::resolve;
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::nullable_table;
use crate::result::StatementResult;

/// Default job timeout: one day, as StarRocks' `backup_job_default_timeout_ms`.
const DEFAULT_TIMEOUT_S: u64 = 86_400;
const MIN_TIMEOUT_S: u64 = 600;
/// Longest timeout accepted (its deadline in milliseconds must fit an i64).
const MAX_TIMEOUT_S: u64 = (i64::MAX / 1000) as u64;

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput(message.into())
}

/// Validates BACKUP properties; returns the timeout in seconds and whether "incremental" was asked.
fn properties(given: &[(String, String)]) -> Result<(u64, bool)> {
    let mut timeout = DEFAULT_TIMEOUT_S;
    let mut incremental = false;
    let mut unknown = Vec::new();
    for (key, value) in given {
        match key.as_str() {
            "type" => match value.to_ascii_lowercase().as_str() {
                "full" => {}
                "incremental" => incremental = true,
                _ => return Err(invalid(format!("Invalid backup job type: {value}"))),
            },
            "timeout" => {
                timeout = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|t| *t <= MAX_TIMEOUT_S)
                    .ok_or_else(|| invalid(format!("Invalid timeout format: {value}")))?;
                if timeout < MIN_TIMEOUT_S {
                    return Err(invalid("timeout must be at least 10 min"));
                }
            }
            _ => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(format!("Unknown backup job properties: [{}]", unknown.join(", "))));
    }
    Ok((timeout, incremental))
}

/// Restricts a table definition to the named partitions (all when `partitions` is empty).
fn restrict(table: &TableDef, partitions: &[String]) -> Result<TableDef> {
    let mut def = table.clone();
    if !partitions.is_empty() {
        for p in partitions {
            if table.partition(p).is_none() {
                // StarRocks' text, spacing included.
                return Err(invalid(format!("partition[{p}] does not exist  in table{}", table.name)));
            }
        }
        def.partitions.retain(|p| partitions.iter().any(|n| n.eq_ignore_ascii_case(&p.name)));
    }
    Ok(def)
}

pub(crate) fn backup(ctx: &Ctx, backup: Backup) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let manager = &shared.backups;
    if backup.database.is_some() && backup.label_database.is_some() {
        return Err(invalid("Can not specify the database both with DATABASE and as a prefix of the snapshot name"));
    }
    if let Some(item) = &backup.alias_given {
        return Err(invalid(format!("Can not set alias for table in Backup Stmt: {item}")));
    }
    check_label(&backup.label).map_err(backup_error)?;
    let (timeout_s, incremental) = properties(&backup.properties)?;
    let db_name = ctx.resolve_database(backup.database.as_deref().or(backup.label_database.as_deref()))?;

    let _submit = manager.submit_lock()?;
    let entry = manager
        .repository(&backup.repository)
        .ok_or_else(|| EngineError::NotFound(format!("Repository {} does not exist", backup.repository)))?;
    let repository = entry.repository.clone().ok_or_else(|| {
        EngineError::Io(format!(
            "Repository {} cannot be used: {}",
            backup.repository,
            entry.error.clone().unwrap_or_default()
        ))
    })?;
    repository.check_writable().map_err(backup_error)?;

    // The pinned state: one consistent version of every table in the job.
    let state = shared.store.snapshot();
    let db = resolve::database(&state, &db_name)?;
    let logical = shared.objects.of(&state);
    let mut selected: Vec<(Arc<TableDef>, Vec<String>)> = Vec::new();
    let mut seen = BTreeSet::new();
    let whole_database = backup.objects.is_empty();
    let mut all_tables = whole_database;
    let mut all_views = whole_database;
    let mut all_functions = whole_database;
    let mut all_materialized = whole_database;
    let mut views: Vec<Arc<tessera_storage::ViewDef>> = Vec::new();
    let mut functions: Vec<Arc<tessera_storage::FunctionDef>> = Vec::new();
    for object in &backup.objects {
        match object {
            BackupObject::AllTables => all_tables = true,
            BackupObject::Table { name, partitions } => {
                if !seen.insert(name.clone()) {
                    return Err(invalid(format!("Duplicated table: {name}")));
                }
                if logical.view(db.id, name).is_some() {
                    return Err(invalid(format!(
                        "{name} is a view: back it up with ON (VIEW {name}) (views have no partitions)"
                    )));
                }
                let table = state.table_by_name(db.id, name).cloned().ok_or_else(|| {
                    invalid(format!("Incorrect table name '{name}': it does not exist in database {}", db.name))
                })?;
                crate::materialized::rollup::refuse_backup_of_rollup(&state, &db, name)?;
                if table.materialized.is_some() {
                    return Err(invalid(format!(
                        "{name} is a materialized view: back it up with ON (MATERIALIZED VIEW {name})"
                    )));
                }
                selected.push((table, partitions.clone()));
            }
            BackupObject::Other { kind, name } => match (kind.as_str(), name) {
                ("ALL MATERIALIZED VIEWS", _) => all_materialized = true,
                ("MATERIALIZED VIEW", Some(name)) => {
                    let table =
                        state.table_by_name(db.id, name).filter(|t| t.materialized.is_some()).cloned().ok_or_else(
                            || {
                                invalid(format!(
                                    "Incorrect materialized view name '{name}': it does not exist in database {}",
                                    db.name
                                ))
                            },
                        )?;
                    crate::materialized::rollup::refuse_backup_of_rollup(&state, &db, name)?;
                    if !seen.insert(name.clone()) {
                        return Err(invalid(format!("Duplicated materialized view: {name}")));
                    }
                    selected.push((table, Vec::new()));
                }
                ("ALL VIEWS", _) => all_views = true,
                ("ALL FUNCTIONS", _) => all_functions = true,
                ("VIEW", Some(name)) => {
                    let view = logical.view(db.id, name).cloned().ok_or_else(|| {
                        invalid(format!("Incorrect view name '{name}': it does not exist in database {}", db.name))
                    })?;
                    if views.iter().any(|v| v.id == view.id) {
                        return Err(invalid(format!("Duplicated view: {name}")));
                    }
                    views.push(view);
                }
                ("FUNCTION", Some(name)) => {
                    // `FUNCTION other_db.f` names a function of that database; a backup holds one
                    // database's objects, so it must be the backed-up one.
                    let (function_db, function_name) = match name.split_once('.') {
                        Some((d, f)) => (d.to_string(), f.to_string()),
                        None => (db.name.clone(), name.clone()),
                    };
                    let overloads = if function_db == db.name { logical.overloads(db.id, &function_name) } else { &[] };
                    if overloads.is_empty() {
                        return Err(invalid(format!("Invalid backup function(s), function name: {name}")));
                    }
                    for f in overloads {
                        if !functions.iter().any(|g| g.id == f.id) {
                            functions.push(f.clone());
                        }
                    }
                }
                _ => {
                    return Err(EngineError::Unsupported(format!(
                        "backing up {} is not supported yet; tables, views and functions can be backed up",
                        kind.to_ascii_lowercase()
                    )))
                }
            },
        }
    }
    // ALL TABLES means the tables; asynchronous materialized views come with ALL MATERIALIZED VIEWS (both
    // with a whole-database backup); synchronous ones are part of their base table.
    for table in state.tables_in(db.id) {
        let wanted = match &table.materialized {
            None => all_tables,
            Some(mv) if !mv.is_sync() => all_materialized,
            Some(_) => false,
        };
        if wanted && seen.insert(table.name.clone()) {
            selected.push((table.clone(), Vec::new()));
        }
    }
    // Synchronous materialized views go with their base tables.
    let bases: Vec<Arc<TableDef>> = selected.iter().map(|(t, _)| t.clone()).collect();
    for rollup in crate::materialized::rollup::rollups_to_back_up(&state, &bases) {
        selected.push((rollup, Vec::new()));
    }
    if all_views {
        for view in logical.views_in(db.id) {
            if !views.iter().any(|v| v.id == view.id) {
                views.push(view);
            }
        }
    }
    if all_functions {
        for (_, overloads) in logical.functions_in(db.id) {
            for f in overloads {
                if !functions.iter().any(|g| g.id == f.id) {
                    functions.push(f);
                }
            }
        }
    }
    if manager.database_busy(&db.name) {
        return Err(EngineError::Conflict("Can only run one backup or restore job of a database at same time".into()));
    }
    let label_in_flight = manager.running_backups().iter().any(|j| {
        let r = j.record.lock();
        r.repository == backup.repository && r.label == backup.label
    });
    if label_in_flight || repository.has_snapshot(&backup.label).map_err(backup_error)? {
        if incremental {
            return Err(invalid("Currently does not support incremental backup"));
        }
        return Err(EngineError::AlreadyExists(format!(
            "Snapshot with name '{}' already exist in repository",
            backup.label
        )));
    }

    let mut tables = Vec::with_capacity(selected.len());
    let mut objects = Vec::with_capacity(selected.len());
    for (table, partitions) in &selected {
        tables.push(restrict(table, partitions)?);
        objects.push(if table.materialized.is_some() {
            format!("[MATERIALIZED VIEW {}.{}]", db.name, table.name)
        } else if partitions.is_empty() {
            format!("[{}.{}]", db.name, table.name)
        } else {
            format!("[{}.{} PARTITION ({})]", db.name, table.name, partitions.join(", "))
        });
    }
    objects_of_kind(&mut objects, "VIEW", &db.name, views.iter().map(|v| v.name.clone()));
    objects_of_kind(&mut objects, "FUNCTION", &db.name, functions.iter().map(|f| f.signature()));
    let id = shared.store.allocate_id()?;
    let create_time_ms = now_ms();
    let mut record = BackupJobRecord {
        format: JOB_FORMAT_VERSION,
        id,
        label: backup.label.clone(),
        timestamp: backup_timestamp(create_time_ms),
        database: db.name.clone(),
        database_id: db.id.0,
        repository: backup.repository.clone(),
        state: BackupState::Pending,
        objects,
        create_time_ms,
        snapshot_finished_ms: None,
        upload_finished_ms: None,
        finished_ms: None,
        timeout_s,
        status: STATUS_OK.to_string(),
        files_total: 0,
        files_done: 0,
        bytes_total: 0,
        bytes_done: 0,
        files_deduplicated: 0,
    };
    // A folder left by an earlier attempt that never wrote its manifest is not a snapshot.
    repository.remove_unfinished(&backup.label).map_err(backup_error)?;

    let snapshot_name = format!("backup-{id}");
    let tablet_ids: Vec<_> = tables.iter().flat_map(|t| t.tablets()).collect();
    record.state = BackupState::Snapshoting;
    let snapshot = shared.store.create_snapshot(&snapshot_name, &state, &tablet_ids)?;
    drop(state);
    let mut by_tablet: BTreeMap<_, _> = snapshot.tablets.into_iter().map(|t| (t.tablet, t)).collect();
    let plan_tables = tables
        .into_iter()
        .map(|def| {
            let tablets = def.tablets().filter_map(|t| by_tablet.remove(&t)).collect();
            (def, tablets)
        })
        .collect();
    let mut txn = Transaction::new();
    txn.put_record(JOB_RECORD, id, record.encode());
    if let Err(e) = shared.store.commit(txn) {
        let _ = shared.store.release_snapshot(&snapshot_name);
        return Err(e.into());
    }
    let job = BackupJob::new(record);
    manager.add_job(job.clone());
    let timeout_ms = match shared.backup_timeout {
        Some(limit) => limit.as_millis() as i64,
        None => (timeout_s as i64).saturating_mul(1000),
    };
    let plan = JobPlan {
        tables: plan_tables,
        views: views.iter().map(|v| v.as_ref().clone()).collect(),
        functions: functions.iter().map(|f| f.as_ref().clone()).collect(),
        snapshot_name,
        file_delay: shared.backup_file_delay,
        deadline_ms: create_time_ms.saturating_add(timeout_ms),
        hook: shared.backup_hook.clone(),
    };
    runner::start(shared.store.clone(), repository, job, plan);
    Ok(StatementResult::job(id))
}

/// Adds `[KIND db.name]` to SHOW BACKUP's objects for each name.
fn objects_of_kind(shown: &mut Vec<String>, kind: &str, db: &str, names: impl Iterator<Item = String>) {
    shown.extend(names.map(|n| format!("[{kind} {db}.{n}]")));
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(show_time)
}

pub(crate) fn show_backup(ctx: &Ctx, database: Option<&str>) -> Result<StatementResult> {
    let jobs = shown_jobs(ctx, ctx.shared.backups.latest_backups(), database)?;
    let rows = jobs
        .iter()
        .map(|r| {
            let unfinished = if r.state == BackupState::Uploading {
                format!("[upload: {} files left]", r.files_total.saturating_sub(r.files_done))
            } else {
                String::new()
            };
            vec![
                Some(r.id.to_string()),
                Some(r.label.clone()),
                Some(r.database.clone()),
                Some(r.state.to_string()),
                Some(r.objects.join(", ")),
                time(Some(r.create_time_ms)),
                time(r.snapshot_finished_ms),
                time(r.upload_finished_ms),
                time(r.finished_ms),
                Some(unfinished),
                Some(format!(
                    "[upload: {}/{} files, {}/{} bytes, {} already stored]",
                    r.files_done, r.files_total, r.bytes_done, r.bytes_total, r.files_deduplicated
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
            "SnapshotName",
            "DbName",
            "State",
            "BackupObjs",
            "CreateTime",
            "SnapshotFinishedTime",
            "UploadFinishedTime",
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

pub(crate) fn cancel_backup(ctx: &Ctx, database: Option<&str>) -> Result<StatementResult> {
    let latest = ctx.shared.backups.latest_backups();
    cancel_job(ctx, latest, database, "No backup job is currently running", |_| "user cancelled".to_string())
}

/// The records SHOW BACKUP / SHOW RESTORE list (`latest`: the slots holding that kind): the slot of
/// `database`, which must exist, or every database's.
pub(super) fn shown_jobs<R: JobRecord>(
    ctx: &Ctx,
    latest: BTreeMap<String, Arc<JobControl<R>>>,
    database: Option<&str>,
) -> Result<Vec<R>> {
    Ok(match database {
        Some(name) => {
            resolve::database(&ctx.shared.store.snapshot(), name)?;
            latest.get(name).map(|j| j.snapshot()).into_iter().collect()
        }
        None => latest.values().map(|j| j.snapshot()).collect(),
    })
}

/// CANCEL BACKUP / CANCEL RESTORE: asks the job in the database's slot (`latest`: the slots holding
/// that kind) to stop with `reason`, and returns once it has.
pub(super) fn cancel_job<R: JobRecord>(
    ctx: &Ctx,
    latest: BTreeMap<String, Arc<JobControl<R>>>,
    database: Option<&str>,
    none_running: &str,
    reason: impl FnOnce(R::State) -> String,
) -> Result<StatementResult> {
    let name = ctx.resolve_database(database)?;
    let Some(job) = latest.get(&name).cloned() else {
        // The slot is looked up first so that a job of a database dropped meanwhile can be cancelled.
        resolve::database(&ctx.shared.store.snapshot(), &name)?;
        return Err(EngineError::NotFound(none_running.into()));
    };
    let cannot = |record: R| {
        EngineError::Conflict(format!(
            "Failed to cancel job: Job with label {} can not be cancelled. state: {}",
            record.label(),
            record.state()
        ))
    };
    job.request_cancel(reason).map_err(cannot)?;
    let record = job.wait();
    if !record.is_cancelled() {
        return Err(cannot(record));
    }
    Ok(StatementResult::ok())
}

pub(crate) fn show_snapshot(ctx: &Ctx, repository: &str, filter: &SnapshotFilter) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let entry = shared
        .backups
        .repository(repository)
        .ok_or_else(|| EngineError::NotFound(format!("Repository {repository} does not exist")))?;
    let repo = entry.repository.ok_or_else(|| {
        EngineError::Io(format!("Repository {repository} cannot be used: {}", entry.error.unwrap_or_default()))
    })?;
    if let SnapshotFilter::SnapshotAndTimestamp(label, timestamp) = filter {
        let row = match repo.read_manifest(label, timestamp) {
            Ok(m) => {
                let objects: BTreeMap<String, Vec<String>> = m
                    .tables
                    .iter()
                    .filter(|t| t.definition.materialized.is_none())
                    .map(|t| {
                        (t.definition.name.clone(), t.definition.partitions.iter().map(|p| p.name.clone()).collect())
                    })
                    .collect();
                let details = serde_json::json!({
                    "name": m.label,
                    "database": m.database,
                    "backup_time": m.backup_time_ms,
                    "backup_objects": objects,
                    "views": m.views.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
                    "functions": m.functions.iter().map(|f| f.signature()).collect::<Vec<_>>(),
                    "materialized_views": m
                        .tables
                        .iter()
                        .filter_map(|t| {
                            let mv = t.definition.materialized.as_ref()?;
                            let kind = if mv.is_sync() { "SYNC" } else { "ASYNC" };
                            Some(serde_json::json!({"name": t.definition.name, "kind": kind}))
                        })
                        .collect::<Vec<_>>(),
                    "rows": m.rows(),
                    "format": m.format,
                    "backup_result": "succeed",
                });
                vec![
                    Some(label.clone()),
                    Some(timestamp.clone()),
                    Some(m.database.clone()),
                    Some(serde_json::to_string_pretty(&details).unwrap_or_default()),
                    Some("OK".to_string()),
                ]
            }
            Err(e) => {
                vec![Some(label.clone()), Some(timestamp.clone()), None, None, Some(format!("Failed to get info: {e}"))]
            }
        };
        return nullable_table(&["Snapshot", "Timestamp", "Database", "Details", "Status"], vec![row]);
    }
    let labels = repo.labels().map_err(backup_error)?;
    let wanted = |l: &String| match filter {
        SnapshotFilter::None => true,
        SnapshotFilter::Snapshot(x) => l == x,
        SnapshotFilter::SnapshotIn(xs) => xs.contains(l),
        SnapshotFilter::SnapshotAndTimestamp(..) => false,
    };
    let mut rows = Vec::new();
    for label in labels.iter().filter(|l| wanted(l)) {
        let row = match repo.timestamps(label) {
            Ok(timestamps) => {
                let valid = timestamps.iter().any(|t| t.is_ok());
                let cells: Vec<String> = timestamps
                    .into_iter()
                    .map(|t| match t {
                        Ok(ts) => ts,
                        Err(name) => format!("Invalid: {name}"),
                    })
                    .collect();
                let status = if valid { "OK".to_string() } else { "ERROR: no snapshot".to_string() };
                vec![Some(label.clone()), Some(cells.join("\n")), Some(status)]
            }
            Err(e) => vec![Some(label.clone()), None, Some(format!("ERROR: Failed to get info: {e}"))],
        };
        rows.push(row);
    }
    nullable_table(&["Snapshot", "Timestamp", "Status"], rows)
}

pub(crate) fn drop_snapshot(ctx: &Ctx, label: &str, repository: &str) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let manager = &shared.backups;
    let _submit = manager.submit_lock()?;
    let entry = manager
        .repository(repository)
        .ok_or_else(|| EngineError::NotFound(format!("Repository does not exist: {repository}")))?;
    let repo = entry.repository.ok_or_else(|| {
        EngineError::Io(format!("Repository {repository} cannot be used: {}", entry.error.unwrap_or_default()))
    })?;
    repo.check_writable().map_err(backup_error)?;
    let writing = manager.running_backups().iter().any(|j| {
        let r = j.record.lock();
        r.repository == repository && r.label == label
    });
    if writing {
        return Err(EngineError::Conflict(format!("Can not drop snapshot {label}: a backup is writing it")));
    }
    repo.drop_snapshot(label).map_err(backup_error)?;
    Ok(StatementResult::ok())
}
