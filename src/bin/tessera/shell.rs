//! Carrying out what is entered in the interactive shell, typed or read by `.read`: SQL statements
//! (results shown in the current mode, then the row count and time; BACKUP jobs watched with a
//! progress bar; errors reported and the shell going on) and dot-commands (settings, output file,
//! scripts, catalog listings).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tessera::{BackupState, RestoreState, Session, StatementResult};

use crate::commands::{self, Command};
use crate::ctrl_c::CtrlC;
use crate::display::{self, Limits, Mode};
use crate::errors::{self, report};
use crate::input::{Input, InputBuffer};
use crate::jobs::{JobOutcome, Jobs};
use crate::progress;

/// Rows and value width shown on the terminal unless changed with `.maxrows` / `.maxwidth`.
pub const DEFAULT_MAX_ROWS: usize = 40;
pub const DEFAULT_MAX_WIDTH: usize = 40;
/// `.read` inside `.read` files, at most.
const MAX_READ_DEPTH: usize = 16;

/// What the shell does after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The input failed (already reported); a script stops here, the prompt goes on.
    Failed,
    Quit,
}

/// The settings dot-commands change.
pub struct Settings {
    pub mode: Mode,
    pub max_rows: Option<usize>,
    pub max_width: Option<usize>,
    pub timer: bool,
    /// The terminal's width, when known (tables are fitted to it).
    pub screen_width: Option<usize>,
}

impl Settings {
    pub fn new(mode: Mode) -> Settings {
        Settings {
            mode,
            max_rows: Some(DEFAULT_MAX_ROWS),
            max_width: Some(DEFAULT_MAX_WIDTH),
            timer: true,
            screen_width: None,
        }
    }
}

/// Where result sets go: the terminal, or the file `.output` named. Status lines (row counts,
/// timing) and errors always go to the terminal.
enum Output {
    Terminal,
    File { path: PathBuf, writer: BufWriter<File> },
}

pub struct Shell<'a> {
    session: &'a mut Session,
    settings: Settings,
    output: Output,
    jobs: Jobs,
    ctrl_c: Option<CtrlC>,
    /// A statement may have changed the names completion offers.
    names_stale: bool,
    /// Nesting of `.read`.
    reading: usize,
}

