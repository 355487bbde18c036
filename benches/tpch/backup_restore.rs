//! BACKUP and RESTORE of the loaded TPC-H database, against `cp -r` + sync of its segment files and
//! against DuckDB's EXPORT DATABASE / IMPORT DATABASE (Parquet) of the same data.
//!
//! In one run: `cp -r` of the data files within the work filesystem, to the other filesystem and back;
//! BACKUP to a repository on the same filesystem (hard links), a second unchanged BACKUP, BACKUP to a
//! repository on the other filesystem (verified copies); RESTORE of the first snapshot from each
//! repository into a fresh database (checked by a row count); then DuckDB's EXPORT and IMPORT.

use std::path::Path;

use tessera::Database;

use crate::common::{cp_r, dir_bytes, own_bytes, run_backup, run_restore, timed};
use crate::peers::Peers;
use crate::report::Operation;

/// The `cp -r` + sync baselines, in seconds.
struct Copies {
    same: f64,
    to_other: f64,
    from_other: f64,
}

fn copies(data: &Path, work: &Path, other: &Path) -> Copies {
    let (same, ()) = timed("cp -r + sync, same filesystem", || cp_r(data, &work.join("cp-copy")));
    let (to_other, ()) = timed("cp -r + sync, to the other filesystem", || cp_r(data, &other.join("cp-copy")));
    let (from_other, ()) =
        timed("cp -r + sync, from the other filesystem", || cp_r(&other.join("cp-copy"), &work.join("cp-back")));
    for dir in [work.join("cp-copy"), other.join("cp-copy"), work.join("cp-back")] {
        let _ = std::fs::remove_dir_all(dir);
    }
    Copies { same, to_other, from_other }
}

/// Restores snapshot `tpch.first` from the repository at `location` into a fresh database under `work`;
/// the seconds and the bytes the restore wrote (files not hard-linked).
fn restore(name: &str, location: &Path, work: &Path, expected_lineitem_rows: u64) -> Result<(f64, u64), String> {
    let target = work.join(format!("restored-{name}"));
    let fresh = Database::open(&target).map_err(|e| e.to_string())?;
    fresh
        .session()
        .execute(&format!("CREATE READ ONLY REPOSITORY {name} ON LOCATION '{}'", location.display()))
        .map_err(|e| e.to_string())?;
    let (seconds, result) = timed(&format!("RESTORE from {name}"), || {
        run_restore(&fresh, &format!("RESTORE SNAPSHOT tpch.first FROM {name}"))
    });
    result?;
    let restored = lineitem_rows(&fresh)?;
    if restored != expected_lineitem_rows {
        return Err(format!("restored lineitem has {restored} rows, expected {expected_lineitem_rows}"));
    }
    let written = own_bytes(&target);
    drop(fresh);
    let _ = std::fs::remove_dir_all(&target);
    Ok((seconds, written))
}

fn lineitem_rows(db: &Database) -> Result<u64, String> {
    let batches = db.session().query("SELECT count(*) FROM tpch.lineitem").map_err(|e| e.to_string())?;
    let text = arrow::util::display::array_value_to_string(batches[0].column(0), 0).map_err(|e| e.to_string())?;
    text.parse().map_err(|_| format!("count(*) returned {text}"))
}

