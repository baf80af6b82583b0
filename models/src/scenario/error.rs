//! Errors in scenario files and flags, rendered `file:line:column` with the offending text.
//!
//! ```text
//! scenarios/bad.toml:12:8: error: unknown time unit `parsecs` in `10 parsecs`; expected one of ns, us, ms, s, m, h, d
//!    |
//! 12 | for = "10 parsecs"
//!    |       ^^^^^^^^^^^^
//! ```
//!
//! Bounded whatever the input: the snippet shown is at most [`SNIPPET_CHARS`] characters of
//! the line, around the offending text (a 50 MB one-line file gives a few lines of output,
//! not 100 MB), and the error keeps only that snippet.

use std::fmt;

/// Most characters of a source line shown (and kept) in an error.
pub const SNIPPET_CHARS: usize = 120;
use std::ops::Range;

/// One problem in a scenario, located in its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The text shown from the line: all of it, or a clipped part marked with `…`.
    pub line_text: String,
    /// 1-based column, within `line_text`, of the offending text (equals `column` unless
    /// the line was clipped on the left).
    pub snippet_column: usize,
    /// Length of the offending text on that line, in characters (at least 1).
    pub width: usize,
    /// What is wrong and what would be right.
    pub message: String,
    /// Where the text came from when not from the file (e.g. `--set platform.cells=abc`).
    pub origin: Option<String>,
}

impl ScenarioError {
    /// An error at byte range `span` of `text`.
    pub fn at(
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        let span = span.unwrap_or(0..0);
        let start = span.start.min(text.len());
        let end = span.end.clamp(start, text.len());
        let line_start = text[..start].rfind('\n').map(|p| p + 1).unwrap_or(0);
        let line_end = text[start..]
            .find('\n')
            .map(|p| start + p)
            .unwrap_or(text.len());
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let width = text[start..end.min(line_end)].chars().count().max(1);
        let (line_text, snippet_column) =
            clip_line(text[line_start..line_end].trim_end_matches('\r'), column);
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            line_text,
            snippet_column,
            width,
            message: message.into(),
            origin: None,
        }
    }

    /// An error at line `line`, column `column` (1-based) where no text can be shown (a
    /// file that is not UTF-8).
    pub fn at_position(file: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            line_text: String::new(),
            snippet_column: column,
            width: 1,
            message: message.into(),
            origin: None,
        }
    }

    /// An error in a command-line override, which has no file position.
    pub fn in_flag(file: &str, flag: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            line: 0,
            column: 0,
            line_text: String::new(),
            snippet_column: 0,
            width: 0,
            message: message.into(),
            origin: Some(flag.to_string()),
        }
    }
}

impl ScenarioError {
    /// An error about the value of a command-line override: shown on the flag, with a caret
    /// under the value (`range`: bytes of `flag`), instead of on a line of the file.
    pub fn in_flag_at(
        file: &str,
        flag: &str,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let start = range.start.min(flag.len());
        let end = range.end.clamp(start, flag.len());
        let (line_text, snippet_column) =
            if flag.is_char_boundary(start) && flag.is_char_boundary(end) {
                let column = flag[..start].chars().count() + 1;
                clip_line(flag, column)
            } else {
                (flag.to_string(), 1)
            };
        let width = flag.get(start..end).map_or(1, |v| v.chars().count().max(1));
        ScenarioError {
            file: file.to_string(),
            line: 0,
            column: 0,
            line_text,
            snippet_column,
            width,
            message: message.into(),
            origin: Some(flag.to_string()),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            let origin = self.origin.as_deref().unwrap_or("");
            write!(
                f,
                "{}: error in `{}`: {}",
                self.file,
                clip_chars(origin, SNIPPET_CHARS),
                self.message
            )?;
            if !self.line_text.is_empty() {
                // The flag itself, with a caret under the offending value.
                let shown = self.line_text.chars().count();
                let caret_at = self.snippet_column.clamp(1, shown + 1);
                let carets = self.width.min(80).clamp(1, (shown + 1 - caret_at).max(1));
                write!(
                    f,
                    "\n  |\n  | {}\n  | {}{}",
                    self.line_text,
                    " ".repeat(caret_at - 1),
                    "^".repeat(carets)
                )?;
            }
            return Ok(());
        }
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        let gutter = self.line.to_string().len();
        if !self.line_text.is_empty() {
            let shown = self.line_text.chars().count();
            let caret_at = self.snippet_column.clamp(1, shown + 1);
            let carets = self.width.min(80).clamp(1, (shown + 1 - caret_at).max(1));
            writeln!(f)?;
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", self.line, self.line_text)?;
            write!(
                f,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(caret_at - 1),
                "^".repeat(carets)
            )?;
        }
        if let Some(o) = &self.origin {
            write!(
                f,
                "\n{:gutter$} = note: after applying `{}`",
                "",
                clip_chars(o, SNIPPET_CHARS)
            )?;
        }
        Ok(())
    }
}

/// `s` cut to `max` characters, with `…` when cut.
fn clip_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The part of `line` to show for an error at 1-based `column`, and the error's column
/// within it: the whole line when short, else at most
/// [`SNIPPET_CHARS`] characters starting a little before the column, marked `…` where cut.
fn clip_line(line: &str, column: usize) -> (String, usize) {
    let chars = line.chars().count();
    if chars <= SNIPPET_CHARS {
        return (line.to_string(), column);
    }
    let lead = 30;
    let first = column
        .saturating_sub(1 + lead)
        .min(chars.saturating_sub(SNIPPET_CHARS));
    let take = SNIPPET_CHARS.min(chars - first);
    let mut out = String::new();
    if first > 0 {
        out.push('…');
    }
    out.extend(line.chars().skip(first).take(take));
    if first + take < chars {
        out.push('…');
    }
    let col = column - first + usize::from(first > 0);
    (out, col)
}

