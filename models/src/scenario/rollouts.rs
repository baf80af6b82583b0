//! `[[rollouts]]`: a change plus a plan, as written and as checked.
//!
//! A rollout applies one change (a per-tenant schema migration, a config change of a
//! tenant's edge limits, DB cap, scheduler cap, cell scheduler or feature flag — the last
//! four checked in [`super::rollout_config`] — or a deploy: a rolling restart of the cells
//! the selected tenants are on, checked in [`super::rollout_deploy`]) to the tenants its
//! groups select (regions and order in [`super::rollout_groups`]), wave by wave: a group is a wave, run
//! `parallelism` tenants at a time, followed by a bake; a health gate (an SLO objective over
//! the tenants changed so far, and optionally their cell-mates) is judged every `gate_every`
//! and at the end of each bake, and `on_error` says what a failing gate (or a failed
//! migration) does. The engine that runs it is `crate::platform::rollout`; the pure plan
//! (who is in which wave) is [`crate::component::rollout_plan`].
//!
//! **Guarantees.** Every impossible plan is a located error (file:line:column): no groups, a
//! group that selects nothing it could name (unknown cohort, tier, tenant, cell out of
//! range), a selector-less group that is not the last, `percent` of 0, parallelism 0, a
//! gate over a whole-run metric, a negative duration (refused by the duration parser), a
//! start outside the run, and keys of the other change kind. `change` is matched
//! exhaustively in [`ChangeKind`].

use super::values::{BytesDist, Dur, Fraction, Rate, Threshold};
use super::Checker;
use crate::component::rollout_plan::{GroupSel, OnError};
use serde::Deserialize;
use sim::{SimDuration, SimTime};
use toml::Spanned;

/// One `[[rollouts]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutConfig {
    /// Name (reports, `--set rollouts.NAME.KEY`).
    pub name: Spanned<String>,
    /// `migration` or `config`.
    pub change: Spanned<String>,
    /// When the rollout starts.
    pub at: Spanned<Dur>,
    /// Migration: bytes per second one tenant's migration processes (default 50MB).
    pub migrate_rate: Option<Spanned<BytesDist>>,
    /// Migration: share of its cell DB's cores a running migration takes (default 30%).
    pub db_load: Option<Spanned<Fraction>>,
    /// Migration: factor on the tenant's DB query time once migrated (a missing index: > 1).
    pub query_factor: Option<Spanned<f64>>,
    /// Migration: fraction of tenant migrations that fail.
    pub fail: Option<Spanned<Fraction>>,
    /// Config: the new per-tenant rate limit.
    pub rate_limit: Option<Spanned<Rate>>,
    /// Config: the new burst.
    pub burst: Option<Spanned<i64>>,
    /// Config: the tenant's new DB concurrency cap (`scenario::rollout_config`).
    pub db_concurrency: Option<Spanned<i64>>,
    /// Config: the tenant's new in-service cap at its cell's scheduler.
    pub tenant_cap: Option<Spanned<i64>>,
    /// Config: the new scheduler of the changed tenants' cells.
    pub scheduler: Option<Spanned<String>>,
    /// Config: a feature flag turned on for the changed tenants.
    pub flag: Option<super::rollout_config::FlagConfig>,
    /// Deploy: how long one batch of a cell's workers is out while it restarts (default 30s).
    pub restart_time: Option<Spanned<Dur>>,
    /// Deploy: share of a cell's workers restarted per batch (default 25%).
    pub restart_share: Option<Spanned<Fraction>>,
    /// Deploy: how long a cell serves cold after a batch comes back (default 1m).
    pub cold_for: Option<Spanned<Dur>>,
    /// Deploy: factor on service time while cold (default 2).
    pub cold_factor: Option<Spanned<f64>>,
    /// The waves, in order.
    pub groups: Spanned<Vec<GroupConfig>>,
    /// Tenants changed at once within a wave (default 1).
    pub parallelism: Option<Spanned<i64>>,
    /// Wait after a wave's last change before the next wave (default 1m).
    pub bake: Option<Spanned<Dur>>,
    /// The health gate, an SLO objective (`p(99) < 250ms`); absent or `"none"`: no gate.
    pub gate: Option<Spanned<String>>,
    /// `changed` or `changed_and_cellmates` (default).
    pub gate_scope: Option<Spanned<String>>,
    /// How often the gate is judged while the rollout runs (default 10s).
    pub gate_every: Option<Spanned<Dur>>,
    /// Fewest finished requests in a gate interval to judge it (default 20).
    pub gate_min_requests: Option<Spanned<i64>>,
    /// `halt` (default), `rollback` or `continue`.
    pub on_error: Option<Spanned<String>>,
    /// A health gate on an SLO's error-budget burn rate (`scenario::rollout_burn`).
    pub burn_gate: Option<super::rollout_burn::BurnGateConfig>,
    /// More burn-rate gates (multi-window, multi-SLO); the first to trip halts and is named.
    #[serde(default)]
    pub burn_gates: Vec<super::rollout_burn::BurnGateConfig>,
}

