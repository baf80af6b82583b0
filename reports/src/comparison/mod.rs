//! Comparisons of variants over seeds (`tenantsim compare`): the data, the statistics, and
//! the terminal table, CSV and JSON.
//!
//! A comparison is a grid of variants × seeds. Each cell of the grid is one run, reduced to
//! a [`RunMetrics`] row by the binary. [`Comparison::build`] turns the rows into per-variant
//! statistics and *paired* comparisons against a baseline variant: for each seed, the
//! difference `variant − baseline` of a metric; because every variant of a seed sees the same
//! tenants, arrivals and faults (common random numbers), the noise of the workload cancels
//! in the difference and few seeds resolve small effects.
//!
//! **Interval.** The 95% confidence interval of the mean difference is the paired
//! Student t interval: `mean ± t(0.975, n−1) · sd / √n` over the `n` seeds. It assumes the
//! differences are roughly normal; [`Comparison::warnings`] says so when `n < 10`. An interval
//! that covers 0 is reported as "no significant difference". The win rate is the fraction of
//! seeds on which the variant is strictly better (every metric here is lower-is-better).
//!
//! **Guarantee.** [`Comparison::build`] is a pure function of the spec and the set of rows
//! (it sorts them), so a sweep run on one machine, on many threads, or in shards merged later
//! gives byte-identical `compare.json`, `compare.csv` and `runs.csv`.

pub mod charts;
pub mod html;

use crate::run::csv::Out;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Version of the `compare.json` / partial-result layout.
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// One `--vary KEY=V1,V2,...` flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vary {
    /// The scenario key (`control_plane.placement`).
    pub key: String,
    /// Its values, in flag order.
    pub values: Vec<String>,
}

/// One variant: a combination of varied values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantSpec {
    /// Short label: the values, joined by ` · ` when several keys vary.
    pub label: String,
    /// The `KEY=VALUE` overrides that make this variant (applied after the common `--set`s).
    pub sets: Vec<String>,
}

/// What was compared: everything that determines the results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareSpec {
    /// Layout version ([`COMPARE_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub file: String,
    /// Digest of the scenario file's bytes (16 hex digits).
    pub scenario_hash: String,
    /// tenantsim version that ran it.
    pub tenantsim: String,
    /// Scenario variant every run starts from (`None`: the base scenario).
    pub scenario_variant: Option<String>,
    /// `--set` overrides common to every run.
    pub sets: Vec<String>,
    /// The varied keys.
    pub vary: Vec<Vary>,
    /// Every combination, first key slowest.
    pub variants: Vec<VariantSpec>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Index of the baseline variant.
    pub baseline: usize,
}

impl CompareSpec {
    /// Number of runs in the grid.
    pub fn grid_len(&self) -> usize {
        self.variants.len() * self.seeds.len()
    }

    /// The (variant, seed) of grid position `i` (variant-major).
    pub fn grid_item(&self, i: usize) -> (usize, u64) {
        let n = self.seeds.len().max(1);
        (i / n, self.seeds[i % n])
    }

    /// Grid positions of shard `k` of `n` (1-based `k`): every `n`-th position starting at
    /// `k − 1`, so each shard gets a fair mix of variants and seeds.
    pub fn shard(&self, k: usize, n: usize) -> Vec<usize> {
        (0..self.grid_len())
            .filter(|i| n > 0 && i % n == k.saturating_sub(1))
            .collect()
    }
}

