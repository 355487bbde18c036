//! `tessera-sql`: turns SQL text into [`Statement`]s.
//!
//! This crate owns the StarRocks-compatible SQL surface of Tessera: text goes in, a [`Statement`]
//! (or a [`ParseError`] with a line and column) comes out. It never looks at a catalog, never touches
//! storage and never plans anything, so it can say *what* was written but not whether it makes sense
//! (unknown tables, wrong partition arity, bad lengths and precisions are the engine's business).
//!
//! What stays true:
//! - Standard query syntax (SELECT / WITH / VALUES, the source of an INSERT, the WHERE of a DELETE,
//!   EXPLAIN) is kept as `sqlparser` AST, untouched, for DataFusion to plan.
//! - Every name in our own AST is normalized like DataFusion does it: unquoted identifiers are
//!   lower-cased, back-quoted ones are kept exactly. Strings, property keys and values are never changed.
//! - Parsing never panics: any input, however broken, yields `Ok` or a `ParseError`.
//! - The dialect is MySQL's (as StarRocks): back-quotes quote identifiers, `'...'` and `"..."` are both
//!   string literals, and `--`, `#` and `/* */` are comments.

pub mod ast;
mod error;
mod parser;
mod split;

pub use ast::*;
pub use error::ParseError;

/// Parses every `;`-separated statement in `sql` (empty statements are skipped).
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>, ParseError> {
    parser::parse_statements(sql)
}

/// Parses exactly one statement (a trailing `;` allowed); more than one is an error.
pub fn parse_statement(sql: &str) -> Result<Statement, ParseError> {
    parser::parse_statement(sql)
}

/// Splits text into statement texts at top-level `;` (respecting quotes, backticks and comments),
/// without parsing them; trailing text without `;` is returned as the last element if non-blank.
///
/// Each element is the original text between two separators, trimmed of surrounding whitespace and
/// without its `;`. Pieces holding nothing but whitespace and comments are dropped. Used by the
/// CLI/REPL to run statements one by one and to know whether input is complete.
pub fn split_statements(sql: &str) -> Result<Vec<String>, ParseError> {
    split::split_statements(sql)
}

/// True when `sql` ends with a complete statement (ends in `;` outside quotes/comments) — for the REPL.
///
/// Trailing whitespace and comments after the `;` are ignored; an unterminated quote or comment means
/// the input is not complete.
pub fn is_complete(sql: &str) -> bool {
    split::is_complete(sql)
}
