//! CREATE TABLE: columns and types, defaults, keys, COMMENT, distribution, PROPERTIES, clause order
//! and CREATE TABLE AS SELECT. (Partitioning has its own module.)

use crate::common::{assert_err_contains, create_table, name, qualified, sqlparser_query, strings};
use tessera_sql::{
    AggregateKind, ColumnSpec, CreateTable, DistributionSpec, KeyKind, KeySpec, Literal, PartitionBy, PartitionKind,
    PartitionSpec, PartitionValues, SqlType,
};

fn column(name: &str, data_type: SqlType) -> ColumnSpec {
    ColumnSpec { name: name.into(), data_type, nullable: None, default: None, comment: None, aggregate: None }
}

#[test]
fn full_starrocks_table() {
    let sql = r#"
        CREATE TABLE IF NOT EXISTS sales.orders (
            order_id BIGINT NOT NULL COMMENT "order id",
            dt DATE NOT NULL,
            amount DECIMAL(10, 2) NULL DEFAULT "0",
            note VARCHAR(200)
        )
        DUPLICATE KEY(order_id, dt)
        COMMENT "all orders"
        PARTITION BY RANGE(dt) (
            PARTITION p1 VALUES LESS THAN ("2024-01-01")
        )
        DISTRIBUTED BY HASH(order_id) BUCKETS 8
        PROPERTIES ("replication_num" = "1", 'storage_medium' = 'SSD');
    "#;
    let expected = CreateTable {
        name: qualified("sales", "orders"),
        if_not_exists: true,
        columns: vec![
            ColumnSpec {
                nullable: Some(false),
                comment: Some("order id".into()),
                ..column("order_id", SqlType::BigInt)
            },
            ColumnSpec { nullable: Some(false), ..column("dt", SqlType::Date) },
            ColumnSpec {
                nullable: Some(true),
                default: Some(Literal::String("0".into())),
                ..column("amount", SqlType::Decimal(Some(10), Some(2)))
            },
            column("note", SqlType::Varchar(Some(200))),
        ],
        key: Some(KeySpec { kind: KeyKind::Duplicate, columns: strings(&["order_id", "dt"]) }),
        comment: Some("all orders".into()),
        partition_by: Some(PartitionBy {
            kind: PartitionKind::Range,
            columns: strings(&["dt"]),
            partitions: vec![PartitionSpec {
                name: "p1".into(),
                if_not_exists: false,
                values: PartitionValues::LessThan(vec![Literal::String("2024-01-01".into())]),
            }],
            expression: None,
        }),
        distribution: Some(DistributionSpec::Hash { columns: strings(&["order_id"]), buckets: Some(8) }),
        properties: vec![("replication_num".into(), "1".into()), ("storage_medium".into(), "SSD".into())],
        as_query: None,
    };
    assert_eq!(create_table(sql), expected);
}

#[test]
fn minimal_table() {
    let table = create_table("create table t (a int)");
    assert_eq!(table.name, name("t"));
    assert!(!table.if_not_exists);
    assert_eq!(table.columns, vec![column("a", SqlType::Int)]);
    assert_eq!(table.key, None);
    assert_eq!(table.comment, None);
    assert_eq!(table.partition_by, None);
    assert_eq!(table.distribution, None);
    assert!(table.properties.is_empty());
    assert_eq!(table.as_query, None);
}

