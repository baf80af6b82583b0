//! Shapes of offered load over time, and how a tenant's requests arrive.
//!
//! A [`LoadShape`] multiplies a tenant's base rate: a piecewise-linear schedule (ramps and
//! steps) times an optional diurnal curve `1 + A·cos(2π(t − peak)/P)`. Open-loop arrivals
//! under a shape are a non-homogeneous Poisson process, drawn by thinning: candidates at the
//! shape's maximum rate, each kept with probability `shape(t)/max` — exact for any shape.

use sim::SimTime;

/// A load multiplier over time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LoadShape {
    /// (time ns, multiplier) points, sorted by time; empty = constant 1.
    pub points: Vec<(u64, f64)>,
    /// (period ns, amplitude, peak ns).
    pub diurnal: Option<(u64, f64, u64)>,
}

impl LoadShape {
    /// True when the multiplier is 1 at all times.
    pub fn is_flat(&self) -> bool {
        self.points.is_empty() && self.diurnal.is_none()
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
        (sched * di).max(0.0)
    }

    /// An upper bound of the multiplier over all time (the thinning envelope).
    pub fn max(&self) -> f64 {
        let sched = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(if self.points.is_empty() { 1.0 } else { 0.0 }, f64::max);
        let di = self.diurnal.map_or(1.0, |(_, a, _)| 1.0 + a);
        sched * di
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
        };
        assert!((s.at(SimTime(250)) - 1.5).abs() < 1e-12);
        assert!((s.at(SimTime(750)) - 0.5).abs() < 1e-12);
        assert!(s.max() >= 1.5);
    }
}
