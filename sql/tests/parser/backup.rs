//! Backups: CREATE / DROP REPOSITORY, SHOW REPOSITORIES, BACKUP (old and v3.4 syntax), SHOW BACKUP,
//! CANCEL BACKUP, SHOW SNAPSHOT, DROP SNAPSHOT; the new words break nothing. (RESTORE is in `restore`.)

use crate::common::{assert_err_contains, create_table, name, parse, strings};
use tessera_sql::{Backup, BackupObject, BackupStatement, SnapshotFilter, Statement};

fn backup_statement(sql: &str) -> BackupStatement {
    match parse(sql) {
        Statement::Backup(statement) => statement,
        other => panic!("expected a backup statement for {sql:?}, got {other:?}"),
    }
}

fn backup(sql: &str) -> Backup {
    match backup_statement(sql) {
        BackupStatement::Backup(backup) => *backup,
        other => panic!("expected BACKUP for {sql:?}, got {other:?}"),
    }
}

fn table(name: &str, partitions: &[&str]) -> BackupObject {
    BackupObject::Table { name: name.to_string(), partitions: strings(partitions) }
}

fn other(kind: &str, name: Option<&str>) -> BackupObject {
    BackupObject::Other { kind: kind.to_string(), name: name.map(str::to_string) }
}

fn props(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn snapshot_filter(sql: &str) -> SnapshotFilter {
    match backup_statement(sql) {
        BackupStatement::ShowSnapshot { filter, .. } => filter,
        other => panic!("expected SHOW SNAPSHOT for {sql:?}, got {other:?}"),
    }
}

// ----- repositories -----

#[test]
fn create_repository() {
    assert_eq!(
        backup_statement(r#"CREATE REPOSITORY repo ON LOCATION "file:///tmp/Backups""#),
        BackupStatement::CreateRepository {
            name: "repo".into(),
            read_only: false,
            broker: None,
            location: "file:///tmp/Backups".into(),
            properties: vec![],
        }
    );
    assert_eq!(
        backup_statement(
            "create read only repository `Repo` with broker on location 's3a://Bucket/Path/' \
             properties (\"aws.s3.Access_Key\" = \"AK\", 'aws.s3.region' = 'Us-East-1');"
        ),
        BackupStatement::CreateRepository {
            name: "Repo".into(),
            read_only: true,
            broker: Some(String::new()),
            location: "s3a://Bucket/Path/".into(),
            properties: props(&[("aws.s3.Access_Key", "AK"), ("aws.s3.region", "Us-East-1")]),
        }
    );
    let BackupStatement::CreateRepository { name, broker, .. } =
        backup_statement("CREATE REPOSITORY Repo WITH BROKER My_Broker ON LOCATION '/data' PROPERTIES ()")
    else {
        panic!("CREATE REPOSITORY")
    };
    assert_eq!((name.as_str(), broker.as_deref()), ("repo", Some("my_broker")));
    let BackupStatement::CreateRepository { broker, .. } =
        backup_statement("CREATE REPOSITORY r WITH BROKER `Hdfs Broker` ON LOCATION '/data'")
    else {
        panic!("CREATE REPOSITORY")
    };
    assert_eq!(broker.as_deref(), Some("Hdfs Broker"));
    let BackupStatement::CreateRepository { broker, .. } =
        backup_statement("CREATE REPOSITORY r WITH BROKER \"Broker 1\" ON LOCATION '/data'")
    else {
        panic!("CREATE REPOSITORY")
    };
    assert_eq!(broker.as_deref(), Some("Broker 1"));
}

#[test]
fn create_repository_errors() {
    assert_err_contains("CREATE REPOSITORY", "expected repository name, found end of input");
    assert_err_contains("CREATE REPOSITORY r", "expected WITH BROKER or ON LOCATION, found end of input");
    assert_err_contains("CREATE REPOSITORY r WITH '/x'", "expected BROKER, found '/x'");
    assert_err_contains("CREATE REPOSITORY r WITH BROKER b", "expected ON LOCATION, found end of input");
    assert_err_contains("CREATE REPOSITORY r ON '/x'", "expected LOCATION, found '/x'");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION /x", "expected a quoted location after ON LOCATION");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION `x`", "expected a quoted location after ON LOCATION");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION '/x' FOO", "expected PROPERTIES (...) or end of statement");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION '/x' PROPERTIES (a = 'b')", "expected a quoted property key");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION '/x' PROPERTIES ('a' = 'b') x", "expected end of statement");
    assert_err_contains("CREATE REPOSITORY r ON LOCATION '/x' PROPERTIES () x", "expected end of statement, found x");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t) PROPERTIES () x", "expected end of statement, found x");
    assert_err_contains("CREATE READ REPOSITORY r ON LOCATION '/x'", "unsupported statement: CREATE READ REPOSITORY");
    assert_err_contains("CREATE READ ONLY r ON LOCATION '/x'", "expected REPOSITORY, found r");
    assert_err_contains("CREATE REPOSITORY `` ON LOCATION '/x'", "empty identifier is not allowed as repository name");
}

