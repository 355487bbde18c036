//! Table statements other than CREATE / ALTER: DROP TABLE, TRUNCATE TABLE, SHOW CREATE TABLE,
//! DESC / DESCRIBE / SHOW COLUMNS, SHOW PARTITIONS.

use crate::common::{assert_err_contains, name, parse, qualified, strings};
use tessera_sql::Statement;

#[test]
fn drop_table() {
    assert_eq!(parse("DROP TABLE t"), Statement::DropTable { name: name("t"), if_exists: false, force: false });
    assert_eq!(
        parse("drop table if exists Db.T force;"),
        Statement::DropTable { name: qualified("db", "t"), if_exists: true, force: true }
    );
}

#[test]
fn truncate_table() {
    assert_eq!(
        parse("TRUNCATE TABLE db.t"),
        Statement::TruncateTable { name: qualified("db", "t"), partitions: vec![] }
    );
    assert_eq!(
        parse("TRUNCATE TABLE t PARTITION (p1, `P2`)"),
        Statement::TruncateTable { name: name("t"), partitions: strings(&["p1", "P2"]) }
    );
    assert_eq!(
        parse("truncate table t partitions(P1)"),
        Statement::TruncateTable { name: name("t"), partitions: strings(&["p1"]) }
    );
    assert_eq!(parse("TRUNCATE t"), Statement::TruncateTable { name: name("t"), partitions: vec![] });
    assert_eq!(parse("TRUNCATE `table`"), Statement::TruncateTable { name: name("table"), partitions: vec![] });
    assert_err_contains("TRUNCATE TABLE", "expected table name, found end of input");
    assert_err_contains("TRUNCATE TABLE t PARTITION ()", "expected at least one partition name");
}

#[test]
fn show_create_table() {
    assert_eq!(parse("SHOW CREATE TABLE db.T"), Statement::ShowCreateTable { name: qualified("db", "t") });
    assert_err_contains("SHOW CREATE DATABASE d", "unsupported statement: SHOW CREATE DATABASE ...");
}

#[test]
fn describe_forms() {
    for sql in ["DESC t", "describe T", "SHOW COLUMNS FROM t", "show full columns from t;", "SHOW FIELDS IN t"] {
        assert_eq!(parse(sql), Statement::Describe { name: name("t") }, "{sql}");
    }
    for sql in [
        "DESC db.t",
        "DESCRIBE `db`.t",
        "SHOW COLUMNS FROM db.t",
        "SHOW FULL COLUMNS FROM t FROM db",
        "SHOW COLUMNS IN t IN DB",
    ] {
        assert_eq!(parse(sql), Statement::Describe { name: qualified("db", "t") }, "{sql}");
    }
}

#[test]
fn describe_rejects_queries() {
    assert_err_contains("DESC SELECT 1", "DESCRIBE takes a table name; use EXPLAIN");
    assert_err_contains("DESCRIBE (SELECT 1)", "DESCRIBE takes a table name");
    assert_err_contains("DESCRIBE WITH x AS (SELECT 1) SELECT * FROM x", "DESCRIBE takes a table name");
    assert_err_contains("DESC", "expected table name, found end of input");
    assert_err_contains("SHOW COLUMNS FROM db.t FROM db2", "the database is given twice");
    assert_err_contains("SHOW COLUMNS t", "expected FROM, found t");
}

#[test]
fn show_partitions() {
    assert_eq!(parse("SHOW PARTITIONS FROM db.t"), Statement::ShowPartitions { name: qualified("db", "t") });
    assert_eq!(parse("show partitions from T"), Statement::ShowPartitions { name: name("t") });
    assert_err_contains("SHOW PARTITIONS", "expected FROM, found end of input");
}

#[test]
fn three_part_names_are_rejected() {
    assert_err_contains("DROP TABLE cat.db.t", "table name has too many parts: only [database.]name is supported");
}