/// One group (wave) as written: the tenants matching every selector given, among those no
/// earlier group took. No selector: every remaining tenant (last group only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Name (default `wave-N`).
    pub name: Option<String>,
    /// Tenant ids.
    #[serde(default)]
    pub tenants: Vec<Spanned<String>>,
    /// Cohort names.
    #[serde(default)]
    pub cohorts: Vec<Spanned<String>>,
    /// Tier names.
    #[serde(default)]
    pub tiers: Vec<Spanned<String>>,
    /// Cell indices (where the tenant is when the wave starts).
    #[serde(default)]
    pub cells: Vec<Spanned<i64>>,
    /// Take only this share of the whole fleet from the matches (a deterministic pick; the
    /// first of the order with `order_by`).
    pub percent: Option<Spanned<Fraction>>,
    /// Region names (`platform.regions`): tenants on a cell of one of them
    /// (`scenario::rollout_groups`).
    #[serde(default)]
    pub regions: Vec<Spanned<String>>,
    /// Order tenants are changed in: `size`, `rate`, `tier`, `cell` or `name`.
    pub order_by: Option<Spanned<String>>,
    /// `asc` (default) or `desc`.
    pub order: Option<Spanned<String>>,
}

/// What a rollout changes. Matched exhaustively wherever it is acted on.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeKind {
    /// A per-tenant schema migration: DB time on the tenant's cell while it runs (for
    /// data_size / rate), then the tenant's queries cost `query_factor` ×; a `fail` share
    /// of migrations fail.
    Migration {
        /// Bytes per second.
        rate: f64,
        /// Share of the cell DB's cores taken while running.
        db_load: f64,
        /// Factor on query time once migrated.
        query_factor: f64,
        /// Share of migrations that fail.
        fail: f64,
    },
    /// A config change of the tenant's edge limits, pushed by the control plane, and of
    /// what `items` name (DB cap, scheduler cap, the cell's scheduler, a feature flag;
    /// `scenario::rollout_config`).
    Config {
        /// New rate limit (`None`: unchanged).
        rate_limit: Option<f64>,
        /// New burst (`None`: unchanged).
        burst: Option<u32>,
        /// The other things it sets, in a fixed order (set by `rollout_config::resolve`).
        items: Vec<super::rollout_config::ConfigItem>,
    },
    /// A deploy: a rolling restart of the cells the wave's tenants are on. Each cell
    /// restarts its workers in batches of `share`, one after the other: a batch's workers
    /// are out for `restart_time`, then the cell serves cold (service time × `cold_factor`)
    /// for `cold_for`. Every tenant on a deployed cell counts as changed.
    Deploy {
        /// A batch's time out.
        restart_time: SimDuration,
        /// Share of a cell's workers per batch, (0, 1].
        share: f64,
        /// Cold period after each batch.
        cold_for: SimDuration,
        /// Service-time factor while cold (≥ 1).
        cold_factor: f64,
    },
}

impl ChangeKind {
    /// The kind's name as written.
    pub fn name(&self) -> &'static str {
        match self {
            ChangeKind::Migration { .. } => "migration",
            ChangeKind::Config { .. } => "config",
            ChangeKind::Deploy { .. } => "deploy",
        }
    }
}

/// Whose traffic the gate judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateScope {
    /// Only the tenants changed so far.
    Changed,
    /// The changed tenants and every tenant on a cell one of them was on when changed.
    ChangedAndCellmates,
}

impl GateScope {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            GateScope::Changed => "changed",
            GateScope::ChangedAndCellmates => "changed_and_cellmates",
        }
    }
}

/// A checked group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Tenant ids named (resolved to indices when the platform is built).
    pub tenant_ids: Vec<String>,
    /// The other selectors (`sel.tenants` is filled from `tenant_ids` at build).
    pub sel: GroupSel,
}

