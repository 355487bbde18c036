//! Faults injected into every filesystem step of a backup's repository writes: whatever fails, no file
//! under a final name is incomplete, no manifest exists unless every file it names does, nothing is
//! left half-written, and a clean retry completes the snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use tessera_backup::{FileSystem, LocalStore, Manifest, RealFileSystem, Repository, MANIFEST_FORMAT_VERSION};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    CreateDir,
    Write,
    SyncFile,
    SyncDir,
    Rename,
    Link,
    Copy,
}

const STEPS: [Step; 7] =
    [Step::CreateDir, Step::Write, Step::SyncFile, Step::SyncDir, Step::Rename, Step::Link, Step::Copy];

/// Fails the `nth` call of one kind of step (links can also be refused for good, forcing copies).
#[derive(Debug)]
struct FaultyFileSystem {
    real: RealFileSystem,
    fail: Mutex<Option<(Step, usize)>>,
    calls: Mutex<Vec<Step>>,
    /// Every directory change and fsync, with its path, in order.
    events: Mutex<Vec<(Step, PathBuf)>>,
    links_refused: bool,
}

impl FaultyFileSystem {
    fn new(fail: Option<(Step, usize)>, links_refused: bool) -> Arc<Self> {
        Arc::new(FaultyFileSystem {
            real: RealFileSystem,
            fail: Mutex::new(fail),
            calls: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            links_refused,
        })
    }

    fn step(&self, step: Step) -> std::io::Result<()> {
        let mut calls = self.calls.lock();
        calls.push(step);
        let n = calls.iter().filter(|s| **s == step).count();
        if let Some((kind, nth)) = *self.fail.lock() {
            if kind == step && nth == n {
                return Err(std::io::Error::other(format!("injected failure of {step:?} #{n}")));
            }
        }
        Ok(())
    }

    fn log(&self, step: Step, path: &Path) {
        self.events.lock().push((step, path.to_path_buf()));
    }

    fn count(&self, step: Step) -> usize {
        self.calls.lock().iter().filter(|s| **s == step).count()
    }
}

impl FileSystem for FaultyFileSystem {
    fn create_dir_all(&self, path: &Path) -> std::io::Result<()> {
        self.step(Step::CreateDir)?;
        self.log(Step::CreateDir, path);
        self.real.create_dir_all(path)
    }
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.real.read(path)
    }
    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.step(Step::Write)?;
        self.real.write(path, bytes)
    }
    fn sync_file(&self, path: &Path) -> std::io::Result<()> {
        self.step(Step::SyncFile)?;
        self.real.sync_file(path)
    }
    fn sync_dir(&self, path: &Path) -> std::io::Result<()> {
        self.step(Step::SyncDir)?;
        self.log(Step::SyncDir, path);
        self.real.sync_dir(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.step(Step::Rename)?;
        self.log(Step::Rename, to);
        self.real.rename(from, to)
    }
    fn hard_link(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.step(Step::Link)?;
        if self.links_refused {
            return Err(std::io::Error::other("cross-device link"));
        }
        self.real.hard_link(from, to)
    }
    fn copy_hashed(&self, from: &Path, to: &Path) -> std::io::Result<String> {
        self.step(Step::Copy)?;
        self.real.copy_hashed(from, to)
    }
    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        self.real.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> std::io::Result<()> {
        self.real.remove_dir_all(path)
    }
    fn list(&self, path: &Path) -> std::io::Result<Vec<String>> {
        self.real.list(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.real.exists(path)
    }
}

/// Three source files and a manifest naming them.
fn sources(dir: &Path) -> (Vec<(String, PathBuf)>, Manifest) {
    let mut files = Vec::new();
    for i in 0..3 {
        let path = dir.join(format!("segment-{i}.parquet"));
        let bytes = format!("segment {i} ").repeat(1000 + i * 10);
        std::fs::write(&path, &bytes).unwrap();
        files.push((blake3::hash(bytes.as_bytes()).to_hex().to_string(), path));
    }
    // The files are checked by checksum below, so the manifest itself needs no tables.
    let manifest: Manifest = serde_json::from_value(serde_json::json!({
        "format": MANIFEST_FORMAT_VERSION, "label": "snap", "timestamp": "2026-01-02-03-04-05-006",
        "database": "d", "database_id": 1, "backup_time_ms": 0, "finish_time_ms": 0, "tables": []
    }))
    .unwrap();
    (files, manifest)
}

/// What a backup does against the repository: upload every file, then write the manifest.
fn backup(repository: &Repository, files: &[(String, PathBuf)], manifest: &Manifest) -> tessera_backup::Result<()> {
    for (checksum, path) in files {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        repository.upload(checksum, bytes, path)?;
    }
    repository.write_manifest(manifest)
}

fn all_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(all_files(&e.path()));
            } else {
                out.insert(e.path());
            }
        }
    }
    out
}

