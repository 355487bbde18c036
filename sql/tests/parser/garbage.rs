//! Robustness: garbage, truncated and mutated input must give `Err` (or `Ok`), never a panic.

use tessera_sql::{is_complete, parse_statement, parse_statements, split_statements};

/// Statements covering every form the parser knows, used as seeds for truncation and mutation.
const SEEDS: &[&str] = &[
    "CREATE DATABASE IF NOT EXISTS db",
    "DROP DATABASE IF EXISTS db FORCE",
    "USE db",
    "SHOW DATABASES",
    "SHOW TABLES FROM db",
    r#"CREATE TABLE IF NOT EXISTS db.t (a INT NOT NULL DEFAULT "1" COMMENT "c", b DECIMAL(10, 2), c VARCHAR(20)) DUPLICATE KEY(a) COMMENT "t" PARTITION BY RANGE(a) (PARTITION p1 VALUES LESS THAN (10), PARTITION p2 VALUES [(10), (20)), PARTITION p3 VALUES LESS THAN MAXVALUE) DISTRIBUTED BY HASH(a) BUCKETS 3 PROPERTIES ("k" = "v")"#,
    "CREATE TABLE t (c STRING) PARTITION BY LIST(c) (PARTITION p VALUES IN ((1, 'a'), (2, 'b')))",
    "CREATE TABLE t2 PRIMARY KEY(a) DISTRIBUTED BY RANDOM AS SELECT a FROM t",
    "DROP TABLE IF EXISTS db.t FORCE",
    "TRUNCATE TABLE t PARTITION (p1, p2)",
    "ALTER TABLE t ADD PARTITION IF NOT EXISTS p VALUES LESS THAN ('2024-01-01')",
    "ALTER TABLE t DROP PARTITION IF EXISTS p FORCE",
    "ALTER TABLE t ADD COLUMN c INT NULL DEFAULT CURRENT_TIMESTAMP AFTER b",
    "ALTER TABLE t DROP COLUMN c",
    "SHOW CREATE TABLE db.t",
    "SHOW FULL COLUMNS FROM t FROM db",
    "DESC db.t",
    "SHOW PARTITIONS FROM t",
    "INSERT OVERWRITE TABLE t PARTITION (p) (a, b) VALUES (1, 'x'), (2, 'y')",
    "INSERT INTO t (a) WITH x AS (SELECT 1) SELECT * FROM x",
    "DELETE FROM t WHERE a > 1 AND b IN (1, 2)",
    "EXPLAIN ANALYZE VERBOSE SELECT a, count(*) FROM t GROUP BY a",
    "SELECT 'a;b', `c`, \"d\" FROM t /* c */ -- x\n WHERE e = 1",
    r#"CREATE READ ONLY REPOSITORY `r` WITH BROKER b ON LOCATION "file:///x" PROPERTIES ("k" = "v")"#,
    "CREATE REPOSITORY r WITH BROKER ON LOCATION '/x'",
    "DROP REPOSITORY r",
    "SHOW REPOSITORIES",
    "BACKUP SNAPSHOT db.s TO r ON (t1 PARTITION (p1, p2), t2 AS x) PROPERTIES ('type' = 'full')",
    "BACKUP DATABASE db SNAPSHOT `s` TO r ON (ALL TABLES, TABLE t PARTITIONS (p), ALL MATERIALIZED VIEWS, MATERIALIZED VIEW mv, ALL VIEWS, VIEW v, ALL FUNCTIONS, FUNCTION db2.f)",
    "SHOW BACKUP FROM db WHERE a = 1 ORDER BY b DESC LIMIT 1, 2",
    "CANCEL BACKUP IN db",
    "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 's' AND TIMESTAMP = '2024-01-01-00-00-00-000'",
    "SHOW SNAPSHOT ON r WHERE SNAPSHOT IN ('a', \"b\")",
    "DROP SNAPSHOT s ON r FORCE",
    "RESTORE SNAPSHOT db.s FROM r ON (t1 PARTITION (p1, p2) AS x, t2) PROPERTIES ('backup_timestamp' = 't')",
    "RESTORE SNAPSHOT `s` FROM r DATABASE db AS db2 ON (ALL TABLES, TABLE t PARTITIONS (p) AS u, ALL MATERIALIZED VIEWS, MATERIALIZED VIEW mv AS m, ALL VIEWS, VIEW v AS w, ALL FUNCTIONS, FUNCTION db2.f AS g) PROPERTIES (\"backup_timestamp\" = \"2024-12-09-10-25-58-842\")",
    "SHOW RESTORE FROM db WHERE a = 1 ORDER BY b DESC LIMIT 1, 2",
    "SHOW RESTORE",
    "CANCEL RESTORE IN db",
    "CANCEL RESTORE",
];

