//! Statements: the one dispatcher over statement kinds, and one handler file per kind of object.
//!
//! Layering (what may import what): `session.rs` is the only importer of this module. Handlers take
//! `&Ctx` (`context.rs`) and use what sits below them: the catalog (`catalog/`), the write path
//! (`write.rs`), query execution (`query.rs`), materialized view maintenance (`materialized/`), the
//! backup and restore jobs (`backup/`) and the DataFusion adapter. Nothing below imports a handler;
//! handlers may share helpers with a sibling (UPDATE uses DELETE's query helpers).
//!
//! The dispatcher also owns what happens around every statement: synchronous materialized views a
//! change made stale are rebuilt before it (so that it can use them) and after it, and the changes a
//! statement makes to its session (USE, DROP DATABASE of the current database) are applied here.

mod backup;
mod database;
mod delete;
mod describe;
mod function;
mod insert;
mod materialized_view;
mod query;
mod repository;
mod restore;
mod table;
mod update;
mod view;

use tessera_sql::{BackupStatement, Statement};

use crate::context::Ctx;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;

/// Runs one statement in `session`'s context.
pub(crate) fn run(session: &mut Ctx, statement: Statement) -> Result<StatementResult> {
    // Rollups a change made stale are rebuilt before the statement (so that it can use them: one a
    // restore job or the dynamic partition thread made stale) and right after it.
    let rebuild = session.shared.rebuild_rollups;
    if rebuild {
        crate::materialized::rollup::rebuild_stale_logged(&session.shared);
    }
    let result = dispatch(session, statement);
    if rebuild {
        crate::materialized::rollup::rebuild_stale_logged(&session.shared);
    }
    result
}

fn dispatch(session: &mut Ctx, statement: Statement) -> Result<StatementResult> {
    let ctx = &*session;
    match statement {
        Statement::CreateDatabase { name, if_not_exists } => database::create_database(ctx, &name, if_not_exists),
        Statement::DropDatabase { name, if_exists, force: _ } => {
            let result = database::drop_database(&*session, &name, if_exists)?;
            // The one change a statement makes to its session.
            if session.current_database.as_deref() == Some(name.as_str()) {
                session.current_database = None;
            }
            Ok(result)
        }
        Statement::Use { database } => {
            if session.shared.store.snapshot().database_by_name(&database).is_none() {
                return Err(EngineError::NotFound(format!("Unknown database '{database}'")));
            }
            session.current_database = Some(database);
            Ok(StatementResult::ok())
        }
        Statement::ShowDatabases => database::show_databases(ctx),
        Statement::ShowTables { database, full } => describe::show_tables(ctx, database.as_deref(), full),
        Statement::CreateTable(create) => table::create_table(ctx, *create),
        Statement::DropTable { name, if_exists, force: _ } => table::drop_table(ctx, &name, if_exists),
        Statement::TruncateTable { name, partitions } => table::truncate(ctx, &name, &partitions),
        Statement::AlterTable { name, op } => table::alter_table(ctx, &name, op),
        Statement::ShowCreateTable { name } => describe::show_create_table(ctx, &name),
        Statement::Describe { name } => describe::describe(ctx, &name),
        Statement::ShowPartitions { name } => describe::show_partitions(ctx, &name),
        Statement::Insert(insert) => insert::insert(ctx, *insert),
        Statement::Delete { table, selection } => delete::delete(ctx, &table, selection),
        Statement::Update { table, assignments, from, selection } => {
            update::update(ctx, &table, &assignments, from, selection)
        }
        Statement::Query(query) => query::run_query(ctx, *query),
        Statement::Explain(statement) => query::explain(ctx, *statement),
        Statement::Backup(statement) => run_backup_statement(ctx, statement),
        Statement::CreateView(create) => view::create_view(ctx, *create),
        Statement::DropView { name, if_exists } => view::drop_view(ctx, &name, if_exists),
        Statement::ShowCreateView { name } => view::show_create_view(ctx, &name),
        Statement::CreateFunction(create) => function::create_function(ctx, *create),
        Statement::DropFunction { name, argument_types, if_exists } => {
            function::drop_function(ctx, &name, &argument_types, if_exists)
        }
        Statement::ShowFunctions { database } => function::show_functions(ctx, database.as_deref()),
        Statement::CreateMaterializedView(create) => materialized_view::create(ctx, *create),
        Statement::DropMaterializedView { name, if_exists } => materialized_view::drop(ctx, &name, if_exists),
        Statement::RefreshMaterializedView { name, force: _ } => materialized_view::refresh_statement(ctx, &name),
        Statement::AlterMaterializedView { name, op } => materialized_view::alter(ctx, &name, op),
        Statement::ShowMaterializedViews { database, like } => {
            materialized_view::show(ctx, database.as_deref(), like.as_deref())
        }
        Statement::ShowCreateMaterializedView { name } => materialized_view::show_create(ctx, &name),
    }
}

fn run_backup_statement(ctx: &Ctx, statement: BackupStatement) -> Result<StatementResult> {
    match statement {
        BackupStatement::CreateRepository { name, read_only, broker, location, properties } => {
            repository::create_repository(ctx, &name, read_only, broker, &location, &properties)
        }
        BackupStatement::DropRepository { name } => repository::drop_repository(ctx, &name),
        BackupStatement::ShowRepositories => repository::show_repositories(ctx),
        BackupStatement::Backup(backup) => backup::backup(ctx, *backup),
        BackupStatement::ShowBackup { database } => backup::show_backup(ctx, database.as_deref()),
        BackupStatement::CancelBackup { database } => backup::cancel_backup(ctx, database.as_deref()),
        BackupStatement::ShowSnapshot { repository, filter } => backup::show_snapshot(ctx, &repository, &filter),
        BackupStatement::DropSnapshot { label, repository, force: _ } => {
            backup::drop_snapshot(ctx, &label, &repository)
        }
        BackupStatement::Restore(r) => restore::restore(ctx, *r),
        BackupStatement::ShowRestore { database } => restore::show_restore(ctx, database.as_deref()),
        BackupStatement::CancelRestore { database } => restore::cancel_restore(ctx, database.as_deref()),
    }
}
