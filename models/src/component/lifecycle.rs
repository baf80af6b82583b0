//! The tenant lifecycle: the control plane's state machine for one tenant, and a bounded log
//! of every transition of every tenant.
//!
//! ```text
//!   new ─▶ ProvisionPending ──failed──▶ ProvisionFailed
//!             │      ▲                     │  │
//!             │      └─────── retry ───────┘  │ destroy
//!             │ completed                     ▼
//!             │                         DestroyPending ◀─────────────────┐
//!             ▼                                                          │
//!    ┌─────────────── serving ────────────────┐         destroy          │
//!    │  Active ──── idle ────▶ Dormant        │──────────────────────────┤
//!    │  Active ◀─── traffic ── Dormant        │                          │
//!    └────────────────────────────────────────┘                          │
//!       ▲   ▲              │ suspend                                     │
//!       │   │              ▼                                             │
//!       │   │      SuspensionPending ──failed──▶ SuspensionFailed        │
//!       │   │         │        ▲                    │    │               │
//!       │   │         │        └─────── retry ──────┘    │               │
//!       │   │         │ completed                        │               │
//!       │   │         ▼                                  │   destroy     │
//!       │   │      Suspended ────────────────────────────┼───────────────┘
//!       │   │         │                                  │
//!       │   └─────────┘ reinstate                        │
//!       └──────────────────── rollback ──────────────────┘
//!
//!    DestroyPending ──failed──▶ DestroyFailed
//!       │       ▲                    │
//!       │       └────── retry ───────┘
//!       ▼ completed
//!    Destroyed (terminal)
//! ```
//!
//! The exact table ([`TenantState::successors`]); every pair not listed is illegal, including
//! a state to itself:
//!
//! | from                 | legal to                                           |
//! |----------------------|----------------------------------------------------|
//! | `provision_pending`  | `active`, `provision_failed`                       |
//! | `provision_failed`   | `provision_pending` (retry), `destroy_pending`     |
//! | `active`             | `dormant`, `suspension_pending`, `destroy_pending` |
//! | `dormant`            | `active`, `suspension_pending`, `destroy_pending`  |
//! | `suspension_pending` | `suspended`, `suspension_failed`                   |
//! | `suspension_failed`  | `suspension_pending` (retry), `active` (rollback)  |
//! | `suspended`          | `active` (reinstate), `destroy_pending`            |
//! | `destroy_pending`    | `destroyed`, `destroy_failed`, `provision_pending` (restore) |
//! | `destroy_failed`     | `destroy_pending` (retry)                          |
//! | `destroyed`          | — (terminal)                                       |
//!
//! This is the BRIEF's chain (PROVISION_PENDING → ACTIVE ↔ DORMANT, SUSPENSION_PENDING →
//! SUSPENDED, DESTROY_PENDING → DESTROYED, each pending state with a FAILED state) closed with
//! the retries, rollbacks and exits an operator needs so that no tenant is stuck in a
//! non-terminal state. Failures are never terminal: a failed step is retried or undone.
//! A destroy keeps the tenant's backup for a retention (`destroy_pending`); a `restore` in
//! that time re-provisions it from the backup (`destroy_pending → provision_pending`).
//!
//! **Reconcile sub-states.** A serving tenant (`active` or `dormant`) is also, once the
//! reconciler has judged it, `…_reconcile_success` or `…_reconcile_failed` ([`Reconciled`]),
//! the Workspaces graph's sub-states of ACTIVE and DORMANT. They change only between
//! themselves ([`Reconciled::can_become`]) and are counted beside the main transitions.
//!
//! **Serving.** Only `active` and `dormant` tenants serve traffic
//! ([`TenantState::serves_traffic`]). A request from a dormant tenant is served and wakes it
//! (`dormant → active`, cause [`Cause::Traffic`]). The wake is bookkeeping of the data plane,
//! not a control-plane operation: it must not wait on the control plane, which has to stay off
//! the hot path (an outage stops provisioning and config changes, not serving).
//!
//! **Illegal transitions are bugs.** [`Lifecycle::transition`] returns [`IllegalTransition`]
//! naming the pair; the caller turns it into an assertion failure (exit 3). A transition at an
//! instant earlier than the previous one panics: time never goes back.
//!
//! **Recording.** A [`TransitionLog`] shared by all tenants keeps the first `capacity`
//! transitions in full (allocated up front; recording never allocates) and counts the rest as
//! dropped; its per-(from, to) counts are exact whatever the capacity. Everything is ordered by
//! state declaration order, never by hashing, so reports are deterministic.

