//! The `tessera` command: run SQL against a data directory, from `-c`, a file or standard input
//! (see `script`), or in the interactive shell on a terminal (see `repl`). This file owns the
//! command line and opening the database.

mod commands;
mod completion;
mod ctrl_c;
mod display;
mod errors;
mod history;
mod input;
mod jobs;
mod output;
mod progress;
mod repl;
mod running;
mod script;
mod shell;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use tessera::{Database, Options};

use jobs::Jobs;
use output::Format;

#[derive(Parser, Debug)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: an embedded columnar OLAP database with StarRocks-compatible SQL"
)]
struct Args {
    /// Data directory (created if missing). Default: $TESSERA_DATA, else ~/.local/share/tessera.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Use a throw-away database in a temporary directory.
    #[arg(long, conflicts_with = "data")]
    memory: bool,
    /// Output format of result sets.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Run these `;`-separated statements and exit.
    #[arg(short = 'c', long = "command", value_name = "SQL", conflicts_with = "file")]
    command: Option<String>,
    /// Run the statements in this file (`-` for standard input) and exit.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Return from BACKUP at once, as StarRocks does, instead of waiting for the job (the CLI still
    /// waits for its jobs before it exits).
    #[arg(long = "async")]
    asynchronous: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Csv,
    Tsv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Tsv => Format::Tsv,
            FormatArg::Json => Format::Json,
        }
    }
}

fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TESSERA_DATA") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("tessera");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/tessera"),
        None => PathBuf::from("tessera-data"),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = database_options();
    let opened = if args.memory {
        Database::open_temporary_with(options)
    } else {
        Database::open_with(args.data.clone().unwrap_or_else(default_data_dir), options)
    };
    let db = match opened {
        Ok(db) => db,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut session = db.session();
    let format = Format::from(args.format);
    let script = match (&args.command, &args.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(path)) if path.as_os_str() == "-" => read_stdin(),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("ERROR: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        (None, None) if std::io::stdin().is_terminal() => None,
        (None, None) => read_stdin(),
    };
    let jobs = Jobs::new(db.clone(), !args.asynchronous);
    match script {
        Some(text) => script::run_script(&mut session, &text, format, jobs),
        None => repl::run(&db, &mut session, repl::Startup { format, memory: args.memory }, jobs),
    }
}

/// Default options, except that `TESSERA_BACKUP_FILE_DELAY_MS` (undocumented: for tests and demos)
/// slows backup jobs down by that pause after each file, so that their progress can be watched.
fn database_options() -> Options {
    let mut options = Options::default();
    if let Some(ms) = std::env::var("TESSERA_BACKUP_FILE_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        options.backup_file_delay = std::time::Duration::from_millis(ms);
    }
    options
}

fn read_stdin() -> Option<String> {
    let mut text = String::new();
    match std::io::stdin().read_to_string(&mut text) {
        Ok(_) => Some(text),
        Err(e) => {
            eprintln!("ERROR: cannot read standard input: {e}");
            Some(String::new())
        }
    }
}
