//! CREATE REPOSITORY, DROP REPOSITORY and SHOW REPOSITORIES; the persisted records and the open
//! repositories live in `backup/`.

use std::sync::Arc;

use tessera_backup::timestamp::{now_ms, show_time};
use tessera_backup::Repository;
use tessera_storage::Transaction;

use crate::backup::manager::RepositoryEntry;
use crate::backup::repositories::{RepositoryRecord, REPOSITORY_FORMAT_VERSION, REPOSITORY_RECORD};
use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::{nullable_table, StatementResult};

pub(crate) fn create_repository(
    ctx: &Ctx,
    name: &str,
    read_only: bool,
    broker: Option<String>,
    location: &str,
    properties: &[(String, String)],
) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let manager = &shared.backups;
    let _submit = manager.submit_lock()?;
    if manager.repository(name).is_some() {
        return Err(EngineError::AlreadyExists(format!(
            "Failed to create repository: repository with same name already exist: {name}"
        )));
    }
    if let Some((key, _)) = properties.first() {
        return Err(EngineError::InvalidInput(format!(
            "Failed to create repository: property {key} is not used by local repositories"
        )));
    }
    let repository = Repository::open(name, location, read_only, shared.store.dir(), now_ms())
        .map_err(crate::backup::manager::backup_error)?;
    let record = RepositoryRecord {
        format: REPOSITORY_FORMAT_VERSION,
        id: shared.store.allocate_id()?,
        name: name.to_string(),
        location: location.trim_end_matches('/').to_string(),
        read_only,
        broker,
        create_time_ms: repository.create_time_ms(),
    };
    let mut txn = Transaction::new();
    txn.put_record(
        REPOSITORY_RECORD,
        record.id,
        serde_json::to_vec(&record)
            .expect("a repository record is plain data with string keys: encoding it cannot fail"),
    );
    shared.store.commit(txn)?;
    let shared_filesystem = repository.shares_filesystem_with(shared.store.dir());
    manager.add_repository(RepositoryEntry { record, repository: Some(Arc::new(repository)), error: None });
    let result = StatementResult::ok();
    if shared_filesystem {
        return Ok(result.with_warning(format!(
            "repository {name} is on the same filesystem as the data directory: its data files will be hard \
             links to the data directory's own files, so damage to either is damage to both and it is no copy \
             that survives a failing disk. For that, put the repository on another filesystem"
        )));
    }
    Ok(result)
}

pub(crate) fn drop_repository(ctx: &Ctx, name: &str) -> Result<StatementResult> {
    let shared = ctx.shared.clone();
    let manager = &shared.backups;
    let _submit = manager.submit_lock()?;
    let entry = manager.repository(name).ok_or_else(|| EngineError::NotFound("Repository does not exist".into()))?;
    if manager.running_job_on_repository(name) {
        return Err(EngineError::Conflict(
            "Backup or restore job is running on this repository. Can not drop it".into(),
        ));
    }
    let mut txn = Transaction::new();
    txn.delete_record(REPOSITORY_RECORD, entry.record.id);
    shared.store.commit(txn)?;
    manager.remove_repository(name);
    Ok(StatementResult::ok())
}

pub(crate) fn show_repositories(ctx: &Ctx) -> Result<StatementResult> {
    let manager = &ctx.shared.backups;
    let rows = manager
        .repositories()
        .iter()
        .map(|e| {
            vec![
                Some(e.record.id.to_string()),
                Some(e.record.name.clone()),
                Some(show_time(e.record.create_time_ms)),
                Some(e.record.read_only.to_string()),
                Some(e.record.location.clone()),
                Some(e.record.broker.clone().filter(|b| !b.is_empty()).unwrap_or_else(|| "-".to_string())),
                e.error.clone(),
            ]
        })
        .collect();
    nullable_table(&["RepoId", "RepoName", "CreateTime", "IsReadOnly", "Location", "Broker", "ErrMsg"], rows)
}
