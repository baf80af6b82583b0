//! # Links: can one part of the platform reach another right now?
//!
//! A dependency call (edge → cell, cell → DB, cell → KMS, cell → object storage,
//! edge → control plane) crosses a [`Link`]. A link is up, or cut by a `partition` fault
//! (or by the far side being down) in one of two ways: calls *hang* until the caller's
//! own timeout, or are *rejected* at once (`mode = "reject"`). [`Link::call`] is the
//! decision every caller matches on, exhaustively:
//!
//! ```text
//!   Link::Up                    → Call::Reach   (sample the latency, do the work)
//!   Link::Cut { reject: true }  → Call::Reject  (fail now, as unreachable)
//!   Link::Cut { reject: false } → Call::Hang    (fail at the caller's timeout)
//! ```
//!
//! A mechanism: it knows nothing of tenants, cells or the scenario.

/// The state of the path from a caller to one dependency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// Calls get through.
    #[default]
    Up,
    /// Calls do not get through.
    Cut {
        /// Fail fast instead of hanging until the caller's timeout.
        reject: bool,
    },
}

/// What happens to a call made across a [`Link`] now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// It reaches the dependency.
    Reach,
    /// It fails at once.
    Reject,
    /// It hangs: the caller gives up at its own timeout.
    Hang,
}

impl Link {
    /// The link while a partition fault is `active` (cut in its mode) or not (up).
    pub fn partitioned(active: bool, reject: bool) -> Link {
        if active {
            Link::Cut { reject }
        } else {
            Link::Up
        }
    }

    /// The decision for a call made now.
    #[inline]
    pub fn call(self) -> Call {
        match self {
            Link::Up => Call::Reach,
            Link::Cut { reject: true } => Call::Reject,
            Link::Cut { reject: false } => Call::Hang,
        }
    }

    /// This link, or a hanging cut when the far side is down (`up == false`): a dead
    /// dependency answers nothing.
    #[inline]
    pub fn unless_down(self, up: bool) -> Link {
        if up {
            self
        } else {
            Link::Cut { reject: false }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the three decisions, and a down far side hangs whatever the link.
    /// Method: every link state, up and down.
    #[test]
    fn decisions() {
        assert_eq!(Link::Up.call(), Call::Reach);
        assert_eq!(Link::partitioned(true, true).call(), Call::Reject);
        assert_eq!(Link::partitioned(true, false).call(), Call::Hang);
        assert_eq!(Link::partitioned(false, true), Link::Up);
        for l in [Link::Up, Link::Cut { reject: true }] {
            assert_eq!(l.unless_down(false).call(), Call::Hang);
            assert_eq!(l.unless_down(true), l);
        }
    }
}