#[test]
fn drop_and_show_repositories() {
    assert_eq!(backup_statement("DROP REPOSITORY Repo"), BackupStatement::DropRepository { name: "repo".into() });
    assert_eq!(backup_statement("drop repository `Repo`;"), BackupStatement::DropRepository { name: "Repo".into() });
    assert_eq!(backup_statement("SHOW REPOSITORIES"), BackupStatement::ShowRepositories);
    assert_eq!(backup_statement("show repositories;"), BackupStatement::ShowRepositories);
    assert_err_contains("DROP REPOSITORY", "expected repository name, found end of input");
    assert_err_contains("DROP REPOSITORY a b", "expected end of statement, found b");
    assert_err_contains("SHOW REPOSITORIES LIKE 'x'", "expected end of statement, found LIKE");
    assert_err_contains("SHOW REPOSITORY", "unsupported statement: SHOW REPOSITORY");
}

// ----- BACKUP -----

#[test]
fn backup_old_syntax() {
    assert_eq!(
        backup("BACKUP SNAPSHOT example_db.snapshot_label1 TO example_repo PROPERTIES (\"type\" = \"full\")"),
        Backup {
            database: None,
            label_database: Some("example_db".into()),
            label: "snapshot_label1".into(),
            repository: "example_repo".into(),
            objects: vec![],
            properties: props(&[("type", "full")]),
            alias_given: None,
        }
    );
    let b = backup("BACKUP SNAPSHOT Db.Label3 TO Repo ON(\n  example_tbl PARTITION (P1, `P2`),\n  `Example_Tbl2`\n);");
    assert_eq!(b.label_database.as_deref(), Some("db"));
    assert_eq!(b.label, "label3");
    assert_eq!(b.repository, "repo");
    assert_eq!(b.objects, vec![table("example_tbl", &["p1", "P2"]), table("Example_Tbl2", &[])]);
    assert_eq!(b.properties, vec![]);
    let b = backup("backup snapshot label TO repo on (t) properties ('timeout' = '3600', 'Type' = 'FULL')");
    assert_eq!((b.database, b.label_database, b.label.as_str()), (None, None, "label"));
    assert_eq!(b.objects, vec![table("t", &[])]);
    assert_eq!(b.properties, props(&[("timeout", "3600"), ("Type", "FULL")]));
}

#[test]
fn backup_new_syntax() {
    let b = backup("BACKUP DATABASE Sr_Hub SNAPSHOT sr_hub_backup TO test_repo");
    assert_eq!(b.database.as_deref(), Some("sr_hub"));
    assert_eq!((b.label_database, b.label.as_str(), b.objects), (None, "sr_hub_backup", vec![]));

    let b = backup(
        "BACKUP DATABASE db SNAPSHOT s TO r ON (TABLE sr_member, TABLES sr_pmc PARTITION (p1,p2,p3), t3 PARTITIONS (p), \
         ALL TABLES, ALL TABLE, MATERIALIZED VIEW mv1, MATERIALIZED VIEWS `Mv2`, ALL MATERIALIZED VIEWS, \
         ALL MATERIALIZED VIEW, VIEW v1, VIEWS V2, ALL VIEWS, ALL VIEW, FUNCTION f1, FUNCTIONS Fn_Db2.F2, \
         ALL FUNCTIONS, ALL FUNCTION)",
    );
    assert_eq!(
        b.objects,
        vec![
            table("sr_member", &[]),
            table("sr_pmc", &["p1", "p2", "p3"]),
            table("t3", &["p"]),
            BackupObject::AllTables,
            BackupObject::AllTables,
            other("MATERIALIZED VIEW", Some("mv1")),
            other("MATERIALIZED VIEW", Some("Mv2")),
            other("ALL MATERIALIZED VIEWS", None),
            other("ALL MATERIALIZED VIEWS", None),
            other("VIEW", Some("v1")),
            other("VIEW", Some("v2")),
            other("ALL VIEWS", None),
            other("ALL VIEWS", None),
            other("FUNCTION", Some("f1")),
            other("FUNCTION", Some("fn_db2.f2")),
            other("ALL FUNCTIONS", None),
            other("ALL FUNCTIONS", None),
        ]
    );
    assert_eq!(b.alias_given, None);

    let b = backup("backup database d snapshot s to r on (all tables) properties ('ttl' = '7 DAY')");
    assert_eq!(b.objects, vec![BackupObject::AllTables]);
    assert_eq!(b.properties, props(&[("ttl", "7 DAY")]));
}

