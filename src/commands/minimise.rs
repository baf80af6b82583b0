//! The shrinking engine behind `tenantsim shrink FILE --seed N --slo NAME --out min.toml`
//! (and behind `explore --shrink` and `check --explore`): the smallest scenario it finds in
//! which the named SLO still fails on that seed. A service, so that those subcommands share
//! it without importing each other.
//!
//! Greedy delta debugging on the scenario's TOML tree. The variant and `--set` flags are
//! first folded into the file (and the `[[variants]]` dropped), then reductions are tried,
//! cheapest-to-test first — halve the duration (dropping faults that no longer fit), start the
//! faults sooner, drop or halve a cohort, drop a fault, drop a tenant, halve the cells, drop
//! the other SLOs, drop the background jobs — and each one is kept if the file is still valid and the SLO still fails
//! on the seed.
//!
//! Faults left to the seed (selectors, drawn times) are first written out as the literal
//! faults the seed drew, and with `--explore` so is the schedule `tenantsim explore` drew
//! for the seed (`models::harness::explore_literal`): the reductions then never re-draw,
//! and the result has no draws left — it fails with a plain `tenantsim run OUT --seed N`. Passes repeat until no reduction is kept or the budget of runs is spent. The
//! result is a valid, commented scenario file; every step is printed.

use crate::cli::ShrinkArgs;
use crate::exit;
use models::harness::repro::shell_quote;
use models::scenario::{load_str, Override, Scenario};
use sim::SimDuration;
use toml_edit::{DocumentMut, Item, Value};

/// Tenants × simulated minutes: the size shrinking reduces.
fn size(sc: &Scenario) -> f64 {
    let tenants =
        sc.tenants.len() as f64 + sc.cohorts.iter().map(|c| f64::from(c.count)).sum::<f64>();
    tenants * sc.duration.as_secs_f64() / 60.0
}

/// `N tenants` (or `1 tenant`) of a scenario.
fn tenants(sc: &Scenario) -> String {
    let n = sc.tenants.len() as u64 + sc.cohorts.iter().map(|c| u64::from(c.count)).sum::<u64>();
    if n == 1 {
        "1 tenant".to_string()
    } else {
        format!("{n} tenants")
    }
}

/// Number of elements of an array of tables (`[[x]]`) or inline array (`x = [...]`) at `key`.
fn array_len(doc: &DocumentMut, key: &str) -> usize {
    match doc.get(key) {
        Some(Item::ArrayOfTables(a)) => a.len(),
        Some(Item::Value(Value::Array(a))) => a.len(),
        _ => 0,
    }
}

fn array_remove(doc: &mut DocumentMut, key: &str, i: usize) {
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            a.remove(i);
            if a.is_empty() {
                doc.remove(key);
            }
        }
        Some(Item::Value(Value::Array(a))) => {
            a.remove(i);
            if a.is_empty() {
                doc.remove(key);
            }
        }
        _ => {}
    }
}

/// A string or integer field of element `i` of array `key`.
fn elem_field(doc: &DocumentMut, key: &str, i: usize, field: &str) -> Option<Value> {
    match doc.get(key)? {
        Item::ArrayOfTables(a) => a.get(i)?.get(field)?.as_value().cloned(),
        Item::Value(Value::Array(a)) => a.get(i)?.as_inline_table()?.get(field).cloned(),
        _ => None,
    }
}

fn set_elem_field(doc: &mut DocumentMut, key: &str, i: usize, field: &str, v: Value) {
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            if let Some(t) = a.get_mut(i) {
                t[field] = Item::Value(v);
            }
        }
        Some(Item::Value(Value::Array(a))) => {
            if let Some(t) = a.get_mut(i).and_then(Value::as_inline_table_mut) {
                t.insert(field, v);
            }
        }
        _ => {}
    }
}

fn elem_name(doc: &DocumentMut, key: &str, i: usize) -> String {
    elem_field(doc, key, i, "name")
        .or_else(|| elem_field(doc, key, i, "id"))
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("#{i}"))
}

