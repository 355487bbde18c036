//! Queries (SELECT, WITH, VALUES, parenthesized) and EXPLAIN, kept as sqlparser AST.

use crate::common::{assert_err_contains, parse, sqlparser_query, sqlparser_statement};
use sqlparser::ast as sp;
use tessera_sql::Statement;

#[test]
fn queries_are_sqlparser_queries() {
    for sql in [
        "SELECT 1",
        "select a, count(*) from db.t where b > 2 group by a order by a limit 10",
        "SELECT `Mixed`, Upper FROM T",
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        "VALUES (1, 'a'), (2, 'b')",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SELECT * FROM t1 JOIN t2 ON t1.a = t2.a WHERE t1.s = \"double quoted string\"",
    ] {
        assert_eq!(parse(sql), Statement::Query(sqlparser_query(sql)), "{sql}");
    }
}

#[test]
fn queries_keep_sqlparser_identifiers_untouched() {
    let Statement::Query(query) = parse("SELECT Upper FROM T") else {
        panic!("not a query");
    };
    // DataFusion normalizes query identifiers itself; the parser must not.
    assert!(query.to_string().contains("Upper"));
    assert!(query.to_string().contains("FROM T"));
}

#[test]
fn explain_wraps_the_sqlparser_statement() {
    for sql in [
        "EXPLAIN SELECT 1",
        "explain analyze select * from t",
        "EXPLAIN VERBOSE SELECT a FROM t",
        "EXPLAIN ANALYZE VERBOSE SELECT a FROM t",
        "EXPLAIN FORMAT JSON SELECT 1",
        "EXPLAIN FORMAT=TREE SELECT 1",
        "EXPLAIN WITH x AS (SELECT 1) SELECT * FROM x",
        "EXPLAIN VALUES (1)",
    ] {
        let expected = sqlparser_statement(sql);
        assert!(matches!(expected, sp::Statement::Explain { .. }), "{sql}");
        assert_eq!(parse(sql), Statement::Explain(Box::new(expected)), "{sql}");
    }
}

#[test]
fn explain_only_accepts_queries() {
    assert_err_contains(
        "EXPLAIN INSERT INTO t VALUES (1)",
        "expected a query (SELECT, WITH, VALUES) after EXPLAIN, found INSERT",
    );
    assert_err_contains("EXPLAIN t", "expected a query (SELECT, WITH, VALUES) after EXPLAIN, found t");
    assert_err_contains("EXPLAIN", "found end of input");
    // A syntax error inside the explained query is reported as such.
    let e = assert_err_contains("EXPLAIN SELECT FROM WHERE", "expected an expression, found FROM");
    assert_eq!(e.line, Some(1));
}

#[test]
fn query_errors() {
    assert_err_contains("SELECT", "found end of input");
    assert_err_contains("SELECT 1 garbage garbage", "expected end of statement, found garbage");
    assert_err_contains("SELECT (1", "expected ), found end of input");
}
