//! Restores: RESTORE (old and v3.4 syntax, with `DATABASE src [AS target]`, typed `ON` objects and
//! aliases), SHOW RESTORE, CANCEL RESTORE; their errors; the word `restore` breaks nothing.

use crate::common::{assert_err_contains, create_table, name, parse, parse_err, strings};
use tessera_sql::{BackupStatement, Restore, RestoreObject, Statement};

fn backup_statement(sql: &str) -> BackupStatement {
    match parse(sql) {
        Statement::Backup(statement) => statement,
        other => panic!("expected a backup statement for {sql:?}, got {other:?}"),
    }
}

fn restore(sql: &str) -> Restore {
    match backup_statement(sql) {
        BackupStatement::Restore(restore) => *restore,
        other => panic!("expected RESTORE for {sql:?}, got {other:?}"),
    }
}

fn table(name: &str, partitions: &[&str], alias: Option<&str>) -> RestoreObject {
    RestoreObject::Table { name: name.to_string(), partitions: strings(partitions), alias: alias.map(str::to_string) }
}

fn other(kind: &str, name: Option<&str>, alias: Option<&str>) -> RestoreObject {
    RestoreObject::Other { kind: kind.to_string(), name: name.map(str::to_string), alias: alias.map(str::to_string) }
}

fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

// ----- RESTORE, old syntax -----

#[test]
fn restore_old_syntax() {
    // The two examples of StarRocks' reference page.
    assert_eq!(
        restore(
            "RESTORE SNAPSHOT example_db.snapshot_label1\nFROM example_repo\nON ( backup_tbl )\nPROPERTIES\n(\n    \
             \"backup_timestamp\"=\"2018-05-04-16-45-08\",\n    \"replication_num\" = \"1\"\n);"
        ),
        Restore {
            label_database: Some("example_db".into()),
            label: "snapshot_label1".into(),
            repository: "example_repo".into(),
            source_database: None,
            target_database: None,
            objects: vec![table("backup_tbl", &[], None)],
            properties: props(&[("backup_timestamp", "2018-05-04-16-45-08"), ("replication_num", "1")]),
        }
    );
    let r = restore(
        "RESTORE SNAPSHOT example_db.snapshot_label2\nFROM example_repo\nON(\n    backup_tbl PARTITION (p1, p2),\n    \
         backup_tbl2 AS new_tbl\n)\nPROPERTIES\n(\n    \"backup_timestamp\"=\"2018-05-04-17-11-01\"\n);",
    );
    assert_eq!(r.objects, vec![table("backup_tbl", &["p1", "p2"], None), table("backup_tbl2", &[], Some("new_tbl"))]);
    assert_eq!(r.properties, props(&[("backup_timestamp", "2018-05-04-17-11-01")]));

    // PROPERTIES is optional (the engine may find the timestamp itself), and so is the `db.` prefix.
    let r = restore("restore snapshot label from repo");
    assert_eq!((r.label_database, r.label.as_str(), r.repository.as_str()), (None, "label", "repo"));
    assert_eq!((r.source_database, r.target_database, r.objects, r.properties), (None, None, vec![], vec![]));
    let r = restore("RESTORE SNAPSHOT s FROM r ON (t PARTITIONS (p)) PROPERTIES ()");
    assert_eq!(r.objects, vec![table("t", &["p"], None)]);
    assert_eq!(r.properties, vec![]);
}