/// The first key (dotted, or a `[table.header]`) in `text` with more than `max` parts, as
/// (byte range of the key, parts). The TOML reader refuses such keys only with "recursion
/// limit" and no position; this finds the line to blame. A quick scan, not a parser: keys
/// with quoted dots are counted by their dots outside quotes.
pub fn deep_key(text: &str, max: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if body.starts_with('#') {
            continue;
        }
        let key_end = if body.starts_with('[') {
            body.find(']').unwrap_or(body.len())
        } else {
            match body.find('=') {
                Some(e) => e,
                None => continue,
            }
        };
        let key = body[..key_end].trim_end();
        let key_end = key.len();
        let mut parts = 1;
        let mut quote: Option<char> = None;
        for ch in key.chars() {
            match (quote, ch) {
                (None, '"' | '\'') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, '.') => parts += 1,
                _ => {}
            }
        }
        if parts > max {
            let s = start + indent;
            return Some((s..s + key_end, parts));
        }
    }
    None
}

/// Line and column (1-based, in characters) of byte `offset` of `bytes`, whose first
/// `offset` bytes are valid UTF-8 (as `Utf8Error::valid_up_to` promises).
pub fn position_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let valid = std::str::from_utf8(&bytes[..offset.min(bytes.len())]).unwrap_or("");
    let line = valid.matches('\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |p| p + 1);
    (line, valid[line_start..].chars().count() + 1)
}

/// All problems found in one scenario (at most [`MAX_ERRORS`] are kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

/// Bound on the number of errors reported for one file.
pub const MAX_ERRORS: usize = 10;

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{e}")?;
        }
        if self.0.len() > 1 {
            write!(f, "{} errors", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column() {
        let text = "a = 1\nfor = \"10 parsecs\"\n";
        let start = text.find("\"10").unwrap();
        let e = ScenarioError::at("x.toml", text, Some(start..start + 12), "bad");
        assert_eq!((e.line, e.column, e.width), (2, 7, 12));
        let shown = e.to_string();
        assert!(shown.starts_with("x.toml:2:7: error: bad"), "{shown}");
        assert!(shown.contains("2 | for = \"10 parsecs\""));
        assert!(shown.contains("|       ^^^^^^^^^^^^"));
    }

    #[test]
    fn long_lines_are_clipped_around_the_error() {
        // Goal: the output for one error is bounded whatever the line's length, and still
        // points at the offending text. Method: a 5 MB line with the error in the middle;
        // the rendering is short, holds the text, and the caret sits under it.
        let mut text = "x = \"".to_string();
        text.push_str(&"a".repeat(2_500_000));
        text.push_str("BAD");
        text.push_str(&"b".repeat(2_500_000));
        text.push_str("\"\n");
        let start = text.find("BAD").unwrap();
        let e = ScenarioError::at("x.toml", &text, Some(start..start + 3), "bad");
        let shown = e.to_string();
        assert!(shown.len() < 1000, "{} bytes", shown.len());
        assert_eq!(e.column, start + 1);
        let lines: Vec<&str> = shown.lines().collect();
        let src = lines[2];
        let caret = lines[3];
        // Columns are characters (the `…` is one character, three bytes).
        let under = |src: &str, caret: &str, n: usize| -> String {
            let at = caret.find('^').unwrap();
            src.chars().skip(at).take(n).collect()
        };
        assert_eq!(under(src, caret, 3), "BAD", "\n{src}\n{caret}");
        assert!(src.contains('…'));
        // An error near the start or end of a long line is clipped on one side only.
        let e = ScenarioError::at("x.toml", &text, Some(0..1), "bad");
        assert!(e.to_string().len() < 1000);
        let end = text.len() - 2;
        let e = ScenarioError::at("x.toml", &text, Some(end..end + 1), "bad");
        let shown = e.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            under(lines[2], lines[3], 1),
            "\"",
            "\n{}\n{}",
            lines[2],
            lines[3]
        );
    }

    #[test]
    fn flag_errors_point_at_the_value() {
        // Goal: an error in a `--set` value is shown on the flag with a caret under it.
        let flag = "--set control_plane.placement=power_of_too";
        let at = flag.find("power").unwrap();
        let e = ScenarioError::in_flag_at("q.toml", flag, at..flag.len(), "unknown");
        let shown = e.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], format!("q.toml: error in `{flag}`: unknown"));
        assert_eq!(lines[2], format!("  | {flag}"));
        assert_eq!(
            lines[3],
            format!("  | {}{}", " ".repeat(at), "^".repeat(12))
        );
    }

    #[test]
    fn finds_deep_keys_and_utf8_positions() {
        // Goal: the two inputs the TOML reader cannot locate get a line and column.
        // Method: a deep dotted key on line 3, a deep header, quoted dots not counted; an
        // invalid byte at line 2, column 3.
        let deep = vec!["k"; 40].join(".");
        let text = format!("a = 1\nb.c = 2\n  {deep} = 3\n");
        let (r, parts) = deep_key(&text, 32).unwrap();
        assert_eq!((parts, &text[r]), (40, deep.as_str()));
        assert!(deep_key(&format!("[{deep}]\n"), 32).is_some());
        assert!(deep_key("\"a.b.c\" = 1\n[x]\n# a.b.c.d\n", 1).is_none());
        let bytes: Vec<u8> = b"a = 1\nbb\xff = 2\n".to_vec();
        let bad = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
        assert_eq!(position_of(&bytes, bad), (2, 3));
    }
}
