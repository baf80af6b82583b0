//! A cell's DB servers beyond its one primary, in `[data_architecture]`: shard groups with
//! hash routing (`layout = "shard_groups"`) and a dedicated DB server for a tier without a
//! dedicated cell (`dedicated_db_tiers`).
//!
//! ```toml
//! [data_architecture]
//! layout = "shard_groups"
//! shards = 4                      # shard servers per cell (default 4)
//! shard_cores = 2                 # each shard's cores (default: the cell's DB cores / shards)
//! shard_connections = 8           # each shard's pool (default: the cell's pool / shards)
//! dedicated_db_tiers = ["gold"]   # these tiers' tenants get their own server in every cell
//! dedicated_db_cores = 4          # its cores (default: platform.db.cores)
//! dedicated_db_connections = 16   # its pool (default: platform.db.connections)
//! ```
//!
//! **Routing.** A tenant's shard is [`shard_of`]: the 64-bit FNV-1a hash of its id's UTF-8
//! bytes, finalised by SplitMix64's `mix64`, modulo `shards`. It depends on the id alone
//! (not on the tenant's index, its cell, the seed or the other tenants), so a tenant keeps
//! its shard across runs, seeds, moves and fleet changes. Shard 0 is the cell's primary
//! server resized to one shard; shards 1.. are servers of their own. A tenant of a tier in
//! `dedicated_db_tiers` is served by its cell's dedicated server instead, under any layout
//! but `db_per_tenant` (refused: those tenants' own pools would stay on the cell's server).
//!
//! What it guarantees: shards in 1..=256 and, unless declared, at least one core and one
//! connection per shard in every cell (else refused where `shards` is written); every tier
//! named exists, at most once; sizes in range; every mistake at its file:line:column. Keys
//! of another layout are accepted and do nothing (so `compare --vary data_architecture.
//! layout=…` works on one file). Without these keys [`DbServers::any`] is false and the
//! platform builds no server.

use super::data_arch::{DataArch, DataArchConfig, Layout};
use super::{suggest, Checker, Platform, Tier};
use toml::Spanned;

/// Validated shard and dedicated servers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DbServers {
    /// Shard servers per cell (0: not shard_groups).
    pub shards: u32,
    /// Cores per shard (`None`: the cell's DB cores / shards, rounded down).
    pub shard_cores: Option<u32>,
    /// Connections per shard (`None`: the cell's pool / shards, rounded down).
    pub shard_connections: Option<u32>,
    /// Tiers (indices into `Scenario::tiers`) with a dedicated server in every cell.
    pub dedicated_tiers: Vec<usize>,
    /// Cores of a dedicated server.
    pub dedicated_cores: u32,
    /// Connections of a dedicated server.
    pub dedicated_connections: u32,
}

impl DbServers {
    /// Whether any server beyond the cells' primaries is modelled.
    pub fn any(&self) -> bool {
        self.shards > 1 || !self.dedicated_tiers.is_empty()
    }
}

/// FNV-1a, 64 bits, over `bytes` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The shard (0-based) of the tenant with id `id` among `shards`: `mix64(fnv1a64(id)) %
/// shards` (0 when `shards` is 0).
pub fn shard_of(id: &str, shards: u32) -> u32 {
    if shards == 0 {
        return 0;
    }
    (sim::digest::mix64(fnv1a64(id.as_bytes())) % u64::from(shards)) as u32
}

/// Validates the server keys of `[data_architecture]` into `out.servers` (after
/// `data_arch::data_architecture` has read the layout).
pub(super) fn check(
    c: &mut Checker,
    raw: &Option<DataArchConfig>,
    tiers: &[Tier],
    platform: &Platform,
    out: &mut DataArch,
) {
    let Some(raw) = raw else {
        return;
    };
    const AT: &str = "data_architecture";
    let mut s = DbServers {
        dedicated_cores: platform.db.cores,
        dedicated_connections: platform.db.connections,
        ..DbServers::default()
    };
    let shards: u32 = c.opt_count(&raw.shards, 4, 1, 256, &format!("{AT}.shards"));
    s.shard_cores = raw
        .shard_cores
        .as_ref()
        .map(|v| c.count(v, 1, 1_000_000, &format!("{AT}.shard_cores")));
    s.shard_connections = raw
        .shard_connections
        .as_ref()
        .map(|v| c.count(v, 1, 100_000, &format!("{AT}.shard_connections")));
    if out.layout == Some(Layout::ShardGroups) && shards > 0 {
        s.shards = shards;
        shard_sizes_fit(c, raw, platform, &s, shards);
    }
    if let Some(list) = &raw.dedicated_db_tiers {
        dedicated_tiers(c, raw, list, tiers, (out.layout, &mut s.dedicated_tiers));
    }
    s.dedicated_cores = c.opt_count(
        &raw.dedicated_db_cores,
        s.dedicated_cores,
        1,
        1_000_000,
        &format!("{AT}.dedicated_db_cores"),
    );
    s.dedicated_connections = c.opt_count(
        &raw.dedicated_db_connections,
        s.dedicated_connections,
        1,
        100_000,
        &format!("{AT}.dedicated_db_connections"),
    );
    out.servers = s;
}

