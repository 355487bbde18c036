//! Tab completion in the shell: SQL keywords, dot-commands and their arguments, file names, and the
//! names of databases, tables and columns. The names are read through a session of their own (SHOW
//! DATABASES, SHOW TABLES, DESC) into a [`Names`] cache, which the shell reloads after statements
//! that may change them (CREATE, DROP, ALTER, USE, ...).

use std::collections::BTreeMap;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use tessera::{Session, StatementResult};

use crate::commands::COMMANDS;

/// Databases read at most, and tables whose columns are read at most, per reload: completion must
/// stay instant however big the catalog is.
const MAX_DATABASES: usize = 64;
const MAX_TABLES_WITH_COLUMNS: usize = 256;

const KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "AVG",
    "BACKUP",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BUCKETS",
    "BY",
    "CANCEL",
    "CASE",
    "CAST",
    "CHAR",
    "COLUMN",
    "COMMENT",
    "COUNT",
    "CREATE",
    "CROSS",
    "DATABASE",
    "DATABASES",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DISTRIBUTED",
    "DOUBLE",
    "DROP",
    "DUPLICATE",
    "ELSE",
    "END",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FILES",
    "FLOAT",
    "FROM",
    "FULL",
    "GROUP",
    "HASH",
    "HAVING",
    "IF",
    "IN",
    "INNER",
    "INSERT",
    "INT",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LARGEINT",
    "LEFT",
    "LESS",
    "LIKE",
    "LIMIT",
    "LIST",
    "LOCATION",
    "MAX",
    "MAXVALUE",
    "MIN",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "OVERWRITE",
    "PARTITION",
    "PARTITIONS",
    "PROPERTIES",
    "RANDOM",
    "RANGE",
    "REPOSITORIES",
    "REPOSITORY",
    "RIGHT",
    "SELECT",
    "SHOW",
    "SMALLINT",
    "SNAPSHOT",
    "STRING",
    "SUM",
    "TABLE",
    "TABLES",
    "THAN",
    "THEN",
    "TIMESTAMP",
    "TINYINT",
    "TO",
    "TRUE",
    "TRUNCATE",
    "UNION",
    "USE",
    "VALUES",
    "VARCHAR",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Keywords after which a table name comes.
const BEFORE_TABLE: &[&str] = &["FROM", "JOIN", "INTO", "TABLE", "DESC", "DESCRIBE", "UPDATE", "EXISTS", "OVERWRITE"];
/// Keywords after which a database name comes.
const BEFORE_DATABASE: &[&str] = &["USE", "DATABASE"];

/// The names completion offers.
#[derive(Debug, Default, Clone)]
pub struct Names {
    databases: Vec<String>,
    /// The tables of each database.
    tables: BTreeMap<String, Vec<String>>,
    /// The columns of each table of the current database.
    columns: BTreeMap<String, Vec<String>>,
    current: Option<String>,
}

impl Names {
    /// Reads the names through `session`; what cannot be read is left out.
    pub fn load(session: &mut Session, current: Option<&str>) -> Names {
        let mut names = Names { current: current.map(str::to_string), ..Names::default() };
        names.databases = first_column(session.execute_one("SHOW DATABASES"));
        for database in names.databases.iter().take(MAX_DATABASES) {
            let tables = first_column(session.execute_one(&format!("SHOW TABLES FROM {}", quote(database))));
            names.tables.insert(database.clone(), tables);
        }
        if let Some(current) = current {
            let tables = names.tables.get(current).cloned().unwrap_or_default();
            for table in tables.iter().take(MAX_TABLES_WITH_COLUMNS) {
                let columns = first_column(session.execute_one(&format!("DESC {}.{}", quote(current), quote(table))));
                names.columns.insert(table.clone(), columns);
            }
        }
        names
    }

    fn current_tables(&self) -> &[String] {
        self.current.as_ref().and_then(|db| self.tables.get(db)).map_or(&[], Vec::as_slice)
    }

    fn tables_of(&self, database: &str) -> Option<&[String]> {
        self.tables.iter().find(|(name, _)| name.eq_ignore_ascii_case(database)).map(|(_, t)| t.as_slice())
    }

    fn columns_of(&self, table: &str) -> Option<&[String]> {
        self.columns.iter().find(|(name, _)| name.eq_ignore_ascii_case(table)).map(|(_, c)| c.as_slice())
    }

    fn all_columns(&self) -> impl Iterator<Item = &String> {
        self.columns.values().flatten()
    }
}

/// The values of the first column of a result, as text.
fn first_column(result: tessera::Result<StatementResult>) -> Vec<String> {
    let Ok(result) = result else { return Vec::new() };
    let mut values = Vec::new();
    for batch in &result.batches {
        if batch.num_columns() == 0 {
            continue;
        }
        let Ok(column) = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8) else {
            continue;
        };
        if let Some(strings) = column.as_any().downcast_ref::<arrow::array::StringArray>() {
            values.extend(strings.iter().flatten().map(str::to_string));
        }
    }
    values
}

