//! PRIMARY, UNIQUE and AGGREGATE KEY tables against a simple in-memory model: random upserts (several
//! rows per statement, repeated keys within one statement), deletes by key range and by value, updates
//! (PRIMARY KEY), compaction and close/reopen, with the whole table compared to the model after every
//! step. Then BACKUP, RESTORE into another data directory (renamed with AS), and more random steps on the
//! restored copy: its delete vectors and primary index must have come through intact.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::util::display::array_value_to_string;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tessera::{BackupState, Database, Options, RestoreState, StoreOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Primary,
    Unique,
    Aggregate,
}

/// One key's row in the model. For PRIMARY/UNIQUE only `a` and `b` are used.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    a: Option<i64>,
    b: Option<String>,
    sum: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
    rep: Option<String>,
    rinn: Option<String>,
}

fn options() -> Options {
    Options {
        storage: StoreOptions { segment_max_rows: 5, row_group_rows: 2, compaction: true, compaction_min_segments: 3 },
        threads: 2,
        ..Options::default()
    }
}

fn create_sql(model: Model, table: &str) -> String {
    let layout = "PARTITION BY RANGE(k) (PARTITION p0 VALUES LESS THAN (20), PARTITION p1 VALUES LESS THAN \
                  (40), PARTITION p2 VALUES LESS THAN MAXVALUE) DISTRIBUTED BY HASH(k) BUCKETS 2";
    match model {
        Model::Primary => {
            format!("CREATE TABLE {table} (k BIGINT NOT NULL, a BIGINT, b STRING) PRIMARY KEY(k) {layout}")
        }
        Model::Unique => format!("CREATE TABLE {table} (k BIGINT NOT NULL, a BIGINT, b STRING) UNIQUE KEY(k) {layout}"),
        Model::Aggregate => format!(
            "CREATE TABLE {table} (k BIGINT NOT NULL, sum BIGINT SUM, min BIGINT MIN, max BIGINT MAX, \
             rep STRING REPLACE, rinn STRING REPLACE_IF_NOT_NULL) AGGREGATE KEY(k) {layout}"
        ),
    }
}

fn lit_i(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |v| v.to_string())
}

fn lit_s(v: &Option<String>) -> String {
    v.as_ref().map_or("NULL".into(), |v| format!("'{v}'"))
}

fn fold_min(acc: Option<i64>, new: Option<i64>, pick_less: bool) -> Option<i64> {
    match (acc, new) {
        (Some(a), Some(n)) => Some(if (n < a) == pick_less { n } else { a }),
        (a, n) => a.or(n),
    }
}

struct Harness {
    model: Model,
    table: String,
    rows: BTreeMap<i64, Row>,
}

