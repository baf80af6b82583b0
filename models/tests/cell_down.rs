//! A dead cell serves nothing: when a `cell_outage` starts, what waits in the cell's queue
//! fails at once with `cell_down`, what is in service fails `cell_down` when its step
//! completes, nothing is served Ok by the cell while it is down, and the ledger balances.
//!
//! Method: one overloaded cell (its queue always full of waiting attempts, every worker
//! busy, each attempt making DB queries), a second idle one, and an outage of cell 0 from
//! 10 s to 15 s. The run is traced on cell 0 around the outage, and the test reads each
//! attempt's recorded platform outcome, end time and phases.
//!
//! These tests fail on the code before `platform/cell_down.rs`: there the attempts queued on
//! cell 0 at 10 s kept being started by its workers and ended `ok` during the outage.

use models::harness::run::{run_with, RunOptions};
use models::scenario::load_str;
use models::trace::TraceSpec;
use reports::trace::AttemptTrace;
use sim::SimDuration;

mod support;
use support::settings::BUSY_CELL;

const SECOND: u64 = 1_000_000_000;
const DOWN_NS: u64 = 10 * SECOND;
const UP_NS: u64 = 15 * SECOND;

/// Every attempt the trace recorded on cell 0, after a run that must balance its ledger.
fn cell0_attempts(seed: u64) -> Vec<AttemptTrace> {
    let sc = load_str("cell_down.toml", BUSY_CELL, &[]).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        trace: Some(TraceSpec {
            cells: vec![0],
            from: Some(SimDuration::from_secs(8)),
            to: Some(SimDuration::from_secs(17)),
            ..TraceSpec::default()
        }),
        ..RunOptions::default()
    };
    let out = run_with(&sc, seed, &opts).expect("the ledger balances");
    assert!(
        out.summary.ledger.balanced,
        "ledger: {:?}",
        out.summary.ledger
    );
    let trace = out.trace.expect("a trace was asked for");
    trace
        .requests
        .into_iter()
        .flat_map(|r| r.attempts)
        .filter(|a| a.cell == Some(0))
        .collect()
}

fn has_phase(a: &AttemptTrace, kind: &str) -> bool {
    a.phases.iter().any(|p| p.kind == kind)
}

/// Goal: no attempt on cell 0 whose platform work ended during the outage ended Ok, and no
/// attempt that was on the cell when it died (started before 10 s, ended after) ended Ok.
#[test]
fn a_dead_cell_serves_nothing() {
    for seed in [1, 2] {
        let attempts = cell0_attempts(seed);
        assert!(attempts.len() > 100, "seed {seed}: too few traced attempts");
        for a in &attempts {
            let Some(end) = a.platform_end_ns else {
                continue;
            };
            let on_cell_when_it_died = a.start_ns < DOWN_NS && end >= DOWN_NS;
            let ended_while_down = (DOWN_NS..UP_NS).contains(&end);
            if on_cell_when_it_died || ended_while_down {
                assert_ne!(
                    a.platform_outcome, "ok",
                    "seed {seed}: an attempt on cell 0 ({} ns → {end} ns) was served Ok by a dead cell",
                    a.start_ns
                );
            }
        }
        // The cell serves again after the outage.
        assert!(
            attempts
                .iter()
                .any(|a| a.platform_outcome == "ok" && a.platform_end_ns > Some(UP_NS)),
            "seed {seed}: cell 0 serves nothing after it came back"
        );
    }
}

/// Goal: the outage fails what waited in the queue at its start, at that instant, and what
/// was in service when its step completes (after the start), both as `cell_down`.
#[test]
fn queued_fail_at_once_in_service_fail_when_their_step_ends() {
    let attempts = cell0_attempts(1);
    let cell_down = |a: &&AttemptTrace| a.platform_cause == Some("cell_down");
    let drained = attempts
        .iter()
        .filter(cell_down)
        .filter(|a| a.platform_end_ns == Some(DOWN_NS) && !has_phase(a, "service"))
        .count();
    // The queue (limit 50) was full when the cell died.
    assert!(
        drained >= 40,
        "queued attempts failed at the outage start: {drained}"
    );
    let died_in_service = attempts
        .iter()
        .filter(cell_down)
        .filter(|a| {
            has_phase(a, "service") && a.start_ns < DOWN_NS && a.platform_end_ns > Some(DOWN_NS)
        })
        .count();
    // Both workers were busy: each attempt in service fails when its CPU step or query ends.
    assert!(
        (1..=2).contains(&died_in_service),
        "attempts in service when the cell died that failed cell_down later: {died_in_service}"
    );
}

fn jobs_on_dead_cell(outage_for: &str) -> reports::summary::RunSummary {
    let text = format!(
        r#"
version = 1
duration = "30s"
[jobs.export]
db_time = "const(100ms)"
bytes = "const(1MB)"
[object_storage]
latency_base = "const(10ms)"
latency_per_mb = "const(10ms)"
[platform]
cells = 2
[[tenants]]
id = "a"
rate = "1/s"
cell = 0
jobs = {{ class = "export", rate = "60/m" }}
[[tenants]]
id = "b"
rate = "1/s"
cell = 1
[[faults]]
kind = "cell_outage"
cell = 0
at = "10s"
for = "{outage_for}"
"#
    );
    let sc = load_str("jobs.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = models::harness::run::run(&sc, 1, None)
        .expect("the ledger balances")
        .summary;
    assert!(s.ledger.balanced);
    s
}

/// Goal: no job starts on a down cell; the jobs that arrive meanwhile wait and run when the
/// cell is back. Method: one tenant's exports (~1/s, 100 ms each) on cell 0, down from 10 s
/// to the end of a 30 s run: only the ~10 jobs from before the outage complete and the ~20
/// later ones are still queued at the end (the old code ran them all on the dead cell). Then
/// the same with the cell back at 20 s: the waiting jobs run.
#[test]
fn no_job_starts_on_a_dead_cell() {
    let down = jobs_on_dead_cell("20s");
    let done = down
        .tenants
        .iter()
        .find(|t| t.id == "a")
        .expect("a")
        .jobs_done;
    assert!(
        (5..=12).contains(&done),
        "jobs done with cell 0 down from 10 s: {done}"
    );
    assert!(
        down.control.jobs_in_flight >= 12,
        "jobs waiting for the dead cell: {}",
        down.control.jobs_in_flight
    );
    let back = jobs_on_dead_cell("10s");
    let done_back = back
        .tenants
        .iter()
        .find(|t| t.id == "a")
        .expect("a")
        .jobs_done;
    assert!(
        done_back >= done + 15,
        "after the cell came back its waiting jobs ran: {done_back} done (vs {done} without)"
    );
}
