//! Exploration sharded across machines: `explore --shard K/N --out DIR` and `--merge`.
//!
//! Goal: N shards run disjoint shares of the seeds, and the merge prints and writes exactly
//! what one unsharded `explore` prints and writes (stdout and `--json`, byte for byte, and
//! the exit code); a merge of an incomplete set, of a shard given twice, or of shards of
//! another sweep (other flags) is refused (exit 2) with the reason. Method: the binary on
//! `scenarios/explore-gold-cell.toml`, 6 runs, unsharded and as 3 shards.

use std::path::PathBuf;
use std::process::Command;

const GOLD: &str = "scenarios/explore-gold-cell.toml";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "tenantsim-explore-shard-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Goal: the merge of every shard is the unsharded report, byte for byte. Method: see the
/// module documentation; each shard's file holds only its seeds.
#[test]
fn merged_shards_equal_one_unsharded_run() {
    let d = dir("merge");
    let whole_json = d.join("whole.json").display().to_string();
    let (want_code, want_out, err) = run(&[
        "explore",
        GOLD,
        "--runs",
        "6",
        "--jobs",
        "2",
        "--json",
        &whole_json,
    ]);
    assert!(want_code == 0 || want_code == 1, "{want_out}\n{err}");
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = d.join(format!("part{k}"));
        let ps = p.display().to_string();
        let (code, out, err) = run(&[
            "explore",
            GOLD,
            "--runs",
            "6",
            "--jobs",
            "1",
            "--shard",
            &format!("{k}/3"),
            "--out",
            &ps,
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(out.contains(&format!("shard {k}/3: 2 runs")), "{out}");
        let text = std::fs::read_to_string(p.join(format!("explore-partial-{k}-of-3.json")))
            .unwrap_or_else(|e| panic!("{e}"));
        // Shard k holds seeds k and k + 3 (every third run from the (k-1)-th).
        assert!(text.contains(&format!("\"seed\": {k},")), "{text}");
        assert!(text.contains(&format!("\"seed\": {},", k + 3)), "{text}");
        parts.push(ps);
    }
    let merged_json = d.join("merged.json").display().to_string();
    let mut args = vec![
        "explore",
        GOLD,
        "--runs",
        "6",
        "--json",
        &merged_json,
        "--merge",
    ];
    // Given in another order than 1, 2, 3: the merge does not care.
    let order = [&parts[2], &parts[0], &parts[1]];
    args.extend(order.iter().map(|s| s.as_str()));
    let (code, out, err) = run(&args);
    assert_eq!(code, want_code, "{out}\n{err}");
    assert_eq!(out, want_out, "stdout differs");
    let a = std::fs::read(&whole_json).unwrap_or_else(|e| panic!("{e}"));
    let b = std::fs::read(&merged_json).unwrap_or_else(|e| panic!("{e}"));
    assert!(a == b, "--json differs");

    // A shard missing, a shard twice, another sweep's flags: exit 2, with the reason.
    let (code, _, err) = run(&[
        "explore", GOLD, "--runs", "6", "--merge", &parts[0], &parts[1],
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("3/3") && err.contains("missing"), "{err}");
    let copy = d.join("copy");
    std::fs::create_dir_all(&copy).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        PathBuf::from(&parts[0]).join("explore-partial-1-of-3.json"),
        copy.join("explore-partial-1-of-3.json"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c = copy.display().to_string();
    let (code, _, err) = run(&[
        "explore", GOLD, "--runs", "6", "--merge", &parts[0], &parts[1], &parts[2], &c,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("given twice"), "{err}");
    let (code, _, err) = run(&[
        "explore",
        GOLD,
        "--runs",
        "6",
        "--set",
        "duration=4m",
        "--merge",
        &parts[0],
        &parts[1],
        &parts[2],
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a shard of this exploration"), "{err}");
    let (code, _, err) = run(&[
        "explore", GOLD, "--runs", "7", "--merge", &parts[0], &parts[1], &parts[2],
    ]);
    assert_eq!(code, 2, "{err}");
}

/// Goal: flags that do not go with `--shard` are refused before anything runs. Method: a
/// shard without `--out`, with `--json`, and a bad K/N.
#[test]
fn shard_flags_are_checked() {
    let d = dir("flags").display().to_string();
    for (args, want) in [
        (vec!["--shard", "1/2"], "--out"),
        (
            vec!["--shard", "1/2", "--out", &d, "--json", "x.json"],
            "--merge",
        ),
        (vec!["--shard", "3/2", "--out", &d], "K/N"),
        (vec!["--out", &d], "--shard"),
    ] {
        let mut all = vec!["explore", GOLD, "--runs", "2"];
        all.extend(args.iter().copied());
        let (code, out, err) = run(&all);
        assert_eq!(code, 2, "{args:?}: {out}\n{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