impl Harness {
    fn insert(&mut self, rng: &mut StdRng, db: &Database) {
        let n = rng.random_range(1..=8);
        let mut values = Vec::new();
        for _ in 0..n {
            let k = rng.random_range(0..60i64);
            let a = (!rng.random_bool(0.2)).then(|| rng.random_range(-100..100i64));
            let b = ["x", "y", "z"].get(rng.random_range(0..4usize)).map(|s| s.to_string());
            values.push(match self.model {
                Model::Aggregate => format!("({k}, {a}, {a}, {a}, {b}, {b})", a = lit_i(a), b = lit_s(&b)),
                _ => format!("({k}, {}, {})", lit_i(a), lit_s(&b)),
            });
            let row = self.rows.remove(&k);
            let new = match (self.model, row) {
                (Model::Aggregate, Some(old)) => Row {
                    sum: match (old.sum, a) {
                        (Some(x), Some(y)) => Some(x + y),
                        (x, y) => x.or(y),
                    },
                    min: fold_min(old.min, a, true),
                    max: fold_min(old.max, a, false),
                    rep: b.clone(),
                    rinn: b.clone().or(old.rinn),
                    ..old
                },
                _ => Row { a, b: b.clone(), sum: a, min: a, max: a, rep: b.clone(), rinn: b },
            };
            self.rows.insert(k, new);
        }
        let sql = format!("INSERT INTO {} VALUES {}", self.table, values.join(", "));
        let result = db.session().execute_one(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(result.affected_rows, Some(n as u64), "{sql}");
    }

    fn delete_range(&mut self, rng: &mut StdRng, db: &Database) {
        let lo = rng.random_range(0..60i64);
        let hi = lo + rng.random_range(0..6i64);
        let before = self.rows.len();
        self.rows.retain(|k, _| *k < lo || *k > hi);
        let sql = format!("DELETE FROM {} WHERE k BETWEEN {lo} AND {hi}", self.table);
        let result = db.session().execute_one(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(result.affected_rows, Some((before - self.rows.len()) as u64), "{sql}");
    }

    fn delete_by_value(&mut self, rng: &mut StdRng, db: &Database) {
        let t = rng.random_range(-100..150i64);
        let column = if self.model == Model::Aggregate { "sum" } else { "a" };
        let model = self.model;
        self.rows.retain(|_, r| (if model == Model::Aggregate { r.sum } else { r.a }).is_none_or(|v| v <= t));
        let sql = format!("DELETE FROM {} WHERE {column} > {t}", self.table);
        db.session().execute_one(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn update(&mut self, rng: &mut StdRng, db: &Database) {
        let r = rng.random_range(0..4i64);
        for (k, row) in self.rows.iter_mut() {
            if k % 4 == r {
                row.a = row.a.map(|a| a + 1);
                row.b = Some("u".into());
            }
        }
        let sql = format!("UPDATE {} SET a = a + 1, b = 'u' WHERE k % 4 = {r}", self.table);
        db.session().execute_one(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn expected(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|(k, r)| match self.model {
                Model::Aggregate => format!(
                    "{k}|{}|{}|{}|{}|{}",
                    lit_i(r.sum),
                    lit_i(r.min),
                    lit_i(r.max),
                    lit_s(&r.rep),
                    lit_s(&r.rinn)
                ),
                _ => format!("{k}|{}|{}", lit_i(r.a), lit_s(&r.b)),
            })
            .collect()
    }

    fn check(&self, db: &Database, step: &str) {
        let batches =
            db.session().query(&format!("SELECT * FROM {} ORDER BY k", self.table)).expect("the table can be read");
        let mut actual = Vec::new();
        for batch in &batches {
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = batch
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if c.is_null(row) {
                            "NULL".to_string()
                        } else if batch.schema().field(i).data_type() == &arrow::datatypes::DataType::Utf8 {
                            format!("'{}'", array_value_to_string(c, row).unwrap())
                        } else {
                            array_value_to_string(c, row).unwrap()
                        }
                    })
                    .collect();
                actual.push(cells.join("|"));
            }
        }
        assert_eq!(actual, self.expected(), "{:?} table {} after {step}", self.model, self.table);
        let count = db.session().query(&format!("SELECT count(*) FROM {}", self.table)).unwrap();
        let count = array_value_to_string(count[0].column(0), 0).unwrap();
        assert_eq!(count, self.rows.len().to_string(), "count(*) after {step}");
    }

    /// `steps` random operations, checking the whole table after each. May reopen `db`.
    fn run(&mut self, rng: &mut StdRng, mut db: Database, dir: &Path, steps: usize) -> Database {
        for i in 0..steps {
            let op = rng.random_range(0..100);
            let step = match op {
                0..=54 => {
                    self.insert(rng, &db);
                    "insert"
                }
                55..=66 => {
                    self.delete_range(rng, &db);
                    "delete by key"
                }
                67..=74 => {
                    self.delete_by_value(rng, &db);
                    "delete by value"
                }
                75..=84 if self.model == Model::Primary => {
                    self.update(rng, &db);
                    "update"
                }
                85..=92 => {
                    db.compact().expect("compaction");
                    "compaction"
                }
                93..=99 => {
                    db.close().expect("close");
                    db = Database::open_with(dir, options()).expect("reopen");
                    "reopen"
                }
                _ => continue,
            };
            self.check(&db, &format!("step {i} ({step})"));
        }
        db
    }
}

fn random_steps_match_the_model(model: Model, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let copy_dir = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), options()).unwrap();
    db.session()
        .execute(&format!("CREATE DATABASE d; USE d; {}", create_sql(model, "t")))
        .expect("the table is created");
    let mut harness = Harness { model, table: "d.t".into(), rows: BTreeMap::new() };
    let db = harness.run(&mut rng, db, dir.path(), 150);

