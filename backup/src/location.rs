//! Where a repository's bytes live, behind a small interface.
//!
//! [`RepositoryStore`] is everything the backup logic needs from a location: whole small files written
//! atomically, large files put and fetched by path, listings and deletions. [`LocalStore`] implements it
//! on a local directory (`/path` or `file:///path`); an object store (`s3://...`) can implement the same
//! trait later without touching the backup logic.
//!
//! Paths are relative, `/`-separated, and never contain `..` (checked by [`check_relative`]).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{BackupError, IoContext, Result};

/// How a file got into the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    /// A hard link to the source (same filesystem): no bytes copied.
    Linked,
    /// A byte copy, verified against the expected checksum while copying.
    Copied,
}

pub trait RepositoryStore: Send + Sync + std::fmt::Debug {
    /// The location as users wrote it (for messages and SHOW REPOSITORIES).
    fn location(&self) -> &str;
    /// Reads a whole file; `None` if it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;
    /// Writes a whole file atomically and durably (temporary file, fsync, rename, fsync the folder).
    fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<()>;
    fn exists(&self, path: &str) -> Result<bool>;
    /// Puts the local file `source` at `path`, atomically and durably. With `expected_blake3`, a copied
    /// file is hashed while it is copied and refused if it does not match.
    fn put_file(&self, path: &str, source: &Path, expected_blake3: Option<&str>) -> Result<Transfer>;
    /// The names directly inside folder `path` (empty if the folder does not exist).
    fn list(&self, path: &str) -> Result<Vec<String>>;
    /// Deletes a file (no error if it is already gone).
    fn delete(&self, path: &str) -> Result<()>;
    /// Deletes a folder and everything in it (no error if it is already gone).
    fn delete_dir(&self, path: &str) -> Result<()>;
}

/// Rejects paths that could escape the repository.
pub fn check_relative(path: &str) -> Result<()> {
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(BackupError::InvalidInput(format!("invalid repository path {path:?}")));
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// A repository on a local filesystem.
#[derive(Debug)]
pub struct LocalStore {
    location: String,
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (which must exist); `location` is what the user wrote.
    pub fn new(location: &str, root: PathBuf) -> LocalStore {
        LocalStore { location: location.to_string(), root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &str) -> Result<PathBuf> {
        check_relative(path)?;
        Ok(self.root.join(path))
    }

    fn ensure_parent(&self, full: &Path) -> Result<()> {
        if let Some(parent) = full.parent() {
            if !parent.exists() {
                fs::create_dir_all(parent).at(parent)?;
                // Make every new folder entry durable, up to the root.
                let mut dir = parent.to_path_buf();
                while dir.starts_with(&self.root) && dir != self.root {
                    match dir.parent() {
                        Some(up) => {
                            sync_dir(up)?;
                            dir = up.to_path_buf();
                        }
                        None => break,
                    }
                }
            }
        }
        Ok(())
    }

    fn temporary(full: &Path) -> PathBuf {
        let mut name = full.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(format!(".tmp-{}", std::process::id()));
        full.with_file_name(name)
    }
}

impl RepositoryStore for LocalStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let full = self.full(path)?;
        match fs::read(&full) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let full = self.full(path)?;
        self.ensure_parent(&full)?;
        let temporary = Self::temporary(&full);
        let written = (|| {
            let mut file = File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            return Err(BackupError::io(&temporary, e));
        }
        fs::rename(&temporary, &full).at(&full)?;
        sync_dir(full.parent().unwrap_or(&self.root))
    }

    fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.full(path)?.exists())
    }

    fn put_file(&self, path: &str, source: &Path, expected_blake3: Option<&str>) -> Result<Transfer> {
        let full = self.full(path)?;
        self.ensure_parent(&full)?;
        let temporary = Self::temporary(&full);
        let _ = fs::remove_file(&temporary);
        let transfer = match fs::hard_link(source, &temporary) {
            Ok(()) => Transfer::Linked,
            Err(_) => {
                // Another filesystem (or links not allowed): copy, hashing as we go.
                let copied = copy_verified(source, &temporary, expected_blake3);
                if let Err(e) = copied {
                    let _ = fs::remove_file(&temporary);
                    return Err(e);
                }
                Transfer::Copied
            }
        };
        fs::rename(&temporary, &full).at(&full)?;
        sync_dir(full.parent().unwrap_or(&self.root))?;
        Ok(transfer)
    }

    fn list(&self, path: &str) -> Result<Vec<String>> {
        let full = if path.is_empty() { self.root.clone() } else { self.full(path)? };
        let entries = match fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(BackupError::io(full, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.at(&full)?;
            names.push(entry.file_name().to_string_lossy().to_string());
        }
        names.sort();
        Ok(names)
    }

    fn delete(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        match fs::remove_file(&full) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn delete_dir(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        match fs::remove_dir_all(&full) {
            Ok(()) => sync_dir(full.parent().unwrap_or(&self.root)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }
}

/// Copies `source` to `dest`, fsyncs it, and checks the BLAKE3 of the bytes copied.
fn copy_verified(source: &Path, dest: &Path, expected_blake3: Option<&str>) -> Result<()> {
    let mut input = File::open(source).at(source)?;
    let mut output = File::create(dest).at(dest)?;
    let mut hasher = blake3::Hasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buffer).at(source)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n]).at(dest)?;
    }
    output.sync_all().at(dest)?;
    if let Some(expected) = expected_blake3 {
        let actual = hasher.finalize().to_hex().to_string();
        if actual != expected {
            return Err(BackupError::Corruption(format!(
                "{} has checksum {actual}, but its metadata says {expected}",
                source.display()
            )));
        }
    }
    Ok(())
}
