//! A backup repository: its layout, snapshots, content-addressed data files, and garbage collection.
//!
//! Layout under the location (documented in `docs/backup-repository.md`):
//!
//! ```text
//! <location>/__tessera_repository_<name>/
//!     repository.json                       {format, name, create_time_ms}
//!     data/<first 2 hex>/<blake3>.parquet   every data file once, named by its checksum
//!     snapshots/<label>/<timestamp>.manifest.json
//! ```
//!
//! Invariants: a data file's name is the BLAKE3 of its bytes; a snapshot exists only through its
//! manifest, which is written (atomically, durably) after every data file it names; a data file is
//! deleted only when no manifest names it and no running job in this process has claimed it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::{BackupError, Result};
use crate::location::{LocalStore, RepositoryStore, Transfer};
use crate::manifest::Manifest;

pub const REPOSITORY_FORMAT_VERSION: u32 = 1;
const ROOT_PREFIX: &str = "__tessera_repository_";
const INFO_FILE: &str = "repository.json";
const MANIFEST_SUFFIX: &str = ".manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepositoryInfo {
    pub format: u32,
    pub name: String,
    pub create_time_ms: i64,
}

/// An open repository.
#[derive(Debug)]
pub struct Repository {
    name: String,
    read_only: bool,
    store: Box<dyn RepositoryStore>,
    info: RepositoryInfo,
    /// Data files that running jobs rely on, with how many jobs do; shared by every `Repository` of this
    /// process on the same location (see [`claims_for`]).
    claims: Claims,
}

/// Data-file checksums claimed by running jobs, with how many jobs claim each.
type Claims = Arc<Mutex<HashMap<String, usize>>>;

/// The claims registry of one repository location, shared process-wide: two open databases in one
/// process backing up to the same repository see each other's running jobs.
fn claims_for(identity: &str) -> Claims {
    type Registry = Mutex<HashMap<String, Weak<Mutex<HashMap<String, usize>>>>>;
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut registry = REGISTRY.get_or_init(|| Mutex::new(HashMap::new())).lock();
    registry.retain(|_, claims| claims.strong_count() > 0);
    if let Some(existing) = registry.get(identity).and_then(Weak::upgrade) {
        return existing;
    }
    let claims = Arc::new(Mutex::new(HashMap::new()));
    registry.insert(identity.to_string(), Arc::downgrade(&claims));
    claims
}

/// Checks a snapshot name: one path component of letters, digits, `_`, `-` and `.`.
pub fn check_label(label: &str) -> Result<()> {
    let valid = !label.is_empty()
        && label.len() <= 128
        && !label.starts_with('.')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(BackupError::InvalidInput(format!(
            "Invalid snapshot name '{label}': use 1 to 128 letters, digits, '_', '-' or '.', not starting with '.'"
        )));
    }
    Ok(())
}

/// Checks a repository name: it becomes part of a folder name, so it must be one safe path component.
pub fn check_repository_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(BackupError::InvalidInput(format!(
            "Failed to create repository: invalid repository name '{name}': use 1 to 128 letters, digits, '_', '-' or '.', not starting with '.'"
        )));
    }
    Ok(())
}

/// True for the name of a data file: `<64 hex digits>.parquet`.
fn is_data_file_name(name: &str) -> bool {
    name.strip_suffix(".parquet").is_some_and(|c| c.len() == 64 && c.chars().all(|x| x.is_ascii_hexdigit()))
}

/// Whether `name` is a temporary file (`<name>.tmp-<pid>-<n>`, see `location.rs`) left by a process
/// that no longer runs: a copy that was killed before its rename. A live process's temporary files,
/// this one's included, are never touched (they may be mid-copy).
fn is_stale_temporary(name: &str) -> bool {
    let Some((_, suffix)) = name.rsplit_once(".tmp-") else { return false };
    let Some((pid, n)) = suffix.split_once('-') else { return false };
    let (Ok(pid), true) = (pid.parse::<u32>(), !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())) else {
        return false;
    };
    pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
}

fn check_checksum(checksum: &str) -> Result<()> {
    if checksum.len() != 64 || !checksum.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(BackupError::Corruption(format!("{checksum:?} is not a BLAKE3 checksum")));
    }
    Ok(())
}

