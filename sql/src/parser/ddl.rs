//! DDL: CREATE / DROP DATABASE, CREATE TABLE (with keys, COMMENT, partitioning, distribution,
//! PROPERTIES and AS query), DROP TABLE, TRUNCATE TABLE and the supported ALTER TABLE operations
//! (ADD/DROP PARTITION, ADD/DROP COLUMN, SET properties).
//!
//! CREATE TABLE clauses follow StarRocks' order: ENGINE, key, COMMENT, PARTITION BY, DISTRIBUTED BY,
//! ORDER BY (rejected), PROPERTIES, AS. A clause out of order or given twice is a clear error.

use sqlparser::tokenizer::Token;

use super::StmtParser;
use crate::ast::{AlterTableOp, CreateTable, DistributionSpec, KeyKind, KeySpec, Statement};
use crate::error::ParseError;

/// The CREATE TABLE clauses after the column list, in the order StarRocks requires them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Clause {
    Engine,
    Key,
    Comment,
    PartitionBy,
    DistributedBy,
    OrderBy,
    Properties,
    As,
}

impl Clause {
    fn name(self) -> &'static str {
        match self {
            Clause::Engine => "ENGINE",
            Clause::Key => "the key (DUPLICATE / PRIMARY / UNIQUE / AGGREGATE KEY)",
            Clause::Comment => "COMMENT",
            Clause::PartitionBy => "PARTITION BY",
            Clause::DistributedBy => "DISTRIBUTED BY",
            Clause::OrderBy => "ORDER BY",
            Clause::Properties => "PROPERTIES",
            Clause::As => "AS",
        }
    }
}

const KEY_KINDS: &[(&str, KeyKind)] = &[
    ("DUPLICATE", KeyKind::Duplicate),
    ("PRIMARY", KeyKind::Primary),
    ("UNIQUE", KeyKind::Unique),
    ("AGGREGATE", KeyKind::Aggregate),
];

