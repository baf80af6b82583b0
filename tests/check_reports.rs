//! `tenantsim check`'s CI outputs, end to end: what a CI job page shows when a scenario file is
//! invalid, when an expectation fails, and with `--fail-fast`.
//!
//! Method: run the binary on a shipped scenario, the planted-starvation fixture (a variant
//! whose expectations fail) and a file with a typo'd key; parse the JUnit with roxmltree and
//! read the Markdown, `--json` and `--failures` outputs. Each assertion names a defect of the
//! first-use review (D12, D13) that it would catch.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Outputs {
    code: i32,
    stdout: String,
    junit: String,
    markdown: String,
    json: serde_json::Value,
    failures: String,
}

fn check(name: &str, files: &[&str], extra: &[&str]) -> Outputs {
    let d = tmp_dir(name);
    let p = |f: &str| d.join(f).to_str().unwrap().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_tenantsim"))
        .current_dir(root())
        .arg("check")
        .args(files)
        .args(["--seeds", "1..=2", "--jobs", "2"])
        .args(["--junit", &p("junit.xml"), "--markdown", &p("summary.md")])
        .args(["--json", &p("check.json"), "--failures", &p("failures.txt")])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default();
    Outputs {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        junit: read("junit.xml"),
        markdown: read("summary.md"),
        json: serde_json::from_str(&read("check.json")).unwrap_or(serde_json::Value::Null),
        failures: read("failures.txt"),
    }
}

const PLANTED: &str = "tests/fixtures/planted-starvation.toml";

/// D13: an invalid file next to a valid one still yields both reports, with an errored test
/// case naming the file and carrying the error text; the valid file is still judged; exit 2.
#[test]
fn an_invalid_scenario_is_an_errored_test_case_in_both_reports() {
    let d = tmp_dir("bad-input");
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "version = 1\nname = \"broken\"\nduratoin = \"1m\"\n").unwrap();
    let o = check("invalid", &[PLANTED, bad.to_str().unwrap()], &[]);
    assert_eq!(o.code, 2, "{}", o.stdout);
    let doc = roxmltree::Document::parse(&o.junit).expect("the JUnit is written and parses");
    let top = doc.root_element();
    assert_eq!(top.attribute("errors"), Some("1"));
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error> test case");
    let case = error.parent().unwrap();
    assert_eq!(case.attribute("file"), bad.to_str());
    assert!(error.text().unwrap().contains("duratoin"), "{}", o.junit);
    // The valid file was still run and judged.
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        5
    );
    assert!(o.markdown.contains("❌ invalid input"), "{}", o.markdown);
    assert!(
        o.markdown.contains("bad.toml") && o.markdown.contains("duratoin"),
        "{}",
        o.markdown
    );
    assert_eq!(o.json["invalid"][0]["file"], bad.to_str().unwrap());
    assert_eq!(o.json["exit_code"], 2);
}

/// D12: times, a timestamp, properties (version, commit, seeds, digests) and `file`/`line`
/// attributes; invalid XML characters never reach the file.
#[test]
fn junit_carries_times_properties_and_file_locations() {
    let o = check("junit", &[PLANTED], &[]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let doc = roxmltree::Document::parse(&o.junit).expect("JUnit parses");
    let top = doc.root_element();
    assert!(top.attribute("time").is_some() && top.attribute("errors") == Some("0"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let ts = suite.attribute("timestamp").expect("a suite timestamp");
    assert_eq!(ts.len(), 19, "{ts}");
    assert!(suite.attribute("time").unwrap().parse::<f64>().unwrap() > 0.0);
    let props: Vec<(&str, &str)> = suite
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
        .collect();
    let prop = |k: &str| props.iter().find(|p| p.0 == k).map(|p| p.1);
    assert_eq!(prop("tenantsim.version"), Some(env!("CARGO_PKG_VERSION")));
    assert!(prop("tenantsim.commit").is_some());
    assert_eq!(prop("seeds"), Some("1..=2"));
    assert_eq!(prop("digests.base").unwrap().split(',').count(), 2);
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 4);
    for c in &cases {
        assert_eq!(c.attribute("file"), Some(PLANTED));
        let line: usize = c.attribute("line").unwrap().parse().unwrap();
        let text = std::fs::read_to_string(root().join(PLANTED)).unwrap();
        let slo = c.attribute("name").unwrap().split(' ').next().unwrap();
        assert!(text.lines().nth(line - 1).unwrap().contains(slo));
        assert!(c.attribute("time").unwrap().parse::<f64>().unwrap() > 0.0);
    }
    assert!(!o
        .junit
        .chars()
        .any(|c| (c as u32) < 0x20 && !"\t\n\r".contains(c)));
}

/// Markdown: failures first with their repro lines, passes folded in `<details>`, the version
/// and the seeds; `--failures` lists each failing run once; `--json` has every expectation.
#[test]
fn markdown_puts_failures_first_and_failures_file_lists_each_run_once() {
    let o = check("md", &["scenarios/hot-tenant.toml", PLANTED], &[]);
    assert_eq!(o.code, 1);
    let m = &o.markdown;
    let (not_met, details) = (m.find("### Not met").unwrap(), m.find("<details>").unwrap());
    assert!(not_met < details, "{m}");
    assert!(
        m.contains(concat!("tenantsim ", env!("CARGO_PKG_VERSION")))
            && m.contains("`--seeds 1..=2`"),
        "{m}"
    );
    assert!(m[details..].contains("hot-tenant"), "{m}");
    assert!(!m[..details].contains("| hot-tenant |"), "{m}");
    let repro = format!("tenantsim run {PLANTED} --seed 1 --variant cap-misconfigured");
    assert_eq!(o.failures, format!("{repro}\n"));
    let exps = o.json["expectations"].as_array().unwrap();
    assert_eq!(exps.len(), 12);
    assert_eq!(o.json["not_met"], 2);
    assert!(exps.iter().any(|e| e["repro"] == repro.as_str()));
}

/// `--fail-fast` stops after the first variant with an unmet expectation; the rest is skipped.
#[test]
fn fail_fast_stops_at_the_first_unmet_variant() {
    let o = check(
        "fail-fast",
        &[PLANTED, "scenarios/hot-tenant.toml"],
        &["--fail-fast"],
    );
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("skipped (--fail-fast)"), "{}", o.stdout);
    let skipped = o.json["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 4, "every hot-tenant variant is skipped");
    let doc = roxmltree::Document::parse(&o.junit).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("skipped")));
}
