//! Translating DataFusion filter expressions into storage [`ScanFilter`]s for pruning.
//!
//! Only predicates whose meaning is certain are translated: `column <op> literal` (either side),
//! `column IN (literals)`, `column BETWEEN literal AND literal`, and conjunctions of those. A literal is
//! used only if it converts to the column's type without loss; otherwise the predicate is ignored
//! (pruning less is always safe).

use std::ops::Bound;

use arrow::compute::kernels::cast::{cast_with_options, CastOptions};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{utils::split_conjunction, Between, BinaryExpr, Expr, Operator};
use tessera_storage::value::value_at;
use tessera_storage::{ColumnRange, ColumnType, ScanFilter, TableDef, Value};

/// Builds the pruning filter implied by the conjunction of `filters`.
pub(crate) fn scan_filter(table: &TableDef, filters: &[Expr]) -> ScanFilter {
    let mut out = ScanFilter::default();
    for filter in filters {
        for conjunct in split_conjunction(filter) {
            add_predicate(table, conjunct, &mut out);
        }
    }
    out
}

fn add_predicate(table: &TableDef, expr: &Expr, out: &mut ScanFilter) {
    match expr {
        // DataFusion rewrites short IN lists into OR chains; `c = 1 OR c = 2 OR c IN (3)` is a point set.
        Expr::BinaryExpr(BinaryExpr { op: Operator::Or, .. }) => {
            if let Some((column, values)) = disjunction_points(table, expr) {
                out.add(&column, ColumnRange::one_of(values));
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (column, literal, op) = match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v, _)) => (c, v, *op),
                (Expr::Literal(v, _), Expr::Column(c)) => match op.swap() {
                    Some(swapped) => (c, v, swapped),
                    None => return,
                },
                _ => return,
            };
            let Some((_, def)) = table.column(&column.name) else { return };
            let Some(value) = literal_value(literal, &def.column_type) else { return };
            let range = match op {
                Operator::Eq => ColumnRange::eq(value),
                Operator::Lt => ColumnRange::upper(Bound::Excluded(value)),
                Operator::LtEq => ColumnRange::upper(Bound::Included(value)),
                Operator::Gt => ColumnRange::lower(Bound::Excluded(value)),
                Operator::GtEq => ColumnRange::lower(Bound::Included(value)),
                _ => return,
            };
            out.add(&column.name, range);
        }
        Expr::InList(list) if !list.negated => {
            let Expr::Column(column) = list.expr.as_ref() else { return };
            let Some((_, def)) = table.column(&column.name) else { return };
            let mut values = Vec::with_capacity(list.list.len());
            for item in &list.list {
                let Expr::Literal(v, _) = item else { return };
                if v.is_null() {
                    continue; // `x IN (NULL)` matches nothing
                }
                let Some(value) = literal_value(v, &def.column_type) else { return };
                values.push(value);
            }
            out.add(&column.name, ColumnRange::one_of(values));
        }
        Expr::Between(Between { expr, negated: false, low, high }) => {
            let (Expr::Column(column), Expr::Literal(lo, _), Expr::Literal(hi, _)) =
                (expr.as_ref(), low.as_ref(), high.as_ref())
            else {
                return;
            };
            let Some((_, def)) = table.column(&column.name) else { return };
            if let Some(lo) = literal_value(lo, &def.column_type) {
                out.add(&column.name, ColumnRange::lower(Bound::Included(lo)));
            }
            if let Some(hi) = literal_value(hi, &def.column_type) {
                out.add(&column.name, ColumnRange::upper(Bound::Included(hi)));
            }
        }
        _ => {}
    }
}

/// For `c = v1 OR c = v2 OR c IN (...)` over one column `c`: that column and its values.
fn disjunction_points(table: &TableDef, expr: &Expr) -> Option<(String, Vec<Value>)> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            let (c1, mut v1) = disjunction_points(table, left)?;
            let (c2, v2) = disjunction_points(table, right)?;
            if c1 != c2 {
                return None;
            }
            v1.extend(v2);
            Some((c1, v1))
        }
        _ => {
            let mut single = ScanFilter::default();
            add_predicate(table, expr, &mut single);
            let (column, range) = single.columns.into_iter().next()?;
            Some((column, range.points?))
        }
    }
}

/// Converts a literal to a value of the column's type, or `None` if that would change its value.
pub(crate) fn literal_value(literal: &ScalarValue, column_type: &ColumnType) -> Option<Value> {
    if literal.is_null() {
        return None;
    }
    let source = literal.to_array().ok()?;
    let strict = CastOptions { safe: false, ..Default::default() };
    let converted = cast_with_options(&source, &column_type.arrow_type(), &strict).ok()?;
    let back = cast_with_options(&converted, source.data_type(), &strict).ok()?;
    let round_trip = ScalarValue::try_from_array(&back, 0).ok()?;
    if &round_trip != literal {
        return None;
    }
    value_at(converted.as_ref(), 0).ok()
}