use serde::{Deserialize, Serialize};
use sim::SimTime;

/// Number of [`TenantState`]s.
pub const STATE_COUNT: usize = 10;

/// Where a tenant is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantState {
    /// Being provisioned; not serving yet.
    ProvisionPending,
    /// Serving traffic.
    Active,
    /// Serving, but idle: a request wakes it to `Active`.
    Dormant,
    /// A suspension is in progress; not serving.
    SuspensionPending,
    /// Suspended; not serving until reinstated.
    Suspended,
    /// Its destruction is in progress; not serving.
    DestroyPending,
    /// Gone (terminal).
    Destroyed,
    /// Provisioning failed; to be retried or destroyed.
    ProvisionFailed,
    /// Suspension failed; to be retried or rolled back to `Active`.
    SuspensionFailed,
    /// Destruction failed; to be retried.
    DestroyFailed,
}

impl TenantState {
    /// Every state, in declaration order (the order of [`TenantState::index`]).
    pub const ALL: [TenantState; STATE_COUNT] = [
        TenantState::ProvisionPending,
        TenantState::Active,
        TenantState::Dormant,
        TenantState::SuspensionPending,
        TenantState::Suspended,
        TenantState::DestroyPending,
        TenantState::Destroyed,
        TenantState::ProvisionFailed,
        TenantState::SuspensionFailed,
        TenantState::DestroyFailed,
    ];

    /// Dense index in `0..STATE_COUNT` (declaration order).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in reports (`provision_pending`, `active`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            TenantState::ProvisionPending => "provision_pending",
            TenantState::Active => "active",
            TenantState::Dormant => "dormant",
            TenantState::SuspensionPending => "suspension_pending",
            TenantState::Suspended => "suspended",
            TenantState::DestroyPending => "destroy_pending",
            TenantState::Destroyed => "destroyed",
            TenantState::ProvisionFailed => "provision_failed",
            TenantState::SuspensionFailed => "suspension_failed",
            TenantState::DestroyFailed => "destroy_failed",
        }
    }

    /// True for the states that serve requests: `Active` and `Dormant` only.
    pub const fn serves_traffic(self) -> bool {
        matches!(self, TenantState::Active | TenantState::Dormant)
    }

    /// True for `Destroyed`, the only state with no way out.
    pub const fn is_terminal(self) -> bool {
        matches!(self, TenantState::Destroyed)
    }

    /// True for the states waiting on a control-plane operation to finish.
    pub const fn is_pending(self) -> bool {
        matches!(
            self,
            TenantState::ProvisionPending
                | TenantState::SuspensionPending
                | TenantState::DestroyPending
        )
    }

    /// True for the states left by a failed control-plane operation.
    pub const fn is_failed(self) -> bool {
        matches!(
            self,
            TenantState::ProvisionFailed
                | TenantState::SuspensionFailed
                | TenantState::DestroyFailed
        )
    }

    /// The states this one may move to (the table in the module docs), in declaration order.
    pub const fn successors(self) -> &'static [TenantState] {
        use TenantState::*;
        match self {
            ProvisionPending => &[Active, ProvisionFailed],
            Active => &[Dormant, SuspensionPending, DestroyPending],
            Dormant => &[Active, SuspensionPending, DestroyPending],
            SuspensionPending => &[Suspended, SuspensionFailed],
            Suspended => &[Active, DestroyPending],
            DestroyPending => &[ProvisionPending, Destroyed, DestroyFailed],
            Destroyed => &[],
            ProvisionFailed => &[ProvisionPending, DestroyPending],
            SuspensionFailed => &[Active, SuspensionPending],
            DestroyFailed => &[DestroyPending],
        }
    }

    /// True if `self → to` is a legal transition.
    pub fn can_become(self, to: TenantState) -> bool {
        self.successors().contains(&to)
    }
}

