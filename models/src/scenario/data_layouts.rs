//! A data layout per cell or per tier, in `[data_architecture]`: the section's `layout` for
//! everyone, replaced for the tenants placed in one cell or of one tier.
//!
//! ```toml
//! [data_architecture]
//! layout = "shared_tables"
//! [data_architecture.cells.1]
//! layout = "schema_per_tenant"     # the tenants placed in cell 1
//! [data_architecture.tiers.gold]
//! layout = "db_per_tenant"         # gold tenants, in whatever cell (wins over a cell's)
//! ```
//!
//! A tenant's layout is its tier's override, else its home cell's (the cell it was placed
//! in at the start; it keeps its layout when it moves), else the section's. In a cell that
//! mixes layouts, `db_per_tenant` tenants have their own pools on the cell's server beside
//! the shared pool (the server then takes the shared pool plus every tenant pool, and each
//! tenant-pool connection costs `connection_overhead`); `schema_per_tenant` tenants plan
//! against the cell's schemas (one per such tenant). See `platform::data_arch`.
//!
//! What it guarantees: each override names a layout, an existing tier or a cell index
//! below `platform.cells`; refused as conflicts (not modelled): `shard_groups` in an
//! override or with any override (a cell's DB is split for all its tenants), and
//! `db_per_tenant` anywhere together with `dedicated_db_tiers` (those tenants' pools would
//! stay on the cell's server). Every mistake is reported at its file:line:column (the
//! override's `layout` value, since table keys carry no position).

use super::data_arch::{DataArch, DataArchConfig, Layout};
use super::{suggest, Checker, Tier};
use serde::Deserialize;
use toml::Spanned;

/// `[data_architecture.cells.N]` or `[data_architecture.tiers.NAME]`, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct LayoutOverride {
    /// The layout of this cell's or tier's tenants.
    pub layout: Spanned<String>,
}

/// Validated overrides.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LayoutOverrides {
    /// Per cell (indexed by cell; empty: none).
    pub cells: Vec<Option<Layout>>,
    /// Per tier (indexed like `Scenario::tiers`; empty: none).
    pub tiers: Vec<Option<Layout>>,
}

impl LayoutOverrides {
    /// Whether any cell or tier has a layout of its own.
    pub fn any(&self) -> bool {
        self.cells.iter().chain(&self.tiers).any(Option::is_some)
    }

    /// The layout of a tenant of tier `tier` placed in `cell`, the section's being `base`.
    pub fn of(&self, base: Layout, tier: usize, cell: u32) -> Layout {
        self.tiers
            .get(tier)
            .copied()
            .flatten()
            .or_else(|| self.cells.get(cell as usize).copied().flatten())
            .unwrap_or(base)
    }
}

fn layout_of(c: &mut Checker, v: &Spanned<String>, at: &str) -> Option<Layout> {
    let name = v.get_ref();
    match Layout::parse(name) {
        Some(Layout::ShardGroups) => {
            c.err(
                v.span(),
                format!("{at}.layout: shard_groups is not modelled per cell or per tier (a cell's DB is split for all its tenants); use it as the section's layout"),
            );
            None
        }
        Some(l) => Some(l),
        None => {
            c.err(
                v.span(),
                format!(
                    "{at}.layout is `{name}`{}; layouts are: {}",
                    suggest::hint(name, Layout::NAMES.iter().copied()),
                    Layout::NAMES.join(", ")
                ),
            );
            None
        }
    }
}

