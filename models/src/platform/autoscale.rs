//! The worker autoscaler: a periodic control loop that sizes each cell's workers to a target
//! utilisation, and whose new workers open connections on the cell's DB.
//!
//! ```text
//!  AutoscaleDue every `interval` / 5: each cell's (busy + queued) / workers is sampled
//!  every 5th tick (control plane up), for each live cell not in cooldown:
//!    u = the mean of its last 5 samples                 (like a metrics scrape, smoothed)
//!    desired = clamp(ceil(workers × u / target), min_workers, max_workers)
//!    desired > workers, no batch pending ─▶ AutoscaleWorkersReady after scale_up_delay:
//!        workers += n; DB pool = own pool + connections_per_worker × (workers − own workers),
//!        never past max_db_connections; queue limit = own limit + queue_per_worker ×
//!        (workers − own workers); action `scale_up`
//!    desired < workers ─▶ at once: workers −= n (busy ones finish first), pool and queue
//!        limit shrink the same way (what is queued stays); action `scale_down`
//! ```
//!
//! **The queue follows the workers.** A cell's `queue_limit` bounds what waits for its
//! workers; the autoscaler keeps its depth per worker (by default the cell's own
//! `queue_limit / workers`; `queue_per_worker` sets it), so a scaled-up cell does not shed
//! `queue_full` at the size of the cell it was, and a scaled-down one does not queue for
//! the workers it no longer has. The limit never goes below 1.
//!
//! **Why it can hurt.** Workers block on their DB query, so a saturated DB shows as busy
//! workers and the autoscaler adds more. Each new worker opens `connections_per_worker`
//! connections: more queries share the DB's cores at once (processor sharing: each one
//! slower, for every tenant of the cell), and each connection beyond the cell's own pool
//! costs `connection_overhead` of the DB's capacity (floored at 5%). A `max_db_connections`
//! cap keeps the pool — and the overhead — bounded: the extra workers then wait for a
//! connection instead of crowding the DB.
//!
//! **Cost and determinism.** With the autoscaler off ([`Autoscaler`] absent) nothing is
//! scheduled and the request path is untouched; on, it is two event kinds off the request
//! path. It draws no random number. Decisions on cells are taken in cell order.

use super::actions::Action;
use super::{Ev, Platform};
use crate::scenario::autoscale::Autoscale;
use sim::{EventQueue, SimDuration, SimTime};

/// A scale-up decided and not yet serving.
#[derive(Clone, Debug)]
struct Pending {
    start: SimTime,
    add: u32,
    reason: String,
}

/// Samples of utilisation averaged per decision.
const SAMPLES: u32 = 5;

/// Runtime state of the autoscaler (present only when the scenario turns it on).
pub struct Autoscaler {
    cfg: Autoscale,
    /// Ticks so far (a decision every [`SAMPLES`]th).
    tick: u32,
    /// Per cell: the sum of the utilisation samples since the last decision.
    sum: Vec<f64>,
    /// Per cell: its own (configured) workers and DB pool.
    own: Vec<(u32, u32)>,
    /// Per cell: its own queue limit (read from the cell at its first resize: nothing else
    /// changes it).
    own_queue: Vec<Option<u32>>,
    /// Per cell: the scale-up batch on its way.
    pending: Vec<Option<Pending>>,
    /// Per cell: no decision before this.
    quiet_until: Vec<SimTime>,
    /// Per cell: the most workers it had.
    pub peak_workers: Vec<u32>,
}

impl Autoscaler {
    /// The autoscaler of a run whose cells have `own` (workers, DB pool), or `None` when off.
    pub(super) fn build(cfg: Option<&Autoscale>, own: Vec<(u32, u32)>) -> Option<Box<Self>> {
        let cfg = cfg?.clone();
        let n = own.len();
        Some(Box::new(Autoscaler {
            cfg,
            tick: 0,
            sum: vec![0.0; n],
            peak_workers: own.iter().map(|o| o.0).collect(),
            own_queue: vec![None; n],
            own,
            pending: vec![None; n],
            quiet_until: vec![SimTime::ZERO; n],
        }))
    }

    /// The first sample.
    pub(super) fn first_tick(&self) -> SimTime {
        SimTime(self.sample_every().as_nanos())
    }

    fn sample_every(&self) -> SimDuration {
        SimDuration((self.cfg.interval.as_nanos() / u64::from(SAMPLES)).max(1))
    }

    fn min_workers(&self, cell: u32) -> u32 {
        self.cfg.min_workers.unwrap_or(self.own[cell as usize].0)
    }

    fn max_workers(&self, cell: u32) -> u32 {
        let own = self.own[cell as usize].0;
        self.cfg
            .max_workers
            .unwrap_or_else(|| own.saturating_mul(4))
            .max(self.min_workers(cell))
    }

