//! Exponential and normal draws by the ziggurat method (Marsaglia & Tsang, "The Ziggurat
//! Method for Generating Random Variables", J. Stat. Software 5(8), 2000), on raw `u64`s.
//!
//! **What it is.** The density is covered by 256 horizontal strips of equal area `V`: 255
//! rectangles and a base strip (a rectangle plus the tail beyond `R`). One 64-bit draw picks a
//! strip (its low 8 bits) and a point across it (its top 53 bits); about 98.8% (exponential)
//! and 98.8% (normal) of draws land inside the strip's inner rectangle and are accepted with
//! one multiply and one compare. The rest take the wedge test (one more uniform and one
//! `libm::exp`) or, in the base strip, the tail (the exponential's is memoryless: `R` plus a
//! fresh draw; the normal's uses Marsaglia's exact tail method).
//!
//! **Why.** `-ln(u)` and Box–Muller spend a `libm::log` (plus `sqrt` and `cos`) on every draw,
//! which was half the cost of an engine event in the M/M/c benchmark (BENCHMARKS.md).
//!
//! **Guarantees.** The draws are exact samples of the distributions (not approximations):
//! the strips are built from the densities with `libm` at first use, identically on every
//! machine, and the tests check the distributions (Kolmogorov–Smirnov against the CDF, the
//! moments, the tail mass beyond `R`) and pin known answers. A draw consumes a variable
//! number of `u64`s (one, almost always), always from the caller's stream.

use crate::rng::Bits;
use std::sync::OnceLock;

/// Strips per ziggurat.
const STRIPS: usize = 256;
/// The exponential ziggurat's rightmost strip edge `R` (Marsaglia & Tsang, 256 strips).
const EXP_R: f64 = 7.697_117_470_131_05;
/// The exponential ziggurat's strip area `V`.
const EXP_V: f64 = 0.003_949_659_822_581_557;
/// The normal ziggurat's rightmost strip edge `R` (Marsaglia & Tsang, 256 strips).
const NORM_R: f64 = 3.654_152_885_361_009;
/// The normal ziggurat's strip area `V` (for the unnormalised density `exp(-x²/2)`).
const NORM_V: f64 = 0.004_928_673_233_992_336;

/// A ziggurat's strip edges `x[0..=256]` (decreasing; `x[0]` is the base strip's
/// equivalent width `V / f(R)`, `x[1] = R`, `x[256] = 0`) and the density at each edge.
struct Table {
    x: [f64; STRIPS + 1],
    f: [f64; STRIPS + 1],
}

/// Builds the strips from `r`, `v`, the density `f` and its inverse.
fn build(r: f64, v: f64, f: fn(f64) -> f64, f_inv: fn(f64) -> f64) -> Table {
    let mut x = [0.0; STRIPS + 1];
    x[0] = v / f(r);
    x[1] = r;
    for i in 1..STRIPS - 1 {
        x[i + 1] = f_inv(v / x[i] + f(x[i]));
    }
    x[STRIPS] = 0.0;
    let mut fx = [0.0; STRIPS + 1];
    for (fi, xi) in fx.iter_mut().zip(x.iter()) {
        *fi = f(*xi);
    }
    Table { x, f: fx }
}

fn exp_pdf(x: f64) -> f64 {
    libm::exp(-x)
}
fn exp_inv(y: f64) -> f64 {
    -libm::log(y)
}
fn norm_pdf(x: f64) -> f64 {
    libm::exp(-0.5 * x * x)
}
fn norm_inv(y: f64) -> f64 {
    libm::sqrt(-2.0 * libm::log(y))
}

fn exp_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| build(EXP_R, EXP_V, exp_pdf, exp_inv))
}

fn norm_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| build(NORM_R, NORM_V, norm_pdf, norm_inv))
}

/// The top 53 bits of a draw as a uniform in [0, 1).
#[inline(always)]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard exponential draw (mean 1).
#[inline]
pub fn std_exp<R: Bits>(rng: &mut R) -> f64 {
    let t = exp_table();
    let mut offset = 0.0;
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        let x = unit(bits) * t.x[i];
        if x < t.x[i + 1] {
            return offset + x;
        }
        if i == 0 {
            // The tail beyond R: by memorylessness, R plus a fresh standard exponential.
            offset += EXP_R;
            continue;
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * rng.next_f64() < libm::exp(-x) {
            return offset + x;
        }
    }
}