/// One run of the grid, reduced to the numbers a comparison needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Variant index.
    pub variant: usize,
    /// Seed.
    pub seed: u64,
    /// Every SLO passed.
    pub passed: bool,
    /// SLOs that failed.
    pub slos_failed: u32,
    /// Bystanders (tenants not targeted by a fault) that breached at least one SLO.
    pub blast_radius: u32,
    /// Highest p99 latency among bystanders with at least 50 successful requests (ms).
    pub worst_bystander_p99_ms: f64,
    /// Bystanders' failed requests (5xx, 503, timeouts) as a percentage of their finished ones.
    pub bystander_error_pct: f64,
    /// Busiest minus idlest cell by mean worker utilisation, over cells hosting tenants
    /// (percentage points).
    pub util_spread_pp: f64,
    /// Attempts per logical request, whole platform.
    pub amplification: f64,
    /// Cells hosting at least one tenant at the end (the cost).
    pub cells_used: u32,
    /// Digest of every tenant's offered request count: equal across variants of a seed when
    /// the workload is common (open-loop arrivals).
    pub workload_digest: String,
    /// The run's trace digest.
    pub digest: String,
    /// The run's showback total (`[cost]` prices × usage); `None` without `[cost]`. When
    /// every run has one, the Pareto chart puts it on its x-axis instead of cells used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

/// The metrics compared, all lower-is-better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// [`RunMetrics::blast_radius`].
    BlastRadius,
    /// [`RunMetrics::worst_bystander_p99_ms`].
    WorstBystanderP99,
    /// [`RunMetrics::bystander_error_pct`].
    BystanderErrors,
    /// [`RunMetrics::util_spread_pp`].
    UtilSpread,
    /// [`RunMetrics::amplification`].
    Amplification,
    /// [`RunMetrics::cells_used`].
    CellsUsed,
}

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 6] = [
        Metric::BlastRadius,
        Metric::WorstBystanderP99,
        Metric::BystanderErrors,
        Metric::UtilSpread,
        Metric::Amplification,
        Metric::CellsUsed,
    ];

    /// Whether the metric counts things (tenants, cells): its axis has whole numbers.
    pub fn is_count(self) -> bool {
        matches!(self, Metric::BlastRadius | Metric::CellsUsed)
    }

    /// Stable name (JSON keys, CSV columns).
    pub fn name(self) -> &'static str {
        match self {
            Metric::BlastRadius => "blast_radius",
            Metric::WorstBystanderP99 => "worst_bystander_p99_ms",
            Metric::BystanderErrors => "bystander_error_pct",
            Metric::UtilSpread => "util_spread_pp",
            Metric::Amplification => "amplification",
            Metric::CellsUsed => "cells_used",
        }
    }

    /// Short column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Metric::BlastRadius => "blast radius",
            Metric::WorstBystanderP99 => "worst bystander p99 ms",
            Metric::BystanderErrors => "bystander err %",
            Metric::UtilSpread => "util spread pp",
            Metric::Amplification => "amplification",
            Metric::CellsUsed => "cells",
        }
    }

    /// The metric's value in a run.
    pub fn of(self, r: &RunMetrics) -> f64 {
        match self {
            Metric::BlastRadius => f64::from(r.blast_radius),
            Metric::WorstBystanderP99 => r.worst_bystander_p99_ms,
            Metric::BystanderErrors => r.bystander_error_pct,
            Metric::UtilSpread => r.util_spread_pp,
            Metric::Amplification => r.amplification,
            Metric::CellsUsed => f64::from(r.cells_used),
        }
    }

    /// Decimals shown.
    pub fn decimals(self) -> usize {
        match self {
            Metric::BlastRadius | Metric::CellsUsed => 1,
            Metric::WorstBystanderP99 => 1,
            Metric::BystanderErrors => 3,
            Metric::UtilSpread => 1,
            Metric::Amplification => 3,
        }
    }
}

/// A metric over the seeds of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Metric name ([`Metric::name`]).
    pub metric: String,
    /// Mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// One variant over all seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantStats {
    /// Label.
    pub label: String,
    /// Overrides that make it.
    pub sets: Vec<String>,
    /// Seeds run.
    pub runs: usize,
    /// Fraction of seeds on which every SLO passed.
    pub pass_rate: f64,
    /// Per metric, in [`Metric::ALL`] order.
    pub metrics: Vec<Spread>,
}

