//! `[[faults]]`: how a fault is written, checked into a [`Fault`] of the catalogue.
//!
//! Each kind takes the keys [`crate::fault::KINDS`] lists; a key it does not take, a missing
//! one, or a value out of range is a located error (file:line:column).

use super::draw_values::{CellOrSelector, CellsOrSelector, DurOrDrawn, NumOrDrawn};
use super::*;
use crate::fault::drawn::{parse_selector, Selector, SelectorSite, Start};

/// Whether a tenant id is declared (or a cohort member's).
type TenantKnown<'a> = dyn Fn(&str) -> bool + 'a;
/// Whether a group (`tier` or `cohort`) of that name is declared.
type GroupKnown<'a> = dyn Fn(&str, &str) -> bool + 'a;

/// A `mix` table as written: class name → share.
type MixConfig = Option<Spanned<BTreeMap<String, f64>>>;

/// Checks every `[[faults]]` entry; errors go to `c`, with their spans.
pub(super) fn check(
    c: &mut Checker,
    raw_faults: &[schema::FaultConfig],
    (end, duration): (SimTime, SimDuration),
    cells: u32,
    tenant_known: &dyn Fn(&str) -> bool,
    group_known: &dyn Fn(&str, &str) -> bool,
    check_mix: &dyn Fn(&mut Checker, &MixConfig) -> Option<Vec<f64>>,
) -> Vec<Fault> {
    let mut faults = Vec::new();
    let mut afters: Vec<(usize, Spanned<String>)> = Vec::new();
    for (i, f) in raw_faults.iter().enumerate() {
        let kind_name = f.kind.get_ref().as_str();
        let name = f
            .name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| format!("{kind_name}-{}", i + 1));
        let mut drawn = crate::fault::drawn::Drawn::default();
        let (start, stop) = timing(c, f, &name, &mut drawn, (end, duration));
        let tenant_target =
            tenant_target(c, f, &name, &mut drawn, cells, (tenant_known, group_known));
        let cell_sel = cell_selector(c, f, cells, group_known);
        check_keys(c, f, kind_name);
        let entry = Entry {
            f,
            name: &name,
            kind_name,
            cells,
            tenant_target,
        };
        let Some(mut kind) = kind_of(c, &entry, &mut drawn, check_mix) else {
            continue;
        };
        if kind.cells_mut().is_some() {
            if let Some(sel) = cell_sel {
                drawn.written.push(format!(
                    "cell{} = {}",
                    if f.cells.is_some() { "s" } else { "" },
                    sel.text
                ));
                drawn.cells = Some(sel);
            }
        }
        if let Some(a) = &f.after {
            afters.push((faults.len(), a.clone()));
            drawn.written.push(format!("after = {}", a.get_ref()));
        }
        let is_drawn = drawn != crate::fault::drawn::Drawn::default() || f.after.is_some();
        faults.push(Fault {
            name,
            kind,
            start,
            end: stop,
            drawn: is_drawn.then(|| Box::new(drawn)),
            resolved: None,
            when: None,
        });
    }
    check_afters(c, &mut faults, &afters);
    let mut fault_names = BTreeSet::new();
    for (f, raw_f) in faults.iter().zip(raw_faults) {
        if !fault_names.insert(f.name.clone()) {
            let span = raw_f
                .name
                .as_ref()
                .map(|n| n.span())
                .unwrap_or(raw_f.kind.span());
            c.err(
                span,
                format!("two faults are named `{}`; names must be unique", f.name),
            );
        }
    }

    faults
}

/// The lowest value a distribution can draw (`-inf` for a normal).
fn dist_low(d: &Dist) -> f64 {
    match d {
        Dist::Const(v) => *v,
        Dist::Uniform { lo, .. } => *lo,
        Dist::Exp { .. } | Dist::LogNormal { .. } => 0.0,
        Dist::Normal { .. } => f64::NEG_INFINITY,
        Dist::Pareto { scale, .. } => *scale,
        Dist::Empirical { values, .. } => values.iter().copied().fold(f64::INFINITY, f64::min),
    }
}

/// Whether a `tenant` value that names no declared tenant is meant as a selector.
fn looks_like_selector(t: &str) -> bool {
    t.contains('(') || ["random", "largest", "count", "percent", "holding"].contains(&t.trim())
}

