//! Derived verdicts per fault: affected tenants and time to recover.
//!
//! **Affected tenants** of a fault (not the run's blast radius, see
//! [`crate::harness::blast`]): the tenants other than its own target whose requests went
//! badly (failed other than by their own 429s, or slower than the heat threshold) for at
//! least [`AFFECTED_FRACTION`] of their requests — with at least [`AFFECTED_MIN_REQUESTS`]
//! — in the heat windows from the fault's start to its recovery (or the end of the run).
//!
//! **Time to recover**: from the fault's end to the start of the first run of
//! [`HEALTHY_WINDOWS`] consecutive recording windows in which every tier with traffic (for
//! a fault aimed at one tenant: all the other tenants together) is healthy again: error rate ≤ max(1%, 2 × its pre-fault error rate) and p99 ≤
//! max(1.5 × its pre-fault p99, pre-fault p99 + 50 ms). Pre-fault = every window before the
//! fault started (a fault at t = 0 is judged against the windows after the run's last
//! fault). A window in which requests were sent but none finished by the end of the run is
//! unhealthy (stalled); one with nothing to judge (nothing sent, or only the tenants' own
//! 429s) neither counts toward the run nor breaks it. `None` when no full run of
//! [`HEALTHY_WINDOWS`] healthy windows ended inside the run: a run that ends too soon after
//! the fault (or is stuck to its end) has no recovery time, whatever its last windows look
//! like, and a fault the metastability detector finds bad to the end of the run has none
//! either (see `harness::run`), so the two verdicts never disagree.
//!
//! **Metastability** ([`metastability`]): a fault whose trigger is gone but whose damage is
//! not. From the end of the fault, recording window by recording window, the platform (every
//! tier together; for a fault aimed at one tenant, everyone else) is judged on two numbers of
//! the requests *sent* in the window: goodput = ok / admitted, where admitted = finished −
//! the tenants' own 429s (requests still in flight at the end of the run are left out), and
//! amplification = attempts / requests. Goodput is measured against the load the platform
//! is meant to admit: a 429 is a tenant's own rate or concurrency limit doing its job (every
//! 429 the platform returns comes from a per-tenant limit at the edge), so a tenant whose
//! limit was lowered on purpose, or who sends above it, is not a platform that failed to
//! recover. Shed requests (503), errors and timeouts stay failures. A window whose finished
//! requests are all 429s is not judged (amplification still counts the attempts they cost). A window is *bad*
//! when goodput < `goodput_below` or amplification > `amplification_above`; it is not judged
//! when fewer than `min_requests` requests were sent in it (too little load to say anything)
//! or another fault was active during it (the damage may be that fault's). The fault is
//! flagged "did not recover (metastable)" when the first judged window after its end is bad
//! and the bad stretch lasts at least `for` — up to the first good window, or to the end of
//! the run.
//!
//! ```text
//!   fault ▇▇▇▇▇▇▇│ end
//!   windows       B B · B B B B B B B … B G      B bad, G good, · not judged
//!                 └─────── stuck_s ──────┘       flagged when stuck_s ≥ for
//! ```
//!
//! **Bounded.** The evidence kept per fault is at most [`EVIDENCE_POINTS`] points: the windows
//! after the fault's end, merged in equal runs when there are more.

use crate::record::{Recorder, Stats};
use crate::scenario::{Metastability, Scenario};

/// Bad fraction from which a tenant counts as affected.
pub const AFFECTED_FRACTION: f64 = 0.05;
/// Fewest requests for a tenant to be judged affected.
pub const AFFECTED_MIN_REQUESTS: u32 = 10;
/// Consecutive healthy windows that mark recovery.
pub const HEALTHY_WINDOWS: usize = 5;

/// The verdicts on one fault.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultVerdict {
    /// Tenants (other than the target) that were affected.
    pub affected_tenants: u64,
    /// Seconds from the fault's end to recovery; `None`: not recovered within the run.
    pub recovery_s: Option<f64>,
}

fn error_rate(s: &Stats) -> f64 {
    let answered = s.ok + s.shed + s.errors + s.timeouts;
    if answered == 0 {
        0.0
    } else {
        (answered - s.ok) as f64 / answered as f64
    }
}

/// How one recording window after a fault looks to the recovery test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Health {
    Healthy,
    Unhealthy,
    /// No traffic to judge (nothing sent, or only the tenants' own 429s came back).
    Unjudged,
}

