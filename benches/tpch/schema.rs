//! The TPC-H tables in Tessera: StarRocks DDL, and loading them from the Parquet files with `FILES()`.
//!
//! Column types follow the TPC-H specification (identifiers are BIGINT because the generator writes
//! 64-bit integers). Each table is a DUPLICATE KEY table keyed on its natural key, which must be a prefix
//! of its columns (lineitem's natural key is (l_orderkey, l_linenumber), so its sort key runs through
//! l_linenumber). The two fact tables are RANGE-partitioned by year on their date column, the dates the
//! queries filter on, and every table is hash-bucketed on its key with about a million rows a tablet
//! (at least two tablets a partition for the tables that grow with the scale factor, so that the two
//! cores of a small machine both scan).

use std::path::Path;

use tessera::Session;

/// Years of the data: the first order is dated 1992-01-01, the last shipment 1998-12-01.
const YEARS: std::ops::RangeInclusive<i32> = 1992..=1998;

const ROWS_PER_TABLET: f64 = 1_000_000.0;

struct Table {
    name: &'static str,
    columns: &'static str,
    key: &'static str,
    bucket_by: &'static str,
    /// Rows at scale factor 1, or None for the two fixed-size tables.
    rows_at_sf1: Option<f64>,
    /// The date column of the yearly RANGE partitions.
    partition_by: Option<&'static str>,
}

const TABLES: [Table; 8] = [
    Table {
        name: "region",
        columns: "r_regionkey BIGINT NOT NULL, r_name CHAR(25) NOT NULL, r_comment VARCHAR(152) NOT NULL",
        key: "r_regionkey",
        bucket_by: "r_regionkey",
        rows_at_sf1: None,
        partition_by: None,
    },
    Table {
        name: "nation",
        columns: "n_nationkey BIGINT NOT NULL, n_name CHAR(25) NOT NULL, n_regionkey BIGINT NOT NULL,
                  n_comment VARCHAR(152) NOT NULL",
        key: "n_nationkey",
        bucket_by: "n_nationkey",
        rows_at_sf1: None,
        partition_by: None,
    },
    Table {
        name: "supplier",
        columns: "s_suppkey BIGINT NOT NULL, s_name CHAR(25) NOT NULL, s_address VARCHAR(40) NOT NULL,
                  s_nationkey BIGINT NOT NULL, s_phone CHAR(15) NOT NULL, s_acctbal DECIMAL(15, 2) NOT NULL,
                  s_comment VARCHAR(101) NOT NULL",
        key: "s_suppkey",
        bucket_by: "s_suppkey",
        rows_at_sf1: Some(10_000.0),
        partition_by: None,
    },
    Table {
        name: "customer",
        columns: "c_custkey BIGINT NOT NULL, c_name VARCHAR(25) NOT NULL, c_address VARCHAR(40) NOT NULL,
                  c_nationkey BIGINT NOT NULL, c_phone CHAR(15) NOT NULL, c_acctbal DECIMAL(15, 2) NOT NULL,
                  c_mktsegment CHAR(10) NOT NULL, c_comment VARCHAR(117) NOT NULL",
        key: "c_custkey",
        bucket_by: "c_custkey",
        rows_at_sf1: Some(150_000.0),
        partition_by: None,
    },
    Table {
        name: "part",
        columns: "p_partkey BIGINT NOT NULL, p_name VARCHAR(55) NOT NULL, p_mfgr CHAR(25) NOT NULL,
                  p_brand CHAR(10) NOT NULL, p_type VARCHAR(25) NOT NULL, p_size INT NOT NULL,
                  p_container CHAR(10) NOT NULL, p_retailprice DECIMAL(15, 2) NOT NULL,
                  p_comment VARCHAR(23) NOT NULL",
        key: "p_partkey",
        bucket_by: "p_partkey",
        rows_at_sf1: Some(200_000.0),
        partition_by: None,
    },
    Table {
        name: "partsupp",
        columns: "ps_partkey BIGINT NOT NULL, ps_suppkey BIGINT NOT NULL, ps_availqty INT NOT NULL,
                  ps_supplycost DECIMAL(15, 2) NOT NULL, ps_comment VARCHAR(199) NOT NULL",
        key: "ps_partkey, ps_suppkey",
        bucket_by: "ps_partkey",
        rows_at_sf1: Some(800_000.0),
        partition_by: None,
    },
    Table {
        name: "orders",
        columns: "o_orderkey BIGINT NOT NULL, o_custkey BIGINT NOT NULL, o_orderstatus CHAR(1) NOT NULL,
                  o_totalprice DECIMAL(15, 2) NOT NULL, o_orderdate DATE NOT NULL,
                  o_orderpriority CHAR(15) NOT NULL, o_clerk CHAR(15) NOT NULL, o_shippriority INT NOT NULL,
                  o_comment VARCHAR(79) NOT NULL",
        key: "o_orderkey",
        bucket_by: "o_orderkey",
        rows_at_sf1: Some(1_500_000.0),
        partition_by: Some("o_orderdate"),
    },
    Table {
        name: "lineitem",
        columns: "l_orderkey BIGINT NOT NULL, l_partkey BIGINT NOT NULL, l_suppkey BIGINT NOT NULL,
                  l_linenumber INT NOT NULL, l_quantity DECIMAL(15, 2) NOT NULL,
                  l_extendedprice DECIMAL(15, 2) NOT NULL, l_discount DECIMAL(15, 2) NOT NULL,
                  l_tax DECIMAL(15, 2) NOT NULL, l_returnflag CHAR(1) NOT NULL, l_linestatus CHAR(1) NOT NULL,
                  l_shipdate DATE NOT NULL, l_commitdate DATE NOT NULL, l_receiptdate DATE NOT NULL,
                  l_shipinstruct CHAR(25) NOT NULL, l_shipmode CHAR(10) NOT NULL,
                  l_comment VARCHAR(44) NOT NULL",
        key: "l_orderkey, l_partkey, l_suppkey, l_linenumber",
        bucket_by: "l_orderkey",
        rows_at_sf1: Some(6_000_000.0),
        partition_by: Some("l_shipdate"),
    },
];

