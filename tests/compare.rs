//! `tenantsim compare` and `tenantsim merge` end to end: identical outputs for any `--jobs`,
//! shards merged byte-for-byte into what one machine writes, common random numbers across
//! variants, and clear errors for bad flags and mismatched shards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-compare-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small open-loop scenario: two cells, a hot tenant, every tenant Poisson.
const SCENARIO: &str = r#"version = 1
name = "cmp"
duration = "40s"
[platform]
cells = 3
workers = 4
scheduler = "fifo"
[[tenants]]
id = "hot"
rate = "60/s"
[[cohorts]]
name = "small"
count = 24
rate = "uniform(2/s, 12/s)"
[[faults]]
kind = "hot_tenant"
tenant = "hot"
at = "10s"
for = "15s"
factor = 8
[[slos]]
name = "bystander-latency"
objective = "p(99) < 300ms"
exclude = ["hot"]
"#;

fn scenario(dir: &Path) -> PathBuf {
    let f = dir.join("cmp.toml");
    std::fs::write(&f, SCENARIO).unwrap();
    f
}

/// Standard output without the line naming the output directory.
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.trim_start().starts_with("wrote "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn compare(args: &[&str]) -> Output {
    bin().arg("compare").args(args).output().unwrap()
}

/// Every file under `dir` (relative path → bytes), sorted, without the marker file.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                if rel != ".tenantsim" && !rel.starts_with("partial-") {
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn jobs_and_shards_give_byte_identical_outputs() {
    let d = tmp_dir("identical");
    let f = scenario(&d);
    let f = f.to_str().unwrap();
    let common = [
        f,
        "--vary",
        "platform.scheduler=fifo,drr",
        "--vary",
        "control_plane.placement=round_robin,least_loaded",
        "--seeds",
        "1..=3",
    ];
    let run = |extra: &[&str]| {
        let mut args = common.to_vec();
        args.extend_from_slice(extra);
        let o = compare(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    let one = d.join("one");
    let two = d.join("two");
    let o1 = run(&["--jobs", "1", "--out", one.to_str().unwrap()]);
    let o2 = run(&["--jobs", "2", "--out", two.to_str().unwrap()]);
    assert_eq!(
        stdout(&o1),
        stdout(&o2),
        "terminal output differs with --jobs"
    );
    let a = files(&one);
    assert_eq!(a, files(&two), "outputs differ between --jobs 1 and 2");
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "compare.json",
        "compare.csv",
        "runs.csv",
        "report.html",
        "charts/compare_pareto.svg",
        "charts/compare_blast_radius.png",
    ] {
        assert!(names.contains(&want), "missing {want}: {names:?}");
    }

    // Three shards on "three machines", then merged.
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = d.join(format!("part{k}"));
        let shard = format!("{k}/3");
        let o = run(&["--shard", &shard, "--out", p.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("tenantsim merge"));
        assert!(p.join(format!("partial-{k}-of-3.json")).exists());
        parts.push(p);
    }
    let merged = d.join("merged");
    let mut m = bin();
    m.arg("merge");
    for p in parts.iter().rev() {
        m.arg(p);
    }
    let o = m.arg("--out").arg(&merged).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        stdout(&o),
        stdout(&o1),
        "merge prints what one machine printed"
    );
    assert_eq!(
        files(&merged),
        a,
        "merged outputs differ from one machine's"
    );

    // Missing and duplicated shards are refused.
    let o = bin()
        .arg("merge")
        .arg(&parts[0])
        .arg(&parts[2])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("shards 2/3 are missing"));
    let o = bin()
        .arg("merge")
        .arg(parts[0].join("partial-1-of-3.json"))
        .arg(&parts[0])
        .arg(&parts[1])
        .arg(&parts[2])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "the same file twice is one input");
}

#[test]
fn shards_of_different_sweeps_are_refused() {
    let d = tmp_dir("mismatch");
    let f = scenario(&d);
    let p1 = d.join("p1");
    let p2 = d.join("p2");
    let base = [
        f.to_str().unwrap(),
        "--vary",
        "platform.scheduler=fifo,drr",
        "--seeds",
        "1..=2",
        "--set",
        "duration=30s",
    ];
    let mut a1 = base.to_vec();
    a1.extend(["--shard", "1/2", "--out", p1.to_str().unwrap()]);
    assert_eq!(compare(&a1).status.code(), Some(0));
    // Same flags, edited scenario file.
    std::fs::write(&f, SCENARIO.replace("count = 24", "count = 25")).unwrap();
    let mut a2 = base.to_vec();
    a2.extend(["--shard", "2/2", "--out", p2.to_str().unwrap()]);
    assert_eq!(compare(&a2).status.code(), Some(0));
    let o = bin().arg("merge").arg(&p1).arg(&p2).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("different sweeps") && err.contains("contents differ"),
        "{err}"
    );
}