/// The first window of the first run of [`HEALTHY_WINDOWS`] healthy windows in `windows`
/// (unjudged windows inside a run neither count nor break it), or `None` when no such run
/// is complete by the end: recovery is never granted on fewer windows because the run ended.
fn first_healthy_run(
    windows: std::ops::Range<usize>,
    health: impl Fn(usize) -> Health,
) -> Option<usize> {
    let mut start = None;
    let mut count = 0;
    for w in windows {
        match health(w) {
            Health::Unjudged => {}
            Health::Unhealthy => {
                start = None;
                count = 0;
            }
            Health::Healthy => {
                start.get_or_insert(w);
                count += 1;
                if count >= HEALTHY_WINDOWS {
                    return start;
                }
            }
        }
    }
    None
}

/// Verdicts for every fault of `sc`, from what `rec` recorded; `target` maps a fault to the
/// tenant index it targets (excluded from its affected tenants).
pub fn fault_verdicts(sc: &Scenario, rec: &Recorder, target: &[Option<u32>]) -> Vec<FaultVerdict> {
    let w_ns = rec.window.as_nanos();
    let n_tiers = rec.tier_run.len();
    let last_fault_end = sc
        .faults
        .iter()
        .map(|f| f.end.as_nanos())
        .max()
        .unwrap_or(0);
    sc.faults
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let start_w = (f.start.as_nanos() / w_ns) as usize;
            let end_w = (f.end.as_nanos().div_ceil(w_ns) as usize).min(rec.n_windows);
            // Baseline per tier.
            let base_range = if start_w > 0 {
                0..start_w
            } else {
                let b = (last_fault_end.div_ceil(w_ns) as usize).min(rec.n_windows);
                b..rec.n_windows
            };
            // A fault aimed at one tenant is judged on everyone else (its own backlog is not
            // the platform's); other faults on every tier.
            let judged: Vec<usize> = match (target.get(fi).copied().flatten(), rec.bystander_group)
            {
                (Some(_), Some(g)) => vec![g],
                _ => (0..n_tiers).collect(),
            };
            let baseline = baselines(rec, &judged, base_range);
            let health = |w: usize| window_health(rec, &judged, &baseline, w);
            let recovery_w = first_healthy_run(end_w..rec.n_windows, health);
            let recovery_s = recovery_w
                .map(|w| ((w as u64 * w_ns).saturating_sub(f.end.as_nanos())) as f64 / 1e9);
            // Blast radius over [start, recovery or end of run).
            let until_ns = recovery_w.map_or(sc.duration.as_nanos(), |w| w as u64 * w_ns);
            let hw_ns = rec.heat_window.as_nanos();
            let h0 = (f.start.as_nanos() / hw_ns) as usize;
            let h1 =
                (until_ns.max(f.end.as_nanos()).div_ceil(hw_ns) as usize).min(rec.heat_windows);
            let own = target.get(fi).copied().flatten();
            FaultVerdict {
                affected_tenants: affected_tenants(rec, own, h0..h1),
                recovery_s,
            }
        })
        .collect()
}

/// A window's p99 latency (ns; 0 when nothing finished with a latency).
fn p99_of(s: &Stats) -> f64 {
    if s.latency.count() > 0 {
        s.latency.quantile(0.99) as f64
    } else {
        0.0
    }
}

/// The pre-fault baseline of each judged group over `base_range`: (error rate, p99 in ns,
/// whether it had traffic).
fn baselines(
    rec: &Recorder,
    judged: &[usize],
    base_range: std::ops::Range<usize>,
) -> Vec<(f64, f64, bool)> {
    let mut baseline = Vec::with_capacity(judged.len());
    for g in judged.iter().map(|&g| &rec.groups[g]) {
        let mut s = Stats::default();
        for w in base_range.clone() {
            s.merge(&g.windows[w]);
        }
        let p99 = p99_of(&s);
        baseline.push((error_rate(&s), p99, s.offered > 0));
    }
    baseline
}

