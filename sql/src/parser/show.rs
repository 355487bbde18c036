//! Session and introspection statements: USE, SHOW DATABASES / TABLES / CREATE TABLE / COLUMNS /
//! PARTITIONS, and DESC / DESCRIBE of a table. (SHOW REPOSITORIES / BACKUP / SNAPSHOT are in `backup`,
//! SHOW RESTORE in `restore`.)

use super::StmtParser;
use crate::ast::{ObjectName, Statement};
use crate::error::ParseError;

impl StmtParser<'_> {
    /// `USE db`.
    pub(crate) fn use_database(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("USE")?;
        let database = self.ident("database name")?;
        Ok(Statement::Use { database })
    }

    /// `SHOW ...`.
    pub(crate) fn show(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("SHOW")?;
        if self.parse_word("DATABASES") || self.parse_word("SCHEMAS") {
            return Ok(Statement::ShowDatabases);
        }
        let full_tables = self.peek_words(&["FULL", "TABLES"]);
        if full_tables {
            self.p.advance_token();
        }
        if self.parse_word("TABLES") {
            let database = if self.parse_word("FROM") || self.parse_word("IN") {
                Some(self.ident("database name")?)
            } else {
                None
            };
            return Ok(Statement::ShowTables { database, full: full_tables });
        }
        if let Some(statement) = self.show_view_or_function()? {
            return Ok(statement);
        }
        if let Some(statement) = self.show_materialized_views()? {
            return Ok(statement);
        }
        if self.parse_words(&["CREATE", "TABLE"]) {
            let name = self.object_name("table name")?;
            return Ok(Statement::ShowCreateTable { name });
        }
        let full = self.peek_word("FULL");
        let columns_at = usize::from(full);
        if self.peek_word_at(columns_at, "COLUMNS") || self.peek_word_at(columns_at, "FIELDS") {
            if full {
                self.p.advance_token();
            }
            self.p.advance_token();
            return self.show_columns();
        }
        if self.parse_word("PARTITIONS") {
            self.expect_from_or_in()?;
            let name = self.object_name("table name")?;
            return Ok(Statement::ShowPartitions { name });
        }
        if let Some(statement) = self.show_backup_object()? {
            return Ok(statement);
        }
        Err(self.unsupported())
    }

    /// After `SHOW [FULL] COLUMNS`: `FROM|IN [db.]t [FROM|IN db]`.
    fn show_columns(&mut self) -> Result<Statement, ParseError> {
        self.expect_from_or_in()?;
        let mut name = self.object_name("table name")?;
        if self.parse_word("FROM") || self.parse_word("IN") {
            let at = self.p.peek_token_ref().clone();
            let database = self.ident("database name")?;
            if name.database.is_some() {
                return Err(self.error_at(&at, "the database is given twice"));
            }
            name = ObjectName { database: Some(database), name: name.name };
        }
        Ok(Statement::Describe { name })
    }

    fn expect_from_or_in(&mut self) -> Result<(), ParseError> {
        if self.parse_word("FROM") || self.parse_word("IN") {
            Ok(())
        } else {
            Err(self.expected("FROM"))
        }
    }

    /// `DESC [db.]t` / `DESCRIBE [db.]t`: only table names (EXPLAIN is for queries).
    pub(crate) fn describe(&mut self) -> Result<Statement, ParseError> {
        if !(self.parse_word("DESC") || self.parse_word("DESCRIBE")) {
            return Err(self.expected("DESC or DESCRIBE"));
        }
        if self.peek_query_start() {
            return Err(self.error_here("DESCRIBE takes a table name; use EXPLAIN to see the plan of a query"));
        }
        let name = self.object_name("table name")?;
        Ok(Statement::Describe { name })
    }
}
