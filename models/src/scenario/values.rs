//! Typed scalar values of scenario files, parsed while the file is deserialised.
//!
//! Each type here deserialises from the text people write (`"250ms"`, `"200/s"`, `"2%"`,
//! `"exp(5ms)"`, `"p(99) < 250ms"`) and fails with a message that says what was expected;
//! the TOML layer attaches the file position of the offending value, so every such error
//! reaches the user as `file:line:column`.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use sim::{Dist, Quantity, SimDuration};
use std::fmt;

/// A duration written as `250ms`, `10m`, `1h30m` (or the integer `0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub SimDuration);

/// A rate written as `200/s`, `30/m`, `1000/h` or a bare number (per second).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rate(pub f64);

/// A fraction written as `2%` or `0.02`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Fraction(pub f64);

/// A distribution whose values are durations (`exp(5ms)`).
#[derive(Clone, Debug, PartialEq)]
pub struct DurDist(pub Dist);
/// A distribution whose values are rates (`pareto(1.2, 2/s)`).
#[derive(Clone, Debug, PartialEq)]
pub struct RateDist(pub Dist);
/// A distribution whose values are counts (`const(1)`).
#[derive(Clone, Debug, PartialEq)]
pub struct CountDist(pub Dist);
/// A distribution whose values are byte sizes (`lognormal(8KiB, 1.0)`).
#[derive(Clone, Debug, PartialEq)]
pub struct BytesDist(pub Dist);

/// Accepts a string, or an integer/float (turned into its decimal text) so that `rate = 5`
/// and `rate = "5/s"` both work.
struct TextOrNumber(&'static str);

impl Visitor<'_> for TextOrNumber {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

fn text<'de, D: Deserializer<'de>>(d: D, expecting: &'static str) -> Result<String, D::Error> {
    d.deserialize_any(TextOrNumber(expecting))
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = text(d, "a duration string like \"250ms\", \"10s\" or \"1h30m\"")?;
        SimDuration::parse(&t).map(Dur).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = text(d, "a rate like \"200/s\"")?;
        sim::units::parse_rate(&t)
            .map(Rate)
            .map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = text(d, "a percentage like \"2%\" or a fraction like 0.02")?;
        sim::units::parse_fraction(&t)
            .map(Fraction)
            .map_err(de::Error::custom)
    }
}

macro_rules! dist_value {
    ($t:ident, $q:expr, $what:literal) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let t = text(d, $what)?;
                Dist::parse(&t, $q).map($t).map_err(de::Error::custom)
            }
        }
    };
}
dist_value!(
    DurDist,
    Quantity::Duration,
    "a duration distribution like \"exp(5ms)\""
);
dist_value!(
    RateDist,
    Quantity::Rate,
    "a rate distribution like \"pareto(1.2, 2/s)\""
);
dist_value!(
    CountDist,
    Quantity::Count,
    "a count distribution like \"const(1)\""
);
dist_value!(
    BytesDist,
    Quantity::Bytes,
    "a size distribution like \"const(4KiB)\""
);

/// Comparison operator of an SLO threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
}

impl Cmp {
    /// Whether `measured OP bound` holds.
    pub fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Cmp::Lt => measured < bound,
            Cmp::Le => measured <= bound,
            Cmp::Gt => measured > bound,
            Cmp::Ge => measured >= bound,
            Cmp::Eq => measured == bound,
        }
    }
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
        }
    }
}

/// What an SLO threshold measures.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Metric {
    /// Latency percentile of successful requests, `p(99)`; the field is the percentile (0..100].
    LatencyPercentile(f64),
    /// Mean latency of successful requests.
    LatencyMean,
    /// Maximum latency of successful requests.
    LatencyMax,
    /// (shed + errors + timeouts) / answered requests (429s excluded: they are the tenant's own limit).
    ErrorRate,
    /// ok / answered requests (429s excluded) — `1 − error_rate`.
    Availability,
    /// ok / offered requests (everything the tenant sent, 429s included).
    Throughput,
    /// 429 / offered requests.
    RejectedRate,
    /// Client timeouts / answered requests.
    TimeoutRate,
    /// Attempts / logical requests.
    Amplification,
    /// Mean time requests spent waiting in a cell queue.
    QueueWaitMean,
    /// Queue-wait percentile (0..100].
    QueueWaitPercentile(f64),
    /// Writes applied at a cell that no longer owned the tenant (a count; whole run).
    MisroutedWrites,
    /// Background job queue-wait percentile (0..100] (whole run).
    JobWaitPercentile(f64),
    /// Longest background job queue wait: starvation (whole run).
    JobWaitMax,
    /// Background jobs dead-lettered (a count; whole run).
    Dlq,
    /// Provisioning latency percentile (0..100]: request to `active` (whole run).
    ProvisionTimePercentile(f64),
    /// Longest provisioning latency (whole run).
    ProvisionTimeMax,
    /// Reads answered `stale_read` (a replica lagging past its bound) / answered requests.
    StaleReadRate,
}

