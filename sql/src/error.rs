//! [`ParseError`]: what was wrong with the SQL text and, when known, where.
//!
//! Errors of our own parser are built with the location of the offending token; errors coming from
//! `sqlparser` (tokenizer or parser) carry their location inside the message text, which is taken out
//! and turned into `line` / `column` here so that every error reads the same way.

use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Location, TokenizerError};

/// A syntax error: a human message and, when known, the 1-based line and column of the offending token.
///
/// Displayed as `syntax error at line 1, column 15: expected ..., found ...` (or `syntax error: ...`
/// when the location is unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error{}: {message}", location_suffix(.line, .column))]
pub struct ParseError {
    /// What is wrong, e.g. `unknown column type: FOO`.
    pub message: String,
    /// 1-based line of the offending token.
    pub line: Option<u64>,
    /// 1-based column (in characters) of the offending token.
    pub column: Option<u64>,
}

fn location_suffix(line: &Option<u64>, column: &Option<u64>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

impl ParseError {
    /// An error without a known location.
    pub fn new(message: impl Into<String>) -> Self {
        ParseError { message: message.into(), line: None, column: None }
    }

    /// An error at `location`; sqlparser's "empty" location (line 0) means unknown.
    pub(crate) fn at(message: impl Into<String>, location: Location) -> Self {
        let known = location.line > 0;
        ParseError {
            message: message.into(),
            line: known.then_some(location.line),
            column: known.then_some(location.column),
        }
    }

    /// Converts a tokenizer error (unterminated string, comment or quoted identifier, ...).
    pub(crate) fn from_tokenizer(e: TokenizerError) -> Self {
        ParseError::at(lowercase_first(&e.message), e.location)
    }

    /// Converts an error from sqlparser's parser. `end` is where the input ends: sqlparser reports
    /// "found: EOF" without a location, and the end of the input is the best place to point at.
    pub(crate) fn from_sqlparser(e: ParserError, end: Location) -> Self {
        let raw = match e {
            ParserError::TokenizerError(s) | ParserError::ParserError(s) => s,
            ParserError::RecursionLimitExceeded => {
                return ParseError::new("statement is nested too deeply (recursion limit exceeded)")
            }
        };
        let (text, location) = split_location(&raw);
        // "Expected: X, found: Y" (and "Expected X, found: Y") -> "expected X, found Y".
        let text = match text.strip_prefix("Expected: ") {
            Some(rest) => format!("expected {rest}"),
            None => lowercase_first(text),
        };
        let mut message = text.replacen(", found: ", ", found ", 1);
        let mut location = location;
        if let Some(stripped) = message.strip_suffix("found EOF") {
            message = format!("{stripped}found end of input");
            location = location.or(Some(end));
        }
        match location {
            Some(location) => ParseError::at(message, location),
            None => ParseError::new(message),
        }
    }
}

/// Splits sqlparser's `"<message> at Line: L, Column: C"` into the message and the location.
fn split_location(raw: &str) -> (&str, Option<Location>) {
    let Some((text, position)) = raw.rsplit_once(" at Line: ") else {
        return (raw, None);
    };
    let Some((line, column)) = position.split_once(", Column: ") else {
        return (raw, None);
    };
    match (line.trim().parse::<u64>(), column.trim().parse::<u64>()) {
        (Ok(line), Ok(column)) => (text, Some(Location::new(line, column))),
        _ => (raw, None),
    }
}

/// `"Unterminated string literal"` -> `"unterminated string literal"`, leaving acronyms (`EOF`) alone.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let rest = chars.as_str();
    if first.is_ascii_uppercase() && !rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        format!("{}{rest}", first.to_ascii_lowercase())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_and_without_location() {
        let e = ParseError::at("expected a, found b", Location::new(1, 15));
        assert_eq!(e.to_string(), "syntax error at line 1, column 15: expected a, found b");
        assert_eq!(ParseError::new("boom").to_string(), "syntax error: boom");
    }

    #[test]
    fn sqlparser_messages_are_rewritten() {
        let e = ParseError::from_sqlparser(
            ParserError::ParserError("Expected: ), found: foo at Line: 2, Column: 7".into()),
            Location::new(3, 1),
        );
        assert_eq!(e.message, "expected ), found foo");
        assert_eq!((e.line, e.column), (Some(2), Some(7)));

        let e = ParseError::from_sqlparser(
            ParserError::ParserError("Expected: an expression, found: EOF".into()),
            Location::new(3, 9),
        );
        assert_eq!(e.message, "expected an expression, found end of input");
        assert_eq!((e.line, e.column), (Some(3), Some(9)));

        let e = ParseError::from_sqlparser(ParserError::RecursionLimitExceeded, Location::new(1, 1));
        assert!(e.message.contains("nested too deeply"));
    }

    #[test]
    fn lowercase_first_keeps_acronyms() {
        assert_eq!(lowercase_first("Unterminated string"), "unterminated string");
        assert_eq!(lowercase_first("EOF reached"), "EOF reached");
        assert_eq!(lowercase_first(""), "");
        assert_eq!(lowercase_first("É"), "É");
    }
}