impl std::fmt::Display for TenantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The reconcile sub-state of a serving tenant: ACTIVE and DORMANT of the Workspaces graph,
/// each with RECONCILE_SUCCESS and RECONCILE_FAILED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reconciled {
    /// `active_reconcile_success`.
    ActiveSuccess,
    /// `active_reconcile_failed`.
    ActiveFailed,
    /// `dormant_reconcile_success`.
    DormantSuccess,
    /// `dormant_reconcile_failed`.
    DormantFailed,
}

impl Reconciled {
    /// Every sub-state, in declaration order.
    pub const ALL: [Reconciled; 4] = [
        Reconciled::ActiveSuccess,
        Reconciled::ActiveFailed,
        Reconciled::DormantSuccess,
        Reconciled::DormantFailed,
    ];

    /// The sub-state of a tenant in `state` whose last reconcile succeeded (`ok`) or not;
    /// `None` for a state that does not serve.
    pub const fn of(state: TenantState, ok: bool) -> Option<Reconciled> {
        match (state, ok) {
            (TenantState::Active, true) => Some(Reconciled::ActiveSuccess),
            (TenantState::Active, false) => Some(Reconciled::ActiveFailed),
            (TenantState::Dormant, true) => Some(Reconciled::DormantSuccess),
            (TenantState::Dormant, false) => Some(Reconciled::DormantFailed),
            _ => None,
        }
    }

    /// Dense index (declaration order).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name in reports (`active_reconcile_failed`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Reconciled::ActiveSuccess => "active_reconcile_success",
            Reconciled::ActiveFailed => "active_reconcile_failed",
            Reconciled::DormantSuccess => "dormant_reconcile_success",
            Reconciled::DormantFailed => "dormant_reconcile_failed",
        }
    }

    /// Whether the reconciler judged the tenant healthy.
    pub const fn ok(self) -> bool {
        matches!(self, Reconciled::ActiveSuccess | Reconciled::DormantSuccess)
    }

    /// Legal sub-state changes: every pair of distinct sub-states. The Workspaces graph
    /// lists ten of these twelve; it lacks the two into `dormant_reconcile_failed` from an
    /// active sub-state. Here dormancy is decided by the idle sweep, independently of the
    /// reconcile, so a tenant can fall idle between two ticks and fail the second one.
    pub fn can_become(self, to: Reconciled) -> bool {
        self != to
    }
}

/// Number of [`Cause`]s.
pub const CAUSE_COUNT: usize = 10;

/// Why a transition happened. Informational (reports, the log): legality depends only on the
/// (from, to) pair, never on the cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// An operator or API call asked for it: suspend, reinstate, destroy (e.g. a fault on the
    /// timeline that plays the operator).
    Operator,
    /// The pending operation finished: provisioned, suspended, destroyed.
    Completed,
    /// The pending operation failed for a reason of its own.
    Failed,
    /// The pending operation failed because the control plane could not be reached.
    ControlPlaneOutage,
    /// The pending operation failed because the tenant's cell was dead.
    CellFailed,
    /// A failed operation is tried again.
    Retry,
    /// A failed suspension is abandoned; the tenant goes back to `Active`.
    Rollback,
    /// No requests for the dormancy period: `active → dormant`.
    Idle,
    /// A request from a dormant tenant woke it: `dormant → active`.
    Traffic,
    /// Anything else (named in the scenario or the model's docs).
    Other,
}

impl Cause {
    /// Every cause, in declaration order.
    pub const ALL: [Cause; CAUSE_COUNT] = [
        Cause::Operator,
        Cause::Completed,
        Cause::Failed,
        Cause::ControlPlaneOutage,
        Cause::CellFailed,
        Cause::Retry,
        Cause::Rollback,
        Cause::Idle,
        Cause::Traffic,
        Cause::Other,
    ];