/// A paired comparison of one metric: variant − baseline over the same seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Variant label.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// Seeds paired.
    pub n: usize,
    /// Mean of the differences (negative: the variant is lower, i.e. better).
    pub mean_diff: f64,
    /// Sample standard deviation of the differences.
    pub sd: f64,
    /// 95% interval (paired t), `None` with fewer than 2 seeds.
    pub ci95: Option<(f64, f64)>,
    /// Seeds on which the variant was strictly better (lower).
    pub wins: usize,
    /// Seeds with no difference.
    pub ties: usize,
    /// Seeds on which it was worse.
    pub losses: usize,
    /// `better`, `worse`, `no significant difference`, `identical` or `too few seeds`.
    pub verdict: String,
}

/// A finished comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What was compared.
    pub spec: CompareSpec,
    /// How the intervals were computed.
    pub method: String,
    /// Per variant, in spec order.
    pub variants: Vec<VariantStats>,
    /// Every non-baseline variant × metric.
    pub paired: Vec<Paired>,
    /// Caveats a reader must see.
    pub warnings: Vec<String>,
    /// Every run, by (variant, seed order).
    pub runs: Vec<RunMetrics>,
}

/// A shard's result (`--shard K/N`), merged by `tenantsim merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// What the whole sweep is.
    pub spec: CompareSpec,
    /// This shard, 1-based.
    pub shard: usize,
    /// Of this many.
    pub shards: usize,
    /// Its runs.
    pub runs: Vec<RunMetrics>,
}

/// Why partial results cannot be merged or a comparison built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompareError {
    /// Partials of different sweeps.
    #[error("{0}")]
    Mismatch(String),
    /// Runs missing from the grid.
    #[error("{0}")]
    Incomplete(String),
}

/// Two-sided 95% Student t quantile `t(0.975, df)`: exact table to 30 degrees of freedom,
/// then interpolation in `1/df` between 30, 40, 60, 120 and ∞ (error < 0.002).
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    const TAIL: [(f64, f64); 4] = [(30.0, 2.042), (40.0, 2.021), (60.0, 2.000), (120.0, 1.980)];
    if df == 0 {
        return f64::INFINITY;
    }
    if df <= 30 {
        return T[df - 1];
    }
    let x = 1.0 / df as f64;
    for w in TAIL.windows(2) {
        let (d0, t0) = w[0];
        let (d1, t1) = w[1];
        if (df as f64) <= d1 {
            let (x0, x1) = (1.0 / d0, 1.0 / d1);
            return t1 + (t0 - t1) * (x - x1) / (x0 - x1);
        }
    }
    // Between 120 and ∞ (x = 0, t = 1.960).
    1.960 + (1.980 - 1.960) * x / (1.0 / 120.0)
}

/// Nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn spread(metric: Metric, values: &[f64]) -> Spread {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len().max(1) as f64;
    Spread {
        metric: metric.name().to_string(),
        mean: v.iter().sum::<f64>() / n,
        p50: nearest_rank(&v, 0.5),
        p95: nearest_rank(&v, 0.95),
        min: v.first().copied().unwrap_or(0.0),
        max: v.last().copied().unwrap_or(0.0),
    }
}