impl StmtParser<'_> {
    /// `CREATE DATABASE|SCHEMA ...`, `CREATE TABLE ...`, `CREATE [OR REPLACE] VIEW|FUNCTION ...` or `CREATE [READ ONLY] REPOSITORY ...`.
    pub(crate) fn create(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("CREATE")?;
        if self.parse_word("DATABASE") || self.parse_word("SCHEMA") {
            let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
            let name = self.ident("database name")?;
            return Ok(Statement::CreateDatabase { name, if_not_exists });
        }
        if self.parse_word("TABLE") {
            return self.create_table().map(|t| Statement::CreateTable(Box::new(t)));
        }
        if let Some(statement) = self.create_view_or_function()? {
            return Ok(statement);
        }
        if let Some(statement) = self.create_materialized_view()? {
            return Ok(statement);
        }
        if let Some(statement) = self.create_backup_object()? {
            return Ok(statement);
        }
        Err(self.unsupported())
    }

    /// `DROP DATABASE|SCHEMA ...`, `DROP TABLE ...`, `DROP REPOSITORY ...` or `DROP SNAPSHOT ...`.
    pub(crate) fn drop(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("DROP")?;
        if self.parse_word("DATABASE") || self.parse_word("SCHEMA") {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            let name = self.ident("database name")?;
            let force = self.parse_word("FORCE");
            return Ok(Statement::DropDatabase { name, if_exists, force });
        }
        if self.parse_word("TABLE") {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            let name = self.object_name("table name")?;
            let force = self.parse_word("FORCE");
            return Ok(Statement::DropTable { name, if_exists, force });
        }
        if let Some(statement) = self.drop_view_or_function()? {
            return Ok(statement);
        }
        if let Some(statement) = self.drop_materialized_view()? {
            return Ok(statement);
        }
        if let Some(statement) = self.drop_backup_object()? {
            return Ok(statement);
        }
        Err(self.unsupported())
    }

    /// `TRUNCATE [TABLE] [db.]t [PARTITION|PARTITIONS (p, ...)]`.
    pub(crate) fn truncate(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("TRUNCATE")?;
        // TABLE is optional, as in MySQL.
        let _ = self.parse_word("TABLE");
        let name = self.object_name("table name")?;
        let partitions = self.optional_partition_names()?;
        Ok(Statement::TruncateTable { name, partitions })
    }

    /// `[PARTITION | PARTITIONS] (p, ...)` after a table name; empty when absent.
    pub(crate) fn optional_partition_names(&mut self) -> Result<Vec<String>, ParseError> {
        if self.parse_word("PARTITION") || self.parse_word("PARTITIONS") {
            self.paren_ident_list("partition name", "expected at least one partition name")
        } else {
            Ok(Vec::new())
        }
    }

    /// `ALTER TABLE [db.]t <operation>`.
    pub(crate) fn alter(&mut self) -> Result<Statement, ParseError> {
        self.expect_word("ALTER")?;
        if let Some(statement) = self.alter_view()? {
            return Ok(statement);
        }
        if let Some(statement) = self.alter_materialized_view()? {
            return Ok(statement);
        }
        if !self.parse_word("TABLE") {
            return Err(self.unsupported());
        }
        let name = self.object_name("table name")?;
        let op_start = self.p.index();
        let op = if self.peek_words(&["ADD", "PARTITION"]) {
            self.expect_word("ADD")?;
            AlterTableOp::AddPartition(self.partition_spec()?)
        } else if self.parse_words(&["DROP", "PARTITION"]) {
            let if_exists = self.parse_words(&["IF", "EXISTS"]);
            let name = self.ident("partition name")?;
            // FORCE (skip the recycle bin) means nothing here: a dropped partition is gone.
            let _ = self.parse_word("FORCE");
            AlterTableOp::DropPartition { name, if_exists }
        } else if self.parse_words(&["ADD", "COLUMN"]) {
            let column = self.column_def()?;
            let after = if self.parse_word("FIRST") {
                Some(String::new())
            } else if self.parse_word("AFTER") {
                Some(self.ident("column name")?)
            } else {
                None
            };
            if !self.at_statement_end() {
                return Err(self.expected("NULL, NOT NULL, DEFAULT, COMMENT, FIRST, AFTER or end of statement"));
            }
            AlterTableOp::AddColumn { column, after }
        } else if self.parse_words(&["DROP", "COLUMN"]) {
            AlterTableOp::DropColumn { name: self.ident("column name")? }
        } else if self.parse_word("SET") {
            let properties = self.property_list()?;
            if properties.is_empty() {
                return Err(self.error_here("ALTER TABLE ... SET needs at least one property".to_string()));
            }
            AlterTableOp::SetProperties(properties)
        } else {
            let words = self.words_from(op_start, 3);
            return Err(self.error_here(format!("unsupported ALTER TABLE operation: {words}")));
        };
        Ok(Statement::AlterTable { name, op })
    }

    /// Everything after `CREATE TABLE`.
    fn create_table(&mut self) -> Result<CreateTable, ParseError> {
        let if_not_exists = self.parse_words(&["IF", "NOT", "EXISTS"]);
        let name = self.object_name("table name")?;
        let columns = if self.p.peek_token_ref().token == Token::LParen { self.column_list()? } else { Vec::new() };
        let mut table = CreateTable {
            name,
            if_not_exists,
            columns,
            key: None,
            comment: None,
            partition_by: None,
            distribution: None,
            properties: Vec::new(),
            as_query: None,
        };

        let mut last: Option<Clause> = None;
        while let Some(clause) = self.peek_clause() {
            if let Some(previous) = last {
                if clause == previous {
                    return Err(self.error_here(format!("{} is given twice", clause.name())));
                }
                if clause < previous {
                    return Err(self.error_here(format!("{} must come before {}", clause.name(), previous.name())));
                }
            }
            match clause {
                Clause::Engine => self.engine()?,
                Clause::Key => table.key = Some(self.key_desc()?),
                Clause::Comment => {
                    self.expect_word("COMMENT")?;
                    let _ = self.consume(&Token::Eq);
                    table.comment = Some(self.string_literal("a quoted string after COMMENT")?);
                }
                Clause::PartitionBy => table.partition_by = Some(self.partition_by()?),
                Clause::DistributedBy => table.distribution = Some(self.distribution()?),
                Clause::OrderBy => return Err(self.error_here("ORDER BY (sort key) in CREATE TABLE is not supported")),
                Clause::Properties => table.properties = self.properties()?,
                Clause::As => {
                    self.expect_word("AS")?;
                    if !self.peek_query_start() {
                        return Err(self.expected("a query after AS"));
                    }
                    let query = self.p.parse_query();
                    table.as_query = Some(query.map_err(|e| self.sqlparser_error(e))?);
                    // Nothing may follow the query.
                    if !self.at_statement_end() {
                        return Err(self.expected("end of statement"));
                    }
                }
            }
            last = Some(clause);
        }

        if table.columns.is_empty() && table.as_query.is_none() {
            return Err(self.expected("a column list or AS <query>"));
        }
        if !self.at_statement_end() {
            return Err(self.expected(
                "a CREATE TABLE clause (DUPLICATE/PRIMARY/UNIQUE/AGGREGATE KEY, COMMENT, \
                 PARTITION BY, DISTRIBUTED BY, PROPERTIES, AS) or end of statement",
            ));
        }
        Ok(table)
    }

    /// `( col_def, ... )` with at least one column.
    fn column_list(&mut self) -> Result<Vec<crate::ast::ColumnSpec>, ParseError> {
        self.expect(&Token::LParen)?;
        let columns = self.comma_separated(|p| {
            p.reject_inline_constraint()?;
            p.column_def()
        })?;
        if self.p.peek_token_ref().token != Token::RParen {
            return Err(self.expected("NULL, NOT NULL, DEFAULT, COMMENT, ',' or ')'"));
        }
        self.p.advance_token();
        Ok(columns)
    }

    /// Gives a helpful error for MySQL-style keys and indexes inside the column list.
    fn reject_inline_constraint(&self) -> Result<(), ParseError> {
        for (word, _) in KEY_KINDS {
            if self.peek_words(&[word, "KEY"]) {
                return Err(self.error_here(format!(
                    "{word} KEY goes after the column list: CREATE TABLE t (...) {word} KEY(...)"
                )));
            }
        }
        let is_index = self.peek_word("INDEX")
            && matches!(self.p.peek_nth_token_ref(1).token, Token::Word(_))
            && self.p.peek_nth_token_ref(2).token == Token::LParen;
        if is_index {
            return Err(self.error_here("INDEX definitions in CREATE TABLE are not supported"));
        }
        Ok(())
    }

    /// The clause starting at the next token, if any.
    fn peek_clause(&self) -> Option<Clause> {
        if self.peek_word("ENGINE") {
            Some(Clause::Engine)
        } else if KEY_KINDS.iter().any(|(word, _)| self.peek_words(&[word, "KEY"])) {
            Some(Clause::Key)
        } else if self.peek_word("COMMENT") {
            Some(Clause::Comment)
        } else if self.peek_words(&["PARTITION", "BY"]) {
            Some(Clause::PartitionBy)
        } else if self.peek_word("DISTRIBUTED") {
            Some(Clause::DistributedBy)
        } else if self.peek_words(&["ORDER", "BY"]) {
            Some(Clause::OrderBy)
        } else if self.peek_word("PROPERTIES") {
            Some(Clause::Properties)
        } else if self.peek_word("AS") {
            Some(Clause::As)
        } else {
            None
        }
    }

    /// `ENGINE [=] OLAP`: accepted (StarRocks prints it) and ignored; any other engine is an error.
    fn engine(&mut self) -> Result<(), ParseError> {
        self.expect_word("ENGINE")?;
        let _ = self.consume(&Token::Eq);
        if self.parse_word("OLAP") {
            return Ok(());
        }
        match self.peek_keyword_text() {
            Some(engine) => {
                Err(self.error_here(format!("unsupported ENGINE: {engine} (only OLAP tables are supported)")))
            }
            None => Err(self.expected("an engine name after ENGINE")),
        }
    }

    /// `DUPLICATE|PRIMARY|UNIQUE|AGGREGATE KEY (c, ...)`.
    fn key_desc(&mut self) -> Result<KeySpec, ParseError> {
        let Some((word, kind)) = KEY_KINDS.iter().find(|(word, _)| self.parse_word(word)) else {
            return Err(self.expected("DUPLICATE, PRIMARY, UNIQUE or AGGREGATE KEY"));
        };
        self.expect_word("KEY")?;
        let columns = self.paren_ident_list("key column name", &format!("{word} KEY needs at least one column"))?;
        Ok(KeySpec { kind: *kind, columns })
    }

    /// `DISTRIBUTED BY HASH(c, ...) [BUCKETS n]` or `DISTRIBUTED BY RANDOM [BUCKETS n]`.
    pub(crate) fn distribution(&mut self) -> Result<DistributionSpec, ParseError> {
        self.expect_word("DISTRIBUTED")?;
        self.expect_word("BY")?;
        if self.parse_word("HASH") {
            let columns =
                self.paren_ident_list("distribution column name", "DISTRIBUTED BY HASH needs at least one column")?;
            let buckets = self.buckets()?;
            Ok(DistributionSpec::Hash { columns, buckets })
        } else if self.parse_word("RANDOM") {
            let buckets = self.buckets()?;
            Ok(DistributionSpec::Random { buckets })
        } else {
            Err(self.expected("HASH(...) or RANDOM after DISTRIBUTED BY"))
        }
    }

    /// `[BUCKETS n]` with n a positive integer literal.
    fn buckets(&mut self) -> Result<Option<u64>, ParseError> {
        if !self.parse_word("BUCKETS") {
            return Ok(None);
        }
        let token = self.p.peek_token_ref().clone();
        let count = match &token.token {
            Token::Number(n, _) => n.parse::<u64>().ok().filter(|&n| n > 0),
            _ => None,
        };
        if let Some(count) = count {
            self.p.advance_token();
            return Ok(Some(count));
        }
        let found = match (&token.token, &self.p.peek_nth_token_ref(1).token) {
            (Token::Minus, Token::Number(n, _)) => format!("-{n}"),
            (other, _) => super::tokens::describe(other),
        };
        Err(self.error_at(&token, format!("BUCKETS must be a positive integer, found {found}")))
    }

    /// `PROPERTIES ("k" = "v", ...)`: keys and values are quoted strings, kept exactly as written.
    pub(crate) fn properties(&mut self) -> Result<Vec<(String, String)>, ParseError> {
        self.expect_word("PROPERTIES")?;
        self.property_list()
    }

    /// `("k" = "v", ...)`, possibly empty.
    fn property_list(&mut self) -> Result<Vec<(String, String)>, ParseError> {
        self.expect(&Token::LParen)?;
        if self.consume(&Token::RParen) {
            return Ok(Vec::new());
        }
        let properties = self.comma_separated(|p| {
            let key = p.string_literal("a quoted property key")?;
            p.expect(&Token::Eq)?;
            let value = p.string_literal(&format!("a quoted value for property \"{key}\""))?;
            Ok((key, value))
        })?;
        self.expect(&Token::RParen)?;
        Ok(properties)
    }
}
