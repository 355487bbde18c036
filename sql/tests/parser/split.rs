//! split_statements and is_complete: top-level `;` only, quotes / backticks / comments respected.

use tessera_sql::{is_complete, parse_statement, split_statements};

fn split(sql: &str) -> Vec<String> {
    match split_statements(sql) {
        Ok(pieces) => pieces,
        Err(e) => panic!("split failed on {sql:?}: {e}"),
    }
}

#[test]
fn splits_at_top_level_semicolons() {
    assert_eq!(split("SELECT 1; SELECT 2;"), ["SELECT 1", "SELECT 2"]);
    assert_eq!(split("SELECT 1;SELECT 2"), ["SELECT 1", "SELECT 2"]);
    assert_eq!(split("  SELECT 1  "), ["SELECT 1"]);
    assert!(split("").is_empty());
    assert!(split("  \n ;;  ; ").is_empty());
}

#[test]
fn semicolons_inside_quotes_and_comments_do_not_split() {
    let sql = "SELECT 'a;b', \"c;d\", `e;f` FROM t -- x;y\n WHERE g = 'it''s;' /* z; */;\nSELECT 'x\\';y'";
    assert_eq!(
        split(sql),
        ["SELECT 'a;b', \"c;d\", `e;f` FROM t -- x;y\n WHERE g = 'it''s;' /* z; */", "SELECT 'x\\';y'",]
    );
}

#[test]
fn pieces_keep_exact_text_and_drop_comment_only_pieces() {
    let sql = "CREATE TABLE t (\n  a INT -- the key\n) ;\n-- only a comment\n;\nINSERT INTO t VALUES (1); -- done";
    assert_eq!(split(sql), ["CREATE TABLE t (\n  a INT -- the key\n)", "INSERT INTO t VALUES (1)"]);
    // A leading comment stays with its statement.
    assert_eq!(split("-- hello\nSELECT 1;"), ["-- hello\nSELECT 1"]);
}

#[test]
fn trailing_text_without_semicolon_is_last() {
    assert_eq!(split("SELECT 1; SELECT"), ["SELECT 1", "SELECT"]);
}

#[test]
fn non_ascii_text_is_sliced_correctly() {
    let sql = "SELECT 'héllo'; SELECT `ünï`;\nSELECT '日本語;'";
    assert_eq!(split(sql), ["SELECT 'héllo'", "SELECT `ünï`", "SELECT '日本語;'"]);
}

#[test]
fn every_piece_parses_on_its_own() {
    let sql = "CREATE DATABASE d; USE d; CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1;\
               INSERT INTO t VALUES (1); SELECT * FROM t";
    let pieces = split(sql);
    assert_eq!(pieces.len(), 5);
    for piece in pieces {
        assert!(parse_statement(&piece).is_ok(), "{piece}");
    }
}

#[test]
fn unterminated_quotes_are_errors() {
    for sql in ["SELECT 'abc", "SELECT \"abc", "SELECT `abc", "SELECT 1 /* open comment"] {
        let e = split_statements(sql).expect_err(sql);
        assert!(e.line.is_some(), "{sql}: {e}");
    }
}

#[test]
fn completeness() {
    assert!(is_complete("SELECT 1;"));
    assert!(is_complete("SELECT 1;  \n"));
    assert!(is_complete("SELECT 1; -- trailing comment"));
    assert!(is_complete("SELECT 1; /* block */"));
    assert!(is_complete("SELECT 1; SELECT 2;"));
    assert!(!is_complete("SELECT 1"));
    assert!(!is_complete("SELECT 1; SELECT 2"));
    assert!(!is_complete("SELECT ';'"));
    assert!(!is_complete("SELECT 1 -- ;"));
    assert!(!is_complete("SELECT 1 /* ; */"));
    assert!(!is_complete("SELECT 'abc;"));
    assert!(!is_complete("SELECT `abc;"));
    assert!(!is_complete("SELECT 1; /* open"));
    assert!(!is_complete(""));
    assert!(!is_complete("   "));
}
