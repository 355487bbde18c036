//! Runs the sqllogictest corpus in `tests/slt/` under every configuration:
//!
//! - `default`: default options, one database per file.
//! - `tiny_reopen`: segments of at most 2 rows and row groups of 1 row (so partition, bucket, segment and
//!   row-group pruning all have work to do), compaction on, a cache of decoded columns of 8 KiB (so
//!   scans keep evicting and decoding), and the database closed and reopened before every statement
//!   (so every statement's effect must be durable and recoverable).
//!
//! - `round_trip`: the cache of decoded columns turned off (scans go through DataFusion's Parquet scan,
//!   with page pruning), and before every query (SELECT / WITH), each database with tables, views or functions is
//!   backed up, all of them are restored into a fresh data directory, and the query runs there: every
//!   expected result then also checks that BACKUP and RESTORE preserve the data, the views and the
//!   functions exactly.
//!
//! Outputs that depend on the configuration or on timing are reduced before comparison, so the same
//! expected results hold everywhere:
//! - `SHOW PARTITIONS` drops `PartitionId`, `VisibleVersion`, `DataSize` and `SegmentCount` (ids,
//!   versions and file layout differ with segment size and background compaction);
//! - `EXPLAIN` keeps only its `tessera_scan` lines, cut after the tablet counts, one row per scan (the
//!   rest of the plan names temporary file paths). Segment-level pruning is tested in `tests/pruning.rs`
//!   with fixed options.
//!
//! - `SHOW MATERIALIZED VIEWS` drops its id, refresh times and text (see SHOW CREATE MATERIALIZED VIEW).
//! - `SHOW BACKUP` drops its id, time and Progress columns (file counts depend on segment sizes), `SHOW SNAPSHOT` its `Timestamp` column (and `Details`),
//!   `SHOW REPOSITORIES` its id, time and location columns, `SHOW RESTORE` its id, backup timestamp,
//!   time and Progress columns.
//!
//! Like the CLI, the harness waits for a backup or restore job a statement started before it returns,
//! so a file reads as a script a user would run. (Asynchronous behaviour is tested in `tests/backup.rs`
//! and `tests/restore.rs`.)
//! Files use `control substitution on` and `$__TEST_DIR__` for repository locations.
//!
//! Files can also use `skipif <config>` / `onlyif <config>`.

use std::path::{Path, PathBuf};

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use sqllogictest::{DBOutput, DefaultColumnType};
use tessera::{Database, Options, StoreOptions};

#[derive(Debug, Clone, Copy)]
enum Config {
    Default,
    TinyReopen,
    /// Every query runs against a copy made by BACKUP of each database and RESTORE into a fresh data
    /// directory, so every expected result also checks that backups restore exactly.
    RoundTrip,
}

impl Config {
    fn label(self) -> &'static str {
        match self {
            Config::Default => "default",
            Config::TinyReopen => "tiny_reopen",
            Config::RoundTrip => "round_trip",
        }
    }

    fn options(self) -> Options {
        match self {
            Config::Default => Options::default(),
            // Without the cache of decoded columns: scans go through DataFusion's Parquet scan.
            Config::RoundTrip => Options { scan_cache_bytes: 0, ..Options::default() },
            // A cache far smaller than the data, so that scans keep evicting and decoding again.
            Config::TinyReopen => Options {
                storage: StoreOptions {
                    segment_max_rows: 2,
                    row_group_rows: 1,
                    compaction: true,
                    compaction_min_segments: 4,
                },
                threads: 2,
                scan_cache_bytes: 8 << 10,
                ..Options::default()
            },
        }
    }
}

#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

struct Harness {
    config: Config,
    dir: PathBuf,
    db: Option<Database>,
    current_database: Option<String>,
    /// Repository and restored copies of the round-trip configuration.
    scratch: Option<tempfile::TempDir>,
    round_trips: u64,
}

impl Harness {
    fn database(&mut self) -> Result<Database, SltError> {
        if matches!(self.config, Config::TinyReopen) {
            if let Some(db) = self.db.take() {
                db.close().map_err(|e| SltError(format!("close failed: {e}")))?;
            }
        }
        if self.db.is_none() {
            let db = Database::open_with(&self.dir, self.config.options())
                .map_err(|e| SltError(format!("open failed: {e}")))?;
            self.db = Some(db);
        }
        Ok(self.db.clone().expect("opened just above"))
    }
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DefaultColumnType::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(_, _) => {
            DefaultColumnType::FloatingPoint
        }
        _ => DefaultColumnType::Text,
    }
}