/// How recording window `w` looks to the recovery test: every judged group with traffic and
/// a baseline within its error and latency bounds (see the module docs).
fn window_health(
    rec: &Recorder,
    judged: &[usize],
    baseline: &[(f64, f64, bool)],
    w: usize,
) -> Health {
    let mut any = false;
    for (g, &(err0, p990, has_base)) in judged.iter().map(|&g| &rec.groups[g]).zip(baseline) {
        let s = &g.windows[w];
        if s.offered == 0 || !has_base {
            continue;
        }
        if s.finished() == 0 {
            // Sent, and nothing came back by the end of the run: stalled.
            return Health::Unhealthy;
        }
        if s.finished() == s.rejected {
            // Only the tenants' own 429s: nothing to judge the platform on.
            continue;
        }
        any = true;
        let err_ok = error_rate(s) <= (2.0 * err0).max(0.01);
        let p99 = p99_of(s);
        let lat_ok = p99 <= (1.5 * p990).max(p990 + 50e6);
        if !(err_ok && lat_ok) {
            return Health::Unhealthy;
        }
    }
    if any {
        Health::Healthy
    } else {
        Health::Unjudged
    }
}

/// Tenants other than `own` whose requests went badly for at least [`AFFECTED_FRACTION`] of
/// at least [`AFFECTED_MIN_REQUESTS`] requests in the heat windows `heat` (at least one).
fn affected_tenants(rec: &Recorder, own: Option<u32>, heat: std::ops::Range<usize>) -> u64 {
    let (h0, h1) = (heat.start, heat.end);
    let mut affected = 0;
    for t in 0..rec.tenants.len() {
        if Some(t as u32) == own {
            continue;
        }
        let (mut n, mut bad) = (0u64, 0u64);
        for h in h0..h1.max(h0 + 1).min(rec.heat_windows) {
            let (a, b) = rec.heat_at(t, h);
            n += a as u64;
            bad += b as u64;
        }
        if n >= AFFECTED_MIN_REQUESTS as u64 && bad as f64 >= AFFECTED_FRACTION * n as f64 {
            affected += 1;
        }
    }
    affected
}

/// Most evidence points kept per fault.
pub const EVIDENCE_POINTS: usize = 120;

/// The metastability verdict on one fault.
#[derive(Clone, Debug, PartialEq)]
pub struct MetastabilityVerdict {
    /// Bad for at least `for` after the fault's end: "did not recover (metastable)".
    pub flagged: bool,
    /// What was judged: `tiers` (every tier together) or `bystanders` (all but the fault's
    /// target tenant).
    pub judged: &'static str,
    /// Seconds from the fault's end to the first good window (or to the end of the run); 0
    /// when the first judged window after the end was good, or no window could be judged.
    pub stuck_s: f64,
    /// The bad stretch lasted to the end of the run.
    pub until_end: bool,
    /// Goodput over the bad windows of the stretch, if any finished.
    pub goodput: Option<f64>,
    /// Amplification over the bad windows of the stretch, if any.
    pub amplification: Option<f64>,
    /// Length of one evidence point (s): a multiple of the recording window.
    pub evidence_step_s: f64,
    /// The windows from the fault's end to the end of the run, at most [`EVIDENCE_POINTS`].
    pub evidence: Vec<reports::summary::EvidencePoint>,
}

/// Counts of the requests sent in some window(s) that the detector looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Load {
    offered: u64,
    finished: u64,
    /// Of `finished`: refused by the tenant's own limits (429: its rate or concurrency
    /// limit at the edge), left out of goodput.
    rejected: u64,
    ok: u64,
    attempts: u64,
}

impl Load {
    fn of(s: &Stats) -> Load {
        Load {
            offered: s.offered,
            finished: s.finished(),
            rejected: s.rejected,
            ok: s.ok,
            attempts: s.attempts,
        }
    }
    fn add(&mut self, o: Load) {
        self.offered += o.offered;
        self.finished += o.finished;
        self.rejected += o.rejected;
        self.ok += o.ok;
        self.attempts += o.attempts;
    }
    /// Finished requests the platform was meant to serve: all but the tenants' own 429s.
    fn admitted(self) -> u64 {
        self.finished - self.rejected
    }
    fn goodput(self) -> Option<f64> {
        (self.admitted() > 0).then(|| self.ok as f64 / self.admitted() as f64)
    }
    fn amplification(self) -> Option<f64> {
        (self.offered > 0).then(|| self.attempts as f64 / self.offered as f64)
    }
}

/// How one window after a fault is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Good,
    Bad,
    Skipped,
}

fn judge(l: Load, m: &Metastability, other_fault_active: bool) -> Verdict {
    if other_fault_active || l.offered < m.min_requests || l.admitted() == 0 {
        return Verdict::Skipped;
    }
    let low_goodput = l.goodput().is_some_and(|g| g < m.goodput_below);
    let amplified = l.amplification().is_some_and(|a| a > m.amplification_above);
    if low_goodput || amplified {
        Verdict::Bad
    } else {
        Verdict::Good
    }
}

