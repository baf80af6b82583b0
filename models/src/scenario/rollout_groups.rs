//! The region selector and the order of a rollout's groups (Atlas's `deployment` groups:
//! match, order by, parallel), as written and as checked:
//!
//! ```toml
//! groups = [
//!   { name = "eu-canary", regions = ["eu-west"], percent = "1%", order_by = "size" },
//!   { name = "rest", order_by = "tier", order = "desc" },
//! ]
//! ```
//!
//! `regions` selects the tenants on a cell of one of the named regions (`platform.regions`,
//! where the tenant is when the plan is made); like every selector it combines with the
//! others by "and". `order_by` (`size`: data size, `rate`: offered rate, `tier`: declaration
//! order, `cell`, `name`: tenant id) with `order` (`asc`, the default, or `desc`) is the
//! order the wave's tenants are changed in, ties by declaration; with `percent`, the group
//! takes the first tenants of that order ("the 1% smallest first") instead of a hashed pick.
//! The plan itself is [`crate::component::rollout_plan::waves`].
//!
//! **Guarantees.** Every impossible setting is a located error (file:line:column), with a
//! suggestion where a name is close: an unknown region (the regions are listed), an unknown
//! `order_by` or `order`, `order` without `order_by`, and `order_by` on a deploy (a deploy
//! restarts cells, in ascending order).

use super::rollouts::{ChangeKind, Rollout, RolloutConfig};
use super::{suggest, Checker, Platform};
use crate::component::rollout_plan::{Order, OrderBy};

/// Checks each group's `regions`, `order_by` and `order`, and sets them on the checked
/// rollouts' groups (given in file order, one per entry of `raw`).
pub(super) fn resolve(
    c: &mut Checker,
    raw: &[RolloutConfig],
    mut rollouts: Vec<Rollout>,
    platform: &Platform,
) -> Vec<Rollout> {
    let mut names: Vec<&str> = platform.regions.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    for (r, out) in raw.iter().zip(rollouts.iter_mut()) {
        let deploy = matches!(out.change, ChangeKind::Deploy { .. });
        for (g, group) in r.groups.get_ref().iter().zip(out.groups.iter_mut()) {
            let at = format!("group `{}` of rollout `{}`", group.name, r.name.get_ref());
            if !g.regions.is_empty() {
                let mut cells = Vec::new();
                for region in &g.regions {
                    let name = region.get_ref();
                    if !names.contains(&name.as_str()) {
                        c.err(
                            region.span(),
                            format!(
                                "{at}: no region `{name}`{}; the cells' regions (platform.regions) are: {}",
                                suggest::hint(name, names.iter().copied()),
                                names.join(", ")
                            ),
                        );
                    }
                    cells.extend(
                        (0..platform.regions.len() as u32)
                            .filter(|&c| &platform.regions[c as usize] == name),
                    );
                }
                cells.sort_unstable();
                cells.dedup();
                group.sel.region_cells = Some(cells);
            }
            let by = g.order_by.as_ref().and_then(|o| {
                let found = OrderBy::ALL.into_iter().find(|b| b.name() == o.get_ref());
                if found.is_none() {
                    c.err(
                        o.span(),
                        format!(
                            "{at}: unknown order_by `{}`{}; expected `size`, `rate`, `tier`, `cell` or `name`",
                            o.get_ref(),
                            suggest::hint(o.get_ref(), OrderBy::ALL.iter().map(|b| b.name()))
                        ),
                    );
                }
                if deploy {
                    c.err(
                        o.span(),
                        format!("{at}: order_by does not apply to `change = \"deploy\"`: a deploy restarts the wave's cells in ascending order"),
                    );
                }
                found
            });
            let descending = match g.order.as_ref() {
                None => false,
                Some(o) => {
                    if g.order_by.is_none() {
                        c.err(
                            o.span(),
                            format!(
                                "{at}: `order` without `order_by`; add e.g. `order_by = \"size\"`"
                            ),
                        );
                    }
                    match o.get_ref().as_str() {
                        "asc" => false,
                        "desc" => true,
                        other => {
                            c.err(
                                o.span(),
                                format!(
                                    "{at}: unknown order `{other}`{}; expected `asc` or `desc`",
                                    suggest::hint(other, ["asc", "desc"])
                                ),
                            );
                            false
                        }
                    }
                }
            };
            group.sel.order = by.map(|by| Order { by, descending });
        }
    }
    rollouts
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = r#"version = 1
duration = "2m"
[platform]
cells = 3
regions = ["us-east", "eu-west", "eu-west"]
[[cohorts]]
name = "c"
count = 30
rate = "5/s"
[[rollouts]]
name = "r"
change = "config"
at = "10s"
rate_limit = "1/s"
"#;

    fn error(groups: &str) -> (usize, usize, String) {
        let text = format!("{BASE}groups = [{groups}]\n");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        let e = &e.0[0];
        (e.line, e.column, e.message.clone())
    }

    /// Goal: each class of impossible region or order is an error located at the value at
    /// fault, with a suggestion. Method: one file per class (groups on line 15).
    #[test]
    fn impossible_regions_and_orders_are_located_errors() {
        let (l, col, m) = error(r#"{ regions = ["eu-wets"] }, {}"#);
        assert_eq!((l, col), (15, 24));
        assert!(m.contains("did you mean `eu-west`"), "{m}");
        assert!(m.contains("us-east"), "{m}");
        let (_, _, m) = error(r#"{ order_by = "sise" }"#);
        assert!(m.contains("did you mean `size`"), "{m}");
        let (_, _, m) = error(r#"{ order_by = "size", order = "down" }"#);
        assert!(m.contains("unknown order `down`"), "{m}");
        let (_, _, m) = error(r#"{ order = "desc" }"#);
        assert!(m.contains("without `order_by`"), "{m}");
        let text = format!("{BASE}groups = [{{ order_by = \"size\" }}]\n")
            .replace("change = \"config\"", "change = \"deploy\"")
            .replace("rate_limit = \"1/s\"\n", "");
        let e = load_str("t.toml", &text, &[]).expect_err("refused");
        assert!(
            e.0[0].message.contains("does not apply"),
            "{}",
            e.0[0].message
        );
    }

    /// Goal: a region group selects the tenants on that region's cells, and is not a
    /// selector-less group (it may come before others); the order is kept and settable.
    /// Method: load; check the resolved cells and order; override `order`.
    #[test]
    fn regions_resolve_to_cells_and_orders_are_kept() {
        use crate::component::rollout_plan::{Order, OrderBy};
        // Arrays of tables, so that `--set` can pick a group by name.
        let text = format!(
            "{BASE}[[rollouts.groups]]\nname = \"eu\"\nregions = [\"eu-west\"]\norder_by = \"size\"\n[[rollouts.groups]]\nname = \"rest\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap();
        let g = &sc.rollouts[0].groups[0];
        assert_eq!(g.sel.region_cells, Some(vec![1, 2]));
        assert_eq!(
            g.sel.order,
            Some(Order {
                by: OrderBy::Size,
                descending: false
            })
        );
        let o = [
            crate::scenario::overrides::Override::parse("rollouts.r.groups.eu.order=desc").unwrap(),
        ];
        let sc = load_str("t.toml", &text, &o).unwrap();
        assert!(sc.rollouts[0].groups[0].sel.order.unwrap().descending);
    }
}