impl<'a> Shell<'a> {
    pub fn new(session: &'a mut Session, settings: Settings, jobs: Jobs, ctrl_c: Option<CtrlC>) -> Shell<'a> {
        Shell { session, settings, output: Output::Terminal, jobs, ctrl_c, names_stale: true, reading: 0 }
    }

    /// The terminal's width, measured before each input (it changes when the window is resized).
    pub fn set_screen_width(&mut self, width: Option<usize>) {
        self.settings.screen_width = width;
    }

    pub fn current_database(&self) -> Option<&str> {
        self.session.current_database()
    }

    /// True once after each statement that may have changed the catalog (and at the start).
    pub fn take_names_stale(&mut self) -> bool {
        std::mem::take(&mut self.names_stale)
    }

    /// Before the shell exits: waits for the backup jobs still running, closes the output file.
    pub fn finish(&mut self) {
        self.jobs.finish_interactive(self.ctrl_c.as_ref());
        self.close_output();
    }

    pub fn run_input(&mut self, input: Input) -> Flow {
        match input {
            Input::Command(line) => self.run_command(&line),
            Input::Sql(text) => self.run_sql(&text),
        }
    }

    /// Runs the statements of `text` in order; stops at the first that fails.
    fn run_sql(&mut self, text: &str) -> Flow {
        let statements = match tessera_sql::split_statements(text) {
            Ok(statements) => statements,
            Err(e) => {
                report(&e.to_string(), errors::pointer(text, e.line, e.column).as_deref());
                return Flow::Failed;
            }
        };
        for (i, statement) in statements.iter().enumerate() {
            let ok = self.run_statement(statement);
            let left = statements.len() - i - 1;
            let interrupted = self.ctrl_c.as_ref().is_some_and(CtrlC::pressed);
            if (!ok || interrupted) && left > 0 {
                println!("({left} more statement{} not run)", plural(left as u64));
            }
            if !ok {
                return Flow::Failed;
            }
            if interrupted {
                return Flow::Failed;
            }
        }
        Flow::Continue
    }

    /// Runs one statement and shows its outcome; false when it failed.
    fn run_statement(&mut self, statement: &str) -> bool {
        if let Some(ctrl_c) = &self.ctrl_c {
            ctrl_c.reset();
        }
        let started = Instant::now();
        let spinner = crate::running::Spinner::start(self.session.progress_handle());
        let result = self.session.execute_one(statement);
        spinner.finish();
        let elapsed = started.elapsed();
        match result {
            Ok(result) => {
                if changes_names(statement) {
                    self.names_stale = true;
                }
                self.show(&result, elapsed)
            }
            Err(e) => {
                if self.ctrl_c.as_ref().is_some_and(CtrlC::pressed) {
                    // After the terminal's "^C".
                    println!();
                }
                errors::report_statement_error(&e, statement);
                false
            }
        }
    }

    /// Shows a statement's rows or outcome, then follows the job it started; false when the result
    /// could not be written or the job was cancelled.
    fn show(&mut self, result: &StatementResult, elapsed: Duration) -> bool {
        let status = if result.has_rows() {
            let limits = match self.output {
                Output::Terminal => Limits {
                    max_rows: self.settings.max_rows,
                    max_width: self.settings.max_width,
                    screen_width: self.settings.screen_width,
                },
                Output::File { .. } => Limits::NONE,
            };
            let written = match &mut self.output {
                Output::Terminal => {
                    display::write_rows(&mut std::io::stdout().lock(), result, self.settings.mode, limits)
                }
                Output::File { writer, .. } => display::write_rows(writer, result, self.settings.mode, limits),
            };
            let written = match written.and_then(|written| self.flush_output().map(|_| written)) {
                Ok(written) => written,
                Err(e) => {
                    report(&format!("cannot write the result: {e}"), None);
                    return false;
                }
            };
            let total = result.num_rows();
            let mut status = format!("{total} row{} in set", plural(total as u64));
            if written.rows < total {
                status.push_str(&format!(", {} shown (.maxrows N shows more, .maxrows 0 all)", written.rows));
            }
            if written.vertical {
                status.push_str(", one value a line: too wide for the terminal");
            }
            Some(status)
        } else if let Some(n) = result.affected_rows {
            Some(format!("Query OK, {n} row{} affected", plural(n)))
        } else if result.job.is_none() {
            Some("Query OK".to_string())
        } else {
            None
        };
        if let Some(status) = status {
            println!("{}{}", status, self.timing(elapsed));
        }
        for warning in &result.warnings {
            eprintln!("Warning: {warning}");
        }
        self.follow_job(result)
    }

    fn follow_job(&mut self, result: &StatementResult) -> bool {
        match self.jobs.after_statement(result, self.ctrl_c.as_ref()) {
            None | Some(JobOutcome::Started) => true,
            Some(JobOutcome::Ended { job, elapsed }) => {
                if job.state == BackupState::Cancelled {
                    report(&format!("backup {} was cancelled: {}", job.label, job.status), None);
                    return false;
                }
                println!("{}{}", progress::summary(&job), self.timing(elapsed));
                true
            }
            Some(JobOutcome::RestoreEnded(job)) => {
                if job.state == RestoreState::Cancelled {
                    report(&format!("restore {} was cancelled: {}", job.label, job.status), None);
                    return false;
                }
                println!(
                    "Restore {} {}: {} file{}",
                    job.label,
                    job.state,
                    job.files_total,
                    if job.files_total == 1 { "" } else { "s" }
                );
                true
            }
            Some(JobOutcome::RestoreDetached(job)) => {
                let from = if job.database.is_empty() { String::new() } else { format!(" FROM {}", job.database) };
                println!(
                    "Detached from restore {} (job {}, {}), which keeps running.\n\
                     Watch it with SHOW RESTORE{from}; cancel it with CANCEL RESTORE{from}.",
                    job.label, job.id, job.state
                );
                true
            }
            Some(JobOutcome::Detached(job)) => {
                let from = if job.database.is_empty() { String::new() } else { format!(" FROM {}", job.database) };
                println!(
                    "Detached from backup {} (job {}, {}), which keeps running.\n\
                     Watch it with SHOW BACKUP{from}; cancel it with CANCEL BACKUP{from}.",
                    job.label, job.id, job.state
                );
                true
            }
        }
    }

    fn timing(&self, elapsed: Duration) -> String {
        if self.settings.timer {
            format!(" ({:.3} sec)", elapsed.as_secs_f64())
        } else {
            String::new()
        }
    }

    fn flush_output(&mut self) -> std::io::Result<()> {
        match &mut self.output {
            Output::Terminal => std::io::stdout().flush(),
            Output::File { writer, .. } => writer.flush(),
        }
    }

    fn run_command(&mut self, line: &str) -> Flow {
        let command = match commands::parse(line) {
            Ok(command) => command,
            Err(message) => {
                report(&message, None);
                return Flow::Failed;
            }
        };
        match command {
            Command::Help => print!("{}", commands::help()),
            Command::Quit => return Flow::Quit,
            Command::Mode(None) => println!("mode: {}", self.settings.mode.name()),
            Command::Mode(Some(mode)) => self.settings.mode = mode,
            Command::Output(path) => return self.set_output(path),
            Command::Read(path) => return self.read_file(&path),
            Command::Timer(None) => println!("timer: {}", if self.settings.timer { "on" } else { "off" }),
            Command::Timer(Some(on)) => self.settings.timer = on,
            Command::MaxRows(None) => println!("maxrows: {}", limit_text(self.settings.max_rows)),
            Command::MaxRows(Some(limit)) => self.settings.max_rows = limit,
            Command::MaxWidth(None) => println!("maxwidth: {}", limit_text(self.settings.max_width)),
            Command::MaxWidth(Some(limit)) => self.settings.max_width = limit,
            Command::Databases => return flow(self.run_statement("SHOW DATABASES")),
            Command::Tables(None) => return flow(self.run_statement("SHOW TABLES")),
            Command::Tables(Some(database)) => {
                return flow(self.run_statement(&format!("SHOW TABLES FROM {database}")))
            }
            Command::Schema(table) => return self.show_schema(&table),
            Command::Show => self.show_settings(),
        }
        Flow::Continue
    }

    fn show_settings(&self) {
        let output = match &self.output {
            Output::Terminal => "terminal".to_string(),
            Output::File { path, .. } => path.display().to_string(),
        };
        println!("    mode: {}", self.settings.mode.name());
        println!("  output: {output}");
        println!("   timer: {}", if self.settings.timer { "on" } else { "off" });
        println!(" maxrows: {}", limit_text(self.settings.max_rows));
        println!("maxwidth: {}", limit_text(self.settings.max_width));
        println!("database: {}", self.session.current_database().unwrap_or("(none: USE one)"));
        println!("    data: {}", self.session.database().path().display());
    }

    /// `.schema T`: the CREATE TABLE statement, whole, whatever the mode.
    fn show_schema(&mut self, table: &str) -> Flow {
        let statement = format!("SHOW CREATE TABLE {table}");
        match self.session.execute_one(&statement) {
            Ok(result) => {
                for batch in &result.batches {
                    let Some(column) = batch.columns().last() else { continue };
                    let Ok(text) = arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8) else { continue };
                    if let Some(text) = text.as_any().downcast_ref::<arrow::array::StringArray>() {
                        for create in text.iter().flatten() {
                            let create = create.trim_end();
                            println!("{create}{}", if create.ends_with(';') { "" } else { ";" });
                        }
                    }
                }
                Flow::Continue
            }
            Err(e) => {
                errors::report_statement_error(&e, &statement);
                Flow::Failed
            }
        }
    }

