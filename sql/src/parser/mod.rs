//! The statement parser: a recursive-descent layer over sqlparser's token-level `Parser`.
//!
//! One sqlparser `Parser` (MySQL dialect) holds the tokens of the whole input. This module walks the
//! statements, skips empty ones, dispatches on the first word and checks that each statement ends at a
//! `;` or the end of input. Tessera-specific statements are parsed by our own functions (in the
//! submodules); standard ones (queries, INSERT sources, DELETE conditions, EXPLAIN) are handed to
//! sqlparser's own parse functions so that DataFusion gets sqlparser AST.

mod backup;
mod backup_common;
mod column;
mod ddl;
mod dml;
mod materialized_view;
mod partition;
mod restore;
mod show;
mod tokens;
mod view_function;

use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token};

use crate::ast::Statement;
use crate::error::ParseError;

/// The dialect for everything: StarRocks speaks MySQL.
pub(crate) static DIALECT: MySqlDialect = MySqlDialect {};

/// Parses every `;`-separated statement, skipping empty ones.
pub(crate) fn parse_statements(sql: &str) -> Result<Vec<Statement>, ParseError> {
    let mut parser = StmtParser::new(sql)?;
    let mut statements = Vec::new();
    loop {
        parser.skip_semicolons();
        if parser.at_eof() {
            return Ok(statements);
        }
        statements.push(parser.statement()?);
    }
}

/// Parses exactly one statement; a trailing `;` (or several) is allowed.
pub(crate) fn parse_statement(sql: &str) -> Result<Statement, ParseError> {
    let mut parser = StmtParser::new(sql)?;
    parser.skip_semicolons();
    if parser.at_eof() {
        return Err(ParseError::new("empty statement: nothing to parse"));
    }
    let statement = parser.statement()?;
    parser.skip_semicolons();
    if !parser.at_eof() {
        return Err(parser.error_here(format!(
            "expected a single statement, found another one starting with {}",
            parser.words_from(parser.p.index(), 3)
        )));
    }
    Ok(statement)
}

/// Our parser state: sqlparser's parser plus what is needed for good error messages.
pub(crate) struct StmtParser<'a> {
    /// sqlparser's parser over the tokens of the whole input.
    pub(crate) p: Parser<'a>,
    /// The location just past the last character, used for errors at the end of input.
    end: Location,
    /// Token index where the statement being parsed starts, for "unsupported statement: ..." errors.
    stmt_start: usize,
}

impl<'a> StmtParser<'a> {
    pub(crate) fn new(sql: &str) -> Result<Self, ParseError> {
        let end = end_location(sql);
        let p = Parser::new(&DIALECT).try_with_sql(sql).map_err(|e| ParseError::from_sqlparser(e, end))?;
        Ok(StmtParser { p, end, stmt_start: 0 })
    }

    fn skip_semicolons(&mut self) {
        while self.p.consume_token(&Token::SemiColon) {}
    }

    /// Parses one statement and checks that it ends at `;` or the end of input (neither is consumed).
    fn statement(&mut self) -> Result<Statement, ParseError> {
        self.stmt_start = self.p.index();
        let statement = self.dispatch()?;
        if !self.at_statement_end() {
            return Err(self.expected("end of statement"));
        }
        Ok(statement)
    }

    fn dispatch(&mut self) -> Result<Statement, ParseError> {
        if self.peek_query_start() {
            return self.query();
        }
        let Some(first) = self.peek_keyword_text() else {
            return Err(self.unsupported());
        };
        match first.as_str() {
            "CREATE" => self.create(),
            "DROP" => self.drop(),
            "ALTER" => self.alter(),
            "TRUNCATE" => self.truncate(),
            "USE" => self.use_database(),
            "SHOW" => self.show(),
            "DESC" | "DESCRIBE" => self.describe(),
            "INSERT" => self.insert(),
            "DELETE" => self.delete(),
            "UPDATE" => self.update(),
            "EXPLAIN" => self.explain(),
            "BACKUP" => self.backup(),
            "RESTORE" => self.restore(),
            "CANCEL" => self.cancel(),
            "REFRESH" => self.refresh(),
            _ => Err(self.unsupported()),
        }
    }

    /// `unsupported statement: <first words>` pointing at the start of the current statement.
    pub(crate) fn unsupported(&self) -> ParseError {
        let words = self.words_from(self.stmt_start, 3);
        let token = self.first_significant_from(self.stmt_start);
        self.error_at(&token, format!("unsupported statement: {words}"))
    }
}

/// The location just past the end of `sql`, counted like sqlparser's tokenizer (1-based, in chars).
fn end_location(sql: &str) -> Location {
    let mut line = 1;
    let mut column = 1;
    for c in sql.chars() {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Location::new(line, column)
}
