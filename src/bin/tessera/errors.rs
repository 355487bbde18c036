//! How the shell reports what went wrong: `ERROR: message` on standard error and, for a syntax error
//! whose position the parser knows, the offending line of the statement with a caret under the spot.

use std::io::{IsTerminal, Write};

use tessera::EngineError;
use unicode_width::UnicodeWidthStr;

/// Characters of a long line shown around the spot a caret points at.
const WINDOW: usize = 100;

/// Prints `ERROR: {message}` (and `detail` lines, if any) on standard error, after whatever
/// standard output still holds.
pub fn report(message: &str, detail: Option<&str>) {
    let _ = std::io::stdout().flush();
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let label = if color { "\x1b[1;31mERROR\x1b[0m" } else { "ERROR" };
    let mut err = stderr.lock();
    let _ = writeln!(err, "{label}: {message}");
    if let Some(detail) = detail {
        let _ = writeln!(err, "{detail}");
    }
}

/// Reports the error of `statement`.
pub fn report_statement_error(error: &EngineError, statement: &str) {
    let detail = match error {
        EngineError::Parse(parse) => pointer(statement, parse.line, parse.column),
        _ => None,
    };
    report(&error.to_string(), detail.as_deref());
}

/// The line `line` (1-based) of `text` and a caret under character `column` (1-based):
///
/// ```text
///   2 | FROM orders WHERE day >>= 3
///     |                       ^
/// ```
pub fn pointer(text: &str, line: Option<u64>, column: Option<u64>) -> Option<String> {
    let (line, column) = (usize::try_from(line?).ok()?, usize::try_from(column?).ok()?);
    let source: Vec<char> =
        text.lines().nth(line.checked_sub(1)?)?.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let at = column.saturating_sub(1).min(source.len());
    // Long lines: a window around the spot, marked with ellipses where it was cut.
    let start = at.saturating_sub(WINDOW / 2).min(source.len().saturating_sub(WINDOW));
    let end = (start + WINDOW).min(source.len());
    let mut shown: String = source[start..end].iter().collect();
    let mut before: String = source[start..at].iter().collect();
    if start > 0 {
        shown.insert(0, '…');
        before.insert(0, '…');
    }
    if end < source.len() {
        shown.push('…');
    }
    let gutter = format!("{line:>4} | ");
    Some(format!("{gutter}{shown}\n{:>4} | {}^", "", " ".repeat(before.width())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_points_at_the_column() {
        let text = "SELECT a\nFROM t WHER x = 1";
        assert_eq!(pointer(text, Some(2), Some(8)).unwrap(), "   2 | FROM t WHER x = 1\n     |        ^");
        assert_eq!(pointer(text, Some(3), Some(1)), None);
        assert_eq!(pointer(text, None, Some(1)), None);
        // The end of the input: the caret goes just past the last character.
        assert_eq!(pointer("SELECT", Some(1), Some(7)).unwrap(), "   1 | SELECT\n     |       ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_spot() {
        let text = format!("SELECT {} FROM", "x, ".repeat(100));
        let shown = pointer(&text, Some(1), Some(200)).unwrap();
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[0].starts_with("   1 | …") && lines[0].ends_with('…'), "{shown}");
        let caret = lines[1].chars().count() - 1;
        let source: Vec<char> = lines[0].chars().collect();
        assert_eq!(source[caret], text.chars().nth(199).unwrap());
    }
}