#[test]
fn restore_normalizes_names_but_not_strings() {
    let r = restore(
        "Restore Snapshot Db.Label FROM Repo ON (Tbl PARTITION (P1, `P2`) AS New_Tbl, `Tbl2` AS `New_Tbl2`) \
         properties ('Backup_Timestamp' = '2018-05-04-17-11-01', \"Timeout\" = \"3600 S\")",
    );
    assert_eq!((r.label_database.as_deref(), r.label.as_str(), r.repository.as_str()), (Some("db"), "label", "repo"));
    assert_eq!(r.objects, vec![table("tbl", &["p1", "P2"], Some("new_tbl")), table("Tbl2", &[], Some("New_Tbl2"))]);
    assert_eq!(r.properties, props(&[("Backup_Timestamp", "2018-05-04-17-11-01"), ("Timeout", "3600 S")]));
    let r = restore("RESTORE SNAPSHOT `Db`.`Label` FROM `Repo` DATABASE `Src` AS `Dst`");
    assert_eq!((r.label_database.as_deref(), r.label.as_str(), r.repository.as_str()), (Some("Db"), "Label", "Repo"));
    assert_eq!((r.source_database.as_deref(), r.target_database.as_deref()), (Some("Src"), Some("Dst")));
    let r = restore("RESTORE SNAPSHOT s FROM r DATABASE Src AS Dst ON (VIEW V1 AS V2, FUNCTION Db.F AS G)");
    assert_eq!((r.source_database.as_deref(), r.target_database.as_deref()), (Some("src"), Some("dst")));
    assert_eq!(r.objects, vec![other("VIEW", Some("v1"), Some("v2")), other("FUNCTION", Some("db.f"), Some("g"))]);
}

// ----- RESTORE, v3.4 syntax -----

#[test]
fn restore_new_syntax_database() {
    let r = restore(
        "RESTORE SNAPSHOT sr_hub_backup\nFROM test_repo\nDATABASE sr_hub\n\
         PROPERTIES(\"backup_timestamp\" = \"2024-12-09-10-25-58-842\");",
    );
    assert_eq!(
        r,
        Restore {
            label_database: None,
            label: "sr_hub_backup".into(),
            repository: "test_repo".into(),
            source_database: Some("sr_hub".into()),
            target_database: None,
            objects: vec![],
            properties: props(&[("backup_timestamp", "2024-12-09-10-25-58-842")]),
        }
    );
    let r = restore(
        "RESTORE SNAPSHOT sr_hub_backup FROM test_repo DATABASE sr_hub AS sr_hub_new \
         PROPERTIES(\"backup_timestamp\" = \"2024-12-09-10-25-58-842\")",
    );
    assert_eq!((r.source_database.as_deref(), r.target_database.as_deref()), (Some("sr_hub"), Some("sr_hub_new")));
    assert_eq!(r.label_database, None);
    let r = restore("RESTORE SNAPSHOT s FROM r DATABASE d");
    assert_eq!((r.source_database.as_deref(), r.target_database, r.properties), (Some("d"), None, vec![]));
}

