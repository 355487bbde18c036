//! Pieces shared by the BACKUP and RESTORE families: snapshot names (`[db.]label`), the items of an
//! `ON (...)` list (before any `AS alias`), the `[{FROM | IN} db]` of SHOW and CANCEL, and the
//! `WHERE` / `ORDER BY` / `LIMIT` tail that SHOW BACKUP and SHOW RESTORE parse and ignore.
//!
//! Each statement decides what follows an `ON` item: BACKUP records an `AS alias` for the engine to
//! refuse, RESTORE keeps it as the new name of the object.

use sqlparser::tokenizer::Token;

use super::tokens::{describe, is_reserved, is_word};
use super::StmtParser;
use crate::ast::ObjectName;
use crate::error::ParseError;

/// The kinds of `ON` objects written `KIND name`, besides tables and materialized views:
/// (singular keyword, plural keyword, kind in the AST, what the name is called in errors).
const NAMED_KINDS: &[(&str, &str, &str, &str)] =
    &[("VIEW", "VIEWS", "VIEW", "view name"), ("FUNCTION", "FUNCTIONS", "FUNCTION", "function name")];

/// One item of a BACKUP or RESTORE `ON (...)` list, without the `AS alias` that may follow it.
pub(super) enum OnItem {
    /// `ALL {TABLE | TABLES}`.
    AllTables,
    /// `[{TABLE | TABLES}] t [PARTITION (p, ...)]`.
    Table { name: String, partitions: Vec<String> },
    /// A view, materialized view or function: the kind as the AST spells it (`VIEW`, `ALL VIEWS`,
    /// `MATERIALIZED VIEW`, ...) and the name, `None` for the `ALL ...` forms.
    Other { kind: &'static str, name: Option<String> },
}

impl OnItem {
    /// True when the item names one object, so that an `AS alias` may follow it (not after `ALL ...`).
    pub(super) fn is_named(&self) -> bool {
        match self {
            OnItem::AllTables => false,
            OnItem::Table { .. } => true,
            OnItem::Other { name, .. } => name.is_some(),
        }
    }
}

impl StmtParser<'_> {
    // ----- snapshot names -----

    /// `[db.]label`, the snapshot name of BACKUP and RESTORE; `next` is the keyword that follows it
    /// (`TO`, `FROM`), which means the name is missing.
    pub(super) fn snapshot_label(&mut self, next: &str) -> Result<(Option<String>, String), ParseError> {
        let first = self.snapshot_label_part(next)?;
        if !self.consume(&Token::Period) {
            return Ok((None, first));
        }
        let label = self.snapshot_label_part(next)?;
        if self.p.peek_token_ref().token == Token::Period {
            return Err(self.error_here("snapshot name has too many parts: only [database.]name is supported"));
        }
        Ok((Some(first), label))
    }

