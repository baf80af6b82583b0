//! # Faults drawn from the seed: selectors, drawn times and intensities, sequencing
//!
//! A `[[faults]]` entry may leave parts of itself to the seed: its target (a *selector* such
//! as `cell = "random"`, `tenants = "percent(5, tier=gold)"`), its start and length
//! (`at = "uniform(5m, 20m)"`, `for = "exp(2m)"`), its intensity (`factor = "uniform(5,
//! 50)"`), its place after another fault (`after = "cp-down.end + 30s"`) and its recurrence
//! (`every = "10m"`). The scenario checker keeps these as a [`Drawn`] beside the fault;
//! [`resolve`] turns them into concrete faults once, before the run is built, so the
//! platform's hot path only ever sees ordinary faults.
//!
//! **Guarantees.**
//! - Every draw of fault `NAME` comes from its own stream `("fault/NAME", 0)`, in a fixed
//!   order (start, length, intensity, cells, tenants, then each recurrence's start offset-free
//!   copy's length). The draw depends on the seed and the fault's name only: every variant
//!   of a scenario sees the same targets and times, whatever else it changes (a variant that
//!   changes the tenants may of course select different ones).
//! - A scenario without drawn parts is untouched: [`resolve`] returns `None` without building
//!   anything or drawing anything, so its digest is what it always was.
//! - A selection that turns out empty at run time (no tenant of that tier on that cell) is
//!   an outcome, not an error: the fault is disabled for the run and reported as such.
//! - Faults added by a selection of several tenants or by `every` are appended after the
//!   scenario's faults (`NAME#2`, `NAME#3`, …), so the indices SLO windows refer to keep
//!   pointing at the faults they were written against.

use crate::fault::{Fault, FaultKind};
use crate::population::Population;
use crate::scenario::Scenario;
use sim::{RngStream, SimDuration, SimTime};

pub use crate::fault::drawn::{parse_selector, Drawn, Filter, Pick, Selector, SelectorSite, Start};

/// A scenario with its drawn parts resolved for one seed.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The scenario with concrete faults (and any copies appended).
    pub scenario: Scenario,
    /// Faults (indices in [`Resolved::scenario`]) whose selection came out empty: the run
    /// disables them.
    pub empty: Vec<usize>,
}

