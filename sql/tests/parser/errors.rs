//! Error reporting: messages name the problem, and carry the 1-based line and column of the
//! offending token (the end of input when the statement is cut short).

use crate::common::parse_err;
use tessera_sql::{parse_statements, split_statements};

#[test]
fn errors_carry_line_and_column() {
    let e = parse_err("CREATE TABLE t (a FOO)");
    assert_eq!(e.message, "unknown column type: FOO");
    assert_eq!((e.line, e.column), (Some(1), Some(19)));
    assert_eq!(e.to_string(), "syntax error at line 1, column 19: unknown column type: FOO");

    let e = parse_err("CREATE TABLE t (\n  a INT,\n  b INT\n)\nDISTRIBUTED BY HASH(a) BUCKETS 0");
    assert_eq!(e.message, "BUCKETS must be a positive integer, found 0");
    assert_eq!((e.line, e.column), (Some(5), Some(32)));
}

#[test]
fn sqlparser_errors_are_rewritten_with_location() {
    let e = parse_err("SELECT a FROM t WHERE (a = 1");
    assert_eq!(e.message, "expected ), found end of input");
    assert_eq!((e.line, e.column), (Some(1), Some(29)));

    let e = parse_err("SELECT *\nFROM t\nWHERE a = = 1");
    assert!(e.message.starts_with("expected an expression"), "{}", e.message);
    assert_eq!(e.line, Some(3));
    assert_eq!(e.column, Some(11));
    assert!(e.to_string().starts_with("syntax error at line 3, column 11: expected"));
}

#[test]
fn errors_at_end_of_input_point_past_the_text() {
    let e = parse_err("DROP TABLE");
    assert_eq!(e.message, "expected table name, found end of input");
    assert_eq!((e.line, e.column), (Some(1), Some(11)));
}

#[test]
fn errors_in_later_statements_have_absolute_positions() {
    let e = parse_statements("SHOW DATABASES;\nSHOW TABLES;\nCREATE TABLE t (a INT) BUCKETS 3").expect_err("bad");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.column, Some(24));
}

#[test]
fn unsupported_statements_are_named() {
    let e = parse_err("GRANT SELECT ON db.t TO bob");
    assert_eq!(e.message, "unsupported statement: GRANT SELECT ON ...");
    assert_eq!((e.line, e.column), (Some(1), Some(1)));
    let e = parse_err("  MERGE INTO t USING u ON t.a = u.a");
    assert_eq!(e.message, "unsupported statement: MERGE INTO t ...");
    assert_eq!((e.line, e.column), (Some(1), Some(3)));
    let e = parse_err("SET x = 1");
    assert_eq!(e.message, "unsupported statement: SET x = ...");
    let e = parse_err("'just a string'");
    assert_eq!(e.message, "unsupported statement: 'just a string'");
    let e = parse_err("CREATE INDEX i ON t (a)");
    assert_eq!(e.message, "unsupported statement: CREATE INDEX i ...");
}

#[test]
fn tokenizer_errors_have_location() {
    let e = parse_err("SELECT 'unterminated");
    assert!(e.message.contains("nterminated string literal"), "{}", e.message);
    assert_eq!(e.line, Some(1));
    assert!(e.column.is_some());

    let e = split_statements("SELECT 1;\nSELECT `open").expect_err("unterminated");
    assert_eq!(e.line, Some(2));
}
