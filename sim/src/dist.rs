//! Probability distributions: our own samplers on raw random bits, and their text syntax.
//!
//! Samplers take only `u64`s from an [`RngStream`](crate::RngStream) and use `libm` for `ln`,
//! `exp`, `sqrt`, `cos`, `pow`, so their outputs are fixed by this file and the pinned `libm` —
//! never by a dependency's sampler, whose output may change between versions.
//!
//! | text                     | meaning                                   | draws |
//! |--------------------------|-------------------------------------------|-------|
//! | `5ms`, `const(5ms)`      | always 5 ms                               | 0     |
//! | `uniform(1ms, 9ms)`      | uniform on [1 ms, 9 ms)                   | 1     |
//! | `exp(5ms)`               | exponential with mean 5 ms                | 1     |
//! | `normal(10ms, 2ms)`      | normal, mean 10 ms, sd 2 ms (Box–Muller)  | 2     |
//! | `lognormal(5ms, 0.5)`    | median 5 ms, σ 0.5 of the underlying normal | 2   |
//! | `pareto(1.2, 2/s)`       | Pareto, shape α 1.2, minimum 2/s          | 1     |
//! | `empirical(1ms, 2ms)`    | each listed value equally likely          | 1     |
//! | `empirical(1ms:0.9, 1s:0.1)` | listed values with weights            | 1     |
//!
//! Values carry the unit of the [`Quantity`] being parsed (a duration, a rate, a size, a
//! count). Samples that come out negative (a normal's tail) are clamped to zero by callers
//! that need a non-negative quantity.

use crate::rng::Bits;
#[cfg(test)]
use crate::rng::RngStream;
use crate::units;

/// What a distribution's values measure; decides how value text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Durations; base unit nanoseconds (`5ms`).
    Duration,
    /// Rates; base unit per second (`2/s`).
    Rate,
    /// Sizes; base unit bytes (`4KiB`).
    Bytes,
    /// Plain numbers (`3`).
    Count,
}

impl Quantity {
    fn parse_value(self, text: &str) -> Result<f64, String> {
        let r = match self {
            Quantity::Duration => units::parse_duration_ns(text),
            Quantity::Rate => units::parse_rate(text),
            Quantity::Bytes => units::parse_bytes(text),
            Quantity::Count => units::parse_count(text),
        };
        r.map_err(|e| e.0)
    }

    fn example(self) -> &'static str {
        match self {
            Quantity::Duration => "`exp(5ms)`, `lognormal(5ms, 0.5)`, `const(3ms)`",
            Quantity::Rate => "`const(2/s)`, `pareto(1.2, 2/s)`, `exp(5/s)`",
            Quantity::Bytes => "`const(4KiB)`, `lognormal(8KiB, 1.0)`",
            Quantity::Count => "`const(2)`, `uniform(1, 5)`, `exp(3)`",
        }
    }

    /// Formats a base-unit value back in this quantity's unit (for echoing and reports).
    pub fn format(self, v: f64) -> String {
        match self {
            Quantity::Duration => crate::time::SimDuration::from_nanos_f64(v).to_string(),
            Quantity::Rate => format!("{}/s", trim_float(v)),
            Quantity::Bytes => format!("{}B", trim_float(v)),
            Quantity::Count => trim_float(v),
        }
    }
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A distribution over non-negative base-unit values.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always the same value.
    Const(f64),
    /// Uniform on [lo, hi).
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Exponential with the given mean.
    Exp {
        /// Mean.
        mean: f64,
    },
    /// Normal (Gaussian).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Lognormal: `median · e^(σ·Z)`.
    LogNormal {
        /// Median (e^μ).
        median: f64,
        /// σ of the underlying normal.
        sigma: f64,
    },
    /// Pareto (type I): `scale / U^(1/alpha)`.
    Pareto {
        /// Shape α.
        alpha: f64,
        /// Minimum value x_m.
        scale: f64,
    },
    /// A discrete distribution over listed values with weights.
    Empirical {
        /// The values.
        values: Vec<f64>,
        /// Cumulative weights, normalised so the last is 1.
        cumulative: Vec<f64>,
    },
}

/// Why a distribution did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseDistError(pub String);

