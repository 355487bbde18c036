//! Pruning: which partitions, buckets and segments a scan can skip, given what its filters say about
//! column values.
//!
//! The engine turns query predicates into a [`ScanFilter`] (a conjunction: per column, the set of values
//! the column may take). Everything here is conservative: when in doubt, keep. A kept partition, bucket
//! or segment is then filtered row by row by the query itself, so pruning can only make scans faster,
//! never change a result.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;

use crate::catalog::{Distribution, PartitionBound, PartitionDef, PartitionKind, TableDef};
use crate::segment::SegmentMeta;
use crate::value::{hash_row, Value};

/// The values one column may take: an interval, optionally narrowed to a list of points. Any
/// constraint implies the column is not NULL (a comparison with NULL is never true).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRange {
    pub lower: Bound<Value>,
    pub upper: Bound<Value>,
    /// When set, the column equals one of these (already within `lower`/`upper`).
    pub points: Option<Vec<Value>>,
}

impl ColumnRange {
    pub fn all() -> Self {
        ColumnRange { lower: Bound::Unbounded, upper: Bound::Unbounded, points: None }
    }

    pub fn eq(v: Value) -> Self {
        ColumnRange { points: Some(vec![v]), ..Self::all() }
    }

    pub fn one_of(values: Vec<Value>) -> Self {
        ColumnRange { points: Some(values), ..Self::all() }
    }

    pub fn lower(bound: Bound<Value>) -> Self {
        ColumnRange { lower: bound, ..Self::all() }
    }

    pub fn upper(bound: Bound<Value>) -> Self {
        ColumnRange { upper: bound, ..Self::all() }
    }

    /// True when no value satisfies the range.
    pub fn is_empty(&self) -> bool {
        if let Some(points) = &self.points {
            return points.is_empty();
        }
        match (&self.lower, &self.upper) {
            (Bound::Included(l), Bound::Included(u)) => l.compare(u).is_gt(),
            (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u))
            | (Bound::Excluded(l), Bound::Included(u)) => l.compare(u).is_ge(),
            _ => false,
        }
    }

    /// The intersection of two ranges of one column.
    pub fn intersect(&self, other: &ColumnRange) -> ColumnRange {
        let lower = tighter_lower(&self.lower, &other.lower);
        let upper = tighter_upper(&self.upper, &other.upper);
        let points = match (&self.points, &other.points) {
            (Some(a), Some(b)) => Some(a.iter().filter(|x| b.iter().any(|y| x.compare(y).is_eq())).cloned().collect()),
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (None, None) => None,
        };
        let mut r = ColumnRange { lower, upper, points: None };
        r.points = points.map(|ps| ps.into_iter().filter(|p| r.admits(p)).collect());
        r
    }

    /// True when `v` satisfies the range.
    pub fn admits(&self, v: &Value) -> bool {
        if v.is_null() || matches!(v, Value::MinValue | Value::MaxValue) {
            return false;
        }
        let above = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(l) => v.compare(l).is_ge(),
            Bound::Excluded(l) => v.compare(l).is_gt(),
        };
        let below = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(u) => v.compare(u).is_le(),
            Bound::Excluded(u) => v.compare(u).is_lt(),
        };
        above && below && self.points.as_ref().is_none_or(|ps| ps.iter().any(|p| p.compare(v).is_eq()))
    }

    /// True when some value in `[lo, hi]` (or `[lo, hi)` when `hi_exclusive`) satisfies the range.
    pub fn overlaps(&self, lo: &Value, hi: &Value, hi_exclusive: bool) -> bool {
        if let Some(points) = &self.points {
            return points.iter().any(|p| {
                p.compare(lo).is_ge() && if hi_exclusive { p.compare(hi).is_lt() } else { p.compare(hi).is_le() }
            });
        }
        let below_hi = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(l) if hi_exclusive => l.compare(hi).is_lt(),
            Bound::Included(l) => l.compare(hi).is_le(),
            Bound::Excluded(l) => l.compare(hi).is_lt(),
        };
        let above_lo = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(u) => u.compare(lo).is_ge(),
            Bound::Excluded(u) => u.compare(lo).is_gt(),
        };
        below_hi && above_lo
    }
}

fn tighter_lower(a: &Bound<Value>, b: &Bound<Value>) -> Bound<Value> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x.clone(),
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => match x.compare(y) {
            std::cmp::Ordering::Greater => a.clone(),
            std::cmp::Ordering::Less => b.clone(),
            std::cmp::Ordering::Equal => {
                if matches!(a, Bound::Excluded(_)) {
                    a.clone()
                } else {
                    b.clone()
                }
            }
        },
    }
}