#[test]
fn backup_database_and_label_prefix_are_both_kept() {
    // The engine rejects having both; the parser records what was written.
    let b = backup("BACKUP DATABASE test SNAPSHOT Test.s TO r");
    assert_eq!((b.database.as_deref(), b.label_database.as_deref()), (Some("test"), Some("test")));
}

#[test]
fn backup_kind_words_can_be_table_names() {
    // A kind word not followed by a name is a table of that name, as in StarRocks' grammar.
    let b = backup("BACKUP SNAPSHOT s TO r ON (views, tables PARTITION (p), functions, `table`, materialized)");
    assert_eq!(
        b.objects,
        vec![
            table("views", &[]),
            table("tables", &["p"]),
            table("functions", &[]),
            table("table", &[]),
            table("materialized", &[]),
        ]
    );
    let b = backup("BACKUP SNAPSHOT s TO r ON (TABLE `all`, TABLE partitions, VIEW `view`, TABLE snapshot)");
    assert_eq!(
        b.objects,
        vec![table("all", &[]), table("partitions", &[]), other("VIEW", Some("view")), table("snapshot", &[])]
    );
    // Names of the statement's own words work as labels, databases and repositories.
    let b = backup("BACKUP DATABASE snapshot SNAPSHOT snapshot.snapshot TO repository ON (backup)");
    assert_eq!(b.database.as_deref(), Some("snapshot"));
    assert_eq!((b.label_database.as_deref(), b.label.as_str()), (Some("snapshot"), "snapshot"));
    assert_eq!(b.repository, "repository");
    assert_eq!(b.objects, vec![table("backup", &[])]);
    let b = backup("BACKUP SNAPSHOT `to` TO `on`");
    assert_eq!((b.label.as_str(), b.repository.as_str()), ("to", "on"));
}

#[test]
fn backup_alias_is_recorded_not_rejected() {
    let b = backup("BACKUP SNAPSHOT s TO r ON (t0, t1 AS x, TABLE t2 PARTITION (p1, p2) as `Y`)");
    assert_eq!(b.alias_given.as_deref(), Some("t1 AS x"));
    assert_eq!(b.objects, vec![table("t0", &[]), table("t1", &[]), table("t2", &["p1", "p2"])]);
    let b = backup("BACKUP SNAPSHOT s TO r ON (TABLE  `T2`\n PARTITION(p1 , p2) /* c */ as `Y`, VIEW v AS w)");
    assert_eq!(b.alias_given.as_deref(), Some("TABLE `T2` PARTITION(p1 , p2) as `Y`"));
    let b = backup("BACKUP SNAPSHOT s TO r ON (VIEW v AS w, t AS u)");
    assert_eq!(b.alias_given.as_deref(), Some("VIEW v AS w"));
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t AS)", "expected alias, found )");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (ALL TABLES AS x)", "expected ',' or ')', found AS");
}

