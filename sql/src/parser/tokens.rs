//! Token-level helpers shared by all statement parsers: matching words, identifiers and their
//! normalization, object names, lists, string and DDL literals, and building located errors.
//!
//! Words are matched by their text (case-insensitively, unquoted only) rather than by sqlparser's
//! `Keyword` enum, so StarRocks words unknown to sqlparser (BUCKETS, LARGEINT, ...) work the same way,
//! and a back-quoted word is never mistaken for a keyword.

use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use super::StmtParser;
use crate::ast::{Literal, ObjectName};
use crate::error::ParseError;

/// True when `token` is the unquoted word `word` (ASCII case-insensitive).
pub(crate) fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// Words that cannot be unquoted names. All are reserved in MySQL and StarRocks; the list holds the
/// ones that matter to this grammar, so that `DROP TABLE IF` or `PARTITION VALUES ...` is an error
/// instead of a table named `if` or a partition named `values`.
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "ADD", "ALL", "ALTER", "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CREATE", "DATABASE",
    "DATABASES", "DEFAULT", "DELETE", "DESC", "DESCRIBE", "DISTINCT", "DROP", "ELSE", "EXISTS",
    "EXPLAIN", "FALSE", "FROM", "GROUP", "HAVING", "IF", "IN", "INDEX", "INSERT", "INTO", "IS",
    "JOIN", "KEY", "LIKE", "LIMIT", "NOT", "NULL", "ON", "OR", "ORDER", "PARTITION", "PRIMARY",
    "RANGE", "SCHEMA", "SCHEMAS", "SELECT", "SET", "SHOW", "TABLE", "THEN", "TRUE", "UNION",
    "UNIQUE", "UPDATE", "USE", "VALUES", "WHEN", "WHERE", "WITH",
];

pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// An identifier as DataFusion normalizes it: unquoted lower-cased, quoted kept exactly.
pub(crate) fn normalize(word: &Word) -> String {
    match word.quote_style {
        None => word.value.to_ascii_lowercase(),
        Some(_) => word.value.clone(),
    }
}

/// How a token is shown in an error message.
pub(crate) fn describe(token: &Token) -> String {
    match token {
        Token::EOF => "end of input".to_string(),
        Token::Word(w) => match w.quote_style {
            Some(q) => format!("{q}{}{q}", w.value),
            None => w.value.clone(),
        },
        other => other.to_string(),
    }
}

/// Which literals a DDL position accepts besides numbers, strings, NULL and booleans.
#[derive(Clone, Copy)]
pub(crate) struct LiteralOptions {
    /// `MAXVALUE` (range partition bounds).
    pub(crate) max_value: bool,
    /// `CURRENT_TIMESTAMP` / `NOW()` (column defaults).
    pub(crate) current_timestamp: bool,
}