    /// The DB pool of `cell` with `workers` workers.
    fn pool(&self, cell: u32, workers: u32) -> u32 {
        let (w0, p0) = self.own[cell as usize];
        let delta =
            (i64::from(workers) - i64::from(w0)) * i64::from(self.cfg.connections_per_worker);
        let grown = (i64::from(p0) + delta).clamp(1, i64::from(u32::MAX)) as u32;
        match self.cfg.max_db_connections {
            // A cap never shrinks the cell's own pool.
            Some(cap) if grown > p0 => grown.min(cap.max(p0)),
            _ => grown,
        }
    }

    /// The queue limit of `cell` with `workers` workers (`None`: its own limit not read yet).
    fn queue_limit(&self, cell: u32, workers: u32) -> Option<u32> {
        let q0 = (*self.own_queue.get(cell as usize)?)?;
        let w0 = self.own[cell as usize].0.max(1);
        let per = self.cfg.queue_per_worker.unwrap_or(q0 / w0);
        let delta = (i64::from(workers) - i64::from(w0)) * i64::from(per);
        Some((i64::from(q0) + delta).clamp(1, i64::from(u32::MAX)) as u32)
    }

    /// The factor on `cell`'s DB capacity from the connections opened beyond its own pool
    /// (1 when none). `faults::recompute_cell` multiplies it in.
    pub(super) fn db_factor(&self, cell: u32, pool: u32) -> f64 {
        let extra = pool.saturating_sub(self.own[cell as usize].1);
        (1.0 - self.cfg.connection_overhead * f64::from(extra)).max(0.05)
    }
}