#[test]
fn backup_errors() {
    assert_err_contains("BACKUP", "expected SNAPSHOT or DATABASE after BACKUP, found end of input");
    assert_err_contains("BACKUP TABLE t", "expected SNAPSHOT or DATABASE after BACKUP, found TABLE");
    assert_err_contains("BACKUP DATABASE", "expected database name, found end of input");
    assert_err_contains("BACKUP DATABASE SNAPSHOT s TO r", "expected database name, found SNAPSHOT");
    assert_err_contains("BACKUP DATABASE d s TO r", "expected SNAPSHOT, found s");
    assert_err_contains("BACKUP SNAPSHOT", "expected snapshot name, found end of input");
    assert_err_contains("BACKUP SNAPSHOT TO r", "expected snapshot name, found TO");
    assert_err_contains("BACKUP SNAPSHOT db. TO r", "expected snapshot name, found TO");
    assert_err_contains("BACKUP SNAPSHOT a.b.c TO r", "snapshot name has too many parts");
    assert_err_contains("BACKUP SNAPSHOT s", "expected TO, found end of input");
    assert_err_contains("BACKUP SNAPSHOT s TO", "expected repository name, found end of input");
    assert_err_contains("BACKUP SNAPSHOT s FROM r", "expected TO, found FROM");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON", "expected '(', found end of input");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON ()", "expected at least one object to back up in ON (...)");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t", "expected ',' or ')', found end of input");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t,)", "expected table name, found )");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t PARTITION ())", "expected at least one partition name");
    assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (ALL)",
        "expected TABLES, MATERIALIZED VIEWS, VIEWS or FUNCTIONS after ALL",
    );
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (ALL MATERIALIZED)", "after ALL, found MATERIALIZED");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (MATERIALIZED VIEW)", "expected materialized view name, found )");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (TABLE)", "expected table name, found reserved word TABLE");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (VIEW v PARTITION (p))", "expected ',' or ')', found PARTITION");
    assert_err_contains("BACKUP SNAPSHOT s TO r t", "expected ON (...), PROPERTIES (...) or end of statement, found t");
    assert_err_contains("BACKUP SNAPSHOT s TO r ON (t) x", "expected PROPERTIES (...) or end of statement, found x");
    assert_err_contains("BACKUP SNAPSHOT s TO r PROPERTIES ('a' = 'b') ON (t)", "expected end of statement, found ON");
    assert_err_contains("BACKUP SNAPSHOT s TO r PROPERTIES ('a')", "expected '=', found )");
    assert_err_contains(
        "BACKUP ALL EXTERNAL CATALOGS SNAPSHOT s TO r",
        "backing up external catalogs is not supported",
    );
    assert_err_contains("BACKUP EXTERNAL CATALOG (c) SNAPSHOT s TO r", "backing up external catalogs is not supported");
}

#[test]
fn backup_qualified_names_in_on_are_rejected() {
    let e = assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (t1, Db.T)",
        "table names in ON must not be qualified with a database: db.t",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(32)));
    assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (TABLE db.t PARTITION (p))",
        "table names in ON must not be qualified with a database: db.t",
    );
    assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (VIEW db.v)",
        "view names in ON must not be qualified with a database: db.v",
    );
    assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (MATERIALIZED VIEW db.mv)",
        "materialized view names in ON must not be qualified with a database: db.mv",
    );
}

#[test]
fn backup_temporary_partitions_are_rejected() {
    let e = assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (t TEMPORARY PARTITION (tp1))",
        "Do not support backing up temp partitions",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(30)));
    assert_err_contains(
        "BACKUP SNAPSHOT s TO r ON (TABLE t temporary partitions (tp1))",
        "Do not support backing up temp partitions",
    );
    // `TABLE temporary` is a table named `temporary`.
    assert_eq!(backup("BACKUP SNAPSHOT s TO r ON (TABLE temporary)").objects, vec![table("temporary", &[])]);
}

#[test]
fn backup_empty_or_string_labels_are_rejected() {
    assert_err_contains("BACKUP SNAPSHOT `` TO r", "snapshot name must not be empty");
    assert_err_contains("BACKUP SNAPSHOT ` ` TO r", "snapshot name must not be empty");
    assert_err_contains("BACKUP SNAPSHOT \"\" TO r", "snapshot name must not be empty");
    assert_err_contains("BACKUP SNAPSHOT db.`` TO r", "snapshot name must not be empty");
    assert_err_contains(
        "BACKUP SNAPSHOT \"label\" TO r",
        "expected snapshot name, found \"label\": a snapshot name is an identifier, write `label`",
    );
    assert_err_contains("BACKUP SNAPSHOT 'db'.s TO r", "expected snapshot name, found 'db'");
    assert_err_contains("BACKUP SNAPSHOT s TO ``", "empty identifier is not allowed as repository name");
    // A back-quoted label keeps its case.
    assert_eq!(backup("BACKUP SNAPSHOT `Db`.`My-Label` TO r").label, "My-Label");
}

// ----- SHOW BACKUP, CANCEL BACKUP -----