impl Dist {
    /// Draws one value.
    #[inline]
    pub fn sample<R: Bits>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Const(v) => v,
            Dist::Uniform { lo, hi } => lo + (hi - lo) * rng.next_f64(),
            Dist::Exp { mean } => -mean * libm::log(rng.next_f64_open0()),
            Dist::Normal { mean, sd } => mean + sd * std_normal(rng),
            Dist::LogNormal { median, sigma } => median * libm::exp(sigma * std_normal(rng)),
            Dist::Pareto { alpha, scale } => scale / libm::pow(rng.next_f64_open0(), 1.0 / alpha),
            Dist::Empirical {
                ref values,
                ref cumulative,
            } => {
                let u = rng.next_f64();
                let i = cumulative
                    .partition_point(|&c| c <= u)
                    .min(values.len() - 1);
                values[i]
            }
        }
    }

    /// Analytic mean, or `None` where it is infinite (Pareto with α ≤ 1).
    pub fn mean(&self) -> Option<f64> {
        match self {
            Dist::Const(v) => Some(*v),
            Dist::Uniform { lo, hi } => Some((lo + hi) / 2.0),
            Dist::Exp { mean } => Some(*mean),
            Dist::Normal { mean, .. } => Some(*mean),
            Dist::LogNormal { median, sigma } => Some(median * libm::exp(sigma * sigma / 2.0)),
            Dist::Pareto { alpha, scale } => (*alpha > 1.0).then(|| alpha * scale / (alpha - 1.0)),
            Dist::Empirical { values, cumulative } => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (v, c) in values.iter().zip(cumulative) {
                    m += v * (c - prev);
                    prev = *c;
                }
                Some(m)
            }
        }
    }

    /// Analytic variance, or `None` where it is infinite.
    pub fn variance(&self) -> Option<f64> {
        match self {
            Dist::Const(_) => Some(0.0),
            Dist::Uniform { lo, hi } => Some((hi - lo) * (hi - lo) / 12.0),
            Dist::Exp { mean } => Some(mean * mean),
            Dist::Normal { sd, .. } => Some(sd * sd),
            Dist::LogNormal { median, sigma } => {
                let s2 = sigma * sigma;
                Some((libm::exp(s2) - 1.0) * median * median * libm::exp(s2))
            }
            Dist::Pareto { alpha, scale } => (*alpha > 2.0)
                .then(|| scale * scale * alpha / ((alpha - 1.0) * (alpha - 1.0) * (alpha - 2.0))),
            Dist::Empirical { values, cumulative } => {
                let m = self.mean()?;
                let mut prev = 0.0;
                let mut v2 = 0.0;
                for (v, c) in values.iter().zip(cumulative) {
                    v2 += (v - m) * (v - m) * (c - prev);
                    prev = *c;
                }
                Some(v2)
            }
        }
    }

    /// True when every sample is the same value.
    pub fn is_const(&self) -> bool {
        matches!(self, Dist::Const(_))
    }

    /// Multiplies every value by `k` (e.g. a hot-tenant factor on a rate distribution).
    pub fn scaled(&self, k: f64) -> Dist {
        match self.clone() {
            Dist::Const(v) => Dist::Const(v * k),
            Dist::Uniform { lo, hi } => Dist::Uniform {
                lo: lo * k,
                hi: hi * k,
            },
            Dist::Exp { mean } => Dist::Exp { mean: mean * k },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * k,
                sd: sd * k,
            },
            Dist::LogNormal { median, sigma } => Dist::LogNormal {
                median: median * k,
                sigma,
            },
            Dist::Pareto { alpha, scale } => Dist::Pareto {
                alpha,
                scale: scale * k,
            },
            Dist::Empirical { values, cumulative } => Dist::Empirical {
                values: values.into_iter().map(|v| v * k).collect(),
                cumulative,
            },
        }
    }

    /// Text form in the quantity's unit, e.g. `exp(5ms)`; parses back to the same value.
    pub fn to_text(&self, q: Quantity) -> String {
        let f = |v: f64| q.format(v);
        match self {
            Dist::Const(v) => format!("const({})", f(*v)),
            Dist::Uniform { lo, hi } => format!("uniform({}, {})", f(*lo), f(*hi)),
            Dist::Exp { mean } => format!("exp({})", f(*mean)),
            Dist::Normal { mean, sd } => format!("normal({}, {})", f(*mean), f(*sd)),
            Dist::LogNormal { median, sigma } => {
                format!("lognormal({}, {})", f(*median), trim_float(*sigma))
            }
            Dist::Pareto { alpha, scale } => {
                format!("pareto({}, {})", trim_float(*alpha), f(*scale))
            }
            Dist::Empirical { values, cumulative } => {
                let mut prev = 0.0;
                let parts: Vec<String> = values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let w = c - prev;
                        prev = *c;
                        format!("{}:{}", f(*v), trim_float(w))
                    })
                    .collect();
                format!("empirical({})", parts.join(", "))
            }
        }
    }

    /// Parses distribution text (see the module table) whose values are quantities `q`.
    pub fn parse(text: &str, q: Quantity) -> Result<Dist, ParseDistError> {
        let t = text.trim();
        let err = |msg: String| ParseDistError(msg);
        let Some(open) = t.find('(') else {
            // A bare value means a constant.
            return q
                .parse_value(t)
                .map(Dist::Const)
                .map_err(|e| err(format!("{e}; or a distribution like {}", q.example())));
        };
        if !t.ends_with(')') {
            return Err(err(format!(
                "`{t}` is missing its closing `)`; expected e.g. {}",
                q.example()
            )));
        }
        let name = t[..open].trim();
        let args: Vec<&str> = t[open + 1..t.len() - 1].split(',').map(str::trim).collect();
        let want = |n: usize, sig: &str| -> Result<(), ParseDistError> {
            if args.len() != n || args.iter().any(|a| a.is_empty()) {
                Err(err(format!("`{t}`: {name} takes {n} argument(s): {sig}")))
            } else {
                Ok(())
            }
        };
        let val = |a: &str| q.parse_value(a).map_err(|e| err(format!("in `{t}`: {e}")));
        let num = |a: &str, what: &str| -> Result<f64, ParseDistError> {
            let v: f64 = a
                .parse()
                .map_err(|_| err(format!("in `{t}`: `{a}` is not a number; expected {what}")))?;
            if !v.is_finite() {
                return Err(err(format!("in `{t}`: {what} must be finite")));
            }
            Ok(v)
        };
        let d = match name {
            "const" | "constant" => {
                want(1, "const(value)")?;
                Dist::Const(val(args[0])?)
            }
            "uniform" => {
                want(2, "uniform(low, high)")?;
                let (lo, hi) = (val(args[0])?, val(args[1])?);
                if hi < lo {
                    return Err(err(format!("`{t}`: high is below low; write uniform(low, high)")));
                }
                Dist::Uniform { lo, hi }
            }
            "exp" | "exponential" => {
                want(1, "exp(mean)")?;
                Dist::Exp { mean: val(args[0])? }
            }
            "normal" => {
                want(2, "normal(mean, standard deviation)")?;
                Dist::Normal { mean: val(args[0])?, sd: val(args[1])? }
            }
            "lognormal" => {
                want(2, "lognormal(median, sigma) — sigma is a plain number such as 0.5")?;
                let sigma = num(args[1], "sigma, a plain number such as 0.5")?;
                if sigma < 0.0 {
                    return Err(err(format!("`{t}`: sigma must be ≥ 0")));
                }
                Dist::LogNormal { median: val(args[0])?, sigma }
            }
            "pareto" => {
                want(2, "pareto(alpha, minimum) — alpha is a plain number such as 1.2")?;
                let alpha = num(args[0], "alpha (shape), a plain number such as 1.2")?;
                if alpha <= 0.0 {
                    return Err(err(format!("`{t}`: alpha must be > 0")));
                }
                Dist::Pareto { alpha, scale: val(args[1])? }
            }
            "empirical" => {
                if args.iter().any(|a| a.is_empty()) {
                    return Err(err(format!("`{t}`: empirical takes a list of values, optionally value:weight")));
                }
                let mut values = Vec::with_capacity(args.len());
                let mut weights = Vec::with_capacity(args.len());
                for a in &args {
                    let (v, w) = match a.rsplit_once(':') {
                        Some((v, w)) => (val(v.trim())?, num(w.trim(), "a weight such as 0.9")?),
                        None => (val(a)?, 1.0),
                    };
                    if w < 0.0 {
                        return Err(err(format!("in `{t}`: weights must be ≥ 0")));
                    }
                    values.push(v);
                    weights.push(w);
                }
                let total: f64 = weights.iter().sum();
                if total <= 0.0 {
                    return Err(err(format!("in `{t}`: the weights add up to zero")));
                }
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = weights.iter().map(|w| { acc += w; acc / total }).collect();
                if let Some(last) = cumulative.last_mut() {
                    *last = 1.0;
                }
                Dist::Empirical { values, cumulative }
            }
            other => {
                return Err(err(format!(
                    "unknown distribution `{other}`; expected const, uniform, exp, normal, lognormal, pareto or empirical, e.g. {}",
                    q.example()
                )))
            }
        };
        Ok(d)
    }
}