    /// `.output [FILE]`.
    fn set_output(&mut self, path: Option<PathBuf>) -> Flow {
        let was_file = self.close_output();
        let Some(path) = path else {
            if was_file {
                println!("Results go to the terminal again.");
            }
            return Flow::Continue;
        };
        match File::create(&path) {
            Ok(file) => {
                println!("Results now go to {} (.output alone: back to the terminal).", path.display());
                self.output = Output::File { path, writer: BufWriter::new(file) };
                Flow::Continue
            }
            Err(e) => {
                report(&format!("cannot write to {}: {e}", path.display()), None);
                Flow::Failed
            }
        }
    }

    /// Flushes and closes the output file, if any; true if there was one.
    fn close_output(&mut self) -> bool {
        let Output::File { path, mut writer } = std::mem::replace(&mut self.output, Output::Terminal) else {
            return false;
        };
        if let Err(e) = writer.flush() {
            report(&format!("cannot write to {}: {e}", path.display()), None);
        }
        true
    }

    /// `.read FILE`: its statements and dot-commands, as if typed; stops at the first failure.
    fn read_file(&mut self, path: &Path) -> Flow {
        if self.reading >= MAX_READ_DEPTH {
            report(&format!(".read {}: files read each other more than {MAX_READ_DEPTH} deep", path.display()), None);
            return Flow::Failed;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                report(&format!("cannot read {}: {e}", path.display()), None);
                return Flow::Failed;
            }
        };
        self.reading += 1;
        let mut buffer = InputBuffer::default();
        let mut flow = Flow::Continue;
        let mut input_line = 1;
        for (i, line) in text.lines().enumerate() {
            if buffer.is_empty() {
                input_line = i + 1;
            }
            if let Some(input) = buffer.push_line(line) {
                flow = self.run_input(input);
                if flow == Flow::Continue && self.ctrl_c.as_ref().is_some_and(CtrlC::pressed) {
                    flow = Flow::Failed;
                }
                if flow != Flow::Continue {
                    break;
                }
            }
        }
        if flow == Flow::Continue {
            if let Some(rest) = buffer.take_rest() {
                flow = self.run_input(Input::Sql(rest));
            }
        }
        self.reading -= 1;
        if flow == Flow::Failed {
            println!("({} stopped at the input starting on line {input_line})", path.display());
        }
        flow
    }
}

fn flow(ok: bool) -> Flow {
    if ok {
        Flow::Continue
    } else {
        Flow::Failed
    }
}

/// Statements after which the names completion offers may differ.
fn changes_names(statement: &str) -> bool {
    let first = statement.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    matches!(first.as_str(), "CREATE" | "DROP" | "ALTER" | "USE" | "RESTORE")
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn limit_text(limit: Option<usize>) -> String {
    limit.map_or_else(|| "no limit".to_string(), |n| n.to_string())
}