impl StmtParser<'_> {
    // ----- errors -----

    /// An error located at `token` (at the end of input when it is EOF).
    pub(crate) fn error_at(&self, token: &TokenWithSpan, message: impl Into<String>) -> ParseError {
        if token.token == Token::EOF || token.span.start.line == 0 {
            ParseError::at(message, self.end)
        } else {
            ParseError::at(message, token.span.start)
        }
    }

    /// An error located at the next token.
    pub(crate) fn error_here(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.p.peek_token_ref(), message)
    }

    /// `expected <what>, found <next token>`.
    pub(crate) fn expected(&self, what: &str) -> ParseError {
        let found = describe(&self.p.peek_token_ref().token);
        self.error_here(format!("expected {what}, found {found}"))
    }

    /// Converts an error from one of sqlparser's parse functions.
    pub(crate) fn sqlparser_error(&self, e: ParserError) -> ParseError {
        ParseError::from_sqlparser(e, self.end)
    }

    /// Up to `max` tokens starting at token index `start`, stopping at `;` or the end of input, with
    /// `...` when more follow. Used to quote the beginning of an unsupported statement or clause.
    pub(crate) fn words_from(&self, start: usize, max: usize) -> String {
        let mut words = Vec::new();
        let mut index = start;
        loop {
            let token = &self.p.token_at(index).token;
            index += 1;
            match token {
                Token::Whitespace(_) => continue,
                Token::EOF | Token::SemiColon => break,
                _ if words.len() == max => {
                    words.push("...".to_string());
                    break;
                }
                other => words.push(describe(other)),
            }
        }
        if words.is_empty() {
            "end of input".to_string()
        } else {
            words.join(" ")
        }
    }

    /// The first non-whitespace token at or after index `start`.
    pub(crate) fn first_significant_from(&self, start: usize) -> TokenWithSpan {
        let mut index = start;
        loop {
            let token = self.p.token_at(index);
            if !matches!(token.token, Token::Whitespace(_)) {
                return token.clone();
            }
            index += 1;
        }
    }

    // ----- peeking and matching -----

    pub(crate) fn at_eof(&self) -> bool {
        self.p.peek_token_ref().token == Token::EOF
    }

    /// True at `;` or the end of input.
    pub(crate) fn at_statement_end(&self) -> bool {
        matches!(self.p.peek_token_ref().token, Token::EOF | Token::SemiColon)
    }

    /// The next token's text upper-cased when it is an unquoted word.
    pub(crate) fn peek_keyword_text(&self) -> Option<String> {
        match &self.p.peek_token_ref().token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// True when the `n`-th next token (0 = next) is the unquoted word `word`.
    pub(crate) fn peek_word_at(&self, n: usize, word: &str) -> bool {
        is_word(&self.p.peek_nth_token_ref(n).token, word)
    }

    pub(crate) fn peek_word(&self, word: &str) -> bool {
        self.peek_word_at(0, word)
    }

    /// True when the next tokens are exactly `words`.
    pub(crate) fn peek_words(&self, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(n, word)| self.peek_word_at(n, word))
    }

    /// Consumes the word `word` if it is next.
    pub(crate) fn parse_word(&mut self, word: &str) -> bool {
        let matched = self.peek_word(word);
        if matched {
            self.p.advance_token();
        }
        matched
    }

    /// Consumes all of `words` if they are next, else nothing.
    pub(crate) fn parse_words(&mut self, words: &[&str]) -> bool {
        let matched = self.peek_words(words);
        if matched {
            for _ in words {
                self.p.advance_token();
            }
        }
        matched
    }

    pub(crate) fn expect_word(&mut self, word: &str) -> Result<(), ParseError> {
        if self.parse_word(word) {
            Ok(())
        } else {
            Err(self.expected(word))
        }
    }

    /// Consumes `token` if it is next.
    pub(crate) fn consume(&mut self, token: &Token) -> bool {
        self.p.consume_token(token)
    }

    /// Consumes `token` or fails with `expected '<token>', found ...`.
    pub(crate) fn expect(&mut self, token: &Token) -> Result<(), ParseError> {
        if self.consume(token) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{token}'")))
        }
    }

    /// True when a query (SELECT, WITH, VALUES or a parenthesized query) starts at the `n`-th next token.
    pub(crate) fn query_starts_at(&self, n: usize) -> bool {
        let token = &self.p.peek_nth_token_ref(n).token;
        *token == Token::LParen || ["SELECT", "WITH", "VALUES"].iter().any(|word| is_word(token, word))
    }

    pub(crate) fn peek_query_start(&self) -> bool {
        self.query_starts_at(0)
    }

    // ----- names -----

    /// One identifier, normalized. `what` names it in errors (`table name`, `column name`, ...).
    pub(crate) fn ident(&mut self, what: &str) -> Result<String, ParseError> {
        let token = self.p.peek_token_ref().clone();
        match &token.token {
            Token::Word(w) if w.value.is_empty() => {
                Err(self.error_at(&token, format!("empty identifier is not allowed as {what}")))
            }
            Token::Word(w) if w.quote_style.is_none() && is_reserved(&w.value) => Err(self.error_at(
                &token,
                format!("expected {what}, found reserved word {}; back-quote it to use it as a name", w.value),
            )),
            Token::Word(w) => {
                self.p.advance_token();
                Ok(normalize(w))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// `[db.]name`.
    pub(crate) fn object_name(&mut self, what: &str) -> Result<ObjectName, ParseError> {
        let first = self.ident(what)?;
        if !self.consume(&Token::Period) {
            return Ok(ObjectName { database: None, name: first });
        }
        let name = self.ident(what)?;
        if self.p.peek_token_ref().token == Token::Period {
            return Err(self.error_here(format!("{what} has too many parts: only [database.]name is supported")));
        }
        Ok(ObjectName { database: Some(first), name })
    }

    /// `(a, b, ...)` with at least one identifier; `empty_error` is the message for `()`.
    pub(crate) fn paren_ident_list(&mut self, what: &str, empty_error: &str) -> Result<Vec<String>, ParseError> {
        self.expect(&Token::LParen)?;
        if self.p.peek_token_ref().token == Token::RParen {
            return Err(self.error_here(empty_error));
        }
        let names = self.comma_separated(|p| p.ident(what))?;
        self.expect(&Token::RParen)?;
        Ok(names)
    }

    /// One or more `item`s separated by commas.
    pub(crate) fn comma_separated<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut items = vec![item(self)?];
        while self.consume(&Token::Comma) {
            items.push(item(self)?);
        }
        Ok(items)
    }

    // ----- literals -----

    /// A quoted string (single or double quotes), exactly as written after unescaping.
    pub(crate) fn string_literal(&mut self, what: &str) -> Result<String, ParseError> {
        match &self.p.peek_token_ref().token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                let s = s.clone();
                self.p.advance_token();
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A literal in DDL: a number (optionally signed), a string, NULL, TRUE/FALSE, and, when
    /// `options` allow it, MAXVALUE or CURRENT_TIMESTAMP / NOW().
    pub(crate) fn literal(&mut self, options: LiteralOptions, what: &str) -> Result<Literal, ParseError> {
        let token = self.p.peek_token_ref().token.clone();
        let literal = match &token {
            Token::Minus | Token::Plus => {
                let negative = token == Token::Minus;
                let Token::Number(n, _) = &self.p.peek_nth_token_ref(1).token else {
                    return Err(self.expected(what));
                };
                let n = n.clone();
                self.p.advance_token();
                Literal::Number(if negative { format!("-{n}") } else { n })
            }
            Token::Number(n, _) => Literal::Number(n.clone()),
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => Literal::String(s.clone()),
            t if is_word(t, "NULL") => Literal::Null,
            t if is_word(t, "TRUE") => Literal::Boolean(true),
            t if is_word(t, "FALSE") => Literal::Boolean(false),
            t if options.max_value && is_word(t, "MAXVALUE") => Literal::MaxValue,
            t if options.current_timestamp && is_word(t, "CURRENT_TIMESTAMP") => {
                self.p.advance_token();
                // `CURRENT_TIMESTAMP()` is the same thing.
                if self.p.peek_token_ref().token == Token::LParen && self.p.peek_nth_token_ref(1).token == Token::RParen
                {
                    self.p.advance_token();
                    self.p.advance_token();
                }
                return Ok(Literal::CurrentTimestamp);
            }
            t if options.current_timestamp && is_word(t, "NOW") => {
                self.p.advance_token();
                self.expect(&Token::LParen)?;
                self.expect(&Token::RParen)?;
                return Ok(Literal::CurrentTimestamp);
            }
            _ => return Err(self.expected(what)),
        };
        self.p.advance_token();
        Ok(literal)
    }
}
