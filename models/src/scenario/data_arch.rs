//! `[data_architecture]`: how tenants' data is laid out in each cell's database — shared
//! tables with a tenant key (one pool, one catalogue), a schema per tenant (one pool, a
//! catalogue that grows with the tenants), or a database per tenant on the cell's shared
//! server (a connection pool per tenant).
//!
//! ```toml
//! [data_architecture]
//! layout = "db_per_tenant"        # shared_tables | schema_per_tenant | db_per_tenant
//!                                 #   | shard_groups (shards, shard_cores, shard_connections;
//!                                 #   and dedicated_db_tiers: see `scenario::data_servers`)
//! tenant_pool = 2                 # db_per_tenant: connections in each tenant's own pool
//! connection_overhead = "0.2%"    # db_per_tenant: server capacity each connection open
//!                                 #   beyond the cell's own pool size costs (idle ones too)
//! planning_per_schema = "1us"     # schema_per_tenant: planning work per query per schema
//! connect = "10ms"                # every layout: DB work to open one connection
//! migration_per_tenant = "2s"     # a schema migration's DB work per tenant's data
//! migration_parallelism = 4       # per-tenant layouts: migrations run at once
//! ```
//!
//! What it guarantees: the layout is one of the three; pools, parallelism and overheads are
//! in range. A key that only another layout reads is accepted and does nothing, so that one
//! file can be compared across layouts (`compare --vary data_architecture.layout=…`). Every mistake is reported at its file:line:column. A scenario without the
//! section gets `layout = None` and the platform builds nothing for it (its runs are
//! byte-identical to runs before this section existed). Writing `layout = "shared_tables"`
//! is not the same as leaving the section out: connections are then modelled (a restart
//! reopens the cell's pool, each open costs `connect` of DB work).

