//! The README's shown output stays true: every command block marked
//! `<!-- readme-test: ARGS -->` is run as `tenantsim ARGS` and its stdout compared with the
//! fenced block that follows the marker (the review found the quickstart excerpt stale and the
//! `check` excerpt silently dropping rows: D1).
//!
//! Method (trycmd-style, our own small harness): each excerpt line must equal an output line
//! (trailing spaces ignored), in order; a line `...` stands for any number of output lines (so
//! rows may be left out only where the reader is told); `[..]` inside a line matches any text
//! (volatile parts: the git commit). Without a `...` between them, consecutive excerpt lines
//! must be consecutive output lines, and the excerpt must run to the end of the output. The
//! commands run in a temporary directory whose `scenarios` links to the shipped ones, so
//! written files (`--out`) land there.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (marker line number, args, excerpt lines) for every marked block.
fn marked_blocks(readme: &str) -> Vec<(usize, String, Vec<String>)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let marker = lines[i]
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|r| r.strip_suffix("-->"));
        if let Some(args) = marker {
            let open = lines[i + 1..]
                .iter()
                .position(|l| l.starts_with("```"))
                .map(|k| i + 1 + k)
                .expect("a fenced block after the marker");
            let close = lines[open + 1..]
                .iter()
                .position(|l| l.starts_with("```"))
                .map(|k| open + 1 + k)
                .expect("the fenced block is closed");
            let body = lines[open + 1..close]
                .iter()
                .map(|l| l.to_string())
                .collect();
            out.push((i + 1, args.trim().to_string(), body));
            i = close;
        }
        i += 1;
    }
    out
}

/// Whether `line` matches the excerpt line `want` (`[..]` matches any text).
fn line_matches(want: &str, line: &str) -> bool {
    let (want, line) = (want.trim_end(), line.trim_end());
    let parts: Vec<&str> = want.split("[..]").collect();
    if parts.len() == 1 {
        return want == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(k) => rest = &rest[k + p.len()..],
            None => return false,
        }
    }
    true
}

/// Compares an excerpt with the output; the error says which excerpt line failed and why.
fn compare(excerpt: &[String], output: &str) -> Result<(), String> {
    let out: Vec<&str> = output.lines().collect();
    let mut p = 0;
    let mut gap = false;
    for (n, want) in excerpt.iter().enumerate() {
        if want.trim() == "..." {
            gap = true;
            continue;
        }
        let found = if gap {
            (p..out.len()).find(|&k| line_matches(want, out[k]))
        } else {
            (p < out.len() && line_matches(want, out[p])).then_some(p)
        };
        match found {
            Some(k) => p = k + 1,
            None => {
                let got = out.get(p).copied().unwrap_or("<end of output>");
                return Err(format!(
                    "excerpt line {} not found{}:\n  want: {want}\n  next output line: {got}",
                    n + 1,
                    if gap {
                        ""
                    } else {
                        " where expected (no `...` before it)"
                    }
                ));
            }
        }
        gap = false;
    }
    if !gap && p < out.len() {
        return Err(format!(
            "the output goes on after the excerpt (add `...` or the lines): {}",
            out[p]
        ));
    }
    Ok(())
}

fn sandbox() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    link(&root().join("scenarios"), &d.join("scenarios"));
    d
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).unwrap();
}

#[cfg(not(unix))]
fn link(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn readme_excerpts_match_what_the_commands_print() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks = marked_blocks(&readme);
    assert!(
        blocks.len() >= 3,
        "the README's marked blocks were not found"
    );
    let dir = sandbox();
    let mut failures = Vec::new();
    for (line, args, excerpt) in &blocks {
        let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
            .current_dir(&dir)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        if let Err(e) = compare(excerpt, &stdout) {
            failures.push(format!(
                "README.md:{line}: `tenantsim {args}`: {e}\n--- stdout ---\n{stdout}"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The matcher itself: it must reject what the review found (a stale number, a row dropped
/// without `...`) and accept marked gaps and wildcards.
#[test]
fn the_matcher_rejects_stale_and_silently_dropped_lines() {
    let out = "a 1\nb 2\nc 3\nverdict abc123\n";
    let ex = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(compare(&ex("a 1\nb 2\nc 3\nverdict [..]"), out).is_ok());
    assert!(compare(&ex("a 1\n...\nverdict [..]"), out).is_ok());
    assert!(
        compare(&ex("a 1\nc 3\nverdict [..]"), out).is_err(),
        "a silent drop"
    );
    assert!(
        compare(&ex("a 1\nb 9\n..."), out).is_err(),
        "a stale number"
    );
    assert!(
        compare(&ex("a 1\nb 2"), out).is_err(),
        "unmentioned trailing lines"
    );
    assert!(line_matches("x [..] z", "x y y z"));
    assert!(!line_matches("x [..] z", "x y y"));
}

/// A blank line inside a Markdown table ends it: the rows after it render as a paragraph of
/// pipes on GitHub (D18, scenarios/README.md's fault kinds). Every table in the docs is whole.
#[test]
fn no_markdown_table_is_split_by_a_blank_line() {
    let mut bad = Vec::new();
    for doc in [
        "README.md",
        "scenarios/README.md",
        "ci/README.md",
        "ci/sweeps.md",
        "RELEASING.md",
        "CHANGELOG.md",
    ] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for i in 1..lines.len().saturating_sub(1) {
            let row = |l: &str| l.trim_start().starts_with('|');
            let new_table = lines
                .get(i + 2)
                .is_some_and(|l| l.trim_start().starts_with("|-"));
            if lines[i].trim().is_empty() && row(lines[i - 1]) && row(lines[i + 1]) && !new_table {
                bad.push(format!("{doc}:{}: a blank line splits a table", i + 1));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The units table in scenarios/README.md lists exactly the spellings the parser accepts
/// (`sim::time::UNIT_ALIASES`): the one table stays the truth (D6).
#[test]
fn the_units_table_matches_the_parser() {
    let text = std::fs::read_to_string(root().join("scenarios/README.md")).unwrap();
    let start = text
        .find("| unit | also written |")
        .expect("the units table");
    let mut documented: Vec<String> = Vec::new();
    for line in text[start..].lines().skip(2) {
        if !line.starts_with('|') {
            break;
        }
        for cell in line.split('|').skip(1).take(2) {
            for w in cell.split(',') {
                let w = w.trim().trim_matches('`');
                if !w.is_empty() {
                    documented.push(w.to_string());
                }
            }
        }
    }
    let mut parsed: Vec<String> = sim::time::UNIT_ALIASES
        .iter()
        .map(|(u, _)| u.to_string())
        .collect();
    documented.sort();
    parsed.sort();
    assert_eq!(documented, parsed);
}
