//! Validated `[network]` settings: one-way delays on the platform's links.
//!
//! Every key is a duration distribution of one *leg* (a call and its answer are two legs,
//! each drawn on its own). Absent = no delay, no draw: a scenario without `[network]` runs
//! exactly as before the section existed. Realistic one-way figures (documented in
//! `scenarios/README.md`): clients in the same region as the edge `lognormal(15ms, 0.5)`,
//! another continent `lognormal(80ms, 0.3)`; edge ↔ cell and cell ↔ DB in one datacentre
//! `lognormal(250us, 0.5)`; cell ↔ a managed KMS or object storage in region
//! `lognormal(1ms, 0.5)`; edge ↔ a control plane in another region `lognormal(30ms, 0.3)`.
//!
//! Guarantee: every region named in `client_edge_by_region` is one of `platform.regions`
//! (else an error at its key's position).

use super::schema;
use super::Checker;
use sim::Dist;
use std::collections::BTreeMap;

/// The `[network]` section, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    /// Client ↔ edge for tenants without a region entry.
    pub client_edge: Option<Dist>,
    /// Client ↔ edge by tenant region (region names as in `platform.regions`).
    pub client_edge_by_region: BTreeMap<String, Dist>,
    /// Edge ↔ cell.
    pub edge_cell: Option<Dist>,
    /// Cell ↔ DB.
    pub cell_db: Option<Dist>,
    /// Cell ↔ KMS.
    pub cell_kms: Option<Dist>,
    /// Cell ↔ object storage.
    pub cell_object_storage: Option<Dist>,
    /// Edge ↔ control plane.
    pub edge_control_plane: Option<Dist>,
}

impl Network {
    /// Whether any client↔edge delay is set.
    pub fn client_edge_set(&self) -> bool {
        self.client_edge.is_some() || !self.client_edge_by_region.is_empty()
    }
}

pub(super) fn network(c: &mut Checker, r: &schema::NetworkConfig, regions: &[String]) -> Network {
    let d = |x: &Option<super::values::DurDist>| x.as_ref().map(|d| d.0.clone());
    let mut by_region = BTreeMap::new();
    if let Some(m) = &r.client_edge_by_region {
        for (region, dist) in m.get_ref() {
            if !regions.iter().any(|x| x == region) {
                c.err(
                    m.span(),
                    format!(
                        "network.client_edge_by_region names region `{region}`, which no cell \
                         is in; platform.regions has: {}",
                        dedup(regions).join(", ")
                    ),
                );
            }
            by_region.insert(region.clone(), dist.0.clone());
        }
    }
    Network {
        client_edge: d(&r.client_edge),
        client_edge_by_region: by_region,
        edge_cell: d(&r.edge_cell),
        cell_db: d(&r.cell_db),
        cell_kms: d(&r.cell_kms),
        cell_object_storage: d(&r.cell_object_storage),
        edge_control_plane: d(&r.edge_control_plane),
    }
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in v {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}
