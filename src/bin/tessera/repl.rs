//! The interactive shell's terminal side: the banner, the line editor (editing, completion, the
//! persistent history of statements), the prompts (the current database; a continuation prompt while
//! a statement spans lines), and Ctrl-C / Ctrl-D at the prompt. What an input does is `shell`'s job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};
use tessera::{Database, Session};
use unicode_width::UnicodeWidthStr;

use crate::completion::{Names, ShellHelper};
use crate::ctrl_c::CtrlC;
use crate::display::Mode;
use crate::errors::report;
use crate::history::history_path;
use crate::input::{Input, InputBuffer};
use crate::jobs::Jobs;
use crate::output::Format;
use crate::shell::{Flow, Settings, Shell};

/// How the shell was started.
pub struct Startup {
    /// `--format`: the initial output mode.
    pub format: Format,
    /// `--memory`: the database is thrown away on exit.
    pub memory: bool,
}

type LineEditor = Editor<ShellHelper, FileHistory>;

/// Runs the shell until `.quit` or Ctrl-D.
pub fn run(db: &Database, session: &mut Session, startup: Startup, jobs: Jobs) -> ExitCode {
    let ctrl_c = match CtrlC::install(session.interrupt_handle()) {
        Ok(ctrl_c) => Some(ctrl_c),
        Err(message) => {
            report(&format!("{message}; Ctrl-C will end the shell"), None);
            None
        }
    };
    let mut editor = match new_editor() {
        Ok(editor) => editor,
        Err(e) => {
            report(&format!("cannot use the terminal: {e}"), None);
            return ExitCode::FAILURE;
        }
    };
    let mut history = History::open(&mut editor);
    print_banner(db, startup.memory, history.path.as_deref());

    // Completion reads the catalog through a session of its own.
    let mut catalog = db.session();
    let mut shell = Shell::new(session, Settings::new(mode(startup.format)), jobs, ctrl_c);
    let mut buffer = InputBuffer::default();
    loop {
        if shell.take_names_stale() {
            let names = Names::load(&mut catalog, shell.current_database());
            if let Some(helper) = editor.helper_mut() {
                helper.set_names(names);
            }
        }
        if let Some(helper) = editor.helper_mut() {
            helper.set_continuing(!buffer.is_empty());
        }
        shell.set_screen_width(editor.dimensions().map(|(columns, _)| usize::from(columns)));
        let prompt = prompt(shell.current_database());
        let prompt = if buffer.is_empty() { prompt } else { format!("{:>width$}", "-> ", width = prompt.width()) };
        match editor.readline(&prompt) {
            Ok(line) => {
                let Some(input) = buffer.push_line(&line) else { continue };
                history.remember(&mut editor, &input);
                if shell.run_input(input) == Flow::Quit {
                    break;
                }
            }
            // Ctrl-C at the prompt forgets the statement being typed.
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => {
                println!();
                break;
            }
            Err(e) => {
                report(&format!("cannot read the terminal: {e}"), None);
                break;
            }
        }
    }
    shell.finish();
    ExitCode::SUCCESS
}

fn new_editor() -> rustyline::Result<LineEditor> {
    let config = Config::builder()
        .max_history_size(10_000)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor = LineEditor::with_config(config)?;
    editor.set_helper(Some(ShellHelper::new()));
    Ok(editor)
}

fn mode(format: Format) -> Mode {
    match format {
        Format::Table => Mode::Table,
        Format::Csv => Mode::Csv,
        Format::Tsv => Mode::Tsv,
        Format::Json => Mode::Json,
    }
}

/// `tessera> `, or `tessera:shop> ` once a database is in use.
fn prompt(database: Option<&str>) -> String {
    match database {
        Some(database) => format!("tessera:{database}> "),
        None => "tessera> ".to_string(),
    }
}

fn print_banner(db: &Database, memory: bool, history: Option<&Path>) {
    println!("Tessera {} — StarRocks-compatible SQL, embedded.", env!("CARGO_PKG_VERSION"));
    if memory {
        println!("Data directory: {} (a throw-away database, deleted on exit)", db.path().display());
    } else {
        println!("Data directory: {}", db.path().display());
    }
    if history.is_none() {
        println!("History is not saved (no history file).");
    }
    println!("Statements end with ';'. Type .help for help, Ctrl-D to leave.");
    println!();
}

/// The history file: loaded at the start, each new entry appended at once (so that a crash loses
/// nothing and several shells do not overwrite each other's entries).
struct History {
    path: Option<PathBuf>,
}

impl History {
    fn open(editor: &mut LineEditor) -> History {
        let Some(path) = history_path() else { return History { path: None } };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(dir) {
                report(&format!("history will not be saved: cannot create {}: {e}", dir.display()), None);
                return History { path: None };
            }
        }
        if path.exists() {
            if let Err(e) = editor.load_history(&path) {
                report(&format!("cannot read the history file {}: {e}", path.display()), None);
            }
        }
        History { path: Some(path) }
    }

    /// Adds an input to the history: a statement as typed (one entry, however many lines).
    fn remember(&mut self, editor: &mut LineEditor, input: &Input) {
        let entry = match input {
            Input::Command(line) => line.as_str(),
            Input::Sql(text) => text.trim(),
        };
        if !matches!(editor.add_history_entry(entry), Ok(true)) {
            return;
        }
        let Some(path) = &self.path else { return };
        if let Err(e) = editor.append_history(path) {
            report(&format!("history will not be saved: cannot write {}: {e}", path.display()), None);
            self.path = None;
        }
    }
}
