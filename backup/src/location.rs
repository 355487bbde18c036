//! Where a repository's bytes live, behind a small interface.
//!
//! [`RepositoryStore`] is everything the backup logic needs from a location: whole small files written
//! atomically, large files put by path, listings and deletions. [`LocalStore`] implements it on a local
//! directory (`/path` or `file:///path`); an object store (`s3://...`) can implement the same trait later
//! without touching the backup logic.
//!
//! [`LocalStore`] reaches the disk only through [`FileSystem`], the seam fault-injection tests use to fail
//! a write, an fsync, a rename or a link at any step ([`RealFileSystem`] is the real one). Whatever fails,
//! a file under its final name is always complete: content goes to a temporary name first, is fsynced,
//! and is renamed into place; a failure removes the temporary file.
//!
//! Durability of directory entries is batched: a file put with [`RepositoryStore::put_file`] has durable
//! bytes, but its name (and any folder created for it) is made durable by the next
//! [`RepositoryStore::write_atomic`], which first fsyncs every folder changed since the previous one. A
//! backup puts its data files, then writes the manifest that names them, so a crash can never leave a
//! manifest naming a file that is not there; and a backup of many files costs one fsync per changed
//! folder, not several per file.
//!
//! Paths are relative, `/`-separated, and never contain `..` (checked by [`check_relative`]).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{BackupError, IoContext, Result};

/// The filesystem operations a [`LocalStore`] uses.
pub trait FileSystem: Send + Sync + std::fmt::Debug {
    fn create_dir_all(&self, path: &Path) -> std::io::Result<()>;
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
    /// Creates (or truncates) `path` and writes `bytes`, without fsync.
    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;
    fn sync_file(&self, path: &Path) -> std::io::Result<()>;
    fn sync_dir(&self, path: &Path) -> std::io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    /// Copies `from` to `to` (without fsync) and returns the BLAKE3 (hex) of the bytes copied.
    fn copy_hashed(&self, from: &Path, to: &Path) -> std::io::Result<String>;
    fn remove_file(&self, path: &Path) -> std::io::Result<()>;
    fn remove_dir_all(&self, path: &Path) -> std::io::Result<()>;
    /// Names in a folder, sorted.
    fn list(&self, path: &Path) -> std::io::Result<Vec<String>>;
    fn exists(&self, path: &Path) -> bool;
}

/// The real filesystem.
#[derive(Debug, Default)]
pub struct RealFileSystem;

impl FileSystem for RealFileSystem {
    fn create_dir_all(&self, path: &Path) -> std::io::Result<()> {
        fs::create_dir_all(path)
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        File::create(path)?.write_all(bytes)
    }

    fn sync_file(&self, path: &Path) -> std::io::Result<()> {
        fs::OpenOptions::new().write(true).open(path)?.sync_all()
    }

    fn sync_dir(&self, path: &Path) -> std::io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        fs::rename(from, to)
    }

    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        fs::hard_link(from, to)
    }

    fn copy_hashed(&self, from: &Path, to: &Path) -> std::io::Result<String> {
        let mut input = File::open(from)?;
        let mut output = File::create(to)?;
        let mut hasher = blake3::Hasher::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = input.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            output.write_all(&buffer[..n])?;
        }
        Ok(hasher.finalize().to_hex().to_string())
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> std::io::Result<()> {
        fs::remove_dir_all(path)
    }

    fn list(&self, path: &Path) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().to_string());
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
}

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
    /// Writes a whole file atomically and durably (temporary file, fsync, rename, fsync the folder),
    /// after making durable every directory entry that [`RepositoryStore::put_file`] created before.
    fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<()>;
    fn exists(&self, path: &str) -> Result<bool>;
    /// Puts the local file `source` at `path`, atomically, its bytes durable; its name becomes durable
    /// with the next [`RepositoryStore::write_atomic`]. With `expected_blake3`, a copied file is hashed
    /// while it is copied and refused if it does not match.
    fn put_file(&self, path: &str, source: &Path, expected_blake3: Option<&str>) -> Result<Transfer>;
    /// The names directly inside folder `path` (empty if the folder does not exist).
    fn list(&self, path: &str) -> Result<Vec<String>>;
    /// Deletes a file (no error if it is already gone).
    fn delete(&self, path: &str) -> Result<()>;
    /// Deletes a folder and everything in it (no error if it is already gone).
    fn delete_dir(&self, path: &str) -> Result<()>;
    /// The size of the file at `path`, or `None` if there is none.
    fn file_size(&self, path: &str) -> Result<Option<u64>>;
    /// Declares that the next [`RepositoryStore::write_atomic`] relies on the existing file at `path`
    /// (a backup keeps a data file another job stored): its name is made durable with that write, in
    /// case the job that stored it has not done so yet.
    fn rely_on(&self, path: &str) -> Result<()>;
    /// What identifies the location across `RepositoryStore` instances of one process (for shared
    /// garbage-collection claims): by default the location as written.
    fn identity(&self) -> String {
        self.location().to_string()
    }
    /// The local filesystem path of `path`, for locations on a local filesystem (RESTORE hard-links or
    /// copies data files from there). `None` for remote locations.
    fn local_path(&self, _path: &str) -> Result<Option<PathBuf>> {
        Ok(None)
    }
    /// The repository's root folder, for locations on a local filesystem.
    fn local_root(&self) -> Option<&Path> {
        None
    }
}