#[test]
fn every_column_type() {
    let cases: &[(&str, SqlType)] = &[
        ("BOOLEAN", SqlType::Boolean),
        ("bool", SqlType::Boolean),
        ("TINYINT", SqlType::TinyInt),
        ("TINYINT(4)", SqlType::TinyInt),
        ("SMALLINT", SqlType::SmallInt),
        ("INT", SqlType::Int),
        ("int(11)", SqlType::Int),
        ("INTEGER", SqlType::Int),
        ("BIGINT", SqlType::BigInt),
        ("bigint(20)", SqlType::BigInt),
        ("LARGEINT", SqlType::LargeInt),
        ("FLOAT", SqlType::Float),
        ("DOUBLE", SqlType::Double),
        ("DECIMAL", SqlType::Decimal(None, None)),
        ("DECIMAL(9)", SqlType::Decimal(Some(9), None)),
        ("DECIMAL(27, 9)", SqlType::Decimal(Some(27), Some(9))),
        ("DECIMALV2(10,2)", SqlType::Decimal(Some(10), Some(2))),
        ("decimalv3(38, 0)", SqlType::Decimal(Some(38), Some(0))),
        ("DECIMAL32(9, 2)", SqlType::Decimal(Some(9), Some(2))),
        ("DECIMAL64(18, 4)", SqlType::Decimal(Some(18), Some(4))),
        ("DECIMAL128(38, 10)", SqlType::Decimal(Some(38), Some(10))),
        ("NUMERIC(5,1)", SqlType::Decimal(Some(5), Some(1))),
        ("CHAR", SqlType::Char(None)),
        ("CHAR(10)", SqlType::Char(Some(10))),
        ("VARCHAR", SqlType::Varchar(None)),
        ("VARCHAR(65533)", SqlType::Varchar(Some(65533))),
        ("STRING", SqlType::String),
        ("text", SqlType::String),
        ("DATE", SqlType::Date),
        ("DATETIME", SqlType::Datetime),
        ("TIMESTAMP", SqlType::Datetime),
    ];
    for (written, expected) in cases {
        let table = create_table(&format!("CREATE TABLE t (c {written})"));
        assert_eq!(table.columns[0].data_type, *expected, "{written}");
    }
}

#[test]
fn column_type_errors() {
    assert_err_contains("CREATE TABLE t (c FOO)", "unknown column type: FOO");
    assert_err_contains("CREATE TABLE t (c array<int>)", "unknown column type: ARRAY");
    assert_err_contains("CREATE TABLE t (c `int`)", "unknown column type: `INT`");
    assert_err_contains("CREATE TABLE t (c)", "expected a type for column c, found )");
    assert_err_contains("CREATE TABLE t (c 5)", "expected a column type, found 5");
    assert_err_contains("CREATE TABLE t (c DATE(3))", "type DATE takes no arguments");
    assert_err_contains("CREATE TABLE t (c DECIMAL(1, 2, 3))", "type DECIMAL takes at most 2 arguments, found 3");
    assert_err_contains("CREATE TABLE t (c VARCHAR(1, 2))", "type VARCHAR takes at most 1 argument, found 2");
    assert_err_contains("CREATE TABLE t (c INT(1, 2))", "type INT takes at most one argument");
    assert_err_contains(
        "CREATE TABLE t (c VARCHAR(-1))",
        "arguments of type VARCHAR must be non-negative integers, found -",
    );
    assert_err_contains("CREATE TABLE t (c VARCHAR(99999999999))", "must be non-negative integers, found 99999999999");
    assert_err_contains("CREATE TABLE t (c VARCHAR(10)", "expected NULL, NOT NULL, DEFAULT");
}

#[test]
fn column_attributes_in_any_order() {
    let table = create_table(
        r#"CREATE TABLE t (
            a INT COMMENT 'x' DEFAULT "5" NOT NULL,
            b INT NULL,
            c INT DEFAULT NULL,
            d INT DEFAULT -12,
            e DOUBLE DEFAULT 3.50,
            f BOOLEAN DEFAULT TRUE,
            g BOOLEAN DEFAULT false,
            h DATETIME DEFAULT CURRENT_TIMESTAMP,
            i DATETIME DEFAULT now(),
            j DATETIME DEFAULT CURRENT_TIMESTAMP(),
            k DOUBLE DEFAULT 1e3,
            l INT DEFAULT +7
        )"#,
    );
    let a = &table.columns[0];
    assert_eq!(a.comment.as_deref(), Some("x"));
    assert_eq!(a.default, Some(Literal::String("5".into())));
    assert_eq!(a.nullable, Some(false));
    assert_eq!(table.columns[1].nullable, Some(true));
    let defaults: Vec<_> = table.columns[2..].iter().map(|c| c.default.clone()).collect();
    assert_eq!(
        defaults,
        vec![
            Some(Literal::Null),
            Some(Literal::Number("-12".into())),
            Some(Literal::Number("3.50".into())),
            Some(Literal::Boolean(true)),
            Some(Literal::Boolean(false)),
            Some(Literal::CurrentTimestamp),
            Some(Literal::CurrentTimestamp),
            Some(Literal::CurrentTimestamp),
            Some(Literal::Number("1e3".into())),
            Some(Literal::Number("7".into())),
        ]
    );
}

