//! ALTER TABLE: ADD / DROP PARTITION, ADD / DROP COLUMN, SET properties, and unsupported operations.

use crate::common::{assert_err_contains, name, parse, qualified};
use tessera_sql::{AlterTableOp, ColumnSpec, Literal, PartitionSpec, PartitionValues, SqlType, Statement};

fn alter(sql: &str) -> (tessera_sql::ObjectName, AlterTableOp) {
    match parse(sql) {
        Statement::AlterTable { name, op } => (name, op),
        other => panic!("expected ALTER TABLE, got {other:?}"),
    }
}

#[test]
fn add_partition() {
    let (table, op) = alter(r#"ALTER TABLE db.T ADD PARTITION p2025 VALUES LESS THAN ("2026-01-01")"#);
    assert_eq!(table, qualified("db", "t"));
    assert_eq!(
        op,
        AlterTableOp::AddPartition(PartitionSpec {
            name: "p2025".into(),
            if_not_exists: false,
            values: PartitionValues::LessThan(vec![Literal::String("2026-01-01".into())]),
        })
    );

    let (_, op) = alter("alter table t add partition if not exists `Pm` values less than maxvalue");
    assert_eq!(
        op,
        AlterTableOp::AddPartition(PartitionSpec {
            name: "Pm".into(),
            if_not_exists: true,
            values: PartitionValues::LessThan(vec![Literal::MaxValue]),
        })
    );

    let (_, op) = alter("ALTER TABLE t ADD PARTITION p VALUES [(1), (5))");
    assert_eq!(
        op,
        AlterTableOp::AddPartition(PartitionSpec {
            name: "p".into(),
            if_not_exists: false,
            values: PartitionValues::Fixed(vec![Literal::Number("1".into())], vec![Literal::Number("5".into())]),
        })
    );

    let (_, op) = alter("ALTER TABLE t ADD PARTITION p VALUES IN ('a', 'b')");
    assert_eq!(
        op,
        AlterTableOp::AddPartition(PartitionSpec {
            name: "p".into(),
            if_not_exists: false,
            values: PartitionValues::In(vec![vec![Literal::String("a".into())], vec![Literal::String("b".into())]]),
        })
    );
}

#[test]
fn drop_partition() {
    let (table, op) = alter("ALTER TABLE t DROP PARTITION P1");
    assert_eq!(table, name("t"));
    assert_eq!(op, AlterTableOp::DropPartition { name: "p1".into(), if_exists: false });
    let (_, op) = alter("ALTER TABLE t DROP PARTITION IF EXISTS `P1` FORCE");
    assert_eq!(op, AlterTableOp::DropPartition { name: "P1".into(), if_exists: true });
}

#[test]
fn add_column() {
    let (_, op) = alter("ALTER TABLE t ADD COLUMN Note VARCHAR(20) NOT NULL DEFAULT 'n/a' COMMENT 'c'");
    assert_eq!(
        op,
        AlterTableOp::AddColumn {
            column: ColumnSpec {
                name: "note".into(),
                data_type: SqlType::Varchar(Some(20)),
                nullable: Some(false),
                default: Some(Literal::String("n/a".into())),
                comment: Some("c".into()),
                aggregate: None,
            },
            after: None,
        }
    );
    let (_, op) = alter("ALTER TABLE t ADD COLUMN c INT FIRST");
    assert!(matches!(op, AlterTableOp::AddColumn { after: Some(ref a), .. } if a.is_empty()));
    let (_, op) = alter("ALTER TABLE t ADD COLUMN c INT AFTER `B`");
    assert!(matches!(op, AlterTableOp::AddColumn { after: Some(ref a), .. } if a == "B"));
    let (_, op) = alter("ALTER TABLE t ADD COLUMN c INT NULL AFTER B;");
    assert!(matches!(op, AlterTableOp::AddColumn { after: Some(ref a), .. } if a == "b"));
}

#[test]
fn drop_column() {
    let (_, op) = alter("ALTER TABLE t DROP COLUMN Amount");
    assert_eq!(op, AlterTableOp::DropColumn { name: "amount".into() });
}

#[test]
fn alter_errors() {
    assert_err_contains("ALTER TABLE t RENAME t2", "unsupported ALTER TABLE operation: RENAME t2");
    assert_err_contains(
        "ALTER TABLE t MODIFY COLUMN c BIGINT NULL",
        "unsupported ALTER TABLE operation: MODIFY COLUMN c ...",
    );
    assert_err_contains("ALTER TABLE t", "unsupported ALTER TABLE operation: end of input");
    assert_err_contains("ALTER DATABASE d SET x", "unsupported statement: ALTER DATABASE d ...");
    assert_err_contains("ALTER TABLE t ADD COLUMN c INT AFTER", "expected column name, found end of input");
    assert_err_contains(
        "ALTER TABLE t ADD COLUMN c INT BEFORE d",
        "expected NULL, NOT NULL, DEFAULT, COMMENT, FIRST, AFTER or end of statement, found BEFORE",
    );
    assert_err_contains("ALTER TABLE t ADD COLUMN c BLOB", "unknown column type: BLOB");
    assert_err_contains(
        "ALTER TABLE t ADD PARTITION p VALUES",
        "expected LESS THAN, '[' or IN after VALUES, found end of input",
    );
    assert_err_contains("ALTER TABLE t DROP PARTITION", "expected partition name");
}

#[test]
fn alter_table_set_properties() {
    assert_eq!(
        parse("ALTER TABLE t SET (\"dynamic_partition.enable\" = \"false\", \"replication_num\" = \"1\")"),
        Statement::AlterTable {
            name: name("t"),
            op: AlterTableOp::SetProperties(vec![
                ("dynamic_partition.enable".into(), "false".into()),
                ("replication_num".into(), "1".into())
            ]),
        }
    );
    assert_err_contains("ALTER TABLE t SET ()", "ALTER TABLE ... SET needs at least one property");
    assert_err_contains("ALTER TABLE t SET (k = \"v\")", "expected a quoted property key");
}