/// Paired statistics of `diffs` (variant − baseline).
pub fn paired(variant: &str, metric: &str, diffs: &[f64]) -> Paired {
    let n = diffs.len();
    let mean = if n > 0 {
        diffs.iter().sum::<f64>() / n as f64
    } else {
        0.0
    };
    let sd = if n > 1 {
        let ss: f64 = diffs.iter().map(|d| (d - mean) * (d - mean)).sum();
        libm::sqrt(ss / (n - 1) as f64)
    } else {
        0.0
    };
    let ci95 = (n > 1).then(|| {
        let h = t975(n - 1) * sd / libm::sqrt(n as f64);
        (mean - h, mean + h)
    });
    let wins = diffs.iter().filter(|&&d| d < 0.0).count();
    let losses = diffs.iter().filter(|&&d| d > 0.0).count();
    let verdict = if n == 0 {
        "too few seeds"
    } else if diffs.iter().all(|&d| d == 0.0) {
        "identical"
    } else {
        match ci95 {
            None => "too few seeds",
            Some((lo, _)) if lo > 0.0 => "worse",
            Some((_, hi)) if hi < 0.0 => "better",
            Some(_) => "no significant difference",
        }
    };
    Paired {
        variant: variant.to_string(),
        metric: metric.to_string(),
        n,
        mean_diff: mean,
        sd,
        ci95,
        wins,
        ties: n - wins - losses,
        losses,
        verdict: verdict.to_string(),
    }
}

