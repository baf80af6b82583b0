//! Entry points of live mode: `load`, `serve-reference`, `export k6` (the work is in
//! `crate::live`; this turns flags into a plan and results into exit codes).

use crate::cli::live_args::{ExportArgs, ExportCommand, LoadArgs, ServeArgs};
use crate::exit;
use crate::live::model::{self, Population, SimError, SplitMix};
use crate::live::{compare, generator, judge, k6, server, spec::LiveSpec};
use crate::service::out::OutDir;
use std::time::Duration;

fn bad(msg: &str) -> i32 {
    eprintln!("tenantsim: {msg}");
    exit::INVALID_INPUT
}

/// `tenantsim load FILE --target URL`.
pub fn load(a: LoadArgs) -> i32 {
    let loaded = match a.scenario.load() {
        Ok(l) => l,
        Err(m) => return bad(&m),
    };
    let mut sc = loaded.scenario;
    let seed = a.scenario.seed_or(&sc);
    if let Some(d) = &a.duration {
        match model::parse_duration(d) {
            Ok(d) if d.as_nanos() > 0 => {
                if d < sc.duration {
                    sc.duration = d;
                }
            }
            Ok(_) => return bad("--duration must be > 0"),
            Err(e) => return bad(&format!("--duration {e}")),
        }
    }
    if !(a.scale > 0.0 && a.scale <= 1.0) {
        return bad(&format!("--scale {}: must be in (0, 1]", a.scale));
    }
    let spec = match LiveSpec::from_scenario(&sc) {
        Ok(s) => s,
        Err(m) => return bad(&m),
    };
    let target = match generator::Target::parse(&a.target) {
        Ok(t) => t,
        Err(m) => return bad(&m),
    };
    let (sim, arrivals) = match model::simulate_with_arrivals(&sc, seed, sc.variant.as_deref()) {
        Ok(x) => x,
        Err(SimError::Input(m)) => return bad(&m),
        Err(SimError::Internal(m)) => {
            eprintln!("tenantsim: internal invariant broken: {m}");
            return exit::INTERNAL;
        }
    };
    let mut keep = SplitMix(seed ^ 0x5CA1_E000_0000_0001);
    let arrivals: Vec<model::Arrival> = if a.scale < 1.0 {
        use model::Bits;
        arrivals
            .into_iter()
            .filter(|_| keep.next_f64() < a.scale)
            .collect()
    } else {
        arrivals
    };
    if arrivals.len() as u64 > spec.max_requests {
        return bad(&format!(
            "this run would send {} requests, more than [live] max_requests = {}; use --duration or --scale, or raise max_requests",
            arrivals.len(),
            spec.max_requests
        ));
    }
    if let Err(m) = target.check_reachable() {
        return bad(&m);
    }
    let pop = Population::build(&sc, seed);
    let ids: Vec<String> = pop.tenants.iter().map(|t| t.id.clone()).collect();
    eprintln!(
        "tenantsim: sending {} requests over {:.1} s to {} (Ctrl-C stops and keeps partial results)",
        arrivals.len(),
        sc.duration.as_secs_f64(),
        a.target
    );
    let measured = match generator::generate(&sc, &ids, &spec, &target, &arrivals, seed) {
        Ok(m) => m,
        Err(m) => return bad(&m),
    };
    let health = judge::health(&measured, spec.late_bound_ns);
    let (summary, live, series) = judge::summarise(&sc, &pop, seed, &a.target, &measured, &health);
    print!("{}", reports::terminal::render(&summary));
    print!(
        "{}",
        judge::health_text(&a.target, &measured, &health, &live)
    );
    if a.compare {
        let mut show: Vec<String> = model::watched_tenants(&sc, &pop, &[])
            .into_iter()
            .map(|x| x.1)
            .collect();
        for s in &summary.slos {
            if let Some(w) = &s.worst_tenant {
                if !show.contains(w) {
                    show.push(w.clone());
                }
            }
        }
        print!(
            "{}",
            compare::table(&sim.summary, &summary, sc.duration.as_secs_f64(), &show)
        );
    }
    let repro = format!(
        "tenantsim load {} --target {} --seed {seed}{}",
        a.scenario.file.display(),
        a.target,
        sc.variant
            .as_deref()
            .map_or(String::new(), |v| format!(" --variant {v}"))
    );
    if let Some(dir) = &a.out {
        let run = Written {
            sc: &sc,
            summary: &summary,
            live: &live,
            series: &series,
            sim: &sim,
            file_text: &loaded.file_text,
            repro: &repro,
            compare: a.compare,
        };
        if let Err(e) = write_out(dir, &run) {
            return bad(&e.to_string());
        }
    }
    if let Some(p) = &a.junit {
        if let Err(e) = std::fs::write(p, judge::junit(&sc, &summary, &health, &a.target, &repro)) {
            return bad(&format!("{}: cannot write: {e}", p.display()));
        }
    }
    if summary.passed {
        exit::OK
    } else {
        exit::SLO_FAILED
    }
}