/// Parses a selector written at `site` and checks its filters name a declared tier or cohort
/// and an existing cell; errors are located at the value.
fn selector(
    c: &mut Checker,
    text: &Spanned<String>,
    site: SelectorSite,
    cells: u32,
    group_known: &dyn Fn(&str, &str) -> bool,
) -> Option<Selector> {
    match parse_selector(text.get_ref(), site) {
        Ok(sel) => {
            let mut ok = true;
            if let Some(t) = &sel.filter.tier {
                if !group_known("tier", t) {
                    c.err(
                        text.span(),
                        format!("selector `{}`: no tier is named `{t}`", sel.text),
                    );
                    ok = false;
                }
            }
            if let Some(t) = &sel.filter.cohort {
                if !group_known("cohort", t) {
                    c.err(
                        text.span(),
                        format!("selector `{}`: no cohort is named `{t}`", sel.text),
                    );
                    ok = false;
                }
            }
            if let Some(x) = sel.filter.cell {
                if x >= cells {
                    c.err(
                        text.span(),
                        format!(
                            "selector `{}`: cell {x} does not exist; cells are 0..{}",
                            sel.text,
                            cells.saturating_sub(1)
                        ),
                    );
                    ok = false;
                }
            }
            ok.then_some(sel)
        }
        Err(e) => {
            c.err(text.span(), e);
            None
        }
    }
}

/// Resolves every `after = "NAME.end + 30s"` to the fault it names, refusing an unknown
/// name, a fault after itself and a cycle of `after`s (each a located error).
fn check_afters(c: &mut Checker, faults: &mut [Fault], afters: &[(usize, Spanned<String>)]) {
    let mut follows: Vec<Option<usize>> = vec![None; faults.len()];
    for (i, a) in afters {
        let text = a.get_ref().trim();
        let (target, offset) = match text.split_once('+') {
            Some((t, o)) => (t.trim(), Some(o.trim())),
            None => (text, None),
        };
        let (fname, from_end) = if let Some(n) = target.strip_suffix(".end") {
            (n, true)
        } else if let Some(n) = target.strip_suffix(".start") {
            (n, false)
        } else {
            (target, true)
        };
        let offset = match offset {
            None => Dist::Const(0.0),
            Some(o) => match Dist::parse(o, Quantity::Duration) {
                Ok(d) if dist_low(&d) >= 0.0 => d,
                Ok(_) => {
                    c.err(
                        a.span(),
                        format!(
                            "`after = \"{text}\"`: the offset can be negative; use a delay ≥ 0"
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    c.err(a.span(), format!("`after = \"{text}\"`: {e}"));
                    continue;
                }
            },
        };
        let Some(j) = faults.iter().position(|f| f.name == fname) else {
            let names: Vec<&str> = faults.iter().map(|f| f.name.as_str()).collect();
            c.err(
                a.span(),
                format!(
                    "`after = \"{text}\"` names no fault `{fname}`; faults: {} (write NAME.end + 30s or NAME.start)",
                    names.join(", ")
                ),
            );
            continue;
        };
        if j == *i {
            c.err(
                a.span(),
                format!("fault `{fname}` cannot start after itself"),
            );
            continue;
        }
        follows[*i] = Some(j);
        if let Some(d) = faults[*i].drawn.as_deref_mut() {
            d.start = Some(Start::After {
                fault: j,
                from_end,
                offset,
            });
        }
    }
    // A cycle: following `after` links from some fault comes back to it.
    for (i, a) in afters {
        let mut at = *i;
        for _ in 0..faults.len() {
            match follows[at] {
                Some(next) if next == *i => {
                    c.err(
                        a.span(),
                        format!(
                            "fault `{}` is part of a cycle of `after`s; one of them must start at a time (`at`)",
                            faults[*i].name
                        ),
                    );
                    break;
                }
                Some(next) => at = next,
                None => break,
            }
        }
    }
}

/// One `[[faults]]` entry while its kind is checked: what the kind arms share.
struct Entry<'a> {
    f: &'a schema::FaultConfig,
    name: &'a str,
    kind_name: &'a str,
    cells: u32,
    /// The tenant named by `tenant`/`tenants` (empty for a selector), if any.
    tenant_target: Option<String>,
}

impl Entry<'_> {
    /// The target tenant of a kind that needs one (an error when none is given).
    fn need_tenant(&self, c: &mut Checker) -> String {
        match &self.tenant_target {
            Some(t) => t.clone(),
            None => {
                c.err(
                    self.f.kind.span(),
                    format!(
                        "fault `{}` ({}) needs `tenant = \"ID\"`",
                        self.name, self.kind_name
                    ),
                );
                String::new()
            }
        }
    }

    /// The cells a kind acts on: `cell`, `cells`, or every cell.
    fn target_cells(&self, c: &mut Checker) -> Vec<u32> {
        match (&self.f.cell, &self.f.cells) {
            (Some(_), Some(cs)) => {
                c.err(cs.span(), "give `cell` or `cells`, not both");
                Vec::new()
            }
            (Some(one), None) => match one.get_ref() {
                CellOrSelector::Cell(x) => vec![c.count::<u32>(
                    &Spanned::new(one.span(), *x),
                    0,
                    self.cells as i64 - 1,
                    "fault cell",
                )],
                CellOrSelector::Selector(_) => Vec::new(),
            },
            (None, Some(cs)) => {
                let mut v = Vec::new();
                let list: &[i64] = match cs.get_ref() {
                    CellsOrSelector::List(l) => l,
                    CellsOrSelector::Selector(_) => &[],
                };
                for &x in list {
                    if x < 0 || x >= self.cells as i64 {
                        c.err(
                            cs.span(),
                            format!("cell {x} does not exist; cells are 0..{}", self.cells - 1),
                        );
                    } else {
                        v.push(x as u32);
                    }
                }
                v
            }
            (None, None) => (0..self.cells).collect(),
        }
    }
}

