//! Restores: RESTORE (the old syntax and the v3.4 one with `DATABASE src [AS target]` and typed `ON`
//! objects that may be renamed with `AS`), SHOW RESTORE and CANCEL RESTORE.
//!
//! RESTORE is matched by text only as the first word of a statement (SHOW RESTORE and CANCEL RESTORE
//! after SHOW / CANCEL), and the word is not reserved, so a table or database named `restore` keeps
//! working everywhere else. Snapshot names and `ON` items are parsed by the same code as BACKUP's
//! (`backup_common`), so both statements accept and refuse the same names.
//!
//! What is left to the engine: whether the repository, snapshot, tables and partitions exist, property
//! names and values (`backup_timestamp`, ...), and which combinations of the `db.` label prefix,
//! `DATABASE src` and `AS target` are allowed. All three are kept in the AST as written. The external
//! catalog forms (`ALL EXTERNAL CATALOGS`, `EXTERNAL CATALOG[S] (...)`, `CANCEL RESTORE FOR EXTERNAL
//! CATALOG`) are refused here, as Tessera has no external catalogs.

use sqlparser::tokenizer::Token;

use super::backup_common::OnItem;
use super::StmtParser;
use crate::ast::{BackupStatement, Restore, RestoreObject, Statement};
use crate::error::ParseError;

/// The error for the external-catalog forms of RESTORE.
const EXTERNAL_CATALOGS: &str = "restoring external catalogs is not supported";

impl StmtParser<'_> {
    /// `RESTORE SNAPSHOT [db.]label FROM repo [DATABASE src [AS target]] [ON (object, ...)]
    /// [PROPERTIES (...)]`.
    pub(crate) fn restore(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("RESTORE")?;
        // Not a StarRocks form, but how BACKUP of catalogs is written: answer it the same way.
        if self.peek_external_catalogs() {
            return Err(self.error_here(EXTERNAL_CATALOGS));
        }
        if !self.parse_word("SNAPSHOT") {
            return Err(self.expected("SNAPSHOT after RESTORE"));
        }
        let (label_database, label) = self.snapshot_label("FROM")?;
        self.expect_word("FROM")?;
        let repository = self.ident("repository name")?;
        if self.peek_external_catalogs() {
            return Err(self.error_here(EXTERNAL_CATALOGS));
        }

        let mut restore = Restore {
            label_database,
            label,
            repository,
            source_database: None,
            target_database: None,
            objects: Vec::new(),
            properties: Vec::new(),
        };
        if self.parse_word("DATABASE") {
            // `DATABASE PROPERTIES (...)` forgot the database; `DATABASE properties` did not.
            if self.peek_word("PROPERTIES") && self.p.peek_nth_token_ref(1).token == Token::LParen {
                return Err(self.expected("database name"));
            }
            restore.source_database = Some(self.ident("database name")?);
            if self.parse_word("AS") {
                restore.target_database = Some(self.ident("target database name")?);
            }
        }
        let on = self.parse_word("ON");
        if on {
            self.expect(&Token::LParen)?;
            if self.p.peek_token_ref().token == Token::RParen {
                return Err(self.error_here("expected at least one object to restore in ON (...)"));
            }
            restore.objects = self.comma_separated(|p| p.restore_object())?;
            if !self.consume(&Token::RParen) {
                return Err(self.expected("',' or ')'"));
            }
        }
        let properties = self.peek_word("PROPERTIES");
        if properties {
            restore.properties = self.properties()?;
        }
        if !self.at_statement_end() {
            let what = if properties {
                "end of statement"
            } else if on {
                "PROPERTIES (...) or end of statement"
            } else if restore.target_database.is_some() {
                "ON (...), PROPERTIES (...) or end of statement"
            } else if restore.source_database.is_some() {
                "AS, ON (...), PROPERTIES (...) or end of statement"
            } else {
                "DATABASE, ON (...), PROPERTIES (...) or end of statement"
            };
            return Err(self.expected(what));
        }
        Ok(Statement::Backup(BackupStatement::Restore(Box::new(restore))))
    }

    /// After `SHOW RESTORE`: `[{FROM | IN} db] [WHERE ...] [ORDER BY ...] [LIMIT ...]`, of which only
    /// the database is kept (as for SHOW BACKUP).
    pub(crate) fn show_restore(&mut self) -> Result<Statement, ParseError> {
        let database = self.show_job_database()?;
        Ok(Statement::Backup(BackupStatement::ShowRestore { database }))
    }

    /// After `CANCEL RESTORE`: `[{FROM | IN} db]`.
    pub(crate) fn cancel_restore(&mut self) -> Result<Statement, ParseError> {
        let database = self.cancel_job_database("RESTORE")?;
        Ok(Statement::Backup(BackupStatement::CancelRestore { database }))
    }

    /// True at `ALL EXTERNAL ...` or `EXTERNAL ...`, the start of the external-catalog clause.
    fn peek_external_catalogs(&self) -> bool {
        self.peek_words(&["ALL", "EXTERNAL"]) || self.peek_word("EXTERNAL")
    }

    /// One item of a RESTORE `ON (...)` list: an object as in BACKUP, and for one named object (not
    /// `ALL ...`) an optional `AS alias`, its new name.
    fn restore_object(&mut self) -> Result<RestoreObject, ParseError> {
        let item = self.on_item("Do not support restoring temporary partitions")?;
        let alias = if item.is_named() && self.parse_word("AS") { Some(self.ident("alias")?) } else { None };
        Ok(match item {
            OnItem::AllTables => RestoreObject::AllTables,
            OnItem::Table { name, partitions } => RestoreObject::Table { name, partitions, alias },
            OnItem::Other { kind, name } => RestoreObject::Other { kind: kind.to_string(), name, alias },
        })
    }
}