/// Every reduction of `doc` to try now, biggest first: (what it does, the reduced document).
fn candidates(doc: &DocumentMut, slo: &str) -> Vec<(String, DocumentMut)> {
    let mut out = Vec::new();
    // Duration: halve, dropping faults that start after the new end and clipping the rest.
    if let Some(dur) = doc
        .get("duration")
        .and_then(Item::as_str)
        .and_then(|t| SimDuration::parse(t).ok())
    {
        let half = SimDuration::from_nanos(dur.as_nanos() / 2);
        if half >= SimDuration::from_secs(10) {
            let mut d = doc.clone();
            d["duration"] = toml_edit::value(half.to_string());
            for i in (0..array_len(&d, "faults")).rev() {
                let at = elem_field(&d, "faults", i, "at")
                    .and_then(|v| v.as_str().and_then(|t| SimDuration::parse(t).ok()));
                if let Some(at) = at {
                    if at >= half {
                        array_remove(&mut d, "faults", i);
                        continue;
                    }
                    let len = elem_field(&d, "faults", i, "for")
                        .and_then(|v| v.as_str().and_then(|t| SimDuration::parse(t).ok()));
                    if let Some(len) = len {
                        if at + len > half {
                            let clipped = SimDuration::from_nanos(half.as_nanos() - at.as_nanos());
                            set_elem_field(
                                &mut d,
                                "faults",
                                i,
                                "for",
                                Value::from(clipped.to_string()),
                            );
                        }
                    }
                }
            }
            out.push((format!("halve the duration ({dur} → {half})"), d));
        }
    }
    // Faults sooner: halve every fault's start (so the duration can halve again).
    let n_faults = array_len(doc, "faults");
    let starts: Vec<Option<SimDuration>> = (0..n_faults)
        .map(|i| {
            elem_field(doc, "faults", i, "at")
                .and_then(|v| v.as_str().and_then(|t| SimDuration::parse(t).ok()))
        })
        .collect();
    if starts
        .iter()
        .any(|s| s.is_some_and(|a| a >= SimDuration::from_secs(10)))
    {
        let mut d = doc.clone();
        for (i, at) in starts.iter().enumerate() {
            if let Some(at) = at {
                let half = SimDuration::from_nanos(at.as_nanos() / 2);
                set_elem_field(&mut d, "faults", i, "at", Value::from(half.to_string()));
            }
        }
        out.push(("start every fault twice as soon".to_string(), d));
    }
    // Cohorts: drop, then halve.
    for i in 0..array_len(doc, "cohorts") {
        let name = elem_name(doc, "cohorts", i);
        let mut d = doc.clone();
        array_remove(&mut d, "cohorts", i);
        out.push((format!("drop cohort {name}"), d));
    }
    for i in 0..array_len(doc, "cohorts") {
        let name = elem_name(doc, "cohorts", i);
        if let Some(n) = elem_field(doc, "cohorts", i, "count").and_then(|v| v.as_integer()) {
            if n >= 2 {
                let mut d = doc.clone();
                set_elem_field(&mut d, "cohorts", i, "count", Value::from(n / 2));
                out.push((format!("halve cohort {name} ({n} → {})", n / 2), d));
            }
        }
    }
    for i in 0..n_faults {
        let name = elem_name(doc, "faults", i);
        let mut d = doc.clone();
        array_remove(&mut d, "faults", i);
        out.push((format!("drop fault {name}"), d));
    }
    for i in 0..array_len(doc, "tenants") {
        let name = elem_name(doc, "tenants", i);
        let mut d = doc.clone();
        array_remove(&mut d, "tenants", i);
        out.push((format!("drop tenant {name}"), d));
    }
    if let Some(cells) = doc
        .get("platform")
        .and_then(|p| p.get("cells"))
        .and_then(Item::as_integer)
    {
        if cells >= 2 {
            let mut d = doc.clone();
            d["platform"]["cells"] = toml_edit::value(cells / 2);
            out.push((format!("halve the cells ({cells} → {})", cells / 2), d));
        }
    }
    // Other SLOs: all at once, then one by one.
    let n_slos = array_len(doc, "slos");
    let others: Vec<usize> = (0..n_slos)
        .filter(|&i| elem_name(doc, "slos", i) != slo)
        .collect();
    if !others.is_empty() {
        let mut d = doc.clone();
        for &i in others.iter().rev() {
            array_remove(&mut d, "slos", i);
        }
        out.push((format!("drop the {} other SLOs", others.len()), d));
    }
    for key in ["job_classes", "jobs"] {
        if doc.contains_key(key) {
            let mut d = doc.clone();
            d.remove(key);
            out.push((format!("drop `{key}`"), d));
        }
    }
    out
}