impl Metric {
    /// Whether the metric's values are durations (thresholds are then written with units).
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Metric::LatencyPercentile(_)
                | Metric::LatencyMean
                | Metric::LatencyMax
                | Metric::QueueWaitMean
                | Metric::QueueWaitPercentile(_)
                | Metric::JobWaitPercentile(_)
                | Metric::JobWaitMax
                | Metric::ProvisionTimePercentile(_)
                | Metric::ProvisionTimeMax
        )
    }

    /// Whether the metric is a whole-run tenant counter (job and migration metrics): it
    /// takes no SLO window and no request minimum.
    pub fn is_whole_run(self) -> bool {
        matches!(
            self,
            Metric::MisroutedWrites
                | Metric::Dlq
                | Metric::JobWaitPercentile(_)
                | Metric::JobWaitMax
                | Metric::ProvisionTimePercentile(_)
                | Metric::ProvisionTimeMax
        )
    }

    /// Whether the metric's values are fractions (thresholds written as `1%`).
    pub fn is_fraction(self) -> bool {
        matches!(
            self,
            Metric::ErrorRate
                | Metric::Availability
                | Metric::Throughput
                | Metric::RejectedRate
                | Metric::TimeoutRate
                | Metric::StaleReadRate
        )
    }
}

/// A parsed SLO threshold such as `p(99) < 250ms` or `error_rate < 1%`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Threshold {
    /// What is measured.
    pub metric: Metric,
    /// How it is compared.
    pub cmp: Cmp,
    /// The bound in base units (ns for durations, 0..1 for fractions).
    pub bound: f64,
    /// The text as written.
    pub text: String,
}

const THRESHOLD_HELP: &str = "expected `METRIC OP VALUE`, e.g. `p(99) < 250ms`, `error_rate < 1%`, \
`availability > 99.9%`, `throughput > 95%`, `mean < 50ms`, `queue_wait p(99) < 5s`, `amplification < 1.5`, \
`misrouted_writes == 0`, `job_wait p(99) < 30s`, `job_wait max < 5m`, `dlq == 0`, \
`provision_time p(99) < 30s`, `stale_read_rate < 0.1%`; \
OP is one of < <= > >= ==";

/// The metric names a threshold may start with (percentile forms written `p(99)`), for
/// "did you mean".
const METRIC_NAMES: &[&str] = &[
    "mean",
    "avg",
    "med",
    "max",
    "error_rate",
    "availability",
    "throughput",
    "rejected_rate",
    "timeout_rate",
    "amplification",
    "queue_wait",
    "queue_wait mean",
    "misrouted_writes",
    "dlq",
    "job_wait max",
    "stale_read_rate",
];

/// k6 aggregations that tenantsim does not take as written, with the metric to use instead
/// (k6's `avg`, `med` and `max` are accepted as they are).
fn k6_pointer(word: &str) -> Option<&'static str> {
    Some(match word {
        "min" => "k6's `min` is not judged (the fastest request says nothing about isolation); use a low percentile such as `p(1)`, or `med` / `p(50)`",
        "rate" => "k6's `rate` is ambiguous here: for http_req_failed write `error_rate < 1%`; for http_reqs (requests per second) write `throughput > 95%` (the share of offered requests served)",
        "count" => "k6's `count` is not an SLO here (counts grow with the run's length); write `throughput > 95%` for requests served, or `dlq == 0` / `misrouted_writes == 0` for counts that must stay zero",
        _ => return None,
    })
}

