//! INSERT INTO / INSERT OVERWRITE (targets, PARTITION and column lists, VALUES or query sources)
//! and DELETE.

use crate::common::{
    assert_err_contains, name, parse, qualified, sqlparser_expr, sqlparser_query, sqlparser_statement, strings,
};
use sqlparser::ast as sp;
use tessera_sql::{Insert, Literal, Statement};

fn insert(sql: &str) -> Insert {
    match parse(sql) {
        Statement::Insert(insert) => *insert,
        other => panic!("expected INSERT, got {other:?}"),
    }
}

#[test]
fn insert_values() {
    let i = insert("INSERT INTO t VALUES (1, 'a'), (2, NULL)");
    assert_eq!(
        i,
        Insert {
            table: name("t"),
            overwrite: false,
            partitions: vec![],
            partition_values: vec![],
            columns: vec![],
            source: sqlparser_query("VALUES (1, 'a'), (2, NULL)"),
        }
    );
}

#[test]
fn insert_with_columns_and_partitions() {
    let i = insert("insert into Db.T partition (P1, `P2`) (A, `B`) values (1, 2)");
    assert_eq!(i.table, qualified("db", "t"));
    assert!(!i.overwrite);
    assert_eq!(i.partitions, strings(&["p1", "P2"]));
    assert_eq!(i.columns, strings(&["a", "B"]));
    assert_eq!(i.source, sqlparser_query("values (1, 2)"));

    let i = insert("INSERT INTO t PARTITIONS (p) SELECT 1");
    assert_eq!(i.partitions, strings(&["p"]));
}

#[test]
fn insert_into_the_partition_of_values() {
    let i = insert("INSERT OVERWRITE t PARTITION (dt = '2022-04-02', `City` = \"texas\", n = -1) (a) SELECT 1");
    assert!(i.overwrite);
    assert!(i.partitions.is_empty());
    assert_eq!(
        i.partition_values,
        vec![
            ("dt".to_string(), Literal::String("2022-04-02".into())),
            ("City".to_string(), Literal::String("texas".into())),
            ("n".to_string(), Literal::Number("-1".into())),
        ]
    );
    assert_eq!(i.columns, strings(&["a"]));
    assert_err_contains(
        "INSERT INTO t PARTITION (dt = ) VALUES (1)",
        "expected a value for partition column dt, found )",
    );
    assert_err_contains("INSERT INTO t PARTITION (dt = 1, p2) VALUES (1)", "expected '=', found )");
}

#[test]
fn insert_query_sources() {
    let i = insert("INSERT INTO t SELECT a, b FROM s WHERE a > 0");
    assert_eq!(i.source, sqlparser_query("SELECT a, b FROM s WHERE a > 0"));
    let i = insert("INSERT INTO t (a) WITH x AS (SELECT 1) SELECT * FROM x");
    assert_eq!(i.columns, strings(&["a"]));
    assert_eq!(i.source, sqlparser_query("WITH x AS (SELECT 1) SELECT * FROM x"));
    let i = insert("INSERT INTO t (SELECT 1)");
    assert!(i.columns.is_empty());
    assert_eq!(i.source, sqlparser_query("(SELECT 1)"));
    let i = insert("INSERT INTO t (a, b) (SELECT 1, 2)");
    assert_eq!(i.columns, strings(&["a", "b"]));
    assert_eq!(i.source, sqlparser_query("(SELECT 1, 2)"));
}

#[test]
fn insert_overwrite() {
    let i = insert("INSERT OVERWRITE t SELECT * FROM s");
    assert!(i.overwrite);
    assert_eq!(i.table, name("t"));
    let i = insert("insert overwrite table db.t partition(p1) (a) values (1)");
    assert!(i.overwrite);
    assert_eq!(i.table, qualified("db", "t"));
    assert_eq!(i.partitions, strings(&["p1"]));
    assert_eq!(i.columns, strings(&["a"]));
    let i = insert("INSERT INTO TABLE t VALUES (1)");
    assert_eq!(i.table, name("t"));
    let i = insert("INSERT INTO `table` VALUES (1)");
    assert_eq!(i.table, name("table"));
}

#[test]
fn insert_errors() {
    assert_err_contains("INSERT t VALUES (1)", "expected INTO or OVERWRITE after INSERT, found t");
    assert_err_contains("INSERT INTO t", "expected VALUES or a query, found end of input");
    assert_err_contains("INSERT INTO t (a)", "expected VALUES or a query, found end of input");
    assert_err_contains("INSERT INTO t () VALUES (1)", "the column list must not be empty");
    assert_err_contains("INSERT INTO t SET a = 1", "expected VALUES or a query, found SET");
    assert_err_contains("INSERT INTO t VALUES (1", "expected ), found end of input");
    assert_err_contains(
        "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1",
        "expected end of statement, found ON",
    );
}

#[test]
fn delete() {
    assert_eq!(parse("DELETE FROM t"), Statement::Delete { table: name("t"), selection: None });
    assert_eq!(
        parse("delete from Db.T where k = 1 and dt < '2024-01-01';"),
        Statement::Delete {
            table: qualified("db", "t"),
            selection: Some(sqlparser_expr("k = 1 and dt < '2024-01-01'")),
        }
    );
    assert_err_contains("DELETE t WHERE a = 1", "expected FROM, found t");
    assert_err_contains("DELETE FROM t WHERE", "expected an expression, found end of input");
    assert_err_contains("DELETE FROM t PARTITION p WHERE a = 1", "expected WHERE or end of statement, found PARTITION");
}

#[test]
fn update() {
    assert_eq!(
        parse("UPDATE db.T SET v = v + 1, Note = 'x' WHERE k IN (SELECT k FROM u);"),
        Statement::Update {
            table: qualified("db", "t"),
            assignments: vec![("v".into(), sqlparser_expr("v + 1")), ("note".into(), sqlparser_expr("'x'"))],
            from: vec![],
            selection: Some(sqlparser_expr("k IN (SELECT k FROM u)")),
        }
    );
    assert_eq!(
        parse("update t set v = 0"),
        Statement::Update {
            table: name("t"),
            assignments: vec![("v".into(), sqlparser_expr("0"))],
            from: vec![],
            selection: None
        }
    );
    let Statement::Update { from, .. } = parse("UPDATE t SET v = s.v FROM s JOIN u ON s.k = u.k, w WHERE t.k = s.k")
    else {
        panic!("not an UPDATE")
    };
    let sp::Statement::Query(q) = sqlparser_statement("SELECT 1 FROM s JOIN u ON s.k = u.k, w") else { panic!() };
    let sp::SetExpr::Select(select) = *q.body else { panic!() };
    assert_eq!(from, select.from);
    assert_err_contains("UPDATE t v = 1", "expected SET, found v");
    assert_err_contains("UPDATE t SET v 1", "expected = after column v in SET, found 1");
    assert_err_contains("UPDATE t SET v = 1 LIMIT 3", "expected FROM, WHERE or end of statement, found LIMIT");
}