impl Comparison {
    /// Builds the comparison from every run of the grid (any order, each exactly once).
    pub fn build(spec: CompareSpec, runs: Vec<RunMetrics>) -> Result<Comparison, CompareError> {
        let seed_pos = |s: u64| spec.seeds.iter().position(|&x| x == s);
        let mut slots: Vec<Option<RunMetrics>> = vec![None; spec.grid_len()];
        for r in runs {
            let Some(si) = seed_pos(r.seed) else {
                return Err(CompareError::Mismatch(format!(
                    "a run has seed {}, which is not in the sweep",
                    r.seed
                )));
            };
            if r.variant >= spec.variants.len() {
                return Err(CompareError::Mismatch(format!(
                    "a run has variant #{}, but the sweep has {}",
                    r.variant,
                    spec.variants.len()
                )));
            }
            let i = r.variant * spec.seeds.len() + si;
            if slots[i].is_some() {
                return Err(CompareError::Mismatch(format!(
                    "variant `{}` seed {} appears twice (the same shard given twice?)",
                    spec.variants[r.variant].label, r.seed
                )));
            }
            slots[i] = Some(r);
        }
        let missing: Vec<String> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_none())
            .map(|(i, _)| {
                let (v, seed) = spec.grid_item(i);
                format!("{} seed {seed}", spec.variants[v].label)
            })
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
            return Err(CompareError::Incomplete(format!(
                "{} of {} runs are missing ({}{}); merge every shard's partial result",
                missing.len(),
                spec.grid_len(),
                shown.join(", "),
                if missing.len() > 5 { ", …" } else { "" }
            )));
        }
        let runs: Vec<RunMetrics> = slots.into_iter().flatten().collect();
        let ns = spec.seeds.len();
        let of_variant = |v: usize| &runs[v * ns..(v + 1) * ns];
        let variants: Vec<VariantStats> = spec
            .variants
            .iter()
            .enumerate()
            .map(|(v, vs)| {
                let rs = of_variant(v);
                VariantStats {
                    label: vs.label.clone(),
                    sets: vs.sets.clone(),
                    runs: rs.len(),
                    pass_rate: rs.iter().filter(|r| r.passed).count() as f64
                        / rs.len().max(1) as f64,
                    metrics: Metric::ALL
                        .iter()
                        .map(|m| {
                            let vals: Vec<f64> = rs.iter().map(|r| m.of(r)).collect();
                            spread(*m, &vals)
                        })
                        .collect(),
                }
            })
            .collect();
        let base = of_variant(spec.baseline);
        let mut paired_rows = Vec::new();
        for (v, vs) in spec.variants.iter().enumerate() {
            if v == spec.baseline {
                continue;
            }
            let rs = of_variant(v);
            for m in Metric::ALL {
                let diffs: Vec<f64> = rs
                    .iter()
                    .zip(base)
                    .map(|(a, b)| m.of(a) - m.of(b))
                    .collect();
                paired_rows.push(paired(&vs.label, m.name(), &diffs));
            }
        }
        let mut warnings = Vec::new();
        if ns < 2 {
            warnings.push(format!(
                "only {ns} seed: no confidence interval can be computed; use --seeds 1..=10 or more"
            ));
        } else if ns < 10 {
            warnings.push(format!(
                "only {ns} seeds: the t intervals assume roughly normal differences and are wide or unreliable with so few; use ≥ 10 seeds (30 for heavy-tailed metrics such as worst p99)"
            ));
        }
        if spec.variants.len() < 2 {
            warnings.push(
                "only one variant: nothing to compare; give --vary at least two values".to_string(),
            );
        }
        let mut differing = Vec::new();
        for (si, &seed) in spec.seeds.iter().enumerate() {
            let first = &runs[si].workload_digest;
            if (1..spec.variants.len()).any(|v| &runs[v * ns + si].workload_digest != first) {
                differing.push(seed);
            }
        }
        if !differing.is_empty() {
            warnings.push(format!(
                "the offered load differs between variants on {} of {ns} seeds (e.g. seed {}): the varied key changes the workload (closed-loop users, provisioning, or the key itself), so differences include workload noise, not only the decision",
                differing.len(),
                differing[0]
            ));
        }
        Ok(Comparison {
            spec,
            method: "paired Student t, 95% two-sided, over seeds (common random numbers)"
                .to_string(),
            variants,
            paired: paired_rows,
            warnings,
            runs,
        })
    }

    /// The variant's spread of `metric`.
    pub fn spread(&self, variant: usize, metric: Metric) -> &Spread {
        &self.variants[variant].metrics[Metric::ALL.iter().position(|&m| m == metric).unwrap_or(0)]
    }

    /// The paired row of `variant` and `metric`, if the variant is not the baseline.
    pub fn paired_of(&self, variant: usize, metric: Metric) -> Option<&Paired> {
        let label = &self.spec.variants.get(variant)?.label;
        self.paired
            .iter()
            .find(|p| &p.variant == label && p.metric == metric.name())
    }

    /// Mean showback cost of `variant` over its runs, when every run of the comparison
    /// has one (the scenario has `[cost]`); `None` otherwise.
    pub fn mean_cost(&self, variant: usize) -> Option<f64> {
        if self.runs.is_empty() || self.runs.iter().any(|r| r.cost.is_none()) {
            return None;
        }
        let costs: Vec<f64> = self
            .runs
            .iter()
            .filter(|r| r.variant == variant)
            .filter_map(|r| r.cost)
            .collect();
        (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64)
    }

    /// `compare.json`.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        s.push('\n');
        s
    }

    /// `compare.csv`: one row per variant, its spreads and its paired differences.
    pub fn to_csv(&self) -> String {
        let mut header: Vec<String> = ["variant", "sets", "runs", "pass_rate"]
            .iter()
            .map(|h| h.to_string())
            .collect();
        for m in Metric::ALL {
            for col in [
                "mean", "p50", "p95", "min", "max", "diff", "ci_lo", "ci_hi", "win_rate", "verdict",
            ] {
                header.push(format!("{}_{col}", m.name()));
            }
        }
        let mut out = Out::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
        for (v, vs) in self.variants.iter().enumerate() {
            let mut row = vec![
                vs.label.clone(),
                vs.sets.join(" "),
                vs.runs.to_string(),
                vs.pass_rate.to_string(),
            ];
            for m in Metric::ALL {
                let sp = self.spread(v, m);
                row.extend([sp.mean, sp.p50, sp.p95, sp.min, sp.max].map(|x| x.to_string()));
                match self.paired_of(v, m) {
                    Some(p) => {
                        let (lo, hi) = p
                            .ci95
                            .map(|(a, b)| (a.to_string(), b.to_string()))
                            .unwrap_or_default();
                        row.extend([
                            p.mean_diff.to_string(),
                            lo,
                            hi,
                            (p.wins as f64 / p.n.max(1) as f64).to_string(),
                            p.verdict.clone(),
                        ]);
                    }
                    None => row.extend(["", "", "", "", "baseline"].map(String::from)),
                }
            }
            out.row(&row);
        }
        out.finish()
    }

    /// `runs.csv`: every run's metrics.
    pub fn runs_csv(&self) -> String {
        let mut header = vec!["variant", "seed", "passed", "slos_failed"];
        header.extend(Metric::ALL.iter().map(|m| m.name()));
        header.extend(["workload_digest", "digest"]);
        let mut out = Out::new(&header);
        for r in &self.runs {
            let mut row = vec![
                self.spec.variants[r.variant].label.clone(),
                r.seed.to_string(),
                r.passed.to_string(),
                r.slos_failed.to_string(),
            ];
            row.extend(Metric::ALL.iter().map(|m| m.of(r).to_string()));
            row.extend([r.workload_digest.clone(), r.digest.clone()]);
            out.row(&row);
        }
        out.finish()
    }

    /// The terminal table: per variant, then the paired differences against the baseline.
    pub fn render_table(&self) -> String {
        let spec = &self.spec;
        let base = &spec.variants[spec.baseline].label;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "compare: {} ({}) · {} variants × {} seeds = {} runs · baseline `{base}`",
            spec.scenario,
            spec.file,
            spec.variants.len(),
            spec.seeds.len(),
            spec.grid_len()
        );
        let vary: Vec<String> = spec.vary.iter().map(|v| v.key.clone()).collect();
        let _ = writeln!(out, "  varied: {}", vary.join(", "));
        let lw = self
            .variants
            .iter()
            .map(|v| v.label.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<lw$}  {:>7}  {:>14}  {:>17}  {:>10}  {:>9}  {:>7}  {:>6}",
            "variant",
            "SLO ok",
            "blast (p95)",
            "worst p99 ms (p95)",
            "bystd err%",
            "util pp",
            "ampl",
            "cells"
        );
        for (v, vs) in self.variants.iter().enumerate() {
            let b = self.spread(v, Metric::BlastRadius);
            let p = self.spread(v, Metric::WorstBystanderP99);
            let mark = if v == spec.baseline { "*" } else { " " };
            let _ = writeln!(
                out,
                " {mark}{:<lw$}  {:>6.0}%  {:>7.1} ({:>4.0})  {:>9.1} ({:>6.0})  {:>10.3}  {:>9.1}  {:>7.3}  {:>6.1}",
                vs.label,
                vs.pass_rate * 100.0,
                b.mean,
                b.p95,
                p.mean,
                p.p95,
                self.spread(v, Metric::BystanderErrors).mean,
                self.spread(v, Metric::UtilSpread).mean,
                self.spread(v, Metric::Amplification).mean,
                self.spread(v, Metric::CellsUsed).mean,
            );
        }
        let _ = writeln!(out, "  (* baseline; means over seeds, p95 in brackets)");
        if self.variants.len() > 1 {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  paired vs `{base}` ({}; negative = better):",
                self.method
            );
            let _ = writeln!(
                out,
                "  {:<lw$}  {:<24}  {:>30}  {:>14}  verdict",
                "variant", "metric", "mean diff [95% CI]", "win/tie/loss"
            );
            for (v, vs) in self.variants.iter().enumerate() {
                if v == spec.baseline {
                    continue;
                }
                for m in [
                    Metric::BlastRadius,
                    Metric::WorstBystanderP99,
                    Metric::BystanderErrors,
                ] {
                    let Some(p) = self.paired_of(v, m) else {
                        continue;
                    };
                    let d = m.decimals();
                    let ci = match p.ci95 {
                        Some((lo, hi)) => {
                            format!("{:+.d$} [{:+.d$}, {:+.d$}]", p.mean_diff, lo, hi, d = d)
                        }
                        None => format!("{:+.d$}", p.mean_diff, d = d),
                    };
                    let _ = writeln!(
                        out,
                        "  {:<lw$}  {:<24}  {:>30}  {:>14}  {}",
                        vs.label,
                        m.heading(),
                        ci,
                        win_tie_loss(p),
                        p.verdict
                    );
                }
            }
        }
        for w in &self.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
        out
    }
}

