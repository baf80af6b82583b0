//! Shapes of offered load over time, and how a tenant's requests arrive.
//!
//! A [`LoadShape`] multiplies a tenant's base rate: a piecewise-linear schedule (ramps and
//! steps) times an optional diurnal curve `1 + A·cos(2π(t − peak)/P)` times an optional
//! on/off [`Spike`] (a spiky tenant's bursts). Open-loop arrivals under a shape are a
//! non-homogeneous Poisson process, drawn by thinning: candidates at the shape's maximum
//! rate, each kept with probability `shape(t)/max` — exact for any shape.
//!
//! ```text
//!   spike multiplier (factor F, every E, for D, phase φ):
//!        F ┤   ┌─┐           ┌─┐           ┌─┐
//!        1 ┼───┘ └───────────┘ └───────────┘ └────
//!          0   φ φ+D         φ+E           φ+2E
//! ```

use sim::SimTime;

/// An on/off burst pattern: the rate is multiplied by `factor` for `on` ns out of every
/// `every` ns. Where the bursts fall is a phase given with it (see [`LoadShape::spike`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Multiplier during a burst (≥ 1).
    pub factor: f64,
    /// Period (ns, > 0): one burst per period.
    pub every: u64,
    /// Length of a burst (ns, < `every`).
    pub on: u64,
}

impl Spike {
    /// The multiplier at `t` (ns) when bursts start at `phase + k·every` for every integer k
    /// (so a burst that began before 0 is already under way at 0).
    pub fn at(&self, phase: u64, t: u64) -> f64 {
        let every = self.every.max(1);
        let into = (t % every + every - phase % every) % every;
        if into < self.on {
            self.factor
        } else {
            1.0
        }
    }

    /// The mean multiplier over a period: `1 + (factor − 1)·on/every`.
    pub fn mean(&self) -> f64 {
        1.0 + (self.factor - 1.0) * self.on as f64 / self.every.max(1) as f64
    }
}

/// A load multiplier over time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LoadShape {
    /// (time ns, multiplier) points, sorted by time; empty = constant 1.
    pub points: Vec<(u64, f64)>,
    /// (period ns, amplitude, peak ns).
    pub diurnal: Option<(u64, f64, u64)>,
    /// On/off bursts and their phase (ns): a spiky tenant's own shape.
    pub spike: Option<(Spike, u64)>,
}

impl LoadShape {
    /// True when the multiplier is 1 at all times.
    pub fn is_flat(&self) -> bool {
        self.points.is_empty() && self.diurnal.is_none() && self.spike.is_none()
    }

    /// The multiplier at `t`.
    pub fn at(&self, t: SimTime) -> f64 {
        let t = t.as_nanos();
        let sched = match self.points.as_slice() {
            [] => 1.0,
            [(_, m)] => *m,
            pts => {
                let i = pts.partition_point(|(pt, _)| *pt <= t);
                if i == 0 {
                    pts[0].1
                } else if i == pts.len() {
                    pts[pts.len() - 1].1
                } else {
                    let (t0, m0) = pts[i - 1];
                    let (t1, m1) = pts[i];
                    if t1 == t0 {
                        m1
                    } else {
                        m0 + (m1 - m0) * ((t - t0) as f64 / (t1 - t0) as f64)
                    }
                }
            }
        };
        let di = match self.diurnal {
            None => 1.0,
            Some((period, amp, peak)) => {
                let phase = (t as f64 - peak as f64) / period as f64;
                1.0 + amp * libm::cos(2.0 * core::f64::consts::PI * phase)
            }
        };
        let sp = match self.spike {
            None => 1.0,
            Some((spike, phase)) => spike.at(phase, t),
        };
        (sched * di * sp).max(0.0)
    }

    /// An upper bound of the multiplier over all time (the thinning envelope).
    pub fn max(&self) -> f64 {
        let sched = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(if self.points.is_empty() { 1.0 } else { 0.0 }, f64::max);
        let di = self.diurnal.map_or(1.0, |(_, a, _)| 1.0 + a);
        let sp = self.spike.map_or(1.0, |(s, _)| s.factor.max(1.0));
        sched * di * sp
    }
}

/// How a tenant's requests arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// Open loop: Poisson at the tenant's rate times the load shape.
    Poisson,
    /// Closed loop: `users` users, each waiting for its request's outcome and then thinking.
    Closed {
        /// Users.
        users: u32,
        /// Think time (ns).
        think: sim::Dist,
        /// Users start uniformly over this span (`None`: each after one think time).
        start_spread: Option<sim::SimDuration>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_interpolate_and_step() {
        let s = LoadShape {
            points: vec![(0, 1.0), (100, 3.0), (100, 0.5), (200, 0.5)],
            diurnal: None,
            spike: None,
        };
        assert_eq!(s.at(SimTime(0)), 1.0);
        assert_eq!(s.at(SimTime(50)), 2.0);
        assert_eq!(
            s.at(SimTime(100)),
            0.5,
            "two points at one time make a step"
        );
        assert_eq!(s.at(SimTime(500)), 0.5, "held after the last point");
        assert_eq!(s.max(), 3.0);
    }

    #[test]
    fn diurnal_peaks_where_asked() {
        let s = LoadShape {
            points: vec![],
            diurnal: Some((1000, 0.5, 250)),
            spike: None,
        };
        assert!((s.at(SimTime(250)) - 1.5).abs() < 1e-12);
        assert!((s.at(SimTime(750)) - 0.5).abs() < 1e-12);
        assert!(s.max() >= 1.5);
    }

    #[test]
    fn spikes_switch_on_and_off_at_their_phase() {
        // Goal: the on/off pattern by hand. Factor 10, every 100 ns, on for 20 ns, phase 90:
        // bursts over [90, 110), [190, 210), ... and [-10, 10) (already under way at 0).
        let spike = Spike {
            factor: 10.0,
            every: 100,
            on: 20,
        };
        let s = LoadShape {
            points: vec![(0, 2.0)],
            spike: Some((spike, 90)),
            ..LoadShape::default()
        };
        assert!(!s.is_flat());
        for (t, m) in [
            (0, 20.0),
            (9, 20.0),
            (10, 2.0),
            (89, 2.0),
            (90, 20.0),
            (109, 20.0),
            (110, 2.0),
            (195, 20.0),
            (1_005, 20.0),
            (1_050, 2.0),
        ] {
            assert_eq!(s.at(SimTime(t)), m, "t = {t}");
        }
        assert_eq!(s.max(), 20.0, "the envelope covers the bursts");
        assert!((spike.mean() - 2.8).abs() < 1e-12, "1 + 9 · 20/100");
        // The long-run mean of the multiplier is the documented mean.
        let avg = (0..100_000u64).map(|t| spike.at(37, t)).sum::<f64>() / 100_000.0;
        assert!((avg - spike.mean()).abs() < 1e-9, "{avg}");
    }
}