/// Resolves the drawn parts of `sc`'s faults for `seed`; `None` when nothing is drawn (the
/// scenario runs as written).
pub fn resolve(sc: &Scenario, seed: u64) -> Option<Resolved> {
    if sc.faults.iter().all(|f| f.drawn.is_none()) {
        return None;
    }
    let needs_pop = sc.faults.iter().any(|f| {
        f.drawn.as_ref().is_some_and(|d| {
            d.tenants.is_some() || d.cells.as_ref().is_some_and(|s| s.pick == Pick::Holding)
        })
    });
    let pop = needs_pop.then(|| Population::build(sc, seed));
    let end = SimTime(sc.duration.as_nanos());
    let n = sc.faults.len();
    // Resolve in an order where a fault comes after the one it follows (the checker refused
    // cycles; a leftover would be resolved at its written time).
    let mut done = vec![false; n];
    let mut faults: Vec<Fault> = sc.faults.clone();
    let mut extra: Vec<Vec<Fault>> = vec![Vec::new(); n];
    let mut empty_names: Vec<String> = Vec::new();
    for _ in 0..=n {
        let mut progressed = false;
        for i in 0..n {
            if done[i] {
                continue;
            }
            let Some(d) = sc.faults[i].drawn.as_deref() else {
                done[i] = true;
                continue;
            };
            if let Some(Start::After { fault, .. }) = &d.start {
                if !done[*fault] {
                    continue;
                }
            }
            let (f, copies, empty) = resolve_one(sc, &faults, i, d, seed, pop.as_ref(), end);
            if empty {
                empty_names.push(f.name.clone());
            }
            faults[i] = f;
            extra[i] = copies;
            done[i] = true;
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    for copies in extra {
        faults.extend(copies);
    }
    let empty = faults
        .iter()
        .enumerate()
        .filter(|(_, f)| empty_names.contains(&f.name))
        .map(|(i, _)| i)
        .collect();
    let mut scenario = sc.clone();
    scenario.faults = faults;
    Some(Resolved { scenario, empty })
}

/// Resolves fault `i`: the fault itself, the copies it adds, and whether its selection is
/// empty.
fn resolve_one(
    sc: &Scenario,
    faults: &[Fault],
    i: usize,
    d: &Drawn,
    seed: u64,
    pop: Option<&Population>,
    end: SimTime,
) -> (Fault, Vec<Fault>, bool) {
    let base = &sc.faults[i];
    let mut rng = RngStream::new(seed, &format!("fault/{}", base.name), 0);
    let ns = |v: f64| SimDuration(v.max(0.0).round() as u64);
    let start = match &d.start {
        None => base.start,
        Some(Start::Drawn(dist)) => SimTime(0).after(ns(dist.sample(&mut rng))),
        Some(Start::After {
            fault,
            from_end,
            offset,
        }) => {
            let f = &faults[*fault];
            let at = if *from_end { f.end } else { f.start };
            at.after(ns(offset.sample(&mut rng)))
        }
    };
    let length = match &d.length {
        Some(dist) => ns(dist.sample(&mut rng)).max(SimDuration(1)),
        None => SimDuration(base.end.0.saturating_sub(base.start.0)),
    };
    let clamp = |t: SimTime| t.min(end);
    let mut kind = base.kind.clone();
    let mut notes: Vec<String> = Vec::new();
    if let Some(dist) = &d.factor {
        let v = dist.sample(&mut rng).max(0.0);
        kind.set_factor(v);
        notes.push(format!("factor {v:.3}"));
    }
    let mut empty = false;
    if let Some(sel) = &d.cells {
        let cells = select_cells(sel, sc.platform.cells, pop, sc, &mut rng);
        empty |= cells.is_empty();
        let text: Vec<String> = cells.iter().map(u32::to_string).collect();
        notes.push(format!("cells {} ({})", text.join(","), sel.text));
        if let Some(c) = kind.cells_mut() {
            *c = cells;
        }
    }
    let mut tenants: Vec<String> = Vec::new();
    if let Some(sel) = &d.tenants {
        tenants = pop
            .map(|p| select_tenants(sel, p, sc, &mut rng))
            .unwrap_or_default();
        empty |= tenants.is_empty();
        notes.push(format!(
            "tenants {} ({})",
            if tenants.is_empty() {
                "none".to_string()
            } else {
                tenants.join(",")
            },
            sel.text
        ));
        if let (Some(t), Some(first)) = (kind.tenant_mut(), tenants.first()) {
            first.clone_into(t);
        }
    }
    if empty {
        notes.push("empty selection: disabled".to_string());
    }
    let (s0, e0) = (clamp(start), clamp(start.after(length)));
    notes.insert(
        0,
        format!("{:.3}s..{:.3}s", s0.0 as f64 / 1e9, e0.0 as f64 / 1e9),
    );
    let mk = |name: String, kind: FaultKind, s: SimTime, e: SimTime, note: String| Fault {
        name,
        kind,
        start: s,
        end: e,
        drawn: None,
        resolved: Some(note),
        // A trigger stays with the fault and its copies (`when` with `every` is refused).
        when: base.when.clone(),
    };
    let note = notes.join("; ");
    let me = mk(base.name.clone(), kind.clone(), s0, e0, note.clone());
    let mut copies = Vec::new();
    let mut k = 2;
    for t in tenants.iter().skip(1) {
        let mut kk = kind.clone();
        if let Some(x) = kk.tenant_mut() {
            t.clone_into(x);
        }
        copies.push(mk(
            format!("{}#{k}", base.name),
            kk,
            s0,
            e0,
            format!("copy of {}: tenant {t}", base.name),
        ));
        k += 1;
    }
    // A fixed period draws nothing; a drawn one draws each gap after the lengths before it.
    let period_of = |rng: &mut RngStream| -> Option<SimDuration> {
        match (&d.every_drawn, d.every) {
            (Some(dist), _) => {
                Some(ns(dist.sample(rng)).max(crate::scenario::explore_every::MIN_DRAWN_PERIOD))
            }
            (None, Some(p)) if p.0 > 0 => Some(p),
            _ => None,
        }
    };
    let label = match (&d.every_drawn, d.every) {
        (Some(dist), _) => dist.to_text(sim::Quantity::Duration),
        (None, Some(p)) => p.to_string(),
        (None, None) => String::new(),
    };
    if let Some(first) = period_of(&mut rng) {
        let period = label;
        let mut s = start.after(first);
        let mut copies_left = if d.every_drawn.is_some() {
            crate::scenario::explore_every::MAX_RECURRENCES
        } else {
            usize::MAX
        };
        while s < end && copies_left > 0 {
            copies_left -= 1;
            let len = match &d.length {
                Some(dist) => ns(dist.sample(&mut rng)).max(SimDuration(1)),
                None => length,
            };
            let e = clamp(s.after(len));
            copies.push(mk(
                format!("{}#{k}", base.name),
                kind.clone(),
                s,
                e,
                format!("recurrence of {} (every {period})", base.name),
            ));
            k += 1;
            match period_of(&mut rng) {
                Some(p) => s = s.after(p),
                None => break,
            }
        }
    }
    (me, copies, empty)
}

/// Draws `k` distinct items of `items` (partial Fisher–Yates on our own index draws), in
/// their original order.
fn draw_k<T: Clone + Ord>(items: &[T], k: usize, rng: &mut RngStream) -> Vec<T> {
    let mut v: Vec<T> = items.to_vec();
    let k = k.min(v.len());
    for i in 0..k {
        let j = i + rng.below((v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(k);
    v.sort();
    v
}

fn share(p: f64, n: usize) -> usize {
    libm::ceil(p / 100.0 * n as f64) as usize
}

/// Indices of the tenants a filter admits, in declaration order.
fn candidates(filter: &Filter, pop: &Population, sc: &Scenario) -> Vec<usize> {
    pop.tenants
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            filter
                .tier
                .as_ref()
                .is_none_or(|n| sc.tiers.get(t.tier).is_some_and(|x| &x.name == n))
                && filter.cohort.as_ref().is_none_or(|n| {
                    t.cohort
                        .and_then(|c| sc.cohorts.get(c))
                        .is_some_and(|x| &x.name == n)
                })
                && filter.cell.is_none_or(|c| t.cell == c)
        })
        .map(|(i, _)| i)
        .collect()
}

fn select_cells(
    sel: &Selector,
    cells: u32,
    pop: Option<&Population>,
    sc: &Scenario,
    rng: &mut RngStream,
) -> Vec<u32> {
    let all: Vec<u32> = (0..cells).collect();
    match sel.pick {
        Pick::Random => draw_k(&all, 1, rng),
        Pick::Count(n) => draw_k(&all, n as usize, rng),
        Pick::Percent(p) => draw_k(&all, share(p, all.len()), rng),
        Pick::Largest(_) => Vec::new(),
        Pick::Holding => {
            let Some(pop) = pop else { return Vec::new() };
            let c = candidates(&sel.filter, pop, sc);
            draw_k(&c, 1, rng)
                .first()
                .map(|&t| vec![pop.tenants[t].cell])
                .unwrap_or_default()
        }
    }
}

fn select_tenants(
    sel: &Selector,
    pop: &Population,
    sc: &Scenario,
    rng: &mut RngStream,
) -> Vec<String> {
    let c = candidates(&sel.filter, pop, sc);
    let picked = match sel.pick {
        Pick::Random => draw_k(&c, 1, rng),
        Pick::Count(n) => draw_k(&c, n as usize, rng),
        Pick::Percent(p) => draw_k(&c, share(p, c.len()), rng),
        Pick::Largest(k) => {
            let mut by_size = c.clone();
            by_size.sort_by(|&a, &b| {
                pop.tenants[b]
                    .rate
                    .total_cmp(&pop.tenants[a].rate)
                    .then(a.cmp(&b))
            });
            by_size.truncate(k as usize);
            by_size.sort();
            by_size
        }
        Pick::Holding => Vec::new(),
    };
    picked.iter().map(|&t| pop.tenants[t].id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the selector syntax accepts what the docs show and refuses statically
    /// impossible selections with a reason. Method: parse each documented form and each class
    /// of mistake.
    #[test]
    fn selector_syntax() {
        use SelectorSite::*;
        assert_eq!(
            parse_selector("random", Cell).map(|s| s.pick),
            Ok(Pick::Random)
        );
        assert_eq!(
            parse_selector("count(2)", Cells).map(|s| s.pick),
            Ok(Pick::Count(2))
        );
        let s = parse_selector("percent(5, tier=gold)", Tenants).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.pick, Pick::Percent(5.0));
        assert_eq!(s.filter.tier.as_deref(), Some("gold"));
        assert_eq!(
            parse_selector("largest(3)", Tenants).map(|s| s.pick),
            Ok(Pick::Largest(3))
        );
        let s = parse_selector("random(cell=2)", Tenant).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.filter.cell, Some(2));
        assert!(parse_selector("holding(tier=gold)", Cell).is_ok());
        for (bad, site) in [
            ("count(0)", Cells),
            ("percent(150)", Tenants),
            ("percent(0)", Tenants),
            ("count(2)", Cell),
            ("largest(2)", Tenant),
            ("largest(2)", Cells),
            ("holding(tier=gold)", Tenants),
            ("random(tier=gold)", Cell),
            ("nearest(2)", Cells),
            ("count(2", Cells),
            ("random(colour=red)", Tenant),
        ] {
            assert!(parse_selector(bad, site).is_err(), "{bad} accepted");
        }
    }

    /// Goal: partial Fisher–Yates draws distinct items, all of them when asked for more.
    /// Method: draw from a small set at several seeds.
    #[test]
    fn draws_are_distinct() {
        let items: Vec<u32> = (0..10).collect();
        for seed in 0..20 {
            let mut rng = RngStream::new(seed, "t", 0);
            let v = draw_k(&items, 4, &mut rng);
            assert_eq!(v.len(), 4);
            assert!(v.windows(2).all(|w| w[0] < w[1]), "{v:?}");
            assert_eq!(draw_k(&items, 20, &mut rng).len(), 10);
        }
        assert_eq!(share(5.0, 10), 1);
        assert_eq!(share(50.0, 4), 2);
        assert_eq!(share(5.0, 0), 0);
    }
}
