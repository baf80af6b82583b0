//! Rollout groups with a `regions` selector and an `order_by` (Atlas-shaped deployment
//! groups: match, order by, parallel): the plan the engine runs picks the tenants on the
//! named regions' cells and changes them in the declared order; `percent` then takes the
//! first of that order; the engine's waves have the planned sizes.
//!
//! Method: 2 cells, `us` (0) and `eu` (1); five tenants with known cells and data sizes.
//! We read the plan (`platform::rollout::planned_tenants`, the function the engine builds its
//! waves with) and the run's per-wave tenant counts.

use models::population::Population;
use models::scenario::load_str;
use models::scenario::overrides::Override;

const SC: &str = r#"version = 1
duration = "1m"
[platform]
cells = 2
regions = ["us", "eu"]
[[tenants]]
id = "a"
rate = "2/s"
cell = 0
data_size = "const(5GB)"
[[tenants]]
id = "b"
rate = "2/s"
cell = 1
data_size = "const(3GB)"
[[tenants]]
id = "c"
rate = "2/s"
cell = 1
data_size = "const(1GB)"
[[tenants]]
id = "d"
rate = "2/s"
cell = 1
data_size = "const(2GB)"
[[tenants]]
id = "e"
rate = "2/s"
cell = 0
data_size = "const(1GB)"
[[rollouts]]
name = "m"
change = "migration"
migrate_rate = "const(1GB)"
at = "5s"
bake = "1s"
[[rollouts.groups]]
name = "eu"
regions = ["eu"]
order_by = "size"
[[rollouts.groups]]
name = "rest"
order_by = "name"
order = "desc"
"#;

fn plan(sets: &[&str]) -> Vec<Vec<u32>> {
    let o: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    let sc = load_str("groups.toml", SC, &o).unwrap_or_else(|e| panic!("{e}"));
    let pop = Population::build(&sc, 1);
    models::platform::rollout::planned_tenants(&sc, &pop).remove(0)
}

/// Goal: the region group takes exactly the `eu` cell's tenants, smallest first; the rest
/// go by name descending. Method: the plan of the file as written.
#[test]
fn regions_select_and_order_by_orders() {
    // a=0 b=1 c=2 d=3 e=4: eu holds b (3GB), c (1GB), d (2GB).
    assert_eq!(plan(&[]), vec![vec![2, 3, 1], vec![4, 0]]);
    let sc = load_str("groups.toml", SC, &[]).unwrap();
    let out = models::harness::run::run(&sc, 1, None).unwrap();
    let r = &out.summary.rollouts[0];
    assert_eq!(r.outcome, "completed", "{r:?}");
    let sizes: Vec<u32> = r.waves.iter().map(|w| w.tenants).collect();
    assert_eq!(sizes, vec![3, 2]);
}

/// Goal: with `order_by`, `percent` takes the first tenants of the order (the smallest),
/// descending order reverses it, and `--set` reaches the group keys. Method: 20% of 5
/// tenants (one) smallest first, then largest first.
#[test]
fn percent_takes_the_first_of_the_order() {
    assert_eq!(plan(&["rollouts.m.groups.eu.percent=20%"])[0], vec![2]);
    assert_eq!(
        plan(&[
            "rollouts.m.groups.eu.percent=20%",
            "rollouts.m.groups.eu.order=desc"
        ])[0],
        vec![1]
    );
    assert_eq!(
        plan(&["rollouts.m.groups.eu.order_by=name"])[0],
        vec![1, 2, 3]
    );
}
