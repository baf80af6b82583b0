//! # What faults do to the world
//!
//! The platform's only `match` on [`FaultKind`]: a fault starting or ending
//! ([`Ev::FaultStarted`], [`Ev::FaultEnded`]) sets or clears the state of the part it
//! perturbs (a cell's workers, DB capacity, errors and latency; a link's cut; the control
//! plane, the KMS, the jobs plane; a tenant's rate). Several faults may overlap: a cell's
//! and a tenant's degraded state is re-derived from every active fault on it, so ending one
//! leaves the others in force. What a kind *is* and *targets* lives in [`crate::fault`].

use super::{control, Ev, Platform};
use crate::component::link::Link;
use crate::fault::FaultKind;
use sim::{EventQueue, SimTime};

impl Platform {
    pub(super) fn on_fault(
        &mut self,
        now: SimTime,
        fault: u32,
        active: bool,
        q: &mut EventQueue<Ev>,
    ) {
        if self.faults[fault as usize].disabled {
            return;
        }
        if let Some(tr) = self.tracer.as_deref_mut() {
            tr.fault(now, fault, active, &self.tenant_cell);
        }
        self.faults[fault as usize].active = active;
        match &self.faults[fault as usize].kind {
            FaultKind::HotTenant { .. } => {
                let Some(t) = self.faults[fault as usize].tenant else {
                    return;
                };
                self.recompute_tenant(t, q);
            }
            FaultKind::DependencyLatency { cells, .. }
            | FaultKind::DependencyErrors { cells, .. }
            | FaultKind::DbDegraded { cells, .. }
            | FaultKind::WorkersLost { cells, .. } => {
                for c in cells.clone() {
                    self.recompute_cell(now, c, q);
                }
            }
            FaultKind::ControlPlaneOutage => {
                self.ctl.up = !active;
                if !active {
                    self.on_control_plane_recovered(now, q);
                }
            }
            FaultKind::KmsOutage => self.kms.up = !active,
            FaultKind::KmsKeyDisabled { .. } => {
                if let Some(t) = self.faults[fault as usize].tenant {
                    self.kms.enabled[t as usize] = !active;
                }
            }
            FaultKind::Partition { kind, cells, mode } => {
                use crate::fault::PartitionKind as P;
                let cut = Link::partitioned(active, *mode);
                let (kind, cells) = (*kind, cells.clone());
                match kind {
                    P::EdgeControlPlane => self.ctl.edge_cut = cut,
                    P::CellDb => cells
                        .iter()
                        .for_each(|&c| self.cells[c as usize].db_cut = cut),
                    P::EdgeCell => cells
                        .iter()
                        .for_each(|&c| self.cells[c as usize].edge_cut = cut),
                    P::CellKms => cells.iter().for_each(|&c| self.kms.cut[c as usize] = cut),
                    P::CellObjectStorage => cells
                        .iter()
                        .for_each(|&c| self.jobs.storage_cut[c as usize] = cut),
                }
                if !active {
                    // A `delay` cut healed: what it held is delivered now.
                    self.release_held(now, kind, &cells, q);
                }
            }
            FaultKind::TenantMigration { .. } => {
                if active {
                    self.run_cp_op(now, control::CpOp::Migrate(fault), q);
                }
            }
            FaultKind::ConfigPush { .. } => {
                // The change lasts the fault's window: its end publishes the old limits.
                let op = if active {
                    control::CpOp::ConfigChange(fault)
                } else {
                    control::CpOp::ConfigRevert(fault)
                };
                self.run_cp_op(now, op, q);
            }
            FaultKind::SuspendTenant { .. } => {
                let Some(t) = self.faults[fault as usize].tenant else {
                    return;
                };
                if active {
                    if self.ctl.state(t).is_some_and(|s| s.serves_traffic()) {
                        self.transition(
                            now,
                            t,
                            crate::component::lifecycle::TenantState::SuspensionPending,
                            crate::component::lifecycle::Cause::Operator,
                        );
                        self.run_cp_op(now, control::CpOp::Suspend(t, true), q);
                    }
                } else {
                    self.run_cp_op(now, control::CpOp::Suspend(t, false), q);
                }
            }
            FaultKind::TenantOp { op, .. } => {
                let op = *op;
                if let (true, Some(t)) = (active, self.faults[fault as usize].tenant) {
                    self.lifecycle_op_requested(now, t, op, fault, q);
                }
            }
            FaultKind::CellOutage { cells } => {
                for &c in cells.clone().iter() {
                    self.ctl.down[c as usize] = active;
                    if active {
                        self.cell_went_down(now, c, q);
                    } else {
                        self.cell_came_up(now, c, q);
                    }
                    // A restart closes the cell's DB connections (`[data_architecture]`).
                    if active && self.data.on {
                        self.data_cell_restarted(now, c, q);
                    }
                }
            }
            FaultKind::PoisonJobs { fraction, .. } => {
                let f = *fraction;
                if let Some(t) = self.faults[fault as usize].tenant {
                    self.jobs.poison[t as usize] = if active { f } else { 0.0 };
                }
            }
        }
    }

