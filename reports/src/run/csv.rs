//! CSV renderers: `timeseries.csv` (one row per window × group, then per window × cell) and
//! `tenants.csv` (one row per tenant).
//!
//! **Guarantees.** Output is a pure function of the input: the same summary and series give
//! the same bytes (rows in a fixed order, floats printed with a fixed number of decimals,
//! `\n` line ends, RFC 4180 quoting of names). Values are in SI units or counts, and a
//! column's unit is in its name (`_s`, `_ms`; fractions are 0..1, never percentages). A
//! missing value (a latency with no successful request, a column that does not apply to the
//! row's kind) is an empty cell, never `0`. The headers are [`TIMESERIES_HEADER`] and
//! [`TENANTS_HEADER`]; `reports/README.md` documents every column.

use crate::series::Series;
use crate::summary::RunSummary;

/// Columns of `timeseries.csv`, in order.
///
/// Rows of `group_kind` `tier`, `cohort` or `tenant` fill the columns from `offered` to
/// `p999_ms`; rows of kind `cell` (with `group` = the cell index) fill `queue_depth` to
/// `breaker_open`. The other columns of a row are empty.
pub const TIMESERIES_HEADER: [&str; 22] = [
    "window",
    "start_s",
    "end_s",
    "group_kind",
    "group",
    "offered",
    "ok",
    "rejected_429",
    "shed_503",
    "errors_5xx",
    "timeouts",
    "attempts",
    "amplification",
    "p50_ms",
    "p99_ms",
    "p999_ms",
    "queue_depth",
    "workers_busy",
    "workers",
    "db_utilisation",
    "db_waiting",
    "breaker_open",
];

/// Columns of `tenants.csv`, in order.
pub const TENANTS_HEADER: [&str; 19] = [
    "id",
    "tier",
    "cohort",
    "cell",
    "offered",
    "ok",
    "rejected_429",
    "shed_503",
    "errors_5xx",
    "timeouts",
    "in_flight",
    "attempts",
    "availability",
    "p50_ms",
    "p99_ms",
    "slo_breaches",
    "cpu_ms",
    "db_ms",
    "bytes",
];

/// Start and end (s) of recording window `w`: `[w·window_s, (w+1)·window_s)`, the end
/// clipped to the run's simulated duration when the last window is partial.
pub fn window_bounds(summary: &RunSummary, series: &Series, w: usize) -> (f64, f64) {
    let start = w as f64 * series.window_s;
    let mut end = start + series.window_s;
    if summary.sim_seconds > start && summary.sim_seconds < end {
        end = summary.sim_seconds;
    }
    (start, end)
}

/// Fixed-precision float: `digits` decimals, no exponent, `-0` printed as `0`.
fn num(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(|x| num(x, 3)).unwrap_or_default()
}

/// Writes records to a string. Writing to memory cannot fail; a failure would be a bug in
/// the csv crate, so it panics.
pub(crate) struct Out {
    w: ::csv::Writer<Vec<u8>>,
}

impl Out {
    pub(crate) fn new(header: &[&str]) -> Out {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        w.write_record(header).expect("CSV to memory");
        Out { w }
    }
    pub(crate) fn row(&mut self, fields: &[String]) {
        self.w.write_record(fields).expect("CSV to memory");
    }
    pub(crate) fn finish(self) -> String {
        let bytes = self.w.into_inner().expect("CSV to memory");
        String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
    }
}