#[test]
fn restore_new_syntax_objects() {
    // The examples of StarRocks' reference page.
    let r = restore(
        "RESTORE SNAPSHOT sr_member_backup FROM test_repo DATABASE sr_hub AS sr_hub_new \
         ON (TABLE sr_member AS sr_member_new) PROPERTIES (\"backup_timestamp\" = \"2024-12-09-10-52-10-940\")",
    );
    assert_eq!(r.objects, vec![table("sr_member", &[], Some("sr_member_new"))]);
    let r =
        restore("RESTORE SNAPSHOT sr_core_backup FROM test_repo DATABASE sr_hub ON (TABLE sr_member, TABLE sr_pmc)");
    assert_eq!(r.objects, vec![table("sr_member", &[], None), table("sr_pmc", &[], None)]);
    let r = restore("RESTORE SNAPSHOT sr_all_backup\nFROM test_repo\nDATABASE sr_hub\nON (ALL TABLES);");
    assert_eq!((r.objects, r.properties), (vec![RestoreObject::AllTables], vec![]));
    let r =
        restore("RESTORE SNAPSHOT sr_par_backup FROM test_repo DATABASE sr_hub ON (TABLE sr_member PARTITION (p1,p2))");
    assert_eq!(r.objects, vec![table("sr_member", &["p1", "p2"], None)]);
    let r = restore(
        "RESTORE SNAPSHOT b FROM test_repo DATABASE sr_hub ON (MATERIALIZED VIEW sr_mv1, MATERIALIZED VIEW sr_mv2)",
    );
    assert_eq!(
        r.objects,
        vec![other("MATERIALIZED VIEW", Some("sr_mv1"), None), other("MATERIALIZED VIEW", Some("sr_mv2"), None)]
    );
    let r = restore("RESTORE SNAPSHOT b FROM test_repo DATABASE sr_hub ON (VIEW sr_view1, VIEW sr_view2)");
    assert_eq!(r.objects, vec![other("VIEW", Some("sr_view1"), None), other("VIEW", Some("sr_view2"), None)]);
    let r = restore("RESTORE SNAPSHOT b FROM test_repo DATABASE sr_hub ON (FUNCTION sr_udf1, FUNCTION sr_udf2)");
    assert_eq!(r.objects, vec![other("FUNCTION", Some("sr_udf1"), None), other("FUNCTION", Some("sr_udf2"), None)]);

    // Every kind, singular and plural, with and without alias.
    let r = restore(
        "RESTORE SNAPSHOT db.s FROM r ON (TABLE t1, TABLES t2 PARTITION (p1, p2) AS a2, t3 PARTITIONS (p) AS a3, \
         t4 AS a4, ALL TABLES, ALL TABLE, MATERIALIZED VIEW mv1 AS m1, MATERIALIZED VIEWS `Mv2`, \
         ALL MATERIALIZED VIEWS, ALL MATERIALIZED VIEW, VIEW v1, VIEWS V2 AS W2, ALL VIEWS, ALL VIEW, \
         FUNCTION f1 AS g1, FUNCTIONS Fn_Db2.F2, ALL FUNCTIONS, ALL FUNCTION)",
    );
    assert_eq!(
        r.objects,
        vec![
            table("t1", &[], None),
            table("t2", &["p1", "p2"], Some("a2")),
            table("t3", &["p"], Some("a3")),
            table("t4", &[], Some("a4")),
            RestoreObject::AllTables,
            RestoreObject::AllTables,
            other("MATERIALIZED VIEW", Some("mv1"), Some("m1")),
            other("MATERIALIZED VIEW", Some("Mv2"), None),
            other("ALL MATERIALIZED VIEWS", None, None),
            other("ALL MATERIALIZED VIEWS", None, None),
            other("VIEW", Some("v1"), None),
            other("VIEW", Some("v2"), Some("w2")),
            other("ALL VIEWS", None, None),
            other("ALL VIEWS", None, None),
            other("FUNCTION", Some("f1"), Some("g1")),
            other("FUNCTION", Some("fn_db2.f2"), None),
            other("ALL FUNCTIONS", None, None),
            other("ALL FUNCTIONS", None, None),
        ]
    );
    assert_eq!(r.label_database.as_deref(), Some("db"));
}

#[test]
fn restore_keeps_every_database_as_written() {
    // Which combinations are allowed is the engine's business (StarRocks: not both `db.` and `AS target`).
    let r = restore("RESTORE SNAPSHOT Prefix.s FROM r DATABASE Src AS Target ON (t)");
    assert_eq!(r.label_database.as_deref(), Some("prefix"));
    assert_eq!(r.source_database.as_deref(), Some("src"));
    assert_eq!(r.target_database.as_deref(), Some("target"));
    let r = restore("RESTORE SNAPSHOT d.s FROM r DATABASE d");
    assert_eq!((r.label_database.as_deref(), r.source_database.as_deref()), (Some("d"), Some("d")));
}

#[test]
fn restore_kind_words_can_be_names() {
    // A kind word not followed by a name is a table of that name, as in BACKUP; it may take an alias.
    let r = restore(
        "RESTORE SNAPSHOT s FROM r ON (views AS v, tables PARTITION (p), functions, `table` AS t, materialized, \
         TABLE `all`, TABLE partitions AS q, VIEW `view` AS `View2`, TABLE snapshot)",
    );
    assert_eq!(
        r.objects,
        vec![
            table("views", &[], Some("v")),
            table("tables", &["p"], None),
            table("functions", &[], None),
            table("table", &[], Some("t")),
            table("materialized", &[], None),
            table("all", &[], None),
            table("partitions", &[], Some("q")),
            other("VIEW", Some("view"), Some("View2")),
            table("snapshot", &[], None),
        ]
    );
    // The statement's own words work as labels, databases, repositories, tables and aliases.
    let r = restore(
        "RESTORE SNAPSHOT restore.snapshot FROM repository DATABASE snapshot AS restore ON (restore AS snapshot) \
         PROPERTIES ('backup_timestamp' = 't')",
    );
    assert_eq!((r.label_database.as_deref(), r.label.as_str()), (Some("restore"), "snapshot"));
    assert_eq!(r.repository, "repository");
    assert_eq!((r.source_database.as_deref(), r.target_database.as_deref()), (Some("snapshot"), Some("restore")));
    assert_eq!(r.objects, vec![table("restore", &[], Some("snapshot"))]);
    let r = restore("RESTORE SNAPSHOT `from` FROM `on` DATABASE properties");
    assert_eq!((r.label.as_str(), r.repository.as_str()), ("from", "on"));
    assert_eq!(r.source_database.as_deref(), Some("properties"));
    let r = restore("RESTORE SNAPSHOT s FROM r DATABASE `database` AS `as`");
    assert_eq!((r.source_database.as_deref(), r.target_database.as_deref()), (Some("database"), Some("as")));
}