#[test]
fn show_backup() {
    assert_eq!(backup_statement("SHOW BACKUP"), BackupStatement::ShowBackup { database: None });
    assert_eq!(backup_statement("show backup from Db1"), BackupStatement::ShowBackup { database: Some("db1".into()) });
    assert_eq!(backup_statement("SHOW BACKUP IN `Db1`;"), BackupStatement::ShowBackup { database: Some("Db1".into()) });
    for sql in [
        "SHOW BACKUP FROM db WHERE SnapshotName = 'x' AND State <> 'FINISHED'",
        "SHOW BACKUP FROM db WHERE a = 1 ORDER BY CreateTime DESC, JobId LIMIT 10",
        "SHOW BACKUP FROM db ORDER BY 1 LIMIT 2, 3",
        "SHOW BACKUP FROM db LIMIT 3 OFFSET 2",
    ] {
        assert_eq!(backup_statement(sql), BackupStatement::ShowBackup { database: Some("db".into()) }, "{sql}");
    }
    assert_eq!(backup_statement("SHOW BACKUP WHERE 1 = 1"), BackupStatement::ShowBackup { database: None });
}

#[test]
fn show_backup_errors() {
    assert_err_contains("SHOW BACKUP FROM", "expected database name, found end of input");
    assert_err_contains("SHOW BACKUP WHERE", "expected an expression");
    assert_err_contains("SHOW BACKUP WHERE a = = 1", "expected an expression");
    assert_err_contains("SHOW BACKUP ORDER BY", "expected an expression");
    assert_err_contains("SHOW BACKUP LIMIT", "expected a non-negative integer in LIMIT, found end of input");
    assert_err_contains("SHOW BACKUP LIMIT -1", "expected a non-negative integer in LIMIT, found -");
    assert_err_contains("SHOW BACKUP LIMIT 1.5", "LIMIT takes a non-negative integer, found 1.5");
    assert_err_contains("SHOW BACKUP LIMIT 1, x", "expected a non-negative integer in LIMIT, found x");
    assert_err_contains("SHOW BACKUP db", "expected FROM, WHERE, ORDER BY, LIMIT or end of statement, found db");
    assert_err_contains("SHOW BACKUP LIMIT 1 WHERE a = 1", "expected FROM, WHERE, ORDER BY, LIMIT or end of statement");
    assert_err_contains("SHOW BACKUPS", "unsupported statement: SHOW BACKUPS");
}

#[test]
fn cancel_backup() {
    assert_eq!(backup_statement("CANCEL BACKUP"), BackupStatement::CancelBackup { database: None });
    assert_eq!(
        backup_statement("cancel backup from Db1;"),
        BackupStatement::CancelBackup { database: Some("db1".into()) }
    );
    assert_eq!(
        backup_statement("CANCEL BACKUP IN `Db1`"),
        BackupStatement::CancelBackup { database: Some("Db1".into()) }
    );
    assert_err_contains("CANCEL BACKUP FROM", "expected database name, found end of input");
    assert_err_contains("CANCEL BACKUP db", "expected FROM, IN or end of statement, found db");
    assert_err_contains("CANCEL BACKUP FOR EXTERNAL CATALOG", "CANCEL BACKUP FOR EXTERNAL CATALOG is not supported");
    assert_err_contains("CANCEL LOAD FROM db", "unsupported statement: CANCEL LOAD FROM ...");
    assert_err_contains("CANCEL", "unsupported statement: CANCEL");
}

// ----- SHOW SNAPSHOT -----

#[test]
fn show_snapshot() {
    assert_eq!(
        backup_statement("SHOW SNAPSHOT ON Repo"),
        BackupStatement::ShowSnapshot { repository: "repo".into(), filter: SnapshotFilter::None }
    );
    assert_eq!(snapshot_filter("show snapshot on `Repo`;"), SnapshotFilter::None);
    assert_eq!(
        snapshot_filter("SHOW SNAPSHOT ON r WHERE SNAPSHOT = \"Backup_1\""),
        SnapshotFilter::Snapshot("Backup_1".into())
    );
    assert_eq!(
        snapshot_filter("SHOW SNAPSHOT ON r WHERE snapshot = 'Backup_1' and Timestamp = '2018-05-05-15-34-26'"),
        SnapshotFilter::SnapshotAndTimestamp("Backup_1".into(), "2018-05-05-15-34-26".into())
    );
    assert_eq!(
        snapshot_filter("SHOW SNAPSHOT ON r WHERE TIMESTAMP = \"t\" AND SNAPSHOT = \"s\""),
        SnapshotFilter::SnapshotAndTimestamp("s".into(), "t".into())
    );
    assert_eq!(
        snapshot_filter("SHOW SNAPSHOT ON r WHERE `SNAPSHOT` IN (\"a\", 'B')"),
        SnapshotFilter::SnapshotIn(strings(&["a", "B"]))
    );
    assert_eq!(
        snapshot_filter("SHOW SNAPSHOT ON r WHERE snapshot in ('one')"),
        SnapshotFilter::SnapshotIn(strings(&["one"]))
    );
}