/// A fault's start and stop (`at`/`after`, `for`/`until`) and its recurrence (`every`);
/// drawn parts go to `drawn`.
fn timing(
    c: &mut Checker,
    f: &schema::FaultConfig,
    name: &str,
    drawn: &mut crate::fault::drawn::Drawn,
    run: (SimTime, SimDuration),
) -> (SimTime, SimTime) {
    let start = start_of(c, f, name, drawn, run);
    let stop = stop_of(c, f, name, drawn, start, run);
    if let Some(e) = &f.every {
        recurrence(c, e, name, drawn, (start, stop), run);
    }
    (start, stop)
}

/// A fault's start (`at`, fixed or drawn, or `after` another fault; a `when` fault is armed
/// from the run's start), checked to lie inside the run.
fn start_of(
    c: &mut Checker,
    f: &schema::FaultConfig,
    name: &str,
    drawn: &mut crate::fault::drawn::Drawn,
    (end, duration): (SimTime, SimDuration),
) -> SimTime {
    let at_span = f.at.as_ref().map(|a| a.span()).unwrap_or(f.kind.span());
    let start = match (&f.at, &f.after) {
        (Some(a), None) => match a.get_ref() {
            DurOrDrawn::Fixed(d) => SimTime(d.as_nanos()),
            DurOrDrawn::Drawn(dist) => {
                drawn.start = Some(Start::Drawn(dist.clone()));
                drawn
                    .written
                    .push(format!("at = {}", dist.to_text(Quantity::Duration)));
                SimTime(dist_low(dist) as u64)
            }
        },
        (None, Some(_)) => SimTime(0),
        (Some(_), Some(a)) => {
            c.err(
                a.span(),
                format!("fault `{name}` has both `at` and `after`; give one"),
            );
            SimTime(0)
        }
        // Started by a condition (`when`): armed from the run's start.
        (None, None) if f.when.is_some() => SimTime(0),
        (None, None) => {
            c.err(
                f.kind.span(),
                format!("fault `{name}` needs a start: add `at = \"5m\"` or `after = \"OTHER.end + 30s\"`"),
            );
            SimTime(0)
        }
    };
    if drawn.start.is_none() && f.after.is_none() && start >= end {
        c.err(
            at_span.clone(),
            format!(
                "fault `{name}` starts at {} but the run lasts {}; move it inside the run",
                start.as_duration(),
                duration
            ),
        );
    }
    if let Some(DurOrDrawn::Drawn(dist)) = f.at.as_ref().map(|a| a.get_ref()) {
        if dist_low(dist) >= end.0 as f64 {
            c.err(
                at_span.clone(),
                format!("fault `{name}` is drawn to start after the run ends ({duration}); draw it inside the run"),
            );
        }
    }
    start
}

