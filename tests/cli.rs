//! The `tenantsim` binary end to end: exit codes, located error messages, repro lines.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const VALID: &str = r#"version = 1
duration = "1m"
[platform]
cells = 1
workers = 8
[[tenants]]
id = "a"
rate = "20/s"
[[faults]]
kind = "hot_tenant"
tenant = "a"
at = "10s"
for = "10s"
factor = 3
[[slos]]
name = "lat"
objective = "p(99) < 1s"
"#;

/// Writes `VALID` with `from` replaced by `to`, validates it, and returns exit code + stderr.
fn broken(name: &str, from: &str, to: &str) -> (i32, String) {
    assert!(VALID.contains(from), "{from}");
    let d = tmp_dir(name);
    let f = d.join("bad.toml");
    std::fs::write(&f, VALID.replacen(from, to, 1)).unwrap();
    let o = bin().arg("validate").arg(&f).output().unwrap();
    let (_, err) = text(&o);
    assert!(!err.contains("panicked"), "must never panic:\n{err}");
    (o.status.code().unwrap_or(-1), err)
}

#[test]
fn bad_inputs_give_located_errors_and_exit_2() {
    let cases = [
        (
            "misspelled-key",
            "workers = 8",
            "workerz = 8",
            "bad.toml:5:1",
            "unknown field `workerz`",
        ),
        (
            "bad-duration",
            "for = \"10s\"",
            "for = \"10 parsecs\"",
            "bad.toml:13:7",
            "unknown time unit `parsecs`",
        ),
        (
            "negative-rate",
            "rate = \"20/s\"",
            "rate = \"-5/s\"",
            "bad.toml:8:8",
            "negative",
        ),
        (
            "fault-past-end",
            "at = \"10s\"",
            "at = \"55s\"",
            "bad.toml:13:7",
            "must lie inside the run",
        ),
        (
            "bad-threshold",
            "p(99) < 1s",
            "p(99) 1s",
            "bad.toml:17:13",
            "no comparison",
        ),
        (
            "unknown-tenant",
            "tenant = \"a\"",
            "tenant = \"zz\"",
            "bad.toml:11:10",
            "not declared",
        ),
    ];
    for (name, from, to, at, what) in cases {
        let (code, err) = broken(name, from, to);
        assert_eq!(code, 2, "{name}: exit code\n{err}");
        assert!(
            err.contains(at),
            "{name}: expected location {at} in:\n{err}"
        );
        assert!(err.contains(what), "{name}: expected `{what}` in:\n{err}");
        assert!(
            err.contains('^'),
            "{name}: the offending text is pointed at:\n{err}"
        );
        assert!(err.lines().count() <= 24, "{name}: fits one screen:\n{err}");
    }
}

#[test]
fn run_quickstart_passes_and_prints_repro() {
    let o = bin()
        .current_dir(root())
        .args(["run", "scenarios/quickstart.toml"])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("digest "), "{out}");
    assert!(out.contains("verdict: PASS"));
    assert!(out.contains("repro: tenantsim run scenarios/quickstart.toml --seed 1"));
    assert!(out.contains("balanced"));
}

