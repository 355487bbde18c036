//! Grouping input lines into what the shell runs: a dot-command (one line starting with `.` typed
//! when no statement is pending), or SQL text that ends with `;` outside quotes and comments (one or
//! more statements, over as many lines as they take).

/// One unit of input to run.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// A dot-command line, trimmed (`exit` and `quit` arrive as `.quit`).
    Command(String),
    /// Complete SQL text.
    Sql(String),
}

/// The lines of a statement still being typed.
#[derive(Default)]
pub struct InputBuffer {
    pending: String,
}

impl InputBuffer {
    /// True when no statement is being typed (the shell shows its main prompt).
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Adds one line; returns the input it completes, if any.
    pub fn push_line(&mut self, line: &str) -> Option<Input> {
        if self.pending.is_empty() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                return None;
            }
            if trimmed.starts_with('.') {
                return Some(Input::Command(trimmed.to_string()));
            }
            if is_exit_word(trimmed) {
                return Some(Input::Command(".quit".to_string()));
            }
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        if tessera_sql::is_complete(&self.pending) {
            return Some(Input::Sql(std::mem::take(&mut self.pending)));
        }
        // Only comments so far: nothing to wait for.
        if matches!(tessera_sql::split_statements(&self.pending), Ok(statements) if statements.is_empty()) {
            self.pending.clear();
        }
        None
    }

    /// The text typed since the last complete input (a last statement without `;` at the end of a
    /// file), leaving the buffer empty.
    pub fn take_rest(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        (!rest.trim().is_empty()).then_some(rest)
    }

    /// Forgets the statement being typed (Ctrl-C at the prompt).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// `exit` and `quit` (as the MySQL client accepts them), with or without `;`.
fn is_exit_word(line: &str) -> bool {
    let word = line.trim_end_matches(';').trim();
    word.eq_ignore_ascii_case("exit") || word.eq_ignore_ascii_case("quit") || word == "\\q"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_a_semicolon_over_several_lines() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_line("SELECT 1,"), None);
        assert!(!buffer.is_empty());
        assert_eq!(buffer.push_line("  'a;b'"), None);
        assert_eq!(buffer.push_line("; -- done"), Some(Input::Sql("SELECT 1,\n  'a;b'\n; -- done\n".into())));
        assert!(buffer.is_empty());
    }

    #[test]
    fn dot_commands_only_start_a_new_input() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_line("  .mode csv "), Some(Input::Command(".mode csv".into())));
        assert_eq!(buffer.push_line("SELECT"), None);
        assert_eq!(buffer.push_line(".5;"), Some(Input::Sql("SELECT\n.5;\n".into())));
        assert_eq!(buffer.push_line("quit"), Some(Input::Command(".quit".into())));
    }

    #[test]
    fn blank_lines_and_comments_do_not_start_a_statement() {
        let mut buffer = InputBuffer::default();
        assert_eq!(buffer.push_line(""), None);
        assert_eq!(buffer.push_line("-- just a note"), None);
        assert!(buffer.is_empty());
        assert_eq!(buffer.push_line("SELECT 2"), None);
        assert_eq!(buffer.take_rest(), Some("SELECT 2\n".into()));
        assert!(buffer.is_empty());
    }
}
