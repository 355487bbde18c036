//! Statement splitting without parsing, for the CLI / REPL: where the top-level `;` are, and whether
//! the input ends with one.
//!
//! Both work on sqlparser's tokenizer (MySQL dialect), so a `;` inside a string, a back-quoted
//! identifier or a comment is never a separator. Statement texts are sliced from the original input
//! (using the token locations), so they keep their exact spelling, spacing and inner comments.

use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::error::ParseError;
use crate::parser::DIALECT;

/// Splits `sql` at top-level `;`. See [`crate::split_statements`].
pub(crate) fn split_statements(sql: &str) -> Result<Vec<String>, ParseError> {
    let tokens = tokenize(sql)?;
    let lines = LineIndex::new(sql);
    let mut statements = Vec::new();
    let mut start = 0;
    let mut has_content = false;
    for token in &tokens {
        match token.token {
            Token::SemiColon => {
                let end = lines.offset(token.span.start);
                push_piece(&mut statements, sql, start, end, has_content);
                start = lines.offset(token.span.end);
                has_content = false;
            }
            Token::Whitespace(_) => {}
            _ => has_content = true,
        }
    }
    push_piece(&mut statements, sql, start, sql.len(), has_content);
    Ok(statements)
}

/// True when the last token that is not whitespace or a comment is a `;`.
pub(crate) fn is_complete(sql: &str) -> bool {
    let Ok(tokens) = tokenize(sql) else {
        return false;
    };
    tokens.iter().rev().find(|t| !matches!(t.token, Token::Whitespace(_))).is_some_and(|t| t.token == Token::SemiColon)
}

fn tokenize(sql: &str) -> Result<Vec<TokenWithSpan>, ParseError> {
    Tokenizer::new(&DIALECT, sql).tokenize_with_location().map_err(ParseError::from_tokenizer)
}

/// Adds `sql[start..end]`, trimmed, unless it holds nothing but whitespace and comments.
fn push_piece(out: &mut Vec<String>, sql: &str, start: usize, end: usize, has_content: bool) {
    if !has_content {
        return;
    }
    if let Some(text) = sql.get(start..end) {
        let text = text.trim();
        if !text.is_empty() {
            out.push(text.to_string());
        }
    }
}

/// Maps the tokenizer's (line, column) locations — 1-based, columns counted in chars — to byte offsets.
struct LineIndex<'a> {
    sql: &'a str,
    /// Byte offset where each line starts; line 1 starts at 0.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(sql: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { sql, line_starts }
    }

    /// The byte offset of `location`, clamped to the input (an unknown location is its end).
    fn offset(&self, location: Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let Some(&line_start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return self.sql.len();
        };
        let Some(rest) = self.sql.get(line_start..) else {
            return self.sql.len();
        };
        let column = usize::try_from(location.column).unwrap_or(usize::MAX);
        match column.checked_sub(1) {
            Some(chars) => rest.char_indices().nth(chars).map_or(self.sql.len(), |(i, _)| line_start + i),
            None => line_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_chars_not_bytes() {
        let sql = "é;\nab;";
        let index = LineIndex::new(sql);
        assert_eq!(index.offset(Location::new(1, 2)), 2); // the `;` after a 2-byte char
        assert_eq!(index.offset(Location::new(2, 3)), 6);
        assert_eq!(index.offset(Location::new(9, 1)), sql.len());
        assert_eq!(index.offset(Location::new(0, 0)), sql.len());
        assert_eq!(index.offset(Location::new(2, 99)), sql.len());
    }
}
