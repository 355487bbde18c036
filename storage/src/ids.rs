//! Typed identifiers. Every id comes from one monotonically increasing counter per data directory and
//! is never reused, so an id names one object for the life of the directory (and of its backups).

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A database.
    DatabaseId
);
id_type!(
    /// A table.
    TableId
);
id_type!(
    /// One partition of a table.
    PartitionId
);
id_type!(
    /// One partition x one bucket: the unit of storage.
    TabletId
);
id_type!(
    /// One immutable Parquet file of a tablet.
    SegmentId
);
