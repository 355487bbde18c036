//! Identifier normalization: unquoted names are lower-cased, back-quoted names are kept exactly,
//! everywhere a name enters our AST; strings and properties are never touched.

use crate::common::{create_table, parse, qualified, strings};
use tessera_sql::{DistributionSpec, Literal, PartitionValues, Statement};

#[test]
fn unquoted_names_are_lower_cased_and_quoted_names_kept() {
    let table = create_table(
        r#"CREATE TABLE MyDb.`MyTable` (
            UserId INT COMMENT "Keep Me",
            `CamelCase` VARCHAR(10) DEFAULT 'Also Kept'
        )
        PRIMARY KEY(USERID, `CamelCase`)
        PARTITION BY LIST(`CamelCase`) (PARTITION `PartA` VALUES IN ("A"), PARTITION PartB VALUES IN ("B"))
        DISTRIBUTED BY HASH(UserID)
        PROPERTIES ("Some.Key" = "Some Value")"#,
    );
    assert_eq!(table.name, qualified("mydb", "MyTable"));
    let columns: Vec<_> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["userid", "CamelCase"]);
    assert_eq!(table.columns[0].comment.as_deref(), Some("Keep Me"));
    assert_eq!(table.columns[1].default, Some(Literal::String("Also Kept".into())));
    assert_eq!(table.key.map(|k| k.columns), Some(strings(&["userid", "CamelCase"])));
    let partition_by = table.partition_by.expect("partitioned");
    assert_eq!(partition_by.columns, strings(&["CamelCase"]));
    let names: Vec<_> = partition_by.partitions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["PartA", "partb"]);
    assert_eq!(partition_by.partitions[0].values, PartitionValues::In(vec![vec![Literal::String("A".into())]]));
    assert_eq!(table.distribution, Some(DistributionSpec::Hash { columns: strings(&["userid"]), buckets: None }));
    assert_eq!(table.properties, vec![("Some.Key".to_string(), "Some Value".to_string())]);
}

#[test]
fn quoted_names_may_hold_anything() {
    let table = create_table("CREATE TABLE `my table` (`select` INT, `a;b` INT, `ünï` STRING)");
    assert_eq!(table.name.name, "my table");
    let columns: Vec<_> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["select", "a;b", "ünï"]);
}

#[test]
fn database_names_are_normalized() {
    assert_eq!(
        parse("SHOW TABLES FROM `Mixed`"),
        Statement::ShowTables { database: Some("Mixed".into()), full: false }
    );
    assert_eq!(
        parse("DROP DATABASE MIXED"),
        Statement::DropDatabase { name: "mixed".into(), if_exists: false, force: false }
    );
}

#[test]
fn object_name_display() {
    assert_eq!(qualified("db", "t").to_string(), "db.t");
    assert_eq!(crate::common::name("t").to_string(), "t");
}

#[test]
fn reserved_words_need_back_quotes() {
    let e = crate::common::parse_err("DROP TABLE IF");
    assert_eq!(e.message, "expected table name, found reserved word IF; back-quote it to use it as a name");
    let e = crate::common::parse_err("CREATE TABLE t (key INT)");
    assert!(e.message.contains("found reserved word key"), "{e}");
    let table = create_table("CREATE TABLE `table` (`key` INT, date DATE, string STRING, value INT)");
    let columns: Vec<_> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["key", "date", "string", "value"]);
}
