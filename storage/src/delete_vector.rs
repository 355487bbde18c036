//! Delete vectors: the rows of an immutable segment that a later commit deleted.
//!
//! Keyed tables (PRIMARY, UNIQUE, AGGREGATE KEY) never rewrite a segment to remove a row: an upsert or a
//! DELETE adds the row's ordinal (its position in the segment file, from 0) to the segment's delete
//! vector, in the same commit as whatever replaces it. A delete vector belongs to one tablet version, like
//! the segment list, so a reader pinned on an older version keeps seeing the rows it saw. Compaction
//! drops deleted rows for good by rewriting the segment without them.
//!
//! Persisted form (key `dv/<tablet>/<segment>`, see `docs/storage-format.md`): one format byte
//! ([`DELETE_VECTOR_FORMAT`]) followed by the portable serialization of a 32-bit Roaring bitmap.

use std::fmt;

use arrow::array::BooleanArray;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use roaring::RoaringBitmap;

use crate::error::{Result, StorageError};

/// Format byte at the start of every persisted delete vector.
pub const DELETE_VECTOR_FORMAT: u8 = 1;

/// The deleted row ordinals of one segment. Immutable once published; changes make a new one.
#[derive(Clone, Default, PartialEq)]
pub struct DeleteVector {
    rows: RoaringBitmap,
}

impl fmt::Debug for DeleteVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeleteVector({} rows)", self.rows.len())
    }
}

impl DeleteVector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_rows(rows: impl IntoIterator<Item = u32>) -> Self {
        DeleteVector { rows: rows.into_iter().collect() }
    }

    /// Number of deleted rows.
    pub fn len(&self) -> u64 {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn contains(&self, row: u32) -> bool {
        self.rows.contains(row)
    }

    /// This vector with `other`'s rows added.
    pub fn union(&self, other: &DeleteVector) -> DeleteVector {
        DeleteVector { rows: &self.rows | &other.rows }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter()
    }

    /// Largest deleted ordinal, if any.
    pub fn max(&self) -> Option<u32> {
        self.rows.max()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.rows.serialized_size());
        out.push(DELETE_VECTOR_FORMAT);
        // Writing into a Vec cannot fail.
        let _ = self.rows.serialize_into(&mut out);
        out
    }

    /// Decodes [`encode`](Self::encode)'s output; `what` names the vector in errors.
    pub fn decode(bytes: &[u8], what: &str) -> Result<DeleteVector> {
        match bytes.split_first() {
            Some((&DELETE_VECTOR_FORMAT, body)) => RoaringBitmap::deserialize_from(body)
                .map(|rows| DeleteVector { rows })
                .map_err(|e| StorageError::Corruption(format!("delete vector {what} cannot be decoded: {e}"))),
            Some((format, _)) => Err(StorageError::Corruption(format!(
                "delete vector {what} has format {format}; this build reads format {DELETE_VECTOR_FORMAT}"
            ))),
            None => Err(StorageError::Corruption(format!("delete vector {what} is empty"))),
        }
    }

    /// The rows of a `total_rows`-row file that are still live, as a Parquet row selection.
    pub fn live_selection(&self, total_rows: u64) -> RowSelection {
        let mut selectors = Vec::new();
        let mut next = 0u64;
        for row in self.rows.iter().map(u64::from).filter(|r| *r < total_rows) {
            if row > next {
                selectors.push(RowSelector::select((row - next) as usize));
            }
            selectors.push(RowSelector::skip(1));
            next = row + 1;
        }
        if total_rows > next {
            selectors.push(RowSelector::select((total_rows - next) as usize));
        }
        RowSelection::from(selectors)
    }

    /// How many of rows `offset .. offset + len` of the segment are deleted.
    pub fn count_in(&self, offset: u64, len: u64) -> u64 {
        let start = u32::try_from(offset).unwrap_or(u32::MAX);
        let end = u32::try_from(offset.saturating_add(len)).unwrap_or(u32::MAX);
        if start >= end {
            return 0;
        }
        self.rows.range_cardinality(start..end)
    }

    /// A filter mask for rows `offset .. offset + len` of the segment: true where the row is live.
    pub fn live_mask(&self, offset: u64, len: usize) -> BooleanArray {
        (0..len as u64).map(|i| Some(!u32::try_from(offset + i).is_ok_and(|r| self.rows.contains(r)))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_rejects_damage() {
        let dv = DeleteVector::from_rows([0, 5, 6, 1 << 20]);
        let bytes = dv.encode();
        assert_eq!(DeleteVector::decode(&bytes, "t").unwrap(), dv);
        assert!(DeleteVector::decode(&[], "t").is_err());
        assert!(DeleteVector::decode(&[9, 1, 2], "t").is_err());
        assert!(DeleteVector::decode(&bytes[..bytes.len() - 1], "t").is_err());
    }

    #[test]
    fn live_selection_skips_exactly_the_deleted_rows() {
        let dv = DeleteVector::from_rows([0, 3, 4, 9]);
        let selection = dv.live_selection(10);
        let selected: Vec<usize> = selection
            .iter()
            .scan(0usize, |pos, s| {
                let start = *pos;
                *pos += s.row_count;
                Some((start, s.row_count, s.skip))
            })
            .filter(|(_, _, skip)| !skip)
            .flat_map(|(start, n, _)| start..start + n)
            .collect();
        assert_eq!(selected, vec![1, 2, 5, 6, 7, 8]);
        assert_eq!(dv.live_mask(2, 4), BooleanArray::from(vec![true, false, false, true]));
        assert_eq!((dv.count_in(0, 10), dv.count_in(1, 2), dv.count_in(5, 5), dv.count_in(10, 5)), (4, 0, 1, 0));
    }
}