/// The path of a data file inside the repository.
pub fn data_path(checksum: &str) -> String {
    format!("data/{}/{checksum}.parquet", &checksum[..2.min(checksum.len())])
}

fn snapshot_dir(label: &str) -> String {
    format!("snapshots/{label}")
}

fn manifest_path(label: &str, timestamp: &str) -> String {
    format!("snapshots/{label}/{timestamp}{MANIFEST_SUFFIX}")
}

/// Turns what users write (`/path`, `file:///path`, trailing `/`) into a local path.
fn local_path(location: &str) -> Result<PathBuf> {
    let trimmed = location.trim_end_matches('/');
    let path = if let Some(rest) = trimmed.strip_prefix("file://") {
        rest
    } else if trimmed.contains("://") {
        return Err(BackupError::InvalidInput(format!(
            "Failed to create repository: location {location} is not supported yet; use a local path or a file:// URI"
        )));
    } else {
        trimmed
    };
    let path = if path.is_empty() && location.starts_with('/') { "/" } else { path };
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(BackupError::InvalidInput(format!(
            "Failed to create repository: location {location} must be an absolute path"
        )));
    }
    Ok(path)
}

impl Repository {
    /// Opens the repository `name` at `location`, adopting one that is already there, or creating it
    /// (unless `read_only`). `data_dir` is the database's own directory, which must not contain it.
    pub fn open(name: &str, location: &str, read_only: bool, data_dir: &Path, now_ms: i64) -> Result<Repository> {
        check_repository_name(name)?;
        let path = local_path(location)?;
        let meta = std::fs::metadata(&path).map_err(|_| {
            BackupError::InvalidInput(format!("Failed to create repository: location {location} does not exist"))
        })?;
        if !meta.is_dir() {
            return Err(BackupError::InvalidInput(format!(
                "Failed to create repository: location {location} is not a directory"
            )));
        }
        let canonical = std::fs::canonicalize(&path).map_err(|e| BackupError::io(&path, e))?;
        let data_dir = std::fs::canonicalize(data_dir).map_err(|e| BackupError::io(data_dir, e))?;
        if canonical.starts_with(&data_dir) || data_dir.starts_with(canonical.join(format!("{ROOT_PREFIX}{name}"))) {
            return Err(BackupError::InvalidInput(format!(
                "Failed to create repository: location {location} is inside the data directory {}",
                data_dir.display()
            )));
        }
        let root = canonical.join(format!("{ROOT_PREFIX}{name}"));
        let store = LocalStore::new(location.trim_end_matches('/'), root);
        Repository::attach(name, read_only, Box::new(store), now_ms)
    }

    /// Opens the repository `name` held by `store`, adopting its info file or creating one (unless
    /// `read_only`). Any [`RepositoryStore`] works: a local folder, an object store, or a test's.
    pub fn attach(name: &str, read_only: bool, store: Box<dyn RepositoryStore>, now_ms: i64) -> Result<Repository> {
        check_repository_name(name)?;
        let location = store.location().to_string();
        let info = match store.read(INFO_FILE)? {
            Some(bytes) => {
                let info: RepositoryInfo = serde_json::from_slice(&bytes).map_err(|e| {
                    BackupError::Corruption(format!(
                        "{INFO_FILE} of repository {name} at {location} cannot be read: {e}"
                    ))
                })?;
                if info.format > REPOSITORY_FORMAT_VERSION {
                    return Err(BackupError::Corruption(format!(
                        "repository {name} has format {}; this build reads up to {REPOSITORY_FORMAT_VERSION}",
                        info.format
                    )));
                }
                info
            }
            None => {
                if read_only {
                    return Err(BackupError::NotFound(format!(
                        "Failed to create repository: there is no repository {name} at {location} to open read-only"
                    )));
                }
                let info = RepositoryInfo {
                    format: REPOSITORY_FORMAT_VERSION,
                    name: name.to_string(),
                    create_time_ms: now_ms,
                };
                let bytes = serde_json::to_vec_pretty(&info)
                    .map_err(|e| BackupError::InvalidInput(format!("cannot encode repository info: {e}")))?;
                store.write_atomic(INFO_FILE, &bytes).map_err(|e| {
                    BackupError::InvalidInput(format!("Failed to create repository: cannot write to {location}: {e}"))
                })?;
                info
            }
        };
        let claims = claims_for(&store.identity());
        Ok(Repository { name: name.to_string(), read_only, store, info, claims })
    }

