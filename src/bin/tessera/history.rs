//! Where the shell keeps its history of statements: `$TESSERA_HISTORY` (empty: no history file), else
//! `$XDG_STATE_HOME/tessera/history`, else `~/.local/state/tessera/history` — in the user's state
//! directory, never in a data directory or the current directory.

use std::path::PathBuf;

/// The history file to use, or `None` when history is not to be kept on disk.
pub fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TESSERA_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("tessera/history"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".local/state/tessera/history"))
}
