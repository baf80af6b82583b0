//! `tenantsim explain FILE --seed N [--slo NAME]... [--without TENANT|FAULT]...`: why an SLO
//! failed on a seed, and what one tenant or fault cost everyone else (a counterfactual run of
//! the same seed). The analysis lives in `models::harness::explain`; this prints it.

use crate::cli::ExplainArgs;
use crate::exit;
use models::harness::explain::{counterfactual, explain as analyse, removal};
use models::harness::repro::shell_quote;
use models::harness::run::RunOptions;

/// Runs `tenantsim explain`.
pub fn explain(a: ExplainArgs) -> i32 {
    let sc = match a.scenario.load() {
        Ok(l) => l.scenario,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    let seed = a.scenario.seed_or(&sc);
    for name in &a.slo {
        if !sc.slos.iter().any(|s| &s.name == name) {
            let names: Vec<&str> = sc.slos.iter().map(|s| s.name.as_str()).collect();
            eprintln!(
                "{}: error in `--slo {name}`: the scenario has no such SLO; its SLOs are: {}",
                a.scenario.file.display(),
                names.join(", ")
            );
            return exit::INVALID_INPUT;
        }
    }
    let mut removals = Vec::new();
    for w in &a.without {
        match removal(&sc, seed, w) {
            Ok(r) => removals.push(r),
            Err(e) => {
                eprintln!(
                    "{}: error in `--without {w}`: {e}",
                    a.scenario.file.display()
                );
                return exit::INVALID_INPUT;
            }
        }
    }
    let progress = crate::service::progress::for_run("explain", sc.duration);
    let opts = RunOptions {
        variant: a.scenario.variant.clone(),
        progress: progress.as_ref().map(|p| p.0.clone()),
        ..Default::default()
    };
    let analysed = analyse(&sc, seed, &opts, &a.slo);
    drop(progress);
    // The counterfactual runs below are as long again: they show no bar.
    let opts = RunOptions {
        progress: None,
        ..opts
    };
    let ex = match analysed {
        Ok(e) => e,
        Err(e) => {
            eprintln!("tenantsim: {e}");
            return exit::INTERNAL;
        }
    };
    print!("{}", ex.render());
    for r in &removals {
        match counterfactual(&sc, seed, &opts, r, Some(&ex.summary)) {
            Ok(c) => print!("{}", c.render()),
            Err(e) => {
                eprintln!("tenantsim: {e}");
                return exit::INTERNAL;
            }
        }
    }
    let repro = crate::version::with_version(&a.scenario.repro(seed));
    if ex.violations.is_empty() {
        println!("\nverdict: PASS   repro: {repro}");
        exit::OK
    } else {
        if removals.is_empty() {
            if let Some(v) = ex.violations.first() {
                if let Some(u) = v.users.iter().find(|u| !v.breaching.contains(&u.tenant)) {
                    println!(
                        "\nnext: measure what {} cost the others: tenantsim explain {} --seed {seed}{} --without {}",
                        u.tenant,
                        shell_quote(&a.scenario.file.display().to_string()),
                        a.scenario.variant
                            .as_deref()
                            .map(|v| format!(" --variant {}", shell_quote(v)))
                            .unwrap_or_default(),
                        shell_quote(&u.tenant)
                    );
                }
            }
        }
        println!("\nverdict: FAIL   repro: {repro}");
        exit::SLO_FAILED
    }
}
