//! `scale_time = F` (and `--scale-time F`, its command-line form): the scenario's timeline
//! stretched or shrunk by F, for a quick smoke run of a long game day.
//!
//! Scaled: the run's `duration`; every fault's `at`, `for` and `until`; every load-shape
//! point (`workload.schedule`, a tenant's or cohort's `schedule`); the diurnal `period` and
//! `peak`; cohorts' `provision_at`; spiky tenants' `spike_every` and `spike_for`; SLO windows
//! written `FROM..TO`. Overrides (a variant's `set`, `--set`) are applied first, so a time
//! they give is in the file's timeline and is scaled with it. Not scaled: the
//! mechanisms — service and DB times, client timeouts, backoff, TTLs, heartbeats, recording
//! `window`, the metastability `for` — since they are the platform, not the story.
//!
//! **Caveat.** This changes the run. Rates are unchanged, so a 10× shorter run sends 10×
//! fewer requests, and a fault now short compared with the platform's own time constants (a
//! 5-minute data-key TTL, a 60-second route TTL, a queue's drain time) can have a different
//! outcome: verdicts of a scaled run are a smoke test, not the game day's answer. Digests of
//! a scaled run are its own (the key is part of the scenario's inputs).
//!
//! Applied to the TOML tree after `--set` overrides and before parsing, by rewriting each
//! value in place: line numbers stay those of the file. A key added to the scenario format
//! that is a point on the timeline belongs in [`TIMELINE_KEYS`].

use sim::SimDuration;
use toml_edit::{DocumentMut, Item, Value};

/// Most and least factor accepted.
pub const SCALE_RANGE: (f64, f64) = (0.001, 1000.0);

/// Dotted paths of the timeline keys; `*` is any one element of an array of tables (or of
/// a schedule), `#0` is the time of a `[time, multiplier]` point.
pub const TIMELINE_KEYS: &[&str] = &[
    "duration",
    "faults.*.at",
    "faults.*.for",
    "faults.*.until",
    "workload.schedule.*.#0",
    "workload.diurnal.period",
    "workload.diurnal.peak",
    "tenants.*.schedule.*.#0",
    "tenants.*.spike_every",
    "tenants.*.spike_for",
    "cohorts.*.schedule.*.#0",
    "cohorts.*.provision_at",
    "cohorts.*.spike_every",
    "cohorts.*.spike_for",
    "slos.*.window",
];

/// A duration written back exactly (`{ns}ns` when the short form would round).
fn write_dur(d: SimDuration) -> String {
    let short = d.to_string();
    match SimDuration::parse(&short) {
        Ok(back) if back == d => short,
        _ => format!("{}ns", d.0),
    }
}

/// `text` (a duration, or an SLO window `FROM..TO`) scaled by `f`; `None` when it is not
/// one (left alone for the loader to report).
fn scale_text(text: &str, f: f64) -> Option<String> {
    let one = |t: &str| -> Option<String> {
        let d = SimDuration::parse(t.trim()).ok()?;
        let ns = (d.0 as f64 * f).round();
        if !(0.0..9.0e18).contains(&ns) {
            return None;
        }
        Some(write_dur(SimDuration(ns as u64)))
    };
    if let Some((a, b)) = text.split_once("..") {
        return Some(format!("{}..{}", one(a)?, one(b)?));
    }
    one(text)
}

fn scale_value(v: &mut Value, f: f64) {
    let new = match v {
        Value::String(s) => scale_text(s.value(), f),
        // `0` is the one bare-number duration.
        _ => None,
    };
    if let Some(n) = new {
        let decor = v.decor().clone();
        *v = Value::from(n);
        *v.decor_mut() = decor;
    }
}

