//! The control plane, KMS and async plane: placement and provisioning, heartbeats, the
//! control plane off the hot path (outage with `serve_stale` vs `fail_closed`), migration
//! and misrouted writes, KMS breakers, fair job scheduling and dead letters.

use models::scenario::load_str;
use reports::summary::RunSummary;

fn run(text: &str, seed: u64) -> RunSummary {
    let sc = load_str("test.toml", text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, seed, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

fn count_by_cell(s: &RunSummary, prefix: &str, cells: u32) -> Vec<u32> {
    let mut v = vec![0; cells as usize];
    for t in s
        .tenants
        .iter()
        .filter(|t| t.id.starts_with(prefix) && t.state == "active")
    {
        v[t.cell as usize] += 1;
    }
    v
}

/// Goal: a provisioning burst placed by `least_loaded` leaves cell tenant counts within 1 of
/// each other; a dead cell gets nothing; EU-only tenants land only on EU cells.
/// Method: 5 cells (2 EU) with uneven initial loads (2 tenants on cell 0); at 20 s a burst
/// of 81 tenants, at 40 s an EU-only cohort of 20; cell 4 (EU) is down from 1 s (marked dead
/// after 3 missed beats).
#[test]
fn provisioning_burst_least_loaded_dead_cells_and_residency() {
    let text = r#"
version = 1
duration = "60s"
[control_plane]
placement = "least_loaded"
heartbeat_interval = "1s"
heartbeat_missed = 3
provision_time = "const(500ms)"
[platform]
cells = 5
regions = ["us", "us", "us", "eu-west", "eu-west"]
[[tenants]]
id = "old-a"
rate = "1/s"
cell = 0
[[tenants]]
id = "old-b"
rate = "1/s"
cell = 0
[[cohorts]]
name = "new"
count = 81
rate = "const(1/s)"
provision_at = "20s"
[[cohorts]]
name = "eu"
count = 20
rate = "const(1/s)"
residency = "eu"
provision_at = "40s"
[[faults]]
kind = "cell_outage"
cell = 4
at = "1s"
until = "60s"
"#;
    let s = run(text, 1);
    assert_eq!(s.control.provisioned, 101);
    let all: Vec<u32> = {
        let mut v = vec![0; 5];
        for t in s
            .tenants
            .iter()
            .filter(|t| t.state == "active" && !t.id.starts_with("eu-"))
        {
            v[t.cell as usize] += 1;
        }
        v
    };
    eprintln!(
        "tenants per cell after the burst: {all:?}; dead-cell events {:?}",
        s.control.cell_events
    );
    assert_eq!(all[4], 0, "the dead cell got nothing");
    let live = &all[..4];
    assert!(
        live.iter().max().unwrap() - live.iter().min().unwrap() <= 1,
        "least_loaded balances: {all:?}"
    );
    let eu = count_by_cell(&s, "eu-", 5);
    assert_eq!(
        eu[0] + eu[1] + eu[2],
        0,
        "EU-only tenants only on EU cells: {eu:?}"
    );
    assert_eq!(eu[3], 20);
    // Requests sent while provisioning got a clear outcome.
    assert!(
        s.total
            .causes
            .get("tenant_not_active")
            .copied()
            .unwrap_or(0)
            > 0
    );
}

/// Goal: a cell that stops beating is marked dead within k intervals (+1), and alive again
/// once beats resume.
#[test]
fn heartbeats_mark_dead_and_alive() {
    let text = r#"
version = 1
duration = "60s"
[control_plane]
heartbeat_interval = "2s"
heartbeat_missed = 3
[platform]
cells = 3
[[tenants]]
id = "a"
rate = "5/s"
[[faults]]
kind = "cell_outage"
cell = 1
at = "10s"
for = "20s"
"#;
    let s = run(text, 2);
    let ev = &s.control.cell_events;
    eprintln!("cell events: {ev:?}");
    assert_eq!(ev.len(), 2);
    let (t_dead, c, dead) = ev[0];
    assert!(dead && c == 1);
    assert!(
        t_dead > 10.0 && t_dead <= 10.0 + 2.0 * (3.0 + 1.0),
        "dead within k+1 intervals: {t_dead}"
    );
    let (t_alive, _, alive_dead) = ev[1];
    assert!(
        !alive_dead && (30.0..=32.0).contains(&t_alive),
        "alive again within one interval: {t_alive}"
    );
}

fn outage(policy: &str, ttl: &str) -> String {
    format!(
        r#"
version = 1
duration = "20m"
window = "5s"
[edge]
route_ttl = "{ttl}"
on_refresh_failure = "{policy}"
[control_plane]
call_timeout = "1s"
[platform]
cells = 2
[[cohorts]]
name = "t"
count = 20
rate = "const(5/s)"
[[cohorts]]
name = "late"
count = 5
rate = "const(1/s)"
provision_at = "7m"
[[faults]]
name = "cp"
kind = "control_plane_outage"
at = "5m"
for = "10m"
"#
    )
}

/// Goal: the control plane is off the hot path. With `serve_stale`, a 10-minute outage
/// causes no errors for serving tenants, and provisioning requested during it completes
/// after recovery. With `fail_closed` and a TTL (60 s) shorter than the outage, tenants
/// start failing with `no_route` as their routes expire: routes are renewed in the background
/// from ¾ of their TTL, so at the outage's start they are 0–45 s old and the first expire
/// 15 s in, the last by one TTL; from then on every request fails.
#[test]
fn control_plane_outage_serve_stale_vs_fail_closed() {
    let stale = run(&outage("serve_stale", "60s"), 3);
    let serving: Vec<_> = stale
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("t-"))
        .collect();
    let errors: u64 = serving
        .iter()
        .map(|t| t.outcomes.answered() - t.outcomes.ok)
        .sum();
    eprintln!(
        "serve_stale: serving tenants' errors {errors}, stale routes served {}, late tenants {:?}",
        stale.control.stale_routes_served,
        stale
            .tenants
            .iter()
            .filter(|t| t.id.starts_with("late-"))
            .map(|t| t.state.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(errors, 0, "no errors caused by the outage");
    assert!(stale.control.stale_routes_served > 0);
    assert!(stale
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("late-"))
        .all(|t| t.state == "active"));
    assert_eq!(
        stale.control.provisioned, 5,
        "provisioning completed after recovery"
    );

    let closed = run(&outage("fail_closed", "60s"), 3);
    let serving: Vec<_> = closed
        .tenants
        .iter()
        .filter(|t| t.id.starts_with("t-"))
        .collect();
    let no_route: u64 = closed.total.causes.get("no_route").copied().unwrap_or(0);
    assert!(
        no_route > 1000,
        "fail_closed fails tenants during the outage: {no_route}"
    );
    assert!(
        serving.iter().all(|t| t.outcomes.shed_503 > 0),
        "every serving tenant is hit"
    );
    // When did errors start? The first 5 s window with 503s, from the outage start (300 s).
    let sc = load_str("t.toml", &outage("fail_closed", "60s"), &[]).unwrap();
    let out = models::harness::run::run(&sc, 3, None).unwrap();
    let tier = out
        .series
        .groups
        .iter()
        .find(|g| g.kind == "tier" && g.name == "bronze")
        .unwrap();
    let first = tier.points.iter().position(|p| p.shed_503 > 0).unwrap() as f64 * 5.0;
    // From one TTL after the outage starts, every request fails until it ends (window 72 =
    // 360–365 s … window 179 = 895–900 s).
    let all_fail = (73..179).all(|w| {
        let p = &tier.points[w];
        p.offered > 0 && p.ok == 0
    });
    eprintln!("fail_closed: no_route {no_route}, first errors at {first}s (outage at 300s, TTL 60s); all failing from 365s: {all_fail}");
    assert!(
        (first - 300.0) >= 15.0 && (first - 300.0) <= 60.0,
        "errors start as routes expire: {first}"
    );
    assert!(all_fail, "from one TTL into the outage every request fails");
}

fn migration(reject: bool) -> String {
    format!(
        r#"
version = 1
duration = "3m"
[edge]
route_ttl = "30s"
[control_plane]
push_delay = "const(5s)"
[platform]
cells = 3
[classes.read]
share = 0.5
db_time = "const(1ms)"
[classes.write]
share = 0.5
writes = true
db_time = "const(1ms)"
retry = {{ policy = "backoff", base = "20ms", max_attempts = 4 }}
[[tenants]]
id = "mover"
rate = "50/s"
cell = 0
data_size = "1GB"
[[cohorts]]
name = "by"
count = 10
rate = "const(10/s)"
[[slos]]
name = "no-misrouted"
objective = "misrouted_writes == 0"
tenants = ["mover"]
[[faults]]
kind = "tenant_migration"
tenant = "mover"
to_cell = 2
backfill_rate = "100MB"
reject_misrouted = {reject}
at = "30s"
for = "2m"
"#
    )
}

/// Goal: after cutover, edges with stale routes still send writes to the old cell. Without
/// the mitigation those writes are applied there (misrouted); with it, the old cell rejects
/// them with a retryable `wrong_cell`, the edge refreshes, the retry lands on the new cell:
/// zero misrouted writes applied and the tenant's ledger still balances.
#[test]
fn migration_misrouted_writes_with_and_without_mitigation() {
    let unsafe_run = run(&migration(false), 4);
    let m = unsafe_run.tenants.iter().find(|t| t.id == "mover").unwrap();
    eprintln!(
        "no mitigation: misrouted writes applied {}",
        m.misrouted_writes
    );
    assert!(m.misrouted_writes > 0);
    assert!(!unsafe_run.slos[0].passed);
    assert_eq!(m.cell, 2, "the tenant ended on its new cell");

    let safe = run(&migration(true), 4);
    let m = safe.tenants.iter().find(|t| t.id == "mover").unwrap();
    eprintln!(
        "mitigation: applied {}, rejected {}, mover ok {} of {} (5xx {})",
        m.misrouted_writes,
        safe.control.misrouted_writes_rejected,
        m.outcomes.ok,
        m.outcomes.offered,
        m.outcomes.errors_5xx
    );
    assert_eq!(m.misrouted_writes, 0);
    assert!(safe.control.misrouted_writes_rejected > 0);
    assert!(safe.slos[0].passed);
    assert_eq!(
        m.outcomes.offered,
        m.outcomes.finished() + m.outcomes.in_flight
    );
    assert!(
        m.outcomes.errors_5xx <= 2,
        "retries recover the rejected writes"
    );
}

fn kms(scope: &str) -> String {
    format!(
        r#"
version = 1
duration = "3m"
[kms]
data_key_ttl = "20s"
breaker = {{ scope = "{scope}", window = "10s", min_requests = 5, error_threshold = "50%", open_for = "10s" }}
[platform]
cells = 1
[classes.api]
kms = true
[[tenants]]
id = "locked"
rate = "20/s"
[[cohorts]]
name = "by"
count = 10
rate = "const(5/s)"
[[faults]]
kind = "kms_key_disabled"
tenant = "locked"
at = "30s"
for = "2m"
"#
    )
}

/// Goal: a disabled key fails only its tenant, with the right cause, under `per_tenant`
/// breakers; a `global` KMS breaker spreads it to everyone whose cached key expires.
#[test]
fn kms_key_disabled_per_tenant_vs_global_breaker() {
    let by_errors = |s: &RunSummary| -> f64 {
        let (mut bad, mut all) = (0, 0);
        for t in s.tenants.iter().filter(|t| t.id != "locked") {
            bad += t.outcomes.answered() - t.outcomes.ok;
            all += t.outcomes.answered();
        }
        bad as f64 / all as f64
    };
    let p = run(&kms("per_tenant"), 5);
    let g = run(&kms("global"), 5);
    let locked = p.tenants.iter().find(|t| t.id == "locked").unwrap();
    eprintln!(
        "bystander error rate: per_tenant {:.3}%, global {:.2}%; locked tenant failures {}",
        by_errors(&p) * 100.0,
        by_errors(&g) * 100.0,
        locked.outcomes.errors_5xx + locked.outcomes.shed_503
    );
    assert_eq!(by_errors(&p), 0.0, "only the locked tenant fails");
    // The locked tenant fails with the KMS's own cause (then fast, by its own breaker).
    assert!(p.total.causes.get("kms_key_disabled").copied().unwrap_or(0) > 10);
    assert!(locked.outcomes.errors_5xx + locked.outcomes.shed_503 > 2000);
    assert!(
        by_errors(&g) > 0.05,
        "a global breaker fails bystanders too"
    );
}

fn jobs(scheduler: &str) -> String {
    format!(
        r#"
version = 1
duration = "10m"
[jobs.export]
db_time = "const(100ms)"
bytes = "const(1MB)"
[object_storage]
latency_base = "const(10ms)"
latency_per_mb = "const(10ms)"
[platform]
cells = 1
jobs = {{ workers = 4, scheduler = "{scheduler}", tenant_cap = 2 }}
[[tenants]]
id = "flood"
rate = "1/s"
jobs = {{ class = "export", backlog = 100000 }}
[[tenants]]
id = "small"
rate = "1/s"
jobs = {{ class = "export", rate = "6/m", backlog = 10 }}
[[tenants]]
id = "poison"
rate = "1/s"
jobs = {{ class = "export", rate = "30/m" }}
[[faults]]
kind = "poison_jobs"
tenant = "poison"
fraction = "100%"
at = "0s"
until = "10m"
"#
    )
}

/// Goal: a tenant with 10^5 queued exports and one with 10: under FIFO the small tenant's
/// p99 job wait is huge; under fair scheduling with caps it is near its own service time
/// (~120 ms of work per job); a poison tenant's jobs fill the DLQ while others complete.
#[test]
fn fair_job_scheduling_and_dead_letters() {
    let fifo = run(&jobs("fifo"), 6);
    let fair = run(&jobs("drr_cap"), 6);
    let small = |s: &RunSummary| s.tenants.iter().find(|t| t.id == "small").unwrap().clone();
    let (f, d) = (small(&fifo), small(&fair));
    eprintln!(
        "small tenant job wait p99: fifo {:?} ms ({} done), fair {:?} ms ({} done); poison DLQ {}",
        f.job_wait_p99_ms,
        f.jobs_done,
        d.job_wait_p99_ms,
        d.jobs_done,
        fair.tenants
            .iter()
            .find(|t| t.id == "poison")
            .unwrap()
            .jobs_dlq
    );
    assert!(
        f.jobs_done < 10,
        "under FIFO the small tenant waits behind 10^5 jobs"
    );
    assert!(
        d.job_wait_p99_ms.unwrap() < 1_000.0,
        "fair: near its own service time"
    );
    assert!(d.jobs_done >= 60, "fair: all its jobs complete");
    let p = fair.tenants.iter().find(|t| t.id == "poison").unwrap();
    assert!(p.jobs_dlq > 200 && p.jobs_done == 0);
    assert!(
        fair.tenants
            .iter()
            .find(|t| t.id == "flood")
            .unwrap()
            .jobs_done
            > 1000
    );
}

/// Goal: partitions cut exactly the calls they name. Method: 2 cells; cell 1 is cut from the
/// KMS (timeout), cell 0 from its DB (reject), and the edge from cell 1 (reject) — each in
/// its own minute; check causes and that the other cell is untouched.
#[test]
fn partitions_cut_only_their_calls() {
    let text = r#"
version = 1
duration = "4m"
[kms]
timeout = "200ms"
[platform]
cells = 2
[classes.api]
kms = true
[[cohorts]]
name = "t"
count = 10
rate = "const(5/s)"
[[faults]]
kind = "partition"
between = ["cell", "kms"]
cell = 1
at = "30s"
for = "1m"
[[faults]]
kind = "partition"
between = ["cell", "db"]
mode = "reject"
cell = 0
at = "1m30s"
for = "30s"
[[faults]]
kind = "partition"
between = ["edge", "cell"]
mode = "reject"
cell = 1
at = "2m30s"
for = "30s"
"#;
    let s = run(text, 7);
    let causes = &s.total.causes;
    eprintln!("partition causes: {causes:?}");
    // KMS: data keys (TTL 5 m, fetched at staggered times) keep most of cell 1 serving
    // through a 1-minute cut: only keys that expire during it fail — at most ~1/5 of the
    // cell's 1,500 requests in that minute.
    let kms = causes.get("kms_unavailable").copied().unwrap_or(0);
    assert!(
        kms > 0 && kms < 600,
        "cached keys ride out most of a KMS cut: {kms}"
    );
    let unreachable = causes.get("unreachable").copied().unwrap_or(0);
    assert!(
        unreachable > 1000,
        "DB cut (cell 0) and edge cut (cell 1) fail fast: {unreachable}"
    );
    for t in &s.tenants {
        assert!(
            t.outcomes.errors_5xx + t.outcomes.shed_503 > 0,
            "{} hit in one of the cuts",
            t.id
        );
    }
    // A fresh cell (no cached keys) behind a KMS cut fails with the KMS cause.
    let cold = text.replace("at = \"30s\"\nfor = \"1m\"", "at = \"0s\"\nfor = \"1m\"");
    let c = run(&cold, 7);
    assert!(c.total.causes.get("kms_unavailable").copied().unwrap_or(0) > 100);
    assert!(c
        .tenants
        .iter()
        .filter(|t| t.cell == 0)
        .all(|t| t.outcomes.ok
            == t.outcomes.finished() - t.outcomes.errors_5xx - t.outcomes.shed_503));
}

/// Goal: config changes reach the edge by push (with a delay) or by poll when pushes are
/// lost, and a `config_push` lasts its window (its end publishes the old limits: issue 13
/// item 8, once never reverted); a suspension is pushed urgently and reinstatement restores
/// service; lifecycle transitions are recorded.
#[test]
fn config_push_and_suspension() {
    let text = r#"
version = 1
duration = "3m"
window = "1s"
[control_plane]
push_delay = "const(5s)"
urgent_push_delay = "const(200ms)"
poll_interval = "30s"
[platform]
cells = 1
[[tenants]]
id = "limited"
rate = "50/s"
[[tenants]]
id = "bad"
rate = "10/s"
[[slos]]
name = "bad"
objective = "availability > 0%"
tenants = ["limited", "bad"]
[[faults]]
kind = "config_push"
tenant = "limited"
rate_limit = "10/s"
burst = 10
at = "30s"
for = "60s"
[[faults]]
kind = "suspend_tenant"
tenant = "bad"
at = "1m"
for = "1m"
"#;
    let sc = load_str("t.toml", text, &[]).unwrap();
    let out = models::harness::run::run(&sc, 8, None).unwrap();
    let g = |name: &str| {
        out.series
            .groups
            .iter()
            .find(|g| g.kind == "tenant" && g.name == name)
            .unwrap()
    };
    let limited = g("limited");
    let first_429 = limited
        .points
        .iter()
        .position(|p| p.rejected_429 > 0)
        .unwrap();
    eprintln!("config push at 30 s → first 429s in window {first_429}");
    assert!(
        (35..=37).contains(&first_429),
        "push lands after ~5 s of CP latency + delay"
    );
    let last_429 = limited
        .points
        .iter()
        .rposition(|p| p.rejected_429 > 0)
        .unwrap();
    eprintln!("window ends at 90 s → last 429s in window {last_429}");
    assert!(
        (94..=96).contains(&last_429),
        "the revert is published at the window's end and lands ~5 s later"
    );
    let bad = g("bad");
    let suspended: Vec<usize> = (0..180)
        .filter(|&w| bad.points[w].offered > 0 && bad.points[w].ok == 0)
        .collect();
    eprintln!(
        "bad tenant fully refused in windows {:?}..{:?}",
        suspended.first(),
        suspended.last()
    );
    assert!(
        suspended.first().is_some_and(|&w| (60..=61).contains(&w)),
        "urgent push: ~200 ms"
    );
    assert!(
        suspended.last().is_some_and(|&w| (119..=121).contains(&w)),
        "reinstated after the window"
    );
    assert!(
        out.summary
            .total
            .causes
            .get("tenant_suspended")
            .copied()
            .unwrap_or(0)
            > 400
    );
    let tr = &out.summary.control.transitions;
    for k in [
        "active->suspension_pending",
        "suspension_pending->suspended",
        "suspended->active",
    ] {
        assert_eq!(tr.get(k), Some(&1), "{k} in {tr:?}");
    }
}

/// Goal: an idle tenant becomes dormant and its next request wakes it (served, not refused).
#[test]
fn idle_tenants_go_dormant_and_wake() {
    let text = r#"
version = 1
duration = "5m"
[control_plane]
dormant_after = "30s"
[[tenants]]
id = "sleepy"
rate = "5/s"
schedule = [["0s", 1.0], ["1m", 1.0], ["1m", 0.0], ["3m", 0.0], ["3m", 1.0]]
[[tenants]]
id = "busy"
rate = "5/s"
"#;
    let s = run(text, 9);
    let tr = &s.control.transitions;
    eprintln!("transitions: {tr:?}");
    assert_eq!(tr.get("active->dormant"), Some(&1));
    assert_eq!(tr.get("dormant->active"), Some(&1));
    let sleepy = s.tenants.iter().find(|t| t.id == "sleepy").unwrap();
    assert_eq!(
        sleepy.outcomes.ok,
        sleepy.outcomes.finished(),
        "a dormant tenant is served when it wakes"
    );
    assert_eq!(sleepy.state, "active");
}