/// The CREATE TABLE statements of the database `tpch` at scale factor `sf`.
pub fn ddl(sf: f64) -> Vec<String> {
    TABLES.iter().map(|t| create_table(t, sf)).collect()
}

fn create_table(t: &Table, sf: f64) -> String {
    let partitions = if t.partition_by.is_some() { YEARS.count() as f64 } else { 1.0 };
    let buckets = match t.rows_at_sf1 {
        None => 1,
        Some(rows) if rows * sf < ROWS_PER_TABLET => 1,
        Some(rows) => ((rows * sf / partitions / ROWS_PER_TABLET).ceil() as u32).max(2),
    };
    let partition_clause = match t.partition_by {
        None => String::new(),
        Some(column) => {
            let ranges: Vec<String> =
                YEARS.map(|year| format!("PARTITION p{year} VALUES LESS THAN ('{}-01-01')", year + 1)).collect();
            format!("PARTITION BY RANGE({column}) (\n  {}\n)\n", ranges.join(",\n  "))
        }
    };
    format!(
        "CREATE TABLE {} (\n  {}\n)\nDUPLICATE KEY({})\n{partition_clause}DISTRIBUTED BY HASH({}) BUCKETS {buckets}\n\
         PROPERTIES (\"replication_num\" = \"1\")",
        t.name, t.columns, t.key, t.bucket_by
    )
}

/// Creates database `tpch` and loads every table from `<data>/<table>/*.parquet`; the seconds the loads
/// took (the CREATE statements excluded).
pub fn create_and_load(session: &mut Session, data: &Path, sf: f64) -> Result<f64, String> {
    session.execute("CREATE DATABASE tpch; USE tpch").map_err(|e| e.to_string())?;
    for statement in ddl(sf) {
        session.execute(&statement).map_err(|e| format!("{e}\n{statement}"))?;
    }
    let mut seconds = 0.0;
    for t in &TABLES {
        let sql = format!(
            "INSERT INTO {} SELECT * FROM FILES(\"path\" = \"{}/{}/*.parquet\", \"format\" = \"parquet\")",
            t.name,
            data.display(),
            t.name
        );
        let (s, result) = crate::common::timed(&format!("Tessera: load {}", t.name), || session.execute(&sql));
        result.map_err(|e| format!("{sql}: {e}"))?;
        seconds += s;
    }
    Ok(seconds)
}