#[test]
fn show_snapshot_errors() {
    assert_err_contains("SHOW SNAPSHOT", "expected ON, found end of input");
    assert_err_contains("SHOW SNAPSHOT r", "expected ON, found r");
    assert_err_contains("SHOW SNAPSHOT ON", "expected repository name, found end of input");
    assert_err_contains("SHOW SNAPSHOT ON r x", "expected WHERE or end of statement, found x");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE", "can only filter on SNAPSHOT and TIMESTAMP, found end of input");
    let e = assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' OR SNAPSHOT = 'b'",
        "OR is not supported in SHOW SNAPSHOT: use WHERE SNAPSHOT = \"name\"",
    );
    assert_eq!((e.line, e.column), (Some(1), Some(41)));
    assert_err_contains("SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' AND TIMESTAMP = 't' OR 1 = 1", "OR is not supported");
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = \"\" AND TIMESTAMP = \"\"",
        "the snapshot name in WHERE must not be empty",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' AND TIMESTAMP = ''",
        "the timestamp in WHERE must not be empty",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT IN ('a', '')",
        "the snapshot name in WHERE must not be empty",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT IN ()",
        "SNAPSHOT IN (...) needs at least one snapshot name",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE 1 = 1",
        "SHOW SNAPSHOT can only filter on SNAPSHOT and TIMESTAMP, found 1",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE a = 1",
        "SHOW SNAPSHOT can only filter on SNAPSHOT and TIMESTAMP, found a",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' AND a = 1",
        "can only filter on SNAPSHOT and TIMESTAMP, found a",
    );
    assert_err_contains("SHOW SNAPSHOT ON r WHERE TIMESTAMP = 't'", "TIMESTAMP needs SNAPSHOT");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE TIMESTAMP IN ('t')", "expected '=' after TIMESTAMP, found IN");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE SNAPSHOT LIKE 'a%'", "expected '=' or IN after SNAPSHOT, found LIKE");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE SNAPSHOT = a", "expected a quoted snapshot name, found a");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE SNAPSHOT = 1", "expected a quoted snapshot name, found 1");
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' AND SNAPSHOT = 'b'",
        "SNAPSHOT is given twice in WHERE",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE TIMESTAMP = 'a' AND TIMESTAMP = 'b'",
        "TIMESTAMP is given twice in WHERE",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT IN ('a') AND TIMESTAMP = 't'",
        "SNAPSHOT IN (...) cannot be combined with another condition",
    );
    assert_err_contains(
        "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' AND TIMESTAMP = 't' AND SNAPSHOT = 'b'",
        "too many conditions in SHOW SNAPSHOT",
    );
    assert_err_contains("SHOW SNAPSHOT ON r WHERE (SNAPSHOT = 'a')", "found (");
    assert_err_contains("SHOW SNAPSHOT ON r WHERE SNAPSHOT IN ('a'", "expected ')', found end of input");
    assert_err_contains("SHOW SNAPSHOTS ON r", "unsupported statement: SHOW SNAPSHOTS ON ...");
}

// ----- DROP SNAPSHOT -----

#[test]
fn drop_snapshot() {
    assert_eq!(
        backup_statement("DROP SNAPSHOT Label1 ON Repo"),
        BackupStatement::DropSnapshot { label: "label1".into(), repository: "repo".into(), force: false }
    );
    assert_eq!(
        backup_statement("drop snapshot `Label1` on `Repo` force;"),
        BackupStatement::DropSnapshot { label: "Label1".into(), repository: "Repo".into(), force: true }
    );
    assert_eq!(
        backup_statement("DROP SNAPSHOT snapshot ON repository"),
        BackupStatement::DropSnapshot { label: "snapshot".into(), repository: "repository".into(), force: false }
    );
}