fn check_invariants(root: &Path, files: &[(String, PathBuf)], case: &str) {
    for path in all_files(root) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.contains(".tmp-"), "{case}: temporary file left behind: {}", path.display());
        if let Some(checksum) = name.strip_suffix(".parquet") {
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(blake3::hash(&bytes).to_hex().to_string(), checksum, "{case}: incomplete data file {name}");
        }
    }
    let manifest_written =
        all_files(&root.join("snapshots")).iter().any(|p| p.to_string_lossy().ends_with(".manifest.json"));
    if manifest_written {
        for (checksum, _) in files {
            let path = root.join("data").join(&checksum[..2]).join(format!("{checksum}.parquet"));
            assert!(path.exists(), "{case}: the manifest exists but {checksum} does not");
        }
    }
}

#[test]
fn every_failing_step_leaves_the_repository_consistent_and_a_retry_completes() {
    let mut cases = 0;
    for links_refused in [false, true] {
        // A clean run counts how often each step happens.
        let probe_dir = tempfile::tempdir().unwrap();
        let (files, manifest) = sources(probe_dir.path());
        let location = tempfile::tempdir().unwrap();
        let fs = FaultyFileSystem::new(None, links_refused);
        let store = LocalStore::with_file_system("test", location.path().join("repo"), fs.clone());
        let repository = Repository::attach("test", false, Box::new(store), 0).unwrap();
        backup(&repository, &files, &manifest).unwrap();
        let counts: Vec<(Step, usize)> = STEPS.iter().map(|s| (*s, fs.count(*s))).collect();

        for (step, total) in counts {
            for nth in 1..=total {
                let case = format!("{step:?} #{nth} (links refused: {links_refused})");
                let location = tempfile::tempdir().unwrap();
                let root = location.path().join("repo");
                let fs = FaultyFileSystem::new(Some((step, nth)), links_refused);
                let store = LocalStore::with_file_system("test", root.clone(), fs);
                let outcome = Repository::attach("test", false, Box::new(store), 0)
                    .and_then(|repository| backup(&repository, &files, &manifest));
                check_invariants(&root, &files, &case);
                if outcome.is_ok() {
                    continue; // the failing call was a best-effort step the protocol does not depend on
                }
                // A retry without faults completes the snapshot.
                let store = LocalStore::new("test", root.clone());
                let repository = Repository::attach("test", false, Box::new(store), 0).unwrap();
                backup(&repository, &files, &manifest).unwrap_or_else(|e| panic!("{case}: retry failed: {e}"));
                check_invariants(&root, &files, &case);
                assert!(repository.has_snapshot("snap").unwrap(), "{case}");
                cases += 1;
            }
        }
    }
    assert!(cases >= 20, "only {cases} injected failures were exercised");
}

/// Directory entries are made durable in batches (one fsync per changed folder, before the manifest):
/// every entry the snapshot needs (each data file, each folder created for one, up to the repository's
/// parent) must have its folder fsynced after it appeared and before the manifest was renamed into
/// place, and the manifest's own folder after that.
#[test]
fn every_entry_a_manifest_needs_is_durable_before_the_manifest() {
    for links_refused in [false, true] {
        let sources_dir = tempfile::tempdir().unwrap();
        let (files, manifest) = sources(sources_dir.path());
        let location = tempfile::tempdir().unwrap();
        let root = location.path().join("repo");
        let fs = FaultyFileSystem::new(None, links_refused);
        let store = LocalStore::with_file_system("test", root.clone(), fs.clone());
        let repository = Repository::attach("test", false, Box::new(store), 0).unwrap();
        backup(&repository, &files, &manifest).unwrap();

        let events = fs.events.lock().clone();
        let synced_between = |dir: &Path, after: usize, before: usize| {
            events[after + 1..before].iter().any(|(step, path)| *step == Step::SyncDir && path == dir)
        };
        let manifest_at = events
            .iter()
            .position(|(step, path)| *step == Step::Rename && path.to_string_lossy().ends_with(".manifest.json"))
            .expect("the manifest is renamed into place");
        let mut checked = 0;
        for (at, (step, path)) in events.iter().enumerate().take(manifest_at) {
            let created: Vec<&Path> = match step {
                Step::Rename => vec![path.as_path()],
                // Every folder it creates, up to the repository root.
                Step::CreateDir => path.ancestors().take_while(|p| p.starts_with(&root)).collect(),
                _ => continue,
            };
            for entry in created {
                let parent = entry.parent().unwrap();
                assert!(
                    synced_between(parent, at, manifest_at),
                    "links refused: {links_refused}: {} was not made durable before the manifest",
                    entry.display()
                );
                checked += 1;
            }
        }
        assert!(checked >= files.len(), "only {checked} entries checked");
        let manifest_dir = events[manifest_at].1.parent().unwrap().to_path_buf();
        assert!(synced_between(&manifest_dir, manifest_at, events.len()), "the manifest's folder is fsynced");
    }
}

