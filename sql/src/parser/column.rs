//! Column definitions: `name type [agg_type] [NULL | NOT NULL] [DEFAULT literal] [COMMENT "..."]`, and the column
//! types StarRocks knows (parsed by hand as a word plus optional parenthesized integers).

use sqlparser::tokenizer::Token;

use super::tokens::{describe, LiteralOptions};
use super::StmtParser;
use crate::ast::{AggregateKind, ColumnSpec, SqlType};
use crate::error::ParseError;

/// StarRocks aggregate types that may follow a column type in an AGGREGATE KEY table.
const AGGREGATE_TYPES: &[&str] =
    &["SUM", "MIN", "MAX", "REPLACE", "REPLACE_IF_NOT_NULL", "HLL_UNION", "BITMAP_UNION", "PERCENTILE_UNION"];

/// What a type word accepts in parentheses.
enum TypeArgs {
    /// No parentheses allowed.
    None,
    /// An optional display width, accepted and ignored (`INT(11)`, as StarRocks prints it).
    Width,
    /// Up to this many integers.
    UpTo(usize),
}

impl StmtParser<'_> {
    /// One column definition; stops before whatever follows it (`,`, `)`, FIRST, AFTER, ...).
    pub(crate) fn column_def(&mut self) -> Result<ColumnSpec, ParseError> {
        let name = self.ident("column name")?;
        if matches!(self.p.peek_token_ref().token, Token::Comma | Token::RParen | Token::EOF | Token::SemiColon) {
            return Err(self.expected(&format!("a type for column {name}")));
        }
        let data_type = self.sql_type()?;
        let mut column = ColumnSpec { name, data_type, nullable: None, default: None, comment: None, aggregate: None };
        self.column_attributes(&mut column)?;
        Ok(column)
    }

    /// `[NULL | NOT NULL] [DEFAULT literal] [COMMENT "..."]` in any order.
    fn column_attributes(&mut self, column: &mut ColumnSpec) -> Result<(), ParseError> {
        loop {
            let start = self.p.peek_token_ref().clone();
            if self.parse_words(&["NOT", "NULL"]) || self.parse_word("NULL") {
                if column.nullable.is_some() {
                    return Err(self.error_at(&start, format!("column {}: NULL / NOT NULL given twice", column.name)));
                }
                column.nullable = Some(!is_not(&start.token));
            } else if self.parse_word("DEFAULT") {
                if column.default.is_some() {
                    return Err(self.error_at(&start, format!("column {}: DEFAULT given twice", column.name)));
                }
                let options = LiteralOptions { max_value: false, current_timestamp: true };
                column.default = Some(self.literal(options, "a literal after DEFAULT")?);
            } else if self.parse_word("COMMENT") {
                if column.comment.is_some() {
                    return Err(self.error_at(&start, format!("column {}: COMMENT given twice", column.name)));
                }
                column.comment = Some(self.string_literal("a quoted string after COMMENT")?);
            } else if let Some(word) = self.peek_keyword_text() {
                if AGGREGATE_TYPES.contains(&word.as_str()) {
                    let kind = match word.as_str() {
                        "SUM" => AggregateKind::Sum,
                        "MIN" => AggregateKind::Min,
                        "MAX" => AggregateKind::Max,
                        "REPLACE" => AggregateKind::Replace,
                        "REPLACE_IF_NOT_NULL" => AggregateKind::ReplaceIfNotNull,
                        _ => {
                            return Err(self.error_here(format!(
                                "aggregate type {word} is not supported (column {}); use SUM, MIN, MAX, REPLACE or \
                                 REPLACE_IF_NOT_NULL",
                                column.name
                            )))
                        }
                    };
                    if column.aggregate.is_some() {
                        return Err(self.error_here(format!("column {}: aggregate type given twice", column.name)));
                    }
                    self.p.next_token();
                    column.aggregate = Some(kind);
                    continue;
                }
                if word == "AUTO_INCREMENT" || word == "KEY" || word == "AS" {
                    return Err(
                        self.error_here(format!("column attribute {word} is not supported (column {})", column.name))
                    );
                }
                return Ok(());
            } else {
                return Ok(());
            }
        }
    }

    /// A column type: a word and optional `(n[, m])`.
    pub(crate) fn sql_type(&mut self) -> Result<SqlType, ParseError> {
        let token = self.p.peek_token_ref().clone();
        let Token::Word(word) = &token.token else {
            return Err(self.expected("a column type"));
        };
        let name = word.value.to_ascii_uppercase();
        let known = if word.quote_style.is_some() { None } else { type_args(&name) };
        let Some(accepted) = known else {
            return Err(
                self.error_at(&token, format!("unknown column type: {}", describe(&token.token).to_ascii_uppercase()))
            );
        };
        self.p.advance_token();

        let args = if self.p.peek_token_ref().token == Token::LParen { self.type_args(&name)? } else { Vec::new() };
        match accepted {
            TypeArgs::None if !args.is_empty() => {
                return Err(self.error_at(&token, format!("type {name} takes no arguments")));
            }
            TypeArgs::Width if args.len() > 1 => {
                return Err(self.error_at(
                    &token,
                    format!("type {name} takes at most one argument (a display width), found {}", args.len()),
                ));
            }
            TypeArgs::UpTo(max) if args.len() > max => {
                return Err(self.error_at(
                    &token,
                    format!("type {name} takes at most {max} argument{}, found {}", plural(max), args.len()),
                ));
            }
            _ => {}
        }
        let first = args.first().copied();
        let second = args.get(1).copied();
        Ok(match name.as_str() {
            "BOOLEAN" | "BOOL" => SqlType::Boolean,
            "TINYINT" => SqlType::TinyInt,
            "SMALLINT" => SqlType::SmallInt,
            "INT" | "INTEGER" => SqlType::Int,
            "BIGINT" => SqlType::BigInt,
            "LARGEINT" => SqlType::LargeInt,
            "FLOAT" => SqlType::Float,
            "DOUBLE" => SqlType::Double,
            "CHAR" => SqlType::Char(first),
            "VARCHAR" => SqlType::Varchar(first),
            "STRING" | "TEXT" => SqlType::String,
            "DATE" => SqlType::Date,
            "DATETIME" | "TIMESTAMP" => SqlType::Datetime,
            // Every DECIMAL spelling (type_args accepted nothing else).
            _ => SqlType::Decimal(first, second),
        })
    }

    /// `(n, ...)`: non-negative integers that fit in a u32.
    fn type_args(&mut self, name: &str) -> Result<Vec<u32>, ParseError> {
        self.expect(&Token::LParen)?;
        let args = self.comma_separated(|p| {
            let token = p.p.peek_token_ref().clone();
            let value = match &token.token {
                Token::Number(n, _) => n.parse::<u32>().ok(),
                _ => None,
            };
            match value {
                Some(value) => {
                    p.p.advance_token();
                    Ok(value)
                }
                None => Err(p.error_at(
                    &token,
                    format!("arguments of type {name} must be non-negative integers, found {}", describe(&token.token)),
                )),
            }
        })?;
        self.expect(&Token::RParen)?;
        Ok(args)
    }
}

/// The arguments a known type word accepts, or `None` for an unknown type.
fn type_args(name: &str) -> Option<TypeArgs> {
    Some(match name {
        "BOOLEAN" | "BOOL" | "FLOAT" | "DOUBLE" | "STRING" | "TEXT" | "DATE" | "DATETIME" | "TIMESTAMP" => {
            TypeArgs::None
        }
        "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "LARGEINT" => TypeArgs::Width,
        "DECIMAL" | "DECIMALV2" | "DECIMALV3" | "DECIMAL32" | "DECIMAL64" | "DECIMAL128" | "NUMERIC" => {
            TypeArgs::UpTo(2)
        }
        "CHAR" | "VARCHAR" => TypeArgs::UpTo(1),
        _ => return None,
    })
}

fn is_not(token: &Token) -> bool {
    super::tokens::is_word(token, "NOT")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