/// `timeseries.csv`: per window, one row per shown group ([`Series::shown_groups`]: a tier
/// with no tenants has no rows), in `series.groups` order, then one row per cell (in `series.cells` order). See [`TIMESERIES_HEADER`].
pub fn timeseries_csv(summary: &RunSummary, series: &Series) -> String {
    let mut out = Out::new(&TIMESERIES_HEADER);
    let empty = String::new;
    for w in 0..series.windows {
        let (start, end) = window_bounds(summary, series, w);
        let lead = |kind: &str, name: String| -> Vec<String> {
            vec![
                w.to_string(),
                num(start, 3),
                num(end, 3),
                kind.to_string(),
                name,
            ]
        };
        for g in series.shown_groups(summary) {
            let Some(p) = g.points.get(w) else { continue };
            let mut f = lead(&g.kind, g.name.clone());
            f.extend([
                p.offered.to_string(),
                p.ok.to_string(),
                p.rejected_429.to_string(),
                p.shed_503.to_string(),
                p.errors_5xx.to_string(),
                p.timeouts.to_string(),
                p.attempts.to_string(),
                if p.offered == 0 {
                    empty()
                } else {
                    num(p.attempts as f64 / p.offered as f64, 4)
                },
                opt_ms(p.p50_ms),
                opt_ms(p.p99_ms),
                opt_ms(p.p999_ms),
            ]);
            f.extend((0..6).map(|_| empty()));
            out.row(&f);
        }
        for c in &series.cells {
            let Some(p) = c.points.get(w) else { continue };
            let mut f = lead("cell", c.cell.to_string());
            f.extend((0..11).map(|_| empty()));
            f.extend([
                p.queue_depth.to_string(),
                p.workers_busy.to_string(),
                p.workers.to_string(),
                num(p.db_utilisation, 4),
                p.db_waiting.to_string(),
                u8::from(p.breaker_open).to_string(),
            ]);
            out.row(&f);
        }
    }
    out.finish()
}