    /// Whether the repository is on the filesystem of `dir` (the data directory). Data files are then
    /// hard links to the data directory's segment files: the same bytes on disk, so damage to one is
    /// damage to the other, and the repository is no copy that survives a failing disk.
    pub fn shares_filesystem_with(&self, dir: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Some(root) = self.store.local_root() else { return false };
        match (std::fs::metadata(root), std::fs::metadata(dir)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev(),
            _ => false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn location(&self) -> &str {
        self.store.location()
    }

    pub fn create_time_ms(&self) -> i64 {
        self.info.create_time_ms
    }

    /// Fails with StarRocks' message if the repository is read-only.
    pub fn check_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(BackupError::InvalidInput(format!("Repository {} is read only", self.name)));
        }
        Ok(())
    }

    /// Snapshot names (folders under `snapshots/`), sorted.
    pub fn labels(&self) -> Result<Vec<String>> {
        // Anything else under snapshots/ (a stray file, a foreign name) is not a snapshot.
        Ok(self.store.list("snapshots")?.into_iter().filter(|l| check_label(l).is_ok()).collect())
    }

    /// The backup timestamps of a label: `Ok(ts)` for each manifest, `Err(name)` for any other file.
    pub fn timestamps(&self, label: &str) -> Result<Vec<std::result::Result<String, String>>> {
        check_label(label)?;
        Ok(self
            .store
            .list(&snapshot_dir(label))?
            .into_iter()
            .map(|name| match name.strip_suffix(MANIFEST_SUFFIX) {
                Some(ts) if !ts.contains(".tmp") => Ok(ts.to_string()),
                _ => Err(name),
            })
            .collect())
    }

    /// True when the label has at least one manifest (a usable snapshot).
    pub fn has_snapshot(&self, label: &str) -> Result<bool> {
        Ok(self.timestamps(label)?.iter().any(|t| t.is_ok()))
    }

    pub fn read_manifest(&self, label: &str, timestamp: &str) -> Result<Manifest> {
        check_label(label)?;
        if timestamp.is_empty() || timestamp.contains(['/', '\\']) || timestamp.contains("..") {
            return Err(BackupError::InvalidInput(format!("invalid backup timestamp {timestamp:?}")));
        }
        let path = manifest_path(label, timestamp);
        let bytes = self.store.read(&path)?.ok_or_else(|| {
            BackupError::NotFound(format!(
                "snapshot {label} has no backup with timestamp {timestamp} in repository {}",
                self.name
            ))
        })?;
        Manifest::decode(&bytes, &format!("{label}/{timestamp}"))
    }

    /// Puts a data file of `bytes` bytes into the repository unless a file with its checksum (and size)
    /// is already there. Returns how it was transferred, or `None` when it was already stored.
    pub fn upload(&self, checksum: &str, bytes: u64, source: &Path) -> Result<Option<Transfer>> {
        check_checksum(checksum)?;
        let path = data_path(checksum);
        match self.store.file_size(&path)? {
            Some(size) if size == bytes => {
                // Stored by an earlier job, or by one still running: the manifest written next must
                // not get ahead of that job's fsyncs.
                self.store.rely_on(&path)?;
                return Ok(None);
            }
            Some(size) => {
                log::warn!("repository {}: {path} has {size} bytes, expected {bytes}; storing it again", self.name)
            }
            None => {}
        }
        let actual = std::fs::metadata(source).map_err(|e| BackupError::io(source, e))?.len();
        if actual != bytes {
            return Err(BackupError::Corruption(format!(
                "{} has {actual} bytes, but its metadata says {bytes}",
                source.display()
            )));
        }
        Ok(Some(self.store.put_file(&path, source, Some(checksum))?))
    }