#[test]
fn aggregate_columns() {
    let t = create_table(
        "CREATE TABLE t (k INT, s BIGINT SUM DEFAULT '0', m INT max NOT NULL, r STRING REPLACE_IF_NOT_NULL) \
         AGGREGATE KEY(k)",
    );
    let kinds: Vec<_> = t.columns.iter().map(|c| c.aggregate).collect();
    assert_eq!(
        kinds,
        vec![None, Some(AggregateKind::Sum), Some(AggregateKind::Max), Some(AggregateKind::ReplaceIfNotNull)]
    );
    assert_eq!(t.columns[2].nullable, Some(false));
    assert_eq!(t.columns[1].default, Some(Literal::String("0".into())));
}

#[test]
fn column_attribute_errors() {
    assert_err_contains("CREATE TABLE t (a INT HLL_UNION)", "aggregate type HLL_UNION is not supported (column a)");
    assert_err_contains("CREATE TABLE t (a INT SUM MAX)", "column a: aggregate type given twice");
    assert_err_contains("CREATE TABLE t (a INT NULL NOT NULL)", "NULL / NOT NULL given twice");
    assert_err_contains("CREATE TABLE t (a INT DEFAULT 1 DEFAULT 2)", "DEFAULT given twice");
    assert_err_contains("CREATE TABLE t (a INT DEFAULT)", "expected a literal after DEFAULT");
    assert_err_contains("CREATE TABLE t (a INT DEFAULT MAXVALUE)", "expected a literal after DEFAULT");
    assert_err_contains("CREATE TABLE t (a INT COMMENT x)", "expected a quoted string after COMMENT");
    assert_err_contains("CREATE TABLE t (a INT AUTO_INCREMENT)", "AUTO_INCREMENT is not supported");
    assert_err_contains("CREATE TABLE t (a INT, PRIMARY KEY (a))", "PRIMARY KEY goes after the column list");
    assert_err_contains("CREATE TABLE t (a INT, INDEX i (a) USING BITMAP)", "INDEX definitions");
    assert_err_contains("CREATE TABLE t ()", "expected column name, found )");
}

#[test]
fn every_key_kind() {
    let cases = [
        ("DUPLICATE", KeyKind::Duplicate),
        ("PRIMARY", KeyKind::Primary),
        ("unique", KeyKind::Unique),
        ("Aggregate", KeyKind::Aggregate),
    ];
    for (word, kind) in cases {
        let table = create_table(&format!("CREATE TABLE t (a INT, B INT) {word} KEY(a, `B`)"));
        assert_eq!(table.key, Some(KeySpec { kind, columns: strings(&["a", "B"]) }), "{word}");
    }
    assert_err_contains("CREATE TABLE t (a INT) PRIMARY KEY()", "PRIMARY KEY needs at least one column");
}

#[test]
fn distribution() {
    let table = create_table("CREATE TABLE t (a INT, b INT) DISTRIBUTED BY HASH(a, b)");
    assert_eq!(table.distribution, Some(DistributionSpec::Hash { columns: strings(&["a", "b"]), buckets: None }));
    let table = create_table("CREATE TABLE t (a INT) DISTRIBUTED BY RANDOM BUCKETS 3");
    assert_eq!(table.distribution, Some(DistributionSpec::Random { buckets: Some(3) }));
    let table = create_table("CREATE TABLE t (a INT) distributed by random");
    assert_eq!(table.distribution, Some(DistributionSpec::Random { buckets: None }));
}

#[test]
fn distribution_errors() {
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 0",
        "BUCKETS must be a positive integer, found 0",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS -2",
        "BUCKETS must be a positive integer, found -2",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 1.5",
        "BUCKETS must be a positive integer, found 1.5",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS AUTO",
        "BUCKETS must be a positive integer, found AUTO",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY HASH() BUCKETS 1",
        "DISTRIBUTED BY HASH needs at least one column",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY ROUND_ROBIN",
        "expected HASH(...) or RANDOM after DISTRIBUTED BY, found ROUND_ROBIN",
    );
}