/// A checked rollout.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollout {
    /// Name.
    pub name: String,
    /// Start.
    pub at: SimTime,
    /// The change.
    pub change: ChangeKind,
    /// Waves in order.
    pub groups: Vec<Group>,
    /// Changes at once within a wave (≥ 1).
    pub parallelism: u32,
    /// Bake after each wave.
    pub bake: SimDuration,
    /// The gate, if any.
    pub gate: Option<Threshold>,
    /// Whose traffic the gate judges.
    pub gate_scope: GateScope,
    /// Gate judging interval.
    pub gate_every: SimDuration,
    /// Fewest requests in an interval to judge it.
    pub gate_min_requests: u64,
    /// What a failing gate does.
    pub on_error: OnError,
    /// The burn-rate gates, `burn_gate` then `burn_gates` (set by `rollout_burn::resolve`
    /// once the SLOs are known).
    pub burns: Vec<super::rollout_burn::BurnGate>,
}

impl Rollout {
    /// Whether any gate (an objective or a burn rate) judges the rollout's traffic.
    pub fn gated(&self) -> bool {
        self.gate.is_some() || !self.burns.is_empty()
    }
}

/// Names the scenario declares, for checking selectors.
pub(super) struct Known<'a> {
    pub tenant: &'a dyn Fn(&str) -> bool,
    pub cohorts: &'a [String],
    pub tiers: &'a [String],
    pub cells: u32,
}

/// Checks every `[[rollouts]]` entry; errors go to `c` with their spans.
pub(super) fn check(
    c: &mut Checker,
    raw: &[RolloutConfig],
    (end, duration): (SimTime, SimDuration),
    known: &Known,
) -> Vec<Rollout> {
    let mut out: Vec<Rollout> = Vec::new();
    for r in raw {
        let name = r.name.get_ref().clone();
        if out.iter().any(|o| o.name == name) {
            c.err(r.name.span(), format!("two rollouts are named `{name}`"));
        }
        let at = SimTime(r.at.get_ref().0.as_nanos());
        if at >= end {
            c.err(
                r.at.span(),
                format!(
                    "rollout `{name}` starts at {} but the run lasts {duration}; move it inside the run",
                    r.at.get_ref().0
                ),
            );
        }
        let change = check_change(c, r, &name);
        let groups = check_groups(c, &name, &r.groups, known);
        let parallelism: u32 = c.opt_count(&r.parallelism, 1, 1, 1_000_000, "parallelism");
        let gate = check_gate(c, r);
        let gate_scope = check_gate_scope(c, r);
        let gate_every = r
            .gate_every
            .as_ref()
            .map_or(SimDuration::from_secs(10), |d| d.get_ref().0);
        if gate_every.as_nanos() == 0 {
            if let Some(s) = &r.gate_every {
                c.err(
                    s.span(),
                    "gate_every is zero; use e.g. `gate_every = \"10s\"`",
                );
            }
        }
        let gate_min_requests: u64 = c.opt_count(
            &r.gate_min_requests,
            20,
            0,
            1_000_000_000,
            "gate_min_requests",
        );
        let on_error = check_on_error(c, r);
        out.push(Rollout {
            name,
            at,
            change,
            groups,
            parallelism,
            bake: r
                .bake
                .as_ref()
                .map_or(SimDuration::from_secs(60), |d| d.get_ref().0),
            gate,
            gate_scope,
            gate_every: SimDuration(gate_every.as_nanos().max(1)),
            gate_min_requests,
            on_error,
            burns: Vec::new(),
        });
    }
    out
}

/// A key as written, with its span if given.
type KeySpan<'a> = (&'a str, Option<std::ops::Range<usize>>);

/// Refuses each key of `keys` that is given: it does not apply to `change = "kind"`.
fn refuse(c: &mut Checker, keys: &[KeySpan], kind: &str) {
    for (k, span) in keys {
        if let Some(s) = span {
            c.err(
                s.clone(),
                format!("`{k}` does not apply to `change = \"{kind}\"`"),
            );
        }
    }
}

