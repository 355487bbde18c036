//! # tessera-backup
//!
//! Backup repositories and snapshot manifests (DESIGN.md section 6). Depends on `tessera-storage`
//! only; the engine drives BACKUP jobs through this crate.
//!
//! - [`location`]: the small interface a repository location implements ([`RepositoryStore`]) and the
//!   local-filesystem implementation. An object store can be added behind the same trait.
//! - [`repository`]: the repository layout; data files stored once under their BLAKE3 checksum, so a
//!   second backup of unchanged data copies nothing; snapshots that exist only through their manifest;
//!   garbage collection of files no manifest needs.
//! - [`manifest`]: the versioned manifest format (full table definitions and every tablet's files).
//!
//! What stays true: a snapshot SHOW SNAPSHOT lists as usable has a manifest, and every file the
//! manifest names is in the repository with the checksum it records.

pub mod error;
pub mod location;
pub mod manifest;
pub mod repository;
pub mod timestamp;

pub use error::{BackupError, Result};
pub use location::{FileSystem, LocalStore, RealFileSystem, RepositoryStore, Transfer};
pub use manifest::{Manifest, ManifestTable, ManifestTablet, MANIFEST_FORMAT_VERSION};
pub use repository::{check_label, Repository};