    /// The snake_case name used in reports (`operator`, `control_plane_outage`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Cause::Operator => "operator",
            Cause::Completed => "completed",
            Cause::Failed => "failed",
            Cause::ControlPlaneOutage => "control_plane_outage",
            Cause::CellFailed => "cell_failed",
            Cause::Retry => "retry",
            Cause::Rollback => "rollback",
            Cause::Idle => "idle",
            Cause::Traffic => "traffic",
            Cause::Other => "other",
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A transition the table does not allow: a bug in the caller, which turns it into an
/// assertion failure (exit 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("illegal tenant lifecycle transition {from} → {to} (cause {cause}) at {at}")]
pub struct IllegalTransition {
    /// The state the tenant was in (and still is).
    pub from: TenantState,
    /// The state asked for.
    pub to: TenantState,
    /// The cause given.
    pub cause: Cause,
    /// When it was asked for.
    pub at: SimTime,
}

/// One tenant's lifecycle (runtime state): its state and when it got there. 24 bytes, no heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    state: TenantState,
    since: SimTime,
    transitions: u32,
}

impl Lifecycle {
    /// A tenant in `initial` since `at` (any state: scenario tenants start `Active`, tenants
    /// of a provisioning burst `ProvisionPending`).
    pub fn new(initial: TenantState, at: SimTime) -> Self {
        Lifecycle {
            state: initial,
            since: at,
            transitions: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> TenantState {
        self.state
    }

    /// The instant of the last transition (or of creation).
    pub fn since(&self) -> SimTime {
        self.since
    }

    /// Transitions made since creation.
    pub fn transitions(&self) -> u32 {
        self.transitions
    }

    /// True if the tenant serves requests now (see [`TenantState::serves_traffic`]).
    pub fn serves_traffic(&self) -> bool {
        self.state.serves_traffic()
    }

    /// Moves to `to` at `now`. An illegal pair leaves the state unchanged and returns the
    /// error. Panics if `now` is before [`Lifecycle::since`] (time never goes back).
    pub fn transition(
        &mut self,
        now: SimTime,
        to: TenantState,
        cause: Cause,
    ) -> Result<(), IllegalTransition> {
        assert!(
            now >= self.since,
            "lifecycle transition at {now} before the previous one at {}",
            self.since
        );
        if !self.state.can_become(to) {
            return Err(IllegalTransition {
                from: self.state,
                to,
                cause,
                at: now,
            });
        }
        self.state = to;
        self.since = now;
        self.transitions += 1;
        Ok(())
    }
}

/// One recorded transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedTransition {
    /// When it happened.
    pub at: SimTime,
    /// Which tenant (population index).
    pub tenant: u32,
    /// State before.
    pub from: TenantState,
    /// State after.
    pub to: TenantState,
    /// Why.
    pub cause: Cause,
}

/// Every lifecycle transition of a run, shared by all tenants: the first `capacity` in full,
/// exact counts per (from, to) pair for all of them.
#[derive(Clone, Debug)]
pub struct TransitionLog {
    entries: Vec<LoggedTransition>,
    capacity: usize,
    dropped: u64,
    total: u64,
    counts: [[u64; STATE_COUNT]; STATE_COUNT],
    last_at: SimTime,
}

impl TransitionLog {
    /// An empty log keeping at most `capacity` entries (allocated now; 0 keeps only counts).
    pub fn new(capacity: usize) -> Self {
        TransitionLog {
            entries: Vec::with_capacity(capacity),
            capacity,
            dropped: 0,
            total: 0,
            counts: [[0; STATE_COUNT]; STATE_COUNT],
            last_at: SimTime::ZERO,
        }
    }

