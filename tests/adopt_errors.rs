//! Errors a new user meets, as the binary prints them: "did you mean", `--set` / `--vary`
//! errors located on the flag, k6 aggregation pointers, and `--scale-time`.
//!
//! Goal: each message names the one likely fix and points at where the mistake was typed
//! (the file position, or the command-line flag with a caret under the value), exiting 2.
//! Method: the real binary on shipped scenarios with one mistake each (via `--set`, or a
//! small file written to a temporary folder), reading stderr.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run tenantsim")
}

fn invalid(args: &[&str]) -> String {
    let o = bin(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tenantsim-adopt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const Q: &str = "scenarios/quickstart.toml";

#[test]
fn set_errors_point_at_the_flag() {
    // `--set control_plane.placement=power_of_too` once reported line 97 of a 95-line file.
    let err = invalid(&[
        "run",
        Q,
        "-q",
        "--set",
        "control_plane.placement=power_of_too",
    ]);
    let flag = "--set control_plane.placement=power_of_too";
    assert!(err.contains(&format!("error in `{flag}`")), "{err}");
    assert!(err.contains("did you mean `power_of_two`?"), "{err}");
    assert!(
        !err.contains("quickstart.toml:9"),
        "no line of the file: {err}"
    );
    let lines: Vec<&str> = err.lines().collect();
    let src = lines
        .iter()
        .position(|l| *l == format!("  | {flag}"))
        .expect(&err);
    let caret = lines[src + 1];
    assert_eq!(caret.find('^'), lines[src].find("power_of_too"), "{err}");
    assert_eq!(caret.matches('^').count(), "power_of_too".len(), "{err}");

    // A bad enum value through --set: located on the flag, one suggestion.
    let err = invalid(&["run", Q, "-q", "--set", "platform.scheduler=drrr"]);
    assert!(
        err.contains("error in `--set platform.scheduler=drrr`"),
        "{err}"
    );
    assert!(err.contains("did you mean `drr`?"), "{err}");
    assert!(err.contains("  | --set platform.scheduler=drrr"), "{err}");
}

#[test]
fn vary_errors_are_reported_as_vary() {
    let out = std::env::temp_dir().join(format!("tenantsim-adopt-vary-{}", std::process::id()));
    let err = invalid(&[
        "compare",
        Q,
        "--vary",
        "platform.scheduler=fifo,drrr",
        "--seeds",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        err.contains("error in `--vary platform.scheduler=drrr`"),
        "{err}"
    );
    assert!(!err.contains("--set"), "{err}");
    assert!(err.contains("did you mean `drr`?"), "{err}");
}

#[test]
fn typos_get_one_suggestion() {
    // An unknown key: the close one, not the table's whole list.
    let f = temp_file(
        "typo.toml",
        "version = 1\nduration = \"1m\"\n[platform]\nshceduler = \"drr\"\n[[tenants]]\nid = \"a\"\nrate = \"1/s\"\n",
    );
    let err = invalid(&["validate", f.to_str().unwrap()]);
    assert!(
        err.contains("typo.toml:4:1: error: unknown field `shceduler`; did you mean `scheduler`?"),
        "{err}"
    );
    assert!(!err.contains("`workers`"), "no list of every key: {err}");
    // Fault kind, tenant id, metric, tier: each through --set on the quickstart.
    for (set, want) in [
        ("faults.0.kind=hot_tenat", "did you mean `hot_tenant`?"),
        ("faults.0.tenant=hott", "did you mean `hot`?"),
        ("slos.0.objective=p(99) < 1s", ""),
        (
            "slos.0.objective=eror_rate < 1%",
            "did you mean `error_rate`?",
        ),
        ("tenants.0.tier=slver", "did you mean `silver`?"),
    ] {
        if want.is_empty() {
            assert!(
                bin(&["run", Q, "-q", "--set", set]).status.success(),
                "{set}"
            );
            continue;
        }
        let err = invalid(&["run", Q, "-q", "--set", set]);
        assert!(err.contains(want), "{set}: {err}");
    }
}

#[test]
fn k6_aggregations_are_accepted_or_pointed_at() {
    // `avg`, `med` and `max` are k6's names for mean, p(50) and max: accepted.
    for obj in ["avg < 1s", "med < 1s", "max < 10s"] {
        let o = bin(&["run", Q, "-q", "--set", &format!("slos.0.objective={obj}")]);
        assert!(
            o.status.success(),
            "{obj}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // `min`, `rate` and `count` point at what to write instead.
    for (obj, want) in [
        ("min < 1s", "p(1)"),
        ("rate < 0.01", "error_rate < 1%"),
        ("count > 100", "throughput > 95%"),
    ] {
        let err = invalid(&["run", Q, "-q", "--set", &format!("slos.0.objective={obj}")]);
        assert!(err.contains(want), "{obj}: {err}");
    }
}

#[test]
fn scale_time_shortens_a_long_game_day() {
    // `--set duration=2m` on acmedocs fails (its faults lie later); `--scale-time` is the
    // supported way, and reaches the same place as `--set scale_time=`.
    let acme = "scenarios/acmedocs.toml";
    let err = invalid(&["run", acme, "-q", "--set", "duration=2m"]);
    assert!(err.contains("error"), "{err}");
    let o = bin(&["run", acme, "-q", "--scale-time", "0.05"]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = invalid(&["run", Q, "-q", "--set", "scale_time=0"]);
    assert!(err.contains("scale_time is 0"), "{err}");
    assert!(err.contains("error in `--set scale_time=0`"), "{err}");
    // A scaled quickstart run: a shorter run, its own digest, and the repro line carries it.
    let json =
        std::env::temp_dir().join(format!("tenantsim-adopt-scale-{}.json", std::process::id()));
    let o = bin(&[
        "run",
        Q,
        "-q",
        "--scale-time",
        "0.5",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("--set scale_time=0.5"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let full = bin(&["run", Q, "-q", "--json", json.to_str().unwrap()]);
    assert!(matches!(full.status.code(), Some(0) | Some(1)));
    let w: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_ne!(v["digest"], w["digest"]);
    let (a, b) = (v["events"].as_u64().unwrap(), w["events"].as_u64().unwrap());
    assert!(
        a * 3 < b * 2,
        "a half-length run has about half the events: {a} vs {b}"
    );
}
