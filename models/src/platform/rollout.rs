//! The rollout engine: waves, health gates, halts and rollbacks, on simulated time.
//!
//! A declared `[[rollouts]]` entry ([`crate::scenario::rollouts::Rollout`]) becomes a
//! [`RolloutRun`]: its waves are fixed at build from the population
//! ([`crate::component::rollout_plan::waves`]). At `at` the first wave starts; a wave
//! changes its tenants `parallelism` at a time, and once its last change is done it bakes
//! for `bake`. The gate — an SLO objective over the requests that finished in the last
//! interval, merged over the tenants changed so far (and, by `gate_scope`, every tenant on
//! a cell one of them was on) — is judged every `gate_every` while the rollout runs and at
//! the end of each bake. A failing gate, or a failed migration, applies `on_error`: `halt`
//! stops launching changes (changes in flight finish), `rollback` also undoes every change
//! made (each undo takes as long as its change, `parallelism` at a time), `continue`
//! records it and goes on.
//!
//! **Changes.** A migration takes `db_load` of its tenant's cell DB cores for
//! `data_size / migrate_rate` (the cell's capacity is re-derived with the faults on it), then
//! the tenant's queries cost `query_factor` ×; a `fail` share fails (drawn from the
//! rollout's own stream `rollout/NAME`). A config change publishes the new limits through the
//! control plane (pushed to the edge like `config_push`). A deploy restarts cells in batches
//! (`rollout_deploy.rs`).
//!
//! **Gates measure recorded stats** ([`crate::measure`]): the platform never imports the
//! harness.
//!
//! **Nothing is scripted.** The halt happens when a gate check sees the damage; the time from
//! the first bad wave to the halt and the tenants exposed are outputs. The control plane
//! drives the rollout: while it is down no change or undo starts (the rollout pauses; the
//! pause is reported) and changes already running go on.
//!
//! **Off when absent.** Without rollouts the platform holds `None`: no event, draw or
//! allocation, and the hot path pays one predictable branch in `next_query` and
//! `finish_request`.

use super::{Ev, Platform};
use crate::component::outcome::Outcome;
use crate::component::rollout_plan::{self, OnError, PlanTenant};
use crate::population::Population;
use crate::record::Stats;
use crate::scenario::rollouts::{ChangeKind, GateScope, Rollout};
use crate::scenario::Scenario;
use reports::summary::{RolloutRow, RolloutWaveRow};
use sim::{EventQueue, RngStream, SimDuration, SimTime};
use std::collections::VecDeque;

/// One step of a rollout, carried by [`Ev::Rollout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The rollout starts (or a paused launch resumes).
    Launch,
    /// Tenant's change finished.
    ChangeDone(u32),
    /// Tenant's undo finished.
    UndoDone(u32),
    /// The gate is judged.
    GateDue,
    /// Wave's bake ended.
    BakeDone(u32),
    /// A deploy's restart batch on a cell came back (`undo`: of a rollback's redeploy).
    DeployBatchDone {
        /// The cell.
        cell: u32,
        /// Part of an undo.
        undo: bool,
    },
}

impl Step {
    /// The step as one word (for the event digest).
    pub fn code(self) -> u64 {
        match self {
            Step::Launch => 0,
            Step::ChangeDone(t) => (1 << 32) | t as u64,
            Step::UndoDone(t) => (2 << 32) | t as u64,
            Step::GateDue => 3 << 32,
            Step::BakeDone(w) => (4 << 32) | w as u64,
            Step::DeployBatchDone { cell, undo } => (5 << 32) | ((undo as u64) << 31) | cell as u64,
        }
    }
}

/// Where a rollout stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Pending,
    /// Running waves.
    Running,
    /// Halted by a gate (or a failed change); changes made stay.
    Halted,
    /// Undoing its changes.
    RollingBack,
    /// Every change undone.
    RolledBack,
    /// Every wave done.
    Completed,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Halted => "halted",
            State::RollingBack => "rolling_back",
            State::RolledBack => "rolled_back",
            State::Completed => "completed",
        }
    }
}

struct WaveRec {
    name: String,
    tenants: usize,
    start: SimTime,
    end: Option<SimTime>,
    checks: u32,
    failed: bool,
    worst: Option<f64>,
    /// The highest burn rate the burn gate measured in the wave.
    worst_burn: Option<f64>,
}

