//! Views and SQL functions: CREATE [OR REPLACE] VIEW, ALTER VIEW, DROP VIEW, SHOW CREATE VIEW,
//! CREATE [OR REPLACE] FUNCTION, DROP FUNCTION and SHOW FUNCTIONS.
//!
//! A view's query and a function's body stay sqlparser AST (the engine stores their text and hands them
//! to DataFusion); only the names, column lists and types are Tessera's own.

use sqlparser::tokenizer::Token;

use super::StmtParser;
use crate::ast::{CreateFunction, CreateView, FunctionParameter, ObjectName, Statement, ViewColumn, ViewMode};
use crate::error::ParseError;

impl StmtParser<'_> {
    /// After `CREATE`: `[OR REPLACE] VIEW ...` or `[OR REPLACE] FUNCTION ...`; `None` when neither
    /// follows (nothing consumed).
    pub(crate) fn create_view_or_function(&mut self) -> Result<Option<Statement>, ParseError> {
        let or_replace = self.peek_words(&["OR", "REPLACE"]);
        let at = if or_replace { 2 } else { 0 };
        if self.peek_word_at(at, "VIEW") {
            if or_replace {
                self.expect_word("OR")?;
                self.expect_word("REPLACE")?;
            }
            self.expect_word("VIEW")?;
            let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
            if or_replace && if_not_exists {
                return Err(self.error_here("CREATE OR REPLACE VIEW and IF NOT EXISTS cannot be used together"));
            }
            let mode = match (or_replace, if_not_exists) {
                (true, _) => ViewMode::CreateOrReplace,
                (false, true) => ViewMode::CreateIfNotExists,
                (false, false) => ViewMode::Create,
            };
            return self.view_body(mode).map(Some);
        }
        if self.peek_word_at(at, "FUNCTION")
            || (self.peek_word_at(at, "GLOBAL") && self.peek_word_at(at + 1, "FUNCTION"))
        {
            if or_replace {
                self.expect_word("OR")?;
                self.expect_word("REPLACE")?;
            }
            if self.peek_word("GLOBAL") {
                return Err(self.error_here(
                    "GLOBAL functions are not supported: functions belong to a database (CREATE FUNCTION db.f ...)",
                ));
            }
            self.expect_word("FUNCTION")?;
            return self.create_function(or_replace).map(Some);
        }
        Ok(None)
    }

    /// After `ALTER`: `VIEW [db.]v [(cols)] AS query`; `None` when VIEW does not follow.
    pub(crate) fn alter_view(&mut self) -> Result<Option<Statement>, ParseError> {
        if !self.parse_word("VIEW") {
            return Ok(None);
        }
        self.view_body(ViewMode::Alter).map(Some)
    }

    /// `[db.]v [(c [COMMENT '...'], ...)] [COMMENT '...'] AS query`.
    fn view_body(&mut self, mode: ViewMode) -> Result<Statement, ParseError> {
        let name = self.object_name("view name")?;
        let mut columns = Vec::new();
        if self.consume(&Token::LParen) {
            if self.p.peek_token_ref().token == Token::RParen {
                return Err(self.error_here("a view's column list needs at least one column"));
            }
            columns = self.comma_separated(|p| {
                let name = p.ident("column name")?;
                let comment = if p.parse_word("COMMENT") {
                    Some(p.string_literal("a quoted string after COMMENT")?)
                } else {
                    None
                };
                Ok(ViewColumn { name, comment })
            })?;
            if self.p.peek_token_ref().token != Token::RParen {
                return Err(self.expected("COMMENT, ',' or ')'"));
            }
            self.p.advance_token();
        }
        let comment = if self.parse_word("COMMENT") {
            let _ = self.consume(&Token::Eq);
            Some(self.string_literal("a quoted string after COMMENT")?)
        } else {
            None
        };
        self.expect_word("AS")?;
        if !self.peek_query_start() {
            return Err(self.expected("a query after AS"));
        }
        let query = self.p.parse_query().map_err(|e| self.sqlparser_error(e))?;
        Ok(Statement::CreateView(Box::new(CreateView { name, mode, columns, comment, query })))
    }

    /// After `CREATE [OR REPLACE] FUNCTION`: `[IF NOT EXISTS] [db.]f(a type, ...) RETURNS type
    /// [PROPERTIES (...)] AS expression`.
    fn create_function(&mut self, or_replace: bool) -> Result<Statement, ParseError> {
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        if or_replace && if_not_exists {
            return Err(self.error_here("CREATE OR REPLACE FUNCTION and IF NOT EXISTS cannot be used together"));
        }
        let name = self.object_name("function name")?;
        self.expect(&Token::LParen)?;
        let mut parameters = Vec::new();
        if !self.consume(&Token::RParen) {
            parameters = self.comma_separated(|p| {
                let name = p.ident("parameter name")?;
                if matches!(p.p.peek_token_ref().token, Token::Comma | Token::RParen) {
                    return Err(
                        p.expected(&format!("a type for parameter {name} (parameters are written `name type`)"))
                    );
                }
                let data_type = p.sql_type()?;
                Ok(FunctionParameter { name, data_type })
            })?;
            self.expect(&Token::RParen)?;
        }
        self.expect_word("RETURNS")?;
        let returns = self.sql_type()?;
        let properties = if self.peek_word("PROPERTIES") { self.properties()? } else { Vec::new() };
        if !self.parse_word("AS") {
            return Err(self.expected(
                "AS <expression> (the body of a SQL function; Java UDFs with a \"file\" property are not supported)",
            ));
        }
        if self.at_statement_end() {
            return Err(self.expected("an expression after AS"));
        }
        let body = self.p.parse_expr().map_err(|e| self.sqlparser_error(e))?;
        Ok(Statement::CreateFunction(Box::new(CreateFunction {
            name,
            or_replace,
            if_not_exists,
            parameters,
            returns,
            properties,
            body: Box::new(body),
        })))
    }

    /// After `DROP`: `VIEW [IF EXISTS] [db.]v` or `FUNCTION [IF EXISTS] [db.]f(type, ...)`; `None` when
    /// neither follows.
    pub(crate) fn drop_view_or_function(&mut self) -> Result<Option<Statement>, ParseError> {
        if self.parse_word("VIEW") {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            let name = self.object_name("view name")?;
            return Ok(Some(Statement::DropView { name, if_exists }));
        }
        if self.parse_word("FUNCTION") {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            let name = self.object_name("function name")?;
            if self.p.peek_token_ref().token != Token::LParen {
                return Err(self
                    .expected(&format!("the argument types of the function to drop, e.g. DROP FUNCTION {name}(INT)")));
            }
            self.expect(&Token::LParen)?;
            let mut argument_types = Vec::new();
            if !self.consume(&Token::RParen) {
                argument_types = self.comma_separated(|p| p.sql_type())?;
                self.expect(&Token::RParen)?;
            }
            return Ok(Some(Statement::DropFunction { name, argument_types, if_exists }));
        }
        Ok(None)
    }

    /// After `SHOW`: `CREATE VIEW [db.]v`, `[FULL] FUNCTIONS [FROM | IN db]`; `None` when neither follows.
    pub(crate) fn show_view_or_function(&mut self) -> Result<Option<Statement>, ParseError> {
        if self.parse_words(&["CREATE", "VIEW"]) {
            let name: ObjectName = self.object_name("view name")?;
            return Ok(Some(Statement::ShowCreateView { name }));
        }
        let full = usize::from(self.peek_word("FULL"));
        if self.peek_word_at(full, "FUNCTIONS") {
            for _ in 0..=full {
                self.p.advance_token();
            }
            let database = if self.parse_word("FROM") || self.parse_word("IN") {
                Some(self.ident("database name")?)
            } else {
                None
            };
            return Ok(Some(Statement::ShowFunctions { database }));
        }
        Ok(None)
    }
}