/// Runs every measurement; `db` is the loaded database at `db_dir`, `work` a scratch directory on the
/// same filesystem and `other` one on another filesystem (named `other_name` in the table).
pub fn run(
    db: &Database,
    db_dir: &Path,
    work: &Path,
    (other, other_name): (&Path, &Path),
    peers: Option<&Peers>,
) -> Vec<Operation> {
    let data = db_dir.join("data");
    let data_bytes = dir_bytes(&data);
    eprintln!("BACKUP and RESTORE of {:.0} MB of segment files ...", data_bytes as f64 / 1e6);
    let expected_rows = match lineitem_rows(db) {
        Ok(n) => n,
        Err(e) => return vec![Operation::new("count lineitem rows", Err(e))],
    };
    let copies = copies(&data, work, other);
    let same_repo = work.join("repo");
    let other_repo = other.join("repo");
    // A reused database (--db) still has the previous run's repositories, whose folders are gone.
    for name in ["same_fs", "other_fs"] {
        let _ = db.session().execute(&format!("DROP REPOSITORY {name}"));
    }
    let created = std::fs::create_dir_all(&same_repo)
        .and_then(|()| std::fs::create_dir_all(&other_repo))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            db.session()
                .execute(&format!(
                    "CREATE REPOSITORY same_fs ON LOCATION '{}'; CREATE REPOSITORY other_fs ON LOCATION '{}'",
                    same_repo.display(),
                    other_repo.display()
                ))
                .map_err(|e| e.to_string())
        });
    if let Err(e) = created {
        return vec![Operation::new("CREATE REPOSITORY", Err(e))];
    }

    let backup = |what: &str, sql: &str| -> Result<f64, String> {
        let (seconds, result) = timed(what, || run_backup(db, sql));
        result.map(|()| seconds)
    };
    let b_same = backup("BACKUP, same filesystem", "BACKUP SNAPSHOT tpch.first TO same_fs");
    let written_same = own_bytes(&same_repo);
    let b_again = backup("BACKUP again, unchanged", "BACKUP SNAPSHOT tpch.second TO same_fs");
    let written_again = own_bytes(&same_repo).saturating_sub(written_same);
    let b_other = backup("BACKUP, other filesystem", "BACKUP SNAPSHOT tpch.first TO other_fs");
    let written_other = dir_bytes(&other_repo);
    let r_same = restore("same_fs", &same_repo, work, expected_rows);
    let r_other = restore("other_fs", &other_repo, work, expected_rows);

    let duckdb = peers.map(|p| p.export_import(work));
    let (export, import) = match &duckdb {
        Some(Ok(d)) => (Some(d.export_seconds), Some(d.import_seconds)),
        _ => (None, None),
    };
    let restored = |r: Result<(f64, u64), String>| -> (Result<f64, String>, u64) {
        match r {
            Ok((s, bytes)) => (Ok(s), bytes),
            Err(e) => (Err(e), 0),
        }
    };
    let (r_same, r_same_bytes) = restored(r_same);
    let (r_other, r_other_bytes) = restored(r_other);
    let mut ops = vec![
        Operation::new("cp -r + sync of the segment files, same filesystem", Ok(copies.same)).bytes(data_bytes),
        Operation::new(format!("cp -r + sync, to {}", other_name.display()), Ok(copies.to_other)).bytes(data_bytes),
        Operation::new(format!("cp -r + sync, from {}", other_name.display()), Ok(copies.from_other)).bytes(data_bytes),
        Operation::new("BACKUP, same filesystem (hard links)", b_same)
            .against(Some(copies.same), export)
            .bytes(written_same),
        Operation::new("BACKUP again, unchanged", b_again).against(Some(copies.same), export).bytes(written_again),
        Operation::new(format!("BACKUP to {} (verified copies)", other_name.display()), b_other)
            .against(Some(copies.to_other), export)
            .bytes(written_other),
        Operation::new("RESTORE into a fresh database, same filesystem", r_same)
            .against(Some(copies.same), import)
            .bytes(r_same_bytes),
        Operation::new(format!("RESTORE into a fresh database, from {}", other_name.display()), r_other)
            .against(Some(copies.from_other), import)
            .bytes(r_other_bytes),
    ];
    match duckdb {
        Some(Ok(d)) => {
            ops.push(
                Operation::new("DuckDB EXPORT DATABASE (FORMAT parquet)", Ok(d.export_seconds))
                    .against(Some(copies.same), Some(d.export_seconds))
                    .bytes(d.export_bytes),
            );
            ops.push(
                Operation::new("DuckDB IMPORT DATABASE", Ok(d.import_seconds))
                    .against(Some(copies.same), Some(d.import_seconds))
                    .bytes(d.import_bytes),
            );
        }
        Some(Err(e)) => ops.push(Operation::new("DuckDB EXPORT / IMPORT DATABASE", Err(e))),
        None => {}
    }
    ops
}