#[test]
fn json_summary_is_byte_identical_across_runs() {
    let d = tmp_dir("json");
    let mut outs = Vec::new();
    for i in 0..2 {
        let p = d.join(format!("s{i}.json"));
        let o = bin()
            .current_dir(root())
            .args([
                "run",
                "scenarios/quickstart.toml",
                "--seed",
                "3",
                "-q",
                "--json",
            ])
            .arg(&p)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        outs.push(std::fs::read(&p).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
    let v: serde_json::Value = serde_json::from_slice(&outs[0]).unwrap();
    assert_eq!(v["seed"], 3);
    assert_eq!(v["ledger"]["balanced"], true);
}

#[test]
fn failing_slo_exits_1_with_repro() {
    let o = bin()
        .current_dir(root())
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--set",
            "slos.bystander-latency.objective=p(99) < 5ms",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("verdict: FAIL (1 of 3 SLOs: bystander-latency)"),
        "{out}"
    );
    assert!(
        out.contains("--set 'slos.bystander-latency.objective=p(99) < 5ms'"),
        "{out}"
    );
}

#[test]
fn bad_flags_exit_2() {
    let run = |args: &[&str]| {
        let o = bin().current_dir(root()).args(args).output().unwrap();
        let (_, err) = text(&o);
        assert!(!err.contains("panicked"), "{err}");
        (o.status.code(), err)
    };
    let (code, err) = run(&[
        "run",
        "scenarios/quickstart.toml",
        "--set",
        "platform.cells=abc",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--set platform.cells=abc"), "{err}");
    let (code, err) = run(&[
        "run",
        "scenarios/quickstart.toml",
        "--set",
        "platform.cellz=4",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown field `cellz`"), "{err}");
    let (code, err) = run(&["run", "no/such/file.toml"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read"), "{err}");
    let (code, _) = run(&["run", "scenarios/quickstart.toml", "--seed", "minus-one"]);
    assert_eq!(code, Some(2));
    let (code, _) = run(&["frobnicate"]);
    assert_eq!(code, Some(2));
}

#[test]
fn validate_checks_every_shipped_scenario() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let o = bin().arg("validate").args(&files).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
}

#[test]
fn help_has_examples() {
    for sub in ["run", "validate"] {
        let o = bin().args([sub, "--help"]).output().unwrap();
        let (out, _) = text(&o);
        assert_eq!(o.status.code(), Some(0));
        assert!(out.contains("Examples:"), "{sub}: {out}");
    }
}

/// The README's ten-line tour is a valid scenario that runs and passes.
#[test]
fn readme_tour_is_a_valid_scenario() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("README has a toml block") + 8;
    let len = readme[start..].find("```").unwrap();
    let d = tmp_dir("readme");
    let f = d.join("tour.toml");
    std::fs::write(&f, &readme[start..start + len]).unwrap();
    let o = bin().arg("run").arg(&f).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
}

/// `--out` writes every report; the files parse back and agree with each other and with the
/// ledger (per-tenant sums = tier rows = totals = ledger).
#[test]
fn out_dir_reports_parse_back_and_agree() {
    let d = tmp_dir("out");
    let out = d.join("report");
    let o = bin()
        .current_dir(root())
        .args([
            "run",
            "scenarios/quickstart.toml",
            "--watch",
            "small-0003",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{err}");
    for f in [
        "summary.json",
        "timeseries.csv",
        "tenants.csv",
        "report.html",
        "charts/latency.png",
        "charts/latency.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let total_offered = summary["total"]["outcomes"]["offered"].as_u64().unwrap();
    assert_eq!(
        total_offered,
        summary["ledger"]["requests_started"].as_u64().unwrap()
    );
    let tier_sum: u64 = summary["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["outcomes"]["offered"].as_u64().unwrap())
        .sum();
    assert_eq!(tier_sum, total_offered);
    // tenants.csv: the offered column sums to the total.
    let tenants = std::fs::read_to_string(out.join("tenants.csv")).unwrap();
    let mut lines = tenants.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "offered")
        .expect("offered column");
    let sum: u64 = lines
        .map(|l| l.split(',').nth(col).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, total_offered);
    // timeseries.csv: the watched tenant has its own rows.
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    assert!(
        ts.lines().any(|l| l.contains(",tenant,small-0003,")),
        "watched tenant series"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("PASS") && html.contains("bystander-latency") && !html.contains("<script")
    );
    // Reusing the directory is fine (only tenantsim's files in it).
    let again = bin()
        .current_dir(root())
        .args(["run", "scenarios/quickstart.toml", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn out_dir_refuses_foreign_and_unwritable_directories() {
    let d = tmp_dir("out-bad");
    std::fs::write(d.join("main.rs"), "fn main() {}").unwrap();
    let o = bin()
        .current_dir(root())
        .args(["run", "scenarios/quickstart.toml", "--out"])
        .arg(&d)
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("main.rs") && err.contains("refusing"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("main.rs")).unwrap(),
        "fn main() {}",
        "untouched"
    );

    // A read-only directory (skipped when running as a user that ignores permissions).
    use std::os::unix::fs::PermissionsExt;
    let ro = tmp_dir("out-ro");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = std::fs::write(ro.join("probe"), "x").is_ok();
    if !probe {
        let o = bin()
            .current_dir(root())
            .args(["run", "scenarios/quickstart.toml", "--out"])
            .arg(&ro)
            .output()
            .unwrap();
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("cannot write"), "{err}");
    } else {
        // root ignores directory permissions: check a path under a file instead.
        let _ = std::fs::remove_file(ro.join("probe"));
        let file = ro.join("plain-file");
        std::fs::write(&file, "x").unwrap();
        let o = bin()
            .current_dir(root())
            .args(["run", "scenarios/quickstart.toml", "--out"])
            .arg(file.join("sub"))
            .output()
            .unwrap();
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("cannot write"), "{err}");
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn unknown_watch_tenant_is_invalid_input() {
    let o = bin()
        .current_dir(root())
        .args(["run", "scenarios/quickstart.toml", "--watch", "nobody"])
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("--watch nobody"), "{err}");
}

fn check(args: &[&str]) -> (i32, String, String) {
    let o = bin()
        .current_dir(root())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), out, err)
}

/// `check`: exit codes, a JUnit file that parses with one testcase per variant/SLO and the
/// failure's value, threshold and repro command, and a Markdown summary.
#[test]
fn check_passes_and_fails_with_junit_and_markdown() {
    let d = tmp_dir("check");
    let (junit, md) = (d.join("junit.xml"), d.join("summary.md"));
    let (code, out, err) = check(&[
        "scenarios/quickstart.toml",
        "--seeds",
        "1..=2",
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 met, 0 not met"), "{out}");
    let x = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&x).expect("JUnit parses");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    assert!(std::fs::read_to_string(&md).unwrap().contains("✅ passed"));

    // A failing expectation: exit 1, the value, the threshold and the repro command.
    let (code, out, _) = check(&[
        "scenarios/quickstart.toml",
        "--seeds",
        "1..=2",
        "--set",
        "slos.bystander-latency.objective=p(99) < 1ms",
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let repro = "tenantsim run scenarios/quickstart.toml --seed 1 --set 'slos.bystander-latency.objective=p(99) < 1ms'";
    assert!(out.contains("NOT MET") && out.contains(repro), "{out}");
    let x = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&x).expect("JUnit parses");
    let fail = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure element");
    let msg = fail.attribute("message").unwrap();
    assert!(
        msg.contains("p(99) < 1ms") && msg.contains("passed on 0/2"),
        "{msg}"
    );
    assert!(fail.text().unwrap().contains(repro));
    let m = std::fs::read_to_string(&md).unwrap();
    assert!(m.contains("❌ failed") && m.contains(repro), "{m}");
}

/// The check's output is identical for any `--jobs`.
#[test]
fn check_output_is_identical_for_any_jobs() {
    let (c1, o1, _) = check(&[
        "scenarios/quickstart.toml",
        "--seeds",
        "1..=4",
        "--jobs",
        "1",
    ]);
    let (c2, o2, _) = check(&[
        "scenarios/quickstart.toml",
        "--seeds",
        "1..=4",
        "--jobs",
        "2",
    ]);
    assert_eq!((c1, &o1), (c2, &o2));
}

#[test]
fn check_rejects_unknown_variants_and_bad_seeds() {
    let (code, _, err) = check(&["scenarios/quickstart.toml", "--variant", "nope"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = check(&["scenarios/quickstart.toml", "--seeds", "3..=1"]);
    assert_eq!(code, 2, "{err}");
}

const VARIANTS: &str = r#"version = 1
duration = "1m"
[platform]
workers = 4
[classes.c]
service = "const(5ms)"
db_queries = "const(0)"
[[tenants]]
id = "a"
rate = "100/s"
[[slos]]
name = "fast"
objective = "p(99) < 50ms"
[[variants]]
name = "slow"
description = "counterfactual: 20x slower service"
set = { "classes.c.service" = "const(100ms)", "platform.workers" = 64 }
expect = { fast = "fail" }
"#;

/// Variants: `run --variant` applies the overrides; `check` treats a counterfactual that
/// fails as expected as met; a variant that names an unknown SLO or key is invalid input.
#[test]
fn variants_run_and_check() {
    let d = tmp_dir("variants");
    let f = d.join("v.toml");
    std::fs::write(&f, VARIANTS).unwrap();
    let o = bin()
        .args(["run", "--variant", "slow"])
        .arg(&f)
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the slow variant fails its SLO: {out}"
    );
    assert!(out.contains("--variant slow"), "{out}");
    let o = bin()
        .args(["check", "--seeds", "1..=2"])
        .arg(&f)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains("slow") && out.contains("fail") && out.contains("2 met, 0 not met"),
        "{out}"
    );

    let bad = VARIANTS.replace(
        "expect = { fast = \"fail\" }",
        "expect = { quick = \"fail\" }",
    );
    std::fs::write(&f, bad).unwrap();
    let o = bin().arg("validate").arg(&f).output().unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("SLO `quick`"), "{err}");
    let bad = VARIANTS.replace("\"platform.workers\" = 64", "\"platform.workerz\" = 64");
    std::fs::write(&f, bad).unwrap();
    let o = bin().arg("validate").arg(&f).output().unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("variant `slow` does not load") && err.contains("workerz"),
        "{err}"
    );
}

/// A broken invariant (here an illegal lifecycle transition, injected by a test hook) ends
/// the run with exit code 3 and a bug-report message, never a 0/1/2.
#[test]
fn broken_invariant_exits_3() {
    let o = bin()
        .current_dir(root())
        .env("TENANTSIM_INJECT", "illegal_transition")
        .args(["run", "scenarios/quickstart.toml"])
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("active → destroyed") || err.contains("active") && err.contains("destroyed"),
        "{err}"
    );
    assert!(err.contains("bug in tenantsim"), "{err}");
}

/// Every repro line carries the tenantsim version and commit, as a shell comment.
#[test]
fn repro_lines_carry_the_version() {
    let o = bin()
        .current_dir(root())
        .args(["run", "scenarios/quickstart.toml", "-q", "--seed", "2"])
        .output()
        .unwrap();
    let (out, _) = text(&o);
    let v = format!("# tenantsim {} (", env!("CARGO_PKG_VERSION"));
    assert!(
        out.contains(&format!(
            "repro: tenantsim run scenarios/quickstart.toml --seed 2   {v}"
        )),
        "{out}"
    );
    let o = bin().arg("--version").output().unwrap();
    let (out, _) = text(&o);
    assert!(
        out.starts_with(&format!("tenantsim {} (", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let (_, out, _) = check(&[
        "scenarios/quickstart.toml",
        "--seeds",
        "1",
        "--set",
        "slos.bystander-latency.objective=p(99) < 1ms",
    ]);
    assert!(
        out.contains(&format!(
            "--seed 1 --set 'slos.bystander-latency.objective=p(99) < 1ms'   {v}"
        )),
        "{out}"
    );
}

/// `--verify-digest`: a summary.json (or a bare digest) that the run reproduces passes; one
/// it does not fails with exit 1 and says why: which input changed, or — with every input
/// the same — that the behaviour did (a determinism bug).
#[test]
fn verify_digest_tells_changed_inputs_from_changed_behaviour() {
    let d = tmp_dir("verify");
    let scenario = d.join("q.toml");
    let quickstart = std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap();
    std::fs::write(&scenario, &quickstart).unwrap();
    let prev = d.join("prev.json");
    let run = |extra: &[&str]| {
        let o = bin()
            .arg("run")
            .arg(&scenario)
            .arg("-q")
            .args(extra)
            .output()
            .unwrap();
        let (out, err) = text(&o);
        assert!(!err.contains("panicked"), "{err}");
        (o.status.code().unwrap_or(-1), out, err)
    };
    let (code, _, err) = run(&["--seed", "3", "--json", prev.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&prev).unwrap()).unwrap();
    let digest = summary["digest"].as_str().unwrap().to_string();
    let fp = &summary["fingerprint"];
    assert_eq!(fp["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(fp["scenario_digest"].as_str().unwrap().len(), 16);
    assert!(fp["commit"].as_str().is_some_and(|c| !c.is_empty()));

    // Reproduced: from the summary, from the --out-style directory name, from the digest.
    let p = prev.to_str().unwrap();
    let (code, out, err) = run(&["--seed", "3", "--verify-digest", p]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verify-digest: ok"), "{out}");
    let (code, out, _) = run(&["--seed", "3", "--verify-digest", &digest]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("digest {digest} reproduced")),
        "{out}"
    );

    // An input changed: the seed, then the scenario file's content.
    let (code, _, err) = run(&["--seed", "4", "--verify-digest", p]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("MISMATCH") && err.contains("inputs that differ: seed (3 → 4)"),
        "{err}"
    );
    assert!(err.contains("--seed 3"), "the earlier run's repro: {err}");
    std::fs::write(&scenario, quickstart.replace("factor = 10", "factor = 12")).unwrap();
    let (code, _, err) = run(&["--verify-digest", prev.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("inputs that differ: scenario file content"),
        "{err}"
    );
    std::fs::write(&scenario, &quickstart).unwrap();

    // Same inputs, a different digest: the behaviour changed — a determinism bug.
    let forged = d.join("forged.json");
    let mut v = summary.clone();
    v["digest"] = serde_json::Value::String("0123456789abcdef".into());
    std::fs::write(&forged, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, _, err) = run(&["--seed", "3", "--verify-digest", forged.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("same inputs, different behaviour: a determinism bug — please report"),
        "{err}"
    );
    let (code, _, err) = run(&["--seed", "3", "--verify-digest", "0123456789abcdef"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("MISMATCH") && err.contains("summary.json"),
        "{err}"
    );

    // Neither a digest nor a file: invalid input, before running.
    let (code, out, err) = run(&["--verify-digest", "not-a-digest"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--verify-digest not-a-digest") && out.is_empty(),
        "{err}"
    );
}

/// `--check-determinism` without a fault: three runs agree, the line says so, and the exit
/// code is the SLO verdict's as usual (0 here, 1 with a failing SLO).
#[test]
fn check_determinism_passes_with_the_usual_exit_code() {
    let o = bin()
        .current_dir(root())
        .args([
            "run",
            "scenarios/quickstart.toml",
            "-q",
            "--check-determinism",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(
        out.contains("determinism: ok (3 runs, 14 checkpoints identical)"),
        "{out}"
    );
    assert!(out.contains("verdict: PASS"), "{out}");
    let o = bin()
        .current_dir(root())
        .args([
            "run",
            "scenarios/quickstart.toml",
            "-q",
            "--check-determinism",
            "--set",
            "slos.bystander-latency.objective=p(99) < 5ms",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("determinism: ok (3 runs,") && out.contains("verdict: FAIL"),
        "{out}"
    );
}

/// `--check-determinism` with one event moved in the second run (the test hook
/// `TENANTSIM_INJECT=perturb_event:N`): caught, exit 3, and the report names that very
/// event — its number, simulated time, kind and component on both sides — with a repro line.
#[test]
fn check_determinism_names_the_first_diverging_event() {
    let o = bin()
        .current_dir(root())
        .env("TENANTSIM_INJECT", "perturb_event:20000")
        .args([
            "run",
            "scenarios/quickstart.toml",
            "-q",
            "--check-determinism",
        ])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("determinism check FAILED: run 2 (same seed, the scenario parsed afresh)"),
        "{err}"
    );
    assert!(
        err.contains("identical up to event 16384, different by event 32768"),
        "{err}"
    );
    assert!(err.contains("first diverging event: #20000"), "{err}");
    let side = |label: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(&format!("{label}: at ")))
            .unwrap_or_else(|| panic!("no {label} line in:\n{err}"))
            .to_string()
    };
    let (one, two) = (side("run 1"), side("run 2"));
    assert_ne!(one, two);
    // "run 1: at 25.123456789s  KIND  COMPONENT   (digest after it …)"
    for l in [&one, &two] {
        let words: Vec<&str> = l.split_whitespace().collect();
        assert!(
            words[3].ends_with('s') && words[3].contains('.'),
            "time: {l}"
        );
        assert!(
            words[4].chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "kind: {l}"
        );
        assert!(words.len() > 6, "component: {l}");
    }
    assert!(
        err.contains("repro: TENANTSIM_INJECT=perturb_event:20000 tenantsim run scenarios/quickstart.toml --seed 1 --check-determinism   # tenantsim "),
        "{err}"
    );
    assert!(
        !out.contains("verdict:"),
        "no verdict from an untrustworthy run: {out}"
    );

    // An unknown hook is invalid input.
    let o = bin()
        .current_dir(root())
        .env("TENANTSIM_INJECT", "perturb_event:zero")
        .args(["run", "scenarios/quickstart.toml", "-q"])
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("TENANTSIM_INJECT") && err.contains("perturb_event:1000"),
        "{err}"
    );
}

/// Goal: a run cut short by `max_events` is not a pass (issue 13, item 13). Method: run and
/// check `VALID` with a tiny event bound; `run` must exit 1 and say "truncated", its
/// summary.json must carry `truncated: true`, `passed: false` and the simulated time it
/// reached (not the scenario's minute), and `check` must exit 1 and name the truncation;
/// the same file without the bound passes and writes no `truncated` key.
#[test]
fn truncated_run_is_not_a_pass() {
    let d = tmp_dir("truncated");
    let f = d.join("short.toml");
    std::fs::write(
        &f,
        VALID.replacen(
            "duration = \"1m\"",
            "duration = \"1m\"\nmax_events = 2000",
            1,
        ),
    )
    .unwrap();
    let j = d.join("s.json");
    let o = bin()
        .arg("run")
        .arg(&f)
        .arg("--json")
        .arg(&j)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("verdict: FAIL (truncated"), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&j).unwrap()).unwrap();
    assert_eq!(v["truncated"], true);
    assert_eq!(v["passed"], false);
    assert_eq!(v["stop"], "max_events");
    let secs = v["sim_seconds"].as_f64().unwrap();
    assert!(secs > 0.0 && secs < 60.0, "{secs}");
    let o = bin().arg("check").arg(&f).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("truncated"), "{out}");

    let full = d.join("full.toml");
    std::fs::write(&full, VALID).unwrap();
    let j = d.join("full.json");
    let o = bin()
        .arg("run")
        .arg(&full)
        .arg("--json")
        .arg(&j)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&j).unwrap()).unwrap();
    assert!(v.get("truncated").is_none());
    assert_eq!(v["sim_seconds"], 60.0);
    let o = bin().arg("check").arg(&full).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).0);
}
