//! A cheap first pass for a join's dynamic filter: the key values it can keep, as a bitmap.
//!
//! When a join's build side has few distinct keys, DataFusion pushes them to the probe side's scan as an
//! `IN (SET)` list; a partitioned join wraps one list per partition in
//! `CASE hash_repartition % n WHEN 0 THEN .. IN (SET) (..) WHEN 1 THEN .. END`. Evaluated as written, that
//! hashes every row of the scan to pick its branch, then looks it up in that branch's set. The rows the
//! filter can keep are a subset of the rows whose key is in the *union* of the lists, and for an integer
//! key that union fits a bitmap over its value range: testing a row is one subtraction and one bit.
//!
//! [`KeyPrefilter::derive`] finds such a superset in a filter (an `IN` list on a column, under `AND`, and
//! in every branch of a `CASE` or `OR`); the scan keeps only the rows it passes and evaluates the
//! whole filter on those. What must stay true: the prefilter never drops a row the filter would keep
//! (it is only derived where every way through the filter goes through one of the lists; a NULL key
//! passes no list), so the result is the filter's own.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{BinaryExpr, CaseExpr, Column, InListExpr, Literal};
use datafusion::physical_expr::PhysicalExpr;

/// Largest value range a prefilter's bitmap spans (8 MiB of bits).
const MAX_RANGE: u64 = 64 << 20;

/// The key values a runtime filter can keep, on one integer column of the scan's output.
pub(crate) struct KeyPrefilter {
    column: usize,
    min: i64,
    bits: Vec<u64>,
}

impl KeyPrefilter {
    /// The prefilter of `filter` (a snapshot of a dynamic filter, over the scan's output schema), if it
    /// has one: see the module documentation.
    pub(crate) fn derive(filter: &Arc<dyn PhysicalExpr>) -> Option<KeyPrefilter> {
        let (column, values) = keys(filter)?;
        let ints: Vec<i64> = values.iter().filter_map(as_i64).collect();
        if ints.len() != values.iter().filter(|v| !v.is_null()).count() {
            return None;
        }
        let (min, max) = (*ints.iter().min()?, *ints.iter().max()?);
        let span = max.abs_diff(min);
        if span >= MAX_RANGE {
            return None;
        }
        let mut bits = vec![0u64; (span + 1).div_ceil(64) as usize];
        for v in ints {
            let offset = v.abs_diff(min);
            bits[(offset / 64) as usize] |= 1 << (offset % 64);
        }
        Some(KeyPrefilter { column, min, bits })
    }

    /// The rows of `batch` whose key is one of the values (false for a NULL key), or `None` when the
    /// column is not an integer column.
    pub(crate) fn mask(&self, batch: &RecordBatch) -> Option<BooleanArray> {
        let column: &ArrayRef = batch.columns().get(self.column)?;
        let values: BooleanBuffer = match column.data_type() {
            DataType::Int64 => self.test(column.as_primitive::<Int64Type>().values()),
            DataType::Int32 => self.test(column.as_primitive::<Int32Type>().values()),
            DataType::Date32 => self.test(column.as_primitive::<Date32Type>().values()),
            _ => return None,
        };
        // A NULL key is kept by no list: its mask bit is false, not NULL.
        let values = match column.nulls() {
            Some(nulls) => &values & nulls.inner(),
            None => values,
        };
        Some(BooleanArray::new(values, None::<NullBuffer>))
    }

    fn test<T: Copy + Into<i64>>(&self, keys: &[T]) -> BooleanBuffer {
        let span = self.bits.len() as u64 * 64;
        BooleanBuffer::collect_bool(keys.len(), |i| {
            let key = keys[i].into();
            let offset = key.abs_diff(self.min);
            key >= self.min && offset < span && self.bits[(offset / 64) as usize] & (1 << (offset % 64)) != 0
        })
    }
}

fn as_i64(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int64(Some(v)) => Some(*v),
        ScalarValue::Int32(Some(v)) | ScalarValue::Date32(Some(v)) => Some(*v as i64),
        _ => None,
    }
}

/// A column and values such that every row `expr` keeps has its value in that column among them.
fn keys(expr: &Arc<dyn PhysicalExpr>) -> Option<(usize, Vec<ScalarValue>)> {
    if let Some(list) = expr.downcast_ref::<InListExpr>() {
        if list.negated() {
            return None;
        }
        let column = list.expr().downcast_ref::<Column>()?;
        let values = list
            .list()
            .iter()
            .map(|item| item.downcast_ref::<Literal>().map(|l| l.value().clone()))
            .collect::<Option<Vec<_>>>()?;
        return Some((column.index(), values));
    }
    if let Some(binary) = expr.downcast_ref::<BinaryExpr>() {
        return match binary.op() {
            Operator::And => keys(binary.left()).or_else(|| keys(binary.right())),
            Operator::Or => union(keys(binary.left())?, keys(binary.right())?),
            _ => None,
        };
    }
    if let Some(case) = expr.downcast_ref::<CaseExpr>() {
        // Without ELSE (or ELSE false / NULL), a row no branch takes is dropped.
        if let Some(otherwise) = case.else_expr() {
            let literal = otherwise.downcast_ref::<Literal>()?;
            if !matches!(literal.value(), ScalarValue::Boolean(None | Some(false)) | ScalarValue::Null) {
                return None;
            }
        }
        let mut branches = case.when_then_expr().iter().map(|(_, then)| keys(then));
        let first = branches.next()??;
        return branches.try_fold(first, |all, next| union(all, next?));
    }
    None
}