const GARBAGE: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    "'",
    "\"",
    "`",
    "/*",
    "-",
    "--",
    "\\",
    "@@@",
    "$$",
    "\u{0}",
    "😀",
    "SELECT (((((((((",
    "CREATE",
    "CREATE TABLE",
    "CREATE TABLE (",
    "CREATE TABLE t (",
    "CREATE TABLE t (a",
    "CREATE TABLE t (a INT",
    "CREATE TABLE t (a INT,",
    "CREATE TABLE t (a INT) PARTITION",
    "CREATE TABLE t (a INT) PARTITION BY",
    "CREATE TABLE t (a INT) PARTITION BY RANGE",
    "CREATE TABLE t (a INT) PARTITION BY RANGE(",
    "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION",
    "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [",
    "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(",
    "CREATE TABLE t (a INT) PARTITION BY RANGE(a) (PARTITION p VALUES [(1), (2)",
    "CREATE TABLE t (a INT) PARTITION BY LIST(a) (PARTITION p VALUES IN ((",
    "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS",
    "CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 99999999999999999999999",
    "CREATE TABLE t (a INT) PROPERTIES (\"a\" =",
    "CREATE TABLE t (a DECIMAL(",
    "CREATE TABLE t (a INT DEFAULT -",
    "CREATE TABLE t (a INT DEFAULT NOW(",
    "CREATE TABLE t AS",
    "DROP",
    "DROP TABLE IF",
    "ALTER TABLE t ADD",
    "ALTER TABLE t ADD COLUMN",
    "INSERT",
    "INSERT INTO",
    "INSERT INTO t PARTITION",
    "INSERT INTO t (",
    "INSERT INTO t VALUES",
    "INSERT INTO t VALUES (",
    "DELETE FROM",
    "DELETE FROM t WHERE",
    "EXPLAIN",
    "EXPLAIN FORMAT",
    "EXPLAIN SELECT",
    "SHOW",
    "SHOW CREATE",
    "SHOW FULL",
    "DESC",
    "TRUNCATE",
    "USE",
    "GRANT ALL ON *.* TO x",
    "LOCK TABLES t READ",
    "a.b.c.d",
    "SELECT 1 FROM t WHERE a = 'unterminated",
    ";;;SELECT",
    "CREATE TABLE `` (a INT)",
    "CREATE READ",
    "CREATE READ ONLY",
    "CREATE REPOSITORY",
    "CREATE REPOSITORY r WITH",
    "CREATE REPOSITORY r WITH BROKER",
    "CREATE REPOSITORY r ON LOCATION",
    "CREATE REPOSITORY r ON LOCATION '/x' PROPERTIES (",
    "DROP REPOSITORY",
    "BACKUP",
    "BACKUP DATABASE",
    "BACKUP SNAPSHOT",
    "BACKUP SNAPSHOT db.",
    "BACKUP SNAPSHOT s TO",
    "BACKUP SNAPSHOT s TO r ON",
    "BACKUP SNAPSHOT s TO r ON (",
    "BACKUP SNAPSHOT s TO r ON (ALL",
    "BACKUP SNAPSHOT s TO r ON (MATERIALIZED VIEW",
    "BACKUP SNAPSHOT s TO r ON (t AS",
    "BACKUP SNAPSHOT s TO r ON (t PARTITION (",
    "BACKUP SNAPSHOT s TO r ON (t TEMPORARY PARTITION (p))",
    "BACKUP SNAPSHOT s TO r ON (db.t)",
    "BACKUP SNAPSHOT `` TO r",
    "BACKUP SNAPSHOT \"\" TO r",
    "BACKUP ALL EXTERNAL CATALOGS SNAPSHOT s TO r",
    "SHOW BACKUP WHERE",
    "SHOW BACKUP LIMIT",
    "SHOW SNAPSHOT",
    "SHOW SNAPSHOT ON r WHERE",
    "SHOW SNAPSHOT ON r WHERE SNAPSHOT",
    "SHOW SNAPSHOT ON r WHERE SNAPSHOT IN (",
    "SHOW SNAPSHOT ON r WHERE SNAPSHOT = 'a' OR SNAPSHOT = 'b'",
    "SHOW SNAPSHOT ON r WHERE TIMESTAMP = 't'",
    "SHOW SNAPSHOT ON r WHERE 1 = 1",
    "DROP SNAPSHOT",
    "DROP SNAPSHOT s",
    "DROP SNAPSHOT ON r",
    "CANCEL",
    "CANCEL BACKUP FROM",
    "RESTORE",
    "RESTORE SNAPSHOT",
    "RESTORE SNAPSHOT db.",
    "RESTORE SNAPSHOT `` FROM r",
    "RESTORE SNAPSHOT s",
    "RESTORE SNAPSHOT s FROM",
    "RESTORE SNAPSHOT s FROM r DATABASE",
    "RESTORE SNAPSHOT s FROM r DATABASE d AS",
    "RESTORE SNAPSHOT s FROM r ON",
    "RESTORE SNAPSHOT s FROM r ON (",
    "RESTORE SNAPSHOT s FROM r ON ()",
    "RESTORE SNAPSHOT s FROM r ON (ALL",
    "RESTORE SNAPSHOT s FROM r ON (ALL TABLES AS x)",
    "RESTORE SNAPSHOT s FROM r ON (t AS",
    "RESTORE SNAPSHOT s FROM r ON (t PARTITION (",
    "RESTORE SNAPSHOT s FROM r ON (t TEMPORARY PARTITION (p))",
    "RESTORE SNAPSHOT s FROM r ON (db.t)",
    "RESTORE SNAPSHOT s FROM r ON (FUNCTION f AS",
    "RESTORE SNAPSHOT s FROM r PROPERTIES (",
    "RESTORE SNAPSHOT s FROM r ALL EXTERNAL CATALOGS",
    "RESTORE SNAPSHOT s FROM r EXTERNAL CATALOG (c AS d)",
    "SHOW RESTORE FROM",
    "SHOW RESTORE WHERE",
    "SHOW RESTORE LIMIT",
    "CANCEL RESTORE IN",
    "CANCEL RESTORE FOR EXTERNAL CATALOG",
];