#[test]
fn properties_keep_keys_and_values_as_written() {
    let table = create_table(r#"CREATE TABLE t (a INT) PROPERTIES ("Replication_Num" = '3', 'a.b' = "X Y", "e" = "")"#);
    assert_eq!(
        table.properties,
        vec![
            ("Replication_Num".to_string(), "3".to_string()),
            ("a.b".to_string(), "X Y".to_string()),
            ("e".to_string(), String::new()),
        ]
    );
    assert!(create_table("CREATE TABLE t (a INT) PROPERTIES ()").properties.is_empty());
    assert_err_contains(
        "CREATE TABLE t (a INT) PROPERTIES (replication_num = \"1\")",
        "expected a quoted property key, found replication_num",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PROPERTIES (\"k\" = 1)",
        "expected a quoted value for property \"k\", found 1",
    );
    assert_err_contains("CREATE TABLE t (a INT) PROPERTIES (\"k\" \"v\")", "expected '=', found \"v\"");
}

#[test]
fn engine_olap_is_accepted() {
    let table = create_table(
        "CREATE TABLE `t` (`k` int(11) NULL COMMENT \"\") ENGINE=OLAP DUPLICATE KEY(`k`) \
         COMMENT \"OLAP\" DISTRIBUTED BY HASH(`k`) BUCKETS 3 PROPERTIES (\"replication_num\" = \"1\")",
    );
    assert_eq!(table.comment.as_deref(), Some("OLAP"));
    assert_eq!(table.columns[0].comment.as_deref(), Some(""));
    assert_err_contains("CREATE TABLE t (a INT) ENGINE = mysql", "unsupported ENGINE: MYSQL");
}

#[test]
fn clause_order_is_checked() {
    assert_err_contains(
        "CREATE TABLE t (a INT) PROPERTIES (\"a\" = \"b\") DISTRIBUTED BY RANDOM",
        "DISTRIBUTED BY must come before PROPERTIES",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) COMMENT 'x' DUPLICATE KEY(a)",
        "the key (DUPLICATE / PRIMARY / UNIQUE / AGGREGATE KEY) must come before COMMENT",
    );
    assert_err_contains("CREATE TABLE t (a INT) COMMENT 'x' COMMENT 'y'", "COMMENT is given twice");
    assert_err_contains(
        "CREATE TABLE t (a INT) DISTRIBUTED BY RANDOM ORDER BY (a)",
        "ORDER BY (sort key) in CREATE TABLE is not supported",
    );
    assert_err_contains("CREATE TABLE t (a INT) DISTRIBUTE BY RANDOM", "expected a CREATE TABLE clause");
}

#[test]
fn create_table_as_select_without_columns() {
    let table = create_table(
        "CREATE TABLE IF NOT EXISTS db.t2 DUPLICATE KEY(a) COMMENT 'copy' \
         DISTRIBUTED BY HASH(a) BUCKETS 2 PROPERTIES ('k' = 'v') AS SELECT a, b FROM db.t1 WHERE a > 1",
    );
    assert_eq!(table.name, qualified("db", "t2"));
    assert!(table.if_not_exists);
    assert!(table.columns.is_empty());
    assert_eq!(table.comment.as_deref(), Some("copy"));
    assert_eq!(table.properties, vec![("k".into(), "v".into())]);
    assert_eq!(table.as_query, Some(sqlparser_query("SELECT a, b FROM db.t1 WHERE a > 1")));

    let table = create_table("create table t as (select 1 as x)");
    assert_eq!(table.as_query, Some(sqlparser_query("(select 1 as x)")));

    let table = create_table("create table t as with c as (select 1) select * from c");
    assert_eq!(table.as_query, Some(sqlparser_query("with c as (select 1) select * from c")));
}

#[test]
fn create_table_as_select_with_columns() {
    let table = create_table("CREATE TABLE t (a INT, b STRING) AS SELECT 1, 'x'");
    assert_eq!(table.columns.len(), 2);
    assert_eq!(table.as_query, Some(sqlparser_query("SELECT 1, 'x'")));
}

#[test]
fn create_table_needs_columns_or_query() {
    assert_err_contains("CREATE TABLE t", "expected a column list or AS <query>, found end of input");
    assert_err_contains("CREATE TABLE t DUPLICATE KEY(a)", "expected a column list or AS <query>");
    assert_err_contains("CREATE TABLE t LIKE s", "expected a column list or AS <query>, found LIKE");
    assert_err_contains("CREATE TABLE t AS", "expected a query after AS, found end of input");
    assert_err_contains("CREATE TABLE t AS SHOW TABLES", "expected a query after AS, found SHOW");
    assert_err_contains("CREATE TABLE t AS SELECT", "found end of input");
    assert_err_contains("CREATE TABLE t AS SELECT 1 FROM s DISTRIBUTED BY RANDOM", "expected end of statement");
}