    /// Records a transition that has happened. Panics on an illegal pair or an instant before
    /// the previous record (both are bugs). Never allocates.
    pub fn record(
        &mut self,
        at: SimTime,
        tenant: u32,
        from: TenantState,
        to: TenantState,
        cause: Cause,
    ) {
        assert!(
            from.can_become(to),
            "recording an illegal lifecycle transition {from} → {to} of tenant {tenant}"
        );
        assert!(
            at >= self.last_at,
            "lifecycle transition of tenant {tenant} recorded at {at}, before {}",
            self.last_at
        );
        self.last_at = at;
        self.total += 1;
        self.counts[from.index()][to.index()] += 1;
        if self.entries.len() < self.capacity {
            self.entries.push(LoggedTransition {
                at,
                tenant,
                from,
                to,
                cause,
            });
        } else {
            self.dropped += 1;
        }
    }

    /// Moves `lifecycle` (tenant `tenant`) to `to` at `now` and records it: the usual way to
    /// make a transition. On an illegal pair nothing changes and nothing is recorded.
    pub fn apply(
        &mut self,
        lifecycle: &mut Lifecycle,
        tenant: u32,
        now: SimTime,
        to: TenantState,
        cause: Cause,
    ) -> Result<(), IllegalTransition> {
        let from = lifecycle.state();
        lifecycle.transition(now, to, cause)?;
        self.record(now, tenant, from, to, cause);
        Ok(())
    }

    /// The recorded entries, oldest first (at most `capacity`).
    pub fn entries(&self) -> &[LoggedTransition] {
        &self.entries
    }

    /// The most entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Transitions counted but not kept because the log was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// All transitions recorded (kept + dropped).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many `from → to` transitions were recorded (exact, including dropped ones).
    pub fn count(&self, from: TenantState, to: TenantState) -> u64 {
        self.counts[from.index()][to.index()]
    }

    /// The non-zero counts as `(from, to, count)`, ordered by (from, to) in declaration order.
    pub fn counts(&self) -> impl Iterator<Item = (TenantState, TenantState, u64)> + '_ {
        TenantState::ALL.into_iter().flat_map(move |from| {
            TenantState::ALL.into_iter().filter_map(move |to| {
                let n = self.count(from, to);
                (n > 0).then_some((from, to, n))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TenantState::*;

    /// The table from the BRIEF and the module docs, written out independently of
    /// `successors` so that the tests are an oracle for it.
    const LEGAL: [(TenantState, TenantState); 20] = [
        (ProvisionPending, Active),
        (ProvisionPending, ProvisionFailed),
        (ProvisionFailed, ProvisionPending),
        (ProvisionFailed, DestroyPending),
        (Active, Dormant),
        (Dormant, Active),
        (Active, SuspensionPending),
        (Dormant, SuspensionPending),
        (SuspensionPending, Suspended),
        (SuspensionPending, SuspensionFailed),
        (SuspensionFailed, SuspensionPending),
        (SuspensionFailed, Active),
        (Suspended, Active),
        (Suspended, DestroyPending),
        (Active, DestroyPending),
        (Dormant, DestroyPending),
        (DestroyPending, Destroyed),
        (DestroyPending, DestroyFailed),
        (DestroyFailed, DestroyPending),
        (DestroyPending, ProvisionPending),
    ];

    fn oracle(from: TenantState, to: TenantState) -> bool {
        LEGAL.contains(&(from, to))
    }

    #[test]
    fn all_and_index_agree() {
        // Goal: ALL lists every state once, in index order (the count arrays rely on it).
        for (i, s) in TenantState::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
        }
        for (i, c) in Cause::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
    }

    #[test]
    fn names_are_snake_case_and_match_serde() {
        // Goal: report names are the serde names, unique, snake_case.
        let mut seen = Vec::new();
        for s in TenantState::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert!(s.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!(!seen.contains(&s.name()));
            seen.push(s.name());
            assert_eq!(s.to_string(), s.name());
        }
        for c in Cause::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.name())
            );
        }
        assert_eq!(ProvisionPending.name(), "provision_pending");
        assert_eq!(SuspensionFailed.name(), "suspension_failed");
    }

