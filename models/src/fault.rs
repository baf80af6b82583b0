//! # The fault catalogue: what each fault kind is, takes and targets
//!
//! A fault is an injected cause on the scenario's timeline (`[[faults]]`). This module is
//! the one home of the concept:
//!
//! | what | where |
//! |---|---|
//! | the kinds, their settings and names | [`FaultKind`], [`KINDS`] (the keys each kind takes) |
//! | their targets (tenants, cells) | [`FaultKind::targets`], [`FaultKind::watched_tenant`] |
//! | how a kind is written and checked | `scenario/faults.rs` |
//! | what it does to the world | `platform/faults.rs` (the platform's only match on a kind) |
//!
//! Every `match` on [`FaultKind`] is exhaustive: a new kind does not compile until each of
//! these places says what it means for it.
//!
//! To add a kind: a variant and its arms here, a [`KINDS`] row, its parsing arm in
//! `scenario/faults.rs`, its effect in `platform/faults.rs`, and a row in `scenarios/README.md`.

pub mod drawn;

use sim::{Dist, SimTime};

/// The two sides of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionKind {
    /// Edges cannot reach the control plane.
    EdgeControlPlane,
    /// Cells cannot reach their DB.
    CellDb,
    /// Cells cannot reach the KMS.
    CellKms,
    /// Cells cannot reach object storage.
    CellObjectStorage,
    /// Edges cannot reach cells.
    EdgeCell,
}

impl PartitionKind {
    /// The pair as written.
    pub fn name(self) -> &'static str {
        match self {
            PartitionKind::EdgeControlPlane => "edge|control_plane",
            PartitionKind::CellDb => "cell|db",
            PartitionKind::CellKms => "cell|kms",
            PartitionKind::CellObjectStorage => "cell|object_storage",
            PartitionKind::EdgeCell => "edge|cell",
        }
    }
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// A tenant's offered rate is multiplied by `factor` (and its class mix optionally
    /// replaced) during the window.
    HotTenant {
        /// Tenant id.
        tenant: String,
        /// Rate multiplier.
        factor: f64,
        /// Class shares during the fault (normalised), if changed.
        mix: Option<Vec<f64>>,
    },
    /// Every DB query in the cells takes this much extra time, holding its connection.
    DependencyLatency {
        /// Target cells.
        cells: Vec<u32>,
        /// Added latency (ns).
        latency: Dist,
    },
    /// A fraction of DB queries in the cells fail (only one tenant's, if `tenant` is set:
    /// a dependency failing for one tenant, like a disabled key).
    DependencyErrors {
        /// Target cells.
        cells: Vec<u32>,
        /// Failing fraction.
        fraction: f64,
        /// Only this tenant's queries.
        tenant: Option<String>,
    },
    /// The cells' DBs run at a fraction of their capacity (a bad migration).
    DbDegraded {
        /// Target cells.
        cells: Vec<u32>,
        /// Remaining capacity in (0, 1].
        capacity: f64,
    },
    /// The cells lose workers.
    WorkersLost {
        /// Target cells.
        cells: Vec<u32>,
        /// Workers lost per cell.
        count: u32,
    },
    /// The control plane answers nothing.
    ControlPlaneOutage,
    /// A tenant's KMS key is disabled.
    KmsKeyDisabled {
        /// Tenant id.
        tenant: String,
    },
    /// The KMS answers nothing.
    KmsOutage,
    /// Calls between two component classes fail.
    Partition {
        /// Which sides.
        kind: PartitionKind,
        /// Cells on the cell side.
        cells: Vec<u32>,
        /// How calls across the cut fail: blackhole (default), drop or delay.
        mode: crate::component::link::CutMode,
    },
    /// The control plane moves a tenant to another cell (starts at `at`).
    TenantMigration {
        /// Tenant id.
        tenant: String,
        /// Destination cell.
        to_cell: u32,
        /// Backfill throughput (bytes/s).
        backfill_rate: f64,
        /// The old cell rejects writes for tenants it no longer owns.
        reject_misrouted: bool,
    },
    /// A tenant's limits change through the control plane.
    ConfigPush {
        /// Tenant id.
        tenant: String,
        /// New rate limit.
        rate_limit: Option<f64>,
        /// New burst.
        burst: Option<u32>,
        /// Propagate fast.
        urgent: bool,
    },
    /// A tenant is suspended for the window, then reinstated.
    SuspendTenant {
        /// Tenant id.
        tenant: String,
    },
    /// Cells stop: no heartbeats, requests to them fail.
    CellOutage {
        /// Target cells.
        cells: Vec<u32>,
    },
    /// A fraction of a tenant's jobs always fail (poison jobs).
    PoisonJobs {
        /// Tenant id.
        tenant: String,
        /// Fraction of its jobs that are poison.
        fraction: f64,
    },
    /// An operator's lifecycle operation on a tenant at an instant (`suspend`, `resume`,
    /// `destroy`, `restore`; `platform/lifecycle_ops.rs`). It has no window: its effect
    /// lasts until another operation undoes it.
    TenantOp {
        /// Tenant id.
        tenant: String,
        /// Which operation.
        op: LifecycleOp,
    },
}