// ----- RESTORE errors -----

#[test]
fn restore_statement_errors() {
    assert_err_contains("RESTORE", "expected SNAPSHOT after RESTORE, found end of input");
    assert_err_contains("RESTORE TABLE t FROM r", "expected SNAPSHOT after RESTORE, found TABLE");
    assert_err_contains("RESTORE DATABASE d SNAPSHOT s FROM r", "expected SNAPSHOT after RESTORE, found DATABASE");
    assert_err_contains("RESTORE SNAPSHOT", "expected snapshot name, found end of input");
    assert_err_contains("RESTORE SNAPSHOT FROM r", "expected snapshot name, found FROM");
    assert_err_contains("RESTORE SNAPSHOT db. FROM r", "expected snapshot name, found FROM");
    assert_err_contains("RESTORE SNAPSHOT a.b.c FROM r", "snapshot name has too many parts");
    assert_err_contains("RESTORE SNAPSHOT s", "expected FROM, found end of input");
    assert_err_contains("RESTORE SNAPSHOT s TO r", "expected FROM, found TO");
    assert_err_contains("RESTORE SNAPSHOT s FROM", "expected repository name, found end of input");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r.x",
        "expected DATABASE, ON (...), PROPERTIES (...) or end of statement, found .",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r x",
        "expected DATABASE, ON (...), PROPERTIES (...) or end of statement, found x",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r DATABASE", "expected database name, found end of input");
    assert_err_contains("RESTORE SNAPSHOT s FROM r DATABASE ON (t)", "expected database name, found reserved word ON");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE PROPERTIES ('backup_timestamp' = 't')",
        "expected database name, found PROPERTIES",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r DATABASE d AS", "expected target database name, found end of input");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE d x",
        "expected AS, ON (...), PROPERTIES (...) or end of statement, found x",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE d.e",
        "expected AS, ON (...), PROPERTIES (...) or end of statement, found .",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE d AS e x",
        "expected ON (...), PROPERTIES (...) or end of statement, found x",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE d AS e AS f",
        "expected ON (...), PROPERTIES (...) or end of statement, found AS",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (t) DATABASE d",
        "expected PROPERTIES (...) or end of statement, found DATABASE",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (t) ON (u)",
        "expected PROPERTIES (...) or end of statement, found ON",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r PROPERTIES ('a' = 'b') ON (t)",
        "expected end of statement, found ON",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r PROPERTIES () x", "expected end of statement, found x");
    assert_err_contains("RESTORE SNAPSHOT s FROM r PROPERTIES", "expected '(', found end of input");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r PROPERTIES (backup_timestamp = 't')",
        "expected a quoted property key",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r PROPERTIES ('backup_timestamp' = t)",
        "expected a quoted value for property \"backup_timestamp\", found t",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r PROPERTIES ('a' = 'b'", "expected ')', found end of input");
}

#[test]
fn restore_label_must_not_be_empty() {
    assert_err_contains("RESTORE SNAPSHOT `` FROM r", "snapshot name must not be empty");
    assert_err_contains("RESTORE SNAPSHOT ` ` FROM r", "snapshot name must not be empty");
    assert_err_contains("RESTORE SNAPSHOT '' FROM r", "snapshot name must not be empty");
    assert_err_contains("RESTORE SNAPSHOT db.`` FROM r", "snapshot name must not be empty");
    assert_err_contains("RESTORE SNAPSHOT \"\" FROM r", "snapshot name must not be empty");
    assert_err_contains("RESTORE SNAPSHOT 's' FROM r", "a snapshot name is an identifier, write `s`");
    assert_err_contains("RESTORE SNAPSHOT s FROM ``", "empty identifier is not allowed as repository name");
    assert_err_contains("RESTORE SNAPSHOT s FROM r DATABASE ``", "empty identifier is not allowed as database name");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r DATABASE d AS ``",
        "empty identifier is not allowed as target database name",
    );
}

