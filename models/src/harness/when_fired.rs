//! A run's `when` faults as they happened: each moved to the moment its condition held
//! (or noted as never fired), so the summary, the SLO windows and the verdicts judge the
//! window the fault really had. The conditions themselves are [`crate::fault_when`].

use crate::fault_when::Fired;
use crate::scenario::Scenario;
use sim::{SimDuration, SimTime};
use std::borrow::Cow;

/// `sc` with each `when` fault's window moved to where it fired (`fired`), and a note on
/// whether it did; `Cow::Borrowed(sc)` when the scenario has none (nothing allocated). A
/// fault that never fired gets an empty window at the run's end.
pub fn fired<'a>(sc: &'a Scenario, fired: &Fired) -> Cow<'a, Scenario> {
    if fired.is_empty() {
        return Cow::Borrowed(sc);
    }
    let mut out = sc.clone();
    let end = SimTime(sc.duration.as_nanos());
    for &(i, at) in fired {
        let Some(f) = out.faults.get_mut(i) else {
            continue;
        };
        let cond = f.when.as_ref().map(|w| w.text.clone()).unwrap_or_default();
        let note = match at {
            Some(t) => {
                let len = f.end.0.saturating_sub(f.start.0);
                let armed = f.start;
                f.start = t;
                f.end = t.after(SimDuration(len)).min(end);
                format!(
                    "when `{cond}`: armed at {:.3}s, fired at {:.3}s",
                    armed.as_secs_f64(),
                    t.as_secs_f64()
                )
            }
            None => {
                let armed = f.start;
                f.start = end;
                f.end = end;
                format!(
                    "when `{cond}`: armed at {:.3}s, never held: did not fire",
                    armed.as_secs_f64()
                )
            }
        };
        f.resolved = Some(match f.resolved.take() {
            Some(r) => format!("{r}; {note}"),
            None => note,
        });
    }
    Cow::Owned(out)
}