/// The bad stretch that starts at the first judged window of `windows` (window `i` starts
/// `i × window_s` after the fault's end, cut to `first_window_s` for `i = 0`): (seconds until
/// the first good window or `total_s`, reached the end, load over the bad windows).
fn stuck_stretch(
    windows: &[(Load, bool)],
    m: &Metastability,
    first_start_s: f64,
    window_s: f64,
    total_s: f64,
) -> (f64, bool, Load) {
    let mut bad = Load::default();
    let mut started = false;
    for (i, &(l, other)) in windows.iter().enumerate() {
        match judge(l, m, other) {
            Verdict::Skipped => {}
            Verdict::Good => {
                if !started {
                    return (0.0, false, bad);
                }
                return (first_start_s + i as f64 * window_s, false, bad);
            }
            Verdict::Bad => {
                started = true;
                bad.add(l);
            }
        }
    }
    if started {
        (total_s, true, bad)
    } else {
        (0.0, false, bad)
    }
}

/// The metastability verdict on every fault of `sc`, from what `rec` recorded, with the
/// thresholds `sc.metastability`; `target` as for [`fault_verdicts`].
pub fn metastability(
    sc: &Scenario,
    rec: &Recorder,
    target: &[Option<u32>],
) -> Vec<MetastabilityVerdict> {
    let m = &sc.metastability;
    let w_ns = rec.window.as_nanos();
    let run_ns = sc.duration.as_nanos();
    let n_tiers = rec.tier_run.len();
    sc.faults
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let (judged, groups): (&'static str, Vec<usize>) =
                match (target.get(fi).copied().flatten(), rec.bystander_group) {
                    (Some(_), Some(g)) => ("bystanders", vec![g]),
                    _ => ("tiers", (0..n_tiers).collect()),
                };
            let end_ns = f.end.as_nanos();
            // The first window that starts at or after the fault's end.
            let w0 = (end_ns.div_ceil(w_ns) as usize).min(rec.n_windows);
            let windows: Vec<(Load, bool)> = (w0..rec.n_windows)
                .map(|w| {
                    let mut l = Load::default();
                    for &g in &groups {
                        l.add(Load::of(&rec.groups[g].windows[w]));
                    }
                    let (a, b) = (w as u64 * w_ns, ((w as u64 + 1) * w_ns).min(run_ns));
                    let other =
                        sc.faults.iter().enumerate().any(|(gi, g)| {
                            gi != fi && g.start.as_nanos() < b && g.end.as_nanos() > a
                        });
                    (l, other)
                })
                .collect();
            let window_s = w_ns as f64 / 1e9;
            let first_start_s = (w0 as u64 * w_ns).saturating_sub(end_ns) as f64 / 1e9;
            let total_s = run_ns.saturating_sub(end_ns) as f64 / 1e9;
            let (stuck_s, until_end, bad) =
                stuck_stretch(&windows, m, first_start_s, window_s, total_s);
            let per_point = windows.len().div_ceil(EVIDENCE_POINTS).max(1);
            let evidence = windows
                .chunks(per_point)
                .enumerate()
                .map(|(i, chunk)| {
                    let mut l = Load::default();
                    for &(x, _) in chunk {
                        l.add(x);
                    }
                    reports::summary::EvidencePoint {
                        t_s: ((w0 + i * per_point) as u64 * w_ns) as f64 / 1e9,
                        offered: l.offered,
                        goodput: l.goodput(),
                        amplification: l.amplification(),
                    }
                })
                .collect();
            MetastabilityVerdict {
                flagged: stuck_s > 0.0 && stuck_s >= m.for_duration.as_secs_f64(),
                judged,
                stuck_s,
                until_end,
                goodput: bad.goodput(),
                amplification: bad.amplification(),
                evidence_step_s: per_point as f64 * window_s,
                evidence,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(offered: u64, ok: u64, attempts: u64) -> (Load, bool) {
        (
            Load {
                offered,
                finished: offered,
                rejected: 0,
                ok,
                attempts,
            },
            false,
        )
    }

    fn m() -> Metastability {
        Metastability {
            goodput_below: 0.9,
            amplification_above: 1.5,
            for_duration: sim::SimDuration::from_secs(3),
            min_requests: 20,
        }
    }

    /// Goal: the stretch is measured from the fault's end to the first good window; windows
    /// with little load or another fault are skipped, not counted as good.
    #[test]
    fn stretch_ends_at_the_first_good_window() {
        let bad = load(100, 50, 100);
        let good = load(100, 99, 101);
        let quiet = load(5, 0, 5);
        let mut other = good;
        other.1 = true;
        let w = [bad, quiet, bad, other, bad, good, bad];
        let (s, end, l) = stuck_stretch(&w, &m(), 0.0, 1.0, 7.0);
        assert_eq!((s, end), (5.0, false));
        assert_eq!(l.offered, 300);
        assert_eq!(l.goodput(), Some(0.5));
        // Good at once: not stuck, whatever follows.
        let (s, _, _) = stuck_stretch(&[quiet, good, bad, bad, bad, bad], &m(), 0.0, 1.0, 6.0);
        assert_eq!(s, 0.0);
        // Bad to the end.
        let (s, end, _) = stuck_stretch(&[bad, bad], &m(), 0.5, 1.0, 9.0);
        assert_eq!((s, end), (9.0, true));
        // Nothing judged.
        let (s, end, _) = stuck_stretch(&[quiet, quiet], &m(), 0.0, 1.0, 2.0);
        assert_eq!((s, end), (0.0, false));
    }

    /// Goal: either test makes a window bad; amplification alone is enough (a retry storm
    /// that still serves); goodput 0 turns the goodput test off.
    #[test]
    fn either_threshold_makes_a_window_bad() {
        let (amplified, _) = load(100, 100, 200);
        assert_eq!(judge(amplified, &m(), false), Verdict::Bad);
        let (slow, _) = load(100, 80, 100);
        assert_eq!(judge(slow, &m(), false), Verdict::Bad);
        let off = Metastability {
            goodput_below: 0.0,
            ..m()
        };
        assert_eq!(judge(slow, &off, false), Verdict::Good);
        // In-flight requests at the end of the run are not failures.
        let pending = Load {
            offered: 100,
            finished: 10,
            rejected: 0,
            ok: 10,
            attempts: 100,
        };
        assert_eq!(judge(pending, &m(), false), Verdict::Good);
    }

    /// Goal: a tenant's own 429s are not lost goodput (a deliberate limit change after an
    /// outage is not "did not recover"); 503s, errors and timeouts still are. Method: a
    /// window where half the requests were 429s and the rest succeeded is good; the same
    /// with 503s in place of 429s is bad; a window of only 429s is not judged.
    #[test]
    fn own_rate_limit_rejections_are_not_lost_goodput() {
        let limited = Load {
            offered: 100,
            finished: 100,
            rejected: 50,
            ok: 50,
            attempts: 100,
        };
        assert_eq!(limited.goodput(), Some(1.0));
        assert_eq!(judge(limited, &m(), false), Verdict::Good);
        let shed = Load {
            rejected: 0,
            ..limited
        };
        assert_eq!(judge(shed, &m(), false), Verdict::Bad);
        let all_limited = Load {
            rejected: 100,
            ok: 0,
            ..limited
        };
        assert_eq!(judge(all_limited, &m(), false), Verdict::Skipped);
    }

    /// Goal: recovery needs a full run of healthy windows; the end of the run never shortens
    /// it, and windows with nothing to judge do not count. Method: feed window healths to
    /// `first_healthy_run`; a run stuck until 2 windows before the end (then healthy) has no
    /// recovery, where the old `min(5, windows left)` rule reported one.
    #[test]
    fn recovery_needs_a_full_run_of_healthy_windows() {
        use Health::{Healthy as H, Unhealthy as U, Unjudged as N};
        let at = |v: &[Health]| first_healthy_run(0..v.len(), |w| v[w]);
        assert_eq!(at(&[U, U, U, U, U, U, U, U, H, H]), None);
        assert_eq!(at(&[U, U, U, U, U, U, U, U, U, N]), None);
        assert_eq!(at(&[N, N, N, N, N, N]), None);
        assert_eq!(at(&[U, H, H, H, H, H, U]), Some(1));
        assert_eq!(at(&[U, H, N, H, N, H, H, U, H]), None);
        assert_eq!(at(&[U, H, N, H, N, H, H, H]), Some(1));
        assert_eq!(at(&[H, H, U, H, H, H, H, H]), Some(3));
    }
}