fn tighter_upper(a: &Bound<Value>, b: &Bound<Value>) -> Bound<Value> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x.clone(),
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => match x.compare(y) {
            std::cmp::Ordering::Less => a.clone(),
            std::cmp::Ordering::Greater => b.clone(),
            std::cmp::Ordering::Equal => {
                if matches!(a, Bound::Excluded(_)) {
                    a.clone()
                } else {
                    b.clone()
                }
            }
        },
    }
}

/// A conjunction of per-column ranges.
#[derive(Debug, Clone, Default)]
pub struct ScanFilter {
    pub columns: BTreeMap<String, ColumnRange>,
}

/// The most value combinations bucket pruning will hash (beyond that, every bucket is kept).
const MAX_BUCKET_COMBINATIONS: usize = 256;

impl ScanFilter {
    /// Adds a constraint on `column` (intersected with what is known already).
    pub fn add(&mut self, column: &str, range: ColumnRange) {
        let merged = match self.columns.get(column) {
            Some(existing) => existing.intersect(&range),
            None => range,
        };
        self.columns.insert(column.to_string(), merged);
    }

    /// True when the filter can match no row at all.
    pub fn is_unsatisfiable(&self) -> bool {
        self.columns.values().any(ColumnRange::is_empty)
    }

    /// Whether a partition may hold matching rows.
    pub fn keeps_partition(&self, table: &TableDef, partition: &PartitionDef) -> bool {
        if self.is_unsatisfiable() {
            return false;
        }
        match (&table.partition_kind, &partition.bound) {
            (PartitionKind::Range, PartitionBound::Range { lower, upper }) => {
                let (Some(column), Some(lo), Some(hi)) =
                    (table.partition_columns.first(), lower.first(), upper.first())
                else {
                    return true;
                };
                let Some(range) = self.columns.get(column) else { return true };
                // With one column the bound is [lo, hi); with more, the first column spans [lo, hi].
                let single = table.partition_columns.len() == 1;
                if lo.is_null() || matches!(lo, Value::MinValue) {
                    // The partition also holds NULLs, which no constraint admits; check the values.
                    return range.overlaps(&Value::MinValue, hi, single);
                }
                range.overlaps(lo, hi, single)
            }
            (PartitionKind::List, PartitionBound::List { values }) => values.iter().any(|tuple| {
                table
                    .partition_columns
                    .iter()
                    .zip(tuple)
                    .all(|(column, v)| self.columns.get(column).is_none_or(|r| r.admits(v)))
            }),
            _ => true,
        }
    }

    /// The buckets that may hold matching rows, or `None` for all of them.
    pub fn buckets(&self, table: &TableDef) -> Option<HashSet<usize>> {
        let Distribution::Hash { columns, buckets } = &table.distribution else { return None };
        let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
        for column in columns {
            let points = self.columns.get(column)?.points.as_ref()?;
            if combos.len() * points.len().max(1) > MAX_BUCKET_COMBINATIONS {
                return None;
            }
            combos = combos
                .iter()
                .flat_map(|prefix| {
                    points.iter().map(move |p| {
                        let mut next = prefix.clone();
                        next.push(p.clone());
                        next
                    })
                })
                .collect();
        }
        let n = u64::from((*buckets).max(1));
        Some(combos.iter().map(|c| (hash_row(c) % n) as usize).collect())
    }

    /// Whether a segment may hold matching rows, judging by its statistics.
    pub fn keeps_segment(&self, segment: &SegmentMeta) -> bool {
        if self.is_unsatisfiable() {
            return false;
        }
        for (column, range) in &self.columns {
            let Some(stats) = segment.column(column) else { continue };
            if stats.nulls == segment.rows && segment.rows > 0 {
                return false;
            }
            if let (Some(min), Some(max)) = (&stats.min, &stats.max) {
                if !range.overlaps(min, max, false) {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersect_and_overlap() {
        let r = ColumnRange::lower(Bound::Included(Value::Int(5)))
            .intersect(&ColumnRange::upper(Bound::Excluded(Value::Int(10))));
        assert!(r.admits(&Value::Int(5)));
        assert!(!r.admits(&Value::Int(10)));
        assert!(r.overlaps(&Value::Int(9), &Value::Int(20), false));
        assert!(!r.overlaps(&Value::Int(10), &Value::Int(20), false));
        assert!(!r.overlaps(&Value::Int(0), &Value::Int(5), true));
        let p = ColumnRange::one_of(vec![Value::Int(1), Value::Int(7)]).intersect(&r);
        assert_eq!(p.points, Some(vec![Value::Int(7)]));
        assert!(ColumnRange::eq(Value::Int(1)).intersect(&ColumnRange::eq(Value::Int(2))).is_empty());
    }
}