/// Runs `tenantsim shrink`.
pub fn shrink(a: ShrinkArgs) -> i32 {
    let file = a.file.display().to_string();
    let fail = |msg: String| {
        eprintln!("{file}: error: {msg}");
        exit::INVALID_INPUT
    };
    let text = match super::load::read_scenario(&a.file, &file) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    let base = match super::load::load_as(&a.file, &a.set, a.variant.as_deref()) {
        Ok(sc) => sc,
        Err(msg) => {
            eprintln!("{msg}");
            return exit::INVALID_INPUT;
        }
    };
    if !base.slos.iter().any(|s| s.name == a.slo) {
        let names: Vec<&str> = base.slos.iter().map(|s| s.name.as_str()).collect();
        return fail(format!(
            "`--slo {}`: no such SLO; its SLOs are: {}",
            a.slo,
            names.join(", ")
        ));
    }
    let seed = a.seed.unwrap_or(base.seed);
    // Fold the variant and --set flags into the document; drop the variants.
    let mut doc: DocumentMut = match text.parse() {
        Ok(d) => d,
        Err(e) => return fail(format!("not valid TOML: {e}")),
    };
    let mut folded: Vec<Override> = Vec::new();
    if let Some(v) = &a.variant {
        if let Some(var) = base.variants.iter().find(|x| &x.name == v) {
            folded.extend(var.overrides.iter().cloned());
        }
    }
    for s in &a.set {
        match Override::parse(s) {
            Ok(o) => folded.push(o),
            Err(e) => return fail(format!("`--set {s}`: {e}")),
        }
    }
    for o in &folded {
        if let Err(e) = o.apply(&mut doc) {
            return fail(format!("`{}`: {e}", o.flag()));
        }
    }
    doc.remove("variants");
    // Drawn faults, and with `--explore` the schedule `explore` drew for this seed, are
    // written out literally: shrinking must not draw them again (halving the cells would
    // move a `cell = "random"`), and the result has no draws left.
    let drawn = a.explore || base.faults.iter().any(|f| f.drawn.is_some());
    let mut literal_note = String::new();
    if drawn {
        match models::harness::explore_literal::literal_doc(&doc, &base, seed, a.explore) {
            Ok(l) => {
                literal_note = format!(
                    "# The fault schedule the seed drew{} is written out literally ({} drawn faults{}).\n",
                    if a.explore { " (with --explore)" } else { "" },
                    l.drawn,
                    if l.dropped.is_empty() {
                        String::new()
                    } else {
                        format!("; left out, their selection was empty: {}", l.dropped.join(", "))
                    }
                );
                doc = l.doc;
            }
            Err(e) => return fail(e),
        }
    }
    let budget = a.budget.clamp(1, 100_000);
    let mut runs = 0usize;
    let mut tried = 0usize;
    // The verdict of a document: `Some(size)` if valid and the SLO still fails.
    let verdict = |d: &DocumentMut, runs: &mut usize| -> Option<(Scenario, String)> {
        let t = d.to_string();
        let sc = load_str(&file, &t, &[]).ok()?;
        *runs += 1;
        // A progress bar for this run on a terminal (long scenarios take a while per run).
        let progress = super::progress::for_run(&format!("shrink run {runs}"), sc.duration);
        let opts = models::harness::run::RunOptions {
            progress: progress.as_ref().map(|p| p.0.clone()),
            ..Default::default()
        };
        let out = models::harness::run::run_with(&sc, seed, &opts).ok()?;
        drop(progress);
        let failed = out
            .summary
            .slos
            .iter()
            .any(|r| r.name == a.slo && !r.passed);
        failed.then_some((sc, t))
    };
    let Some((start, _)) = verdict(&doc, &mut runs) else {
        return fail(format!(
            "SLO `{}` does not fail on seed {seed}{}: there is nothing to shrink (find a failing seed with `tenantsim check`)",
            a.slo,
            a.variant.as_deref().map(|v| format!(" with variant {v}")).unwrap_or_default()
        ));
    };
    let (size0, tenants0, dur0) = (size(&start), tenants(&start), start.duration);
    eprintln!(
        "shrink: start: {tenants0} × {dur0} = {size0:.0} tenant·minutes; SLO `{}` fails on seed {seed}; budget {budget} runs",
        a.slo
    );
    let mut current = start;
    'passes: loop {
        for (what, cand) in candidates(&doc, &a.slo) {
            if runs >= budget {
                eprintln!("shrink: budget of {budget} runs spent");
                break 'passes;
            }
            tried += 1;
            let before = runs;
            match verdict(&cand, &mut runs) {
                Some((sc, _)) => {
                    eprintln!(
                        "shrink: [{runs}/{budget}] {what}: still fails — {} × {} = {:.0} tenant·minutes",
                        tenants(&sc),
                        sc.duration,
                        size(&sc)
                    );
                    doc = cand;
                    current = sc;
                    continue 'passes;
                }
                None => {
                    let why = if runs == before { "invalid" } else { "passes" };
                    eprintln!("shrink: [{runs}/{budget}] {what}: {why}, kept the previous");
                }
            }
        }
        break;
    }
    let size1 = size(&current);
    let cmd = {
        let mut c = format!(
            "tenantsim shrink {} --seed {seed} --slo {}",
            shell_quote(&file),
            shell_quote(&a.slo)
        );
        if let Some(v) = &a.variant {
            c.push_str(&format!(" --variant {}", shell_quote(v)));
        }
        for s in &a.set {
            c.push_str(&format!(" --set {}", shell_quote(s)));
        }
        if a.explore {
            c.push_str(" --explore");
        }
        c
    };
    let out_name = a.out.display().to_string();
    let header = format!(
        "# Shrunk by `{cmd} --out {out}`\n\
         # from {file} ({tenants0} × {dur0} = {size0:.0} tenant·minutes)\n\
         # to {} × {} = {size1:.0} tenant·minutes ({:.1}× smaller), {runs} runs.\n\
         # SLO `{slo}` still fails on seed {seed}: tenantsim run {out} --seed {seed}\n\
         # The variant and --set flags are folded in; other SLOs, variants and whatever did not\n\
         # matter for this failure were removed. Comments of the original file may be stale.\n{literal_note}\n",
        tenants(&current),
        current.duration,
        if size1 > 0.0 {
            size0 / size1
        } else {
            f64::INFINITY
        },
        slo = a.slo,
        out = shell_quote(&out_name),
    );
    let body = doc.to_string();
    if let Err(e) = super::write::write_file(&a.out, &(header + &body)) {
        eprintln!("tenantsim: error: cannot write {}: {e}", a.out.display());
        return exit::INVALID_INPUT;
    }
    println!(
        "shrink: {tenants0} × {dur0} → {} × {} ({:.1}× smaller by tenants × duration) in {runs} runs ({tried} reductions tried); wrote {}\n  repro: tenantsim run {} --seed {seed}",
        tenants(&current),
        current.duration,
        if size1 > 0.0 { size0 / size1 } else { f64::INFINITY },
        out_name,
        shell_quote(&out_name)
    );
    exit::OK
}