/// A fault's stop (`for`, fixed or drawn, or `until`; a lifecycle operation lasts to the
/// end), checked to come after `start` and, for a fixed window, inside the run.
fn stop_of(
    c: &mut Checker,
    f: &schema::FaultConfig,
    name: &str,
    drawn: &mut crate::fault::drawn::Drawn,
    start: SimTime,
    (end, duration): (SimTime, SimDuration),
) -> SimTime {
    let variable_start = drawn.start.is_some() || f.after.is_some();
    let stop = match (&f.for_, &f.until) {
        (Some(d), None) => match d.get_ref() {
            DurOrDrawn::Fixed(x) => {
                if variable_start {
                    drawn.length = Some(Dist::Const(x.as_nanos() as f64));
                }
                start.after(*x)
            }
            DurOrDrawn::Drawn(dist) => {
                drawn.length = Some(dist.clone());
                drawn
                    .written
                    .push(format!("for = {}", dist.to_text(Quantity::Duration)));
                start.after(SimDuration(dist_low(dist) as u64))
            }
        },
        (None, Some(u)) => {
            if variable_start {
                c.err(
                    u.span(),
                    format!("fault `{name}` starts at a drawn or relative time; give its length with `for`, not `until`"),
                );
            }
            let u_t = SimTime(u.get_ref().0.as_nanos());
            if u_t <= start {
                c.err(
                    u.span(),
                    format!("fault `{name}` ends at {} before it starts", u.get_ref().0),
                );
            }
            u_t
        }
        (Some(d), Some(_)) => {
            c.err(
                d.span(),
                format!("fault `{name}` has both `for` and `until`; give one"),
            );
            start
        }
        // A lifecycle operation happens at an instant; its effect lasts (`lifecycle_ops`).
        (None, None) if crate::fault::LifecycleOp::from_name(f.kind.get_ref()).is_some() => end,
        (None, None) => {
            c.err(
                f.kind.span(),
                format!("fault `{name}` needs a length: add `for = \"30s\"` or `until = \"3m\"`"),
            );
            start
        }
    };
    if !variable_start && drawn.length.is_none() && stop > end {
        ends_after_the_run(c, f, name, stop, duration);
    }
    stop
}

/// A fixed fault window ends (`stop`) after the run: an error at its `for` or `until`.
fn ends_after_the_run(
    c: &mut Checker,
    f: &schema::FaultConfig,
    name: &str,
    stop: SimTime,
    duration: SimDuration,
) {
    let span = f
        .for_
        .as_ref()
        .map(|s| s.span())
        .or(f.until.as_ref().map(|s| s.span()))
        .unwrap_or(0..0);
    c.err(
        span,
        format!(
            "fault `{name}` ends at {} but the run lasts {}; the fault window must lie inside the run",
            stop.as_duration(),
            duration
        ),
    );
}

/// A fault's recurrence (`every`, fixed or drawn): a period above zero and shorter than the
/// run, recorded in `drawn` with the window's length when no `for` set one.
fn recurrence(
    c: &mut Checker,
    e: &Spanned<DurOrDrawn>,
    name: &str,
    drawn: &mut crate::fault::drawn::Drawn,
    (start, stop): (SimTime, SimTime),
    (end, duration): (SimTime, SimDuration),
) {
    let p = match e.get_ref() {
        DurOrDrawn::Fixed(p) => *p,
        DurOrDrawn::Drawn(dist) => {
            super::explore_every::check_drawn(c, e.span(), name, dist, duration);
            drawn.every_drawn = Some(dist.clone());
            super::explore_every::period_floor(dist)
        }
    };
    if p.as_nanos() == 0 {
        c.err(
            e.span(),
            format!("fault `{name}` recurs every 0s; give a period like \"10m\""),
        );
    } else if SimTime(0).after(p) >= end {
        c.err(
            e.span(),
            format!("fault `{name}` recurs every {p}, longer than the run ({duration})"),
        );
    } else {
        drawn.every = Some(p);
        match &drawn.every_drawn {
            Some(dist) => drawn
                .written
                .push(format!("every = {}", dist.to_text(Quantity::Duration))),
            None => drawn.written.push(format!("every = {p}")),
        }
        if drawn.length.is_none() {
            drawn.length = Some(Dist::Const(stop.0.saturating_sub(start.0) as f64));
        }
    }
}

/// The tenant a fault targets (`tenant` or `tenants`): a declared id, or a selector drawn
/// per run (then the id is empty and the selector goes to `drawn`).
fn tenant_target(
    c: &mut Checker,
    f: &schema::FaultConfig,
    name: &str,
    drawn: &mut crate::fault::drawn::Drawn,
    cells: u32,
    (tenant_known, group_known): (&TenantKnown<'_>, &GroupKnown<'_>),
) -> Option<String> {
    match (&f.tenant, &f.tenants) {
        (Some(_), Some(ts)) => {
            c.err(ts.span(), "give `tenant` or `tenants`, not both");
            None
        }
        (None, Some(ts)) => {
            if let Some(sel) = selector(c, ts, SelectorSite::Tenants, cells, group_known) {
                drawn.written.push(format!("tenants = {}", sel.text));
                drawn.tenants = Some(sel);
            }
            Some(String::new())
        }
        (Some(t), None) if tenant_known(t.get_ref()) => Some(t.get_ref().clone()),
        (Some(t), None) if looks_like_selector(t.get_ref()) => {
            if let Some(sel) = selector(c, t, SelectorSite::Tenant, cells, group_known) {
                drawn.written.push(format!("tenant = {}", sel.text));
                drawn.tenants = Some(sel);
            }
            Some(String::new())
        }
        (Some(t), None) => {
            c.err(
                t.span(),
                format!(
                    "fault `{name}` targets tenant `{}`, which is not declared",
                    t.get_ref()
                ),
            );
            Some(t.get_ref().clone())
        }
        (None, None) => None,
    }
}

