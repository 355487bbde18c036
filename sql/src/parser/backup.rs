//! Backups: CREATE / DROP REPOSITORY, SHOW REPOSITORIES, BACKUP (the old syntax and the v3.4 one with
//! `DATABASE db` and typed `ON` objects), SHOW BACKUP, CANCEL BACKUP, SHOW SNAPSHOT and DROP SNAPSHOT.
//!
//! The words of these statements are matched by text only where a statement of this family can start
//! (`CREATE [READ ONLY] REPOSITORY`, `SHOW SNAPSHOT`, ...), and none of them is reserved, so tables,
//! columns or databases named `snapshot`, `repository` or `backup` keep working everywhere else.
//!
//! What is left to the engine: whether repositories, databases, tables, partitions and snapshots
//! exist, property names and values, and the rules StarRocks checks at analysis (an `AS` alias in a
//! BACKUP `ON` list, `DATABASE db` together with a `db.` label prefix). The parser records those in
//! the AST instead of failing, so the engine can answer with StarRocks' own messages. RESTORE,
//! SHOW RESTORE and CANCEL RESTORE are in `restore`, and what both families share (snapshot names,
//! `ON` items, the tails of SHOW and CANCEL) is in `backup_common`.

use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::backup_common::OnItem;
use super::tokens::describe;
use super::StmtParser;
use crate::ast::{Backup, BackupObject, BackupStatement, SnapshotFilter, Statement};
use crate::error::ParseError;

/// The valid `WHERE` forms of SHOW SNAPSHOT, quoted in its errors.
const SNAPSHOT_WHERE_FORMS: &str =
    "WHERE SNAPSHOT = \"name\" [AND TIMESTAMP = \"timestamp\"] or WHERE SNAPSHOT IN (\"name\", ...)";

/// A column of SHOW SNAPSHOT's `WHERE`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SnapshotColumn {
    Snapshot,
    Timestamp,
}

impl SnapshotColumn {
    fn name(self) -> &'static str {
        match self {
            SnapshotColumn::Snapshot => "SNAPSHOT",
            SnapshotColumn::Timestamp => "TIMESTAMP",
        }
    }
}

/// What a SHOW SNAPSHOT condition compares its column with.
enum SnapshotValue {
    Eq(String),
    In(Vec<String>),
}

/// One condition of SHOW SNAPSHOT's `WHERE`, with its first token for error locations.
struct SnapshotCondition {
    column: SnapshotColumn,
    value: SnapshotValue,
    at: TokenWithSpan,
}