/// One rollout's runtime.
pub struct RolloutRun {
    pub(super) spec: Rollout,
    /// Per wave, the units it changes: tenants, or cells for a deploy.
    waves: Vec<Vec<u32>>,
    rng: RngStream,
    state: State,
    wave: usize,
    queue: VecDeque<u32>,
    in_flight: u32,
    undo_queue: VecDeque<u32>,
    undo_in_flight: u32,
    /// Per tenant: change started.
    changed: Vec<bool>,
    /// Per tenant: change done (and not undone).
    applied: Vec<bool>,
    /// Per tenant: the cell its change runs on.
    change_cell: Vec<u32>,
    /// Per tenant: the config it had before a config change.
    base_config: Vec<(Option<f64>, u32)>,
    scope_cells: Vec<bool>,
    gate_acc: Stats,
    bystanders: Stats,
    paused_since: Option<SimTime>,
    paused: SimDuration,
    /// A retry of a paused launch is scheduled (at most one at a time: every change that
    /// finishes during the pause would otherwise start its own retry loop).
    resume_pending: bool,
    start: Option<SimTime>,
    end: Option<SimTime>,
    halted_at: Option<SimTime>,
    exposed_at_halt: Option<u32>,
    /// What tripped first: (what, the value it measured in words, when, wave).
    tripped: Option<(String, String, SimTime, usize)>,
    /// The burn-rate gates' windows, one per gate (empty without a `burn_gate`).
    burn: Vec<super::rollout_burn::BurnRt>,
    first_bad_wave: Option<usize>,
    changed_count: u32,
    failed_changes: u32,
    waves_rec: Vec<WaveRec>,
    /// Deploy: per cell, restart batches left (empty for other kinds).
    pub(super) deploy_left: Vec<u32>,
    /// Deploy: each tenant's cell when the plan was made (empty for other kinds).
    plan_cells: Vec<u32>,
    /// Config items: what they replaced (`None` without items; `rollout_config.rs`).
    pub(super) cfg: Option<Box<super::rollout_config::ConfigRt>>,
}

/// Every rollout of a run, and the per-tenant and per-cell effects they have.
pub struct RolloutRt {
    pub(super) runs: Vec<RolloutRun>,
    /// Per tenant: factor on DB query time (1 unless a migration set it).
    pub(super) query_factor: Vec<f64>,
    /// Some factor is not 1.
    pub(super) factors_on: bool,
    /// Per cell: share of DB cores taken by running migrations.
    cell_load: Vec<f64>,
    /// Per tenant: factor on CPU service time from feature flags that are on (empty
    /// without a flag; `rollout_config.rs`).
    pub(super) cpu_factor: Vec<f64>,
    /// Some CPU factor is not 1.
    pub(super) cpu_on: bool,
}

/// What the plan knows of each tenant of `pop` (its placement at the start).
fn plan_tenants(pop: &Population) -> Vec<PlanTenant> {
    let mut by_name: Vec<u32> = (0..pop.tenants.len() as u32).collect();
    by_name.sort_by(|&a, &b| pop.tenants[a as usize].id.cmp(&pop.tenants[b as usize].id));
    let mut rank = vec![0u32; pop.tenants.len()];
    for (r, &t) in by_name.iter().enumerate() {
        rank[t as usize] = r as u32;
    }
    pop.tenants
        .iter()
        .zip(rank)
        .map(|(t, name_rank)| PlanTenant {
            tier: t.tier,
            cohort: t.cohort,
            cell: t.cell,
            size: t.data_size,
            rate: t.rate,
            name_rank,
        })
        .collect()
}

/// Rollout `r`'s waves of tenants, fixed from the population (a deploy turns them into
/// cell waves).
fn tenant_waves(r: &Rollout, pop: &Population, plan: &[PlanTenant]) -> Vec<Vec<u32>> {
    let sels: Vec<rollout_plan::GroupSel> = r
        .groups
        .iter()
        .map(|g| {
            let mut s = g.sel.clone();
            s.tenants = g
                .tenant_ids
                .iter()
                .filter_map(|id| pop.find(id).map(|x| x.0))
                .collect();
            s
        })
        .collect();
    let salt = sim::digest::mix64(
        r.name
            .bytes()
            .fold(0xC0FF_EE00u64, |h, b| h.rotate_left(8) ^ b as u64),
    );
    rollout_plan::waves(&sels, plan, salt)
}