/// A name as it must be typed: as is when it is a plain lower-case identifier, else back-quoted.
fn quote(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// The line editor's helper: completion only (no hints, no highlighting, no validation).
pub struct ShellHelper {
    names: Names,
    files: FilenameCompleter,
    /// True while a statement is being continued: dot-commands only start a new input.
    continuing: bool,
}

impl ShellHelper {
    pub fn new() -> ShellHelper {
        ShellHelper { names: Names::default(), files: FilenameCompleter::new(), continuing: false }
    }

    pub fn set_names(&mut self, names: Names) {
        self.names = names;
    }

    pub fn set_continuing(&mut self, continuing: bool) {
        self.continuing = continuing;
    }

    /// Where the completed word starts in `line` and what may replace it, for the cursor at `pos`.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        if !self.continuing && before.trim_start().starts_with('.') {
            return self.command_candidates(before);
        }
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '.' | '`' | '$'))
            .last()
            .map_or(pos, |(i, _)| i);
        let word = &before[start..];
        if let Some((qualifier, partial)) = word.rsplit_once('.') {
            let qualifier = qualifier.trim_matches('`');
            let names = self.names.tables_of(qualifier).or_else(|| self.names.columns_of(qualifier)).unwrap_or(&[]);
            let offset = start + word.len() - partial.len();
            return (offset, matching(partial, names.iter().map(|n| quote(n))));
        }
        let previous = before[..start]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .rfind(|w| !w.is_empty())
            .unwrap_or("")
            .to_ascii_uppercase();
        let databases = self.names.databases.iter().map(|n| quote(n));
        let tables = self.names.current_tables().iter().map(|n| quote(n));
        let found = if BEFORE_DATABASE.contains(&previous.as_str()) {
            matching(word, databases)
        } else if BEFORE_TABLE.contains(&previous.as_str()) {
            matching(word, tables.chain(databases))
        } else {
            let mut found = matching(word, tables.chain(self.names.all_columns().map(|n| quote(n))).chain(databases));
            if !word.is_empty() {
                let lower = word.chars().any(|c| c.is_lowercase()) && !word.chars().any(|c| c.is_uppercase());
                let keywords = KEYWORDS.iter().map(|k| if lower { k.to_ascii_lowercase() } else { k.to_string() });
                found.extend(matching(word, keywords));
            }
            found
        };
        (start, found)
    }

    /// Completion in a dot-command line: the command's name, then its argument.
    fn command_candidates(&self, before: &str) -> (usize, Vec<String>) {
        let start = before.len() - before.trim_start().len();
        let text = &before[start..];
        let Some((command, _)) = text.split_once(char::is_whitespace) else {
            return (start, matching(text, COMMANDS.iter().map(|(name, _, _)| name.to_string())));
        };
        let arg_start =
            before.char_indices().rfind(|(_, c)| c.is_whitespace()).map_or(before.len(), |(i, c)| i + c.len_utf8());
        let word = &before[arg_start..];
        let options: Vec<String> = match command.to_ascii_lowercase().as_str() {
            ".mode" => ["table", "csv", "tsv", "json", "line"].map(String::from).to_vec(),
            ".timer" => ["on", "off"].map(String::from).to_vec(),
            ".tables" => self.names.databases.iter().map(|n| quote(n)).collect(),
            ".schema" => self.names.current_tables().iter().map(|n| quote(n)).collect(),
            _ => return (arg_start, Vec::new()),
        };
        (arg_start, matching(word, options.into_iter()))
    }
}

/// The candidates that start with `word` (ignoring case and a leading back-quote), sorted, once each.
fn matching(word: &str, candidates: impl Iterator<Item = String>) -> Vec<String> {
    let word = word.trim_start_matches('`').to_lowercase();
    let mut found: Vec<String> =
        candidates.filter(|c| c.trim_start_matches('`').to_lowercase().starts_with(&word)).collect();
    found.sort();
    found.dedup();
    found
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let command = line.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        if !self.continuing && matches!(command.as_str(), ".read" | ".output" | ".out") && line[..pos].contains(' ') {
            return self.files.complete(line, pos, ctx);
        }
        let (start, found) = self.candidates(line, pos);
        Ok((start, found.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect()))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ShellHelper {
        let mut names = Names { current: Some("shop".into()), ..Names::default() };
        names.databases = vec!["shop".into(), "sales".into()];
        names.tables.insert("shop".into(), vec!["orders".into(), "order_items".into(), "Customers".into()]);
        names.tables.insert("sales".into(), vec!["daily".into()]);
        names.columns.insert("orders".into(), vec!["id".into(), "amount".into()]);
        let mut helper = ShellHelper::new();
        helper.set_names(names);
        helper
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        helper().candidates(line, line.len())
    }

    #[test]
    fn tables_after_from_and_databases_after_use() {
        assert_eq!(complete("SELECT * FROM ord"), (14, vec!["order_items".into(), "orders".into()]));
        assert_eq!(complete("select * from `cus"), (14, vec!["`Customers`".into()]));
        assert_eq!(complete("USE s"), (4, vec!["sales".into(), "shop".into()]));
    }

    #[test]
    fn qualified_names_complete_tables_and_columns() {
        assert_eq!(complete("SELECT * FROM sales.d"), (20, vec!["daily".into()]));
        assert_eq!(complete("SELECT orders.am"), (14, vec!["amount".into()]));
    }

    #[test]
    fn keywords_follow_the_case_typed() {
        assert_eq!(complete("sel").1, vec!["select".to_string()]);
        assert_eq!(complete("SEL").1, vec!["SELECT".to_string()]);
        assert!(complete("SELECT am").1.contains(&"amount".to_string()));
    }

    #[test]
    fn dot_commands_and_their_arguments() {
        assert_eq!(complete(".ti"), (0, vec![".timer".into()]));
        assert_eq!(complete(".mode c"), (6, vec!["csv".into()]));
        assert_eq!(complete(".tables sa"), (8, vec!["sales".into()]));
        assert_eq!(complete(".tables\u{3000}sa"), (10, vec!["sales".into()]));
        let mut continuing = helper();
        continuing.set_continuing(true);
        assert!(!continuing.candidates(".ti", 3).1.contains(&".timer".to_string()));
    }
}