/// A lifecycle operation an operator runs on a tenant (the `kind` of its fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleOp {
    /// Stop serving the tenant (its requests get `tenant_suspended`); data kept.
    Suspend,
    /// Serve a suspended tenant again.
    Resume,
    /// Delete the tenant: its live data at once, its backup after the retention.
    Destroy,
    /// Bring a destroyed tenant back from its backup while the retention lasts.
    Restore,
}

impl LifecycleOp {
    /// Every operation, in the order of [`KINDS`].
    pub const ALL: [LifecycleOp; 4] = [
        LifecycleOp::Suspend,
        LifecycleOp::Resume,
        LifecycleOp::Destroy,
        LifecycleOp::Restore,
    ];

    /// The kind as written in files (and the action kind it is logged as).
    pub const fn name(self) -> &'static str {
        match self {
            LifecycleOp::Suspend => "suspend",
            LifecycleOp::Resume => "resume",
            LifecycleOp::Destroy => "destroy",
            LifecycleOp::Restore => "restore",
        }
    }

    /// The operation written as `kind`, if it is one.
    pub fn from_name(kind: &str) -> Option<LifecycleOp> {
        LifecycleOp::ALL.into_iter().find(|o| o.name() == kind)
    }

    /// A small code (the control-plane operation word carries it).
    pub const fn code(self) -> u64 {
        self as u64
    }
}

/// The catalogue: every fault kind as written in files, in the order error messages list
/// them, with the keys it takes (besides `name`, `kind` and its window). A key a kind does not
/// take is a located error naming this list; a kind not in it is an error naming
/// [`known_kinds`]. `tests::every_kind_has_a_row` ties this table to [`FaultKind::name`].
pub const KINDS: [(&str, &[&str]); 18] = [
    ("hot_tenant", &["tenant", "factor", "mix"]),
    ("dependency_latency", &["cell", "cells", "latency"]),
    (
        "dependency_errors",
        &["cell", "cells", "fraction", "tenant"],
    ),
    ("db_degraded", &["cell", "cells", "capacity"]),
    ("workers_lost", &["cell", "cells", "count"]),
    // `name` is no fault key: these kinds take none of the optional keys.
    ("control_plane_outage", &["name"]),
    ("kms_key_disabled", &["tenant"]),
    ("kms_outage", &["name"]),
    ("partition", &["between", "mode", "cell", "cells"]),
    (
        "tenant_migration",
        &["tenant", "to_cell", "backfill_rate", "reject_misrouted"],
    ),
    ("config_push", &["tenant", "rate_limit", "burst", "urgent"]),
    ("suspend_tenant", &["tenant"]),
    ("cell_outage", &["cell", "cells"]),
    ("poison_jobs", &["tenant", "fraction"]),
    // Lifecycle operations (`FaultKind::TenantOp`), in `LifecycleOp::ALL` order.
    ("suspend", &["tenant"]),
    ("resume", &["tenant"]),
    ("destroy", &["tenant"]),
    ("restore", &["tenant"]),
];

/// The keys a kind (as written) takes, or `None` for an unknown kind.
pub fn keys_of(kind: &str) -> Option<&'static [&'static str]> {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, keys)| *keys)
}

/// Every kind's name, comma-separated, for error messages.
pub fn known_kinds() -> String {
    let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    names.join(", ")
}

/// What a fault targets: the tenants it names and the cells it acts on. The one
/// computation of a fault's targets; the trace's fault bands, the summary's fault rows,
/// explain's and the sweep's bystanders all read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets<'a> {
    /// Tenant ids the fault names (at most one today).
    pub tenants: Vec<&'a str>,
    /// Cells the fault acts on (a migration: its destination; the source is wherever the
    /// tenant is when it starts).
    pub cells: Vec<u32>,
}