/// The rollout's change (`change` and the keys of its kind); the keys of the other kinds
/// are refused.
fn check_change(c: &mut Checker, r: &RolloutConfig, name: &str) -> ChangeKind {
    let migration_keys = [
        ("migrate_rate", r.migrate_rate.as_ref().map(|x| x.span())),
        ("db_load", r.db_load.as_ref().map(|x| x.span())),
        ("query_factor", r.query_factor.as_ref().map(|x| x.span())),
        ("fail", r.fail.as_ref().map(|x| x.span())),
    ];
    let [k0, k1, k2, k3] = super::rollout_config::key_spans(r);
    let config_keys = [
        ("rate_limit", r.rate_limit.as_ref().map(|x| x.span())),
        ("burst", r.burst.as_ref().map(|x| x.span())),
        k0,
        k1,
        k2,
        k3,
    ];
    let deploy_keys = [
        ("restart_time", r.restart_time.as_ref().map(|x| x.span())),
        ("restart_share", r.restart_share.as_ref().map(|x| x.span())),
        ("cold_for", r.cold_for.as_ref().map(|x| x.span())),
        ("cold_factor", r.cold_factor.as_ref().map(|x| x.span())),
    ];
    match r.change.get_ref().as_str() {
        "migration" => {
            refuse(c, &config_keys, "migration");
            refuse(c, &deploy_keys, "migration");
            check_migration(c, r)
        }
        "config" => {
            refuse(c, &migration_keys, "config");
            refuse(c, &deploy_keys, "config");
            check_config(c, r, name, &config_keys)
        }
        "deploy" => {
            refuse(c, &migration_keys, "deploy");
            refuse(c, &config_keys, "deploy");
            super::rollout_deploy::check(c, r)
        }
        other => {
            c.err(
                r.change.span(),
                format!("unknown change `{other}`; expected `migration`, `config` or `deploy`"),
            );
            ChangeKind::Config {
                rate_limit: None,
                burst: None,
                items: Vec::new(),
            }
        }
    }
}

/// `change = "migration"`: its rate, DB load, query factor and failure share, in range.
fn check_migration(c: &mut Checker, r: &RolloutConfig) -> ChangeKind {
    let rate = r
        .migrate_rate
        .as_ref()
        .and_then(|d| d.get_ref().0.mean())
        .unwrap_or(50e6);
    if rate <= 0.0 || !rate.is_finite() {
        if let Some(s) = &r.migrate_rate {
            c.err(s.span(), "migrate_rate must be above 0 (bytes per second)");
        }
    }
    let db_load = r.db_load.as_ref().map_or(0.3, |f| f.get_ref().0);
    if !(0.0..1.0).contains(&db_load) {
        if let Some(s) = &r.db_load {
            c.err(s.span(), "db_load must be in [0%, 100%)");
        }
    }
    let query_factor = r.query_factor.as_ref().map_or(1.0, |q| *q.get_ref());
    if !(query_factor > 0.0 && query_factor <= 1000.0) {
        if let Some(s) = &r.query_factor {
            c.err(s.span(), "query_factor must be in (0, 1000]");
        }
    }
    let fail = r.fail.as_ref().map_or(0.0, |f| f.get_ref().0);
    if !(0.0..=1.0).contains(&fail) {
        if let Some(s) = &r.fail {
            c.err(s.span(), "fail must be in [0%, 100%]");
        }
    }
    ChangeKind::Migration {
        rate: rate.max(1.0),
        db_load,
        query_factor,
        fail,
    }
}

/// `change = "config"`: at least one of its keys (`config_keys`), a burst and a rate
/// limit in range (the other items are resolved by `rollout_config::resolve`).
fn check_config(
    c: &mut Checker,
    r: &RolloutConfig,
    name: &str,
    config_keys: &[KeySpan],
) -> ChangeKind {
    let burst = r
        .burst
        .as_ref()
        .map(|b| c.count(b, 1, 1_000_000_000, "burst"));
    if config_keys.iter().all(|(_, span)| span.is_none()) {
        c.err(
            r.change.span(),
            format!("rollout `{name}` changes nothing: give `rate_limit`, `burst`, `db_concurrency`, `tenant_cap`, `scheduler` or `flag`"),
        );
    }
    let rate_limit = r.rate_limit.as_ref().map(|x| x.get_ref().0);
    if rate_limit.is_some_and(|x| !(x > 0.0 && x.is_finite())) {
        if let Some(s) = &r.rate_limit {
            c.err(s.span(), "rate_limit must be above 0");
        }
    }
    ChangeKind::Config {
        rate_limit,
        burst,
        items: Vec::new(),
    }
}

/// The health gate (`gate`): absent or `"none"`, or an objective over a request metric.
fn check_gate(c: &mut Checker, r: &RolloutConfig) -> Option<Threshold> {
    match r.gate.as_ref() {
        None => None,
        Some(g) if g.get_ref().trim() == "none" => None,
        Some(g) => match Threshold::parse(g.get_ref()) {
            Ok(th) if th.metric.is_whole_run() => {
                c.err(
                    g.span(),
                    format!(
                        "`{}` is a whole-run counter; a gate judges request metrics (latency, error_rate, availability, …)",
                        th.text
                    ),
                );
                None
            }
            Ok(th) => Some(th),
            Err(msg) => {
                c.err(g.span(), format!("gate: {msg}"));
                None
            }
        },
    }
}

