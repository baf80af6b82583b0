//! # The repro line: the one command that replays a run
//!
//! Every failure tenantsim reports prints one (`tenantsim run FILE --seed N [--variant V]
//! [--set K=V]...`): a run is its scenario, its seed and its commit, and this line names the
//! first two exactly, shell-quoted so it can be pasted. Every subcommand that prints a
//! replay builds it here.

/// The exact command that reproduces a run.
pub fn command(file: &str, seed: u64, variant: Option<&str>, sets: &[String]) -> String {
    let mut cmd = format!("tenantsim run {} --seed {seed}", shell_quote(file));
    if let Some(v) = variant {
        cmd.push_str(" --variant ");
        cmd.push_str(&shell_quote(v));
    }
    for s in sets {
        cmd.push_str(" --set ");
        cmd.push_str(&shell_quote(s));
    }
    cmd
}

/// Shell-quotes `s` if it needs it (for printed repro commands).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the line pastes into a shell as the same arguments. Method: plain words stay
    /// bare; anything else is single-quoted with embedded quotes escaped.
    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_quote("scenarios/a.toml"), "scenarios/a.toml");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            command("a b.toml", 7, Some("v"), &["x=1".into()]),
            "tenantsim run 'a b.toml' --seed 7 --variant v --set x=1"
        );
    }
}