impl Harness {
    /// Backs up every database that has tables, restores them all into a fresh data directory, and runs
    /// `sql` there (in the current database).
    fn round_trip(&mut self, db: &Database, sql: &str) -> Result<Vec<tessera::StatementResult>, SltError> {
        let fail = |what: &str, e: String| SltError(format!("round trip: {what}: {e}"));
        if self.scratch.is_none() {
            let scratch = tempfile::tempdir().map_err(|e| fail("scratch directory", e.to_string()))?;
            std::fs::create_dir_all(scratch.path().join("repo"))
                .map_err(|e| fail("repository folder", e.to_string()))?;
            db.session()
                .execute(&format!(
                    "CREATE REPOSITORY round_trip ON LOCATION '{}'",
                    scratch.path().join("repo").display()
                ))
                .map_err(|e| fail("CREATE REPOSITORY", e.to_string()))?;
            self.scratch = Some(scratch);
        }
        let scratch = self.scratch.as_ref().map(|s| s.path().to_path_buf()).unwrap_or_default();
        self.round_trips += 1;
        let n = self.round_trips;
        let mut session = db.session();
        let databases: Vec<String> =
            string_column(&session.execute_one("SHOW DATABASES").map_err(|e| fail("SHOW DATABASES", e.to_string()))?);
        let mut labels = Vec::new();
        for (i, name) in databases.iter().enumerate() {
            let tables = session
                .execute_one(&format!("SHOW TABLES FROM `{name}`"))
                .map_err(|e| fail("SHOW TABLES", e.to_string()))?;
            // Views are listed with the tables; a database holding only functions is backed up too.
            let functions = session
                .execute_one(&format!("SHOW FUNCTIONS FROM `{name}`"))
                .map_err(|e| fail("SHOW FUNCTIONS", e.to_string()))?;
            if tables.num_rows() == 0 && functions.num_rows() == 0 {
                continue;
            }
            let label = format!("rt_{n}_{i}");
            let result = session
                .execute_one(&format!("BACKUP DATABASE `{name}` SNAPSHOT {label} TO round_trip"))
                .map_err(|e| fail("BACKUP", e.to_string()))?;
            let job = db.wait_for_backup(result.job.unwrap_or_default()).map_err(|e| fail("BACKUP", e.to_string()))?;
            if job.state != tessera::BackupState::Finished {
                return Err(fail("BACKUP", job.status));
            }
            labels.push(label);
        }
        drop(session);
        let copy_dir = scratch.join(format!("copy-{n}"));
        let copy = Database::open(&copy_dir).map_err(|e| fail("open the copy", e.to_string()))?;
        let mut restored = copy.session();
        restored
            .execute(&format!(
                "CREATE READ ONLY REPOSITORY round_trip ON LOCATION '{}'",
                scratch.join("repo").display()
            ))
            .map_err(|e| fail("CREATE REPOSITORY in the copy", e.to_string()))?;
        for label in &labels {
            let result = restored
                .execute_one(&format!("RESTORE SNAPSHOT {label} FROM round_trip"))
                .map_err(|e| fail("RESTORE", e.to_string()))?;
            let job =
                copy.wait_for_restore(result.job.unwrap_or_default()).map_err(|e| fail("RESTORE", e.to_string()))?;
            if job.state != tessera::RestoreState::Finished {
                return Err(fail("RESTORE", job.status));
            }
        }
        if let Some(name) = &self.current_database {
            let _ = restored.execute(&format!("USE `{name}`"));
        }
        let outcome = restored.execute(sql).map_err(|e| SltError(e.to_string()));
        drop(restored);
        drop(copy);
        let _ = std::fs::remove_dir_all(&copy_dir);
        outcome
    }
}

/// The values of the first column of a result.
fn string_column(result: &tessera::StatementResult) -> Vec<String> {
    let mut out = Vec::new();
    for batch in &result.batches {
        if let Some(values) = batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>() {
            out.extend((0..values.len()).map(|i| values.value(i).to_string()));
        }
    }
    out
}