/// Per rollout of `sc`, per wave, the tenants the wave changes as planned (a deploy's
/// wave: every tenant placed on its cells), for `explain`. The same plan the engine runs.
pub fn planned_tenants(sc: &Scenario, pop: &Population) -> Vec<Vec<Vec<u32>>> {
    let plan = plan_tenants(pop);
    sc.rollouts
        .iter()
        .map(|r| {
            let waves = tenant_waves(r, pop, &plan);
            match r.change {
                ChangeKind::Deploy { .. } => {
                    super::rollout_deploy::cell_waves(&waves, &plan, sc.platform.cells)
                        .iter()
                        .map(|cells| {
                            (0..plan.len() as u32)
                                .filter(|&t| cells.contains(&plan[t as usize].cell))
                                .collect()
                        })
                        .collect()
                }
                ChangeKind::Migration { .. } | ChangeKind::Config { .. } => waves,
            }
        })
        .collect()
}

impl RolloutRt {
    /// Whether some rollout is running its waves (a `when = "rollout"` condition).
    pub(super) fn running(&self) -> bool {
        self.runs.iter().any(|r| r.state == State::Running)
    }

    /// The runtime for `sc`'s rollouts, or `None` when it declares none.
    pub(super) fn build(
        sc: &Scenario,
        pop: &Population,
        seed: u64,
        q: &mut EventQueue<Ev>,
    ) -> Option<Box<RolloutRt>> {
        if sc.rollouts.is_empty() {
            return None;
        }
        let n = pop.tenants.len();
        let plan = plan_tenants(pop);
        let runs = sc
            .rollouts
            .iter()
            .enumerate()
            .map(|(i, r)| {
                q.schedule_at(
                    r.at,
                    Ev::Rollout {
                        rollout: i as u16,
                        step: Step::Launch,
                    },
                );
                let waves = tenant_waves(r, pop, &plan);
                let (waves, deploy_left) = match r.change {
                    ChangeKind::Deploy { .. } => (
                        super::rollout_deploy::cell_waves(&waves, &plan, sc.platform.cells),
                        vec![0; sc.platform.cells as usize],
                    ),
                    ChangeKind::Migration { .. } | ChangeKind::Config { .. } => (waves, Vec::new()),
                };
                let units = n.max(sc.platform.cells as usize);
                let plan_cells = if deploy_left.is_empty() {
                    Vec::new()
                } else {
                    plan.iter().map(|p| p.cell).collect()
                };
                RolloutRun {
                    spec: r.clone(),
                    waves,
                    deploy_left,
                    plan_cells,
                    rng: RngStream::new(seed, &format!("rollout/{}", r.name), 0),
                    state: State::Pending,
                    wave: 0,
                    queue: VecDeque::new(),
                    in_flight: 0,
                    undo_queue: VecDeque::new(),
                    undo_in_flight: 0,
                    changed: vec![false; n],
                    applied: vec![false; units],
                    change_cell: vec![0; n],
                    base_config: vec![(None, 0); n],
                    scope_cells: vec![false; sc.platform.cells as usize],
                    gate_acc: Stats::default(),
                    bystanders: Stats::default(),
                    paused_since: None,
                    paused: SimDuration::ZERO,
                    resume_pending: false,
                    start: None,
                    end: None,
                    halted_at: None,
                    exposed_at_halt: None,
                    tripped: None,
                    burn: r
                        .burns
                        .iter()
                        .map(super::rollout_burn::BurnRt::new)
                        .collect(),
                    first_bad_wave: None,
                    changed_count: 0,
                    failed_changes: 0,
                    waves_rec: Vec::new(),
                    cfg: super::rollout_config::ConfigRt::build(
                        &r.change,
                        n,
                        sc.platform.cells as usize,
                    ),
                }
            })
            .collect();
        Some(Box::new(RolloutRt {
            runs,
            query_factor: vec![1.0; n],
            factors_on: false,
            cell_load: vec![0.0; sc.platform.cells as usize],
            cpu_factor: if super::rollout_config::any_flag(sc) {
                vec![1.0; n]
            } else {
                Vec::new()
            },
            cpu_on: false,
        }))
    }

    /// The factor on cell `cell`'s DB capacity from migrations running on it (at least 5%).
    fn db_capacity_factor(&self, cell: u32) -> f64 {
        (1.0 - self.cell_load[cell as usize]).max(0.05)
    }