/// A backup that finds its data files already stored (by another job, through another store of the same
/// location, that has not written its manifest yet) still fsyncs their folders before its manifest.
#[test]
fn a_manifest_relying_on_another_jobs_files_makes_their_names_durable() {
    let sources_dir = tempfile::tempdir().unwrap();
    let (files, manifest) = sources(sources_dir.path());
    let location = tempfile::tempdir().unwrap();
    let root = location.path().join("repo");
    let first = Repository::attach("test", false, Box::new(LocalStore::new("test", root.clone())), 0).unwrap();
    for (checksum, path) in &files {
        let bytes = std::fs::metadata(path).unwrap().len();
        assert!(first.upload(checksum, bytes, path).unwrap().is_some(), "stored by the first job");
    }
    let fs = FaultyFileSystem::new(None, false);
    let store = LocalStore::with_file_system("test", root.clone(), fs.clone());
    let second = Repository::attach("test", false, Box::new(store), 0).unwrap();
    backup(&second, &files, &manifest).unwrap();
    let events = fs.events.lock().clone();
    let manifest_at = events
        .iter()
        .position(|(step, path)| *step == Step::Rename && path.to_string_lossy().ends_with(".manifest.json"))
        .unwrap();
    for (checksum, _) in &files {
        let folder = root.join("data").join(&checksum[..2]);
        for dir in [folder.as_path(), folder.parent().unwrap()] {
            assert!(
                events[..manifest_at].iter().any(|(step, path)| *step == Step::SyncDir && path == dir),
                "{} is fsynced before the manifest",
                dir.display()
            );
        }
    }
}

#[test]
fn a_copy_that_does_not_match_its_checksum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("segment.parquet");
    std::fs::write(&source, b"actual bytes").unwrap();
    let wrong = blake3::hash(b"other bytes").to_hex().to_string();
    let location = tempfile::tempdir().unwrap();
    let root = location.path().join("repo");
    let store = LocalStore::with_file_system("test", root.clone(), FaultyFileSystem::new(None, true));
    let repository = Repository::attach("test", false, Box::new(store), 0).unwrap();
    let err = repository.upload(&wrong, 12, &source).unwrap_err().to_string();
    assert!(err.contains("but its metadata says"), "{err}");
    assert!(all_files(&root.join("data")).is_empty());
}

#[test]
fn repository_names_must_be_one_safe_path_component() {
    let location = tempfile::tempdir().unwrap();
    for name in ["x/../../db", "..", ".hidden", "a b", ""] {
        let store = LocalStore::new("test", location.path().join("repo"));
        let err = Repository::attach(name, false, Box::new(store), 0).unwrap_err().to_string();
        assert!(err.contains("invalid repository name"), "{name:?}: {err}");
    }
}

#[test]
fn garbage_collection_keeps_claimed_files_and_other_jobs_temporary_files() {
    let location = tempfile::tempdir().unwrap();
    let root = location.path().join("repo");
    let sources_dir = tempfile::tempdir().unwrap();
    let (files, _) = sources(sources_dir.path());
    let repository = Repository::attach("test", false, Box::new(LocalStore::new("test", root.clone())), 0).unwrap();
    // A second handle on the same location (another open database in this process) shares claims.
    let other = Repository::attach("test", false, Box::new(LocalStore::new("test", root.clone())), 0).unwrap();
    let (checksum, path) = &files[0];
    other.claim([checksum.as_str()]);
    let bytes = std::fs::metadata(path).unwrap().len();
    repository.upload(checksum, bytes, path).unwrap();
    let temporary = root.join("data").join(&checksum[..2]).join(format!("{checksum}.parquet.tmp-1-1"));
    std::fs::write(&temporary, b"being written").unwrap();
    assert_eq!(repository.collect_garbage().unwrap(), 0, "claimed by the other handle's job");
    assert!(temporary.exists(), "another job's temporary file is not garbage");
    other.unclaim([checksum.as_str()]);
    assert_eq!(repository.collect_garbage().unwrap(), 1);
    // A stray file under snapshots/ is not a snapshot and does not stop collection.
    std::fs::create_dir_all(root.join("snapshots")).unwrap();
    std::fs::write(root.join("snapshots").join("stray"), b"x").unwrap();
    assert_eq!(repository.collect_garbage().unwrap(), 0);
    assert!(!repository.has_snapshot("stray").unwrap());
}
