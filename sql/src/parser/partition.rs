//! Partitioning syntax: `PARTITION BY RANGE|LIST (cols) ( partition, ... )` and expression
//! partitioning (`PARTITION BY date_trunc('day', col)`, `time_slice(col, INTERVAL n unit)`, `col, ...`)
//! in CREATE TABLE, and the single partition of `ALTER TABLE ... ADD PARTITION`.
//!
//! A partition is `PARTITION [IF NOT EXISTS] name VALUES` followed by `LESS THAN (v, ...)`,
//! `LESS THAN MAXVALUE`, the half-open `[(lo, ...), (hi, ...))`, or `IN (v, ...)` /
//! `IN ((a, b), ...)`. Whether the values fit the partition columns is the engine's business; the
//! parser only checks that RANGE tables get range partitions and LIST tables list partitions.

use sqlparser::tokenizer::Token;

use super::tokens::LiteralOptions;
use super::StmtParser;
use crate::ast::{Literal, PartitionBy, PartitionExpression, PartitionKind, PartitionSpec, PartitionValues};
use crate::error::ParseError;

impl StmtParser<'_> {
    /// `PARTITION BY RANGE|LIST (cols) ( partition, ... )`, or expression partitioning.
    pub(crate) fn partition_by(&mut self) -> Result<PartitionBy, ParseError> {
        self.expect_word("PARTITION")?;
        self.expect_word("BY")?;
        let kind = if self.parse_word("RANGE") {
            PartitionKind::Range
        } else if self.parse_word("LIST") {
            PartitionKind::List
        } else {
            return self.partition_expression();
        };
        let kind_name = kind_name(kind);
        let columns = self.paren_ident_list(
            "partition column name",
            &format!("PARTITION BY {kind_name} needs at least one partition column"),
        )?;

        let open = self.p.peek_token_ref().clone();
        self.expect(&Token::LParen)?;
        if self.peek_word("START") {
            return Err(self.error_here(
                "batch partition creation (START ... END ... EVERY) is not supported; list the partitions",
            ));
        }
        let partitions = if self.p.peek_token_ref().token == Token::RParen {
            Vec::new()
        } else {
            self.comma_separated(|p| p.partition_of(kind))?
        };
        self.expect(&Token::RParen)?;
        if kind == PartitionKind::List && partitions.is_empty() {
            return Err(self.error_at(&open, "PARTITION BY LIST needs at least one partition"));
        }
        Ok(PartitionBy { kind, columns, partitions, expression: None })
    }

    /// What follows `PARTITION BY` in expression partitioning: `date_trunc('<unit>', col)`,
    /// `time_slice(col, INTERVAL n <unit> [, floor | ceil])`, `col, ...` or `(col, ...)`.
    fn partition_expression(&mut self) -> Result<PartitionBy, ParseError> {
        let start = self.p.peek_token_ref().clone();
        let function = match &start.token {
            Token::Word(w) if w.quote_style.is_none() && self.p.peek_nth_token_ref(1).token == Token::LParen => {
                Some(w.value.to_ascii_lowercase())
            }
            _ => None,
        };
        let Some(function) = function else {
            let columns = if self.consume(&Token::LParen) {
                let columns = self.comma_separated(|p| p.ident("partition column name"))?;
                self.expect(&Token::RParen)?;
                columns
            } else {
                self.comma_separated(|p| {
                    p.ident(
                        "RANGE, LIST, date_trunc(...), time_slice(...) or a partition column name after PARTITION BY",
                    )
                })?
            };
            let expression = Some(PartitionExpression::Columns);
            return Ok(PartitionBy { kind: PartitionKind::List, columns, partitions: Vec::new(), expression });
        };
        self.p.advance_token();
        self.expect(&Token::LParen)?;
        let (column, expression) = match function.as_str() {
            "date_trunc" => {
                let unit = self.string_literal(
                    "a quoted time unit ('hour', 'day', 'month' or 'year') as the first argument of date_trunc",
                )?;
                self.expect(&Token::Comma)?;
                let column = self.ident("partition column name")?;
                (column, PartitionExpression::DateTrunc { unit: unit.to_ascii_lowercase() })
            }
            "time_slice" => {
                let column = self.ident("partition column name")?;
                self.expect(&Token::Comma)?;
                self.expect_word("INTERVAL")?;
                let interval = self.interval_count()?;
                let unit = self.lower_word("a time unit (hour, day, month or year) after the INTERVAL count")?;
                let boundary = if self.consume(&Token::Comma) {
                    Some(self.lower_word("the boundary of time_slice (floor)")?)
                } else {
                    None
                };
                (column, PartitionExpression::TimeSlice { interval, unit, boundary })
            }
            other => {
                return Err(self.error_at(
                    &start,
                    format!(
                    "unsupported partition expression function {other}(): PARTITION BY takes RANGE (...), LIST (...), \
                         date_trunc('<unit>', col), time_slice(col, INTERVAL n <unit>) or column names"
                ),
                ))
            }
        };
        self.expect(&Token::RParen)?;
        Ok(PartitionBy {
            kind: PartitionKind::Range,
            columns: vec![column],
            partitions: Vec::new(),
            expression: Some(expression),
        })
    }

    /// The `n` of `INTERVAL n <unit>`: a positive integer literal.
    fn interval_count(&mut self) -> Result<u64, ParseError> {
        let token = self.p.peek_token_ref().clone();
        if let Token::Number(n, _) = &token.token {
            if let Some(n) = n.parse::<u64>().ok().filter(|&n| n > 0) {
                self.p.advance_token();
                return Ok(n);
            }
        }
        let found = match (&token.token, &self.p.peek_nth_token_ref(1).token) {
            (Token::Minus, Token::Number(n, _)) => format!("-{n}"),
            (other, _) => super::tokens::describe(other),
        };
        Err(self.error_at(&token, format!("the INTERVAL of time_slice must be a positive integer, found {found}")))
    }

    /// An unquoted word (a time unit such as `day`, or `floor`), lower-cased.
    fn lower_word(&mut self, what: &str) -> Result<String, ParseError> {
        match &self.p.peek_token_ref().token {
            Token::Word(w) if w.quote_style.is_none() => {
                let word = w.value.to_ascii_lowercase();
                self.p.advance_token();
                Ok(word)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// One partition in a `PARTITION BY` list, checked against the partitioning kind.
    fn partition_of(&mut self, kind: PartitionKind) -> Result<PartitionSpec, ParseError> {
        let start = self.p.peek_token_ref().clone();
        let spec = self.partition_spec()?;
        let fits = match kind {
            PartitionKind::Range => !matches!(spec.values, PartitionValues::In(_)),
            PartitionKind::List => matches!(spec.values, PartitionValues::In(_)),
        };
        if fits {
            return Ok(spec);
        }
        let wanted = match kind {
            PartitionKind::Range => "VALUES LESS THAN (...) or VALUES [(...), (...))",
            PartitionKind::List => "VALUES IN (...)",
        };
        Err(self.error_at(
            &start,
            format!("partition {} of a {} partitioned table needs {wanted}", spec.name, kind_name(kind)),
        ))
    }

    /// `PARTITION [IF NOT EXISTS] name VALUES ...`.
    pub(crate) fn partition_spec(&mut self) -> Result<PartitionSpec, ParseError> {
        self.expect_word("PARTITION")?;
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        let name = self.ident("partition name")?;
        self.expect_word("VALUES")?;
        let values = self.partition_values()?;
        Ok(PartitionSpec { name, if_not_exists, values })
    }

    /// What follows `VALUES`.
    fn partition_values(&mut self) -> Result<PartitionValues, ParseError> {
        if self.parse_words(&["LESS", "THAN"]) {
            if self.parse_word("MAXVALUE") {
                return Ok(PartitionValues::LessThan(vec![Literal::MaxValue]));
            }
            return Ok(PartitionValues::LessThan(self.value_tuple(true)?));
        }
        if self.consume(&Token::LBracket) {
            let lower = self.value_tuple(false)?;
            self.expect(&Token::Comma)?;
            // SHOW CREATE TABLE writes a last range partition as `[(lo), (MAXVALUE))`.
            let upper = self.value_tuple(true)?;
            if self.p.peek_token_ref().token != Token::RParen {
                return Err(self.expected("')' closing the half-open range [(...), (...))"));
            }
            self.p.advance_token();
            return Ok(PartitionValues::Fixed(lower, upper));
        }
        if self.parse_word("IN") {
            self.expect(&Token::LParen)?;
            let tuples = if self.p.peek_token_ref().token == Token::LParen {
                self.comma_separated(|p| p.value_tuple(false))?
            } else {
                self.comma_separated(|p| p.partition_value(false).map(|v| vec![v]))?
            };
            self.expect(&Token::RParen)?;
            return Ok(PartitionValues::In(tuples));
        }
        Err(self.expected("LESS THAN, '[' or IN after VALUES"))
    }

    /// `(v, ...)` with at least one value.
    fn value_tuple(&mut self, max_value: bool) -> Result<Vec<Literal>, ParseError> {
        self.expect(&Token::LParen)?;
        let values = self.comma_separated(|p| p.partition_value(max_value))?;
        self.expect(&Token::RParen)?;
        Ok(values)
    }

    fn partition_value(&mut self, max_value: bool) -> Result<Literal, ParseError> {
        let options = LiteralOptions { max_value, current_timestamp: false };
        self.literal(options, "a partition value")
    }
}

fn kind_name(kind: PartitionKind) -> &'static str {
    match kind {
        PartitionKind::Range => "RANGE",
        PartitionKind::List => "LIST",
    }
}