    /// Re-derives a tenant's rate factor and class mix from the active faults on it.
    fn recompute_tenant(&mut self, t: u32, q: &mut EventQueue<Ev>) {
        let mut factor = 1.0;
        let mut mix = None;
        for f in self
            .faults
            .iter()
            .filter(|f| f.active && f.tenant == Some(t))
        {
            if let FaultKind::HotTenant { factor: k, .. } = &f.kind {
                factor *= k;
                if f.mix.is_some() {
                    mix = f.mix;
                }
            }
        }
        let src = &mut self.sources[t as usize];
        src.fault_factor = factor;
        src.mix = mix.unwrap_or(src.base_mix);
        self.schedule_arrival(t, q);
    }

    /// Re-derives a cell's degraded state from the active faults on it.
    pub(super) fn recompute_cell(&mut self, now: SimTime, cell: u32, q: &mut EventQueue<Ev>) {
        let mut capacity = 1.0;
        let mut lost = 0u32;
        let mut errors = std::mem::take(&mut self.cells[cell as usize].errors);
        errors.clear();
        let mut latency = None;
        for f in self.faults.iter().filter(|f| f.active) {
            match &f.kind {
                FaultKind::DbDegraded { cells, capacity: k } if cells.contains(&cell) => {
                    capacity *= k
                }
                FaultKind::WorkersLost { cells, count } if cells.contains(&cell) => lost += count,
                FaultKind::DependencyErrors {
                    cells, fraction, ..
                } if cells.contains(&cell) => errors.push((f.tenant, *fraction)),
                FaultKind::DependencyLatency { cells, latency: d } if cells.contains(&cell) => {
                    latency = Some(d.clone())
                }
                // Faults on other cells, and kinds that do not degrade a cell's resources.
                FaultKind::DbDegraded { .. }
                | FaultKind::WorkersLost { .. }
                | FaultKind::DependencyErrors { .. }
                | FaultKind::DependencyLatency { .. }
                | FaultKind::HotTenant { .. }
                | FaultKind::ControlPlaneOutage
                | FaultKind::KmsKeyDisabled { .. }
                | FaultKind::KmsOutage
                | FaultKind::Partition { .. }
                | FaultKind::TenantMigration { .. }
                | FaultKind::ConfigPush { .. }
                | FaultKind::SuspendTenant { .. }
                | FaultKind::TenantOp { .. }
                | FaultKind::CellOutage { .. }
                | FaultKind::PoisonJobs { .. } => {}
            }
        }
        // Rollouts' migrations take a share of the DB (the vector is empty without rollouts).
        if let Some(k) = self.rollout_db_capacity.get(cell as usize) {
            capacity *= k;
        }
        // Tenant moves' backfills take a share of the DB (1 without move costs).
        capacity *= self
            .ctl
            .moves
            .db_factor(cell, self.cells[cell as usize].db.cores());
        // Tenant pools open beyond the cell's own pool size (data_arch.rs; 1 without).
        if self.data.on {
            capacity *= self.data.db_factor(cell);
        }
        // Connections an autoscaler opened beyond the cell's own pool (autoscale.rs).
        if let Some(a) = self.autoscale.as_deref() {
            capacity *= a.db_factor(cell, self.cells[cell as usize].db.connections());
        }
        // A deploy rollout's restart takes workers out (the vector is empty without one).
        if let Some(k) = self.rollout_workers_lost.get(cell as usize) {
            lost += k;
        }
        let c = &mut self.cells[cell as usize];
        c.workers = c.base_workers.saturating_sub(lost);
        c.errors = errors;
        c.latency = latency;
        c.db.set_capacity(now, capacity);
        // The control plane sees the cell's health (its metrics), so placement plans on the
        // capacity the cell has now.
        if let Some(cost) = self.ctl.request_cost {
            self.ctl.cell_views[cell as usize].capacity =
                cost.cell_capacity(c.workers, c.db.connections(), c.db.cores() as u32, capacity);
        }
        // Shards and tier servers are the cell's DB too (db_servers.rs).
        if self.servers.on {
            self.servers_set_capacity(now, cell, capacity, q);
        }
        self.reschedule_db(now, cell, q);
        self.pull_from_queue(now, cell, q);
    }
}