impl StmtParser<'_> {
    // ----- entry points -----

    /// After `CREATE`: `[READ ONLY] REPOSITORY ...`, or `None` when the statement is something else.
    pub(crate) fn create_backup_object(&mut self) -> Result<Option<Statement>, ParseError> {
        if !(self.peek_word("REPOSITORY") || self.peek_words(&["READ", "ONLY"])) {
            return Ok(None);
        }
        self.create_repository().map(Some)
    }

    /// After `DROP`: `REPOSITORY r` or `SNAPSHOT label ON r [FORCE]`, or `None` for anything else.
    pub(crate) fn drop_backup_object(&mut self) -> Result<Option<Statement>, ParseError> {
        if self.parse_word("REPOSITORY") {
            let name = self.ident("repository name")?;
            return Ok(Some(Statement::Backup(BackupStatement::DropRepository { name })));
        }
        if self.parse_word("SNAPSHOT") {
            let label = self.snapshot_label_part("ON")?;
            self.expect_word("ON")?;
            let repository = self.ident("repository name")?;
            let force = self.parse_word("FORCE");
            if !self.at_statement_end() {
                return Err(self.expected(if force { "end of statement" } else { "FORCE or end of statement" }));
            }
            return Ok(Some(Statement::Backup(BackupStatement::DropSnapshot { label, repository, force })));
        }
        Ok(None)
    }

    /// After `SHOW`: `REPOSITORIES`, `BACKUP ...`, `RESTORE ...` or `SNAPSHOT ON ...`, or `None` for
    /// anything else.
    pub(crate) fn show_backup_object(&mut self) -> Result<Option<Statement>, ParseError> {
        if self.parse_word("REPOSITORIES") {
            return Ok(Some(Statement::Backup(BackupStatement::ShowRepositories)));
        }
        if self.parse_word("BACKUP") {
            let database = self.show_job_database()?;
            return Ok(Some(Statement::Backup(BackupStatement::ShowBackup { database })));
        }
        if self.parse_word("RESTORE") {
            return self.show_restore().map(Some);
        }
        if self.parse_word("SNAPSHOT") {
            return self.show_snapshot().map(Some);
        }
        Ok(None)
    }

    /// `CANCEL BACKUP [{FROM | IN} db]` or `CANCEL RESTORE ...` (any other CANCEL is unsupported).
    pub(crate) fn cancel(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("CANCEL")?;
        if self.parse_word("BACKUP") {
            let database = self.cancel_job_database("BACKUP")?;
            return Ok(Statement::Backup(BackupStatement::CancelBackup { database }));
        }
        if self.parse_word("RESTORE") {
            return self.cancel_restore();
        }
        Err(self.unsupported())
    }

    /// `BACKUP [DATABASE db] SNAPSHOT [db.]label TO repo [ON (object, ...)] [PROPERTIES (...)]`.
    pub(crate) fn backup(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("BACKUP")?;
        if self.peek_words(&["ALL", "EXTERNAL"]) || self.peek_word("EXTERNAL") {
            return Err(self.error_here("backing up external catalogs is not supported"));
        }
        let database = if self.parse_word("DATABASE") {
            // `BACKUP DATABASE SNAPSHOT s ...` forgot the database; `DATABASE snapshot SNAPSHOT s` did not.
            if self.peek_word("SNAPSHOT") && !self.peek_word_at(1, "SNAPSHOT") {
                return Err(self.expected("database name"));
            }
            Some(self.ident("database name")?)
        } else {
            None
        };
        if !self.parse_word("SNAPSHOT") {
            let what = if database.is_some() { "SNAPSHOT" } else { "SNAPSHOT or DATABASE after BACKUP" };
            return Err(self.expected(what));
        }
        let (label_database, label) = self.snapshot_label("TO")?;
        self.expect_word("TO")?;
        let repository = self.ident("repository name")?;

        let mut backup = Backup {
            database,
            label_database,
            label,
            repository,
            objects: Vec::new(),
            properties: Vec::new(),
            alias_given: None,
        };
        let on = self.parse_word("ON");
        if on {
            self.expect(&Token::LParen)?;
            if self.p.peek_token_ref().token == Token::RParen {
                return Err(self.error_here("expected at least one object to back up in ON (...)"));
            }
            let mut alias_given = None;
            backup.objects = self.comma_separated(|p| p.backup_object(&mut alias_given))?;
            backup.alias_given = alias_given;
            if !self.consume(&Token::RParen) {
                return Err(self.expected("',' or ')'"));
            }
        }
        let properties = self.peek_word("PROPERTIES");
        if properties {
            backup.properties = self.properties()?;
        }
        if !self.at_statement_end() {
            let what = match (on, properties) {
                (_, true) => "end of statement",
                (true, false) => "PROPERTIES (...) or end of statement",
                (false, false) => "ON (...), PROPERTIES (...) or end of statement",
            };
            return Err(self.expected(what));
        }
        Ok(Statement::Backup(BackupStatement::Backup(Box::new(backup))))
    }

    // ----- repositories -----

    /// `CREATE [READ ONLY] REPOSITORY r [WITH BROKER [name]] ON LOCATION "uri" [PROPERTIES (...)]`,
    /// with `CREATE` already consumed.
    fn create_repository(&mut self) -> Result<Statement, ParseError> {
        let read_only = self.parse_words(&["READ", "ONLY"]);
        self.expect_word("REPOSITORY")?;
        let name = self.ident("repository name")?;
        let broker = if self.parse_word("WITH") {
            self.expect_word("BROKER")?;
            if self.peek_word("ON") {
                Some(String::new())
            } else if matches!(
                self.p.peek_token_ref().token,
                Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
            ) {
                Some(self.string_literal("a broker name")?)
            } else {
                Some(self.ident("broker name")?)
            }
        } else {
            None
        };
        if !self.peek_word("ON") {
            let what = if broker.is_some() { "ON LOCATION" } else { "WITH BROKER or ON LOCATION" };
            return Err(self.expected(what));
        }
        self.expect_word("ON")?;
        self.expect_word("LOCATION")?;
        let location = self.string_literal("a quoted location after ON LOCATION")?;
        let has_properties = self.peek_word("PROPERTIES");
        let properties = if has_properties { self.properties()? } else { Vec::new() };
        if !self.at_statement_end() {
            let what = if has_properties { "end of statement" } else { "PROPERTIES (...) or end of statement" };
            return Err(self.expected(what));
        }
        Ok(Statement::Backup(BackupStatement::CreateRepository { name, read_only, broker, location, properties }))
    }

    // ----- BACKUP ----

    /// One item of a BACKUP `ON (...)` list. The first `AS alias` seen is recorded in `alias_given`
    /// (as written) for the engine to refuse with StarRocks' message.
    fn backup_object(&mut self, alias_given: &mut Option<String>) -> Result<BackupObject, ParseError> {
        let start = self.p.index();
        let item = self.on_item("Do not support backing up temp partitions")?;
        if item.is_named() && self.parse_word("AS") {
            let _alias = self.ident("alias")?;
            if alias_given.is_none() {
                *alias_given = Some(self.source_text(start, self.p.index()));
            }
        }
        Ok(match item {
            OnItem::AllTables => BackupObject::AllTables,
            OnItem::Table { name, partitions } => BackupObject::Table { name, partitions },
            OnItem::Other { kind, name } => BackupObject::Other { kind: kind.to_string(), name },
        })
    }

    /// The text of the tokens from index `start` up to `end` (exclusive), with whitespace and comments
    /// collapsed to single spaces: how an `ON` item was written, for an error message.
    fn source_text(&self, start: usize, end: usize) -> String {
        let mut text = String::new();
        let mut space = false;
        for index in start..end {
            let token = &self.p.token_at(index).token;
            match token {
                Token::Whitespace(_) => space = true,
                Token::EOF => break,
                other => {
                    if space && !text.is_empty() {
                        text.push(' ');
                    }
                    space = false;
                    text.push_str(&describe(other));
                }
            }
        }
        text
    }

    // ----- SHOW SNAPSHOT -----

    /// After `SHOW SNAPSHOT`: `ON repo [WHERE ...]` (see [`SNAPSHOT_WHERE_FORMS`]).
    fn show_snapshot(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("ON")?;
        let repository = self.ident("repository name")?;
        let filter = if self.parse_word("WHERE") { self.snapshot_filter()? } else { SnapshotFilter::None };
        if !self.at_statement_end() {
            return Err(self.expected("WHERE or end of statement"));
        }
        Ok(Statement::Backup(BackupStatement::ShowSnapshot { repository, filter }))
    }

    /// The condition after SHOW SNAPSHOT's `WHERE`.
    fn snapshot_filter(&mut self) -> Result<SnapshotFilter, ParseError> {
        let first = self.snapshot_condition()?;
        let second = if self.parse_word("AND") { Some(self.snapshot_condition()?) } else { None };
        if self.peek_word("OR") {
            return Err(self.error_here(format!("OR is not supported in SHOW SNAPSHOT: use {SNAPSHOT_WHERE_FORMS}")));
        }
        if self.peek_word("AND") {
            return Err(self.error_here(format!("too many conditions in SHOW SNAPSHOT: use {SNAPSHOT_WHERE_FORMS}")));
        }
        let Some(second) = second else {
            return match first.value {
                SnapshotValue::Eq(name) if first.column == SnapshotColumn::Snapshot => {
                    Ok(SnapshotFilter::Snapshot(name))
                }
                SnapshotValue::In(names) => Ok(SnapshotFilter::SnapshotIn(names)),
                SnapshotValue::Eq(_) => Err(self.timestamp_without_snapshot(&first.at)),
            };
        };
        if first.column == second.column {
            return Err(self.error_at(&second.at, format!("{} is given twice in WHERE", second.column.name())));
        }
        match (first.value, second.value) {
            (SnapshotValue::Eq(a), SnapshotValue::Eq(b)) => {
                let (snapshot, timestamp) = if first.column == SnapshotColumn::Snapshot { (a, b) } else { (b, a) };
                Ok(SnapshotFilter::SnapshotAndTimestamp(snapshot, timestamp))
            }
            _ => Err(self
                .error_at(&second.at, "SNAPSHOT IN (...) cannot be combined with another condition in SHOW SNAPSHOT")),
        }
    }

    fn timestamp_without_snapshot(&self, at: &TokenWithSpan) -> ParseError {
        self.error_at(at, "TIMESTAMP needs SNAPSHOT: use WHERE SNAPSHOT = \"name\" AND TIMESTAMP = \"timestamp\"")
    }

    /// `SNAPSHOT = "name"`, `SNAPSHOT IN ("name", ...)` or `TIMESTAMP = "timestamp"`.
    fn snapshot_condition(&mut self) -> Result<SnapshotCondition, ParseError> {
        let at = self.p.peek_token_ref().clone();
        let column = match &at.token {
            Token::Word(w) if w.value.eq_ignore_ascii_case("SNAPSHOT") => SnapshotColumn::Snapshot,
            Token::Word(w) if w.value.eq_ignore_ascii_case("TIMESTAMP") => SnapshotColumn::Timestamp,
            other => {
                return Err(self.error_at(
                    &at,
                    format!(
                        "SHOW SNAPSHOT can only filter on SNAPSHOT and TIMESTAMP, found {}: use {SNAPSHOT_WHERE_FORMS}",
                        describe(other)
                    ),
                ))
            }
        };
        self.p.advance_token();
        let value = if self.consume(&Token::Eq) {
            SnapshotValue::Eq(self.snapshot_filter_value(column)?)
        } else if column == SnapshotColumn::Snapshot && self.parse_word("IN") {
            self.expect(&Token::LParen)?;
            if self.p.peek_token_ref().token == Token::RParen {
                return Err(self.error_here("SNAPSHOT IN (...) needs at least one snapshot name"));
            }
            let names = self.comma_separated(|p| p.snapshot_filter_value(column))?;
            self.expect(&Token::RParen)?;
            SnapshotValue::In(names)
        } else if column == SnapshotColumn::Snapshot {
            return Err(self.expected("'=' or IN after SNAPSHOT"));
        } else {
            return Err(self.expected("'=' after TIMESTAMP"));
        };
        Ok(SnapshotCondition { column, value, at })
    }

    /// A quoted, non-empty snapshot name or timestamp in SHOW SNAPSHOT's `WHERE`.
    fn snapshot_filter_value(&mut self, column: SnapshotColumn) -> Result<String, ParseError> {
        let at = self.p.peek_token_ref().clone();
        let what = match column {
            SnapshotColumn::Snapshot => "snapshot name",
            SnapshotColumn::Timestamp => "timestamp",
        };
        let value = self.string_literal(&format!("a quoted {what}"))?;
        if value.is_empty() {
            return Err(self.error_at(&at, format!("the {what} in WHERE must not be empty")));
        }
        Ok(value)
    }
}
