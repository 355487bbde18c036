//! `Session`: runs statements in order, remembering the current database (`USE`).

use tessera_sql::{BackupStatement, Statement};

use crate::database::Database;
use crate::error::{EngineError, Result};
use crate::result::StatementResult;

pub struct Session {
    pub(crate) db: Database,
    pub(crate) current_database: Option<String>,
}

impl Session {
    pub(crate) fn new(db: Database) -> Session {
        Session { db, current_database: None }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The database `USE` selected, if any.
    pub fn current_database(&self) -> Option<&str> {
        self.current_database.as_deref()
    }

    /// Parses and runs every `;`-separated statement in `sql`, in order, stopping at the first error.
    /// Statements before the failing one stay done (each statement is atomic on its own).
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let statements = tessera_sql::parse_statements(sql)?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            results.push(self.run(statement)?);
        }
        Ok(results)
    }

    /// Runs exactly one statement.
    pub fn execute_one(&mut self, sql: &str) -> Result<StatementResult> {
        let statement = tessera_sql::parse_statement(sql)?;
        self.run(statement)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<Vec<arrow::array::RecordBatch>> {
        Ok(self.execute_one(sql)?.batches)
    }

    /// Runs one parsed statement.
    pub fn run(&mut self, statement: Statement) -> Result<StatementResult> {
        match statement {
            Statement::CreateDatabase { name, if_not_exists } => {
                crate::catalog::ddl::create_database(self, &name, if_not_exists)
            }
            Statement::DropDatabase { name, if_exists, force: _ } => {
                crate::catalog::ddl::drop_database(self, &name, if_exists)
            }
            Statement::Use { database } => {
                if self.db.shared.store.snapshot().database_by_name(&database).is_none() {
                    return Err(EngineError::NotFound(format!("Unknown database '{database}'")));
                }
                self.current_database = Some(database);
                Ok(StatementResult::ok())
            }
            Statement::ShowDatabases => crate::show::show_databases(self),
            Statement::ShowTables { database } => crate::show::show_tables(self, database.as_deref()),
            Statement::CreateTable(create) => crate::catalog::ddl::create_table(self, *create),
            Statement::DropTable { name, if_exists, force: _ } => {
                crate::catalog::ddl::drop_table(self, &name, if_exists)
            }
            Statement::TruncateTable { name, partitions } => crate::dml::truncate(self, &name, &partitions),
            Statement::AlterTable { name, op } => crate::catalog::alter::alter_table(self, &name, op),
            Statement::ShowCreateTable { name } => crate::show::show_create_table(self, &name),
            Statement::Describe { name } => crate::show::describe(self, &name),
            Statement::ShowPartitions { name } => crate::show::show_partitions(self, &name),
            Statement::Insert(insert) => crate::dml::insert(self, *insert),
            Statement::Delete { table, selection } => crate::dml::delete(self, &table, selection),
            Statement::Query(query) => crate::query::run_query(self, *query),
            Statement::Explain(statement) => crate::query::explain(self, *statement),
            Statement::Backup(statement) => self.run_backup_statement(statement),
        }
    }

    fn run_backup_statement(&mut self, statement: BackupStatement) -> Result<StatementResult> {
        use crate::backup::{repositories, statements};
        match statement {
            BackupStatement::CreateRepository { name, read_only, broker, location, properties } => {
                repositories::create_repository(self, &name, read_only, broker, &location, &properties)
            }
            BackupStatement::DropRepository { name } => repositories::drop_repository(self, &name),
            BackupStatement::ShowRepositories => repositories::show_repositories(self),
            BackupStatement::Backup(backup) => statements::backup(self, *backup),
            BackupStatement::ShowBackup { database } => statements::show_backup(self, database.as_deref()),
            BackupStatement::CancelBackup { database } => statements::cancel_backup(self, database.as_deref()),
            BackupStatement::ShowSnapshot { repository, filter } => {
                statements::show_snapshot(self, &repository, &filter)
            }
            BackupStatement::DropSnapshot { label, repository, force: _ } => {
                statements::drop_snapshot(self, &label, &repository)
            }
        }
    }

    /// The database a possibly unqualified name refers to.
    pub(crate) fn resolve_database(&self, explicit: Option<&str>) -> Result<String> {
        match explicit.or(self.current_database.as_deref()) {
            Some(db) => Ok(db.to_string()),
            None => Err(EngineError::InvalidInput(
                "No database selected: USE a database or qualify the name as db.table".into(),
            )),
        }
    }
}