#[test]
fn drop_snapshot_errors() {
    assert_err_contains("DROP SNAPSHOT", "expected snapshot name, found end of input");
    assert_err_contains("DROP SNAPSHOT ON r", "expected snapshot name, found ON");
    assert_err_contains("DROP SNAPSHOT ON r WHERE SNAPSHOT = 's'", "expected snapshot name, found ON");
    assert_err_contains("DROP SNAPSHOT s", "expected ON, found end of input");
    assert_err_contains("DROP SNAPSHOT s r", "expected ON, found r");
    assert_err_contains("DROP SNAPSHOT s ON", "expected repository name, found end of input");
    assert_err_contains("DROP SNAPSHOT s ON r FORCE x", "expected end of statement, found x");
    assert_err_contains("DROP SNAPSHOT s ON r x", "expected FORCE or end of statement, found x");
    assert_err_contains("DROP SNAPSHOT db.s ON r", "expected ON, found .");
    assert_err_contains("DROP SNAPSHOT `` ON r", "snapshot name must not be empty");
    assert_err_contains("DROP SNAPSHOT '' ON r", "snapshot name must not be empty");
    assert_err_contains("DROP SNAPSHOT 's' ON r", "a snapshot name is an identifier, write `s`");
}

// ----- the new words break nothing -----

#[test]
fn backup_words_remain_usable_as_names() {
    for word in ["snapshot", "repository", "repositories", "backup", "cancel", "location", "broker", "timestamp"] {
        let table = create_table(&format!("CREATE TABLE `{word}` ({word} INT)"));
        assert_eq!(table.name, name(word));
        assert_eq!(table.columns[0].name, word);
        let table = create_table(&format!("CREATE TABLE {word} (`{word}` INT)"));
        assert_eq!(table.name, name(word));
        assert_eq!(
            parse(&format!("DROP TABLE {word}")),
            Statement::DropTable { name: name(word), if_exists: false, force: false }
        );
        assert_eq!(
            parse(&format!("CREATE DATABASE {word}")),
            Statement::CreateDatabase { name: word.into(), if_not_exists: false }
        );
        assert_eq!(parse(&format!("USE `{word}`")), Statement::Use { database: word.into() });
        assert_eq!(
            parse(&format!("SHOW TABLES FROM {word}")),
            Statement::ShowTables { database: Some(word.into()), full: false }
        );
        assert_eq!(parse(&format!("DESC {word}")), Statement::Describe { name: name(word) });
        assert!(matches!(parse(&format!("SELECT {word} FROM `{word}`")), Statement::Query(_)));
    }
    assert_eq!(parse("SHOW DATABASES"), Statement::ShowDatabases);
    assert_eq!(parse("SHOW TABLES"), Statement::ShowTables { database: None, full: false });
    assert_eq!(parse("SHOW PARTITIONS FROM snapshot"), Statement::ShowPartitions { name: name("snapshot") });
    assert_eq!(parse("SHOW CREATE TABLE repository"), Statement::ShowCreateTable { name: name("repository") });
    assert_eq!(
        parse("TRUNCATE TABLE `snapshot`"),
        Statement::TruncateTable { name: name("snapshot"), partitions: vec![] }
    );
    // CREATE / DROP / SHOW forms that are neither old nor new stay unsupported.
    assert_err_contains("CREATE SNAPSHOT s", "unsupported statement: CREATE SNAPSHOT s");
    assert_err_contains("DROP BACKUP s", "unsupported statement: DROP BACKUP s");
    assert_err_contains("SHOW LOCATION", "unsupported statement: SHOW LOCATION");
}

#[test]
fn backup_statements_in_a_script() {
    let statements = tessera_sql::parse_statements(
        "CREATE REPOSITORY r ON LOCATION '/b';\nBACKUP SNAPSHOT db.s TO r;\nSHOW BACKUP FROM db;\n\
         SHOW SNAPSHOT ON r WHERE SNAPSHOT = 's';\nDROP SNAPSHOT s ON r;\nDROP REPOSITORY r",
    )
    .expect("parses");
    assert_eq!(statements.len(), 6);
    assert!(statements.iter().all(|s| matches!(s, Statement::Backup(_))));
    let e = tessera_sql::parse_statements("SHOW BACKUP;\nBACKUP SNAPSHOT s TO r ON (db.t)").expect_err("qualified");
    assert_eq!((e.line, e.column), (Some(2), Some(28)));
}