/// A cell selector written as `cell` or `cells` (a list or a fixed cell is not one).
fn cell_selector(
    c: &mut Checker,
    f: &schema::FaultConfig,
    cells: u32,
    group_known: &dyn Fn(&str, &str) -> bool,
) -> Option<Selector> {
    match (&f.cell, &f.cells) {
        (Some(x), None) => match x.get_ref() {
            CellOrSelector::Selector(t) => selector(
                c,
                &Spanned::new(x.span(), t.clone()),
                SelectorSite::Cell,
                cells,
                group_known,
            ),
            CellOrSelector::Cell(_) => None,
        },
        (None, Some(x)) => match x.get_ref() {
            CellsOrSelector::Selector(t) => selector(
                c,
                &Spanned::new(x.span(), t.clone()),
                SelectorSite::Cells,
                cells,
                group_known,
            ),
            CellsOrSelector::List(_) => None,
        },
        _ => None,
    }
}

/// Refuses a key the kind does not take ([`crate::fault::KINDS`] lists the keys of each).
fn check_keys(c: &mut Checker, f: &schema::FaultConfig, kind_name: &str) {
    let used: &[&str] = crate::fault::keys_of(kind_name).unwrap_or(&[]);
    let present: [(&str, Option<Range<usize>>); 18] = [
        ("tenant", f.tenants.as_ref().map(|x| x.span())),
        ("to_cell", f.to_cell.as_ref().map(|x| x.span())),
        (
            "backfill_rate",
            f.backfill_rate.as_ref().map(|_| f.kind.span()),
        ),
        (
            "reject_misrouted",
            f.reject_misrouted.map(|_| f.kind.span()),
        ),
        ("between", f.between.as_ref().map(|x| x.span())),
        ("mode", f.mode.as_ref().map(|x| x.span())),
        ("rate_limit", f.rate_limit.map(|_| f.kind.span())),
        ("burst", f.burst.as_ref().map(|x| x.span())),
        ("urgent", f.urgent.map(|_| f.kind.span())),
        ("tenant", f.tenant.as_ref().map(|x| x.span())),
        ("factor", f.factor.as_ref().map(|x| x.span())),
        ("mix", f.mix.as_ref().map(|x| x.span())),
        ("cell", f.cell.as_ref().map(|x| x.span())),
        ("cells", f.cells.as_ref().map(|x| x.span())),
        ("count", f.count.as_ref().map(|x| x.span())),
        ("latency", f.latency.as_ref().map(|_| f.kind.span())),
        ("fraction", f.fraction.as_ref().map(|_| f.kind.span())),
        ("capacity", f.capacity.as_ref().map(|_| f.kind.span())),
    ];
    if !used.is_empty() {
        for (key, span) in present
            .iter()
            .filter_map(|(k, s)| s.clone().map(|s| (*k, s)))
        {
            if !used.contains(&key) {
                c.err(
                    span,
                    format!(
                        "`{key}` does not apply to a `{kind_name}` fault; it takes: {}",
                        used.join(", ")
                    ),
                );
            }
        }
    }
}