impl Threshold {
    /// Parses threshold text.
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let ops = ["<=", ">=", "==", "<", ">"];
        let (pos, op) = ops
            .iter()
            .filter_map(|op| t.find(op).map(|p| (p, *op)))
            .min_by_key(|(p, op)| (*p, std::cmp::Reverse(op.len())))
            .ok_or_else(|| format!("`{t}` has no comparison; {THRESHOLD_HELP}"))?;
        let cmp = match op {
            "<=" => Cmp::Le,
            ">=" => Cmp::Ge,
            "==" => Cmp::Eq,
            "<" => Cmp::Lt,
            _ => Cmp::Gt,
        };
        let lhs = t[..pos].trim();
        let rhs = t[pos + op.len()..].trim();
        if rhs.is_empty() {
            return Err(format!("`{t}` has no value after `{op}`; {THRESHOLD_HELP}"));
        }
        let percentile = |s: &str| -> Result<f64, String> {
            let inner = s
                .strip_prefix("p(")
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| {
                    format!("`{s}` is not a percentile; write it as p(99) or p(99.9)")
                })?;
            let p: f64 = inner
                .trim()
                .parse()
                .map_err(|_| format!("`{inner}` in `{s}` is not a number; write e.g. p(99)"))?;
            if !(p > 0.0 && p <= 100.0) {
                return Err(format!(
                    "percentile {p} in `{s}` is out of range; it must be in (0, 100]"
                ));
            }
            Ok(p)
        };
        let metric = match lhs {
            "mean" | "avg" => Metric::LatencyMean,
            // k6's `med` (median) is the 50th percentile.
            "med" => Metric::LatencyPercentile(50.0),
            "max" => Metric::LatencyMax,
            "error_rate" => Metric::ErrorRate,
            "availability" => Metric::Availability,
            "throughput" => Metric::Throughput,
            "rejected_rate" => Metric::RejectedRate,
            "timeout_rate" => Metric::TimeoutRate,
            "amplification" => Metric::Amplification,
            "queue_wait mean" | "queue_wait" => Metric::QueueWaitMean,
            "misrouted_writes" => Metric::MisroutedWrites,
            "dlq" => Metric::Dlq,
            "stale_read_rate" => Metric::StaleReadRate,
            "job_wait max" => Metric::JobWaitMax,
            "provision_time max" => Metric::ProvisionTimeMax,
            s if s.starts_with("provision_time ") => {
                Metric::ProvisionTimePercentile(percentile(s["provision_time ".len()..].trim())?)
            }
            s if s.starts_with("job_wait ") => {
                Metric::JobWaitPercentile(percentile(s["job_wait ".len()..].trim())?)
            }
            s if s.starts_with("queue_wait ") => {
                Metric::QueueWaitPercentile(percentile(s["queue_wait ".len()..].trim())?)
            }
            s if s.starts_with("p(") => Metric::LatencyPercentile(percentile(s)?),
            "" => {
                return Err(format!(
                    "`{t}` has no metric before `{op}`; {THRESHOLD_HELP}"
                ))
            }
            other => {
                if let Some(pointer) = k6_pointer(other) {
                    return Err(format!("`{other}` in `{t}`: {pointer}"));
                }
                let hint = super::suggest::hint(other, METRIC_NAMES.iter().copied());
                return Err(format!(
                    "unknown metric `{other}` in `{t}`{hint}; {THRESHOLD_HELP}"
                ));
            }
        };
        let bound = if metric.is_duration() {
            SimDuration::parse(rhs)
                .map_err(|e| format!("in `{t}`: {e}"))?
                .as_nanos() as f64
        } else if metric.is_fraction() {
            sim::units::parse_fraction(rhs).map_err(|e| format!("in `{t}`: {e}"))?
        } else {
            sim::units::parse_count(rhs).map_err(|e| format!("in `{t}`: {e}"))?
        };
        Ok(Threshold {
            metric,
            cmp,
            bound,
            text: t.to_string(),
        })
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = String::deserialize(d)?;
        Threshold::parse(&t).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse() {
        let t = Threshold::parse("p(99) < 250ms").unwrap();
        assert_eq!(t.metric, Metric::LatencyPercentile(99.0));
        assert_eq!(t.cmp, Cmp::Lt);
        assert_eq!(t.bound, 250e6);
        let t = Threshold::parse("availability >= 99.9%").unwrap();
        assert_eq!((t.metric, t.cmp), (Metric::Availability, Cmp::Ge));
        assert!((t.bound - 0.999).abs() < 1e-12);
        let t = Threshold::parse("queue_wait p(99.9) <= 5s").unwrap();
        assert_eq!(t.metric, Metric::QueueWaitPercentile(99.9));
        assert_eq!(Threshold::parse("amplification < 1.5").unwrap().bound, 1.5);
    }

    #[test]
    fn malformed_thresholds_say_why() {
        assert!(Threshold::parse("p(99) 250ms")
            .unwrap_err()
            .contains("no comparison"));
        assert!(Threshold::parse("p(101) < 1s")
            .unwrap_err()
            .contains("out of range"));
        assert!(Threshold::parse("p99 < 1s")
            .unwrap_err()
            .contains("unknown metric"));
        assert!(Threshold::parse("latency < 1s")
            .unwrap_err()
            .contains("unknown metric"));
        assert!(Threshold::parse("p(99) < 10 parsecs")
            .unwrap_err()
            .contains("unknown time unit"));
        assert!(Threshold::parse("error_rate < 200%")
            .unwrap_err()
            .contains("outside"));
        assert!(Threshold::parse("p(99) <")
            .unwrap_err()
            .contains("no value"));
    }
}
