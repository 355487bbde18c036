//! Materialized views as storage sees them: a table whose rows are derived from other tables.
//!
//! Both kinds are ordinary tables (tablets, segments, compaction, snapshots all work unchanged) whose
//! record carries a [`MaterializedViewDef`]:
//! - a **synchronous** materialized view (a rollup, [`MaterializedKind::Sync`]) is an AGGREGATE KEY
//!   table holding `SELECT keys, agg(..) FROM base GROUP BY keys` of one DUPLICATE KEY base table, kept
//!   equal to it by the engine in the same commits as the base's rows. Its `ready` flag says whether it
//!   is: the commit that changes the base other than by appending rows (rewrites, overwrites, dropped
//!   tablets) clears it (see `store.rs`, "rollup invalidation"), so no path can leave a rollup that
//!   claims to be current but is not; the engine then rebuilds it and sets the flag again.
//! - an **asynchronous** materialized view ([`MaterializedKind::Async`]) is a DUPLICATE KEY table
//!   holding the result of any query as of its last refresh, refreshed by jobs.
//!
//! What stays true: fields added later get serde defaults; the SQL text is the engine's business.

use serde::{Deserialize, Serialize};

use crate::ids::TableId;

/// The definition and state of a materialized view, stored in its table's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializedViewDef {
    /// The defining query, as SQL text in the MySQL dialect; unqualified names resolve in the view's
    /// database.
    pub query: String,
    pub kind: MaterializedKind,
    /// The tables the query reads (views it reads are expanded), as of creation or the last ACTIVE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_tables: Vec<BaseTableRef>,
    /// `None` when the view is active; otherwise why not (a base table was dropped, ALTER ... INACTIVE,
    /// restored without its base tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_reason: Option<String>,
    /// The last refresh (asynchronous views).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<RefreshRecord>,
}

impl MaterializedViewDef {
    pub fn is_active(&self) -> bool {
        self.inactive_reason.is_none()
    }

    pub fn is_sync(&self) -> bool {
        matches!(self.kind, MaterializedKind::Sync { .. })
    }

    /// The base table of a synchronous view.
    pub fn sync_base(&self) -> Option<TableId> {
        match self.kind {
            MaterializedKind::Sync { base, .. } => Some(base),
            MaterializedKind::Async { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MaterializedKind {
    /// A rollup of `base`, maintained with every write to it. `ready`: equal to the base as of this
    /// state (cleared by any commit that changes the base other than by appending).
    Sync { base: TableId, ready: bool },
    /// Refreshed by jobs.
    Async { refresh: RefreshSchedule },
}

/// When an asynchronous view refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RefreshSchedule {
    /// Only by `REFRESH MATERIALIZED VIEW`.
    Manual,
    /// By the refresh job: every `every` (from `start_ms`, or creation), or, without `every`, whenever
    /// a base table changed.
    Async {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        every: Option<RefreshInterval>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_ms: Option<i64>,
    },
}

/// `EVERY (INTERVAL n unit)`: `count` of `unit` (SECOND, MINUTE, HOUR, DAY or WEEK, upper case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshInterval {
    pub count: u32,
    pub unit: String,
}

impl RefreshInterval {
    /// Seconds in one unit, for the units an interval may use.
    pub fn unit_seconds(unit: &str) -> Option<u64> {
        Some(match unit.to_ascii_uppercase().as_str() {
            "SECOND" => 1,
            "MINUTE" => 60,
            "HOUR" => 3600,
            "DAY" => 86_400,
            "WEEK" => 7 * 86_400,
            _ => return None,
        })
    }

    /// The interval in milliseconds (0 for a unit this build does not know).
    pub fn millis(&self) -> u64 {
        Self::unit_seconds(&self.unit).unwrap_or(0).saturating_mul(u64::from(self.count)).saturating_mul(1000)
    }
}

/// A table a materialized view reads: its id when the view was defined, and its name then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseTableRef {
    pub database: String,
    pub table: String,
    pub id: TableId,
}

/// The outcome of one refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub start_ms: i64,
    pub finish_ms: i64,
    /// `SUCCESS` or `FAILED`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A digest of the base tables' tablet versions the rows were computed from: an ASYNC view without
    /// EVERY refreshes when it no longer matches.
    #[serde(default)]
    pub base_digest: u64,
}