impl FaultKind {
    /// Whether the fault changes what clients send (a hot tenant's rate and mix) rather
    /// than what happens inside the platform: such a fault is already in the simulated
    /// arrivals, and live mode's generator applies it; the others are "not applied live".
    pub fn acts_on_clients(&self) -> bool {
        match self {
            FaultKind::HotTenant { .. } => true,
            FaultKind::DependencyLatency { .. }
            | FaultKind::DependencyErrors { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsKeyDisabled { .. }
            | FaultKind::KmsOutage
            | FaultKind::Partition { .. }
            | FaultKind::TenantMigration { .. }
            | FaultKind::ConfigPush { .. }
            | FaultKind::SuspendTenant { .. }
            | FaultKind::TenantOp { .. }
            | FaultKind::CellOutage { .. }
            | FaultKind::PoisonJobs { .. } => false,
        }
    }

    /// Whether the fault is an operation at an instant (no window; `lifecycle_ops.rs`).
    pub fn is_instant(&self) -> bool {
        matches!(self, FaultKind::TenantOp { .. })
    }

    /// The kind's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::HotTenant { .. } => "hot_tenant",
            FaultKind::DependencyLatency { .. } => "dependency_latency",
            FaultKind::DependencyErrors { .. } => "dependency_errors",
            FaultKind::DbDegraded { .. } => "db_degraded",
            FaultKind::WorkersLost { .. } => "workers_lost",
            FaultKind::ControlPlaneOutage => "control_plane_outage",
            FaultKind::KmsKeyDisabled { .. } => "kms_key_disabled",
            FaultKind::KmsOutage => "kms_outage",
            FaultKind::Partition { .. } => "partition",
            FaultKind::TenantMigration { .. } => "tenant_migration",
            FaultKind::ConfigPush { .. } => "config_push",
            FaultKind::SuspendTenant { .. } => "suspend_tenant",
            FaultKind::TenantOp { op, .. } => op.name(),
            FaultKind::CellOutage { .. } => "cell_outage",
            FaultKind::PoisonJobs { .. } => "poison_jobs",
        }
    }

    /// The tenant the fault targets, if any.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            FaultKind::HotTenant { tenant, .. }
            | FaultKind::KmsKeyDisabled { tenant }
            | FaultKind::TenantMigration { tenant, .. }
            | FaultKind::ConfigPush { tenant, .. }
            | FaultKind::SuspendTenant { tenant }
            | FaultKind::TenantOp { tenant, .. }
            | FaultKind::PoisonJobs { tenant, .. } => Some(tenant),
            FaultKind::DependencyErrors { tenant, .. } => tenant.as_deref(),
            FaultKind::DependencyLatency { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsOutage
            | FaultKind::Partition { .. }
            | FaultKind::CellOutage { .. } => None,
        }
    }

    /// The class mix a hot tenant switches to, if it changes it.
    pub fn hot_mix(&self) -> Option<&[f64]> {
        match self {
            FaultKind::HotTenant { mix, .. } => mix.as_deref(),
            FaultKind::DependencyLatency { .. }
            | FaultKind::DependencyErrors { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsKeyDisabled { .. }
            | FaultKind::KmsOutage
            | FaultKind::Partition { .. }
            | FaultKind::TenantMigration { .. }
            | FaultKind::ConfigPush { .. }
            | FaultKind::SuspendTenant { .. }
            | FaultKind::TenantOp { .. }
            | FaultKind::CellOutage { .. }
            | FaultKind::PoisonJobs { .. } => None,
        }
    }

    /// The fault's targets: the tenant it names and the cells it acts on.
    pub fn targets(&self) -> Targets<'_> {
        let cells = match self {
            FaultKind::DependencyLatency { cells, .. }
            | FaultKind::DependencyErrors { cells, .. }
            | FaultKind::DbDegraded { cells, .. }
            | FaultKind::WorkersLost { cells, .. }
            | FaultKind::Partition { cells, .. }
            | FaultKind::CellOutage { cells } => cells.clone(),
            FaultKind::TenantMigration { to_cell, .. } => vec![*to_cell],
            FaultKind::HotTenant { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsKeyDisabled { .. }
            | FaultKind::KmsOutage
            | FaultKind::ConfigPush { .. }
            | FaultKind::SuspendTenant { .. }
            | FaultKind::TenantOp { .. }
            | FaultKind::PoisonJobs { .. } => Vec::new(),
        };
        Targets {
            tenants: self.tenant().into_iter().collect(),
            cells,
        }
    }

    /// The tenant whose own load or queries the fault changes on the request path (a hot
    /// tenant, a tenant's failing queries), which a run gives its own time series. Narrower
    /// than [`FaultKind::tenant`] on purpose: the other tenant-targeting kinds act through the
    /// control plane, KMS or jobs, and their targets get no series of their own.
    pub fn watched_tenant(&self) -> Option<&str> {
        match self {
            FaultKind::HotTenant { tenant, .. } => Some(tenant),
            FaultKind::DependencyErrors { tenant, .. } => tenant.as_deref(),
            FaultKind::DependencyLatency { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsKeyDisabled { .. }
            | FaultKind::KmsOutage
            | FaultKind::Partition { .. }
            | FaultKind::TenantMigration { .. }
            | FaultKind::ConfigPush { .. }
            | FaultKind::SuspendTenant { .. }
            | FaultKind::TenantOp { .. }
            | FaultKind::CellOutage { .. }
            | FaultKind::PoisonJobs { .. } => None,
        }
    }

    /// The cells the fault acts on, for a selector to replace (`None`: it takes no cells).
    pub fn cells_mut(&mut self) -> Option<&mut Vec<u32>> {
        match self {
            FaultKind::DependencyLatency { cells, .. }
            | FaultKind::DependencyErrors { cells, .. }
            | FaultKind::DbDegraded { cells, .. }
            | FaultKind::WorkersLost { cells, .. }
            | FaultKind::Partition { cells, .. }
            | FaultKind::CellOutage { cells } => Some(cells),
            FaultKind::HotTenant { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsKeyDisabled { .. }
            | FaultKind::KmsOutage
            | FaultKind::TenantMigration { .. }
            | FaultKind::ConfigPush { .. }
            | FaultKind::SuspendTenant { .. }
            | FaultKind::TenantOp { .. }
            | FaultKind::PoisonJobs { .. } => None,
        }
    }

    /// The tenant the fault names, for a selector to replace (`None`: it names none; a
    /// `dependency_errors` fault without a tenant stays platform-wide).
    pub fn tenant_mut(&mut self) -> Option<&mut String> {
        match self {
            FaultKind::HotTenant { tenant, .. }
            | FaultKind::KmsKeyDisabled { tenant }
            | FaultKind::TenantMigration { tenant, .. }
            | FaultKind::ConfigPush { tenant, .. }
            | FaultKind::SuspendTenant { tenant }
            | FaultKind::TenantOp { tenant, .. }
            | FaultKind::PoisonJobs { tenant, .. } => Some(tenant),
            FaultKind::DependencyErrors { tenant, .. } => tenant.as_mut(),
            FaultKind::DependencyLatency { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
            | FaultKind::ControlPlaneOutage
            | FaultKind::KmsOutage
            | FaultKind::Partition { .. }
            | FaultKind::CellOutage { .. } => None,
        }
    }

    /// Sets the fault's intensity to a drawn value: a hot tenant's factor (the only kind
    /// whose `factor` may be drawn; the others ignore it).
    pub fn set_factor(&mut self, v: f64) {
        match self {
            FaultKind::HotTenant { factor, .. } => *factor = v,
            FaultKind::DependencyLatency { .. }
            | FaultKind::DependencyErrors { .. }
            | FaultKind::DbDegraded { .. }
            | FaultKind::WorkersLost { .. }
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

    /// The target as text (a tenant id or a list of cells).
    pub fn target(&self) -> String {
        let cells = |c: &Vec<u32>| {
            let v: Vec<String> = c.iter().map(|x| x.to_string()).collect();
            format!("cells {}", v.join(","))
        };
        match self {
            FaultKind::ControlPlaneOutage => "control plane".to_string(),
            FaultKind::KmsOutage => "kms".to_string(),
            FaultKind::Partition {
                kind: PartitionKind::EdgeControlPlane,
                ..
            } => PartitionKind::EdgeControlPlane.name().to_string(),
            FaultKind::Partition { kind, cells: c, .. } => {
                format!("{} ({})", kind.name(), cells(c))
            }
            FaultKind::TenantMigration {
                tenant, to_cell, ..
            } => format!("{tenant} to cell {to_cell}"),
            FaultKind::CellOutage { cells: c } => cells(c),
            FaultKind::HotTenant { tenant, .. }
            | FaultKind::KmsKeyDisabled { tenant }
            | FaultKind::ConfigPush { tenant, .. }
            | FaultKind::SuspendTenant { tenant }
            | FaultKind::TenantOp { tenant, .. }
            | FaultKind::PoisonJobs { tenant, .. } => tenant.clone(),
            FaultKind::DependencyErrors {
                cells: c,
                tenant: Some(t),
                ..
            } => format!("{t} in {}", cells(c)),
            FaultKind::DependencyLatency { cells: c, .. }
            | FaultKind::DependencyErrors { cells: c, .. }
            | FaultKind::DbDegraded { cells: c, .. }
            | FaultKind::WorkersLost { cells: c, .. } => cells(c),
        }
    }
}

/// A fault on the timeline.
#[derive(Clone, Debug)]
pub struct Fault {
    /// Name.
    pub name: String,
    /// What it does.
    pub kind: FaultKind,
    /// Start.
    pub start: SimTime,
    /// End (exclusive).
    pub end: SimTime,
    /// Parts left to the seed (selectors, drawn times, `after`, `every`), resolved before a
    /// run by `crate::fault_draw::resolve`; `None` for a fault written in full.
    pub drawn: Option<Box<drawn::Drawn>>,
    /// What the seed drew for this fault (for the summary and the repro), once resolved.
    pub resolved: Option<String>,
    /// Its trigger (`when = "..."`): it starts at the first poll after `start` at which the
    /// condition holds, not at `start` ([`crate::fault_when`]); `None` for a timed fault.
    pub when: Option<Box<crate::fault_when::When>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of every kind; the match makes a new kind a compile error here.
    fn every_kind() -> Vec<FaultKind> {
        let all = vec![
            FaultKind::HotTenant {
                tenant: "t".into(),
                factor: 2.0,
                mix: None,
            },
            FaultKind::DependencyLatency {
                cells: vec![0],
                latency: Dist::Const(1.0),
            },
            FaultKind::DependencyErrors {
                cells: vec![0],
                fraction: 0.5,
                tenant: None,
            },
            FaultKind::DbDegraded {
                cells: vec![0],
                capacity: 0.5,
            },
            FaultKind::WorkersLost {
                cells: vec![0],
                count: 1,
            },
            FaultKind::ControlPlaneOutage,
            FaultKind::KmsKeyDisabled { tenant: "t".into() },
            FaultKind::KmsOutage,
            FaultKind::Partition {
                kind: PartitionKind::CellDb,
                cells: vec![0],
                mode: crate::component::link::CutMode::Blackhole,
            },
            FaultKind::TenantMigration {
                tenant: "t".into(),
                to_cell: 1,
                backfill_rate: 1.0,
                reject_misrouted: false,
            },
            FaultKind::ConfigPush {
                tenant: "t".into(),
                rate_limit: None,
                burst: None,
                urgent: false,
            },
            FaultKind::SuspendTenant { tenant: "t".into() },
            FaultKind::CellOutage { cells: vec![0] },
            FaultKind::PoisonJobs {
                tenant: "t".into(),
                fraction: 0.5,
            },
        ];
        let mut all = all;
        for op in LifecycleOp::ALL {
            all.push(FaultKind::TenantOp {
                tenant: "t".into(),
                op,
            });
        }
        for k in &all {
            // Exhaustive on purpose: a new kind must be added to the list above.
            match k {
                FaultKind::HotTenant { .. }
                | FaultKind::DependencyLatency { .. }
                | FaultKind::DependencyErrors { .. }
                | FaultKind::DbDegraded { .. }
                | FaultKind::WorkersLost { .. }
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
        all
    }

    /// Goal: the key table and the enum describe the same kinds, in the same order.
    /// Method: every kind's `name()` is the `KINDS` row at its position, and no row is extra.
    #[test]
    fn every_kind_has_a_row() {
        let all = every_kind();
        assert_eq!(all.len(), KINDS.len());
        for (k, (name, keys)) in all.iter().zip(KINDS.iter()) {
            assert_eq!(k.name(), *name);
            assert_eq!(keys_of(k.name()), Some(*keys));
        }
        assert_eq!(keys_of("no_such_kind"), None);
        assert!(known_kinds().starts_with("hot_tenant, dependency_latency, "));
    }

    /// Goal: targets agree with `tenant()` and name the cells a kind acts on.
    /// Method: check each kind's targets against its settings.
    #[test]
    fn targets_name_tenants_and_cells() {
        for k in every_kind() {
            let t = k.targets();
            assert_eq!(t.tenants.first().copied(), k.tenant(), "{}", k.name());
            if let Some(w) = k.watched_tenant() {
                assert_eq!(Some(w), k.tenant(), "{}", k.name());
            }
        }
        let m = FaultKind::TenantMigration {
            tenant: "a".into(),
            to_cell: 3,
            backfill_rate: 1.0,
            reject_misrouted: true,
        };
        assert_eq!(
            m.targets(),
            Targets {
                tenants: vec!["a"],
                cells: vec![3]
            }
        );
        assert!(FaultKind::ControlPlaneOutage.targets().cells.is_empty());
    }
}
