//! `when = "CONDITION"` and `poll` on a `[[faults]]` entry: a fault started by the model's
//! state (see [`crate::fault_when`] for what the conditions mean and how they run).
//!
//! **Checked** (each a file:line:column error, exit 2): a condition that does not parse, names
//! an unknown state or metric, a cell that does not exist, or can never hold (`> 100%`);
//! `poll` without `when`, a `poll` of 0 or not shorter than the run; `when` with `every` (a
//! triggered fault fires once) or with `until` (its length is `for`); another fault's `after`
//! naming a `when` fault, and an SLO window `during:`/`after:` one (their times are not known
//! before the run).

use super::schema::FaultConfig;
use super::values::Dur;
use super::{Checker, SloWindow};
use crate::fault::drawn::Start;
use crate::fault::Fault;
use crate::fault_when::{When, DEFAULT_POLL};
use sim::{SimDuration, SimTime};
use toml::Spanned;

/// Checks the `when` and `poll` keys of `raw` and gives each fault of `faults` (the checked
/// faults, in the same order when the file had no other fault error) its trigger.
pub(in crate::scenario) fn check(
    c: &mut Checker,
    raw: &[FaultConfig],
    faults: &mut [Fault],
    (end, duration): (SimTime, SimDuration),
    cells: u32,
) {
    if raw.iter().all(|f| f.when.is_none() && f.poll.is_none()) {
        return;
    }
    let aligned = raw.len() == faults.len();
    for (i, f) in raw.iter().enumerate() {
        let Some(w) = &f.when else {
            if let Some(p) = &f.poll {
                c.err(
                    p.span(),
                    "`poll` applies to a fault started by a condition; add `when = \"...\"` or remove `poll`",
                );
            }
            continue;
        };
        let name = f
            .name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| format!("{}-{}", f.kind.get_ref(), i + 1));
        if let Some(e) = &f.every {
            c.err(
                e.span(),
                format!("fault `{name}` has `when`: it fires once, when its condition first holds; remove `every`"),
            );
        }
        if let Some(u) = &f.until {
            c.err(
                u.span(),
                format!("fault `{name}` starts when its condition holds; give its length with `for`, not `until`"),
            );
        }
        let poll = poll_of(c, &f.poll, &name, (end, duration));
        match crate::fault_when::parse(w.get_ref(), cells) {
            Ok(clauses) => {
                if aligned {
                    // As written: the literal schedule writes it back and it parses to the
                    // same thresholds, bit for bit.
                    let text = w.get_ref().trim().to_string();
                    faults[i].when = Some(Box::new(When {
                        clauses,
                        poll,
                        text,
                    }));
                }
            }
            Err(e) => c.err(w.span(), format!("fault `{name}`: {e}")),
        }
    }
    after_triggered(c, raw, faults);
}

/// A triggered fault's `poll`: how often its condition is looked at (default
/// [`DEFAULT_POLL`]); above zero and shorter than the run.
fn poll_of(
    c: &mut Checker,
    poll: &Option<Spanned<Dur>>,
    name: &str,
    (end, duration): (SimTime, SimDuration),
) -> SimDuration {
    match poll {
        None => DEFAULT_POLL,
        Some(p) => {
            let d = p.get_ref().0;
            if d.as_nanos() == 0 {
                c.err(
                    p.span(),
                    format!(
                        "fault `{name}` polls its condition every 0s; give a period like \"1s\""
                    ),
                );
            } else if SimTime(0).after(d) >= end {
                c.err(
                    p.span(),
                    format!("fault `{name}` polls every {d}, not shorter than the run ({duration}); its condition would be looked at once at most"),
                );
            }
            d
        }
    }
}

/// Refuses `after` a fault started by a condition: its end is not known before the run.
fn after_triggered(c: &mut Checker, raw: &[FaultConfig], faults: &[Fault]) {
    for (i, f) in raw.iter().enumerate() {
        let (Some(a), Some(fault)) = (&f.after, faults.get(i)) else {
            continue;
        };
        if let Some(Start::After { fault: j, .. }) =
            fault.drawn.as_deref().and_then(|d| d.start.as_ref())
        {
            if let Some(t) = faults.get(*j).filter(|t| t.when.is_some()) {
                c.err(
                    a.span(),
                    format!(
                        "`after = \"{}\"`: fault `{}` starts when its condition holds, so its times are known only during the run; give `{}` its own `when` or an `at`",
                        a.get_ref(),
                        t.name,
                        fault.name
                    ),
                );
            }
        }
    }
}

/// Refuses an SLO window `during:`/`after:` a fault started by a condition (`w` is the
/// window as written, `win` as parsed).
pub(in crate::scenario) fn slo_window(
    c: &mut Checker,
    w: &Spanned<String>,
    win: &SloWindow,
    faults: &[Fault],
) {
    let i = match win {
        SloWindow::During(i) | SloWindow::After(i) => *i,
        SloWindow::Run | SloWindow::Range(..) => return,
    };
    if let Some(f) = faults.get(i).filter(|f| f.when.is_some()) {
        c.err(
            w.span(),
            format!(
                "window `{}`: fault `{}` starts when its condition holds, so its window is known only during the run; judge a fixed window (`FROM..TO`) or the run",
                w.get_ref(),
                f.name
            ),
        );
    }
}