/// Validates the per-cell and per-tier layouts of `[data_architecture]` into
/// `out.overrides` (after the layout and the servers are read).
pub(super) fn check(
    c: &mut Checker,
    raw: &Option<DataArchConfig>,
    tiers: &[Tier],
    cells: u32,
    out: &mut DataArch,
) {
    let Some(raw) = raw else {
        return;
    };
    const AT: &str = "data_architecture";
    let mut o = LayoutOverrides::default();
    // The first span written, for conflicts found after reading every override.
    let mut first = None;
    if let Some(map) = &raw.cells {
        for (key, v) in map {
            let at = format!("{AT}.cells.{key}");
            first.get_or_insert(v.layout.span());
            let l = layout_of(c, &v.layout, &at);
            match key.parse::<u32>() {
                Ok(i) if i < cells => {
                    o.cells.resize(cells as usize, None);
                    o.cells[i as usize] = l;
                }
                _ => c.err(
                    v.layout.span(),
                    format!(
                        "{at}: no cell `{key}`; cells are 0..{} (platform.cells = {cells})",
                        cells.saturating_sub(1)
                    ),
                ),
            }
        }
    }
    if let Some(map) = &raw.tiers {
        for (name, v) in map {
            let at = format!("{AT}.tiers.{name}");
            first.get_or_insert(v.layout.span());
            let l = layout_of(c, &v.layout, &at);
            match tiers.iter().position(|t| t.name == *name) {
                Some(i) => {
                    o.tiers.resize(tiers.len(), None);
                    o.tiers[i] = l;
                }
                None => c.err(
                    v.layout.span(),
                    format!(
                        "{at}: no tier `{name}`{} (tiers: {})",
                        suggest::hint(name, tiers.iter().map(|t| t.name.as_str())),
                        tiers
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
    }
    if let Some(span) = first {
        refuse_conflicts(c, span, &o, out);
    }
    out.overrides = o;
}

/// Overrides (the first written at `span`) that the rest of `[data_architecture]` cannot
/// take: any with layout `shard_groups`, and `db_per_tenant` with `dedicated_db_tiers`.
fn refuse_conflicts(
    c: &mut Checker,
    span: std::ops::Range<usize>,
    o: &LayoutOverrides,
    out: &DataArch,
) {
    const AT: &str = "data_architecture";
    if out.layout == Some(Layout::ShardGroups) {
        c.err(
            span.clone(),
            format!("{AT}: a layout per cell or tier with layout shard_groups is not modelled (a cell's DB is split for all its tenants)"),
        );
    }
    let per_tenant = o
        .cells
        .iter()
        .chain(&o.tiers)
        .any(|l| *l == Some(Layout::DbPerTenant));
    if per_tenant && !out.servers.dedicated_tiers.is_empty() {
        c.err(
            span,
            format!("{AT}: db_per_tenant for a cell or tier together with dedicated_db_tiers is not modelled (those tenants' own pools would stay on the cell's server)"),
        );
    }
}

#[cfg(test)]
mod tests {
    //! Goal: overrides load with the documented precedence, `--set` reaches them, and each
    //! class of mistake or conflict is refused where it is written. Method: small scenarios.
    use super::*;
    use crate::scenario::{load_str, Override};

    const BASE: &str = "version = 1\nduration = \"10s\"\n[platform]\ncells = 2\n[[tenants]]\nid = \"a\"\ntier = \"gold\"\nrate = \"1/s\"\n[data_architecture]\nlayout = \"shared_tables\"\n";

    fn error(extra: &str) -> (usize, usize, String) {
        let e = load_str("t.toml", &format!("{BASE}{extra}"), &[]).expect_err("refused");
        (e.0[0].line, e.0[0].column, e.0[0].message.clone())
    }

    #[test]
    fn a_tier_wins_over_a_cell_which_wins_over_the_section() {
        let text = format!(
            "{BASE}[data_architecture.cells.1]\nlayout = \"schema_per_tenant\"\n[data_architecture.tiers.gold]\nlayout = \"db_per_tenant\"\n"
        );
        let sc = load_str("t.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let d = &sc.data_architecture;
        let gold = sc
            .tiers
            .iter()
            .position(|t| t.name == "gold")
            .expect("gold");
        let silver = sc
            .tiers
            .iter()
            .position(|t| t.name == "silver")
            .expect("silver");
        let base = Layout::SharedTables;
        assert!(d.overrides.any());
        assert_eq!(d.overrides.of(base, gold, 0), Layout::DbPerTenant);
        assert_eq!(d.overrides.of(base, silver, 1), Layout::SchemaPerTenant);
        assert_eq!(d.overrides.of(base, silver, 0), Layout::SharedTables);
        let set =
            [Override::parse("data_architecture.tiers.gold.layout=shared_tables").expect("flag")];
        let sc = load_str("t.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sc.data_architecture.overrides.of(base, gold, 1),
            Layout::SharedTables
        );
        let none = load_str("t.toml", BASE, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!none.data_architecture.overrides.any());
    }

    #[test]
    fn impossible_overrides_are_refused_where_written() {
        let (line, col, msg) = error("[data_architecture.cells.2]\nlayout = \"db_per_tenant\"\n");
        assert_eq!((line, col), (12, 10), "{msg}");
        assert!(msg.contains("no cell `2`"), "{msg}");
        let (line, _, msg) = error("[data_architecture.tiers.golt]\nlayout = \"db_per_tenant\"\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("did you mean `gold`"), "{msg}");
        let (line, _, msg) = error("[data_architecture.tiers.gold]\nlayout = \"db_per_tenants\"\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("did you mean `db_per_tenant`"), "{msg}");
        let (line, _, msg) = error("[data_architecture.cells.0]\nlayout = \"shard_groups\"\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("not modelled per cell or per tier"), "{msg}");
        let (line, _, msg) = error(
            "dedicated_db_tiers = [\"gold\"]\n[data_architecture.cells.0]\nlayout = \"db_per_tenant\"\n",
        );
        assert_eq!(line, 13, "{msg}");
        assert!(msg.contains("together with dedicated_db_tiers"), "{msg}");
        let e = load_str(
            "t.toml",
            &format!("{BASE}[data_architecture.cells.0]\nlayout = \"db_per_tenant\"\n")
                .replace("\"shared_tables\"", "\"shard_groups\"\nshards = 1"),
            &[],
        )
        .expect_err("refused");
        assert!(
            e.0.iter()
                .any(|e| e.message.contains("with layout shard_groups")),
            "{e}"
        );
    }
}