    /// One part of a snapshot name: an identifier that is neither empty nor blank. A string literal
    /// gets a hint to back-quote it, and the unquoted word `next` (the keyword expected after the name)
    /// means the name is missing.
    pub(super) fn snapshot_label_part(&mut self, next: &str) -> Result<String, ParseError> {
        let token = self.p.peek_token_ref().clone();
        match &token.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) if s.trim().is_empty() => {
                Err(self.error_at(&token, "snapshot name must not be empty"))
            }
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => Err(self.error_at(
                &token,
                format!(
                    "expected snapshot name, found {}: a snapshot name is an identifier, write `{s}`",
                    describe(&token.token)
                ),
            )),
            Token::Word(w) if w.quote_style.is_some() && w.value.trim().is_empty() => {
                Err(self.error_at(&token, "snapshot name must not be empty"))
            }
            t if is_word(t, next) => Err(self.expected("snapshot name")),
            _ => self.ident("snapshot name"),
        }
    }

    // ----- ON lists -----

    /// One item of an `ON (...)` list, up to (not including) an `AS alias`. `temporary_partitions` is
    /// the error for `t TEMPORARY PARTITION (...)`, which neither statement supports.
    pub(super) fn on_item(&mut self, temporary_partitions: &str) -> Result<OnItem, ParseError> {
        if self.parse_word("ALL") {
            return self.all_on_items();
        }
        if (self.peek_word("TABLE") || self.peek_word("TABLES")) && self.name_follows(1) {
            self.p.advance_token();
            return self.on_table(temporary_partitions);
        }
        if self.peek_word("MATERIALIZED") && (self.peek_word_at(1, "VIEW") || self.peek_word_at(1, "VIEWS")) {
            self.p.advance_token();
            self.p.advance_token();
            let name = self.unqualified_on_name("materialized view name")?;
            return Ok(OnItem::Other { kind: "MATERIALIZED VIEW", name: Some(name) });
        }
        if let Some(&(_, _, kind, what)) = NAMED_KINDS.iter().find(|(singular, plural, _, _)| {
            (self.peek_word(singular) || self.peek_word(plural)) && self.name_follows(1)
        }) {
            self.p.advance_token();
            let name =
                if kind == "FUNCTION" { self.object_name(what)?.to_string() } else { self.unqualified_on_name(what)? };
            return Ok(OnItem::Other { kind, name: Some(name) });
        }
        self.on_table(temporary_partitions)
    }

    /// After `ALL` in an `ON` list: `{TABLE | TABLES}`, `MATERIALIZED {VIEW | VIEWS}`, `{VIEW | VIEWS}`
    /// or `{FUNCTION | FUNCTIONS}`.
    fn all_on_items(&mut self) -> Result<OnItem, ParseError> {
        let all = |kind| OnItem::Other { kind, name: None };
        if self.parse_word("TABLE") || self.parse_word("TABLES") {
            Ok(OnItem::AllTables)
        } else if self.parse_word("VIEW") || self.parse_word("VIEWS") {
            Ok(all("ALL VIEWS"))
        } else if self.parse_word("FUNCTION") || self.parse_word("FUNCTIONS") {
            Ok(all("ALL FUNCTIONS"))
        } else if self.parse_words(&["MATERIALIZED", "VIEW"]) || self.parse_words(&["MATERIALIZED", "VIEWS"]) {
            Ok(all("ALL MATERIALIZED VIEWS"))
        } else {
            Err(self.expected("TABLES, MATERIALIZED VIEWS, VIEWS or FUNCTIONS after ALL"))
        }
    }

    /// `t [TEMPORARY PARTITION (...) | PARTITION (...) | PARTITIONS (...)]`; the temporary form fails
    /// with `temporary_partitions`.
    fn on_table(&mut self, temporary_partitions: &str) -> Result<OnItem, ParseError> {
        let name = self.unqualified_on_name("table name")?;
        if self.peek_word("TEMPORARY") && (self.peek_word_at(1, "PARTITION") || self.peek_word_at(1, "PARTITIONS")) {
            return Err(self.error_here(temporary_partitions));
        }
        let partitions = self.optional_partition_names()?;
        Ok(OnItem::Table { name, partitions })
    }

    /// A name in an `ON` list, which must not carry a database (`what` is e.g. `table name`).
    fn unqualified_on_name(&mut self, what: &str) -> Result<String, ParseError> {
        let at = self.p.peek_token_ref().clone();
        let ObjectName { database, name } = self.object_name(what)?;
        match database {
            None => Ok(name),
            Some(database) => {
                let plural = what.strip_suffix(" name").unwrap_or(what);
                Err(self.error_at(
                    &at,
                    format!("{plural} names in ON must not be qualified with a database: {database}.{name}"),
                ))
            }
        }
    }

    /// True when the `n`-th next token can be a name, so that the word before it (`TABLE`, `VIEWS`,
    /// ...) is the object kind rather than a table of that name (`ON (views)` is a table `views`).
    fn name_follows(&self, n: usize) -> bool {
        match &self.p.peek_nth_token_ref(n).token {
            Token::Word(w) if w.quote_style.is_some() => true,
            Token::Word(w) => {
                let clause = (w.value.eq_ignore_ascii_case("PARTITIONS")
                    && self.p.peek_nth_token_ref(n + 1).token == Token::LParen)
                    || (w.value.eq_ignore_ascii_case("TEMPORARY")
                        && (self.peek_word_at(n + 1, "PARTITION") || self.peek_word_at(n + 1, "PARTITIONS")));
                !clause && !is_reserved(&w.value)
            }
            _ => false,
        }
    }

    // ----- SHOW and CANCEL of jobs -----

    /// After `SHOW BACKUP` / `SHOW RESTORE`: `[{FROM | IN} db] [WHERE expr] [ORDER BY ...] [LIMIT ...]`
    /// up to the end of the statement. Everything but the database is parsed and ignored, as StarRocks
    /// does.
    pub(super) fn show_job_database(&mut self) -> Result<Option<String>, ParseError> {
        let database = self.optional_from_database()?;
        if self.parse_word("WHERE") {
            let expr = self.p.parse_expr();
            expr.map_err(|e| self.sqlparser_error(e))?;
        }
        if self.peek_words(&["ORDER", "BY"]) {
            let order_by = self.p.parse_optional_order_by();
            order_by.map_err(|e| self.sqlparser_error(e))?;
        }
        if self.parse_word("LIMIT") {
            self.limit_count()?;
            if self.consume(&Token::Comma) || self.parse_word("OFFSET") {
                self.limit_count()?;
            }
        }
        if !self.at_statement_end() {
            return Err(self.expected("FROM, WHERE, ORDER BY, LIMIT or end of statement"));
        }
        Ok(database)
    }

    /// After `CANCEL BACKUP` / `CANCEL RESTORE` (`kind` is `BACKUP` or `RESTORE`): `[{FROM | IN} db]`
    /// up to the end of the statement. The external-catalog form `FOR EXTERNAL CATALOG` is refused.
    pub(super) fn cancel_job_database(&mut self, kind: &str) -> Result<Option<String>, ParseError> {
        if self.peek_word("FOR") {
            return Err(self.error_here(format!("CANCEL {kind} FOR EXTERNAL CATALOG is not supported")));
        }
        let database = self.optional_from_database()?;
        if !self.at_statement_end() {
            return Err(self.expected("FROM, IN or end of statement"));
        }
        Ok(database)
    }

    /// `[{FROM | IN} db]`.
    fn optional_from_database(&mut self) -> Result<Option<String>, ParseError> {
        if self.parse_word("FROM") || self.parse_word("IN") {
            Ok(Some(self.ident("database name")?))
        } else {
            Ok(None)
        }
    }

    /// A non-negative integer literal in a LIMIT clause.
    fn limit_count(&mut self) -> Result<u64, ParseError> {
        let token = self.p.peek_token_ref().clone();
        match &token.token {
            Token::Number(n, _) => match n.parse::<u64>() {
                Ok(count) => {
                    self.p.advance_token();
                    Ok(count)
                }
                Err(_) => Err(self.error_at(&token, format!("LIMIT takes a non-negative integer, found {n}"))),
            },
            _ => Err(self.expected("a non-negative integer in LIMIT")),
        }
    }
}
