//! Placement rules that no placement can satisfy, found before running (issue 13 item 14).
//!
//! At run time a tenant no cell is eligible for is put on cell 0 and counted in
//! `Population::unplaced`: its residency or region is silently broken. What is decidable
//! from the file alone is refused here, located:
//!
//! - a tenant whose `region` is not one of `platform.regions`;
//! - a tenant or cohort with `residency = "eu"` and no EU cell (a region starting with `eu`)
//!   among the cells it may use (all cells, or the cohort's `cells`);
//! - more tenants present at the start than `max_tenants_per_cell` × cells allows (for a
//!   cohort restricted to `cells`, more members than those cells allow).
//!
//! Tenants pinned with `cell = N` bypass placement and are not checked. Placement after the
//! start (cohorts with `provision_at`, moves) is dynamic and stays a reported outcome.

use super::{schema::ScenarioFile, Checker, CohortSpec, Platform, TenantSpec};

/// Checks the rules above; errors go to `c`.
pub(super) fn check(
    c: &mut Checker,
    raw: &ScenarioFile,
    platform: &Platform,
    tenants: &[TenantSpec],
    cohorts: &[CohortSpec],
) {
    let is_eu = |cell: u32| {
        platform
            .regions
            .get(cell as usize)
            .is_some_and(|r| r.starts_with("eu"))
    };
    let any_eu = (0..platform.cells).any(is_eu);
    for (t, rt) in tenants.iter().zip(&raw.tenants) {
        if t.cell.is_some() {
            continue;
        }
        if let Some(region) = &t.region {
            if !platform.regions.iter().any(|r| r == region) {
                let known: Vec<&str> = dedup(&platform.regions);
                c.err(
                    rt.id.span(),
                    format!(
                        "tenant `{}` asks for region `{region}`, which no cell is in; platform.regions has: {}",
                        t.id,
                        known.join(", ")
                    ),
                );
            }
        }
        if t.eu_only && !any_eu {
            let span = rt.residency.as_ref().map_or(rt.id.span(), |r| r.span());
            c.err(
                span,
                format!(
                    "tenant `{}` must stay on EU cells, but no cell is in an `eu…` region; set platform.regions (e.g. \"eu-west\" for some cells)",
                    t.id
                ),
            );
        }
    }
    let mut at_start: u64 = tenants.len() as u64;
    for (co, rc) in cohorts.iter().zip(&raw.cohorts) {
        if co.count == 0 {
            continue;
        }
        let allowed: Vec<u32> = match &co.cells {
            Some(cs) => cs.clone(),
            None => (0..platform.cells).collect(),
        };
        if co.eu_only && !allowed.iter().any(|&x| is_eu(x)) {
            let span = rc.residency.as_ref().map_or(rc.name.span(), |r| r.span());
            c.err(
                span,
                format!(
                    "cohort `{}` must stay on EU cells, but none of the cells it may use is in an `eu…` region",
                    co.name
                ),
            );
        }
        if co.provision_at.is_none() {
            at_start += u64::from(co.count);
        }
        if let (Some(max), Some(cs)) = (platform.max_tenants_per_cell, &co.cells) {
            let room = u64::from(max) * cs.len() as u64;
            if u64::from(co.count) > room {
                c.err(
                    rc.count.span(),
                    format!(
                        "cohort `{}` has {} members for {} cells of at most {max} tenants each ({room} places); raise max_tenants_per_cell or give it more cells",
                        co.name,
                        co.count,
                        cs.len()
                    ),
                );
            }
        }
    }
    if let (Some(max), Some(m)) = (
        platform.max_tenants_per_cell,
        raw.platform.max_tenants_per_cell.as_ref(),
    ) {
        let room = u64::from(max) * u64::from(platform.cells);
        if at_start > room {
            c.err(
                m.span(),
                format!(
                    "{at_start} tenants exist at the start but {} cells of at most {max} tenants hold {room}; raise max_tenants_per_cell or add cells",
                    platform.cells
                ),
            );
        }
    }
}

fn dedup(v: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in v {
        if !out.contains(&r.as_str()) {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = "version = 1\nduration = \"1m\"\n[platform]\ncells = 2\nworkers = 4\n";

    fn err(extra: &str) -> String {
        let text = format!("{BASE}{extra}");
        match load_str("p.toml", &text, &[]) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unplaceable_tenants_are_located_errors() {
        // Goal: each static placement impossibility is refused at validation with a line,
        // and each feasible twin is accepted. Method: one file per rule, then the fix.
        let tenant = "[[tenants]]\nid = \"t\"\nrate = \"1/s\"\n";
        let e = err(&format!("{tenant}residency = \"eu\"\n"));
        assert!(e.contains("p.toml:9:") && e.contains("EU cells"), "{e}");
        let eu = "regions = [\"us-east\", \"eu-west\"]\n";
        let ok = format!("{BASE}{eu}{tenant}residency = \"eu\"\n");
        assert!(load_str("p.toml", &ok, &[]).is_ok());

        let e = err(&format!("{tenant}region = \"mars\"\n"));
        assert!(e.contains("region `mars`") && e.contains("default"), "{e}");
        let pinned = format!("{tenant}region = \"mars\"\ncell = 1\n");
        assert_eq!(err(&pinned), "", "a pinned tenant bypasses placement");

        let cohort = "[[cohorts]]\nname = \"c\"\ncount = 7\nrate = \"1/s\"\n";
        let e = err(&format!("max_tenants_per_cell = 3\n{cohort}"));
        assert!(
            e.contains("7 tenants exist at the start") && e.contains("p.toml:6:"),
            "{e}"
        );
        assert_eq!(err(&format!("max_tenants_per_cell = 4\n{cohort}")), "");
        let e = err(&format!("max_tenants_per_cell = 4\n{cohort}cells = [0]\n"));
        assert!(e.contains("cohort `c` has 7 members"), "{e}");
        let e = err(&format!("{eu}{cohort}cells = [0]\nresidency = \"eu\"\n"));
        assert!(e.contains("cohort `c` must stay on EU cells"), "{e}");
    }
}
