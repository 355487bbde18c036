//! The `tessera` command: run SQL against a data directory, from `-c`, a file, standard input, or an
//! interactive prompt.
//!
//! Statements run in order in one session; the first failing statement prints its error on stderr
//! and stops the run with exit code 1 (in the interactive prompt, it is reported and the prompt goes on).

mod output;

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use tessera::{Database, Session};

use output::{print_result, Format};

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
    let opened = if args.memory {
        Database::open_temporary()
    } else {
        Database::open(args.data.clone().unwrap_or_else(default_data_dir))
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
    let jobs = Jobs { db: db.clone(), wait: !args.asynchronous, started: Vec::new() };
    match script {
        Some(text) => run_script(&mut session, &text, format, jobs),
        None => {
            interactive(&mut session, &db, format, jobs);
            ExitCode::SUCCESS
        }
    }
}

/// The backup jobs this run started.
struct Jobs {
    db: Database,
    /// Wait for each job when its statement returns (not with --async).
    wait: bool,
    started: Vec<u64>,
}

impl Jobs {
    /// Called after each statement; returns an error message if a job it waited for was cancelled.
    fn after_statement(&mut self, result: &tessera::StatementResult) -> Result<(), String> {
        let Some(id) = result.job else { return Ok(()) };
        self.started.push(id);
        if !self.wait {
            if let Some(job) = self.db.job(id) {
                eprintln!("backup job {id} ({}) started; watch it with SHOW BACKUP", job.label);
            }
            return Ok(());
        }
        let job = self.watch(id);
        match job {
            Some(job) if job.state == tessera::BackupState::Cancelled => {
                Err(format!("backup {} was cancelled: {}", job.label, job.status))
            }
            _ => Ok(()),
        }
    }

    /// Waits for a job, drawing a progress line on a terminal.
    fn watch(&self, id: u64) -> Option<tessera::JobSummary> {
        let tty = std::io::stderr().is_terminal();
        let started = Instant::now();
        loop {
            let job = self.db.job(id)?;
            if tty {
                eprint!(
                    "\r{} {}: {}/{} files, {} already stored, {:.1}s   ",
                    job.label,
                    job.state,
                    job.files_done,
                    job.files_total,
                    job.files_deduplicated,
                    started.elapsed().as_secs_f64()
                );
            }
            if job.state.is_done() {
                if tty {
                    eprintln!();
                }
                return Some(job);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Waits for every job started with --async before the process exits.
    fn finish(&self) {
        for id in &self.started {
            if let Ok(job) = self.db.wait_for_job(*id) {
                if job.state == tessera::BackupState::Cancelled {
                    eprintln!("note: backup {} ended CANCELLED: {}", job.label, job.status);
                }
            }
        }
    }
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

/// Runs statements one by one; stops at the first error.
fn run_script(session: &mut Session, text: &str, format: Format, mut jobs: Jobs) -> ExitCode {
    let code = run_statements(session, text, format, &mut jobs);
    jobs.finish();
    code
}

fn run_statements(session: &mut Session, text: &str, format: Format, jobs: &mut Jobs) -> ExitCode {
    let statements = match tessera_sql::split_statements(text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for statement in statements {
        match session.execute(&statement) {
            Ok(results) => {
                for result in &results {
                    if let Err(e) = print_result(&mut out, result, format, false) {
                        eprintln!("ERROR: cannot write output: {e}");
                        return ExitCode::FAILURE;
                    }
                    let _ = out.flush();
                    if let Err(message) = jobs.after_statement(result) {
                        eprintln!("ERROR: {message}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("ERROR: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// A plain prompt (the full shell with line editing is a separate piece of work).
fn interactive(session: &mut Session, db: &Database, format: Format, mut jobs: Jobs) {
    println!("Tessera {} — data directory {}", env!("CARGO_PKG_VERSION"), db.path().display());
    println!("End statements with ';'. Ctrl-D exits.");
    let stdin = std::io::stdin();
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.trim().is_empty() {
            format!("tessera:{}> ", session.current_database().unwrap_or(""))
        } else {
            "      -> ".to_string()
        };
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) => {
                println!();
                jobs.finish();
                return;
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("ERROR: {e}");
                return;
            }
        }
        buffer.push_str(&line);
        if !tessera_sql::is_complete(&buffer) {
            continue;
        }
        let text = std::mem::take(&mut buffer);
        let started = Instant::now();
        match session.execute(&text) {
            Ok(results) => {
                let mut out = std::io::stdout().lock();
                for result in &results {
                    let _ = print_result(&mut out, result, format, true);
                    let _ = out.flush();
                    if let Err(message) = jobs.after_statement(result) {
                        eprintln!("ERROR: {message}");
                    }
                }
                let _ = writeln!(out, "({:.3} sec)\n", started.elapsed().as_secs_f64());
            }
            Err(e) => eprintln!("ERROR: {e}"),
        }
    }
}
