//! `tenantsim trace FILE --tenant ID --out PATH`: one run, with the selected tenants'
//! requests recorded as spans and written for Perfetto or as JSON lines.
//!
//! The run is exactly `tenantsim run FILE --seed N` (same digest): the selection only decides
//! what the tracer keeps. Bad flags, an unknown tenant or cell, an empty window or an
//! unwritable PATH are input errors (exit 2), reported before the run starts where possible.

use crate::cli::{TraceArgs, TraceFormat};
use crate::exit;
use std::io::Write;
use std::time::Instant;

/// Runs `trace`.
pub fn trace(a: TraceArgs) -> i32 {
    let file = a.scenario.file.display().to_string();
    let sc = match a.scenario.load() {
        Ok(l) => l.scenario,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    let seed = a.scenario.seed_or(&sc);
    let spec = models::trace::TraceSpec {
        tenants: a.tenants.clone(),
        cells: a.cells.clone(),
        from: a.from,
        to: a.to,
        max_events: a.max_events,
        counter_resolution: a.counter_resolution,
    };
    // Check the selection before spending time on the run.
    let pop = models::population::Population::build(&sc, seed);
    if let Err(e) = spec.check(&sc, &pop) {
        eprintln!("{file}: error in the trace selection: {e}");
        return exit::INVALID_INPUT;
    }
    let format = a.format.unwrap_or_else(|| {
        if a.out.extension().is_some_and(|x| x == "jsonl") {
            TraceFormat::Jsonl
        } else {
            TraceFormat::Perfetto
        }
    });
    let out_dir = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if a.out.is_dir() {
        eprintln!(
            "tenantsim: error: --out {} is a directory\n  = help: give a file name, e.g. --out {}",
            a.out.display(),
            a.out.join("trace.json").display()
        );
        return exit::INVALID_INPUT;
    }
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        eprintln!(
            "tenantsim: error: cannot create {} for --out: {e}",
            out_dir.display()
        );
        return exit::INVALID_INPUT;
    }
    let repro = a.scenario.repro(seed);
    // Wall time of the run and of the writing, for the report line; never enters the run.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let progress = crate::service::progress::for_run("trace", sc.duration);
    let opts = models::harness::run::RunOptions {
        variant: a.scenario.variant.clone(),
        trace: Some(spec),
        progress: progress.as_ref().map(|p| p.0.clone()),
        ..Default::default()
    };
    let result = models::harness::run::run_with(&sc, seed, &opts);
    drop(progress);
    let mut out = match result {
        Ok(out) => out,
        Err(models::harness::run::RunError::Trace(e)) => {
            eprintln!("{file}: error in the trace selection: {e}");
            return exit::INVALID_INPUT;
        }
        Err(e) => {
            eprintln!("tenantsim: {e}\n  repro: {repro}");
            return exit::INTERNAL;
        }
    };
    let run_wall = started.elapsed().as_secs_f64();
    let Some(mut trace) = out.trace.take() else {
        eprintln!("tenantsim: internal error: the run returned no trace\n  repro: {repro}");
        return exit::INTERNAL;
    };
    trace.meta.version = crate::version::long();
    let trace = &trace;
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let written = match write_trace(&a.out, trace, format) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("tenantsim: error: cannot write {}: {e}", a.out.display());
            return exit::INVALID_INPUT;
        }
    };
    let write_wall = t0.elapsed().as_secs_f64();
    let walls = (run_wall, write_wall);
    report(
        &a,
        trace,
        &written,
        format,
        (seed, &out.summary.digest),
        walls,
    );
    exit::OK
}

/// Prints what was traced and written (stdout: the same bytes for the same run).
fn report(
    a: &TraceArgs,
    trace: &reports::trace::Trace,
    written: &reports::trace::Written,
    format: TraceFormat,
    (seed, digest): (u64, &str),
    (run_wall, write_wall): (f64, f64),
) {
    let m = &trace.meta;
    let who: Vec<String> = a
        .tenants
        .iter()
        .map(|t| format!("tenant {t}"))
        .chain(a.cells.iter().map(|c| format!("cell {c}")))
        .collect();
    println!(
        "traced {} requests of {} starting in {}..{} (seed {seed}, digest {})",
        written.requests,
        who.join(", "),
        sim::SimDuration(m.from_ns),
        sim::SimDuration(m.to_ns),
        digest
    );
    println!(
        "  {} spans, {} instants, {} counter {}, {} flow events; {} records of {} allowed",
        written.spans,
        written.instants,
        written.counters,
        if format == TraceFormat::Perfetto {
            "events"
        } else {
            "samples"
        },
        written.flows,
        m.records,
        m.max_events
    );
    println!(
        "  wrote {} ({}, {:.1} MB)",
        a.out.display(),
        match format {
            TraceFormat::Perfetto => "perfetto",
            TraceFormat::Jsonl => "jsonl",
        },
        written.bytes as f64 / 1e6
    );
    // On stderr: stdout stays byte-identical between identical runs.
    eprintln!("  run {run_wall:.2}s, write {write_wall:.2}s");
    if let Some(at) = m.cap_hit_at_ns {
        println!(
            "  note: the --max-events bound ({}) was reached at {}: requests starting later were not traced, {} instants/counter samples were dropped; raise --max-events or narrow --tenant/--cell/--from/--to",
            m.max_events,
            sim::SimDuration(at),
            m.dropped
        );
    } else if m.dropped > 0 {
        println!(
            "  note: the --max-events bound ({}) was reached: {} instants/counter samples were dropped",
            m.max_events, m.dropped
        );
    }
    if written.requests == 0 {
        println!("  note: no request of the selection started in the window");
    }
    if format == TraceFormat::Perfetto {
        println!("  open it at https://ui.perfetto.dev (Open trace file) or chrome://tracing");
    }
}

/// Writes the trace through a temporary file in the same directory, then renames it.
fn write_trace(
    path: &std::path::Path,
    trace: &reports::trace::Trace,
    format: TraceFormat,
) -> std::io::Result<reports::trace::Written> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        let n = match format {
            TraceFormat::Perfetto => reports::trace::write_perfetto(trace, &mut w)?,
            TraceFormat::Jsonl => reports::trace::write_jsonl(trace, &mut w)?,
        };
        w.flush()?;
        std::fs::rename(&tmp, path)?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