use super::values::{Dur, Fraction};
use super::{suggest, Checker};
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[data_architecture]`, as written.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DataArchConfig {
    /// `shared_tables`, `schema_per_tenant` or `db_per_tenant`.
    pub layout: Spanned<String>,
    /// db_per_tenant: connections in each tenant's own pool (default 2).
    pub tenant_pool: Option<Spanned<i64>>,
    /// db_per_tenant: DB capacity each open connection beyond the cell's pool size costs
    /// (default 0.2%).
    pub connection_overhead: Option<Spanned<Fraction>>,
    /// schema_per_tenant: planning work each query pays per schema in its cell's catalogue
    /// (default 1us).
    pub planning_per_schema: Option<Spanned<Dur>>,
    /// DB work to open one connection (default 10ms); a restart closes them all.
    pub connect: Option<Spanned<Dur>>,
    /// A schema migration's DB work per tenant's data (default 2s).
    pub migration_per_tenant: Option<Spanned<Dur>>,
    /// Per-tenant layouts: migrations that run at once (default 4).
    pub migration_parallelism: Option<Spanned<i64>>,
    /// shard_groups: shard servers per cell (default 4; see `scenario::data_servers`).
    pub shards: Option<Spanned<i64>>,
    /// shard_groups: cores of each shard server (default: the cell's DB cores / shards).
    pub shard_cores: Option<Spanned<i64>>,
    /// shard_groups: connections of each shard server (default: the cell's pool / shards).
    pub shard_connections: Option<Spanned<i64>>,
    /// Tiers whose tenants get a dedicated DB server in every cell (e.g. `["gold"]`).
    pub dedicated_db_tiers: Option<Vec<Spanned<String>>>,
    /// Cores of each dedicated DB server (default: `platform.db.cores`).
    pub dedicated_db_cores: Option<Spanned<i64>>,
    /// Connections of each dedicated DB server (default: `platform.db.connections`).
    pub dedicated_db_connections: Option<Spanned<i64>>,
    /// A layout for one cell's tenants, by cell index (see `scenario::data_layouts`).
    pub cells: Option<std::collections::BTreeMap<String, super::data_layouts::LayoutOverride>>,
    /// A layout for one tier's tenants, by tier name (see `scenario::data_layouts`).
    pub tiers: Option<std::collections::BTreeMap<String, super::data_layouts::LayoutOverride>>,
}

/// Where tenants' data lives in a cell's database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One set of tables, rows keyed by tenant; the cell's one connection pool.
    SharedTables,
    /// A schema per tenant in one database; the cell's one pool; the catalogue grows.
    SchemaPerTenant,
    /// A database per tenant on the cell's server; a pool per tenant.
    DbPerTenant,
    /// The cell's DB split into shard servers; a tenant's rows live on the shard its id
    /// hashes to (`scenario::data_servers`).
    ShardGroups,
}

impl Layout {
    /// Every layout, as written in a scenario.
    pub const NAMES: [&'static str; 4] = [
        "shared_tables",
        "schema_per_tenant",
        "db_per_tenant",
        "shard_groups",
    ];

    /// The name as written in a scenario.
    pub fn name(self) -> &'static str {
        match self {
            Layout::SharedTables => "shared_tables",
            Layout::SchemaPerTenant => "schema_per_tenant",
            Layout::DbPerTenant => "db_per_tenant",
            Layout::ShardGroups => "shard_groups",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Layout> {
        match s {
            "shared_tables" => Some(Layout::SharedTables),
            "schema_per_tenant" => Some(Layout::SchemaPerTenant),
            "db_per_tenant" => Some(Layout::DbPerTenant),
            "shard_groups" => Some(Layout::ShardGroups),
            _ => None,
        }
    }
}

/// A validated data architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct DataArch {
    /// The layout (`None`: the section is absent and nothing is modelled).
    pub layout: Option<Layout>,
    /// Connections per tenant pool (db_per_tenant).
    pub tenant_pool: u32,
    /// Capacity fraction each extra open connection costs (db_per_tenant).
    pub connection_overhead: f64,
    /// Planning work per query per schema (schema_per_tenant).
    pub planning_per_schema: SimDuration,
    /// DB work to open a connection.
    pub connect: SimDuration,
    /// Migration DB work per tenant.
    pub migration_per_tenant: SimDuration,
    /// Per-tenant migrations at once.
    pub migration_parallelism: u32,
    /// Shard servers and tier-dedicated servers (`scenario::data_servers`).
    pub servers: super::data_servers::DbServers,
    /// Layouts per cell and per tier (`scenario::data_layouts`).
    pub overrides: super::data_layouts::LayoutOverrides,
}

impl Default for DataArch {
    fn default() -> Self {
        DataArch {
            layout: None,
            tenant_pool: 2,
            connection_overhead: 0.002,
            planning_per_schema: SimDuration::from_micros(1),
            connect: SimDuration::from_millis(10),
            migration_per_tenant: SimDuration::from_secs(2),
            migration_parallelism: 4,
            servers: super::data_servers::DbServers::default(),
            overrides: super::data_layouts::LayoutOverrides::default(),
        }
    }
}

/// Validates `[data_architecture]`.
pub(super) fn data_architecture(c: &mut Checker, raw: &Option<DataArchConfig>) -> DataArch {
    let mut out = DataArch::default();
    let Some(raw) = raw else {
        return out;
    };
    const AT: &str = "data_architecture";
    let name = raw.layout.get_ref();
    let layout = match Layout::parse(name) {
        Some(l) => l,
        None => {
            c.err(
                raw.layout.span(),
                format!(
                    "{AT}.layout is `{name}`{}; layouts are: {}",
                    suggest::hint(name, Layout::NAMES.iter().copied()),
                    Layout::NAMES.join(", ")
                ),
            );
            Layout::SharedTables
        }
    };
    out.layout = Some(layout);
    out.tenant_pool = c.opt_count(
        &raw.tenant_pool,
        out.tenant_pool,
        1,
        1_000,
        &format!("{AT}.tenant_pool"),
    );
    if let Some(f) = &raw.connection_overhead {
        let x = f.get_ref().0;
        if !(0.0..=0.05).contains(&x) {
            c.err(
                f.span(),
                format!("{AT}.connection_overhead is {x}; it must be in [0, 5%] (the DB capacity one open connection costs)"),
            );
        } else {
            out.connection_overhead = x;
        }
    }
    if let Some(d) = &raw.planning_per_schema {
        out.planning_per_schema = d.get_ref().0;
    }
    if let Some(d) = &raw.connect {
        out.connect = d.get_ref().0;
    }
    if let Some(d) = &raw.migration_per_tenant {
        if d.get_ref().0 == SimDuration::ZERO {
            c.err(
                d.span(),
                format!(
                    "{AT}.migration_per_tenant is zero; a migration does some work, e.g. \"2s\""
                ),
            );
        }
        out.migration_per_tenant = d.get_ref().0;
    }
    out.migration_parallelism = c.opt_count(
        &raw.migration_parallelism,
        out.migration_parallelism,
        1,
        100_000,
        &format!("{AT}.migration_parallelism"),
    );
    out
}

#[cfg(test)]
mod tests {
    //! Goal: every class of mistake in `[data_architecture]` is refused where it is written,
    //! a valid section loads with its defaults, and `--set` reaches the keys. Method: small
    //! scenarios with one mistake each; the error's line, column and message.
    use super::Layout;
    use crate::scenario::{load_str, Override};
    use sim::SimDuration;

    const BASE: &str = "version = 1\nduration = \"10s\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n";

    fn error(extra: &str) -> (usize, usize, String) {
        let e = load_str("t.toml", &format!("{BASE}{extra}"), &[]).expect_err("refused");
        (e.0[0].line, e.0[0].column, e.0[0].message.clone())
    }

    #[test]
    fn a_valid_section_loads_with_its_defaults_and_set_reaches_it() {
        let sc = load_str(
            "t.toml",
            &format!("{BASE}[data_architecture]\nlayout = \"db_per_tenant\"\ntenant_pool = 3\n"),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let d = &sc.data_architecture;
        assert_eq!(d.layout, Some(Layout::DbPerTenant));
        assert_eq!(d.tenant_pool, 3);
        assert_eq!(d.connect, SimDuration::from_millis(10));
        assert_eq!(d.migration_parallelism, 4);
        let none = load_str("t.toml", BASE, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(none.data_architecture.layout, None);
        let set = [
            Override::parse("data_architecture.layout=schema_per_tenant").expect("flag"),
            Override::parse("data_architecture.planning_per_schema=5us").expect("flag"),
        ];
        let sc = load_str("t.toml", BASE, &set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.data_architecture.layout, Some(Layout::SchemaPerTenant));
        assert_eq!(
            sc.data_architecture.planning_per_schema,
            SimDuration::from_micros(5)
        );
    }

    #[test]
    fn an_unknown_layout_names_the_layouts() {
        let (line, col, msg) = error("[data_architecture]\nlayout = \"db_per_tenants\"\n");
        assert_eq!((line, col), (7, 10), "{msg}");
        assert!(msg.contains("did you mean `db_per_tenant`"), "{msg}");
        assert!(msg.contains("shared_tables, schema_per_tenant"), "{msg}");
    }

    #[test]
    fn a_key_of_another_layout_is_accepted_so_layouts_can_be_compared() {
        let text = format!(
            "{BASE}[data_architecture]\nlayout = \"db_per_tenant\"\ntenant_pool = 3\nplanning_per_schema = \"2us\"\n"
        );
        let set = [Override::parse("data_architecture.layout=shared_tables").expect("flag")];
        let sc = load_str("t.toml", &text, &set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.data_architecture.layout, Some(Layout::SharedTables));
        assert_eq!(sc.data_architecture.tenant_pool, 3);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let (line, _, msg) =
            error("[data_architecture]\nlayout = \"db_per_tenant\"\ntenant_pool = 0\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("tenant_pool is 0"), "{msg}");
        let (line, _, msg) = error(
            "[data_architecture]\nlayout = \"db_per_tenant\"\nconnection_overhead = \"20%\"\n",
        );
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("[0, 5%]"), "{msg}");
        let (line, _, msg) =
            error("[data_architecture]\nlayout = \"shared_tables\"\nmigration_parallelism = 0\n");
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("migration_parallelism is 0"), "{msg}");
        let (line, _, msg) = error(
            "[data_architecture]\nlayout = \"shared_tables\"\nmigration_per_tenant = \"0s\"\n",
        );
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("migration_per_tenant is zero"), "{msg}");
        let (line, _, msg) = error("[data_architecture]\ntenant_pool = 2\n");
        assert_eq!(line, 6, "{msg}");
        assert!(msg.contains("layout"), "{msg}");
    }
}
