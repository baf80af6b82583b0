//! Fleet scale-out: the control plane provisions a spare cell when the fleet is busy, and
//! new tenants are placed on it from then on.
//!
//! ```text
//!  ScaleOutDue every `interval`: fleet utilisation = DB busy core time of the provisioned
//!  cells in the interval / (their cores × interval)
//!    control plane up, loop enabled, no cell on its way, utilisation ≥ threshold:
//!      a spare cell left ─▶ CellProvisioned after `delay`: the cell takes tenants (placement
//!                           of provisioned, restored and moved tenants); action `scale_out`
//!                           outcome `added`, its duration the delay
//!      none left          ─▶ action `scale_out` outcome `no_spare` (once)
//! ```
//!
//! **New cells.** With `max_cells`, the cells past the declared ones were added to the
//! platform when the scenario was loaded (sized by the template) and counted as spare cells
//! (`scenario/validate/scale_out.rs`): this loop provisions them like the declared spares,
//! after them, and records `no_spare` at the max.
//!
//! **Spare cells.** The last `spare_cells` of `platform.cells` exist in the model from the
//! start (their workers, DB and heartbeats) but are not provisioned: the initial placement and
//! every later placement leave them out (`allowed_cells.rs`) until this loop opens them, in
//! cell order. Existing tenants are not moved by it: the rebalancer (if on) may move them,
//! and newly provisioned tenants go where the policy sends them (an empty new cell, for a
//! load-aware policy).
//!
//! **Cost and determinism.** Without `[control_plane.scale_out]` nothing exists and nothing is
//! scheduled. On, one event per interval, off the request path; it draws nothing.

use super::actions::Action;
use super::{Ev, Platform};
use crate::scenario::scale_out::ScaleOut;
use sim::{EventQueue, SimTime};

/// Runtime state of fleet scale-out (present only with `[control_plane.scale_out]`).
pub struct FleetScaler {
    cfg: ScaleOut,
    /// Each cell's DB busy core-ns at the last measurement.
    last_busy: Vec<f64>,
    /// The next spare cell to provision.
    next: u32,
    /// The cell on its way: (decided at, cell, reason).
    pending: Option<(SimTime, u32, String)>,
    /// `no_spare` was recorded.
    exhausted: bool,
    /// Cells provisioned so far.
    pub added: u32,
}

impl FleetScaler {
    /// The scaler of a run of `cells` cells, or `None` without the table.
    pub(super) fn build(cfg: Option<&ScaleOut>, cells: u32) -> Option<Box<Self>> {
        let cfg = cfg?.clone();
        Some(Box::new(FleetScaler {
            next: cfg.first_spare(cells),
            cfg,
            last_busy: vec![0.0; cells as usize],
            pending: None,
            exhausted: false,
            added: 0,
        }))
    }

    /// The first measurement (`None`: the loop is off; spare cells stay dark).
    pub(super) fn first_tick(&self) -> Option<SimTime> {
        self.cfg
            .enabled
            .then_some(SimTime(self.cfg.interval.as_nanos()))
    }
}

impl Platform {
    /// Measures the fleet and decides whether to provision the next spare cell.
    pub(super) fn on_scale_out_due(&mut self, now: SimTime, q: &mut EventQueue<Ev>) {
        let Some(fs) = self.ctl.scale_out.as_deref_mut() else {
            return;
        };
        let secs = fs.cfg.interval.as_secs_f64();
        let (mut busy, mut cores) = (0.0, 0.0);
        for (c, cell) in self.cells.iter().enumerate() {
            let b = cell.db.busy_core_ns();
            if self.ctl.allowed.provisioned(c as u32) {
                busy += b - fs.last_busy[c];
                cores += cell.db.cores();
            }
            fs.last_busy[c] = b;
        }
        let next = now.after(fs.cfg.interval);
        if next <= self.end {
            q.schedule_at(next, Ev::ScaleOutDue);
        }
        let util = busy / (cores * secs * 1e9).max(f64::MIN_POSITIVE);
        if !self.ctl.up || fs.pending.is_some() || util < fs.cfg.threshold {
            return;
        }
        let reason = format!(
            "fleet DB {:.0}% busy (threshold {:.0}%)",
            util * 100.0,
            fs.cfg.threshold * 100.0
        );
        if (fs.next as usize) < self.cells.len() {
            let cell = fs.next;
            fs.next += 1;
            fs.pending = Some((now, cell, reason));
            q.schedule_at(now.after(fs.cfg.delay), Ev::CellProvisioned { cell });
        } else if !fs.exhausted {
            fs.exhausted = true;
            self.record_action(Action {
                start: now,
                end: now,
                kind: "scale_out",
                tenant: None,
                cell: None,
                to: None,
                reason,
                outcome: "no_spare",
            });
        }
    }

    /// A spare cell is provisioned: it takes tenants from now on.
    pub(super) fn on_cell_provisioned(&mut self, now: SimTime, cell: u32) {
        let Some(fs) = self.ctl.scale_out.as_deref_mut() else {
            return;
        };
        let Some((start, _, reason)) = fs.pending.take() else {
            return;
        };
        fs.added += 1;
        self.ctl.allowed.open(cell);
        self.record_action(Action {
            start,
            end: now,
            kind: "scale_out",
            tenant: None,
            cell: Some(cell),
            to: None,
            reason,
            outcome: "added",
        });
    }
}
