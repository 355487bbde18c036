//! The shell's dot-commands: what each one is called, its arguments, and the `.help` text. Parsing
//! only; `shell` carries them out.

use std::path::PathBuf;

use crate::display::Mode;

/// A parsed dot-command.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Quit,
    /// `.mode` alone shows the current mode.
    Mode(Option<Mode>),
    /// `.output` alone goes back to the terminal.
    Output(Option<PathBuf>),
    Read(PathBuf),
    Timer(Option<bool>),
    /// Rows shown on the terminal per result; `Some(None)` is no limit.
    MaxRows(Option<Option<usize>>),
    /// Widest value shown in a table column; `Some(None)` is no limit.
    MaxWidth(Option<Option<usize>>),
    Tables(Option<String>),
    Databases,
    Schema(String),
    Show,
}

/// Name, arguments and description of each command, for `.help` and completion.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (".databases", "", "List the databases (SHOW DATABASES)"),
    (".exit", "", "Leave the shell (also .quit, exit, quit, Ctrl-D)"),
    (".help", "", "Show this help"),
    (".maxrows", "[N]", "Rows of a result shown on the terminal (0: all; default 40)"),
    (".maxwidth", "[N]", "Characters shown of a value in a table (0: all; default 40)"),
    (".mode", "[MODE]", "Output mode: table, csv, tsv, json, line (one value a line)"),
    (".output", "[FILE]", "Write results to FILE (created or emptied); no FILE: back to the terminal"),
    (".quit", "", "Leave the shell"),
    (".read", "FILE", "Run the statements and commands in FILE; stops at the first error"),
    (".schema", "TABLE", "Show how a table is defined (SHOW CREATE TABLE)"),
    (".show", "", "Show the current settings"),
    (".tables", "[DB]", "List the tables of the current database or of DB (SHOW TABLES)"),
    (".timer", "on|off", "Show how long each statement took"),
];

/// The `.help` text.
pub fn help() -> String {
    let mut text = String::from(
        "SQL statements end with ';' and may span lines. Tab completes keywords, databases, tables and columns;\n\
         Up/Down recall earlier statements; Ctrl-C cancels the running statement (or detaches from a BACKUP\n\
         job, which keeps running); Ctrl-D leaves.\n\n",
    );
    for (name, args, description) in COMMANDS {
        let usage = if args.is_empty() { name.to_string() } else { format!("{name} {args}") };
        text.push_str(&format!("  {usage:<18} {description}\n"));
    }
    text.push_str(GETTING_STARTED);
    text
}

