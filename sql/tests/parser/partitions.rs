//! Partitioning: PARTITION BY RANGE / LIST with every partition value form, expression partitioning
//! (date_trunc, time_slice, column lists), and their errors.

use crate::common::{assert_err_contains, create_table, strings};
use tessera_sql::{Literal, PartitionBy, PartitionExpression, PartitionKind, PartitionSpec, PartitionValues};

fn partition_by(sql: &str) -> PartitionBy {
    match create_table(sql).partition_by {
        Some(partition_by) => partition_by,
        None => panic!("no PARTITION BY in {sql:?}"),
    }
}

fn spec(name: &str, values: PartitionValues) -> PartitionSpec {
    PartitionSpec { name: name.into(), if_not_exists: false, values }
}

fn s(value: &str) -> Literal {
    Literal::String(value.into())
}

fn n(value: &str) -> Literal {
    Literal::Number(value.into())
}

#[test]
fn range_less_than() {
    let p = partition_by(
        r#"CREATE TABLE t (dt DATE, k INT) PARTITION BY RANGE(dt) (
            PARTITION p2023 VALUES LESS THAN ("2024-01-01"),
            PARTITION IF NOT EXISTS `P2024` VALUES LESS THAN ('2025-01-01'),
            PARTITION pmax VALUES LESS THAN MAXVALUE
        )"#,
    );
    assert_eq!(p.kind, PartitionKind::Range);
    assert_eq!(p.columns, strings(&["dt"]));
    assert_eq!(
        p.partitions,
        vec![
            spec("p2023", PartitionValues::LessThan(vec![s("2024-01-01")])),
            PartitionSpec { if_not_exists: true, ..spec("P2024", PartitionValues::LessThan(vec![s("2025-01-01")])) },
            spec("pmax", PartitionValues::LessThan(vec![Literal::MaxValue])),
        ]
    );
}

#[test]
fn range_multi_column_with_maxvalue_elements() {
    let p = partition_by(
        "CREATE TABLE t (a INT, b INT) PARTITION BY RANGE(a, B) (
            PARTITION p1 VALUES LESS THAN (10, -5),
            PARTITION p2 VALUES LESS THAN (20, MAXVALUE),
            PARTITION p3 VALUES LESS THAN (MAXVALUE, MAXVALUE)
        )",
    );
    assert_eq!(p.columns, strings(&["a", "b"]));
    assert_eq!(
        p.partitions,
        vec![
            spec("p1", PartitionValues::LessThan(vec![n("10"), n("-5")])),
            spec("p2", PartitionValues::LessThan(vec![n("20"), Literal::MaxValue])),
            spec("p3", PartitionValues::LessThan(vec![Literal::MaxValue, Literal::MaxValue])),
        ]
    );
}

#[test]
fn range_fixed_half_open() {
    let p = partition_by(
        r#"CREATE TABLE t (dt DATE, k INT) PARTITION BY RANGE(dt, k) (
            PARTITION p1 VALUES [("2024-01-01", 1), ("2024-02-01", 10)),
            PARTITION p2 VALUES [('2024-02-01', 10), ('2024-03-01', 20))
        )"#,
    );
    assert_eq!(
        p.partitions,
        vec![
            spec("p1", PartitionValues::Fixed(vec![s("2024-01-01"), n("1")], vec![s("2024-02-01"), n("10")])),
            spec("p2", PartitionValues::Fixed(vec![s("2024-02-01"), n("10")], vec![s("2024-03-01"), n("20")])),
        ]
    );
}

#[test]
fn range_with_empty_partition_list() {
    let p = partition_by("CREATE TABLE t (dt DATE) PARTITION BY RANGE(dt) () DISTRIBUTED BY RANDOM");
    assert_eq!(p.kind, PartitionKind::Range);
    assert!(p.partitions.is_empty());
}

#[test]
fn list_single_values() {
    let p = partition_by(
        r#"CREATE TABLE t (city STRING) PARTITION BY LIST(city) (
            PARTITION p_east VALUES IN ("Shanghai", "Hangzhou"),
            PARTITION p_null VALUES IN (NULL)
        )"#,
    );
    assert_eq!(p.kind, PartitionKind::List);
    assert_eq!(
        p.partitions,
        vec![
            spec("p_east", PartitionValues::In(vec![vec![s("Shanghai")], vec![s("Hangzhou")]])),
            spec("p_null", PartitionValues::In(vec![vec![Literal::Null]])),
        ]
    );
}

#[test]
fn list_tuples() {
    let p = partition_by(
        r#"CREATE TABLE t (dt DATE, city STRING) PARTITION BY LIST(dt, city) (
            PARTITION p1 VALUES IN (("2024-01-01", "Beijing"), ("2024-01-01", "Shanghai")),
            PARTITION p2 VALUES IN (('2024-01-02', 'Beijing'))
        )"#,
    );
    assert_eq!(
        p.partitions,
        vec![
            spec(
                "p1",
                PartitionValues::In(vec![vec![s("2024-01-01"), s("Beijing")], vec![s("2024-01-01"), s("Shanghai")],])
            ),
            spec("p2", PartitionValues::In(vec![vec![s("2024-01-02"), s("Beijing")]])),
        ]
    );
}

#[test]
fn list_booleans_and_numbers() {
    let p = partition_by("CREATE TABLE t (a BOOLEAN) PARTITION BY LIST(a) (PARTITION p VALUES IN (TRUE, false, 1.5))");
    assert_eq!(
        p.partitions[0].values,
        PartitionValues::In(vec![vec![Literal::Boolean(true)], vec![Literal::Boolean(false)], vec![n("1.5")],])
    );
}