impl sqllogictest::DB for Harness {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let db = self.database()?;
        let head = sql.trim_start().to_ascii_uppercase();
        let results =
            if matches!(self.config, Config::RoundTrip) && (head.starts_with("SELECT") || head.starts_with("WITH")) {
                self.round_trip(&db, sql)?
            } else {
                let mut session = db.session();
                if let Some(name) = &self.current_database {
                    // The database may have been dropped by the previous statement.
                    let _ = session.execute(&format!("USE `{name}`"));
                }
                let outcome = session.execute(sql);
                self.current_database = session.current_database().map(str::to_string);
                drop(session);
                outcome.map_err(|e| SltError(e.to_string()))?
            };
        let Some(last) = results.last() else { return Ok(DBOutput::StatementComplete(0)) };
        if head.starts_with("EXPLAIN") {
            return Ok(explain_scans(last));
        }
        if let Some(job) = last.job {
            if db.restore_job(job).is_some() {
                db.wait_for_restore(job).map_err(|e| SltError(e.to_string()))?;
            } else {
                db.wait_for_backup(job).map_err(|e| SltError(e.to_string()))?;
            }
        }
        let hidden: &[&str] = if head.starts_with("SHOW PARTITIONS") {
            &["PartitionId", "VisibleVersion", "DataSize", "SegmentCount"]
        } else if head.starts_with("SHOW BACKUP") {
            &["JobId", "CreateTime", "SnapshotFinishedTime", "UploadFinishedTime", "FinishedTime", "Progress"]
        } else if head.starts_with("SHOW RESTORE") {
            &[
                "JobId",
                "Timestamp",
                "CreateTime",
                "MetaPreparedTime",
                "SnapshotFinishedTime",
                "DownloadFinishedTime",
                "FinishedTime",
                "Progress",
            ]
        } else if head.starts_with("SHOW SNAPSHOT") {
            &["Timestamp", "Details"]
        } else if head.starts_with("SHOW MATERIALIZED VIEWS") {
            &["id", "last_refresh_start_time", "last_refresh_finished_time", "last_refresh_duration", "text"]
        } else if head.starts_with("SHOW REPOSITORIES") {
            &["RepoId", "CreateTime", "Location"]
        } else {
            &[]
        };
        if !last.has_rows() {
            return Ok(DBOutput::StatementComplete(last.affected_rows.unwrap_or(0)));
        }
        let shown: Vec<usize> = (0..last.schema.fields().len())
            .filter(|i| !hidden.contains(&last.schema.field(*i).name().as_str()))
            .collect();
        let types = shown.iter().map(|i| column_type(last.schema.field(*i).data_type())).collect();
        let options = FormatOptions::default().with_null("NULL").with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"));
        let mut rows = Vec::new();
        for batch in &last.batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref() as &dyn Array, &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SltError(e.to_string()))?;
            for row in 0..batch.num_rows() {
                rows.push(
                    shown
                        .iter()
                        .map(|i| &formatters[*i])
                        .map(|f| {
                            let text = f.value(row).to_string();
                            if text.is_empty() {
                                "(empty)".to_string()
                            } else {
                                text
                            }
                        })
                        .collect(),
                );
            }
        }
        // A multi-line value (SHOW CREATE TABLE) is compared line by line, as the .slt file writes it.
        let rows = rows
            .into_iter()
            .flat_map(|row: Vec<String>| {
                if row.iter().any(|c| c.contains('\n')) {
                    row.join(" ").lines().map(|l| vec![l.to_string()]).collect()
                } else {
                    vec![row]
                }
            })
            .collect();
        Ok(DBOutput::Rows { types, rows })
    }
}

/// The `tessera_scan` lines of an EXPLAIN, up to the tablet counts.
fn explain_scans(result: &tessera::StatementResult) -> DBOutput<DefaultColumnType> {
    let mut rows = Vec::new();
    for batch in &result.batches {
        let (Some(kinds), Some(plans)) = (
            batch.column(0).as_any().downcast_ref::<arrow::array::StringArray>(),
            batch.column(1).as_any().downcast_ref::<arrow::array::StringArray>(),
        ) else {
            continue;
        };
        for r in 0..batch.num_rows() {
            if kinds.value(r) != "tessera_scan" {
                continue;
            }
            for line in plans.value(r).lines() {
                let cut = line.find(", segments=").map_or(line, |i| &line[..i]);
                rows.push(vec![cut.to_string()]);
            }
        }
    }
    DBOutput::Rows { types: vec![DefaultColumnType::Text], rows }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    files
}

fn run_corpus(config: Config) {
    let only = std::env::var("SLT_FILTER").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in slt_files() {
        if only.as_ref().is_some_and(|f| !file.to_string_lossy().contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().to_path_buf();
        let mut runner = sqllogictest::Runner::new(move || {
            let path = path.clone();
            async move { Ok(Harness { config, dir: path, db: None, current_database: None, scratch: None, round_trips: 0 }) }
        });
        runner.add_label(config.label());
        if let Err(e) = runner.run_file(&file) {
            failures.push(format!("{} [{}]:\n{e}", file.display(), config.label()));
        }
    }
    assert!(ran > 0, "SLT_FILTER={only:?} matches no .slt file");
    assert!(failures.is_empty(), "{} file(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn slt_default() {
    run_corpus(Config::Default);
}

#[test]
fn slt_tiny_segments_reopen_every_statement() {
    run_corpus(Config::TinyReopen);
}

#[test]
fn slt_backup_restore_into_a_fresh_directory_before_every_query() {
    run_corpus(Config::RoundTrip);
}