fn union(a: (usize, Vec<ScalarValue>), b: (usize, Vec<ScalarValue>)) -> Option<(usize, Vec<ScalarValue>)> {
    if a.0 != b.0 {
        return None;
    }
    let mut values = a.1;
    values.extend(b.1);
    Some((a.0, values))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, Int64Array};
    use arrow::datatypes::{Field, Schema};
    use datafusion::physical_expr::expressions::{binary, case, col, in_list, lit};

    use super::*;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Int32, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(5), None, Some(9), Some(1_000_000), Some(-3)])),
                Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6])),
            ],
        )
        .unwrap()
    }

    /// `name IN (values)`, the values typed as the column.
    fn list(name: &str, values: &[i64]) -> Arc<dyn PhysicalExpr> {
        let schema = batch().schema();
        let literal = |v: i64| if name == "v" { lit(v as i32) } else { lit(v) };
        in_list(col(name, &schema).unwrap(), values.iter().map(|v| literal(*v)).collect(), &false, &schema).unwrap()
    }

    fn kept(filter: &Arc<dyn PhysicalExpr>) -> Option<Vec<bool>> {
        let mask = KeyPrefilter::derive(filter)?.mask(&batch())?;
        assert_eq!(mask.null_count(), 0);
        Some(mask.iter().map(|b| b.unwrap()).collect())
    }

    #[test]
    fn an_in_list_keeps_its_keys_and_never_a_null() {
        assert_eq!(kept(&list("k", &[5, -3, 7])), Some(vec![false, true, false, false, false, true]));
    }

    #[test]
    fn the_list_is_found_under_and_and_in_every_branch_of_a_case() {
        let schema = batch().schema();
        let k = col("k", &schema).unwrap();
        let bounded = binary(
            binary(k.clone(), Operator::GtEq, lit(0i64), &schema).unwrap(),
            Operator::And,
            list("k", &[5]),
            &schema,
        )
        .unwrap();
        assert_eq!(kept(&bounded), Some(vec![false, true, false, false, false, false]));
        // As a partitioned join writes it: one list per partition, picked by a hash of the key.
        let partitioned = case(
            Some(binary(k.clone(), Operator::Modulo, lit(2i64), &schema).unwrap()),
            vec![(lit(0i64), bounded.clone()), (lit(1i64), list("k", &[1, 1_000_000]))],
            None,
        )
        .unwrap();
        assert_eq!(kept(&partitioned), Some(vec![true, true, false, false, true, false]));
        let either = binary(list("k", &[9]), Operator::Or, list("k", &[1]), &schema).unwrap();
        assert_eq!(kept(&either), Some(vec![true, false, false, true, false, false]));
    }

    #[test]
    fn no_prefilter_where_a_row_could_pass_without_a_list() {
        let schema = batch().schema();
        let k = col("k", &schema).unwrap();
        let with_else = case(Some(k.clone()), vec![(lit(0i64), list("k", &[5]))], Some(lit(true))).unwrap();
        assert!(KeyPrefilter::derive(&with_else).is_none());
        let or_other = binary(
            list("k", &[5]),
            Operator::Or,
            binary(k.clone(), Operator::Gt, lit(3i64), &schema).unwrap(),
            &schema,
        )
        .unwrap();
        assert!(KeyPrefilter::derive(&or_other).is_none());
        let two_columns = binary(list("k", &[5]), Operator::Or, list("v", &[2]), &schema).unwrap();
        assert!(KeyPrefilter::derive(&two_columns).is_none());
        let negated = in_list(k, vec![lit(5i64)], &true, &schema).unwrap();
        assert!(KeyPrefilter::derive(&negated).is_none());
        assert!(KeyPrefilter::derive(&list("k", &[0, i64::MAX])).is_none(), "range too wide for a bitmap");
        assert!(KeyPrefilter::derive(&list("k", &[i64::MIN, i64::MAX])).is_none(), "the widest range");
        assert_eq!(kept(&list("k", &[i64::MIN])), Some(vec![false; 6]), "no key wraps around to the minimum");
        assert!(KeyPrefilter::derive(&lit(true)).is_none());
    }

    #[test]
    fn an_int32_column_works_too() {
        let mask = KeyPrefilter::derive(&list("v", &[2, 6])).unwrap().mask(&batch()).unwrap();
        assert_eq!(mask.iter().map(|b| b.unwrap()).collect::<Vec<_>>(), vec![false, true, false, false, false, true]);
    }
}