/// What `load --out DIR` writes, gathered.
struct Written<'a> {
    sc: &'a model::Scenario,
    summary: &'a reports::summary::RunSummary,
    live: &'a serde_json::Value,
    series: &'a reports::series::Series,
    sim: &'a model::RunOutput,
    file_text: &'a str,
    repro: &'a str,
    compare: bool,
}

/// Writes a live run's folder: the summary with its `live` section, the CSVs, the charts,
/// the report, and with `--compare` the simulated summary and the overlay chart.
fn write_out(dir: &std::path::Path, r: &Written) -> Result<(), crate::service::out::OutError> {
    let mut o = OutDir::prepare(dir)?;
    o.write(
        "summary.json",
        judge::summary_json(r.summary, r.live).as_bytes(),
    )?;
    o.write(
        "timeseries.csv",
        reports::csv::timeseries_csv(r.summary, r.series).as_bytes(),
    )?;
    o.write(
        "tenants.csv",
        reports::csv::tenants_csv(r.summary).as_bytes(),
    )?;
    let charts = reports::charts::render_all(r.summary, r.series).map_err(|e| {
        crate::service::out::OutError::Io {
            path: o.path().join("charts").display().to_string(),
            source: std::io::Error::other(e.to_string()),
        }
    })?;
    for c in &charts {
        o.write(&format!("charts/{}.png", c.name), &c.png)?;
        o.write(&format!("charts/{}.svg", c.name), c.svg.as_bytes())?;
    }
    let html = reports::html::report_html(r.summary, &charts, r.file_text, r.repro);
    o.write("report.html", html.as_bytes())?;
    if r.compare {
        o.write("simulated-summary.json", r.sim.summary.to_json().as_bytes())?;
        // The simulation's latency curves, beside the measured ones (charts/latency).
        let kind = reports::charts::ChartKind::Latency;
        if let Ok(c) = reports::charts::render(kind, &r.sim.summary, &r.sim.series) {
            o.write("charts/simulated-latency.png", &c.png)?;
            o.write("charts/simulated-latency.svg", c.svg.as_bytes())?;
        }
        // Both curves on one chart (measured solid, simulated dashed).
        let shown: Vec<String> = r
            .summary
            .tiers
            .iter()
            .filter(|t| t.tenants > 0)
            .map(|t| t.name.clone())
            .collect();
        let overlay = crate::live::overlay::latency_overlay_svg(
            r.series,
            &r.sim.series,
            &shown,
            r.sc.duration.as_secs_f64(),
        );
        o.write("charts/latency-vs-simulated.svg", overlay.as_bytes())?;
    }
    // Staged beside the folder; put in place whole (see out.rs).
    o.commit()
}

/// `tenantsim serve-reference --scenario FILE --listen ADDR`.
pub fn serve(a: ServeArgs) -> i32 {
    let sc = match crate::service::load::load_as(&a.scenario, &a.set, a.variant.as_deref()) {
        Ok(s) => s,
        Err(m) => return bad(&m),
    };
    let spec = match LiveSpec::from_scenario(&sc) {
        Ok(s) => s,
        Err(m) => return bad(&m),
    };
    let run_for = match &a.run_for {
        None => None,
        Some(d) => match model::parse_duration(d) {
            Ok(d) => Some(Duration::from_nanos(d.as_nanos())),
            Err(e) => return bad(&format!("--for {e}")),
        },
    };
    let opts = server::ServeOptions {
        listen: a.listen.clone(),
        run_for,
        seed: sc.seed,
    };
    match server::serve(&sc, spec, &opts) {
        Ok(()) => exit::OK,
        Err(m) => bad(&m),
    }
}

/// `tenantsim export k6 FILE`.
pub fn export(a: ExportArgs) -> i32 {
    let ExportCommand::K6(k) = a.format;
    let loaded = match k.scenario.load() {
        Ok(l) => l,
        Err(m) => return bad(&m),
    };
    let sc = loaded.scenario;
    let seed = k.scenario.seed_or(&sc);
    let spec = match LiveSpec::from_scenario(&sc) {
        Ok(s) => s,
        Err(m) => return bad(&m),
    };
    let pop = Population::build(&sc, seed);
    let js = k6::script(&sc, &spec, &pop, &k.target);
    match &k.out {
        None => {
            print!("{js}");
            exit::OK
        }
        Some(p) => match std::fs::write(p, js) {
            Ok(()) => exit::OK,
            Err(e) => bad(&format!("{}: {e}", p.display())),
        },
    }
}
