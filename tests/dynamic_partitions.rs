//! Dynamic partitioning with a controlled clock: partitions created at CREATE TABLE, when the database
//! opens, on demand and by the background thread; dropped behind `start`; StarRocks' names for every
//! unit; the range cut against an existing partition; ADD/DROP PARTITION refused while enabled.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, StringArray};
use chrono::NaiveDateTime;
use tessera::{Clock, Database, Options};

mod common;
use common::count;

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn at(moment: &str) -> TestClock {
        let clock = TestClock(Arc::new(AtomicI64::new(0)));
        clock.set(moment);
        clock
    }

    fn set(&self, moment: &str) {
        let t = NaiveDateTime::parse_from_str(moment, "%Y-%m-%d %H:%M:%S").expect("test moment");
        self.0.store(t.and_utc().timestamp_millis(), Ordering::SeqCst);
    }

    fn clock(&self) -> Clock {
        let ms = self.0.clone();
        Clock(Arc::new(move || ms.load(Ordering::SeqCst)))
    }
}

/// Options with the test clock and no background thread (passes run when the test asks).
fn options(clock: &TestClock) -> Options {
    Options { clock: clock.clock(), dynamic_partition_interval: Duration::ZERO, ..Options::default() }
}

/// `(name, range)` of each partition, as SHOW PARTITIONS lists them.
fn partitions(db: &Database, table: &str) -> Vec<(String, String)> {
    let result = db.session().execute_one(&format!("SHOW PARTITIONS FROM {table}")).expect("SHOW PARTITIONS");
    let mut out = Vec::new();
    for batch in &result.batches {
        let column = |name: &str| -> &StringArray {
            let index = batch.schema().index_of(name).expect("column");
            batch.column(index).as_any().downcast_ref::<StringArray>().expect("strings")
        };
        let (names, ranges) = (column("PartitionName"), column("Range"));
        for row in 0..batch.num_rows() {
            out.push((names.value(row).to_string(), ranges.value(row).to_string()));
        }
    }
    out
}