/// `wins / ties / losses` over the paired seeds: unlike a win rate, identical variants read
/// as all ties (`0 / 10 / 0`), not as "0%", which looks like "always loses".
pub fn win_tie_loss(p: &Paired) -> String {
    format!("{} / {} / {}", p.wins, p.ties, p.losses)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn spec(variants: usize, seeds: usize) -> CompareSpec {
        CompareSpec {
            schema_version: COMPARE_SCHEMA_VERSION,
            scenario: "s".into(),
            file: "s.toml".into(),
            scenario_hash: "0123456789abcdef".into(),
            tenantsim: "0.1.0".into(),
            scenario_variant: None,
            sets: vec![],
            vary: vec![Vary {
                key: "control_plane.placement".into(),
                values: (0..variants).map(|v| format!("p{v}")).collect(),
            }],
            variants: (0..variants)
                .map(|v| VariantSpec {
                    label: format!("p{v}"),
                    sets: vec![format!("control_plane.placement=p{v}")],
                })
                .collect(),
            seeds: (1..=seeds as u64).collect(),
            baseline: 0,
        }
    }

    pub(crate) fn run(variant: usize, seed: u64, blast: u32, p99: f64) -> RunMetrics {
        RunMetrics {
            variant,
            seed,
            passed: blast == 0,
            slos_failed: u32::from(blast > 0),
            blast_radius: blast,
            worst_bystander_p99_ms: p99,
            bystander_error_pct: 0.0,
            util_spread_pp: 10.0,
            amplification: 1.0,
            cells_used: 4,
            workload_digest: format!("w{seed}"),
            digest: format!("d{variant}{seed}"),
            cost: None,
        }
    }

    #[test]
    fn t_quantiles_match_tables() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(9), 2.262);
        assert_eq!(t975(29), 2.045);
        assert!((t975(40) - 2.021).abs() < 1e-9);
        assert!((t975(50) - 2.009).abs() < 0.002, "{}", t975(50));
        assert!((t975(100) - 1.984).abs() < 0.002, "{}", t975(100));
        assert!((t975(1_000_000) - 1.960).abs() < 0.001);
        // Monotone decreasing.
        for df in 1..500 {
            assert!(t975(df + 1) <= t975(df), "df {df}");
        }
    }

    #[test]
    fn paired_interval_by_hand() {
        // diffs 1, 2, 3: mean 2, sd 1, t(2) = 4.303 → 2 ± 4.303/√3 = 2 ± 2.4843.
        let p = paired("v", "m", &[1.0, 2.0, 3.0]);
        let (lo, hi) = p.ci95.unwrap();
        assert!((p.mean_diff - 2.0).abs() < 1e-12 && (p.sd - 1.0).abs() < 1e-12);
        assert!((lo - (2.0 - 2.484_338)).abs() < 1e-5 && (hi - (2.0 + 2.484_338)).abs() < 1e-5);
        assert_eq!(p.verdict, "no significant difference");
        assert_eq!((p.wins, p.ties, p.losses), (0, 0, 3));
        let better = paired("v", "m", &[-1.0, -1.1, -0.9, -1.0, -1.05]);
        assert_eq!(better.verdict, "better");
        assert_eq!(better.wins, 5);
        assert_eq!(paired("v", "m", &[0.0, 0.0]).verdict, "identical");
        assert_eq!(paired("v", "m", &[1.0]).verdict, "too few seeds");
        assert_eq!(paired("v", "m", &[2.0, 2.1, 1.9]).verdict, "worse");
    }

    /// The interval covers the true mean difference at about the nominal rate (a fixed
    /// pseudo-random sequence, so the test is deterministic): 2,000 experiments of 8 normal
    /// differences with mean 1.
    #[test]
    fn coverage_is_about_95_percent() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut covered = 0;
        let trials = 2_000;
        for _ in 0..trials {
            let diffs: Vec<f64> = (0..8)
                .map(|_| {
                    let (u1, u2) = (uniform(), uniform());
                    1.0 + libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
                })
                .collect();
            let (lo, hi) = paired("v", "m", &diffs).ci95.unwrap();
            if lo <= 1.0 && 1.0 <= hi {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        // Binomial s.e. at 95% over 2,000 trials is 0.49%; allow 4 s.e.
        assert!((rate - 0.95).abs() < 0.02, "coverage {rate}");
    }

    #[test]
    fn build_is_order_independent_and_checks_the_grid() {
        let s = spec(2, 3);
        let mut runs = Vec::new();
        for v in 0..2 {
            for seed in 1..=3 {
                runs.push(run(v, seed, (v as u32) * 3 + seed as u32, 50.0 + v as f64));
            }
        }
        let a = Comparison::build(s.clone(), runs.clone()).unwrap();
        let mut rev = runs.clone();
        rev.reverse();
        let b = Comparison::build(s.clone(), rev).unwrap();
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(a.to_csv(), b.to_csv());
        // p1 − p0 blast = 3 on every seed: identical differences → sd 0, interval [3, 3].
        let p = a.paired_of(1, Metric::BlastRadius).unwrap();
        assert_eq!(p.mean_diff, 3.0);
        assert_eq!(p.verdict, "worse");
        assert!(a.warnings.iter().any(|w| w.contains("only 3 seeds")));
        let mut missing = runs.clone();
        missing.pop();
        assert!(matches!(
            Comparison::build(s.clone(), missing),
            Err(CompareError::Incomplete(_))
        ));
        let mut dup = runs.clone();
        dup.push(runs[0].clone());
        assert!(matches!(
            Comparison::build(s, dup),
            Err(CompareError::Mismatch(_))
        ));
    }

    /// Goal: identical variants read as ties in the terminal, not as "win rate 0%" (D11).
    /// Method: two variants with the same metrics on 10 seeds; the paired table shows
    /// `0 / 10 / 0` and no percentage in the paired rows.
    #[test]
    fn identical_variants_read_as_ties_in_the_terminal() {
        let runs: Vec<RunMetrics> = (0..2)
            .flat_map(|v| (1..=10).map(move |seed| run(v, seed, 0, 40.0)))
            .collect();
        let c = Comparison::build(spec(2, 10), runs).unwrap();
        let table = c.render_table();
        assert!(
            table.contains("win/tie/loss") && !table.contains("win rate"),
            "{table}"
        );
        let rows: Vec<&str> = table.lines().filter(|l| l.contains("identical")).collect();
        assert!(!rows.is_empty(), "{table}");
        for r in rows {
            assert!(r.contains("0 / 10 / 0") && !r.contains(" 0%"), "{r}");
        }
    }

    #[test]
    fn shards_partition_the_grid() {
        let s = spec(3, 7);
        let mut all: Vec<usize> = (1..=4).flat_map(|k| s.shard(k, 4)).collect();
        all.sort();
        assert_eq!(all, (0..21).collect::<Vec<_>>());
        assert_eq!(s.grid_item(8), (1, 2));
    }

    #[test]
    fn workload_difference_is_warned() {
        let s = spec(2, 2);
        let mut runs = vec![run(0, 1, 0, 1.0), run(0, 2, 0, 1.0), run(1, 1, 0, 1.0)];
        let mut r = run(1, 2, 0, 1.0);
        r.workload_digest = "other".into();
        runs.push(r);
        let c = Comparison::build(s, runs).unwrap();
        assert!(c
            .warnings
            .iter()
            .any(|w| w.contains("offered load differs") && w.contains("seed 2")));
    }
}