/// Example statements for a first session, shown at the end of `.help`.
const GETTING_STARTED: &str = "
Getting started (StarRocks SQL):
  CREATE DATABASE shop; USE shop;
  CREATE TABLE orders (id BIGINT, day DATE, amount DECIMAL(10,2))
    PARTITION BY RANGE(day) (PARTITION p2025 VALUES LESS THAN (\"2026-01-01\"))
    DISTRIBUTED BY HASH(id) BUCKETS 4;
  INSERT INTO orders VALUES (1, \"2025-03-01\", 9.99);
  INSERT INTO orders SELECT * FROM FILES(\"path\" = \"/data/*.parquet\", \"format\" = \"parquet\");
  SELECT day, sum(amount) FROM orders GROUP BY day;      EXPLAIN SELECT ... shows pruning
  SHOW TABLES; DESC orders; SHOW PARTITIONS FROM orders;
Backups:
  CREATE REPOSITORY repo ON LOCATION \"/backups\";
  BACKUP SNAPSHOT shop.nightly TO repo;                   shows progress; Ctrl-C detaches
  SHOW BACKUP; CANCEL BACKUP; SHOW SNAPSHOT ON repo; DROP SNAPSHOT nightly ON repo;
  RESTORE SNAPSHOT shop.nightly FROM repo [ON (orders AS orders_copy)];   SHOW RESTORE;
";

/// Parses a dot-command line (starting with `.`).
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim().trim_end_matches(';').trim_end();
    let (name, rest) = match line.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (line, ""),
    };
    let argument = (!rest.is_empty()).then(|| unquote(rest));
    let no_argument = |command: Command| match &argument {
        None => Ok(command),
        Some(_) => Err(format!("{name} takes no argument")),
    };
    match name.to_ascii_lowercase().as_str() {
        ".help" | ".h" | ".?" => no_argument(Command::Help),
        ".quit" | ".exit" | ".q" => no_argument(Command::Quit),
        ".databases" => no_argument(Command::Databases),
        ".show" => no_argument(Command::Show),
        ".mode" => match argument {
            None => Ok(Command::Mode(None)),
            Some(mode) => Mode::parse(&mode)
                .map(|m| Command::Mode(Some(m)))
                .ok_or_else(|| format!("unknown mode '{mode}': use one of table, csv, tsv, json, line")),
        },
        ".output" | ".out" => Ok(Command::Output(argument.map(PathBuf::from))),
        ".read" => match argument {
            Some(path) => Ok(Command::Read(PathBuf::from(path))),
            None => Err(".read needs a file name: .read FILE".into()),
        },
        ".timer" => match argument.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => Ok(Command::Timer(None)),
            Some("on" | "true" | "1") => Ok(Command::Timer(Some(true))),
            Some("off" | "false" | "0") => Ok(Command::Timer(Some(false))),
            Some(other) => Err(format!(".timer takes on or off, not '{other}'")),
        },
        ".maxrows" => parse_limit(name, argument).map(Command::MaxRows),
        ".maxwidth" => parse_limit(name, argument).map(Command::MaxWidth),
        ".tables" => Ok(Command::Tables(argument)),
        ".schema" => match argument {
            Some(table) => Ok(Command::Schema(table)),
            None => Err(".schema needs a table name: .schema TABLE".into()),
        },
        _ => Err(format!("unknown command {name}; .help lists the commands")),
    }
}

/// `N` (0 meaning no limit), or nothing to show the current value.
fn parse_limit(name: &str, argument: Option<String>) -> Result<Option<Option<usize>>, String> {
    let Some(text) = argument else { return Ok(None) };
    match text.parse::<usize>() {
        Ok(0) => Ok(Some(None)),
        Ok(n) => Ok(Some(Some(n))),
        Err(_) => Err(format!("{name} takes a number (0 for no limit), not '{text}'")),
    }
}

/// Removes one pair of surrounding quotes, so that file names with spaces can be given.
fn unquote(text: &str) -> String {
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            return text[1..text.len() - 1].to_string();
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_arguments() {
        assert_eq!(parse(".mode csv"), Ok(Command::Mode(Some(Mode::Csv))));
        assert_eq!(parse(".MODE vertical;"), Ok(Command::Mode(Some(Mode::Line))));
        assert_eq!(parse(".mode"), Ok(Command::Mode(None)));
        assert_eq!(parse(".output 'my file.csv'"), Ok(Command::Output(Some(PathBuf::from("my file.csv")))));
        assert_eq!(parse(".output"), Ok(Command::Output(None)));
        assert_eq!(parse(".timer off"), Ok(Command::Timer(Some(false))));
        assert_eq!(parse(".maxrows 0"), Ok(Command::MaxRows(Some(None))));
        assert_eq!(parse(".maxrows 5"), Ok(Command::MaxRows(Some(Some(5)))));
        assert_eq!(parse(".tables shop"), Ok(Command::Tables(Some("shop".into()))));
        assert_eq!(parse(".exit"), Ok(Command::Quit));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse(".mode xml").unwrap_err().contains("table, csv, tsv, json, line"));
        assert!(parse(".maxrows many").unwrap_err().contains("takes a number"));
        assert!(parse(".read").unwrap_err().contains(".read FILE"));
        assert!(parse(".frobnicate").unwrap_err().contains(".help"));
        assert!(parse(".quit now").unwrap_err().contains("no argument"));
    }
}