    #[test]
    fn every_legal_transition_is_accepted() {
        // Goal: each pair of the table is accepted by a Lifecycle. Method: start a lifecycle in
        // `from`, move to `to`, check state, since and the transition count.
        for (i, &(from, to)) in LEGAL.iter().enumerate() {
            let mut lc = Lifecycle::new(from, SimTime(10));
            let now = SimTime(100 + i as u64);
            assert_eq!(
                lc.transition(now, to, Cause::Other),
                Ok(()),
                "{from} → {to}"
            );
            assert_eq!(lc.state(), to);
            assert_eq!(lc.since(), now);
            assert_eq!(lc.transitions(), 1);
        }
    }

    #[test]
    fn every_pair_is_judged_by_the_table() {
        // Goal: all 10×10 pairs, legal or not, agree with the oracle; an illegal one leaves the
        // lifecycle untouched and names the pair. Method: exhaustive enumeration.
        let mut legal = 0;
        for from in TenantState::ALL {
            for to in TenantState::ALL {
                assert_eq!(from.can_become(to), oracle(from, to), "{from} → {to}");
                let mut lc = Lifecycle::new(from, SimTime(5));
                let r = lc.transition(SimTime(7), to, Cause::Operator);
                if oracle(from, to) {
                    legal += 1;
                    assert_eq!(r, Ok(()));
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(
                        e,
                        IllegalTransition {
                            from,
                            to,
                            cause: Cause::Operator,
                            at: SimTime(7)
                        }
                    );
                    let msg = e.to_string();
                    assert!(
                        msg.contains(from.name()) && msg.contains(to.name()),
                        "{msg}"
                    );
                    assert_eq!(lc, Lifecycle::new(from, SimTime(5)));
                }
            }
        }
        assert_eq!(legal, LEGAL.len());
        for (i, pair) in LEGAL.iter().enumerate() {
            assert!(!LEGAL[..i].contains(pair), "{pair:?} listed twice");
        }
    }

    #[test]
    fn shape_of_the_table() {
        // Goal: the properties the module docs promise. Destroyed is the only terminal state;
        // no self-loops; every failed state has a way out; every non-terminal state can reach
        // Destroyed (no tenant can be stuck). Method: search over the table.
        for s in TenantState::ALL {
            assert!(!s.can_become(s), "{s} → {s}");
            assert_eq!(s.is_terminal(), s.successors().is_empty(), "{s}");
            // Reachability of Destroyed by a breadth-first walk.
            let mut reached = [false; STATE_COUNT];
            let mut frontier = vec![s];
            reached[s.index()] = true;
            while let Some(x) = frontier.pop() {
                for &y in x.successors() {
                    if !reached[y.index()] {
                        reached[y.index()] = true;
                        frontier.push(y);
                    }
                }
            }
            assert!(reached[Destroyed.index()], "{s} cannot reach destroyed");
        }
        assert_eq!(
            TenantState::ALL.iter().filter(|s| s.is_pending()).count(),
            3
        );
        assert_eq!(TenantState::ALL.iter().filter(|s| s.is_failed()).count(), 3);
    }

    #[test]
    fn only_active_and_dormant_serve() {
        // Goal: serves_traffic is true for exactly Active and Dormant.
        for s in TenantState::ALL {
            assert_eq!(s.serves_traffic(), s == Active || s == Dormant, "{s}");
            assert_eq!(
                Lifecycle::new(s, SimTime::ZERO).serves_traffic(),
                s.serves_traffic()
            );
        }
    }

