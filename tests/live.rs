//! Live mode on loopback: the source article's isolation test from real traffic.
//!
//! Goal: `tenantsim load` against `tenantsim serve-reference` reaches the same isolation
//! verdicts as the simulation: with DRR and per-tenant limits the light tenant keeps its p99
//! and error SLOs while the heavy tenant (1,000/s) overloads the cell; with FIFO and no limits
//! both SLOs fail. Method: start the reference service on 127.0.0.1 (port 0) for the scenario
//! (or its variant), run `load` for the scenario's 3 s, read `summary.json`, and check the
//! SLO verdicts and that real requests were answered. Capacities are chosen so the verdicts
//! are far from the thresholds (light p99 ~5-25 ms vs 100 ms with DRR, ~500 ms with FIFO) and
//! survive a loaded 2-core machine. Plus the input errors: exit 2, never a panic.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenantsim"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The tests that load the machine run one at a time (two services and two generators at
/// once on a busy 2-core machine would measure the machine, not the isolation).
static LOOPBACK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    LOOPBACK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The reference service, killed when dropped.
struct Service(Child, String);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(variant: Option<&str>) -> Service {
    let mut c = bin();
    c.arg("serve-reference")
        .arg("--scenario")
        .arg(root().join("scenarios/live-isolation.toml"))
        .args(["--listen", "127.0.0.1:0", "--for", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(v) = variant {
        c.args(["--variant", v]);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    Service(child, url)
}

fn load(
    url: &str,
    variant: Option<&str>,
    out: &std::path::Path,
) -> (i32, serde_json::Value, String) {
    let mut c = bin();
    c.arg("load")
        .arg(root().join("scenarios/live-isolation.toml"))
        .args(["--target", url, "--compare", "--out"])
        .arg(out)
        .arg("--junit")
        .arg(out.with_extension("xml"));
    if let Some(v) = variant {
        c.args(["--variant", v]);
    }
    let o = c.output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    let json =
        std::fs::read_to_string(out.join("summary.json")).unwrap_or_else(|_| panic!("{text}"));
    (
        o.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        text,
    )
}

fn slo_passed(s: &serde_json::Value, name: &str) -> bool {
    s["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap()["passed"]
        .as_bool()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tenantsim-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn drr_and_limits_keep_the_light_tenant_and_fifo_without_limits_does_not() {
    let _one_at_a_time = exclusive();
    // DRR + per-tenant limits: both SLOs pass, from real answers.
    let out = tmp("base");
    let svc = serve(None);
    let (_, s, text) = load(&svc.1, None, &out);
    drop(svc);
    assert_eq!(s["live"]["partial"], false, "{text}");
    let sent = s["live"]["generator"]["sent_requests"].as_u64().unwrap();
    assert!(sent > 2_500, "the heavy tenant's traffic was sent: {text}");
    let ok = s["live"]["attempts_by_status"]["200"].as_u64().unwrap_or(0);
    let limited = s["live"]["attempts_by_status"]["429"].as_u64().unwrap_or(0);
    assert!(ok > 300 && limited > 1_000, "real 200s and 429s: {text}");
    assert!(slo_passed(&s, "light-p99"), "{text}");
    assert!(slo_passed(&s, "light-errors"), "{text}");
    assert!(text.contains("simulated vs measured"), "{text}");
    // The same reports as a simulated run: charts, report.html, and the simulation beside it.
    for f in [
        "report.html",
        "charts/latency.svg",
        "tenants.csv",
        "simulated-summary.json",
        "charts/simulated-latency.svg",
        "charts/latency-vs-simulated.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(out.with_extension("xml"));

    // FIFO, no limits: the heavy tenant's backlog is the light tenant's; both SLOs fail.
    let out = tmp("fifo");
    let svc = serve(Some("fifo-no-limits"));
    let (code, s, text) = load(&svc.1, Some("fifo-no-limits"), &out);
    drop(svc);
    assert_eq!(code, 1, "{text}");
    assert!(!slo_passed(&s, "light-p99"), "{text}");
    assert!(!slo_passed(&s, "light-errors"), "{text}");
    // JUnit: both failures were expected by the variant, so those testcases are met.
    let junit = std::fs::read_to_string(out.with_extension("xml")).unwrap();
    assert!(
        junit.contains("name=\"light-p99 (expect fail)\" time=\"0\"/>"),
        "{junit}"
    );
    assert!(
        junit.contains("name=\"light-errors (expect fail)\" time=\"0\"/>"),
        "{junit}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn ctrl_c_stops_the_generator_and_keeps_partial_results() {
    // Goal: SIGINT mid-run stops sending, and what was measured is written, marked partial.
    // Method: start `load` (a tenth of the requests: this test needs no overload) against the
    // reference service, and interrupt it after ~1 s of its 3 s.
    let _one_at_a_time = exclusive();
    let out = tmp("partial");
    let svc = serve(None);
    let mut child = bin()
        .arg("load")
        .arg(root().join("scenarios/live-isolation.toml"))
        .args(["--target", &svc.1, "--scale", "0.1", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it has started sending (it says so on stderr).
    // (Keep the pipe open until it exits: a closed stderr would fail its later writes.)
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("sending"), "{line}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let code = child.wait().unwrap().code();
    drop(stderr);
    drop(svc);
    assert_eq!(code, Some(1), "a partial run is not a pass");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["live"]["partial"], true);
    assert_eq!(s["stop"], "partial");
    let sent = s["live"]["generator"]["sent_requests"].as_u64().unwrap();
    let intended = s["live"]["generator"]["intended_requests"]
        .as_u64()
        .unwrap();
    assert!(sent > 0 && sent < intended, "{sent} of {intended}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_targets_and_live_tables_are_input_errors() {
    // Goal: exit 2 with a clear message, never a panic. Method: an https URL, a closed port,
    // and a [live] table naming a class that does not exist.
    let file = root().join("scenarios/live-isolation.toml");
    let o = bin()
        .arg("load")
        .arg(&file)
        .args(["--target", "https://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("TLS"));
    // Port 1 on loopback: nothing listens there.
    let o = bin()
        .arg("load")
        .arg(&file)
        .args(["--target", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot connect"));
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(&file).unwrap() + "\n[live.classes.nope]\npath = \"/x\"\n";
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    let o = bin()
        .arg("load")
        .arg(&bad)
        .args(["--target", "http://127.0.0.1:1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml:") && err.contains("no class `nope`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn k6_export_has_a_scenario_per_tenant_and_thresholds_from_the_slos() {
    // Goal: the script names both tenants' arrival rates, the header and the SLO thresholds.
    let o = bin()
        .args(["export", "k6"])
        .arg(root().join("scenarios/live-isolation.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let js = String::from_utf8_lossy(&o.stdout);
    assert!(
        js.contains("tenant_heavy: { executor: 'constant-arrival-rate', rate: 60000"),
        "{js}"
    );
    assert!(
        js.contains("tenant_light: { executor: 'constant-arrival-rate', rate: 600"),
        "{js}"
    );
    assert!(
        js.contains("'http_req_duration{tenant_group:tenant_light}': [\"p(99)<100\"]"),
        "{js}"
    );
    assert!(
        js.contains("'http_req_failed{tenant_group:tenant_light}': [\"rate<0.01\"]"),
        "{js}"
    );
    assert!(js.contains("const HEADER = \"x-tenant-id\""), "{js}");
}
