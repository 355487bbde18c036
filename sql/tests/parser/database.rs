//! Database statements: CREATE / DROP DATABASE (and SCHEMA), USE, SHOW DATABASES, SHOW TABLES.

use crate::common::{assert_err_contains, parse};
use tessera_sql::Statement;

#[test]
fn create_database() {
    assert_eq!(
        parse("CREATE DATABASE sales"),
        Statement::CreateDatabase { name: "sales".into(), if_not_exists: false }
    );
    assert_eq!(
        parse("create database if not exists Sales;"),
        Statement::CreateDatabase { name: "sales".into(), if_not_exists: true }
    );
    assert_eq!(
        parse("CREATE SCHEMA IF NOT EXISTS `Sales`"),
        Statement::CreateDatabase { name: "Sales".into(), if_not_exists: true }
    );
}

#[test]
fn drop_database() {
    assert_eq!(
        parse("DROP DATABASE db"),
        Statement::DropDatabase { name: "db".into(), if_exists: false, force: false }
    );
    assert_eq!(
        parse("drop schema if exists DB force"),
        Statement::DropDatabase { name: "db".into(), if_exists: true, force: true }
    );
}

#[test]
fn use_database() {
    assert_eq!(parse("USE Analytics"), Statement::Use { database: "analytics".into() });
    assert_eq!(parse("use `Analytics`;"), Statement::Use { database: "Analytics".into() });
}

#[test]
fn show_databases() {
    assert_eq!(parse("SHOW DATABASES"), Statement::ShowDatabases);
    assert_eq!(parse("show schemas;"), Statement::ShowDatabases);
}

#[test]
fn show_tables() {
    assert_eq!(parse("SHOW TABLES"), Statement::ShowTables { database: None, full: false });
    assert_eq!(parse("SHOW TABLES FROM Db1"), Statement::ShowTables { database: Some("db1".into()), full: false });
    assert_eq!(parse("show tables in `Db1`"), Statement::ShowTables { database: Some("Db1".into()), full: false });
}

#[test]
fn database_statement_errors() {
    assert_err_contains("CREATE DATABASE", "expected database name, found end of input");
    assert_err_contains("USE", "expected database name");
    assert_err_contains("USE a.b", "expected end of statement, found .");
    assert_err_contains("SHOW TABLES FROM", "expected database name");
    assert_err_contains("CREATE INDEX i ON t (a)", "unsupported statement: CREATE INDEX");
    assert_err_contains("SHOW VARIABLES", "unsupported statement: SHOW VARIABLES");
}
