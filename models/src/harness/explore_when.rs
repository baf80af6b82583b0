//! # Drawn `when` faults: exploration arms some faults by a condition
//!
//! With `[explore] when_share = "30%"`, each drawn fault is, with that probability, *armed*
//! at its drawn start rather than started there: it starts at the first poll (every 1 s) at
//! which a condition drawn from the catalogue of [`crate::fault_when`] holds, and then lasts
//! its drawn length. That is how exploration finds cascades ("when cell 2 is 80% busy it
//! loses workers") that no fixed time would hit.
//!
//! | drawn condition | its parameter |
//! |---|---|
//! | `cell_utilisation(C) > P%` | C the fault's drawn cell, P uniform in 50..=95 |
//! | `queue_length(C) > N` | C the fault's drawn cell, N uniform in 5..=100 |
//! | `cell_dead` | the failure detector holds any cell dead |
//! | `control_plane_down` | a control-plane outage is active |
//! | `evacuation` | an evacuation is under way |
//!
//! A condition that never holds leaves the fault unfired: the run reports it ("never
//! fired"), and it is not confused with a fault that ran. A fault that fires late may
//! still be active after `quiet_after` (its window is its drawn length from the moment it
//! fired); the recovery check then judges it as it is.
//!
//! **Guarantees.** The choices come from their own stream `("explore/when", 0)`, drawn only
//! when `when_share > 0`: a scenario without it draws exactly the schedule it drew before.
//! The conditions are written literally (`explore_literal`), so a shrunk schedule replays
//! them.

use crate::fault_when::{parse, When, DEFAULT_POLL};
use sim::RngStream;

/// The conditions' stream for `seed`.
pub fn stream(seed: u64) -> RngStream {
    RngStream::new(seed, "explore/when", 0)
}

/// Draws whether a fault on `cell` (of `cells`) is armed by a condition with probability
/// `share`, and which; `None`: it starts at its drawn time.
pub fn draw(rng: &mut RngStream, share: f64, cell: u32, cells: u32) -> Option<Box<When>> {
    if rng.next_f64() >= share {
        return None;
    }
    let text = match rng.below(5) {
        0 => format!("cell_utilisation({cell}) > {}%", 50 + rng.below(46)),
        1 => format!("queue_length({cell}) > {}", 5 + rng.below(96)),
        2 => "cell_dead".to_string(),
        3 => "control_plane_down".to_string(),
        _ => "evacuation".to_string(),
    };
    let clauses = parse(&text, cells.max(1)).ok()?;
    Some(Box::new(When {
        clauses,
        poll: DEFAULT_POLL,
        text,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: a share of 0 arms nothing, a share of 1 arms every fault with a condition that
    /// parses, and every catalogue entry is drawn. Method: 200 draws of each.
    #[test]
    fn draws_conditions_from_the_catalogue() {
        let mut rng = stream(7);
        assert!((0..200).all(|_| draw(&mut rng, 0.0, 1, 3).is_none()));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let w = draw(&mut rng, 1.0, 2, 3).expect("armed");
            assert!(!w.clauses.is_empty());
            seen.insert(w.text.split(['(', ' ']).next().unwrap_or("").to_string());
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
    }
}