/// Without declared shard sizes every cell's server is divided among the `shards`: each
/// shard needs a core and a connection of the smallest cell's DB.
fn shard_sizes_fit(
    c: &mut Checker,
    raw: &DataArchConfig,
    platform: &Platform,
    s: &DbServers,
    shards: u32,
) {
    const AT: &str = "data_architecture";
    let span = raw
        .shards
        .as_ref()
        .map_or_else(|| raw.layout.span(), |v| v.span());
    let cells = platform.cells.max(1);
    let smallest = (0..cells)
        .map(|i| platform.size_of(i))
        .map(|z| (z.db_cores, z.db_connections))
        .fold((u32::MAX, u32::MAX), |a, b| (a.0.min(b.0), a.1.min(b.1)));
    if s.shard_cores.is_none() && smallest.0 < shards {
        c.err(
            span.clone(),
            format!(
                "{AT}.shards is {shards} but a cell's DB has {} cores: each shard would get none; declare {AT}.shard_cores or use fewer shards",
                smallest.0
            ),
        );
    }
    if s.shard_connections.is_none() && smallest.1 < shards {
        c.err(
            span,
            format!(
                "{AT}.shards is {shards} but a cell's DB pool has {} connections: each shard would get none; declare {AT}.shard_connections or use fewer shards",
                smallest.1
            ),
        );
    }
}

