//! # A drawn fault schedule written out literally
//!
//! An explored run (`tenantsim run FILE --seed N --explore`) is the scenario plus what the
//! seed drew: the `[explore]` schedule appended to its faults, and the drawn parts of its
//! written faults (selectors, `at`/`for`/`factor` distributions, `after`, `every`) resolved.
//! [`literal_doc`] writes that run as an ordinary scenario file with **no draws left**: every
//! fault with a fixed start and length, fixed targets and a fixed intensity, in the order
//! the run had them, and no `[explore]` table. `tenantsim shrink --explore` shrinks that file
//! (so a failing explored run becomes a minimal scenario anybody can read and re-run without
//! `--explore`), and `explore --shrink DIR` does so for the first run of each failure.
//!
//! **Guarantees.**
//! - The literal file runs the same events as the explored run on the same seed: same fault
//!   list (kinds, targets, windows to the nanosecond, intensities bit for bit), so the same
//!   digest. Times are written in whole nanoseconds (`"61234567890ns"`), numbers with Rust's
//!   shortest round-tripping form. `tests/explore_shrink.rs` checks the digest.
//! - Written faults without drawn parts are kept as written (comments included). A written
//!   fault with drawn parts keeps its other keys; its drawn keys are replaced by their values.
//! - Copies a selection or `every` added (`NAME#2`, …) are written as faults of their own,
//!   after the others, as the run had them.
//! - A fault whose selection came out empty did nothing in the run; it is left out and named
//!   in [`Literal::dropped`].
//! - `scale_time` is applied to the file's timeline first and the key removed, since the
//!   literal times are already on the run's timeline.
//! - A fault started by a condition (`when`) keeps its condition and `poll` literally; its
//!   `at` is its arming time (drawn or `after` resolved), so the replay polls at the same
//!   instants and fires at the same one ([`crate::fault_when`]).

use crate::fault::{Fault, FaultKind};
use crate::harness::explore::schedule;
use crate::scenario::{int_array, Scenario};
use toml_edit::{DocumentMut, Item, Table};

/// A scenario file with its drawn schedule written out.
#[derive(Debug)]
pub struct Literal {
    /// The file, with no draws left.
    pub doc: DocumentMut,
    /// Faults left out because their selection was empty at run time.
    pub dropped: Vec<String>,
    /// Faults written out from draws: the `[explore]` schedule's, copies, resolved faults.
    pub drawn: usize,
}

/// Keys of a `[[faults]]` entry that may be drawn or relative: replaced by literal values.
const DRAWN_KEYS: [&str; 10] = [
    "at", "after", "every", "for", "until", "factor", "cell", "cells", "tenant", "tenants",
];

/// Writes `doc` (the scenario file `sc` was loaded from, with any variant and `--set` folded
/// in) with the faults run `seed` had — with the `[explore]` schedule when `explore` — as
/// literal faults. `Err` says why it cannot (faults written as an inline array).
pub fn literal_doc(
    doc: &DocumentMut,
    sc: &Scenario,
    seed: u64,
    explore: bool,
) -> Result<Literal, String> {
    let explored = if explore {
        schedule(sc, seed)
    } else {
        sc.clone()
    };
    let (faults, empty): (Vec<Fault>, Vec<usize>) =
        match crate::fault_draw::resolve(&explored, seed) {
            Some(r) => (r.scenario.faults, r.empty),
            None => (explored.faults.clone(), Vec::new()),
        };
    let mut out = doc.clone();
    if let Some(f) = out.get("scale_time").and_then(Item::as_float).or_else(|| {
        out.get("scale_time")
            .and_then(Item::as_integer)
            .map(|i| i as f64)
    }) {
        crate::scenario::scale_time::apply(&mut out, f)?;
        out.remove("scale_time");
    }
    let written: Vec<Table> = match out.get("faults") {
        None => Vec::new(),
        Some(Item::ArrayOfTables(a)) => a.iter().cloned().collect(),
        Some(_) => {
            return Err(
                "`faults` is written as an inline array; write each as a [[faults]] table to shrink a drawn schedule"
                    .to_string(),
            )
        }
    };
    if written.len() != sc.faults.len() {
        return Err(format!(
            "the file has {} [[faults]] but the scenario {}",
            written.len(),
            sc.faults.len()
        ));
    }
    let mut tables = toml_edit::ArrayOfTables::new();
    let mut dropped = Vec::new();
    let mut drawn = 0usize;
    for (i, f) in faults.iter().enumerate() {
        if empty.contains(&i) {
            dropped.push(f.name.clone());
            continue;
        }
        let table = match (written.get(i), sc.faults.get(i)) {
            // As written, nothing drawn: keep it verbatim.
            (Some(t), Some(orig)) if orig.drawn.is_none() => t.clone(),
            // Written with drawn parts: its other keys, and the values drawn.
            (Some(t), Some(orig)) => {
                drawn += 1;
                let mut t = t.clone();
                for k in DRAWN_KEYS {
                    t.remove(k);
                }
                let d = orig.drawn.as_deref();
                window(&mut t, f);
                if d.is_some_and(|d| d.factor.is_some()) {
                    if let FaultKind::HotTenant { factor, .. } = &f.kind {
                        t["factor"] = toml_edit::value(*factor);
                    }
                }
                targets(&mut t, &f.kind, &orig.kind);
                t
            }
            // The `[explore]` schedule and the copies: written in full.
            _ => {
                drawn += 1;
                full(f, sc)
            }
        };
        tables.push(table);
    }
    if tables.is_empty() {
        out.remove("faults");
    } else {
        out["faults"] = Item::ArrayOfTables(tables);
    }
    out.remove("explore");
    Ok(Literal {
        doc: out,
        dropped,
        drawn,
    })
}

/// `at` and `for` in whole nanoseconds (exact; `shrink` can halve them).
fn window(t: &mut Table, f: &Fault) {
    t["at"] = toml_edit::value(format!("{}ns", f.start.0));
    if !f.kind.is_instant() {
        t["for"] = toml_edit::value(format!("{}ns", f.end.0.saturating_sub(f.start.0)));
    }
}

/// A written fault's targets as resolved (keys `written` lacks after [`DRAWN_KEYS`] were
/// removed): its cells, its tenant.
fn targets(t: &mut Table, kind: &FaultKind, written: &FaultKind) {
    if let FaultKind::DependencyErrors { tenant: None, .. } = written {
        // No tenant written: none to add.
    } else if let Some(tenant) = kind.tenant() {
        t["tenant"] = toml_edit::value(tenant);
    }
    let targets = kind.targets();
    if !targets.cells.is_empty() && !matches!(kind, FaultKind::TenantMigration { .. }) {
        t["cells"] = Item::Value(int_array(&targets.cells));
    }
}

/// A fault written in full from what it is.
fn full(f: &Fault, sc: &Scenario) -> Table {
    let mut t = Table::new();
    t["name"] = toml_edit::value(f.name.as_str());
    t["kind"] = toml_edit::value(f.kind.name());
    window(&mut t, f);
    if let Some(w) = &f.when {
        // Started by its condition (a copy of a `when` fault): the condition is kept, and
        // `at` is its arming time, so the replay polls as the run did.
        t["when"] = toml_edit::value(w.text.as_str());
        t["poll"] = toml_edit::value(format!("{}ns", w.poll.as_nanos()));
    }
    crate::scenario::write_kind_keys(&mut t, &f.kind, sc);
    t
}