    /// A request of tenant `t` on cell `cell` finished: count it for the gates and the
    /// bystanders of every active rollout.
    pub(super) fn observe(
        &mut self,
        t: u32,
        cell: u32,
        latency: u64,
        outcome: Outcome,
        attempts: u16,
    ) {
        for r in &mut self.runs {
            if matches!(
                r.state,
                State::Pending | State::Completed | State::RolledBack
            ) {
                continue;
            }
            let changed = r.changed[t as usize];
            let in_scope = changed
                || (r.spec.gate_scope == GateScope::ChangedAndCellmates
                    && r.scope_cells[cell as usize]);
            if in_scope && r.spec.gated() {
                r.gate_acc.finish(outcome, latency, attempts);
            }
            if !changed {
                r.bystanders.finish(outcome, latency, attempts);
            }
        }
    }

    /// One row per rollout for `summary.json`, as things stand at `now` (the end of the run).
    pub fn rows(&self, now: SimTime) -> Vec<RolloutRow> {
        let secs = |t: SimTime| t.as_nanos() as f64 / 1e9;
        self.runs
            .iter()
            .map(|r| {
                let metric_text = |v: f64| r.spec.value_text(v);
                let p99 = r
                    .bystanders
                    .measure(crate::scenario::Metric::LatencyPercentile(99.0));
                let err = r.bystanders.measure(crate::scenario::Metric::ErrorRate);
                let cells_exposed = {
                    let mut seen = vec![false; r.scope_cells.len()];
                    for (t, &c) in r.changed.iter().enumerate() {
                        if c {
                            seen[r.change_cell[t] as usize] = true;
                        }
                    }
                    seen.iter().filter(|&&x| x).count() as u32
                };
                RolloutRow {
                    name: r.spec.name.clone(),
                    change: r.spec.change.name().to_string(),
                    gate: r.spec.gate.as_ref().map(|g| g.text.clone()),
                    burn_gate: (!r.spec.burns.is_empty()).then(|| {
                        let texts: Vec<String> = r.spec.burns.iter().map(|g| g.text()).collect();
                        texts.join("; ")
                    }),
                    gate_scope: r.spec.gate_scope.name().to_string(),
                    on_error: r.spec.on_error.name().to_string(),
                    outcome: r.state.name().to_string(),
                    start_s: r.start.map(secs),
                    end_s: r.end.map(secs),
                    tripped_by: r.tripped.as_ref().map(|x| x.0.clone()),
                    tripped_value: r.tripped.as_ref().map(|x| x.1.clone()),
                    tripped_at_s: r.tripped.as_ref().map(|x| secs(x.2)),
                    first_bad_wave: r.first_bad_wave.map(|w| r.waves_rec[w].name.clone()),
                    time_to_halt_s: match (r.first_bad_wave, r.halted_at) {
                        (Some(w), Some(h)) => {
                            Some(h.since(r.waves_rec[w].start).as_nanos() as f64 / 1e9)
                        }
                        _ => None,
                    },
                    tenants_exposed: r.exposed_at_halt.unwrap_or(r.changed_count),
                    tenants_changed: r.changed_count,
                    cells_exposed,
                    tenants_planned: match r.spec.change {
                        ChangeKind::Deploy { .. } => {
                            let mut on = vec![false; r.scope_cells.len()];
                            r.waves
                                .iter()
                                .flatten()
                                .for_each(|&c| on[c as usize] = true);
                            r.plan_cells.iter().filter(|&&c| on[c as usize]).count() as u32
                        }
                        ChangeKind::Migration { .. } | ChangeKind::Config { .. } => {
                            r.waves.iter().map(Vec::len).sum::<usize>() as u32
                        }
                    },
                    fleet_completion_s: match (r.state, r.start, r.end) {
                        (State::Completed, Some(a), Some(b)) => {
                            Some(b.since(a).as_nanos() as f64 / 1e9)
                        }
                        _ => None,
                    },
                    paused_s: (r.paused
                        + r.paused_since.map_or(SimDuration::ZERO, |p| now.since(p)))
                    .as_nanos() as f64
                        / 1e9,
                    failed_changes: r.failed_changes,
                    bystander_requests: r.bystanders.finished(),
                    bystander_error_rate: err.unwrap_or(0.0),
                    bystander_p99_ms: p99
                        .filter(|&v| v < crate::measure::NO_SUCCESS)
                        .map(|v| v / 1e6),
                    waves: r
                        .waves_rec
                        .iter()
                        .map(|w| RolloutWaveRow {
                            name: w.name.clone(),
                            tenants: w.tenants as u32,
                            start_s: secs(w.start),
                            end_s: w.end.map(secs),
                            gate: if !r.spec.gated() || w.checks == 0 {
                                "not_judged"
                            } else if w.failed {
                                "fail"
                            } else {
                                "pass"
                            }
                            .to_string(),
                            worst: w.worst.map(metric_text),
                            worst_burn: w
                                .worst_burn
                                .map(crate::scenario::rollout_burn::format_burn),
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

impl Platform {
    /// Handles one rollout step.
    pub(super) fn on_rollout(&mut self, now: SimTime, i: u16, step: Step, q: &mut EventQueue<Ev>) {
        let Some(mut rt) = self.rollouts.take() else {
            return;
        };
        let i = i as usize;
        match step {
            Step::Launch => {
                if rt.runs[i].state == State::Pending {
                    let r = &mut rt.runs[i];
                    r.state = State::Running;
                    r.start = Some(now);
                    for b in &mut r.burn {
                        b.started(now);
                    }
                    self.trace_rollout(now, &rt.runs[i], "rollout_started", 0);
                    if let Some(g) = rt.runs[i].spec.gate_every_if_gated() {
                        q.schedule_in(
                            g,
                            Ev::Rollout {
                                rollout: i as u16,
                                step: Step::GateDue,
                            },
                        );
                    }
                    self.begin_wave(now, &mut rt, i, 0, q);
                } else {
                    rt.runs[i].resume_pending = false;
                    self.launch(now, &mut rt, i, q);
                }
            }
            Step::ChangeDone(t) => self.change_done(now, &mut rt, i, t, q),
            Step::DeployBatchDone { cell, undo } => {
                if self.deploy_batch_done(now, &mut rt, i, cell, undo, q) {
                    if undo {
                        self.undo_done(now, &mut rt, i, cell, q);
                    } else {
                        self.change_done(now, &mut rt, i, cell, q);
                    }
                }
            }
            Step::UndoDone(t) => self.undo_done(now, &mut rt, i, t, q),
            Step::GateDue => {
                if rt.runs[i].state == State::Running {
                    self.judge_gate(now, &mut rt, i, q);
                    if rt.runs[i].state == State::Running {
                        let g = rt.runs[i].spec.gate_every;
                        q.schedule_in(
                            g,
                            Ev::Rollout {
                                rollout: i as u16,
                                step: Step::GateDue,
                            },
                        );
                    }
                }
            }
            Step::BakeDone(w) => {
                if rt.runs[i].state == State::Running && rt.runs[i].wave == w as usize {
                    if rt.runs[i].spec.gated() {
                        self.judge_gate(now, &mut rt, i, q);
                    }
                    if rt.runs[i].state == State::Running {
                        rt.runs[i].waves_rec[w as usize].end = Some(now);
                        self.begin_wave(now, &mut rt, i, w as usize + 1, q);
                    }
                }
            }
        }
        self.rollouts = Some(rt);
    }

    fn begin_wave(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        w: usize,
        q: &mut EventQueue<Ev>,
    ) {
        let r = &mut rt.runs[i];
        if w >= r.waves.len() {
            r.state = State::Completed;
            r.end = Some(now);
            self.trace_rollout(now, &rt.runs[i], "rollout_completed", 0);
            return;
        }
        r.wave = w;
        r.queue = r.waves[w].iter().copied().collect();
        r.waves_rec.push(WaveRec {
            name: r.spec.groups[w].name.clone(),
            tenants: r.waves[w].len(),
            start: now,
            end: None,
            checks: 0,
            failed: false,
            worst: None,
            worst_burn: None,
        });
        self.trace_rollout(now, &rt.runs[i], "wave_started", w);
        if rt.runs[i].queue.is_empty() {
            rt.runs[i].waves_rec[w].end = Some(now);
            self.begin_wave(now, rt, i, w + 1, q);
            return;
        }
        self.launch(now, rt, i, q);
    }

    /// Starts changes (or undos) up to the parallelism, unless the control plane is down.
    fn launch(&mut self, now: SimTime, rt: &mut RolloutRt, i: usize, q: &mut EventQueue<Ev>) {
        let rolling_back = rt.runs[i].state == State::RollingBack;
        if rt.runs[i].state != State::Running && !rolling_back {
            return;
        }
        let par = rt.runs[i].spec.parallelism;
        loop {
            let r = &mut rt.runs[i];
            let (busy, left) = if rolling_back {
                (r.undo_in_flight, r.undo_queue.len())
            } else {
                (r.in_flight, r.queue.len())
            };
            if busy >= par || left == 0 {
                break;
            }
            if !self.ctl.up {
                // Paused: the control plane drives the rollout. Try again after a call timeout.
                if r.paused_since.is_none() {
                    r.paused_since = Some(now);
                    self.trace_rollout(now, &rt.runs[i], "rollout_paused", rt.runs[i].wave);
                }
                let r = &mut rt.runs[i];
                if std::mem::replace(&mut r.resume_pending, true) {
                    return;
                }
                q.schedule_in(
                    self.ctl.call_timeout,
                    Ev::Rollout {
                        rollout: i as u16,
                        step: Step::Launch,
                    },
                );
                return;
            }
            if let Some(p) = r.paused_since.take() {
                r.paused = r.paused + now.since(p);
                self.trace_rollout(now, &rt.runs[i], "rollout_resumed", rt.runs[i].wave);
            }
            let r = &mut rt.runs[i];
            let t = if rolling_back {
                r.undo_in_flight += 1;
                r.undo_queue.pop_front()
            } else {
                r.in_flight += 1;
                r.queue.pop_front()
            };
            let Some(t) = t else { break };
            self.start_change(now, rt, i, t, rolling_back, q);
        }
    }

    fn start_change(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        t: u32,
        undo: bool,
        q: &mut EventQueue<Ev>,
    ) {
        if let ChangeKind::Deploy { .. } = rt.runs[i].spec.change {
            // `t` is a cell: every tenant on it is changed by the restart.
            if !undo {
                let r = &mut rt.runs[i];
                for (x, &c) in self.tenant_cell.iter().enumerate() {
                    if c == t && !r.changed[x] {
                        r.changed[x] = true;
                        r.changed_count += 1;
                        r.change_cell[x] = t;
                    }
                }
                r.scope_cells[t as usize] = true;
            }
            self.deploy_start(now, rt, i, t, undo, q);
            return;
        }
        let cell = if undo {
            rt.runs[i].change_cell[t as usize]
        } else {
            self.tenant_cell[t as usize]
        };
        if !undo {
            let r = &mut rt.runs[i];
            r.changed[t as usize] = true;
            r.changed_count += 1;
            r.change_cell[t as usize] = cell;
            r.scope_cells[cell as usize] = true;
        }
        self.trace_tenant(
            now,
            t,
            if undo {
                "rollout_undo"
            } else {
                "rollout_change"
            },
            || vec![("cell", cell.into())],
        );
        let step = if undo {
            Step::UndoDone(t)
        } else {
            Step::ChangeDone(t)
        };
        let ev = Ev::Rollout {
            rollout: i as u16,
            step,
        };
        match rt.runs[i].spec.change.clone() {
            ChangeKind::Migration { rate, db_load, .. } => {
                rt.cell_load[cell as usize] += db_load;
                self.set_rollout_capacity(now, rt, cell, q);
                let secs = self.data_size[t as usize] / rate;
                q.schedule_in(SimDuration::from_secs_f64(secs), ev);
            }
            ChangeKind::Config {
                rate_limit,
                burst,
                items,
            } => {
                // The edge's limits go out through the control plane's config push.
                if rate_limit.is_some() || burst.is_some() {
                    let c = self.ctl.configs.limits_mut(t);
                    if undo {
                        let (r0, b0) = rt.runs[i].base_config[t as usize];
                        c.0 = r0;
                        c.1 = b0;
                    } else {
                        rt.runs[i].base_config[t as usize] = (c.0, c.1);
                        if rate_limit.is_some() {
                            c.0 = rate_limit;
                        }
                        if let Some(b) = burst {
                            c.1 = b;
                        }
                    }
                    self.publish_config(now, t, false, q);
                }
                if !items.is_empty() {
                    self.config_items(now, rt, (i, t, undo), q);
                }
                q.schedule_in(SimDuration::ZERO, ev);
            }
            // Handled above (a deploy changes cells, not tenants).
            ChangeKind::Deploy { .. } => {}
        }
    }

    /// Re-derives `cell`'s DB capacity with the rollouts' load (the faults' part is kept).
    fn set_rollout_capacity(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        cell: u32,
        q: &mut EventQueue<Ev>,
    ) {
        self.rollout_db_capacity[cell as usize] = rt.db_capacity_factor(cell);
        self.recompute_cell(now, cell, q);
    }

    fn change_done(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        t: u32,
        q: &mut EventQueue<Ev>,
    ) {
        rt.runs[i].in_flight = rt.runs[i].in_flight.saturating_sub(1);
        let mut failed = false;
        match rt.runs[i].spec.change.clone() {
            ChangeKind::Migration {
                db_load,
                query_factor,
                fail,
                ..
            } => {
                let cell = rt.runs[i].change_cell[t as usize];
                rt.cell_load[cell as usize] = (rt.cell_load[cell as usize] - db_load).max(0.0);
                self.set_rollout_capacity(now, rt, cell, q);
                failed = fail > 0.0 && rt.runs[i].rng.next_f64() < fail;
                if !failed {
                    rt.query_factor[t as usize] = query_factor;
                    rt.factors_on |= query_factor != 1.0;
                }
            }
            // A deploy's cell is done when its last batch came back (rollout_deploy.rs).
            ChangeKind::Config { .. } | ChangeKind::Deploy { .. } => {}
        }
        if failed {
            rt.runs[i].failed_changes += 1;
            self.trace_tenant(now, t, "rollout_change_failed", Vec::new);
        } else {
            rt.runs[i].applied[t as usize] = true;
        }
        match rt.runs[i].state {
            State::RollingBack => {
                if rt.runs[i].applied[t as usize] {
                    rt.runs[i].undo_queue.push_back(t);
                }
                self.launch(now, rt, i, q);
                self.maybe_rolled_back(now, rt, i);
                return;
            }
            State::Running => {}
            State::Pending | State::Halted | State::RolledBack | State::Completed => return,
        }
        if failed {
            let value = rt.runs[i].spec.value_text(1.0);
            self.gate_failed(now, rt, i, "migration failed".to_string(), value, q);
            if rt.runs[i].state != State::Running {
                return;
            }
        }
        self.launch(now, rt, i, q);
        let r = &rt.runs[i];
        if r.queue.is_empty() && r.in_flight == 0 && r.state == State::Running {
            q.schedule_in(
                r.spec.bake,
                Ev::Rollout {
                    rollout: i as u16,
                    step: Step::BakeDone(r.wave as u32),
                },
            );
        }
    }

    fn undo_done(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        t: u32,
        q: &mut EventQueue<Ev>,
    ) {
        rt.runs[i].undo_in_flight = rt.runs[i].undo_in_flight.saturating_sub(1);
        rt.runs[i].applied[t as usize] = false;
        match rt.runs[i].spec.change.clone() {
            ChangeKind::Migration { db_load, .. } => {
                let cell = rt.runs[i].change_cell[t as usize];
                rt.cell_load[cell as usize] = (rt.cell_load[cell as usize] - db_load).max(0.0);
                self.set_rollout_capacity(now, rt, cell, q);
                rt.query_factor[t as usize] = 1.0;
            }
            ChangeKind::Config { .. } | ChangeKind::Deploy { .. } => {}
        }
        self.launch(now, rt, i, q);
        self.maybe_rolled_back(now, rt, i);
    }

    fn maybe_rolled_back(&mut self, now: SimTime, rt: &mut RolloutRt, i: usize) {
        let r = &mut rt.runs[i];
        if r.state == State::RollingBack
            && r.undo_queue.is_empty()
            && r.undo_in_flight == 0
            && r.in_flight == 0
        {
            r.state = State::RolledBack;
            r.end = Some(now);
            self.trace_rollout(now, &rt.runs[i], "rollout_rolled_back", rt.runs[i].wave);
        }
    }

    /// Judges the gates over the requests finished since the last judgement: the objective
    /// gate first, then the burn-rate gates (which trip only if the objective did not: one
    /// failure per judgement).
    fn judge_gate(&mut self, now: SimTime, rt: &mut RolloutRt, i: usize, q: &mut EventQueue<Ev>) {
        let acc = std::mem::take(&mut rt.runs[i].gate_acc);
        let failed = self.judge_objective(now, rt, i, &acc, q);
        if !failed && !rt.runs[i].burn.is_empty() {
            self.judge_burn(now, rt, i, &acc, q);
        }
    }

    /// The objective gate over `acc`; whether it failed.
    fn judge_objective(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        acc: &Stats,
        q: &mut EventQueue<Ev>,
    ) -> bool {
        let r = &mut rt.runs[i];
        let Some(g) = r.spec.gate.clone() else {
            return false;
        };
        if acc.finished() < r.spec.gate_min_requests.max(1) {
            return false;
        }
        let Some(v) = acc.measure(g.metric) else {
            return false;
        };
        let w = r.wave;
        let rec = &mut r.waves_rec[w];
        rec.checks += 1;
        if rec
            .worst
            .is_none_or(|x| crate::measure::worse(g.cmp, g.bound, v, x))
        {
            rec.worst = Some(v);
        }
        if !g.cmp.holds(v, g.bound) {
            let value = crate::measure::format_value(g.metric, v);
            self.gate_failed(now, rt, i, g.text.clone(), value, q);
            return true;
        }
        false
    }

    /// The burn-rate gates over `acc`: each records the interval into its window and is
    /// judged over it; the first gate (in declaration order) that fails trips the rollout
    /// and is named. A wave's worst burn is the highest rate any gate measured.
    fn judge_burn(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        acc: &Stats,
        q: &mut EventQueue<Ev>,
    ) {
        let r = &mut rt.runs[i];
        let mut judged = false;
        let mut tripped = None;
        for (g, b) in r.spec.burns.iter().zip(r.burn.iter_mut()) {
            let Some(v) = b.judge(g, acc, now, r.spec.gate_min_requests) else {
                continue;
            };
            judged = true;
            let rec = &mut r.waves_rec[r.wave];
            if rec.worst_burn.is_none_or(|x| v.rate > x) {
                rec.worst_burn = Some(v.rate);
            }
            if v.fails && tripped.is_none() {
                let value = crate::scenario::rollout_burn::format_burn(v.rate);
                tripped = Some((g.text(), value));
            }
        }
        if judged {
            r.waves_rec[r.wave].checks += 1;
        }
        if let Some((what, value)) = tripped {
            self.gate_failed(now, rt, i, what, value, q);
        }
    }

    /// The gate failed (or a change did): record it and apply `on_error`.
    fn gate_failed(
        &mut self,
        now: SimTime,
        rt: &mut RolloutRt,
        i: usize,
        what: String,
        value: String,
        q: &mut EventQueue<Ev>,
    ) {
        let r = &mut rt.runs[i];
        let w = r.wave;
        r.waves_rec[w].failed = true;
        r.waves_rec[w].checks = r.waves_rec[w].checks.max(1);
        if r.first_bad_wave.is_none() {
            r.first_bad_wave = Some(w);
        }
        if r.tripped.is_none() {
            r.tripped = Some((what, value, now, w));
        }
        self.trace_rollout(now, &rt.runs[i], "gate_failed", w);
        let r = &mut rt.runs[i];
        match r.spec.on_error {
            OnError::Continue => {}
            OnError::Halt => {
                r.state = State::Halted;
                r.halted_at = Some(now);
                r.exposed_at_halt = Some(r.changed_count);
                r.end = Some(now);
                r.waves_rec[w].end = Some(now);
                r.queue.clear();
                self.trace_rollout(now, &rt.runs[i], "rollout_halted", w);
            }
            OnError::Rollback => {
                r.state = State::RollingBack;
                r.halted_at = Some(now);
                r.exposed_at_halt = Some(r.changed_count);
                r.waves_rec[w].end = Some(now);
                r.queue.clear();
                let n = r.applied.len() as u32;
                r.undo_queue = (0..n).filter(|&t| r.applied[t as usize]).collect();
                self.trace_rollout(now, &rt.runs[i], "rollout_halted", w);
                self.launch(now, rt, i, q);
                self.maybe_rolled_back(now, rt, i);
            }
        }
    }

    /// A rollout action as an instant in the trace, on the first tenant of the wave.
    fn trace_rollout(&mut self, now: SimTime, r: &RolloutRun, what: &'static str, w: usize) {
        if self.tracer.is_none() {
            return;
        }
        let Some(&unit) = r.waves.get(w).and_then(|x| x.first()) else {
            return;
        };
        let t = match r.spec.change {
            // A deploy's unit is a cell: the instant goes on a tenant of it.
            ChangeKind::Deploy { .. } => match r.plan_cells.iter().position(|&c| c == unit) {
                Some(x) => x as u32,
                None => return,
            },
            ChangeKind::Migration { .. } | ChangeKind::Config { .. } => unit,
        };
        let (name, wave) = (
            r.spec.name.clone(),
            r.spec
                .groups
                .get(w)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
        );
        let changed = r.changed_count;
        self.trace_tenant(now, t, what, || {
            vec![
                ("rollout", name.into()),
                ("wave", wave.into()),
                ("tenants_changed", changed.into()),
            ]
        });
    }
}

impl Rollout {
    fn gate_every_if_gated(&self) -> Option<SimDuration> {
        self.gated().then_some(self.gate_every)
    }

    /// A value the objective gate measured, in its unit (empty without an objective gate).
    fn value_text(&self, v: f64) -> String {
        self.gate
            .as_ref()
            .map_or_else(String::new, |g| crate::measure::format_value(g.metric, v))
    }
}
