//! Definitions of the catalog objects that hold no data: logical views and SQL functions.
//!
//! Storage gives them no meaning: the engine persists each one as a record (`record/view/<id>`,
//! `record/function/<id>`, see `docs/storage-format.md`) in the same transactions as the rest of the
//! catalog, and backups carry them in their manifests. The SQL texts are the engine's business; here
//! they are strings.
//!
//! What stays true: every record has a `format` field (currently 1) and fields added later get serde
//! defaults, so that older records still load; a record newer than this build is refused, never
//! half-read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::ColumnType;
use crate::error::{Result, StorageError};
use crate::ids::DatabaseId;

/// The record kind of views.
pub const VIEW_RECORD: &str = "view";
/// The record kind of SQL functions.
pub const FUNCTION_RECORD: &str = "function";
/// Format of view and function records written by this build.
pub const LOGICAL_OBJECT_FORMAT_VERSION: u32 = 1;

/// A logical view: a named query, planned again each time a statement uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDef {
    pub format: u32,
    /// The record id (from the directory's id counter, never reused).
    pub id: u64,
    pub database_id: DatabaseId,
    pub name: String,
    /// The SELECT, as SQL text in the MySQL dialect; unqualified names resolve in the view's database.
    pub query: String,
    /// The declared column names (and comments); empty when the view takes its query's names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ViewColumnDef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub create_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewColumnDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A scalar SQL function: one overload (name and argument types) with an expression body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub format: u32,
    pub id: u64,
    pub database_id: DatabaseId,
    pub name: String,
    pub parameters: Vec<FunctionParameterDef>,
    pub returns: ColumnType,
    /// The body: a SQL expression over the parameters (MySQL dialect).
    pub body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    pub create_time_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionParameterDef {
    pub name: String,
    pub data_type: ColumnType,
}

impl FunctionDef {
    /// `name(TYPE, ...)`: how errors and SHOW FUNCTIONS name one overload.
    pub fn signature(&self) -> String {
        let types: Vec<String> = self.parameters.iter().map(|p| p.data_type.to_string()).collect();
        format!("{}({})", self.name, types.join(", "))
    }

    /// True when the two overloads could not be told apart by a call: same name and the same runtime
    /// (Arrow) argument types (CHAR(n), VARCHAR(n) and STRING are one type; so are LARGEINT and
    /// DECIMAL(38,0)).
    pub fn same_signature(&self, other: &FunctionDef) -> bool {
        self.name == other.name
            && self.parameters.len() == other.parameters.len()
            && self
                .parameters
                .iter()
                .zip(&other.parameters)
                .all(|(a, b)| a.data_type.arrow_type() == b.data_type.arrow_type())
    }
}

/// Encodes a view or function record.
pub fn encode_object<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StorageError::Internal(format!("cannot encode a record: {e}")))
}

/// Decodes a view or function record, refusing a format newer than this build reads.
pub fn decode_object<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| StorageError::Corruption(format!("{what} cannot be decoded: {e}")))?;
    if version.format > LOGICAL_OBJECT_FORMAT_VERSION {
        return Err(StorageError::Corruption(format!(
            "{what} has format {}; this build reads up to {LOGICAL_OBJECT_FORMAT_VERSION}",
            version.format
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| StorageError::Corruption(format!("{what} cannot be decoded: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_newer_formats_are_refused() {
        let view = ViewDef {
            format: LOGICAL_OBJECT_FORMAT_VERSION,
            id: 7,
            database_id: DatabaseId(3),
            name: "v".into(),
            query: "SELECT 1".into(),
            columns: vec![],
            comment: None,
            create_time_ms: 0,
        };
        let bytes = encode_object(&view).unwrap();
        assert_eq!(decode_object::<ViewDef>(&bytes, "view 7").unwrap(), view);
        let newer = String::from_utf8(bytes).unwrap().replace("\"format\":1", "\"format\":99");
        let error = decode_object::<ViewDef>(newer.as_bytes(), "view 7").unwrap_err().to_string();
        assert!(error.contains("format 99"), "{error}");
        assert!(decode_object::<ViewDef>(b"{\"format\":1}", "view 7").is_err());
    }
}