#[test]
fn partition_errors() {
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE() ()",
        "PARTITION BY RANGE needs at least one partition column",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY LIST() ()",
        "PARTITION BY LIST needs at least one partition column",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY LIST(a) ()",
        "PARTITION BY LIST needs at least one partition",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY HASH(a) ()",
        "unsupported partition expression function hash(): PARTITION BY takes RANGE (...), LIST (...)",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES IN (1))",
        "partition p of a RANGE partitioned table needs VALUES LESS THAN",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY LIST(a) (PARTITION p VALUES LESS THAN (1))",
        "partition p of a LIST partitioned table needs VALUES IN (...)",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES LESS THAN ())",
        "expected a partition value, found )",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(1), (2)])",
        "expected ')' closing the half-open range",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(1) (2)))",
        "expected ',', found (",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(MAXVALUE), (2)))",
        "expected a partition value, found MAXVALUE",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY LIST(a) (PARTITION p VALUES IN (MAXVALUE))",
        "expected a partition value, found MAXVALUE",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY LIST(a) (PARTITION p VALUES IN ((1, 2), 3))",
        "expected '(', found 3",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES BETWEEN 1 AND 2)",
        "expected LESS THAN, '[' or IN after VALUES, found BETWEEN",
    );
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION VALUES LESS THAN (1))",
        "expected partition name, found reserved word VALUES; back-quote it to use it as a name",
    );
    assert_err_contains(
        "CREATE TABLE t (dt DATE) PARTITION BY RANGE(dt) (START ('2024-01-01') END ('2024-02-01') EVERY (INTERVAL 1 DAY))",
        "batch partition creation",
    );
}

#[test]
fn expression_time_functions() {
    let p = partition_by("CREATE TABLE t (dt DATETIME) PARTITION BY date_trunc('DAY', `dt`)");
    assert_eq!(p.kind, PartitionKind::Range);
    assert_eq!(p.columns, strings(&["dt"]));
    assert!(p.partitions.is_empty());
    assert_eq!(p.expression, Some(PartitionExpression::DateTrunc { unit: "day".into() }));

    let p =
        partition_by("CREATE TABLE t (dt DATETIME) PARTITION BY time_slice(DT, INTERVAL 7 Day) DISTRIBUTED BY RANDOM");
    assert_eq!(p.columns, strings(&["dt"]));
    assert_eq!(p.expression, Some(PartitionExpression::TimeSlice { interval: 7, unit: "day".into(), boundary: None }));
    let p = partition_by("CREATE TABLE t (dt DATETIME) PARTITION BY TIME_SLICE(dt, INTERVAL 1 hour, FLOOR)");
    assert_eq!(
        p.expression,
        Some(PartitionExpression::TimeSlice { interval: 1, unit: "hour".into(), boundary: Some("floor".into()) })
    );
}

#[test]
fn expression_columns() {
    for sql in [
        "CREATE TABLE t (dt DATE, city STRING) PARTITION BY dt, City DISTRIBUTED BY HASH(dt)",
        "CREATE TABLE t (dt DATE, city STRING) PARTITION BY (dt, `city`)",
    ] {
        let p = partition_by(sql);
        assert_eq!(p.kind, PartitionKind::List, "{sql}");
        assert_eq!(p.columns, strings(&["dt", "city"]), "{sql}");
        assert!(p.partitions.is_empty());
        assert_eq!(p.expression, Some(PartitionExpression::Columns), "{sql}");
    }
    let p = partition_by("CREATE TABLE t (city STRING) PARTITION BY city");
    assert_eq!(p.columns, strings(&["city"]));
}

#[test]
fn expression_errors() {
    assert_err_contains(
        "CREATE TABLE t (dt DATE) PARTITION BY str_to_date(dt, '%Y')",
        "unsupported partition expression function str_to_date()",
    );
    assert_err_contains(
        "CREATE TABLE t (dt DATE) PARTITION BY date_trunc(day, dt)",
        "expected a quoted time unit ('hour', 'day', 'month' or 'year') as the first argument of date_trunc, found day",
    );
    assert_err_contains(
        "CREATE TABLE t (dt DATETIME) PARTITION BY time_slice(dt, INTERVAL 0 day)",
        "the INTERVAL of time_slice must be a positive integer, found 0",
    );
    assert_err_contains(
        "CREATE TABLE t (dt DATETIME) PARTITION BY time_slice(dt, INTERVAL -2 day)",
        "the INTERVAL of time_slice must be a positive integer, found -2",
    );
    assert_err_contains("CREATE TABLE t (dt DATETIME) PARTITION BY time_slice(dt, 2)", "expected INTERVAL, found 2");
    assert_err_contains("CREATE TABLE t (a INT) PARTITION BY ()", "expected partition column name, found )");
    assert_err_contains(
        "CREATE TABLE t (a INT) PARTITION BY a, (PARTITION p VALUES IN (1))",
        "expected RANGE, LIST, date_trunc(...), time_slice(...) or a partition column name after PARTITION BY, found (",
    );
}

/// SHOW CREATE TABLE writes the last range partition as `[(lo), (MAXVALUE))`; that must parse back.
#[test]
fn fixed_range_upper_bound_may_be_maxvalue() {
    let t = create_table("CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(\"40\"), (MAXVALUE)))");
    let partitions = t.partition_by.unwrap().partitions;
    assert_eq!(
        partitions[0].values,
        PartitionValues::Fixed(vec![Literal::String("40".into())], vec![Literal::MaxValue])
    );
}