fn exercise(sql: &str) {
    let _ = parse_statements(sql);
    let _ = parse_statement(sql);
    let _ = split_statements(sql);
    let _ = is_complete(sql);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for sql in GARBAGE {
        exercise(sql);
        assert!(parse_statement(sql).is_err(), "{sql:?} should not parse");
        assert!(parse_statements(sql).is_err(), "{sql:?} should not parse");
    }
}

#[test]
fn seeds_parse() {
    for sql in SEEDS {
        if let Err(e) = parse_statement(sql) {
            panic!("{sql:?}: {e}");
        }
    }
}

#[test]
fn every_truncation_of_every_seed_is_handled() {
    for sql in SEEDS {
        for (i, _) in sql.char_indices() {
            exercise(&sql[..i]);
            exercise(&sql[i..]);
        }
    }
}

#[test]
fn random_mutations_are_handled() {
    // A tiny deterministic generator (no dependencies): xorshift64.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> = "()[],;'\"`-+*/.=<>\\#@$ \n0123456789aZ_é😀".chars().collect();
    let words = [
        "SELECT",
        "PARTITION",
        "VALUES",
        "LESS",
        "THAN",
        "MAXVALUE",
        "IN",
        "KEY",
        "BY",
        "AS",
        "TABLE",
        "NULL",
        "NOT",
        "DEFAULT",
        "BUCKETS",
        "HASH",
        "SNAPSHOT",
        "TIMESTAMP",
        "REPOSITORY",
        "ALL",
        "TEMPORARY",
        "RESTORE",
        "FROM",
        "DATABASE",
        "EXTERNAL",
        "MATERIALIZED",
        "VIEW",
        "ON",
        "TO",
        "OR",
        "AND",
        "'x'",
        "(",
        ")",
        "[",
        ",",
        "--",
        "/*",
    ];
    for _ in 0..4000 {
        let seed = SEEDS[(next() as usize) % SEEDS.len()];
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..(1 + next() % 4) {
            let at = (next() as usize) % (chars.len() + 1);
            match next() % 4 {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                2 => {
                    let word = words[(next() as usize) % words.len()];
                    for (k, c) in format!(" {word} ").chars().enumerate() {
                        chars.insert(at + k, c);
                    }
                }
                _ => chars.truncate(at),
            }
        }
        let sql: String = chars.into_iter().collect();
        exercise(&sql);
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse_statement(&deep).is_err());
    let deep_insert = format!("INSERT INTO t {}SELECT 1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse_statement(&deep_insert).is_err());
    let long = "SELECT 1;".repeat(2000);
    assert_eq!(parse_statements(&long).map(|s| s.len()), Ok(2000));
}
