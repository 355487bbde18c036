//! CREATE / DROP / REFRESH / ALTER MATERIALIZED VIEW, SHOW MATERIALIZED VIEWS and SHOW CREATE
//! MATERIALIZED VIEW.

use tessera_sql::{
    AlterMaterializedViewOp, CreateMaterializedView, DistributionSpec, RefreshKind, RefreshSpec, Statement,
};

use crate::common::{assert_err_contains, name, parse, qualified, sqlparser_query};

fn create(sql: &str) -> CreateMaterializedView {
    match parse(sql) {
        Statement::CreateMaterializedView(v) => *v,
        other => panic!("expected CREATE MATERIALIZED VIEW, got {other:?}"),
    }
}

#[test]
fn synchronous_form() {
    let mv = create("CREATE MATERIALIZED VIEW IF NOT EXISTS d.mv COMMENT 'c' AS SELECT k, sum(v) FROM t GROUP BY k");
    assert!(mv.is_sync());
    assert!(mv.if_not_exists);
    assert_eq!(mv.name, qualified("d", "mv"));
    assert_eq!(mv.comment.as_deref(), Some("c"));
    assert_eq!(mv.query, sqlparser_query("SELECT k, sum(v) FROM t GROUP BY k"));
    assert!(create("CREATE MATERIALIZED VIEW mv PROPERTIES (\"a\" = \"b\") AS SELECT 1").is_sync());
}

#[test]
fn asynchronous_form() {
    let mv = create(
        "CREATE MATERIALIZED VIEW mv PARTITION BY date_trunc('day', d) DISTRIBUTED BY HASH(k) BUCKETS 2 \
         REFRESH DEFERRED ASYNC START ('2025-01-01 00:00:00') EVERY (INTERVAL 10 MINUTE) \
         PROPERTIES (\"replication_num\" = \"1\") AS SELECT k, d FROM t",
    );
    assert!(!mv.is_sync());
    assert!(mv.partition_by.is_some());
    assert_eq!(mv.distribution, Some(DistributionSpec::Hash { columns: vec!["k".into()], buckets: Some(2) }));
    assert_eq!(
        mv.refresh,
        Some(RefreshSpec {
            deferred: true,
            kind: RefreshKind::Async { start: Some("2025-01-01 00:00:00".into()), every: Some((10, "MINUTE".into())) }
        })
    );
    assert_eq!(mv.properties, vec![("replication_num".to_string(), "1".to_string())]);
    let manual = create("CREATE MATERIALIZED VIEW mv REFRESH MANUAL AS SELECT 1");
    assert_eq!(manual.refresh, Some(RefreshSpec { deferred: false, kind: RefreshKind::Manual }));
    let plain = create("CREATE MATERIALIZED VIEW mv REFRESH IMMEDIATE ASYNC AS SELECT 1");
    assert_eq!(plain.refresh.unwrap().kind, RefreshKind::Async { start: None, every: None });
}

#[test]
fn other_statements() {
    assert_eq!(
        parse("DROP MATERIALIZED VIEW IF EXISTS d.mv"),
        Statement::DropMaterializedView { name: qualified("d", "mv"), if_exists: true }
    );
    assert_eq!(
        parse("REFRESH MATERIALIZED VIEW mv FORCE WITH SYNC MODE"),
        Statement::RefreshMaterializedView { name: name("mv"), force: true }
    );
    assert_eq!(
        parse("REFRESH MATERIALIZED VIEW mv"),
        Statement::RefreshMaterializedView { name: name("mv"), force: false }
    );
    for (sql, op) in [
        ("ALTER MATERIALIZED VIEW mv ACTIVE", AlterMaterializedViewOp::Active),
        ("ALTER MATERIALIZED VIEW mv INACTIVE", AlterMaterializedViewOp::Inactive),
        ("ALTER MATERIALIZED VIEW mv RENAME mv2", AlterMaterializedViewOp::Rename("mv2".into())),
        (
            "ALTER MATERIALIZED VIEW mv REFRESH MANUAL",
            AlterMaterializedViewOp::Refresh(RefreshSpec { deferred: false, kind: RefreshKind::Manual }),
        ),
    ] {
        assert_eq!(parse(sql), Statement::AlterMaterializedView { name: name("mv"), op }, "{sql}");
    }
    assert_eq!(parse("SHOW MATERIALIZED VIEWS"), Statement::ShowMaterializedViews { database: None, like: None });
    assert_eq!(
        parse("SHOW MATERIALIZED VIEWS FROM d LIKE 'm%'"),
        Statement::ShowMaterializedViews { database: Some("d".into()), like: Some("m%".into()) }
    );
    assert_eq!(
        parse("SHOW CREATE MATERIALIZED VIEW d.mv"),
        Statement::ShowCreateMaterializedView { name: qualified("d", "mv") }
    );
}

#[test]
fn errors() {
    assert_err_contains("CREATE MATERIALIZED VIEW mv (a, b) AS SELECT 1, 2", "column list is not supported");
    assert_err_contains("CREATE MATERIALIZED VIEW mv REFRESH SOMETIMES AS SELECT 1", "ASYNC or MANUAL");
    assert_err_contains("CREATE MATERIALIZED VIEW mv REFRESH ASYNC EVERY (INTERVAL 0 HOUR) AS SELECT 1", "positive");
    assert_err_contains("CREATE MATERIALIZED VIEW mv AS 1", "a query after AS");
    assert_err_contains("CREATE MATERIALIZED VIEW mv SELECT 1", "AS <query>");
    assert_err_contains("ALTER MATERIALIZED VIEW mv SWIM", "ACTIVE, INACTIVE, REFRESH or RENAME");
    assert_err_contains("REFRESH MATERIALIZED VIEW mv PARTITION START ('a') END ('b')", "partition range");
    assert_err_contains("REFRESH TABLE t", "MATERIALIZED VIEW");
    assert_err_contains("SHOW MATERIALIZED VIEWS WHERE name = 'x'", "LIKE");
}