#[test]
fn restore_on_list_errors() {
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON", "expected '(', found end of input");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON t", "expected '(', found t");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON ()", "expected at least one object to restore in ON (...)");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (", "expected table name, found end of input");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t", "expected ',' or ')', found end of input");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t,)", "expected table name, found )");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t u)", "expected ',' or ')', found u");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t AS)", "expected alias, found )");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t AS ``)", "empty identifier is not allowed as alias");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t AS a.b)", "expected ',' or ')', found .");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t AS a AS b)", "expected ',' or ')', found AS");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t AS a PARTITION (p))", "expected ',' or ')', found PARTITION");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t PARTITION ())", "expected at least one partition name");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t PARTITION p)", "expected '(', found p");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (ALL)",
        "expected TABLES, MATERIALIZED VIEWS, VIEWS or FUNCTIONS after ALL",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (ALL t)",
        "expected TABLES, MATERIALIZED VIEWS, VIEWS or FUNCTIONS after ALL, found t",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (ALL MATERIALIZED)", "after ALL, found MATERIALIZED");
    // `ALL ...` takes no alias.
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (ALL TABLES AS x)", "expected ',' or ')', found AS");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (ALL VIEWS AS x)", "expected ',' or ')', found AS");
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (ALL TABLES PARTITION (p))",
        "expected ',' or ')', found PARTITION",
    );
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (MATERIALIZED VIEW)", "expected materialized view name, found )");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (MATERIALIZED VIEW mv AS)", "expected alias, found )");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (VIEW v PARTITION (p))", "expected ',' or ')', found PARTITION");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (FUNCTION a.b.c)", "function name has too many parts");
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (t1.t2.t3)", "table name has too many parts");
}

#[test]
fn restore_on_names_must_be_unqualified() {
    let e = assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (t0, test.t0)",
        "table names in ON must not be qualified with a database: test.t0",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(35)));
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (TABLE Test.T0 AS x)",
        "table names in ON must not be qualified with a database: test.t0",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (VIEW d.v)",
        "view names in ON must not be qualified with a database: d.v",
    );
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (MATERIALIZED VIEW `D`.mv)",
        "materialized view names in ON must not be qualified with a database: D.mv",
    );
}

#[test]
fn restore_temporary_partitions_are_refused() {
    let e = assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (t TEMPORARY PARTITION (tp1))",
        "Do not support restoring temporary partitions",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(33)));
    assert_err_contains(
        "RESTORE SNAPSHOT s FROM r ON (TABLE t TEMPORARY PARTITIONS (tp1) AS u)",
        "Do not support restoring temporary partitions",
    );
    // `temporary` alone is a table name.
    let r = restore("RESTORE SNAPSHOT s FROM r ON (temporary, TABLE temporary AS t)");
    assert_eq!(r.objects, vec![table("temporary", &[], None), table("temporary", &[], Some("t"))]);
}

#[test]
fn restore_external_catalogs_are_not_supported() {
    for sql in [
        "RESTORE SNAPSHOT s FROM r ALL EXTERNAL CATALOGS",
        "RESTORE SNAPSHOT s FROM r ALL EXTERNAL CATALOGS PROPERTIES ('backup_timestamp' = 't')",
        "RESTORE SNAPSHOT s FROM r EXTERNAL CATALOG (c AS d)",
        "RESTORE SNAPSHOT s FROM r EXTERNAL CATALOGS (c1, c2 AS d)",
        "restore snapshot s from r external catalog c",
        "RESTORE ALL EXTERNAL CATALOGS SNAPSHOT s FROM r",
        "RESTORE EXTERNAL CATALOG (c) SNAPSHOT s FROM r",
    ] {
        assert_err_contains(sql, "restoring external catalogs is not supported");
    }
    let e = parse_error_at("RESTORE SNAPSHOT s FROM r\nALL EXTERNAL CATALOGS");
    assert_eq!(e, (Some(2), Some(1)));
    // Elsewhere `external` is just a name.
    let r = restore("RESTORE SNAPSHOT s FROM external DATABASE external ON (external)");
    assert_eq!((r.repository.as_str(), r.source_database.as_deref()), ("external", Some("external")));
    assert_eq!(r.objects, vec![table("external", &[], None)]);
    assert_err_contains("RESTORE SNAPSHOT s FROM r ON (ALL EXTERNAL CATALOGS)", "after ALL, found EXTERNAL");
}

