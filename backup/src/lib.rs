//! # tessera-backup
//!
//! Backup repositories, snapshot manifests, and the BACKUP and RESTORE steps (DESIGN.md section 6).
//! Depends on `tessera-storage` only. Not built yet: this crate is the place the BACKUP and RESTORE
//! issues fill in; it exists now so that the dependency direction (`engine -> backup -> storage`) is
//! fixed from the start.