    #[test]
    fn a_full_life() {
        // Goal: a realistic path through the machine, recorded; counts and entries agree.
        let mut log = TransitionLog::new(64);
        let mut lc = Lifecycle::new(ProvisionPending, SimTime(0));
        let steps = [
            (ProvisionFailed, Cause::ControlPlaneOutage),
            (ProvisionPending, Cause::Retry),
            (Active, Cause::Completed),
            (Dormant, Cause::Idle),
            (Active, Cause::Traffic),
            (SuspensionPending, Cause::Operator),
            (SuspensionFailed, Cause::CellFailed),
            (Active, Cause::Rollback),
            (SuspensionPending, Cause::Operator),
            (Suspended, Cause::Completed),
            (Active, Cause::Operator),
            (DestroyPending, Cause::Operator),
            (DestroyFailed, Cause::Failed),
            (DestroyPending, Cause::Retry),
            (Destroyed, Cause::Completed),
        ];
        for (i, &(to, cause)) in steps.iter().enumerate() {
            log.apply(&mut lc, 7, SimTime(i as u64 * 10), to, cause)
                .unwrap();
        }
        assert_eq!(lc.state(), Destroyed);
        assert_eq!(lc.transitions(), steps.len() as u32);
        assert_eq!(log.entries().len(), steps.len());
        assert_eq!(log.total(), steps.len() as u64);
        assert_eq!(log.count(ProvisionPending, ProvisionFailed), 1);
        assert_eq!(log.count(Active, SuspensionPending), 2, "suspended twice");
        assert_eq!(log.count(SuspensionPending, Suspended), 1);
        assert_eq!(log.count(DestroyPending, Destroyed), 1);
        let summed: u64 = log.counts().map(|(_, _, n)| n).sum();
        assert_eq!(summed, steps.len() as u64);
        // Destroyed is terminal: nothing gets out, nothing is recorded.
        for to in TenantState::ALL {
            assert!(log
                .apply(&mut lc, 7, SimTime(1000), to, Cause::Operator)
                .is_err());
        }
        assert_eq!(log.total(), steps.len() as u64);
        let e = log.entries()[6];
        assert_eq!(
            (e.at, e.tenant, e.from, e.to, e.cause),
            (
                SimTime(60),
                7,
                SuspensionPending,
                SuspensionFailed,
                Cause::CellFailed
            )
        );
    }

    #[test]
    fn log_is_bounded_and_counts_stay_exact() {
        // Goal: the log keeps the first `capacity` entries, counts the rest as dropped, and its
        // pair counts include dropped entries. Method: 1,000 idle/traffic flips into a log of 16.
        let mut log = TransitionLog::new(16);
        let mut lc = Lifecycle::new(Active, SimTime::ZERO);
        for i in 0..1_000u64 {
            let (to, cause) = if lc.state() == Active {
                (Dormant, Cause::Idle)
            } else {
                (Active, Cause::Traffic)
            };
            log.apply(&mut lc, 3, SimTime(i), to, cause).unwrap();
        }
        assert_eq!(log.entries().len(), 16);
        assert_eq!(log.capacity(), 16);
        assert_eq!(log.dropped(), 1_000 - 16);
        assert_eq!(log.total(), 1_000);
        assert_eq!(log.count(Active, Dormant), 500);
        assert_eq!(log.count(Dormant, Active), 500);
        assert_eq!(
            log.counts().collect::<Vec<_>>(),
            vec![(Active, Dormant, 500), (Dormant, Active, 500)]
        );
        // The first entries are kept, in order.
        assert_eq!(log.entries()[0].at, SimTime(0));
        assert_eq!(log.entries()[15].at, SimTime(15));
        assert!(
            log.entries.capacity() == 16,
            "no growth beyond the preallocation"
        );

        // Capacity 0: counts only.
        let mut empty = TransitionLog::new(0);
        empty.record(SimTime(1), 0, Active, Dormant, Cause::Idle);
        assert!(empty.entries().is_empty());
        assert_eq!((empty.dropped(), empty.total()), (1, 1));
    }

    #[test]
    #[should_panic(expected = "before the previous one")]
    fn time_never_goes_back_in_a_lifecycle() {
        let mut lc = Lifecycle::new(Active, SimTime(100));
        let _ = lc.transition(SimTime(99), Dormant, Cause::Idle);
    }

    #[test]
    #[should_panic(expected = "recorded at")]
    fn time_never_goes_back_in_the_log() {
        let mut log = TransitionLog::new(4);
        log.record(SimTime(100), 1, Active, Dormant, Cause::Idle);
        log.record(SimTime(99), 2, Active, Dormant, Cause::Idle);
    }

    #[test]
    #[should_panic(expected = "illegal lifecycle transition")]
    fn recording_an_illegal_pair_panics() {
        TransitionLog::new(4).record(SimTime(1), 1, Destroyed, Active, Cause::Other);
    }
}