/// The kind and its settings; `None` when the entry cannot become a fault (its error is
/// reported).
fn kind_of(
    c: &mut Checker,
    e: &Entry,
    drawn: &mut crate::fault::drawn::Drawn,
    check_mix: &dyn Fn(&mut Checker, &MixConfig) -> Option<Vec<f64>>,
) -> Option<FaultKind> {
    let kind = match e.kind_name {
        "dependency_latency" => dependency_latency(c, e)?,
        "dependency_errors" => dependency_errors(c, e)?,
        "db_degraded" => db_degraded(c, e)?,
        "workers_lost" => workers_lost(c, e)?,
        "control_plane_outage" => FaultKind::ControlPlaneOutage,
        "kms_outage" => FaultKind::KmsOutage,
        "kms_key_disabled" => FaultKind::KmsKeyDisabled {
            tenant: e.need_tenant(c),
        },
        "suspend_tenant" => FaultKind::SuspendTenant {
            tenant: e.need_tenant(c),
        },
        "cell_outage" => FaultKind::CellOutage {
            cells: e.target_cells(c),
        },
        "poison_jobs" => FaultKind::PoisonJobs {
            tenant: e.need_tenant(c),
            fraction: e.f.fraction.map(|x| x.0).unwrap_or(1.0),
        },
        "partition" => partition(c, e)?,
        "tenant_migration" => tenant_migration(c, e),
        "config_push" => FaultKind::ConfigPush {
            tenant: e.need_tenant(c),
            rate_limit: e.f.rate_limit.map(|r| r.0),
            burst: e
                .f
                .burst
                .as_ref()
                .map(|b| c.count(b, 1, 1_000_000_000, "burst")),
            urgent: e.f.urgent.unwrap_or(false),
        },
        "hot_tenant" => hot_tenant(c, e, drawn, check_mix),
        op if crate::fault::LifecycleOp::from_name(op).is_some() => FaultKind::TenantOp {
            tenant: e.need_tenant(c),
            op: crate::fault::LifecycleOp::from_name(op)?,
        },
        other => {
            c.err(
                e.f.kind.span(),
                format!(
                    "unknown fault kind `{other}`{}; known kinds: {}",
                    super::suggest::hint(other, crate::fault::KINDS.iter().map(|(k, _)| *k)),
                    crate::fault::known_kinds()
                ),
            );
            return None;
        }
    };
    Some(kind)
}

/// `dependency_latency`: the cells and the added latency (`latency`, required).
fn dependency_latency(c: &mut Checker, e: &Entry) -> Option<FaultKind> {
    let name = e.name;
    match &e.f.latency {
        Some(l) => Some(FaultKind::DependencyLatency {
            cells: e.target_cells(c),
            latency: l.0.clone(),
        }),
        None => {
            c.err(
                e.f.kind.span(),
                format!("fault `{name}` (dependency_latency) needs `latency = \"exp(200ms)\"`"),
            );
            None
        }
    }
}

/// `dependency_errors`: the cells, the failing share (`fraction`, required) and optionally
/// one tenant.
fn dependency_errors(c: &mut Checker, e: &Entry) -> Option<FaultKind> {
    let name = e.name;
    match e.f.fraction {
        Some(x) => Some(FaultKind::DependencyErrors {
            cells: e.target_cells(c),
            fraction: x.0,
            tenant: e.tenant_target.clone(),
        }),
        None => {
            c.err(
                e.f.kind.span(),
                format!("fault `{name}` (dependency_errors) needs `fraction = \"50%\"`"),
            );
            None
        }
    }
}

/// `db_degraded`: the cells and the DB capacity left (`capacity`, required; 0% = stalled).
fn db_degraded(c: &mut Checker, e: &Entry) -> Option<FaultKind> {
    let name = e.name;
    match e.f.capacity {
        // 0% is a stall: see `component::db`.
        Some(x) if x.0 >= 0.0 => Some(FaultKind::DbDegraded {
            cells: e.target_cells(c),
            capacity: x.0,
        }),
        _ => {
            c.err(
                e.f.kind.span(),
                format!("fault `{name}` (db_degraded) needs `capacity = \"20%\"` (0% = stalled)"),
            );
            None
        }
    }
}

/// `workers_lost`: the cells and the workers lost (`count`, required).
fn workers_lost(c: &mut Checker, e: &Entry) -> Option<FaultKind> {
    let name = e.name;
    match &e.f.count {
        Some(n) => Some(FaultKind::WorkersLost {
            cells: e.target_cells(c),
            count: c.count(n, 0, 1_000_000, "count"),
        }),
        None => {
            c.err(
                e.f.kind.span(),
                format!("fault `{name}` (workers_lost) needs `count = 4`"),
            );
            None
        }
    }
}

/// `partition`: which link (`between`) and how it fails (`mode`).
fn partition(c: &mut Checker, e: &Entry) -> Option<FaultKind> {
    let name = e.name;
    let kind = match &e.f.between {
        None => {
            c.err(
                e.f.kind.span(),
                format!(
                    "fault `{name}` (partition) needs `between = [\"edge\", \"control_plane\"]`"
                ),
            );
            return None;
        }
        Some(b) => {
            let mut v: Vec<&str> = b.get_ref().iter().map(String::as_str).collect();
            v.sort_unstable();
            match v.as_slice() {
                ["control_plane", "edge"] => PartitionKind::EdgeControlPlane,
                ["cell", "db"] => PartitionKind::CellDb,
                ["cell", "kms"] => PartitionKind::CellKms,
                ["cell", "object_storage"] => PartitionKind::CellObjectStorage,
                ["cell", "edge"] => PartitionKind::EdgeCell,
                _ => {
                    c.err(
                        b.span(),
                        "a partition is between one of: [\"edge\", \"control_plane\"], [\"cell\", \"db\"], [\"cell\", \"kms\"], [\"cell\", \"object_storage\"], [\"edge\", \"cell\"]",
                    );
                    return None;
                }
            }
        }
    };
    let mode = match e.f.mode.as_ref() {
        None => crate::component::link::CutMode::Blackhole,
        Some(m) => crate::component::link::CutMode::parse(m.get_ref())
            .unwrap_or_else(|| {
                c.err(
                    m.span(),
                    format!(
                        "partition mode `{}`; use \"blackhole\" (alias \"timeout\", the default), \"drop\" (alias \"reject\") or \"delay\"",
                        m.get_ref()
                    ),
                );
                crate::component::link::CutMode::Blackhole
            }),
    };
    Some(FaultKind::Partition {
        kind,
        cells: e.target_cells(c),
        mode,
    })
}