/// `gate_scope`: `changed` or `changed_and_cellmates` (the default).
fn check_gate_scope(c: &mut Checker, r: &RolloutConfig) -> GateScope {
    match r.gate_scope.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("changed_and_cellmates") => GateScope::ChangedAndCellmates,
        Some("changed") => GateScope::Changed,
        Some(other) => {
            if let Some(s) = &r.gate_scope {
                c.err(
                    s.span(),
                    format!("unknown gate_scope `{other}`; expected `changed` or `changed_and_cellmates`"),
                );
            }
            GateScope::ChangedAndCellmates
        }
    }
}

/// `on_error`: `halt` (the default), `rollback` or `continue`.
fn check_on_error(c: &mut Checker, r: &RolloutConfig) -> OnError {
    match r.on_error.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("halt") => OnError::Halt,
        Some("rollback") => OnError::Rollback,
        Some("continue") => OnError::Continue,
        Some(other) => {
            if let Some(s) = &r.on_error {
                c.err(
                    s.span(),
                    format!(
                        "unknown on_error `{other}`; expected `halt`, `rollback` or `continue`"
                    ),
                );
            }
            OnError::Halt
        }
    }
}

/// A rollout's groups (waves): at least one, a selector-less group only as the last, and
/// every selector naming something the scenario declares.
fn check_groups(
    c: &mut Checker,
    rollout: &str,
    groups: &Spanned<Vec<GroupConfig>>,
    known: &Known,
) -> Vec<Group> {
    if groups.get_ref().is_empty() {
        c.err(
            groups.span(),
            format!("rollout `{rollout}` has no groups; give at least one, e.g. `groups = [{{ percent = \"1%\" }}, {{}}]`"),
        );
    }
    let n = groups.get_ref().len();
    let mut out = Vec::new();
    for (i, g) in groups.get_ref().iter().enumerate() {
        let name = g.name.clone().unwrap_or_else(|| format!("wave-{}", i + 1));
        let no_selector = g.tenants.is_empty()
            && g.cohorts.is_empty()
            && g.tiers.is_empty()
            && g.cells.is_empty()
            && g.regions.is_empty()
            && g.percent.is_none();
        if no_selector && i + 1 < n {
            c.err(
                groups.span(),
                format!("group `{name}` of rollout `{rollout}` has no selector, so it takes every remaining tenant and the groups after it are empty; make it the last group"),
            );
        }
        let (tenant_ids, sel) = group_selectors(c, &name, g, known);
        out.push(Group {
            name,
            tenant_ids,
            sel,
        });
    }
    out
}

/// A group's selectors, each naming something the scenario declares: the tenant ids as
/// written (resolved at build) and the other selectors as indices.
fn group_selectors(
    c: &mut Checker,
    name: &str,
    g: &GroupConfig,
    known: &Known,
) -> (Vec<String>, GroupSel) {
    let mut sel = GroupSel::default();
    let mut tenant_ids = Vec::new();
    for t in &g.tenants {
        if !(known.tenant)(t.get_ref()) {
            c.err(
                t.span(),
                format!("group `{name}`: no tenant `{}`", t.get_ref()),
            );
        }
        tenant_ids.push(t.get_ref().clone());
    }
    for co in &g.cohorts {
        match known.cohorts.iter().position(|x| x == co.get_ref()) {
            Some(k) => sel.cohorts.push(k),
            None => c.err(
                co.span(),
                format!("group `{name}`: no cohort `{}`", co.get_ref()),
            ),
        }
    }
    for t in &g.tiers {
        match known.tiers.iter().position(|x| x == t.get_ref()) {
            Some(k) => sel.tiers.push(k),
            None => c.err(
                t.span(),
                format!("group `{name}`: no tier `{}`", t.get_ref()),
            ),
        }
    }
    for cell in &g.cells {
        let v = *cell.get_ref();
        if v < 0 || v >= known.cells as i64 {
            c.err(
                cell.span(),
                format!(
                    "group `{name}`: cell {v} does not exist (cells are 0..{})",
                    known.cells
                ),
            );
        } else {
            sel.cells.push(v as u32);
        }
    }
    if let Some(p) = &g.percent {
        let f = p.get_ref().0;
        if !(f > 0.0 && f <= 1.0) {
            c.err(
                p.span(),
                format!(
                    "group `{name}`: percent must be in (0%, 100%]; an empty group changes nobody"
                ),
            );
        }
        sel.percent = Some(f);
    }
    (tenant_ids, sel)
}