/// `tenants.csv`: one row per tenant of `summary.tenants`, in declaration order. See
/// [`TENANTS_HEADER`].
pub fn tenants_csv(summary: &RunSummary) -> String {
    let mut out = Out::new(&TENANTS_HEADER);
    for t in &summary.tenants {
        let o = &t.outcomes;
        out.row(&[
            t.id.clone(),
            t.tier.clone(),
            t.cohort.clone().unwrap_or_default(),
            t.cell.to_string(),
            o.offered.to_string(),
            o.ok.to_string(),
            o.rejected_429.to_string(),
            o.shed_503.to_string(),
            o.errors_5xx.to_string(),
            o.timeouts.to_string(),
            o.in_flight.to_string(),
            o.attempts.to_string(),
            num(o.availability(), 6),
            num(t.p50_ms, 3),
            num(t.p99_ms, 3),
            t.slo_breaches.join(";"),
            num(t.cpu_ms, 3),
            num(t.db_ms, 3),
            t.bytes.to_string(),
        ]);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use std::collections::BTreeMap;

    fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        (header, rows)
    }

    fn col(header: &[String], name: &str) -> usize {
        header.iter().position(|h| h == name).unwrap()
    }

    /// Goal: tenants.csv round-trips through a CSV reader and its counts add up.
    /// Method: parse it back; per-tenant `offered` must sum to the run total, one row per
    /// tenant, the header as documented.
    #[test]
    fn tenants_csv_parses_and_sums_to_the_total() {
        let (s, _) = testdata::run(&testdata::Shape::small());
        let text = tenants_csv(&s);
        let (header, rows) = parse(&text);
        assert_eq!(header, TENANTS_HEADER.map(str::to_string).to_vec());
        assert_eq!(rows.len(), s.tenants.len());
        let offered = col(&header, "offered");
        let sum: u64 = rows
            .iter()
            .map(|r| r[offered].parse::<u64>().unwrap())
            .sum();
        assert_eq!(sum, s.total.outcomes.offered);
        assert!(sum > 0);
        // Breaches are `;`-joined; a tenant without a cohort has an empty cell.
        let breaches = col(&header, "slo_breaches");
        assert!(rows.iter().any(|r| r[breaches].contains(';')));
        let cohort = col(&header, "cohort");
        assert!(rows.iter().any(|r| r[cohort].is_empty()));
        assert!(rows.iter().any(|r| r[cohort] == "noisy"));
    }

    /// Goal: a tier with no tenants has no rows in timeseries.csv (D7). Method: add an
    /// all-zero `platinum` tier series that the summary does not list (as the recorder
    /// does); no row names it and the row count is that without it.
    #[test]
    fn tier_without_tenants_has_no_rows() {
        let (s, mut series) = crate::testdata::run(&crate::testdata::Shape::small());
        let before = timeseries_csv(&s, &series);
        series.groups.push(crate::series::GroupSeries {
            kind: "tier".into(),
            name: "platinum".into(),
            points: vec![Default::default(); series.windows],
        });
        let after = timeseries_csv(&s, &series);
        assert!(!after.contains(",tier,platinum,"));
        assert_eq!(before, after);
    }

    /// Goal: timeseries.csv round-trips and its tier rows add up to the tier totals.
    /// Method: parse it back; sum `offered` (and `ok`) of `tier` rows over windows per tier
    /// and compare with `summary.tiers`; check row order and the empty cells of each kind.
    #[test]
    fn timeseries_csv_tier_rows_sum_to_tier_totals() {
        let (s, series) = testdata::run(&testdata::Shape::small());
        let text = timeseries_csv(&s, &series);
        let (header, rows) = parse(&text);
        assert_eq!(header, TIMESERIES_HEADER.map(str::to_string).to_vec());
        let per_window = series.groups.len() + series.cells.len();
        assert_eq!(rows.len(), series.windows * per_window);
        let (kind, group) = (col(&header, "group_kind"), col(&header, "group"));
        let (offered, ok) = (col(&header, "offered"), col(&header, "ok"));
        let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for r in rows.iter().filter(|r| r[kind] == "tier") {
            let e = sums.entry(r[group].clone()).or_default();
            e.0 += r[offered].parse::<u64>().unwrap();
            e.1 += r[ok].parse::<u64>().unwrap();
        }
        assert_eq!(sums.len(), s.tiers.len());
        for t in &s.tiers {
            assert_eq!(
                sums[&t.name],
                (t.outcomes.offered, t.outcomes.ok),
                "{}",
                t.name
            );
        }
        // Order: window-major, groups in order, then cells.
        let window = col(&header, "window");
        assert_eq!(rows[0][window], "0");
        assert_eq!(rows[0][group], series.groups[0].name);
        assert_eq!(rows[per_window - 1][kind], "cell");
        assert_eq!(rows[per_window][window], "1");
        // Cell rows leave group columns empty and vice versa.
        let (q, util, br) = (
            col(&header, "queue_depth"),
            col(&header, "db_utilisation"),
            col(&header, "breaker_open"),
        );
        for r in &rows {
            if r[kind] == "cell" {
                assert!(r[offered].is_empty());
                assert!(!r[q].is_empty());
                let u: f64 = r[util].parse().unwrap();
                assert!((0.0..=1.0).contains(&u));
                assert!(r[br] == "0" || r[br] == "1");
            } else {
                assert!(!r[offered].is_empty());
                assert!(r[q].is_empty());
            }
        }
        // A window without successful requests has empty latency cells.
        let p99 = col(&header, "p99_ms");
        assert!(rows
            .iter()
            .any(|r| r[kind] == "tenant" && r[p99].is_empty()));
    }

    /// Goal: CSV output is deterministic and quotes names that need it.
    #[test]
    fn deterministic_and_quoted() {
        let (mut s, series) = testdata::run(&testdata::Shape::small());
        s.tenants[0].id = "a,b \"c\"".into();
        assert_eq!(timeseries_csv(&s, &series), timeseries_csv(&s, &series));
        let text = tenants_csv(&s);
        assert_eq!(text, tenants_csv(&s));
        let (_, rows) = parse(&text);
        assert_eq!(rows[0][0], "a,b \"c\"");
        assert!(text.ends_with('\n') && !text.contains('\r'));
    }

    #[test]
    fn numbers_are_fixed_point() {
        assert_eq!(num(1.0 / 3.0, 3), "0.333");
        assert_eq!(num(-0.0001, 3), "0.000");
        assert_eq!(num(1e21, 1), "1000000000000000000000.0");
        assert_eq!(num(f64::NAN, 3), "");
    }

    #[test]
    fn last_partial_window_is_clipped() {
        let s = RunSummary {
            sim_seconds: 12.0,
            ..Default::default()
        };
        let series = Series {
            window_s: 5.0,
            windows: 3,
            ..Default::default()
        };
        assert_eq!(window_bounds(&s, &series, 1), (5.0, 10.0));
        assert_eq!(window_bounds(&s, &series, 2), (10.0, 12.0));
    }
}
