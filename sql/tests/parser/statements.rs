//! Statement sequences: `;` separators, empty statements, comments, and parse_statement's
//! "exactly one" rule.

use crate::common::{name, parse};
use tessera_sql::{parse_statement, parse_statements, Statement};

#[test]
fn several_statements_with_empty_ones() {
    let statements = parse_statements(";; CREATE DATABASE d; USE d;;\n SHOW TABLES ; -- trailing comment\n SELECT 1")
        .expect("parses");
    assert_eq!(statements.len(), 4);
    assert_eq!(statements[0], Statement::CreateDatabase { name: "d".into(), if_not_exists: false });
    assert_eq!(statements[1], Statement::Use { database: "d".into() });
    assert_eq!(statements[2], Statement::ShowTables { database: None, full: false });
    assert!(matches!(statements[3], Statement::Query(_)));
}

#[test]
fn nothing_but_separators_and_comments() {
    assert_eq!(parse_statements("").expect("ok"), vec![]);
    assert_eq!(parse_statements(" ;; -- c\n /* x */ ;").expect("ok"), vec![]);
    let e = parse_statement("  ; -- nothing").expect_err("empty");
    assert!(e.message.contains("empty statement"), "{e}");
}

#[test]
fn comments_everywhere() {
    let sql = "/* lead */ DROP /* mid */ TABLE -- line\n IF # hash comment\n EXISTS t /* end */ ; -- after";
    assert_eq!(parse(sql), Statement::DropTable { name: name("t"), if_exists: true, force: false });
}

#[test]
fn parse_statement_wants_exactly_one() {
    assert!(parse_statement("SHOW DATABASES;").is_ok());
    assert!(parse_statement("SHOW DATABASES;;").is_ok());
    let e = parse_statement("SHOW DATABASES; SHOW TABLES").expect_err("two statements");
    assert!(e.message.contains("expected a single statement, found another one starting with SHOW TABLES"), "{e}");
    assert_eq!((e.line, e.column), (Some(1), Some(17)));
}

#[test]
fn missing_separator_is_an_error() {
    let e = parse_statements("SHOW DATABASES SHOW TABLES").expect_err("no ;");
    assert_eq!(e.message, "expected end of statement, found SHOW");
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(parse("sHoW dAtAbAsEs"), Statement::ShowDatabases);
}