impl Platform {
    /// The autoscaler's tick: sample every cell; every [`SAMPLES`]th tick, evaluate every
    /// cell, in cell order.
    pub(super) fn on_autoscale_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(a) = self.autoscale.as_deref_mut() else {
            return;
        };
        q.schedule_at(now.after(a.sample_every()), Ev::AutoscaleDue);
        for (s, c) in a.sum.iter_mut().zip(&self.cells) {
            let demand = f64::from(c.busy) + c.queue.len() as f64;
            *s += demand / f64::from(c.base_workers.max(1));
        }
        a.tick += 1;
        if !a.tick.is_multiple_of(SAMPLES) {
            return;
        }
        // The autoscaler is part of the control plane: it does nothing while that is down.
        for cell in 0..self.cells.len() as u32 {
            let u = self
                .autoscale
                .as_deref_mut()
                .map_or(0.0, |a| std::mem::take(&mut a.sum[cell as usize]))
                / f64::from(SAMPLES);
            if self.ctl.up {
                self.autoscale_cell(now, cell, u, q);
            }
        }
    }

    fn autoscale_cell(&mut self, now: SimTime, cell: u32, u: f64, q: &mut EventQueue<Ev>) {
        let Some(a) = self.autoscale.as_deref() else {
            return;
        };
        let i = cell as usize;
        if self.ctl.down[i] || a.pending[i].is_some() || now < a.quiet_until[i] {
            return;
        }
        let current = self.cells[i].base_workers;
        let want = libm::ceil(f64::from(current) * u / a.cfg.target - 1e-9);
        let desired = (want.max(0.0).min(u32::MAX as f64) as u32)
            .clamp(a.min_workers(cell), a.max_workers(cell));
        if desired == current {
            return;
        }
        // A kind of change turned off (`explain --without scale_up|scale_down`): no change,
        // and no cooldown either, as if the autoscaler had not looked.
        if (desired > current && !a.cfg.allow_scale_up)
            || (desired < current && !a.cfg.allow_scale_down)
        {
            return;
        }
        let reason = format!(
            "utilisation {:.0}% vs target {:.0}%: {current} → {desired} workers",
            u * 100.0,
            a.cfg.target * 100.0
        );
        let (delay, cooldown) = (a.cfg.scale_up_delay, a.cfg.cooldown);
        let Some(a) = self.autoscale.as_deref_mut() else {
            return;
        };
        a.quiet_until[i] = now.after(cooldown);
        if desired > current {
            a.pending[i] = Some(Pending {
                start: now,
                add: desired - current,
                reason,
            });
            q.schedule_at(now.after(delay), Ev::AutoscaleWorkersReady { cell });
        } else {
            self.resize_cell(now, cell, desired, q);
            self.record_action(Action {
                start: now,
                end: now,
                kind: "scale_down",
                tenant: None,
                cell: Some(cell),
                to: None,
                reason,
                outcome: "removed",
            });
        }
    }

    /// A scale-up batch of `cell` is ready: its workers serve and hold their connections.
    pub(super) fn on_autoscale_workers_ready(
        &mut self,
        now: SimTime,
        cell: u32,
        q: &mut EventQueue<Ev>,
    ) {
        let Some(p) = self
            .autoscale
            .as_deref_mut()
            .and_then(|a| a.pending[cell as usize].take())
        else {
            return;
        };
        let to = self.cells[cell as usize].base_workers.saturating_add(p.add);
        self.resize_cell(now, cell, to, q);
        self.record_action(Action {
            start: p.start,
            end: now,
            kind: "scale_up",
            tenant: None,
            cell: Some(cell),
            to: None,
            reason: p.reason,
            outcome: "added",
        });
    }

    /// Gives `cell` `workers` workers and the DB pool they hold, then lets the fault state
    /// re-derive what it serves with (lost workers, DB capacity with the overhead).
    fn resize_cell(&mut self, now: SimTime, cell: u32, workers: u32, q: &mut EventQueue<Ev>) {
        let Some(a) = self.autoscale.as_deref_mut() else {
            return;
        };
        let pool = a.pool(cell, workers);
        let own_queue = &mut a.own_queue[cell as usize];
        if own_queue.is_none() {
            *own_queue = Some(self.cells[cell as usize].queue_limit() as u32);
        }
        let peak = &mut a.peak_workers[cell as usize];
        *peak = (*peak).max(workers);
        let queue = a.queue_limit(cell, workers);
        let c = &mut self.cells[cell as usize];
        c.base_workers = workers;
        c.db.set_connections(now, pool);
        if let Some(limit) = queue {
            c.set_queue_limit(limit as usize, workers);
        }
        self.recompute_cell(now, cell, q);
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the pool an autoscaled cell holds and the DB overhead it pays follow the
    //! settings (growth per worker, the cap, the overhead's floor). Method: an autoscaler on
    //! one cell of 8 workers and 16 connections, asked for various worker counts.
    use super::*;
    use sim::SimDuration;

    fn cfg(cpw: u32, cap: Option<u32>, overhead: f64) -> Autoscale {
        Autoscale {
            interval: SimDuration::from_secs(10),
            target: 0.6,
            scale_up_delay: SimDuration::from_secs(30),
            cooldown: SimDuration::from_secs(60),
            min_workers: Some(2),
            max_workers: None,
            connections_per_worker: cpw,
            max_db_connections: cap,
            connection_overhead: overhead,
            queue_per_worker: None,
            allow_scale_up: true,
            allow_scale_down: true,
        }
    }

    #[test]
    fn the_pool_grows_with_workers_up_to_the_cap() {
        let a = Autoscaler::build(Some(&cfg(2, None, 0.01)), vec![(8, 16)]).unwrap();
        assert_eq!(a.pool(0, 8), 16);
        assert_eq!(a.pool(0, 20), 40);
        assert_eq!(a.pool(0, 4), 8);
        assert_eq!(a.max_workers(0), 32);
        assert!((a.db_factor(0, 40) - 0.76).abs() < 1e-9);
        assert!((a.db_factor(0, 16) - 1.0).abs() < 1e-12);
        assert!((a.db_factor(0, 1000) - 0.05).abs() < 1e-12);
        let capped = Autoscaler::build(Some(&cfg(2, Some(24), 0.01)), vec![(8, 16)]).unwrap();
        assert_eq!(capped.pool(0, 20), 24);
        // A cap below the cell's own pool does not shrink it.
        let low = Autoscaler::build(Some(&cfg(2, Some(4), 0.0)), vec![(8, 16)]).unwrap();
        assert_eq!(low.pool(0, 20), 16);
        assert!(Autoscaler::build(None, vec![(8, 16)]).is_none());
    }

    /// Goal: the queue limit keeps its depth per worker as workers come and go, or follows
    /// `queue_per_worker`, and never reaches 0. Method: a cell of 8 workers and a queue of
    /// 100, asked for various worker counts, with the default ratio (12 per worker), with 50
    /// per worker, and with 0 (the queue keeps its size).
    #[test]
    fn the_queue_follows_the_workers() {
        let mut a = Autoscaler::build(Some(&cfg(1, None, 0.0)), vec![(8, 16)]).unwrap();
        assert_eq!(
            a.queue_limit(0, 20),
            None,
            "unknown until read from the cell"
        );
        a.own_queue[0] = Some(100);
        assert_eq!(a.queue_limit(0, 8), Some(100));
        assert_eq!(a.queue_limit(0, 20), Some(100 + 12 * 12));
        assert_eq!(a.queue_limit(0, 2), Some(100 - 6 * 12));
        let mut c = cfg(1, None, 0.0);
        c.queue_per_worker = Some(50);
        let mut b = Autoscaler::build(Some(&c), vec![(8, 16)]).unwrap();
        b.own_queue[0] = Some(100);
        assert_eq!(b.queue_limit(0, 10), Some(200));
        assert_eq!(b.queue_limit(0, 1), Some(1), "never below one slot");
        c.queue_per_worker = Some(0);
        let mut z = Autoscaler::build(Some(&c), vec![(8, 16)]).unwrap();
        z.own_queue[0] = Some(100);
        assert_eq!(z.queue_limit(0, 32), Some(100));
    }
}