    // Back up what the table holds now (deleted rows and replaced versions included in its files).
    let mut session = db.session();
    session.execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", repo.path().display())).expect("repository");
    let job = session.execute_one("BACKUP SNAPSHOT d.s TO r ON (TABLE t)").unwrap().job.unwrap();
    assert_eq!(db.wait_for_backup(job).unwrap().state, BackupState::Finished);
    drop(session);

    // Restore into another directory under another name, then keep writing there.
    let copy = Database::open_with(copy_dir.path(), options()).unwrap();
    let mut session = copy.session();
    session
        .execute(&format!("CREATE READ ONLY REPOSITORY r ON LOCATION '{}'", repo.path().display()))
        .expect("repository in the copy");
    let job = session.execute_one("RESTORE SNAPSHOT d.s FROM r ON (TABLE t AS t2)").unwrap().job.unwrap();
    assert_eq!(copy.wait_for_restore(job).unwrap().state, RestoreState::Finished);
    drop(session);
    let mut restored = Harness { model, table: "d.t2".into(), rows: harness.rows.clone() };
    restored.check(&copy, "RESTORE");
    let copy = restored.run(&mut rng, copy, copy_dir.path(), 60);
    copy.close().unwrap();

    // The original is untouched by what happened to the copy.
    harness.check(&db, "the copy's changes");
    db.close().unwrap();
}

#[test]
fn primary_key_table_matches_the_model() {
    random_steps_match_the_model(Model::Primary, 11);
}

#[test]
fn unique_key_table_matches_the_model() {
    random_steps_match_the_model(Model::Unique, 22);
}

#[test]
fn aggregate_key_table_matches_the_model() {
    random_steps_match_the_model(Model::Aggregate, 33);
}

/// SHOW CREATE TABLE output re-creates the same table, for every key model.
#[test]
fn show_create_table_round_trips_every_key_model() {
    let db = Database::open_temporary().unwrap();
    let mut session = db.session();
    session.execute("CREATE DATABASE a; CREATE DATABASE b; USE a").unwrap();
    for (i, model) in [Model::Primary, Model::Unique, Model::Aggregate].into_iter().enumerate() {
        session.execute(&create_sql(model, &format!("t{i}"))).unwrap();
        let show = |session: &mut tessera::Session, db: &str| {
            let batches = session.query(&format!("SHOW CREATE TABLE {db}.t{i}")).unwrap();
            array_value_to_string(batches[0].column(1), 0).unwrap()
        };
        let text = show(&mut session, "a");
        session.execute(&format!("USE b; {text}; USE a")).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(show(&mut session, "b"), text, "{model:?}");
    }
}

/// Background compaction merges a keyed tablet's small segments after a burst of single-row upserts,
/// even though every upsert still holds the table's lock when it tells the compactor.
#[test]
fn background_compaction_catches_up_after_a_burst_of_upserts() {
    let options = Options {
        storage: StoreOptions {
            segment_max_rows: 100,
            row_group_rows: 10,
            compaction: true,
            compaction_min_segments: 3,
        },
        threads: 2,
        ..Options::default()
    };
    let db = Database::open_temporary_with(options).unwrap();
    let mut session = db.session();
    session.execute("CREATE DATABASE d; USE d; CREATE TABLE t (k INT NOT NULL, v INT) PRIMARY KEY(k)").unwrap();
    for i in 0..12 {
        session.execute(&format!("INSERT INTO t VALUES ({}, {i})", i % 5)).unwrap();
    }
    let segments = |session: &mut tessera::Session| -> u64 {
        let batches = session.query("SHOW PARTITIONS FROM t").unwrap();
        let column = batches[0].schema().index_of("SegmentCount").unwrap();
        array_value_to_string(batches[0].column(column), 0).unwrap().parse().unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while segments(&mut session) > 2 {
        assert!(std::time::Instant::now() < deadline, "still {} segments", segments(&mut session));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rows = session.query("SELECT count(*), sum(v) FROM t").unwrap();
    assert_eq!(array_value_to_string(rows[0].column(0), 0).unwrap(), "5");
    assert_eq!(array_value_to_string(rows[0].column(1), 0).unwrap(), (7 + 8 + 9 + 10 + 11).to_string());
}