/// `tenant_migration`: the tenant, its destination cell and the backfill.
fn tenant_migration(c: &mut Checker, e: &Entry) -> FaultKind {
    let (name, cells) = (e.name, e.cells);
    let tenant = e.need_tenant(c);
    let to_cell = match &e.f.to_cell {
        Some(t) => c.count::<u32>(t, 0, cells as i64 - 1, "to_cell"),
        None => {
            c.err(
                e.f.kind.span(),
                format!("fault `{name}` (tenant_migration) needs `to_cell = 3`"),
            );
            0
        }
    };
    FaultKind::TenantMigration {
        tenant,
        to_cell,
        backfill_rate: e
            .f
            .backfill_rate
            .as_ref()
            .and_then(|d| d.0.mean())
            .unwrap_or(50e6)
            .max(1.0),
        reject_misrouted: e.f.reject_misrouted.unwrap_or(true),
    }
}

/// `hot_tenant`: the tenant, its rate multiplier (fixed or drawn) and its class mix.
fn hot_tenant(
    c: &mut Checker,
    e: &Entry,
    drawn: &mut crate::fault::drawn::Drawn,
    check_mix: &dyn Fn(&mut Checker, &MixConfig) -> Option<Vec<f64>>,
) -> FaultKind {
    let name = e.name;
    let tenant = e.need_tenant(c);
    let factor = match e.f.factor.as_ref().map(|x| (x.span(), x.get_ref())) {
        Some((_, NumOrDrawn::Fixed(x))) if *x >= 0.0 && x.is_finite() => *x,
        Some((span, NumOrDrawn::Fixed(x))) => {
            c.err(span, format!("factor is {x}; it must be a number ≥ 0"));
            1.0
        }
        Some((span, NumOrDrawn::Drawn(dist))) => {
            if dist_low(dist) < 0.0 {
                c.err(
                    span,
                    format!(
                        "factor `{}` can draw a negative number; it must be ≥ 0 (use uniform, exp, lognormal or pareto)",
                        dist.to_text(Quantity::Count)
                    ),
                );
            }
            drawn.factor = Some(dist.clone());
            drawn
                .written
                .push(format!("factor = {}", dist.to_text(Quantity::Count)));
            dist.mean().unwrap_or(1.0)
        }
        None if e.f.mix.is_some() => 1.0,
        None => {
            c.err(
                e.f.kind.span(),
                format!(
                    "fault `{name}` (hot_tenant) needs `factor = 10` (rate multiplier) or a `mix`"
                ),
            );
            1.0
        }
    };
    let mix = check_mix(c, &e.f.mix).map(normalise);
    FaultKind::HotTenant {
        tenant,
        factor,
        mix,
    }
}

// ---------------------------------------------------------------------------------------
// Writing a fault back: the inverse of the parsing above, one arm per kind.

