//! CREATE / ALTER / DROP VIEW, SHOW CREATE VIEW, SHOW FULL TABLES, CREATE / DROP FUNCTION and SHOW
//! FUNCTIONS.

use tessera_sql::{CreateView, FunctionParameter, SqlType, Statement, ViewColumn, ViewMode};

use crate::common::{assert_err_contains, name, parse, qualified, sqlparser_expr, sqlparser_query};

fn view(sql: &str) -> CreateView {
    match parse(sql) {
        Statement::CreateView(v) => *v,
        other => panic!("expected a view statement, got {other:?}"),
    }
}

#[test]
fn view_statements() {
    let v = view("CREATE VIEW d.V (a COMMENT 'x', `B`) COMMENT 'c' AS SELECT 1, 2");
    assert_eq!(v.name, qualified("d", "v"));
    assert_eq!(v.mode, ViewMode::Create);
    assert_eq!(
        v.columns,
        vec![
            ViewColumn { name: "a".into(), comment: Some("x".into()) },
            ViewColumn { name: "B".into(), comment: None }
        ]
    );
    assert_eq!(v.comment.as_deref(), Some("c"));
    assert_eq!(v.query, sqlparser_query("SELECT 1, 2"));
    assert_eq!(view("CREATE OR REPLACE VIEW v AS SELECT 1").mode, ViewMode::CreateOrReplace);
    assert_eq!(view("CREATE VIEW IF NOT EXISTS v AS SELECT 1").mode, ViewMode::CreateIfNotExists);
    assert_eq!(view("ALTER VIEW v (x) AS SELECT 1").mode, ViewMode::Alter);
    assert_eq!(parse("DROP VIEW IF EXISTS d.v"), Statement::DropView { name: qualified("d", "v"), if_exists: true });
    assert_eq!(parse("SHOW CREATE VIEW v"), Statement::ShowCreateView { name: name("v") });
    assert_eq!(parse("SHOW FULL TABLES FROM d"), Statement::ShowTables { database: Some("d".into()), full: true });
    assert_err_contains("CREATE OR REPLACE VIEW IF NOT EXISTS v AS SELECT 1", "cannot be used together");
    assert_err_contains("CREATE VIEW v () AS SELECT 1", "at least one column");
    assert_err_contains("CREATE VIEW v AS 1", "a query after AS");
    assert_err_contains("CREATE VIEW v SELECT 1", "AS");
}

#[test]
fn function_statements() {
    let Statement::CreateFunction(f) =
        parse("CREATE OR REPLACE FUNCTION d.F(a INT, b VARCHAR(10)) RETURNS BIGINT AS a + 1")
    else {
        panic!("not a CREATE FUNCTION")
    };
    assert_eq!(f.name, qualified("d", "f"));
    assert!(f.or_replace && !f.if_not_exists);
    assert_eq!(
        f.parameters,
        vec![
            FunctionParameter { name: "a".into(), data_type: SqlType::Int },
            FunctionParameter { name: "b".into(), data_type: SqlType::Varchar(Some(10)) },
        ]
    );
    assert_eq!(f.returns, SqlType::BigInt);
    assert_eq!(*f.body, sqlparser_expr("a + 1"));
    let Statement::CreateFunction(f) =
        parse("CREATE FUNCTION IF NOT EXISTS g() RETURNS INT PROPERTIES (\"k\" = \"v\") AS 1")
    else {
        panic!("not a CREATE FUNCTION")
    };
    assert!(f.parameters.is_empty() && f.if_not_exists);
    assert_eq!(f.properties, vec![("k".to_string(), "v".to_string())]);
    assert_eq!(
        parse("DROP FUNCTION IF EXISTS d.f(INT, STRING)"),
        Statement::DropFunction {
            name: qualified("d", "f"),
            argument_types: vec![SqlType::Int, SqlType::String],
            if_exists: true
        }
    );
    assert_eq!(
        parse("DROP FUNCTION f()"),
        Statement::DropFunction { name: name("f"), argument_types: vec![], if_exists: false }
    );
    assert_eq!(parse("SHOW FUNCTIONS IN d"), Statement::ShowFunctions { database: Some("d".into()) });
    assert_eq!(parse("SHOW FULL FUNCTIONS"), Statement::ShowFunctions { database: None });
    assert_err_contains("DROP FUNCTION f", "argument types");
    assert_err_contains("CREATE FUNCTION f(a) RETURNS INT AS a", "a type for parameter a");
    assert_err_contains("CREATE FUNCTION f(a INT) RETURNS INT", "AS <expression>");
    assert_err_contains("CREATE GLOBAL FUNCTION f(a INT) RETURNS INT AS a", "GLOBAL functions are not supported");
}
