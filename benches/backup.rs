//! BACKUP cost against `cp -r` of the same data files.
//!
//! ```text
//! cargo bench --profile dev --bench backup -- [--gb 1.0] [--copy-to /dev/shm]
//! ```
//!
//! Builds a database of at least `--gb` GiB of segment files (TPC-H-like wide rows of hashes, which
//! compress poorly), then times, in one run:
//! - `cp -r` of the data files (+ sync) to the same filesystem, and to the `--copy-to` filesystem;
//! - BACKUP to a repository on the same filesystem (hard links);
//! - a second BACKUP of the unchanged database (stores nothing);
//! - BACKUP to a repository on the `--copy-to` filesystem (verified copies).
//!
//! - RESTORE of the first snapshot into a fresh data directory, from each repository;
//!
//! and prints each with its ratio to the matching `cp -r`, and the bytes each wrote. The machine is
//! shared and noisy: compare ratios from one run, not absolute times across runs. `--profile dev`
//! reuses the test build (dependencies at opt-level 1); BACKUP's cost is file-system work, which the
//! optimization level barely changes.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{cp_r, dir_bytes, own_bytes, run_backup, run_restore};
use tessera::Database;

fn backup(db: &Database, sql: &str) {
    run_backup(db, sql).expect("BACKUP");
}

fn timed(what: &str, f: impl FnOnce()) -> f64 {
    common::timed(what, f).0
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let gib: f64 = arg("--gb").and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let copy_to = PathBuf::from(arg("--copy-to").unwrap_or_else(|| "/dev/shm".to_string()));
    let target = (gib * (1u64 << 30) as f64) as u64;
    let work = tempfile::Builder::new().prefix("tessera-bench-").tempdir().expect("temporary directory");
    let other = tempfile::Builder::new().prefix("tessera-bench-").tempdir_in(&copy_to).expect("--copy-to directory");
    let data_dir = work.path().join("db");
    let db = Database::open(&data_dir).expect("open");
    let mut s = db.session();
    s.execute(
        "CREATE DATABASE bench; USE bench;
         CREATE TABLE wide (id BIGINT NOT NULL, day DATE NOT NULL, a STRING, b STRING, c STRING)
         DUPLICATE KEY(id)
         PARTITION BY RANGE(day) (
           PARTITION q1 VALUES LESS THAN ('2024-04-01'), PARTITION q2 VALUES LESS THAN ('2024-07-01'),
           PARTITION q3 VALUES LESS THAN ('2024-10-01'), PARTITION q4 VALUES LESS THAN ('2025-01-01'))
         DISTRIBUTED BY HASH(id) BUCKETS 4",
    )
    .expect("schema");
    eprintln!("loading at least {gib} GiB ...");
    let chunk = 2_000_000i64;
    let mut start = 0i64;
    let load = Instant::now();
    while dir_bytes(&data_dir.join("data")) < target {
        s.execute(&format!(
            "INSERT INTO wide SELECT value, DATE '2024-01-01' + CAST(value % 366 AS INT),
                    md5(CAST(value AS VARCHAR)), md5(CAST(value * 7 AS VARCHAR)), md5(CAST(value * 13 AS VARCHAR))
             FROM generate_series({start}, {})",
            start + chunk - 1
        ))
        .expect("load");
        start += chunk;
    }
    db.compact().expect("compact");
    let data_bytes = dir_bytes(&data_dir.join("data"));
    eprintln!(
        "loaded {start} rows, {:.2} GiB of segments in {:.1}s",
        data_bytes as f64 / (1u64 << 30) as f64,
        load.elapsed().as_secs_f64()
    );

    let same_repo = work.path().join("repo");
    let other_repo = other.path().join("repo");
    std::fs::create_dir_all(&same_repo).expect("repo dir");
    std::fs::create_dir_all(&other_repo).expect("repo dir");
    s.execute(&format!(
        "CREATE REPOSITORY same_fs ON LOCATION '{}'; CREATE REPOSITORY other_fs ON LOCATION '{}'",
        same_repo.display(),
        other_repo.display()
    ))
    .expect("repositories");

    eprintln!("measuring ...");
    let cp_same = timed("cp -r, same filesystem", || cp_r(&data_dir.join("data"), &work.path().join("cp-copy")));
    let cp_other = timed("cp -r, other filesystem", || cp_r(&data_dir.join("data"), &other.path().join("cp-copy")));
    std::fs::remove_dir_all(work.path().join("cp-copy")).ok();
    std::fs::remove_dir_all(other.path().join("cp-copy")).ok();
    let b_same = timed("BACKUP, same filesystem", || backup(&db, "BACKUP SNAPSHOT bench.first TO same_fs"));
    let written_same = own_bytes(&same_repo);
    let b_again = timed("BACKUP again, unchanged", || backup(&db, "BACKUP SNAPSHOT bench.second TO same_fs"));
    let written_again = own_bytes(&same_repo) - written_same;
    let b_other = timed("BACKUP, other filesystem", || backup(&db, "BACKUP SNAPSHOT bench.first TO other_fs"));
    let written_other = dir_bytes(&other_repo);
    drop(s);
    let restore = |name: &str, repo_location: &Path| -> f64 {
        let target = work.path().join(format!("restored-{name}"));
        let fresh = Database::open(&target).expect("open a fresh database");
        fresh
            .session()
            .execute(&format!("CREATE READ ONLY REPOSITORY {name} ON LOCATION '{}'", repo_location.display()))
            .expect("repository");
        timed(&format!("RESTORE from {name}"), || {
            run_restore(&fresh, &format!("RESTORE SNAPSHOT bench.first FROM {name}")).expect("RESTORE")
        })
    };
    let r_same = restore("same_fs", &same_repo);
    let r_other = restore("other_fs", &other_repo);

    println!();
    println!(
        "BACKUP of {:.2} GiB ({} rows, {} segment bytes); ratios to cp -r of the same files",
        data_bytes as f64 / (1u64 << 30) as f64,
        start,
        data_bytes
    );
    println!("| operation | seconds | vs cp -r | bytes copied |");
    println!("|---|---|---|---|");
    println!("| cp -r + sync, same filesystem | {cp_same:.3} | 1.00 | {data_bytes} |");
    println!("| cp -r + sync, {} | {cp_other:.3} | 1.00 | {data_bytes} |", copy_to.display());
    println!("| BACKUP, same filesystem (hard links) | {b_same:.3} | {:.3} | {written_same} |", b_same / cp_same);
    println!("| BACKUP again, unchanged | {b_again:.3} | {:.3} | {written_again} |", b_again / cp_same);
    println!(
        "| BACKUP, {} (verified copies) | {b_other:.3} | {:.3} | {written_other} |",
        copy_to.display(),
        b_other / cp_other
    );
    println!("| RESTORE into a fresh directory, same filesystem | {r_same:.3} | {:.3} | |", r_same / cp_same);
    println!(
        "| RESTORE into a fresh directory, from {} | {r_other:.3} | {:.3} | |",
        copy_to.display(),
        r_other / cp_other
    );
}