/// Writes a fault kind's keys into `t` as TOML, exactly: durations of distributions in whole
/// nanoseconds, numbers in their shortest round-tripping form, so that the written fault
/// parses back to the same kind. `harness::explore_literal` writes explored runs with it.
pub(crate) fn write_kind_keys(t: &mut toml_edit::Table, kind: &FaultKind, sc: &Scenario) {
    use toml_edit::{Array, Item, Table, Value};
    let cells = |t: &mut Table, c: &[u32]| t["cells"] = Item::Value(int_array(c));
    match kind {
        FaultKind::HotTenant {
            tenant,
            factor,
            mix,
        } => {
            t["tenant"] = toml_edit::value(tenant.as_str());
            t["factor"] = toml_edit::value(*factor);
            if let Some(mix) = mix {
                let mut m = toml_edit::InlineTable::new();
                for (c, share) in sc.classes.iter().zip(mix) {
                    m.insert(&c.name, Value::from(*share));
                }
                t["mix"] = Item::Value(Value::InlineTable(m));
            }
        }
        FaultKind::DependencyLatency { cells: c, latency } => {
            cells(t, c);
            t["latency"] = toml_edit::value(dist_ns(latency));
        }
        FaultKind::DependencyErrors {
            cells: c,
            fraction,
            tenant,
        } => {
            cells(t, c);
            t["fraction"] = toml_edit::value(*fraction);
            if let Some(x) = tenant {
                t["tenant"] = toml_edit::value(x.as_str());
            }
        }
        FaultKind::DbDegraded { cells: c, capacity } => {
            cells(t, c);
            t["capacity"] = toml_edit::value(*capacity);
        }
        FaultKind::WorkersLost { cells: c, count } => {
            cells(t, c);
            t["count"] = toml_edit::value(i64::from(*count));
        }
        FaultKind::ControlPlaneOutage | FaultKind::KmsOutage => {}
        FaultKind::KmsKeyDisabled { tenant }
        | FaultKind::SuspendTenant { tenant }
        | FaultKind::TenantOp { tenant, .. } => {
            t["tenant"] = toml_edit::value(tenant.as_str());
        }
        FaultKind::Partition {
            kind,
            cells: c,
            mode,
        } => {
            let mut between = Array::new();
            for side in kind.name().split('|') {
                between.push(side);
            }
            t["between"] = Item::Value(Value::Array(between));
            t["mode"] = toml_edit::value(mode.name());
            if !matches!(kind, crate::fault::PartitionKind::EdgeControlPlane) {
                cells(t, c);
            }
        }
        FaultKind::TenantMigration {
            tenant,
            to_cell,
            backfill_rate,
            reject_misrouted,
        } => {
            t["tenant"] = toml_edit::value(tenant.as_str());
            t["to_cell"] = toml_edit::value(i64::from(*to_cell));
            t["backfill_rate"] = toml_edit::value(format!("{backfill_rate}B"));
            t["reject_misrouted"] = toml_edit::value(*reject_misrouted);
        }
        FaultKind::ConfigPush {
            tenant,
            rate_limit,
            burst,
            urgent,
        } => {
            t["tenant"] = toml_edit::value(tenant.as_str());
            if let Some(r) = rate_limit {
                t["rate_limit"] = toml_edit::value(format!("{r}/s"));
            }
            if let Some(b) = burst {
                t["burst"] = toml_edit::value(i64::from(*b));
            }
            t["urgent"] = toml_edit::value(*urgent);
        }
        FaultKind::CellOutage { cells: c } => cells(t, c),
        FaultKind::PoisonJobs { tenant, fraction } => {
            t["tenant"] = toml_edit::value(tenant.as_str());
            t["fraction"] = toml_edit::value(*fraction);
        }
    }
}

/// A list of cell numbers as a TOML array.
pub(crate) fn int_array(v: &[u32]) -> toml_edit::Value {
    let mut a = toml_edit::Array::new();
    for &x in v {
        a.push(i64::from(x));
    }
    toml_edit::Value::Array(a)
}

/// A distribution written exactly, its values in nanoseconds (for durations whose means
/// are whole nanoseconds, as drawn schedules make them).
fn dist_ns(d: &Dist) -> String {
    let ns = |v: f64| format!("{}ns", v.max(0.0).round() as u64);
    match d {
        Dist::Const(v) => format!("const({})", ns(*v)),
        Dist::Uniform { lo, hi } => format!("uniform({}, {})", ns(*lo), ns(*hi)),
        Dist::Exp { mean } => format!("exp({})", ns(*mean)),
        Dist::Normal { mean, sd } => format!("normal({}, {})", ns(*mean), ns(*sd)),
        Dist::LogNormal { median, sigma } => format!("lognormal({}, {sigma})", ns(*median)),
        Dist::Pareto { alpha, scale } => format!("pareto({alpha}, {})", ns(*scale)),
        other => other.to_text(sim::Quantity::Duration),
    }
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    /// Goal: durations in a distribution are written in whole nanoseconds that parse back
    /// to the same distribution. Method: round-trip an exponential and a uniform.
    #[test]
    fn distributions_round_trip_in_nanoseconds() {
        for d in [
            Dist::Exp {
                mean: 123_456_789.0,
            },
            Dist::Uniform {
                lo: 1_000.0,
                hi: 2_000_000_001.0,
            },
        ] {
            let text = dist_ns(&d);
            let back = Dist::parse(&text, sim::Quantity::Duration).ok();
            assert_eq!(back.as_ref(), Some(&d), "{text}");
        }
    }
}