/// A standard normal draw (mean 0, standard deviation 1).
#[inline]
pub fn std_normal<R: Bits>(rng: &mut R) -> f64 {
    let t = norm_table();
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        let x = (2.0 * unit(bits) - 1.0) * t.x[i];
        if x.abs() < t.x[i + 1] {
            return x;
        }
        if i == 0 {
            // Marsaglia's tail method: exact for |X| > R.
            let tail = loop {
                let a = -libm::log(rng.next_f64_open0()) / NORM_R;
                let b = -libm::log(rng.next_f64_open0());
                if 2.0 * b >= a * a {
                    break NORM_R + a;
                }
            };
            return if x < 0.0 { -tail } else { tail };
        }
        if t.f[i + 1] + (t.f[i] - t.f[i + 1]) * rng.next_f64() < libm::exp(-0.5 * x * x) {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStream;

    /// The strips close: each has area V (checked through the recursion's last strip, whose
    /// top edge must meet the density's peak f(0) = 1 within rounding), so the published
    /// constants R and V fit the densities. Method: the area of the top strip computed from
    /// the table against V.
    #[test]
    fn strips_close_at_the_peak() {
        for (name, t, v) in [
            ("exp", exp_table(), EXP_V),
            ("normal", norm_table(), NORM_V),
        ] {
            let top = t.x[STRIPS - 1] * (1.0 - t.f[STRIPS - 1]);
            assert!(
                (top - v).abs() < 1e-9 * v.max(1.0) + 1e-12,
                "{name}: top strip area {top} vs V {v}"
            );
            assert!(
                t.x.windows(2).all(|w| w[0] > w[1]),
                "{name}: edges decrease"
            );
        }
    }

    fn ks_statistic(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        let mut d: f64 = 0.0;
        for (k, &x) in xs.iter().enumerate() {
            let c = cdf(x);
            d = d
                .max((c - k as f64 / n).abs())
                .max(((k + 1) as f64 / n - c).abs());
        }
        d
    }

    /// Kolmogorov–Smirnov against the exact CDFs with 10^6 draws. The critical value at
    /// α = 1e-6 is about 2.72/√n, so a correct sampler fails with probability < 1e-6, while a
    /// wrong strip (e.g. a table off by one strip) gives D ≫ 0.01.
    #[test]
    fn draws_follow_the_distributions() {
        let n = 1_000_000;
        let crit = 2.72 / (n as f64).sqrt();
        let mut rng = RngStream::new(3, "zig-ks", 0);
        let e: Vec<f64> = (0..n).map(|_| std_exp(&mut rng)).collect();
        let d = ks_statistic(e, |x| 1.0 - libm::exp(-x));
        assert!(d < crit, "exponential KS D = {d} ≥ {crit}");
        let z: Vec<f64> = (0..n).map(|_| std_normal(&mut rng)).collect();
        let d = ks_statistic(z, |x| 0.5 * libm::erfc(-x / core::f64::consts::SQRT_2));
        assert!(d < crit, "normal KS D = {d} ≥ {crit}");
    }

    /// The tails, which KS barely sees: the share of draws beyond R against its exact value
    /// (exp: e^-R ≈ 4.5e-4; normal two-sided: erfc(R/√2) ≈ 2.6e-4), within 6 binomial
    /// standard errors over 4·10^6 draws; and the tail's own mean (exp: R + 1).
    #[test]
    fn tails_carry_their_mass() {
        let n = 4_000_000u32;
        let mut rng = RngStream::new(5, "zig-tail", 0);
        let (mut k, mut sum) = (0u32, 0.0);
        for _ in 0..n {
            let x = std_exp(&mut rng);
            if x > EXP_R {
                k += 1;
                sum += x;
            }
        }
        let p = libm::exp(-EXP_R);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let got = k as f64 / n as f64;
        assert!((got - p).abs() < 6.0 * se, "exp tail share {got} vs {p}");
        let mean = sum / k as f64;
        assert!((mean - (EXP_R + 1.0)).abs() < 0.15, "exp tail mean {mean}");
        let mut k = 0u32;
        for _ in 0..n {
            if std_normal(&mut rng).abs() > NORM_R {
                k += 1;
            }
        }
        let p = libm::erfc(NORM_R / core::f64::consts::SQRT_2);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let got = k as f64 / n as f64;
        assert!((got - p).abs() < 6.0 * se, "normal tail share {got} vs {p}");
    }

    /// Mean 1 / variance 1 for the exponential, mean 0 / variance 1 for the normal, and the
    /// normal's symmetry (share of negatives), within 6 standard errors of 10^6 draws.
    #[test]
    fn moments_match() {
        let n = 1_000_000;
        let mut rng = RngStream::new(9, "zig-moments", 0);
        let stats = |xs: &[f64]| {
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64;
            (m, v)
        };
        let e: Vec<f64> = (0..n).map(|_| std_exp(&mut rng)).collect();
        let (m, v) = stats(&e);
        let se = 1.0 / (n as f64).sqrt();
        assert!((m - 1.0).abs() < 6.0 * se, "exp mean {m}");
        assert!((v - 1.0).abs() < 6.0 * se * 3.0, "exp variance {v}");
        let z: Vec<f64> = (0..n).map(|_| std_normal(&mut rng)).collect();
        let (m, v) = stats(&z);
        assert!(m.abs() < 6.0 * se, "normal mean {m}");
        assert!((v - 1.0).abs() < 6.0 * se * 1.5, "normal variance {v}");
        let neg = z.iter().filter(|x| **x < 0.0).count() as f64 / n as f64;
        assert!((neg - 0.5).abs() < 6.0 * 0.5 * se, "normal negatives {neg}");
    }
}
