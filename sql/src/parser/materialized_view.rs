//! Materialized views: CREATE, DROP, REFRESH, ALTER, SHOW MATERIALIZED VIEWS and SHOW CREATE
//! MATERIALIZED VIEW, as StarRocks writes them.
//!
//! The defining query stays sqlparser AST (the engine validates and stores its text).

use sqlparser::tokenizer::Token;

use super::StmtParser;
use crate::ast::{AlterMaterializedViewOp, CreateMaterializedView, RefreshKind, RefreshSpec, Statement};
use crate::error::ParseError;

impl StmtParser<'_> {
    /// After `CREATE`: `MATERIALIZED VIEW ...`; `None` when it does not follow (nothing consumed).
    pub(crate) fn create_materialized_view(&mut self) -> Result<Option<Statement>, ParseError> {
        if !self.parse_words(&["MATERIALIZED", "VIEW"]) {
            return Ok(None);
        }
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        let name = self.object_name("materialized view name")?;
        if self.p.peek_token_ref().token == Token::LParen {
            return Err(self.error_here(
                "a column list is not supported for materialized views; name the columns with AS in the query",
            ));
        }
        let mut comment = None;
        let mut partition_by = None;
        let mut distribution = None;
        let mut refresh = None;
        let mut properties = Vec::new();
        loop {
            if self.peek_word("COMMENT") && comment.is_none() {
                self.expect_word("COMMENT")?;
                let _ = self.consume(&Token::Eq);
                comment = Some(self.string_literal("a quoted string after COMMENT")?);
            } else if self.peek_words(&["PARTITION", "BY"]) && partition_by.is_none() {
                partition_by = Some(self.partition_by()?);
            } else if self.peek_words(&["DISTRIBUTED", "BY"]) && distribution.is_none() {
                distribution = Some(self.distribution()?);
            } else if self.peek_word("REFRESH") && refresh.is_none() {
                self.expect_word("REFRESH")?;
                refresh = Some(self.refresh_spec()?);
            } else if self.peek_words(&["ORDER", "BY"]) {
                return Err(self.error_here("ORDER BY (sort keys) is not supported for materialized views"));
            } else if self.peek_word("PROPERTIES") && properties.is_empty() {
                properties = self.properties()?;
            } else if self.parse_word("AS") {
                if !self.peek_query_start() {
                    return Err(self.expected("a query after AS"));
                }
                let query = self.p.parse_query().map_err(|e| self.sqlparser_error(e))?;
                return Ok(Some(Statement::CreateMaterializedView(Box::new(CreateMaterializedView {
                    name,
                    if_not_exists,
                    comment,
                    partition_by,
                    distribution,
                    refresh,
                    properties,
                    query,
                }))));
            } else {
                return Err(self.expected(
                    "a CREATE MATERIALIZED VIEW clause (COMMENT, PARTITION BY, DISTRIBUTED BY, REFRESH, PROPERTIES) \
                     or AS <query>",
                ));
            }
        }
    }

    /// After `REFRESH`: `[IMMEDIATE | DEFERRED] {ASYNC [START ('time')] [EVERY (INTERVAL n unit)] | MANUAL}`.
    fn refresh_spec(&mut self) -> Result<RefreshSpec, ParseError> {
        let deferred = if self.parse_word("DEFERRED") {
            true
        } else {
            let _ = self.parse_word("IMMEDIATE");
            false
        };
        if self.parse_word("MANUAL") {
            return Ok(RefreshSpec { deferred, kind: RefreshKind::Manual });
        }
        if self.peek_word("INCREMENTAL") {
            return Err(self.error_here("REFRESH INCREMENTAL is not supported; use ASYNC or MANUAL"));
        }
        if !self.parse_word("ASYNC") {
            return Err(self.expected("ASYNC or MANUAL after REFRESH"));
        }
        let mut start = None;
        if self.parse_word("START") {
            self.expect(&Token::LParen)?;
            start = Some(self.string_literal("a quoted start time, e.g. START ('2025-01-01 00:00:00')")?);
            self.expect(&Token::RParen)?;
        }
        let mut every = None;
        if self.parse_word("EVERY") {
            self.expect(&Token::LParen)?;
            self.expect_word("INTERVAL")?;
            let token = self.p.peek_token_ref().clone();
            let count = match &token.token {
                Token::Number(n, _) => n.parse::<u64>().ok().filter(|&n| n > 0),
                Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                    s.trim().parse::<u64>().ok().filter(|&n| n > 0)
                }
                _ => None,
            };
            let Some(count) = count else {
                return Err(self.error_at(&token, "EVERY needs a positive whole number of units, e.g. INTERVAL 1 HOUR"));
            };
            self.p.advance_token();
            let unit = self.ident("a time unit (SECOND, MINUTE, HOUR, DAY or WEEK)")?.to_ascii_uppercase();
            self.expect(&Token::RParen)?;
            every = Some((count, unit));
        }
        Ok(RefreshSpec { deferred, kind: RefreshKind::Async { start, every } })
    }

    /// After `DROP`: `MATERIALIZED VIEW [IF EXISTS] [db.]mv`; `None` when it does not follow.
    pub(crate) fn drop_materialized_view(&mut self) -> Result<Option<Statement>, ParseError> {
        if !self.parse_words(&["MATERIALIZED", "VIEW"]) {
            return Ok(None);
        }
        let if_exists = self.parse_words(&["IF", "EXISTS"]);
        let name = self.object_name("materialized view name")?;
        Ok(Some(Statement::DropMaterializedView { name, if_exists }))
    }

    /// `REFRESH MATERIALIZED VIEW [db.]mv [FORCE] [WITH {SYNC | ASYNC} MODE]`.
    pub(crate) fn refresh(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("REFRESH")?;
        if !self.parse_words(&["MATERIALIZED", "VIEW"]) {
            return Err(self.expected("MATERIALIZED VIEW after REFRESH"));
        }
        let name = self.object_name("materialized view name")?;
        if self.peek_word("PARTITION") {
            return Err(self.error_here(
                "refreshing a partition range is not supported; REFRESH MATERIALIZED VIEW refreshes all of it",
            ));
        }
        let force = self.parse_word("FORCE");
        if self.parse_word("WITH") {
            if !(self.parse_word("SYNC") || self.parse_word("ASYNC")) {
                return Err(self.expected("SYNC or ASYNC after WITH"));
            }
            self.expect_word("MODE")?;
        }
        Ok(Statement::RefreshMaterializedView { name, force })
    }

    /// After `ALTER`: `MATERIALIZED VIEW [db.]mv {ACTIVE | INACTIVE | REFRESH ... | RENAME new}`; `None`
    /// when it does not follow.
    pub(crate) fn alter_materialized_view(&mut self) -> Result<Option<Statement>, ParseError> {
        if !self.parse_words(&["MATERIALIZED", "VIEW"]) {
            return Ok(None);
        }
        let name = self.object_name("materialized view name")?;
        let op = if self.parse_word("ACTIVE") {
            AlterMaterializedViewOp::Active
        } else if self.parse_word("INACTIVE") {
            AlterMaterializedViewOp::Inactive
        } else if self.parse_word("REFRESH") {
            AlterMaterializedViewOp::Refresh(self.refresh_spec()?)
        } else if self.parse_word("RENAME") {
            AlterMaterializedViewOp::Rename(self.ident("new materialized view name")?)
        } else if self.peek_word("SET") {
            return Err(self.error_here("ALTER MATERIALIZED VIEW ... SET (properties) is not supported"));
        } else {
            return Err(self.expected("ACTIVE, INACTIVE, REFRESH or RENAME"));
        };
        Ok(Some(Statement::AlterMaterializedView { name, op }))
    }

    /// After `SHOW`: `MATERIALIZED VIEWS [FROM | IN db] [LIKE 'pattern']` or `CREATE MATERIALIZED VIEW
    /// [db.]mv`; `None` when neither follows.
    pub(crate) fn show_materialized_views(&mut self) -> Result<Option<Statement>, ParseError> {
        if self.parse_words(&["CREATE", "MATERIALIZED", "VIEW"]) {
            let name = self.object_name("materialized view name")?;
            return Ok(Some(Statement::ShowCreateMaterializedView { name }));
        }
        if !self.parse_words(&["MATERIALIZED", "VIEWS"]) {
            return Ok(None);
        }
        let database =
            if self.parse_word("FROM") || self.parse_word("IN") { Some(self.ident("database name")?) } else { None };
        let like = if self.parse_word("LIKE") {
            Some(self.string_literal("a quoted pattern after LIKE")?)
        } else if self.peek_word("WHERE") {
            return Err(self.error_here("SHOW MATERIALIZED VIEWS ... WHERE is not supported; use LIKE 'pattern'"));
        } else {
            None
        };
        Ok(Some(Statement::ShowMaterializedViews { database, like }))
    }
}