/// Rejects paths that could escape the repository.
pub fn check_relative(path: &str) -> Result<()> {
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(BackupError::InvalidInput(format!("invalid repository path {path:?}")));
    }
    Ok(())
}

/// A repository on a local filesystem.
#[derive(Debug)]
pub struct LocalStore {
    location: String,
    root: PathBuf,
    fs: Arc<dyn FileSystem>,
    /// Folders with entries created since the last `write_atomic`, to fsync before it. Held while they
    /// are fsynced, so a concurrent `write_atomic` cannot pass them before they are durable.
    unsynced: parking_lot::Mutex<std::collections::BTreeSet<PathBuf>>,
}

fn is_not_found(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

impl LocalStore {
    /// A store rooted at `root`; `location` is what the user wrote.
    pub fn new(location: &str, root: PathBuf) -> LocalStore {
        Self::with_file_system(location, root, Arc::new(RealFileSystem))
    }

    /// A store that reaches the disk through `fs` (tests inject faults here).
    pub fn with_file_system(location: &str, root: PathBuf, fs: Arc<dyn FileSystem>) -> LocalStore {
        LocalStore { location: location.to_string(), root, fs, unsynced: Default::default() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &str) -> Result<PathBuf> {
        check_relative(path)?;
        Ok(self.root.join(path))
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        self.fs.sync_dir(dir).at(dir)
    }

    /// Creates the folders above `full`; their entries, up to the root's parent, are synced with the
    /// next [`LocalStore::sync_entries`].
    fn ensure_parent(&self, full: &Path) -> Result<()> {
        let Some(parent) = full.parent() else { return Ok(()) };
        if self.fs.exists(parent) {
            // Another job may have created the folder and not fsynced its entry yet: sync it with ours,
            // so a file put in it is never in a folder that a crash could lose.
            if let Some(grandparent) = parent.parent() {
                self.unsynced.lock().insert(grandparent.to_path_buf());
            }
            return Ok(());
        }
        self.fs.create_dir_all(parent).at(parent)?;
        let stop = self.root.parent().unwrap_or(&self.root);
        let mut unsynced = self.unsynced.lock();
        let mut dir = parent;
        while let Some(up) = dir.parent() {
            unsynced.insert(up.to_path_buf());
            if up == stop || !up.starts_with(stop) {
                break;
            }
            dir = up;
        }
        Ok(())
    }

    /// Fsyncs every folder with entries created since the last call, several at once (waiting on the
    /// disk, not the CPU: concurrent fsyncs share the filesystem's journal commits). On failure the
    /// folders stay listed, so the next call tries them again.
    fn sync_entries(&self) -> Result<()> {
        let mut unsynced = self.unsynced.lock();
        let dirs: Vec<PathBuf> = unsynced.iter().cloned().collect();
        tessera_storage::parallel_io::try_for_each(&dirs, |dir| match self.fs.sync_dir(dir) {
            // A folder removed since (a dropped snapshot) has no entries left to keep.
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(BackupError::io(dir, e)),
        })?;
        unsynced.clear();
        Ok(())
    }

    /// A temporary name next to `full`, unique in this process (two jobs may store the same file at once).
    fn temporary(full: &Path) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let mut name = full.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(format!(".tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        full.with_file_name(name)
    }

    /// Renames a complete temporary file into place; on failure the temporary file is removed. The
    /// caller makes the rename durable.
    fn publish(&self, temporary: &Path, full: &Path) -> Result<()> {
        if let Err(e) = self.fs.rename(temporary, full) {
            let _ = self.fs.remove_file(temporary);
            return Err(BackupError::io(full, e));
        }
        Ok(())
    }
}

impl RepositoryStore for LocalStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn local_path(&self, path: &str) -> Result<Option<PathBuf>> {
        Ok(Some(self.full(path)?))
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn file_size(&self, path: &str) -> Result<Option<u64>> {
        let full = self.full(path)?;
        match std::fs::metadata(&full) {
            Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
            Ok(_) => Ok(None),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn identity(&self) -> String {
        self.root.display().to_string()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let full = self.full(path)?;
        match self.fs.read(&full) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let full = self.full(path)?;
        self.ensure_parent(&full)?;
        self.sync_entries()?;
        let temporary = Self::temporary(&full);
        if let Err(e) = self.fs.write(&temporary, bytes).and_then(|_| self.fs.sync_file(&temporary)) {
            let _ = self.fs.remove_file(&temporary);
            return Err(BackupError::io(&temporary, e));
        }
        self.publish(&temporary, &full)?;
        // On failure the complete file stays (another job may already rely on it); the caller fails.
        self.sync_dir(full.parent().unwrap_or(&self.root))
    }

    fn exists(&self, path: &str) -> Result<bool> {
        Ok(self.fs.exists(&self.full(path)?))
    }

    fn put_file(&self, path: &str, source: &Path, expected_blake3: Option<&str>) -> Result<Transfer> {
        let full = self.full(path)?;
        self.ensure_parent(&full)?;
        let temporary = Self::temporary(&full);
        let _ = self.fs.remove_file(&temporary);
        let transfer = if self.fs.hard_link(source, &temporary).is_ok() {
            Transfer::Linked
        } else {
            // Another filesystem (or links not allowed): copy, hashing as we go, then fsync.
            let copied = self.fs.copy_hashed(source, &temporary).and_then(|hash| {
                self.fs.sync_file(&temporary)?;
                Ok(hash)
            });
            let hash = match copied {
                Ok(hash) => hash,
                Err(e) => {
                    let _ = self.fs.remove_file(&temporary);
                    return Err(BackupError::io(&temporary, e));
                }
            };
            if let Some(expected) = expected_blake3 {
                if hash != expected {
                    let _ = self.fs.remove_file(&temporary);
                    return Err(BackupError::Corruption(format!(
                        "{} has checksum {hash}, but its metadata says {expected}",
                        source.display()
                    )));
                }
            }
            Transfer::Copied
        };
        // Listed before the file appears under its final name, so that a concurrent `write_atomic`
        // relying on the file (another job that finds it there) fsyncs its folder. If the entry is
        // never made durable (the caller fails before its next `write_atomic`), garbage collection
        // removes the file, as no manifest names it.
        self.unsynced.lock().insert(full.parent().unwrap_or(&self.root).to_path_buf());
        self.publish(&temporary, &full)?;
        Ok(transfer)
    }

    fn list(&self, path: &str) -> Result<Vec<String>> {
        let full = if path.is_empty() { self.root.clone() } else { self.full(path)? };
        match self.fs.list(&full) {
            Ok(names) => Ok(names),
            Err(e) if is_not_found(&e) || e.kind() == std::io::ErrorKind::NotADirectory => Ok(Vec::new()),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn delete(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        match self.fs.remove_file(&full) {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }

    fn rely_on(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        let mut unsynced = self.unsynced.lock();
        // The file's entry, and its folder's (a `data/xx/` folder another job created).
        let mut dir = full.as_path();
        for _ in 0..2 {
            let Some(parent) = dir.parent().filter(|p| p.starts_with(&self.root)) else { break };
            unsynced.insert(parent.to_path_buf());
            dir = parent;
        }
        Ok(())
    }

    fn delete_dir(&self, path: &str) -> Result<()> {
        let full = self.full(path)?;
        match self.fs.remove_dir_all(&full) {
            Ok(()) => self.sync_dir(full.parent().unwrap_or(&self.root)),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(BackupError::io(full, e)),
        }
    }
}