fn names(db: &Database, table: &str) -> Vec<String> {
    partitions(db, table).into_iter().map(|(name, _)| name).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const DAILY: &str = "CREATE TABLE d.daily (day DATE NOT NULL, v INT)
    PARTITION BY RANGE(day) ()
    DISTRIBUTED BY HASH(v) BUCKETS 2
    PROPERTIES (\"dynamic_partition.time_unit\" = \"DAY\", \"dynamic_partition.start\" = \"-3\",
                \"dynamic_partition.end\" = \"3\")";

#[test]
fn created_ahead_and_dropped_behind_as_the_clock_moves() {
    let clock = TestClock::at("2020-03-25 10:00:00");
    let db = Database::open_temporary_with(options(&clock)).expect("open");
    db.session().execute(&format!("CREATE DATABASE d; {DAILY}")).expect("create");
    // Today and `end` days ahead exist as soon as the table does (no history: history_partition_num 0).
    assert_eq!(names(&db, "d.daily"), strings(&["p20200325", "p20200326", "p20200327", "p20200328"]));
    assert_eq!(
        partitions(&db, "d.daily")[0].1,
        "[types: [DATE]; keys: [2020-03-25]; ..types: [DATE]; keys: [2020-03-26]; )"
    );
    let mut session = db.session();
    session
        .execute("INSERT INTO d.daily VALUES ('2020-03-25', 1), ('2020-03-26', 2), ('2020-03-28', 3)")
        .expect("insert");
    let err = session.execute("INSERT INTO d.daily VALUES ('2020-03-29', 4)").unwrap_err().to_string();
    assert!(err.contains("no partition of table daily accepts the row with day = 2020-03-29"), "{err}");

    // Nothing to do at the same moment: a pass is idempotent.
    assert_eq!(db.run_dynamic_partitions().expect("pass"), 0);

    clock.set("2020-03-27 00:00:00");
    assert_eq!(db.run_dynamic_partitions().expect("pass"), 1);
    assert_eq!(
        names(&db, "d.daily"),
        strings(&["p20200325", "p20200326", "p20200327", "p20200328", "p20200329", "p20200330"])
    );
    session.execute("INSERT INTO d.daily VALUES ('2020-03-29', 4)").expect("insert into a new partition");

    // Three days later, partitions ending on or before 2020-03-27 (start = -3) are dropped with their rows.
    clock.set("2020-03-30 23:59:59");
    assert_eq!(db.run_dynamic_partitions().expect("pass"), 1);
    assert_eq!(
        names(&db, "d.daily"),
        strings(&["p20200327", "p20200328", "p20200329", "p20200330", "p20200331", "p20200401", "p20200402"])
    );
    assert_eq!(count(&db, "SELECT count(*) FROM d.daily"), 2);
    assert_eq!(db.run_dynamic_partitions().expect("pass"), 0);
}

#[test]
fn names_and_ranges_for_every_unit_with_history() {
    // A Wednesday.
    let clock = TestClock::at("2020-03-25 10:30:00");
    let db = Database::open_temporary_with(options(&clock)).expect("open");
    let mut session = db.session();
    session.execute("CREATE DATABASE d").expect("database");
    let create = |session: &mut tessera::Session, table: &str, column: &str, unit: &str, extra: &str| {
        session
            .execute(&format!(
                "CREATE TABLE d.{table} (k {column}) PARTITION BY RANGE(k) ()
                 PROPERTIES (\"dynamic_partition.time_unit\" = \"{unit}\", \"dynamic_partition.end\" = \"1\",
                             \"dynamic_partition.history_partition_num\" = \"1\" {extra})"
            ))
            .unwrap_or_else(|e| panic!("create {table}: {e}"));
    };
    create(&mut session, "hourly", "DATETIME", "HOUR", "");
    create(&mut session, "weekly", "DATE", "WEEK", "");
    create(&mut session, "weekly_sunday", "DATE", "WEEK", ", \"dynamic_partition.start_day_of_week\" = \"7\"");
    create(&mut session, "monthly", "DATE", "MONTH", ", \"dynamic_partition.prefix\" = \"m_\"");
    create(&mut session, "monthly_from_26", "DATE", "MONTH", ", \"dynamic_partition.start_day_of_month\" = \"26\"");
    create(&mut session, "yearly", "DATETIME", "YEAR", "");

    assert_eq!(names(&db, "d.hourly"), strings(&["p2020032509", "p2020032510", "p2020032511"]));
    assert_eq!(
        partitions(&db, "d.hourly")[1].1,
        "[types: [DATETIME]; keys: [2020-03-25 10:00:00]; ..types: [DATETIME]; keys: [2020-03-25 11:00:00]; )"
    );
    // Weeks start on Monday by default and are named yyyy_ww (StarRocks' week of the year).
    assert_eq!(names(&db, "d.weekly"), strings(&["p2020_12", "p2020_13", "p2020_14"]));
    assert_eq!(
        partitions(&db, "d.weekly")[1].1,
        "[types: [DATE]; keys: [2020-03-23]; ..types: [DATE]; keys: [2020-03-30]; )"
    );
    assert_eq!(
        partitions(&db, "d.weekly_sunday")[1].1,
        "[types: [DATE]; keys: [2020-03-22]; ..types: [DATE]; keys: [2020-03-29]; )"
    );
    assert_eq!(names(&db, "d.monthly"), strings(&["m_202002", "m_202003", "m_202004"]));
    // Before the 26th, the current partition is the one that began on the 26th of last month.
    assert_eq!(names(&db, "d.monthly_from_26"), strings(&["p202001", "p202002", "p202003"]));
    assert_eq!(
        partitions(&db, "d.monthly_from_26")[1].1,
        "[types: [DATE]; keys: [2020-02-26]; ..types: [DATE]; keys: [2020-03-26]; )"
    );
    assert_eq!(names(&db, "d.yearly"), strings(&["p2019", "p2020", "p2021"]));
}

#[test]
fn an_existing_partition_shortens_the_new_range_or_takes_its_place() {
    // StarRocks' example: a month partition covers the start of this week's range, which is cut to
    // begin where the month ends.
    let clock = TestClock::at("2022-08-30 12:00:00");
    let db = Database::open_temporary_with(options(&clock)).expect("open");
    db.session()
        .execute(
            "CREATE DATABASE d;
             CREATE TABLE d.t (k DATE) PARTITION BY RANGE(k) (
                 PARTITION p202208 VALUES [('2022-08-01'), ('2022-09-01')),
                 PARTITION p_next VALUES [('2022-09-05'), ('2022-09-12')))
             PROPERTIES (\"dynamic_partition.time_unit\" = \"WEEK\", \"dynamic_partition.end\" = \"2\")",
        )
        .expect("create");
    assert_eq!(
        partitions(&db, "d.t"),
        vec![
            (
                "p202208".to_string(),
                "[types: [DATE]; keys: [2022-08-01]; ..types: [DATE]; keys: [2022-09-01]; )".to_string()
            ),
            (
                "p2022_36".to_string(),
                "[types: [DATE]; keys: [2022-09-01]; ..types: [DATE]; keys: [2022-09-05]; )".to_string()
            ),
            (
                "p_next".to_string(),
                "[types: [DATE]; keys: [2022-09-05]; ..types: [DATE]; keys: [2022-09-12]; )".to_string()
            ),
            (
                "p2022_38".to_string(),
                "[types: [DATE]; keys: [2022-09-12]; ..types: [DATE]; keys: [2022-09-19]; )".to_string()
            ),
        ]
    );
}

#[test]
fn applied_when_the_database_opens() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = TestClock::at("2021-06-30 08:00:00");
    {
        let db = Database::open_with(dir.path(), options(&clock)).expect("open");
        db.session().execute(&format!("CREATE DATABASE d; {DAILY}")).expect("create");
        db.session().execute("INSERT INTO d.daily VALUES ('2021-07-01', 1)").expect("insert");
        db.close().expect("close");
    }
    clock.set("2021-07-04 01:00:00");
    let db = Database::open_with(dir.path(), options(&clock)).expect("reopen");
    assert_eq!(
        names(&db, "d.daily"),
        strings(&["p20210701", "p20210702", "p20210703", "p20210704", "p20210705", "p20210706", "p20210707"])
    );
    assert_eq!(count(&db, "SELECT count(*) FROM d.daily"), 1);
}

#[test]
fn the_background_thread_keeps_tables_up_to_date() {
    let clock = TestClock::at("2020-01-01 00:00:00");
    let options = Options { dynamic_partition_interval: Duration::from_millis(20), ..options(&clock) };
    let db = Database::open_temporary_with(options).expect("open");
    db.session().execute(&format!("CREATE DATABASE d; {DAILY}")).expect("create");
    assert_eq!(names(&db, "d.daily").last().map(String::as_str), Some("p20200104"));
    clock.set("2020-01-10 00:00:00");
    // Waits for the thread to notice; the bound only keeps a broken build from hanging.
    let deadline = Instant::now() + Duration::from_secs(120);
    while names(&db, "d.daily").last().map(String::as_str) != Some("p20200113") {
        assert!(Instant::now() < deadline, "the background thread never added p20200113: {:?}", names(&db, "d.daily"));
        std::thread::sleep(Duration::from_millis(10));
    }
    // Everything ending on or before 2020-01-07 is gone; only today and the days ahead remain.
    assert_eq!(names(&db, "d.daily"), strings(&["p20200110", "p20200111", "p20200112", "p20200113"]));
    // Closing stops and joins the thread, so the directory is released.
    db.close().expect("close");
}

#[test]
fn partitions_are_managed_only_by_the_properties_while_enabled() {
    let clock = TestClock::at("2020-03-25 10:00:00");
    let db = Database::open_temporary_with(options(&clock)).expect("open");
    let mut session = db.session();
    session.execute(&format!("CREATE DATABASE d; {DAILY}")).expect("create");
    for statement in [
        "ALTER TABLE d.daily ADD PARTITION p1 VALUES [('2021-01-01'), ('2021-01-02'))",
        "ALTER TABLE d.daily DROP PARTITION p20200325",
    ] {
        let err = session.execute(statement).unwrap_err().to_string();
        assert!(
            err.contains("Cannot add/drop partition on a Dynamic Partition Table: table daily has dynamic_partition.enable = true"),
            "{statement}: {err}"
        );
    }
    assert_eq!(names(&db, "d.daily").len(), 4);
}

/// A restored dynamic table comes back with dynamic partitioning disabled, so old restored partitions
/// are not dropped by the next pass; ALTER TABLE ... SET turns it back on (and off).
#[test]
fn restored_tables_keep_their_old_partitions_until_dynamic_partitioning_is_turned_back_on() {
    let clock = TestClock::at("2020-03-25 10:00:00");
    let repo = tempfile::tempdir().expect("repository");
    let db = Database::open_temporary_with(options(&clock)).expect("open");
    let mut session = db.session();
    session.execute(&format!("CREATE DATABASE d; {DAILY}")).expect("create");
    session.execute("INSERT INTO d.daily VALUES ('2020-03-25', 1), ('2020-03-26', 2)").expect("insert");
    session.execute(&format!("CREATE REPOSITORY r ON LOCATION '{}'", repo.path().display())).expect("repository");
    let job = session.execute_one("BACKUP SNAPSHOT d.s TO r ON (daily)").expect("backup").job.expect("job");
    assert_eq!(db.wait_for_backup(job).expect("job").state, tessera::BackupState::Finished);

    // A month later, the old data is restored under another name.
    clock.set("2020-04-25 10:00:00");
    let job = session.execute_one("RESTORE SNAPSHOT d.s FROM r ON (daily AS old)").expect("restore").job.expect("job");
    assert_eq!(db.wait_for_restore(job).expect("job").state, tessera::RestoreState::Finished);
    let show = db.session().query("SHOW CREATE TABLE d.old").expect("show");
    let text = show[0].column(1).as_any().downcast_ref::<StringArray>().expect("text").value(0).to_string();
    assert!(text.contains("\"dynamic_partition.enable\" = \"false\""), "{text}");
    db.run_dynamic_partitions().expect("pass");
    assert_eq!(count(&db, "SELECT count(*) FROM d.old"), 2, "restored rows survive the pass");
    assert!(names(&db, "d.old").contains(&"p20200325".to_string()));

    // Turned back on, the table follows its properties again: the old partitions go.
    session.execute("ALTER TABLE d.old SET (\"dynamic_partition.enable\" = \"true\")").expect("enable");
    assert_eq!(count(&db, "SELECT count(*) FROM d.old"), 0);
    assert!(names(&db, "d.old").contains(&"p20200428".to_string()), "{:?}", names(&db, "d.old"));
    let err = session.execute("ALTER TABLE d.old SET (\"dynamic_partition.end\" = \"x\")").unwrap_err().to_string();
    assert!(err.contains("table old: Invalid dynamic partition end x"), "{err}");
    let err = session.execute("ALTER TABLE d.old SET (\"colour\" = \"red\")").unwrap_err().to_string();
    assert!(err.contains("unknown properties [colour]"), "{err}");
}
