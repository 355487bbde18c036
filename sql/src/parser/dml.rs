//! Queries and DML: SELECT / WITH / VALUES queries, INSERT INTO / OVERWRITE, DELETE, UPDATE, and EXPLAIN.
//!
//! The standard parts (the query, the INSERT source, the DELETE condition, the explained query) are
//! parsed by sqlparser's own functions and kept as sqlparser AST; only the Tessera-specific framing
//! (target table, PARTITION list, column list) is parsed here.

use sqlparser::ast as sp;
use sqlparser::tokenizer::Token;

use super::tokens::LiteralOptions;
use super::StmtParser;
use crate::ast::{Insert, Literal, Statement};
use crate::error::ParseError;

impl StmtParser<'_> {
    /// A query: SELECT, WITH, VALUES or a parenthesized query.
    pub(crate) fn query(&mut self) -> Result<Statement, ParseError> {
        Ok(Statement::Query(self.sp_query()?))
    }

    /// sqlparser's `parse_query`, with its error converted.
    fn sp_query(&mut self) -> Result<Box<sp::Query>, ParseError> {
        let query = self.p.parse_query();
        query.map_err(|e| self.sqlparser_error(e))
    }

    /// `INSERT {INTO | OVERWRITE} [TABLE] [db.]t [PARTITION (p, ...) | PARTITION (col = v, ...)] [(c, ...)]
    /// {VALUES ... | query}`.
    pub(crate) fn insert(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("INSERT")?;
        let overwrite = if self.parse_word("INTO") {
            false
        } else if self.parse_word("OVERWRITE") {
            true
        } else {
            return Err(self.expected("INTO or OVERWRITE after INSERT"));
        };
        let _ = self.parse_word("TABLE");
        let table = self.object_name("table name")?;
        let (partitions, partition_values) = if self.partition_values_start() {
            (Vec::new(), self.partition_values_list()?)
        } else {
            (self.optional_partition_names()?, Vec::new())
        };
        // `(` starts either the column list or a parenthesized query.
        let columns = if self.p.peek_token_ref().token == Token::LParen && !self.query_starts_at(1) {
            self.paren_ident_list("column name", "the column list must not be empty")?
        } else {
            Vec::new()
        };
        if !self.peek_query_start() {
            return Err(self.expected("VALUES or a query"));
        }
        let source = self.sp_query()?;
        Ok(Statement::Insert(Box::new(Insert { table, overwrite, partitions, partition_values, columns, source })))
    }

    /// True at `PARTITION (name =`: the values form of an INSERT's partition.
    fn partition_values_start(&self) -> bool {
        self.peek_word("PARTITION")
            && self.p.peek_nth_token_ref(1).token == Token::LParen
            && matches!(self.p.peek_nth_token_ref(2).token, Token::Word(_))
            && self.p.peek_nth_token_ref(3).token == Token::Eq
    }

    /// `PARTITION (col = value, ...)`.
    fn partition_values_list(&mut self) -> Result<Vec<(String, Literal)>, ParseError> {
        self.expect_word("PARTITION")?;
        self.expect(&Token::LParen)?;
        let values = self.comma_separated(|p| {
            let column = p.ident("partition column name")?;
            p.expect(&Token::Eq)?;
            let options = LiteralOptions { max_value: false, current_timestamp: false };
            let value = p.literal(options, &format!("a value for partition column {column}"))?;
            Ok((column, value))
        })?;
        self.expect(&Token::RParen)?;
        Ok(values)
    }

    /// `DELETE FROM [db.]t [WHERE expr]`.
    pub(crate) fn delete(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("DELETE")?;
        self.expect_word("FROM")?;
        let table = self.object_name("table name")?;
        let selection = self.optional_where()?;
        if !self.at_statement_end() {
            return Err(self.expected("WHERE or end of statement"));
        }
        Ok(Statement::Delete { table, selection })
    }

    /// `UPDATE [db.]t SET c = expr [, c = expr ...] [FROM table_refs] [WHERE expr]`.
    pub(crate) fn update(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("UPDATE")?;
        let table = self.object_name("table name")?;
        self.expect_word("SET")?;
        let mut assignments = Vec::new();
        loop {
            let column = self.ident("column name")?;
            if !self.consume(&Token::Eq) {
                return Err(self.expected(&format!("= after column {column} in SET")));
            }
            let expr = self.p.parse_expr();
            assignments.push((column, expr.map_err(|e| self.sqlparser_error(e))?));
            if !self.consume(&Token::Comma) {
                break;
            }
        }
        let from = if self.parse_word("FROM") {
            let tables = self.p.parse_comma_separated(|p| p.parse_table_and_joins());
            tables.map_err(|e| self.sqlparser_error(e))?
        } else {
            Vec::new()
        };
        let selection = self.optional_where()?;
        if !self.at_statement_end() {
            return Err(self.expected("FROM, WHERE or end of statement"));
        }
        Ok(Statement::Update { table, assignments, from, selection })
    }

    /// `[WHERE expr]` of DELETE and UPDATE.
    fn optional_where(&mut self) -> Result<Option<sp::Expr>, ParseError> {
        if !self.parse_word("WHERE") {
            return Ok(None);
        }
        let expr = self.p.parse_expr();
        Ok(Some(expr.map_err(|e| self.sqlparser_error(e))?))
    }

    /// `EXPLAIN [ANALYZE] [VERBOSE] [FORMAT [=] fmt] <query>`.
    ///
    /// Builds exactly the `sp::Statement::Explain` that sqlparser's `parse_statement` produces for these
    /// forms, but parses the explained query with `parse_query` directly: sqlparser would otherwise
    /// swallow a syntax error in the query and retry it as `EXPLAIN <table name>`, losing the message.
    pub(crate) fn explain(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("EXPLAIN")?;
        let analyze = self.parse_word("ANALYZE");
        let verbose = self.parse_word("VERBOSE");
        let format = if self.parse_word("FORMAT") {
            let assignment = self.consume(&Token::Eq);
            let format = self.p.parse_analyze_format();
            let format = format.map_err(|e| self.sqlparser_error(e))?;
            Some(if assignment {
                sp::AnalyzeFormatKind::Assignment(format)
            } else {
                sp::AnalyzeFormatKind::Keyword(format)
            })
        } else {
            None
        };
        if !self.peek_query_start() {
            return Err(self.expected("a query (SELECT, WITH, VALUES) after EXPLAIN"));
        }
        let query = self.sp_query()?;
        Ok(Statement::Explain(Box::new(sp::Statement::Explain {
            describe_alias: sp::DescribeAlias::Explain,
            analyze,
            verbose,
            query_plan: false,
            estimate: false,
            statement: Box::new(sp::Statement::Query(query)),
            format,
            options: None,
        })))
    }
}