    /// The local path of the data file stored under `checksum` (RESTORE stages it from there).
    pub fn local_data_file(&self, checksum: &str) -> Result<PathBuf> {
        check_checksum(checksum)?;
        let path = data_path(checksum);
        if !self.store.exists(&path)? {
            return Err(BackupError::NotFound(format!("data file {path} is missing from repository {}", self.name)));
        }
        self.store.local_path(&path)?.ok_or_else(|| {
            BackupError::InvalidInput(format!(
                "repository {} is not on a local filesystem; restoring from it is not supported yet",
                self.name
            ))
        })
    }

    /// Writes the manifest: the step that makes the snapshot exist.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        check_label(&manifest.label)?;
        self.store.write_atomic(&manifest_path(&manifest.label, &manifest.timestamp), &manifest.encode()?)
    }

    /// Marks data files as needed by a running job, so that garbage collection keeps them.
    pub fn claim<'a>(&self, checksums: impl IntoIterator<Item = &'a str>) {
        let mut claims = self.claims.lock();
        for c in checksums {
            *claims.entry(c.to_string()).or_default() += 1;
        }
    }

    pub fn unclaim<'a>(&self, checksums: impl IntoIterator<Item = &'a str>) {
        let mut claims = self.claims.lock();
        for c in checksums {
            if let Some(n) = claims.get_mut(c) {
                *n -= 1;
                if *n == 0 {
                    claims.remove(c);
                }
            }
        }
    }

    /// Removes a snapshot (every timestamp of the label, and a half-written one), then the data files
    /// no remaining snapshot needs. Returns the number of data files removed.
    pub fn drop_snapshot(&self, label: &str) -> Result<usize> {
        check_label(label)?;
        self.check_writable()?;
        if !self.labels()?.iter().any(|l| l == label) {
            return Err(BackupError::NotFound(format!("Snapshot does not exist in repository {}: {label}", self.name)));
        }
        self.store.delete_dir(&snapshot_dir(label))?;
        self.collect_garbage()
    }

    /// Removes the folder of a label that has no manifest (a backup that never finished).
    pub fn remove_unfinished(&self, label: &str) -> Result<()> {
        check_label(label)?;
        if !self.has_snapshot(label)? {
            self.store.delete_dir(&snapshot_dir(label))?;
        }
        Ok(())
    }

    /// Deletes data files that no manifest names and no running job claims, and the temporary files
    /// of copies whose process is gone. If any manifest cannot be read, nothing is deleted (it might
    /// name any file). The claims lock is held from the first
    /// manifest read to the last deletion: a job gives up its claims only after its manifest is durable,
    /// so a file is never both unclaimed and named by a manifest this scan did not see. Only names of
    /// data files, and temporary files of processes that are gone, are considered (never a live job's
    /// temporary file).
    pub fn collect_garbage(&self) -> Result<usize> {
        if self.read_only {
            return Ok(0);
        }
        let claims = self.claims.lock();
        let mut referenced: HashSet<String> = HashSet::new();
        for label in self.labels()? {
            for timestamp in self.timestamps(&label)?.into_iter().flatten() {
                match self.read_manifest(&label, &timestamp) {
                    Ok(m) => referenced.extend(m.checksums().map(str::to_string)),
                    Err(e) => {
                        log::warn!("repository {}: not collecting garbage: {e}", self.name);
                        return Ok(0);
                    }
                }
            }
        }
        let mut removed = 0;
        for label in self.labels()? {
            for file in self.store.list(&snapshot_dir(&label))? {
                if is_stale_temporary(&file) {
                    self.store.delete(&format!("{}/{file}", snapshot_dir(&label)))?;
                }
            }
        }
        for prefix in self.store.list("data")? {
            if prefix.len() != 2 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            for file in self.store.list(&format!("data/{prefix}"))? {
                if is_stale_temporary(&file) {
                    self.store.delete(&format!("data/{prefix}/{file}"))?;
                    continue;
                }
                if !is_data_file_name(&file) {
                    continue;
                }
                let checksum = file.trim_end_matches(".parquet");
                if !referenced.contains(checksum) && !claims.contains_key(checksum) {
                    self.store.delete(&format!("data/{prefix}/{file}"))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
