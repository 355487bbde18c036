//! Printing parsed SQL back as text that parses to the same statement (view queries and function
//! bodies are stored as text).
//!
//! sqlparser prints a string literal with its quotes doubled but its backslashes as they are, while the
//! MySQL dialect reads backslash escapes (`'\\'` is one backslash, `'\n'` a newline): printing then
//! parsing again would lose one level of escaping and change the value. Backslashes are doubled here
//! before printing, so that text round-trips exactly.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast as sp;

struct EscapeBackslashes;

impl sp::VisitorMut for EscapeBackslashes {
    type Break = ();

    fn pre_visit_value(&mut self, value: &mut sp::ValueWithSpan) -> ControlFlow<()> {
        if let sp::Value::SingleQuotedString(s) | sp::Value::DoubleQuotedString(s) = &mut value.value {
            if s.contains('\\') {
                *s = s.replace('\\', "\\\\");
            }
        }
        ControlFlow::Continue(())
    }
}

/// The text of a query, for storing.
pub(crate) fn query_text(query: &sp::Query) -> String {
    let mut query = query.clone();
    let _ = sp::VisitMut::visit(&mut query, &mut EscapeBackslashes);
    query.to_string()
}

/// The text of an expression, for storing.
pub(crate) fn expr_text(expr: &sp::Expr) -> String {
    let mut expr = expr.clone();
    let _ = sp::VisitMut::visit(&mut expr, &mut EscapeBackslashes);
    expr.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_and_quotes_round_trip() {
        let sql = r"SELECT 'C:\\temp\\new', 'it''s', 'a\tb' AS x";
        let tessera_sql::Statement::Query(query) = tessera_sql::parse_statement(sql).unwrap() else { panic!() };
        let text = query_text(&query);
        let tessera_sql::Statement::Query(again) = tessera_sql::parse_statement(&text).unwrap() else { panic!() };
        assert_eq!(query_text(&again), text);
        assert_eq!(again.to_string(), query.to_string(), "{text}");
    }
}
