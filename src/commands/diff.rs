//! `tenantsim diff A B`: what changed between two runs, from their `summary.json` files (or
//! the `--out` folders holding them).
//!
//! It says which inputs differ (scenario file content, overrides, variant, seed, tenantsim
//! version: from the fingerprints), whether the digests match, every SLO whose verdict flipped
//! and the change of each SLO's measured value, and per tier (and in total) the change in
//! offered requests, availability, error rate and latency percentiles. It reads recorded
//! results only and runs nothing. Output is deterministic.
//!
//! Exit codes: 0 no SLO verdict differs, 1 a verdict flipped, 2 invalid input.

use crate::cli::DiffArgs;
use crate::exit;
use reports::summary::{GroupRow, RunSummary};
use std::fmt::Write as _;
use std::path::Path;

/// Reads a `summary.json`, or the one in an `--out` folder.
fn load(path: &Path) -> Result<RunSummary, String> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "cannot read {}: {e}\n  = help: pass a summary.json written by `tenantsim run --json PATH`, or a folder written by `--out DIR`",
            file.display()
        )
    })?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a tenantsim summary.json: {e}", file.display()))
}

/// Runs `tenantsim diff`.
pub fn diff(a: DiffArgs) -> i32 {
    let (old, new) = match (load(&a.a), load(&a.b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("tenantsim: error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let (text, flips) = render(
        &old,
        &new,
        &a.a.display().to_string(),
        &a.b.display().to_string(),
    );
    print!("{text}");
    if flips > 0 {
        exit::SLO_FAILED
    } else {
        exit::OK
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

fn signed(d: f64, unit: &str) -> String {
    if d == 0.0 {
        "=".to_string()
    } else {
        format!("{d:+.3}{unit}")
    }
}

/// The change of `new` from `old` as a percentage of `old`, if that means anything.
fn rel(old: f64, new: f64) -> String {
    if old == new {
        String::new()
    } else if old != 0.0 && old.is_finite() && new.is_finite() {
        format!(" ({:+.1}%)", (new - old) / old.abs() * 100.0)
    } else {
        String::new()
    }
}

/// The report and the number of SLO verdicts that flipped.
pub fn render(old: &RunSummary, new: &RunSummary, a: &str, b: &str) -> (String, usize) {
    let mut out = String::new();
    let _ = writeln!(out, "tenantsim diff: A = {a}\n                B = {b}\n");
    let _ = writeln!(
        out,
        "  A: {} seed {}{}  digest {}  events {}",
        old.scenario,
        old.seed,
        old.variant
            .as_deref()
            .map(|v| format!(" variant {v}"))
            .unwrap_or_default(),
        old.digest,
        old.events
    );
    let _ = writeln!(
        out,
        "  B: {} seed {}{}  digest {}  events {}",
        new.scenario,
        new.seed,
        new.variant
            .as_deref()
            .map(|v| format!(" variant {v}"))
            .unwrap_or_default(),
        new.digest,
        new.events
    );
    let (differ, unknown) = crate::service::verify::input_differences(old, new);
    let same_digest = old.digest == new.digest;
    let _ = writeln!(out, "\n  inputs:");
    if differ.is_empty() && unknown.is_empty() {
        let _ = writeln!(out, "    the same inputs (fingerprints match)");
    }
    for d in &differ {
        let _ = writeln!(out, "    differ: {d}");
    }
    for u in &unknown {
        let _ = writeln!(out, "    unknown: {u}");
    }
    let _ = writeln!(
        out,
        "  digest: {}",
        if same_digest {
            "identical: the same run, event for event"
        } else if differ.is_empty() && unknown.is_empty() {
            "DIFFERENT with the same inputs: a determinism bug, please report it with both files"
        } else {
            "different"
        }
    );

    let flips = slos_table(&mut out, old, new);
    tiers_table(&mut out, old, new);
    let _ = writeln!(
        out,
        "\n{} SLO verdict{} flipped; overall {} → {}",
        flips,
        if flips == 1 { "" } else { "s" },
        if old.passed { "PASS" } else { "FAIL" },
        if new.passed { "PASS" } else { "FAIL" }
    );
    (out, flips)
}

/// The SLO table, by name (A's order, then those only in B); returns how many verdicts
/// flipped.
fn slos_table(out: &mut String, old: &RunSummary, new: &RunSummary) -> usize {
    let mut flips = 0;
    let _ = writeln!(
        out,
        "\n  {:<26} {:<24} {:>12} {:>12} {:>12}  VERDICT",
        "SLO", "OBJECTIVE", "A", "B", "CHANGE"
    );
    let mut names: Vec<&str> = old.slos.iter().map(|s| s.name.as_str()).collect();
    for s in &new.slos {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    for name in names {
        let (x, y) = (
            old.slos.iter().find(|s| s.name == name),
            new.slos.iter().find(|s| s.name == name),
        );
        let verdict = |p: bool| if p { "PASS" } else { "FAIL" };
        match (x, y) {
            (Some(x), Some(y)) => {
                let flipped = x.passed != y.passed;
                flips += usize::from(flipped);
                let change = slo_change(x, y);
                let _ = writeln!(
                    out,
                    "  {:<26} {:<24} {:>12} {:>12} {:>12}  {}{}",
                    name,
                    y.objective,
                    x.measured_text,
                    y.measured_text,
                    change,
                    if flipped {
                        format!("{} → {}", verdict(x.passed), verdict(y.passed))
                    } else {
                        verdict(y.passed).to_string()
                    },
                    if flipped { "   FLIPPED" } else { "" }
                );
            }
            (Some(x), None) => {
                let _ = writeln!(
                    out,
                    "  {:<26} {:<24} {:>12} {:>12} {:>12}  only in A ({})",
                    name,
                    x.objective,
                    x.measured_text,
                    "-",
                    "",
                    verdict(x.passed)
                );
            }
            (None, Some(y)) => {
                let _ = writeln!(
                    out,
                    "  {:<26} {:<24} {:>12} {:>12} {:>12}  only in B ({})",
                    name,
                    y.objective,
                    "-",
                    y.measured_text,
                    "",
                    verdict(y.passed)
                );
            }
            (None, None) => {}
        }
    }
    flips
}

/// The tier table and the total: offered, availability, error rate, p50, p99, A → B.
fn tiers_table(out: &mut String, old: &RunSummary, new: &RunSummary) {
    let _ = writeln!(
        out,
        "\n  {:<10} {:>20} {:>24} {:>20} {:>22} {:>22}",
        "TIER", "OFFERED", "AVAILABILITY", "ERROR RATE", "P50", "P99"
    );
    let mut tiers: Vec<(&str, Option<&GroupRow>, Option<&GroupRow>)> = Vec::new();
    for t in &old.tiers {
        tiers.push((
            &t.name,
            Some(t),
            new.tiers.iter().find(|u| u.name == t.name),
        ));
    }
    for u in &new.tiers {
        if !old.tiers.iter().any(|t| t.name == u.name) {
            tiers.push((&u.name, None, Some(u)));
        }
    }
    tiers.push(("all", Some(&old.total), Some(&new.total)));
    for (name, x, y) in tiers {
        let (Some(x), Some(y)) = (x, y) else {
            let _ = writeln!(
                out,
                "  {name:<10} only in {}",
                if x.is_some() { "A" } else { "B" }
            );
            continue;
        };
        let (xo, yo) = (&x.outcomes, &y.outcomes);
        let offered = format!(
            "{}{}",
            signed(yo.offered as f64 - xo.offered as f64, ""),
            rel(xo.offered as f64, yo.offered as f64)
        );
        let avail = format!("{} → {}", pct(xo.availability()), pct(yo.availability()));
        let err = signed((yo.error_rate() - xo.error_rate()) * 100.0, "pp");
        let p50 = format!(
            "{}{}",
            signed(y.latency.p50_ms - x.latency.p50_ms, "ms"),
            rel(x.latency.p50_ms, y.latency.p50_ms)
        );
        let p99 = format!(
            "{}{}",
            signed(y.latency.p99_ms - x.latency.p99_ms, "ms"),
            rel(x.latency.p99_ms, y.latency.p99_ms)
        );
        let _ = writeln!(
            out,
            "  {name:<10} {offered:>20} {avail:>24} {err:>20} {p50:>22} {p99:>22}"
        );
    }
}

/// The change of an SLO's measured value: percentage points for rates, ms for durations.
fn slo_change(x: &reports::summary::SloRow, y: &reports::summary::SloRow) -> String {
    if x.measured_text == y.measured_text {
        return "=".to_string();
    }
    // "no data", "no success": no number to subtract.
    let numeric = |t: &str| t.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    if !(numeric(&x.measured_text) && numeric(&y.measured_text)) {
        return "changed".to_string();
    }
    let d = y.measured - x.measured;
    if x.measured_text.ends_with('%') {
        signed(d * 100.0, "pp")
    } else if x.measured_text.ends_with('s') {
        signed(d, "ms")
    } else {
        signed(d, "")
    }
}
