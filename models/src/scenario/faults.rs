//! `[[faults]]`: how a fault is written, checked into a [`Fault`] of the catalogue.
//!
//! Each kind takes the keys [`crate::fault::KINDS`] lists; a key it does not take, a missing
//! one, or a value out of range is a located error (file:line:column).

use super::*;

/// A `mix` table as written: class name → share.
type MixConfig = Option<Spanned<BTreeMap<String, f64>>>;

/// Checks every `[[faults]]` entry; errors go to `c`, with their spans.
pub(super) fn check(
    c: &mut Checker,
    raw_faults: &[schema::FaultConfig],
    (end, duration): (SimTime, SimDuration),
    cells: u32,
    tenant_known: &dyn Fn(&str) -> bool,
    check_mix: &dyn Fn(&mut Checker, &MixConfig) -> Option<Vec<f64>>,
) -> Vec<Fault> {
    let mut faults = Vec::new();
    for (i, f) in raw_faults.iter().enumerate() {
        let kind_name = f.kind.get_ref().as_str();
        let name = f
            .name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| format!("{kind_name}-{}", i + 1));
        let start = SimTime(f.at.get_ref().0.as_nanos());
        if start >= end {
            c.err(
                f.at.span(),
                format!(
                    "fault `{name}` starts at {} but the run lasts {}; move it inside the run",
                    f.at.get_ref().0,
                    duration
                ),
            );
        }
        let stop = match (&f.for_, &f.until) {
            (Some(d), None) => start.after(d.get_ref().0),
            (None, Some(u)) => {
                let u_t = SimTime(u.get_ref().0.as_nanos());
                if u_t <= start {
                    c.err(
                        u.span(),
                        format!("fault `{name}` ends at {} before it starts", u.get_ref().0),
                    );
                }
                u_t
            }
            (Some(d), Some(_)) => {
                c.err(
                    d.span(),
                    format!("fault `{name}` has both `for` and `until`; give one"),
                );
                start
            }
            (None, None) => {
                c.err(
                    f.kind.span(),
                    format!(
                        "fault `{name}` needs a length: add `for = \"30s\"` or `until = \"3m\"`"
                    ),
                );
                start
            }
        };
        if stop > end {
            let span = f
                .for_
                .as_ref()
                .or(f.until.as_ref())
                .map(|s| s.span())
                .unwrap_or(0..0);
            c.err(
                span,
                format!(
                    "fault `{name}` ends at {} but the run lasts {}; the fault window must lie inside the run",
                    stop.as_duration(),
                    duration
                ),
            );
        }
        let need_tenant = |c: &mut Checker| -> String {
            match &f.tenant {
                Some(t) => {
                    if !tenant_known(t.get_ref()) {
                        c.err(
                            t.span(),
                            format!(
                                "fault `{name}` targets tenant `{}`, which is not declared",
                                t.get_ref()
                            ),
                        );
                    }
                    t.get_ref().clone()
                }
                None => {
                    c.err(
                        f.kind.span(),
                        format!("fault `{name}` ({kind_name}) needs `tenant = \"ID\"`"),
                    );
                    String::new()
                }
            }
        };
        let used: &[&str] = crate::fault::keys_of(kind_name).unwrap_or(&[]);
        let present: [(&str, Option<Range<usize>>); 17] = [
            ("to_cell", f.to_cell.as_ref().map(|x| x.span())),
            (
                "backfill_rate",
                f.backfill_rate.as_ref().map(|_| f.kind.span()),
            ),
            (
                "reject_misrouted",
                f.reject_misrouted.map(|_| f.kind.span()),
            ),
            ("between", f.between.as_ref().map(|x| x.span())),
            ("mode", f.mode.as_ref().map(|x| x.span())),
            ("rate_limit", f.rate_limit.map(|_| f.kind.span())),
            ("burst", f.burst.as_ref().map(|x| x.span())),
            ("urgent", f.urgent.map(|_| f.kind.span())),
            ("tenant", f.tenant.as_ref().map(|x| x.span())),
            ("factor", f.factor.as_ref().map(|x| x.span())),
            ("mix", f.mix.as_ref().map(|x| x.span())),
            ("cell", f.cell.as_ref().map(|x| x.span())),
            ("cells", f.cells.as_ref().map(|x| x.span())),
            ("count", f.count.as_ref().map(|x| x.span())),
            ("latency", f.latency.as_ref().map(|_| f.kind.span())),
            ("fraction", f.fraction.as_ref().map(|_| f.kind.span())),
            ("capacity", f.capacity.as_ref().map(|_| f.kind.span())),
        ];
        if !used.is_empty() {
            for (key, span) in present
                .iter()
                .filter_map(|(k, s)| s.clone().map(|s| (*k, s)))
            {
                if !used.contains(&key) {
                    c.err(
                        span,
                        format!(
                            "`{key}` does not apply to a `{kind_name}` fault; it takes: {}",
                            used.join(", ")
                        ),
                    );
                }
            }
        }
        let target_cells = |c: &mut Checker| -> Vec<u32> {
            match (&f.cell, &f.cells) {
                (Some(_), Some(cs)) => {
                    c.err(cs.span(), "give `cell` or `cells`, not both");
                    Vec::new()
                }
                (Some(one), None) => vec![c.count::<u32>(one, 0, cells as i64 - 1, "fault cell")],
                (None, Some(cs)) => {
                    let mut v = Vec::new();
                    for &x in cs.get_ref() {
                        if x < 0 || x >= cells as i64 {
                            c.err(
                                cs.span(),
                                format!("cell {x} does not exist; cells are 0..{}", cells - 1),
                            );
                        } else {
                            v.push(x as u32);
                        }
                    }
                    v
                }
                (None, None) => (0..cells).collect(),
            }
        };
        let kind = match kind_name {
            "dependency_latency" => {
                match &f.latency {
                    Some(l) => FaultKind::DependencyLatency {
                        cells: target_cells(c),
                        latency: l.0.clone(),
                    },
                    None => {
                        c.err(f.kind.span(), format!("fault `{name}` (dependency_latency) needs `latency = \"exp(200ms)\"`"));
                        continue;
                    }
                }
            }
            "dependency_errors" => match f.fraction {
                Some(x) => {
                    FaultKind::DependencyErrors {
                        cells: target_cells(c),
                        fraction: x.0,
                        tenant: match &f.tenant {
                            Some(t) => {
                                if !tenant_known(t.get_ref()) {
                                    c.err(t.span(), format!("fault `{name}` targets tenant `{}`, which is not declared", t.get_ref()));
                                }
                                Some(t.get_ref().clone())
                            }
                            None => None,
                        },
                    }
                }
                None => {
                    c.err(
                        f.kind.span(),
                        format!("fault `{name}` (dependency_errors) needs `fraction = \"50%\"`"),
                    );
                    continue;
                }
            },
            "db_degraded" => match f.capacity {
                Some(x) if x.0 > 0.0 => FaultKind::DbDegraded {
                    cells: target_cells(c),
                    capacity: x.0,
                },
                _ => {
                    c.err(f.kind.span(), format!("fault `{name}` (db_degraded) needs `capacity = \"20%\"` (more than 0%)"));
                    continue;
                }
            },
            "workers_lost" => match &f.count {
                Some(n) => FaultKind::WorkersLost {
                    cells: target_cells(c),
                    count: c.count(n, 0, 1_000_000, "count"),
                },
                None => {
                    c.err(
                        f.kind.span(),
                        format!("fault `{name}` (workers_lost) needs `count = 4`"),
                    );
                    continue;
                }
            },
            "control_plane_outage" => FaultKind::ControlPlaneOutage,
            "kms_outage" => FaultKind::KmsOutage,
            "kms_key_disabled" => FaultKind::KmsKeyDisabled {
                tenant: need_tenant(c),
            },
            "suspend_tenant" => FaultKind::SuspendTenant {
                tenant: need_tenant(c),
            },
            "cell_outage" => FaultKind::CellOutage {
                cells: target_cells(c),
            },
            "poison_jobs" => FaultKind::PoisonJobs {
                tenant: need_tenant(c),
                fraction: f.fraction.map(|x| x.0).unwrap_or(1.0),
            },
            "partition" => {
                let kind = match &f.between {
                    None => {
                        c.err(f.kind.span(), format!("fault `{name}` (partition) needs `between = [\"edge\", \"control_plane\"]`"));
                        continue;
                    }
                    Some(b) => {
                        let mut v: Vec<&str> = b.get_ref().iter().map(String::as_str).collect();
                        v.sort_unstable();
                        match v.as_slice() {
                            ["control_plane", "edge"] => PartitionKind::EdgeControlPlane,
                            ["cell", "db"] => PartitionKind::CellDb,
                            ["cell", "kms"] => PartitionKind::CellKms,
                            ["cell", "object_storage"] => PartitionKind::CellObjectStorage,
                            ["cell", "edge"] => PartitionKind::EdgeCell,
                            _ => {
                                c.err(
                                    b.span(),
                                    "a partition is between one of: [\"edge\", \"control_plane\"], [\"cell\", \"db\"], [\"cell\", \"kms\"], [\"cell\", \"object_storage\"], [\"edge\", \"cell\"]",
                                );
                                continue;
                            }
                        }
                    }
                };
                let reject = match f.mode.as_ref().map(|m| m.get_ref().as_str()) {
                    None | Some("timeout") => false,
                    Some("reject") => true,
                    Some(other) => {
                        let span = f.mode.as_ref().map(|m| m.span()).unwrap_or(0..0);
                        c.err(
                            span,
                            format!("partition mode `{other}`; use \"timeout\" or \"reject\""),
                        );
                        false
                    }
                };
                FaultKind::Partition {
                    kind,
                    cells: target_cells(c),
                    reject,
                }
            }
            "tenant_migration" => {
                let tenant = need_tenant(c);
                let to_cell = match &f.to_cell {
                    Some(t) => c.count::<u32>(t, 0, cells as i64 - 1, "to_cell"),
                    None => {
                        c.err(
                            f.kind.span(),
                            format!("fault `{name}` (tenant_migration) needs `to_cell = 3`"),
                        );
                        0
                    }
                };
                FaultKind::TenantMigration {
                    tenant,
                    to_cell,
                    backfill_rate: f
                        .backfill_rate
                        .as_ref()
                        .and_then(|d| d.0.mean())
                        .unwrap_or(50e6)
                        .max(1.0),
                    reject_misrouted: f.reject_misrouted.unwrap_or(true),
                }
            }
            "config_push" => FaultKind::ConfigPush {
                tenant: need_tenant(c),
                rate_limit: f.rate_limit.map(|r| r.0),
                burst: f
                    .burst
                    .as_ref()
                    .map(|b| c.count(b, 1, 1_000_000_000, "burst")),
                urgent: f.urgent.unwrap_or(false),
            },
            "hot_tenant" => {
                let tenant = need_tenant(c);
                let factor = match &f.factor {
                    Some(x) if *x.get_ref() >= 0.0 && x.get_ref().is_finite() => *x.get_ref(),
                    Some(x) => {
                        c.err(
                            x.span(),
                            format!("factor is {}; it must be a number ≥ 0", x.get_ref()),
                        );
                        1.0
                    }
                    None if f.mix.is_some() => 1.0,
                    None => {
                        c.err(
                            f.kind.span(),
                            format!(
                                "fault `{name}` (hot_tenant) needs `factor = 10` (rate multiplier) or a `mix`"
                            ),
                        );
                        1.0
                    }
                };
                let mix = check_mix(c, &f.mix).map(normalise);
                FaultKind::HotTenant {
                    tenant,
                    factor,
                    mix,
                }
            }
            other => {
                c.err(
                    f.kind.span(),
                    format!(
                        "unknown fault kind `{other}`{}; known kinds: {}",
                        super::suggest::hint(other, crate::fault::KINDS.iter().map(|(k, _)| *k)),
                        crate::fault::known_kinds()
                    ),
                );
                continue;
            }
        };
        faults.push(Fault {
            name,
            kind,
            start,
            end: stop,
        });
    }
    let mut fault_names = BTreeSet::new();
    for (f, raw_f) in faults.iter().zip(raw_faults) {
        if !fault_names.insert(f.name.clone()) {
            let span = raw_f
                .name
                .as_ref()
                .map(|n| n.span())
                .unwrap_or(raw_f.kind.span());
            c.err(
                span,
                format!("two faults are named `{}`; names must be unique", f.name),
            );
        }
    }

    faults
}