/// A standard normal draw by the Box–Muller transform (two uniforms, no cached second value,
/// so a sampler has no hidden state).
#[inline]
pub fn std_normal<R: Bits>(rng: &mut R) -> f64 {
    let u1 = rng.next_f64_open0();
    let u2 = rng.next_f64();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<(&'static str, Dist)> {
        let d = |s| Dist::parse(s, Quantity::Duration).unwrap();
        vec![
            ("const", d("const(3ms)")),
            ("uniform", d("uniform(1ms, 9ms)")),
            ("exp", d("exp(5ms)")),
            ("normal", d("normal(10ms, 2ms)")),
            ("lognormal", d("lognormal(5ms, 0.5)")),
            (
                "pareto",
                Dist::parse("pareto(3.5, 2/s)", Quantity::Rate).unwrap(),
            ),
            ("empirical", d("empirical(1ms:0.9, 100ms:0.1)")),
        ]
    }

    /// Mean and variance of 10^6 draws against the analytic values. Tolerance: 5 standard
    /// errors of each estimator (the sample variance's s.e. uses the fourth moment, bounded
    /// here by a generous multiple), so a correct sampler fails with probability < 1e-6.
    #[test]
    fn moments_match_theory() {
        let n = 1_000_000usize;
        for (name, dist) in all() {
            let mut rng = RngStream::new(7, "moments", 0);
            let xs: Vec<f64> = (0..n).map(|_| dist.sample(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n as f64 - 1.0);
            let m = dist.mean().unwrap();
            let v = dist.variance().unwrap();
            let se_mean = (v / n as f64).sqrt();
            assert!(
                (mean - m).abs() <= 5.0 * se_mean + 1e-9 * m.abs(),
                "{name}: mean {mean} vs {m}"
            );
            // s.e. of the sample variance ≈ sqrt((μ4 - σ^4)/n); estimate μ4 from the sample.
            let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64;
            let se_var = ((m4 - var * var).max(0.0) / n as f64).sqrt();
            assert!(
                (var - v).abs() <= 6.0 * se_var + 1e-9 * v.abs(),
                "{name}: var {var} vs {v} (se {se_var})"
            );
        }
    }

    /// Known answers: the first draws of every sampler at a fixed seed. A change here means
    /// recorded seeds no longer replay; re-bless only on purpose.
    #[test]
    fn known_answers() {
        let mut got = Vec::new();
        for (name, dist) in all() {
            let mut rng = RngStream::new(1, "kat", 0);
            let v: Vec<u64> = (0..3).map(|_| dist.sample(&mut rng).to_bits()).collect();
            got.push(format!("{name}: {v:?}"));
        }
        let got = got.join("\n");
        assert_eq!(got, KAT, "sampler outputs changed:\n{got}");
    }
    const KAT: &str = "\
const: [4703696862291427328, 4703696862291427328, 4703696862291427328]
uniform: [4699379550920724988, 4707284118640693466, 4702742109962288389]
exp: [4713480912898940928, 4704310564979658230, 4710550362736026979]
normal: [4707547905796063887, 4710935620898384989, 4711040219003928354]
lognormal: [4699537389402673440, 4705024179493249944, 4705411991807398664]
pareto: [4616541604076198626, 4612616202543499760, 4614373145056472922]
empirical: [4696837146684686336, 4696837146684686336, 4696837146684686336]";

    #[test]
    fn parse_round_trips_and_errors() {
        for (_, d) in all() {
            let q = if matches!(d, Dist::Pareto { .. }) {
                Quantity::Rate
            } else {
                Quantity::Duration
            };
            assert_eq!(
                Dist::parse(&d.to_text(q), q).unwrap(),
                d,
                "{}",
                d.to_text(q)
            );
        }
        assert_eq!(
            Dist::parse("5ms", Quantity::Duration).unwrap(),
            Dist::Const(5e6)
        );
        let e = |s: &str| Dist::parse(s, Quantity::Duration).unwrap_err().0;
        assert!(e("gamma(2, 3ms)").contains("unknown distribution"));
        assert!(e("exp(5ms").contains("closing"));
        assert!(e("exp(5ms, 3ms)").contains("takes 1 argument"));
        assert!(e("lognormal(5ms, big)").contains("not a number"));
        assert!(e("exp(10 parsecs)").contains("unknown time unit"));
        assert!(e("uniform(5ms, 1ms)").contains("below low"));
    }

    #[test]
    fn empirical_respects_weights() {
        let d = Dist::parse("empirical(1:0.25, 2:0.75)", Quantity::Count).unwrap();
        let mut rng = RngStream::new(5, "emp", 0);
        let twos = (0..400_000).filter(|_| d.sample(&mut rng) == 2.0).count();
        // 300,000 expected, σ ≈ 274
        assert!((twos as i64 - 300_000).abs() < 1_400, "{twos}");
    }
}
