//! Errors in scenario files and flags, rendered `file:line:column` with the offending text.
//!
//! ```text
//! scenarios/bad.toml:12:8: error: unknown time unit `parsecs` in `10 parsecs`; expected one of ns, us, ms, s, m, h, d
//!    |
//! 12 | for = "10 parsecs"
//!    |       ^^^^^^^^^^^^
//! ```

use std::fmt;
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
    /// The text of the line.
    pub line_text: String,
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
        ScenarioError {
            file: file.to_string(),
            line,
            column,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width,
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
            width: 0,
            message: message.into(),
            origin: Some(flag.to_string()),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            let origin = self.origin.as_deref().unwrap_or("");
            return write!(f, "{}: error in `{}`: {}", self.file, origin, self.message);
        }
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        let gutter = self.line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.line_text)?;
        write!(
            f,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(self.column.saturating_sub(1)),
            "^".repeat(self.width.min(80))
        )?;
        if let Some(o) = &self.origin {
            write!(f, "\n{:gutter$} = note: after applying `{o}`", "")?;
        }
        Ok(())
    }
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
}
