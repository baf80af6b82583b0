//! `[explore]`: the bounds within which `tenantsim explore` draws a fault schedule per seed.
//!
//! Every key is optional; the defaults come from the fault catalogue ([`EXPLORABLE`]) and the
//! run's length. A value outside its range, an unknown kind, or a window that leaves no room
//! for a fault is a located error (file:line:column).

use super::*;

/// The fault kinds exploration draws by default: the failures of parts of the platform.
/// The operator actions of the catalogue (`tenant_migration`, `config_push`,
/// `suspend_tenant`, `kms_key_disabled`, `poison_jobs`) are scripted in game days, not drawn.
pub const EXPLORABLE: [&str; 9] = [
    "db_degraded",
    "dependency_latency",
    "dependency_errors",
    "workers_lost",
    "hot_tenant",
    "cell_outage",
    "partition",
    "kms_outage",
    "control_plane_outage",
];

/// Bounds of exploration (checked).
#[derive(Clone, Debug, PartialEq)]
pub struct Explore {
    /// Most faults drawn per run (at least one is drawn).
    pub max_faults: u32,
    /// Kinds drawn from, by name.
    pub kinds: Vec<String>,
    /// No drawn fault starts before this.
    pub from: SimDuration,
    /// Every drawn fault has ended by this instant; the rest of the run checks recovery.
    pub quiet_after: SimDuration,
    /// Longest drawn fault.
    pub max_for: SimDuration,
    /// States that must be reached at least once across the seeds (`coverage`).
    pub coverage: Vec<String>,
    /// Share of drawn faults armed by a drawn condition (`when_share`, 0..=1; see
    /// [`crate::harness::explore_when`]).
    pub when_share: f64,
}

impl Explore {
    /// The defaults for a run of length `d`: up to 3 faults of every explorable kind, from
    /// 5% of the run, all over by 70% of it, each at most 15% of it.
    pub fn defaults(d: SimDuration) -> Explore {
        let pct = |p: u64| SimDuration(d.as_nanos() / 100 * p);
        Explore {
            max_faults: 3,
            kinds: EXPLORABLE.iter().map(|k| k.to_string()).collect(),
            from: pct(5),
            quiet_after: pct(70),
            max_for: pct(15),
            coverage: Vec::new(),
            when_share: 0.0,
        }
    }
}

pub(super) fn check(
    c: &mut Checker,
    raw: &Option<schema::ExploreConfig>,
    duration: SimDuration,
) -> Explore {
    let mut e = Explore::defaults(duration);
    let Some(raw) = raw else { return e };
    if let Some(n) = &raw.max_faults {
        e.max_faults = c.count(n, 1, 100, "explore.max_faults");
    }
    if let Some(k) = &raw.kinds {
        if k.get_ref().is_empty() {
            c.err(
                k.span(),
                "explore.kinds is empty; name at least one fault kind",
            );
        }
        for name in k.get_ref() {
            if !EXPLORABLE.contains(&name.as_str()) {
                c.err(
                    k.span(),
                    format!(
                        "explore.kinds: `{name}` is not a kind exploration draws; it draws: {}",
                        EXPLORABLE.join(", ")
                    ),
                );
            }
        }
        e.kinds = k.get_ref().clone();
    }
    explore_window(c, raw, &mut e, duration);
    if let Some(cov) = &raw.coverage {
        for s in cov.get_ref() {
            if !crate::coverage::known(s) {
                c.err(
                    cov.span(),
                    format!(
                        "coverage: unknown state `{s}`; known: {}",
                        crate::coverage::names().join(", ")
                    ),
                );
            }
        }
        e.coverage = cov.get_ref().clone();
    }
    if let Some(w) = &raw.when_share {
        // The value type refuses a share outside 0%..100% (located, exit 2).
        e.when_share = w.get_ref().0.clamp(0.0, 1.0);
    }
    e
}

/// When drawn faults may happen (`from`, `quiet_after`, `max_for`): inside the run, with
/// room between the start and the end, and a longest fault above zero.
fn explore_window(
    c: &mut Checker,
    raw: &schema::ExploreConfig,
    e: &mut Explore,
    duration: SimDuration,
) {
    let dur = |c: &mut Checker, v: &Option<Spanned<values::Dur>>, default: SimDuration| match v {
        Some(x) if x.get_ref().0 > duration => {
            c.err(
                x.span(),
                format!("{} is beyond the run ({duration})", x.get_ref().0),
            );
            default
        }
        Some(x) => x.get_ref().0,
        None => default,
    };
    e.from = dur(c, &raw.from, e.from);
    e.quiet_after = dur(c, &raw.quiet_after, e.quiet_after);
    e.max_for = dur(c, &raw.max_for, e.max_for);
    if e.quiet_after <= e.from {
        let span = raw
            .quiet_after
            .as_ref()
            .or(raw.from.as_ref())
            .map(|x| x.span())
            .unwrap_or(0..0);
        c.err(
            span,
            format!(
                "explore: faults may start from {} but must end by {}; leave room between them",
                e.from, e.quiet_after
            ),
        );
    }
    if e.max_for.as_nanos() == 0 {
        let span = raw.max_for.as_ref().map(|x| x.span()).unwrap_or(0..0);
        c.err(
            span,
            "explore.max_for is 0s; give the longest fault, e.g. \"2m\"",
        );
    }
}