/// `dedicated_db_tiers`: a non-empty list of declared tiers, each once, not with layout
/// `db_per_tenant`; their indices go to `dedicated`.
fn dedicated_tiers(
    c: &mut Checker,
    raw: &DataArchConfig,
    list: &[Spanned<String>],
    tiers: &[Tier],
    (layout, dedicated): (Option<Layout>, &mut Vec<usize>),
) {
    const AT: &str = "data_architecture";
    if list.is_empty() {
        c.err(
            raw.layout.span(),
            format!("{AT}.dedicated_db_tiers is empty; name a tier (e.g. [\"gold\"]) or leave the key out"),
        );
    }
    for name in list {
        let n = name.get_ref();
        match tiers.iter().position(|t| t.name == *n) {
            Some(i) if dedicated.contains(&i) => c.err(
                name.span(),
                format!("{AT}.dedicated_db_tiers names `{n}` twice"),
            ),
            Some(i) => {
                if layout == Some(Layout::DbPerTenant) {
                    c.err(
                        name.span(),
                        format!(
                            "{AT}.dedicated_db_tiers: a dedicated server for tier `{n}` is not modelled with layout db_per_tenant (those tenants' own pools stay on the cell's server); use shared_tables, schema_per_tenant or shard_groups"
                        ),
                    );
                }
                dedicated.push(i);
            }
            None => c.err(
                name.span(),
                format!(
                    "{AT}.dedicated_db_tiers: no tier `{n}`{} (tiers: {})",
                    suggest::hint(n, tiers.iter().map(|t| t.name.as_str())),
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

#[cfg(test)]
mod tests {
    //! Goal: the routing hash is the documented one, stable and balanced; every class of
    //! mistake in the server keys is refused where it is written; `--set` reaches them.
    //! Method: known FNV-1a vectors; 1,000 ids over 8 shards; small scenarios with one
    //! mistake each.
    use super::*;
    use crate::scenario::{load_str, Override};

    const BASE: &str = "version = 1\nduration = \"10s\"\n[platform.db]\nconnections = 8\ncores = 4\n[[tenants]]\nid = \"a\"\ntier = \"gold\"\nrate = \"1/s\"\n";

    fn error(extra: &str) -> (usize, usize, String) {
        let e = load_str("t.toml", &format!("{BASE}{extra}"), &[]).expect_err("refused");
        (e.0[0].line, e.0[0].column, e.0[0].message.clone())
    }

    #[test]
    fn the_hash_is_fnv1a_and_the_shards_are_balanced() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // Pinned: a change of the routing moves tenants' data and must be deliberate.
        let pinned: Vec<u32> = ["a", "b", "noisy", "mates-001", "mates-002"]
            .iter()
            .map(|id| shard_of(id, 4))
            .collect();
        assert_eq!(pinned, vec![0, 1, 1, 2, 3]);
        let mut n = [0u32; 8];
        for i in 0..1_000 {
            n[shard_of(&format!("tenant-{i:04}"), 8) as usize] += 1;
        }
        // 125 expected per shard; a fair hash stays within ±30% (about 3.4 sigma).
        assert!(n.iter().all(|&k| (88..=162).contains(&k)), "{n:?}");
        assert_eq!(shard_of("x", 0), 0);
    }

    #[test]
    fn shards_load_and_set_reaches_them() {
        let sc = load_str(
            "t.toml",
            &format!("{BASE}[data_architecture]\nlayout = \"shard_groups\"\nshards = 2\n"),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = &sc.data_architecture.servers;
        assert_eq!(
            (s.shards, s.shard_cores, s.shard_connections),
            (2, None, None)
        );
        let set = [
            Override::parse("data_architecture.shards=4").expect("flag"),
            Override::parse("data_architecture.dedicated_db_tiers=[\"gold\"]").expect("flag"),
            Override::parse("data_architecture.dedicated_db_cores=2").expect("flag"),
        ];
        let sc = load_str(
            "t.toml",
            &format!("{BASE}[data_architecture]\nlayout = \"shard_groups\"\n"),
            &set,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = &sc.data_architecture.servers;
        assert_eq!(s.shards, 4);
        assert_eq!(s.dedicated_tiers.len(), 1);
        assert_eq!((s.dedicated_cores, s.dedicated_connections), (2, 8));
        // Another layout ignores the shard keys.
        let sc = load_str(
            "t.toml",
            &format!("{BASE}[data_architecture]\nlayout = \"shared_tables\"\nshards = 3\n"),
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!sc.data_architecture.servers.any());
    }

    #[test]
    fn impossible_server_settings_are_refused_where_written() {
        let (line, col, msg) =
            error("[data_architecture]\nlayout = \"shard_groups\"\nshards = 8\n");
        assert_eq!((line, col), (12, 10), "{msg}");
        assert!(msg.contains("4 cores: each shard would get none"), "{msg}");
        let (line, _, msg) = error("[data_architecture]\nlayout = \"shard_groups\"\nshards = 0\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("shards is 0"), "{msg}");
        let (line, _, msg) =
            error("[data_architecture]\nlayout = \"shard_groups\"\nshards = 16\nshard_cores = 1\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("8 connections"), "{msg}");
        let (line, col, msg) =
            error("[data_architecture]\nlayout = \"shared_tables\"\ndedicated_db_tiers = [\"gold\", \"golt\"]\n");
        assert_eq!((line, col), (12, 31), "{msg}");
        assert!(msg.contains("did you mean `gold`"), "{msg}");
        let (line, _, msg) =
            error("[data_architecture]\nlayout = \"shared_tables\"\ndedicated_db_tiers = [\"gold\", \"gold\"]\n");
        assert_eq!(line, 12, "{msg}");
        assert!(msg.contains("twice"), "{msg}");
        let (line, _, msg) = error(
            "[data_architecture]\nlayout = \"db_per_tenant\"\ndedicated_db_tiers = [\"gold\"]\n",
        );
        assert_eq!(line, 12, "{msg}");
        assert!(
            msg.contains("not modelled with layout db_per_tenant"),
            "{msg}"
        );
        let (line, _, msg) = error(
            "[data_architecture]\nlayout = \"shared_tables\"\ndedicated_db_tiers = [\"gold\"]\ndedicated_db_cores = 0\n",
        );
        assert_eq!(line, 13, "{msg}");
        assert!(msg.contains("dedicated_db_cores is 0"), "{msg}");
        let (line, _, msg) =
            error("[data_architecture]\nlayout = \"shared_tables\"\ndedicated_db_tiers = []\n");
        assert_eq!(line, 11, "{msg}");
        assert!(msg.contains("empty"), "{msg}");
    }
}