fn parse_error_at(sql: &str) -> (Option<u64>, Option<u64>) {
    let e = parse_err(sql);
    (e.line, e.column)
}

#[test]
fn restore_error_locations() {
    assert_eq!(parse_error_at("RESTORE SNAPSHOT s FROM r ON ()"), (Some(1), Some(31)));
    assert_eq!(parse_error_at("RESTORE SNAPSHOT s\nFROM r\nDATABASE d AS e x"), (Some(3), Some(17)));
    assert_eq!(parse_error_at("RESTORE SNAPSHOT `` FROM r"), (Some(1), Some(18)));
    assert_eq!(parse_error_at("RESTORE SNAPSHOT s FROM r ON (t AS)"), (Some(1), Some(35)));
    assert_eq!(parse_error_at("RESTORE SNAPSHOT s FROM r DATABASE"), (Some(1), Some(35)));
}

// ----- SHOW RESTORE -----

#[test]
fn show_restore() {
    assert_eq!(backup_statement("SHOW RESTORE"), BackupStatement::ShowRestore { database: None });
    assert_eq!(backup_statement("show restore;"), BackupStatement::ShowRestore { database: None });
    assert_eq!(
        backup_statement("show restore from Db1"),
        BackupStatement::ShowRestore { database: Some("db1".into()) }
    );
    assert_eq!(
        backup_statement("SHOW RESTORE IN `Db1`;"),
        BackupStatement::ShowRestore { database: Some("Db1".into()) }
    );
    for sql in [
        "SHOW RESTORE FROM db WHERE Label = 'x' AND State <> 'FINISHED'",
        "SHOW RESTORE FROM db WHERE a = 1 ORDER BY CreateTime DESC, JobId LIMIT 10",
        "SHOW RESTORE FROM db ORDER BY 1 LIMIT 2, 3",
        "SHOW RESTORE FROM db LIMIT 3 OFFSET 2",
    ] {
        assert_eq!(backup_statement(sql), BackupStatement::ShowRestore { database: Some("db".into()) }, "{sql}");
    }
    assert_eq!(backup_statement("SHOW RESTORE WHERE a=1"), BackupStatement::ShowRestore { database: None });
}

#[test]
fn show_restore_errors() {
    assert_err_contains("SHOW RESTORE FROM", "expected database name, found end of input");
    assert_err_contains("SHOW RESTORE IN ``", "empty identifier is not allowed as database name");
    assert_err_contains("SHOW RESTORE WHERE", "expected an expression");
    assert_err_contains("SHOW RESTORE ORDER BY", "expected an expression");
    assert_err_contains("SHOW RESTORE LIMIT", "expected a non-negative integer in LIMIT, found end of input");
    assert_err_contains("SHOW RESTORE LIMIT 1.5", "LIMIT takes a non-negative integer, found 1.5");
    assert_err_contains("SHOW RESTORE db", "expected FROM, WHERE, ORDER BY, LIMIT or end of statement, found db");
    assert_err_contains("SHOW RESTORE FROM db.t", "expected FROM, WHERE, ORDER BY, LIMIT or end of statement, found .");
    assert_err_contains("SHOW RESTORES", "unsupported statement: SHOW RESTORES");
}

// ----- CANCEL RESTORE -----

#[test]
fn cancel_restore() {
    assert_eq!(backup_statement("CANCEL RESTORE"), BackupStatement::CancelRestore { database: None });
    assert_eq!(
        backup_statement("cancel restore from Db1;"),
        BackupStatement::CancelRestore { database: Some("db1".into()) }
    );
    assert_eq!(
        backup_statement("CANCEL RESTORE IN `Db1`"),
        BackupStatement::CancelRestore { database: Some("Db1".into()) }
    );
}

