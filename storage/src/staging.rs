//! Staging: bringing segment files from outside (a backup repository) into the data directory.
//!
//! A restore job owns one folder `staging/<name>/` (for example `restore-42`). [`stage`] puts one file
//! there under `<checksum>.parquet`: a hard link when the source is on the same filesystem, a byte copy
//! otherwise. Either way the bytes are hashed (BLAKE3; a copy is hashed while it is copied) and checked
//! against the checksum the caller expects; then the file is fsynced (a linked file too: the repository
//! may have been copied in by a tool that never fsynced it; for a file already on disk this costs
//! little). A file that does not match is removed and the call fails with [`StorageError::Corruption`].
//! Staging is thread-safe: a job stages its files from several threads at once.
//!
//! [`adopt`] links a staged file to a new segment path `data/<tablet>/<segment>.parquet` (same
//! filesystem, so no copy); `Store::adopt_staged` turns such links into pending segments with fresh
//! ids, and the commit that names them fsyncs their folders first, which makes the new entries durable
//! (the bytes already are, since staging). Linking rather than renaming lets one staged file serve
//! several tablets (the repository stores identical files once). The caller then commits every pending
//! segment in ONE transaction. Entries under `staging/` themselves are never fsynced: nothing refers to
//! them, and a crash empties the folder anyway.
//!
//! What stays true: nothing under `staging/` is referenced by the metadata, so nothing staged is visible
//! before that single commit; a pending segment dropped uncommitted deletes its link; the job removes its
//! folder when it ends ([`release`]), and `Store::open` empties `staging/` (and removes uncommitted links
//! under `data/` as orphans), so a crash at any point leaves the old state exactly as it was.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result, StorageError};
use crate::segment::SegmentMeta;

/// One file staged for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub checksum: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// True when it is a hard link to the source, false when the bytes were copied.
    pub linked: bool,
}

/// Checks that a staging folder name is one path component.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(StorageError::InvalidInput(format!("invalid staging folder name {name:?}")));
    }
    Ok(())
}

fn check_checksum(checksum: &str) -> Result<()> {
    if checksum.len() != 64 || !checksum.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StorageError::InvalidInput(format!("{checksum:?} is not a BLAKE3 checksum")));
    }
    Ok(())
}

/// Hashes `reader` to the end, optionally writing every byte to `copy`. Returns (BLAKE3 hex, bytes).
pub(crate) fn hash_stream(mut reader: impl Read, mut copy: Option<&mut File>, path: &Path) -> Result<(String, u64)> {
    let mut hasher = blake3::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buffer).at(path)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        if let Some(out) = copy.as_deref_mut() {
            out.write_all(&buffer[..n]).at(path)?;
        }
        total += n as u64;
    }
    Ok((hasher.finalize().to_hex().to_string(), total))
}

/// Stages `source` as `staging/<name>/<checksum>.parquet`, verified against `checksum`. Staging the same
/// checksum twice returns the file already there.
pub(crate) fn stage(staging_root: &Path, name: &str, checksum: &str, source: &Path) -> Result<StagedFile> {
    check_name(name)?;
    check_checksum(checksum)?;
    let dir = staging_root.join(name);
    fs::create_dir_all(&dir).at(&dir)?;
    let target = dir.join(format!("{checksum}.parquet"));
    if target.exists() {
        let bytes = fs::metadata(&target).at(&target)?.len();
        return Ok(StagedFile { checksum: checksum.to_string(), path: target, bytes, linked: false });
    }
    let result = stage_new(&target, checksum, source);
    if result.is_err() {
        let _ = fs::remove_file(&target);
    }
    result
}

fn stage_new(target: &Path, checksum: &str, source: &Path) -> Result<StagedFile> {
    let linked = fs::hard_link(source, target).is_ok();
    let (actual, bytes) = if linked {
        hash_stream(File::open(target).at(target)?, None, target)?
    } else {
        let input = File::open(source).at(source)?;
        let mut output = File::create_new(target).at(target)?;
        let hashed = hash_stream(input, Some(&mut output), source)?;
        output.sync_all().at(target)?;
        hashed
    };
    if actual != checksum {
        return Err(StorageError::Corruption(format!(
            "file {} has checksum {actual}, but the manifest records {checksum}",
            source.display()
        )));
    }
    if linked {
        File::open(target).and_then(|f| f.sync_all()).at(target)?;
    }
    Ok(StagedFile { checksum: checksum.to_string(), path: target.to_path_buf(), bytes, linked })
}

/// Links a staged file to `target` (a new segment path under `data/<tablet>/`). The commit that names it
/// fsyncs the folder.
pub(crate) fn adopt(staged: &StagedFile, target: &Path, meta: &SegmentMeta) -> Result<()> {
    if meta.checksum != staged.checksum {
        return Err(StorageError::Internal(format!(
            "staged file {} holds checksum {}, not {}",
            staged.path.display(),
            staged.checksum,
            meta.checksum
        )));
    }
    fs::hard_link(&staged.path, target).at(target)
}

/// Removes a staging folder (nothing happens if it is already gone).
pub(crate) fn release(staging_root: &Path, name: &str) -> Result<()> {
    check_name(name)?;
    let dir = staging_root.join(name);
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(&dir, e)),
    }
}