/// Visits every item at `parts` under `item`, scaling what it finds.
fn walk(item: &mut Item, parts: &[&str], f: f64) {
    let Some((first, rest)) = parts.split_first() else {
        if let Item::Value(v) = item {
            scale_value(v, f);
        }
        return;
    };
    match (*first, item) {
        ("*", Item::ArrayOfTables(a)) => {
            for t in a.iter_mut() {
                for (k, it) in t.iter_mut() {
                    if rest.first() == Some(&k.get()) {
                        walk(it, &rest[1..], f);
                    }
                }
            }
        }
        ("*", Item::Value(Value::Array(a))) => {
            for v in a.iter_mut() {
                walk_value(v, rest, f);
            }
        }
        (key, Item::Table(t)) => {
            if let Some(it) = t.get_mut(key) {
                walk(it, rest, f);
            }
        }
        (key, Item::Value(Value::InlineTable(t))) => {
            if let Some(v) = t.get_mut(key) {
                walk_value(v, rest, f);
            }
        }
        _ => {}
    }
}

fn walk_value(v: &mut Value, parts: &[&str], f: f64) {
    let Some((first, rest)) = parts.split_first() else {
        scale_value(v, f);
        return;
    };
    match (*first, v) {
        ("*", Value::Array(a)) => {
            for x in a.iter_mut() {
                walk_value(x, rest, f);
            }
        }
        ("#0", Value::Array(a)) => {
            if let Some(x) = a.get_mut(0) {
                walk_value(x, rest, f);
            }
        }
        (key, Value::InlineTable(t)) => {
            if let Some(x) = t.get_mut(key) {
                walk_value(x, rest, f);
            }
        }
        _ => {}
    }
}

/// Scales the timeline of `doc` by `f` (see the module docs). `Err` for a factor out of
/// [`SCALE_RANGE`].
pub fn apply(doc: &mut DocumentMut, f: f64) -> Result<(), String> {
    if !(SCALE_RANGE.0..=SCALE_RANGE.1).contains(&f) {
        return Err(format!(
            "scale_time is {f}; it must be between {} and {} (0.1 = a run 10× shorter)",
            SCALE_RANGE.0, SCALE_RANGE.1
        ));
    }
    for key in TIMELINE_KEYS {
        let parts: Vec<&str> = key.split('.').collect();
        walk(doc.as_item_mut(), &parts, f);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(text: &str, f: f64) -> String {
        let mut doc: DocumentMut = text.parse().unwrap();
        apply(&mut doc, f).unwrap();
        doc.to_string()
    }

    #[test]
    fn the_timeline_scales_and_the_mechanisms_do_not() {
        // Goal: every kind of timeline key scales, other durations do not, and line numbers
        // stay. Method: a file with one of each, scaled by 0.1.
        let text = "duration = \"1h\"\nwindow = \"1s\"\n\
[workload]\nschedule = [[\"0s\", 1.0], [\"10m\", 3.0]]\n\
[classes.api]\ntimeout = \"1s\"\n\
[[tenants]]\nid = \"a\"\nspike_every = \"5m\"\n\
[[faults]]\nkind = \"hot_tenant\"\nat = \"20m\"\nfor = \"5m\"\n\
[[slos]]\nname = \"s\"\nwindow = \"7m..15m\"\n";
        let out = scaled(text, 0.1);
        for want in [
            "duration = \"6m\"",
            "window = \"1s\"",
            "[[\"0s\", 1.0], [\"1m\", 3.0]]",
            "timeout = \"1s\"",
            "spike_every = \"30s\"",
            "at = \"2m\"",
            "for = \"30s\"",
            "window = \"42s..1m30s\"",
        ] {
            assert!(out.contains(want), "{want} missing in\n{out}");
        }
        assert_eq!(out.lines().count(), text.lines().count());
        // Inexact results are written exactly.
        assert!(scaled("duration = \"1s\"\n", 1.0 / 3.0).contains("333333333ns"));
    }

    #[test]
    fn bad_factors_are_refused() {
        let mut doc: DocumentMut = "duration = \"1h\"\n".parse().unwrap();
        for f in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e6] {
            assert!(apply(&mut doc, f).is_err(), "{f}");
        }
    }
}