#[test]
fn cancel_restore_errors() {
    assert_err_contains("CANCEL RESTORE FROM", "expected database name, found end of input");
    assert_err_contains("CANCEL RESTORE db", "expected FROM, IN or end of statement, found db");
    assert_err_contains("CANCEL RESTORE FROM db WHERE a = 1", "expected FROM, IN or end of statement, found WHERE");
    let e = assert_err_contains(
        "CANCEL RESTORE FOR EXTERNAL CATALOG",
        "CANCEL RESTORE FOR EXTERNAL CATALOG is not supported",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(16)));
    assert_err_contains("cancel restore for external catalog;", "CANCEL RESTORE FOR EXTERNAL CATALOG is not supported");
    assert_err_contains("CANCEL RESTORES", "unsupported statement: CANCEL RESTORES");
}

// ----- formerly unsupported; the word breaks nothing -----

#[test]
fn restore_statements_are_no_longer_unsupported() {
    // These were "unsupported statement" errors before RESTORE was implemented.
    let r = restore("RESTORE SNAPSHOT db.s FROM r PROPERTIES ('backup_timestamp' = 't')");
    assert_eq!((r.label_database.as_deref(), r.label.as_str(), r.repository.as_str()), (Some("db"), "s", "r"));
    assert_eq!(r.properties, props(&[("backup_timestamp", "t")]));
    assert_eq!(backup_statement("SHOW RESTORE FROM db"), BackupStatement::ShowRestore { database: Some("db".into()) });
    assert_eq!(backup_statement("show restore"), BackupStatement::ShowRestore { database: None });
    assert_eq!(
        backup_statement("CANCEL RESTORE FROM db"),
        BackupStatement::CancelRestore { database: Some("db".into()) }
    );
    assert_eq!(backup_statement("CANCEL RESTORE"), BackupStatement::CancelRestore { database: None });
}

#[test]
fn restore_word_remains_usable_as_a_name() {
    let table = create_table("CREATE TABLE restore (restore INT)");
    assert_eq!(table.name, name("restore"));
    assert_eq!(table.columns[0].name, "restore");
    assert_eq!(
        parse("DROP TABLE restore"),
        Statement::DropTable { name: name("restore"), if_exists: false, force: false }
    );
    assert_eq!(
        parse("CREATE DATABASE restore"),
        Statement::CreateDatabase { name: "restore".into(), if_not_exists: false }
    );
    assert_eq!(parse("USE restore"), Statement::Use { database: "restore".into() });
    assert_eq!(
        parse("SHOW TABLES FROM restore"),
        Statement::ShowTables { database: Some("restore".into()), full: false }
    );
    assert_eq!(parse("DESC restore"), Statement::Describe { name: name("restore") });
    assert!(matches!(parse("SELECT restore FROM restore"), Statement::Query(_)));
    assert!(matches!(parse("INSERT INTO restore VALUES (1)"), Statement::Insert(_)));
    assert_eq!(
        backup_statement("SHOW BACKUP FROM restore"),
        BackupStatement::ShowBackup { database: Some("restore".into()) }
    );
    assert_err_contains("CREATE RESTORE s", "unsupported statement: CREATE RESTORE s");
    assert_err_contains("DROP RESTORE s", "unsupported statement: DROP RESTORE s");
}

#[test]
fn restore_statements_in_a_script() {
    let statements = tessera_sql::parse_statements(
        "CREATE REPOSITORY r ON LOCATION '/b';\nRESTORE SNAPSHOT db.s FROM r ON (t AS u);\nSHOW RESTORE FROM db;\n\
         CANCEL RESTORE IN db;\nRESTORE SNAPSHOT s FROM r DATABASE db AS db2",
    )
    .expect("parses");
    assert_eq!(statements.len(), 5);
    assert!(statements.iter().all(|s| matches!(s, Statement::Backup(_))));
    let e = tessera_sql::parse_statements("SHOW RESTORE;\nRESTORE SNAPSHOT s FROM r ON (db.t)").expect_err("qualified");
    assert_eq!((e.line, e.column), (Some(2), Some(31)));
}
