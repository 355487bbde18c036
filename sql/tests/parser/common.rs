//! Helpers shared by the test modules: parse-or-panic wrappers and sqlparser reference parses.

use sqlparser::ast as sp;
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use tessera_sql::{parse_statement, CreateTable, ObjectName, ParseError, Statement};

/// Parses one statement, panicking with the error if it fails.
pub fn parse(sql: &str) -> Statement {
    match parse_statement(sql) {
        Ok(statement) => statement,
        Err(e) => panic!("failed to parse {sql:?}: {e}"),
    }
}

/// Parses one statement that must fail, returning the error.
pub fn parse_err(sql: &str) -> ParseError {
    match parse_statement(sql) {
        Ok(statement) => panic!("expected {sql:?} to fail, got {statement:?}"),
        Err(e) => e,
    }
}

/// Asserts that `sql` fails with a message containing `needle`.
pub fn assert_err_contains(sql: &str, needle: &str) -> ParseError {
    let e = parse_err(sql);
    assert!(e.message.contains(needle), "error for {sql:?} was {:?}, expected it to contain {needle:?}", e.message);
    e
}

/// Parses a CREATE TABLE statement.
pub fn create_table(sql: &str) -> CreateTable {
    match parse(sql) {
        Statement::CreateTable(table) => *table,
        other => panic!("expected CREATE TABLE, got {other:?}"),
    }
}

/// What sqlparser itself makes of `sql` (one statement, MySQL dialect).
pub fn sqlparser_statement(sql: &str) -> sp::Statement {
    let mut statements = match Parser::parse_sql(&MySqlDialect {}, sql) {
        Ok(statements) => statements,
        Err(e) => panic!("sqlparser failed on {sql:?}: {e}"),
    };
    assert_eq!(statements.len(), 1, "{sql:?}");
    statements.remove(0)
}

/// The query sqlparser parses from `sql`.
pub fn sqlparser_query(sql: &str) -> Box<sp::Query> {
    match sqlparser_statement(sql) {
        sp::Statement::Query(query) => query,
        other => panic!("expected a query, got {other:?}"),
    }
}

/// The expression sqlparser parses from `sql`.
pub fn sqlparser_expr(sql: &str) -> sp::Expr {
    let parser = Parser::new(&MySqlDialect {}).try_with_sql(sql);
    match parser.and_then(|mut p| p.parse_expr()) {
        Ok(expr) => expr,
        Err(e) => panic!("sqlparser failed on expression {sql:?}: {e}"),
    }
}

pub fn name(name: &str) -> ObjectName {
    ObjectName { database: None, name: name.to_string() }
}

pub fn qualified(database: &str, name: &str) -> ObjectName {
    ObjectName { database: Some(database.to_string()), name: name.to_string() }
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