/// Common random numbers: for a seed, every variant offers the same requests per tenant
/// (same arrivals), so `runs.csv` has the same workload digest in every row of a seed, and
/// the runs themselves differ (different digests) only because the decision differs.
#[test]
fn variants_share_the_workload_of_a_seed() {
    let d = tmp_dir("crn");
    let f = scenario(&d);
    let out = d.join("out");
    let o = compare(&[
        f.to_str().unwrap(),
        "--vary",
        "control_plane.placement=round_robin,least_loaded,random,power_of_two,shuffle_shard",
        "--vary",
        "platform.scheduler=fifo,drr",
        "--seeds",
        "1..=3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("offered load differs"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut by_seed: std::collections::BTreeMap<String, Vec<(String, String)>> =
        std::collections::BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let n = cols.len();
        by_seed
            .entry(cols[1].to_string())
            .or_default()
            .push((cols[n - 2].to_string(), cols[n - 1].to_string()));
    }
    assert_eq!(by_seed.len(), 3);
    for (seed, rows) in &by_seed {
        assert_eq!(rows.len(), 10);
        assert!(
            rows.iter().all(|r| r.0 == rows[0].0),
            "seed {seed}: workload differs across variants: {rows:?}"
        );
        let mut digests: Vec<&String> = rows.iter().map(|r| &r.1).collect();
        digests.sort();
        digests.dedup();
        assert!(
            digests.len() > 1,
            "seed {seed}: every variant ran identically"
        );
    }
    // Different seeds give different workloads.
    let firsts: Vec<&String> = by_seed.values().map(|r| &r[0].0).collect();
    assert!(firsts[0] != firsts[1] && firsts[1] != firsts[2]);
}

#[test]
fn bad_compare_flags_exit_2_with_help() {
    let d = tmp_dir("bad");
    let f = scenario(&d);
    let f = f.to_str().unwrap();
    for (args, want) in [
        (vec![f, "--vary", "platform.scheduler"], "KEY=V1,V2"),
        (
            vec![f, "--vary", "platform.scheduler=fifo,bogus"],
            "while loading variant `bogus`",
        ),
        (
            vec![
                f,
                "--vary",
                "platform.scheduler=fifo,drr",
                "--baseline",
                "x",
            ],
            "the variants are: fifo, drr",
        ),
        (
            vec![f, "--vary", "platform.scheduler=fifo,drr", "--shard", "1/2"],
            "give `--out DIR`",
        ),
        (
            vec![
                f,
                "--vary",
                "platform.scheduler=fifo,drr",
                "--shard",
                "3/2",
                "--out",
                "x",
            ],
            "1 ≤ K ≤ N",
        ),
    ] {
        let o = compare(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: want `{want}` in:\n{err}");
        assert!(!err.contains("panicked"));
    }
}

/// Shards merged are byte-identical to one machine on a shipped scenario too: its metrics
/// have full-precision floats, which must survive the partial results' JSON exactly.
#[test]
fn merge_is_exact_on_a_shipped_scenario() {
    let d = tmp_dir("shipped");
    let root = env!("CARGO_MANIFEST_DIR");
    let file = format!("{root}/scenarios/hot-tenant.toml");
    let common = [
        file.as_str(),
        "--vary",
        "platform.scheduler=fifo,drr",
        "--seeds",
        "1..=3",
    ];
    let one = d.join("one");
    let mut args = common.to_vec();
    args.extend(["--jobs", "1", "--out", one.to_str().unwrap()]);
    assert_eq!(compare(&args).status.code(), Some(0));
    let mut m = bin();
    m.arg("merge");
    for k in 1..=4 {
        let p = d.join(format!("p{k}"));
        let shard = format!("{k}/4");
        let mut args = common.to_vec();
        args.extend(["--shard", &shard, "--out", p.to_str().unwrap()]);
        assert_eq!(compare(&args).status.code(), Some(0));
        m.arg(&p);
    }
    let merged = d.join("merged");
    let o = m.arg("--out").arg(&merged).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(files(&merged), files(&one));
    // A hand-edited partial is refused with exit 2, never a panic.
    let part = d.join("p1").join("partial-1-of-4.json");
    let text = std::fs::read_to_string(&part).unwrap();
    std::fs::write(
        &part,
        text.replace("\"shards\": 4", "\"shards\": 18446744073709551615"),
    )
    .unwrap();
    let o = bin().arg("merge").arg(&part).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a usable partial result"));
}

/// Goal: `compare --vary` reaches a rollout's plan knobs (here the canary's size, through a
/// `[[rollouts.groups]]` table named `canary`) and every variant runs. Method: the shipped
/// bad-config-rollout at 1% and 10% canaries, 2 seeds; exit 0, both labels in the table, and
/// the per-run CSV holds 4 runs.
#[test]
fn vary_reaches_rollout_plan_knobs() {
    let d = tmp_dir("rollout-vary");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let f = root.join("scenarios/bad-config-rollout.toml");
    let out = d.join("out");
    let o = compare(&[
        f.to_str().unwrap(),
        "--vary",
        "rollouts.limits.groups.canary.percent=1%,10%",
        "--seeds",
        "1..=2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(
        text.contains("rollouts.limits.groups.canary.percent"),
        "{text}"
    );
    assert!(text.contains("10%"), "{text}");
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 5, "{runs}");
}
