//! # Links: can one part of the platform reach another right now?
//!
//! A dependency call (edge → cell, cell → DB, cell → KMS, cell → object storage,
//! edge → control plane) crosses a [`Link`]. A link is up, or cut by a `partition` fault
//! (or by the far side being down) in one of three [`CutMode`]s, each a real failure:
//!
//! - `blackhole` (the default; also spelled `timeout`): packets vanish — a firewall
//!   dropping silently, a dead route, a peer that crashed without closing its sockets.
//!   The caller learns nothing and waits for its own timeout.
//! - `drop` (also spelled `reject`): the connection is refused at once — an RST from a
//!   host whose service is gone, a security group that rejects, a local "no route to
//!   host". The caller fails fast.
//! - `delay`: packets are queued, not lost — a congested or flapping link, TCP
//!   retransmitting through a long outage, a load balancer holding connections. Calls are
//!   held and delivered when the link heals, so the far side receives the whole backlog
//!   at once (much of it work whose caller has already given up: the DB's queue of dead
//!   work that can start a metastable failure).
//!
//! [`Link::call`] is the decision every caller matches on, exhaustively:
//!
//! ```text
//!   Link::Up                        → Call::Reach   (sample the latency, do the work)
//!   Link::Cut { CutMode::Drop }      → Call::Reject  (fail now, as unreachable)
//!   Link::Cut { CutMode::Blackhole } → Call::Hang    (fail at the caller's timeout)
//!   Link::Cut { CutMode::Delay }     → Call::Hold    (deliver when the link heals)
//! ```
//!
//! A mechanism: it knows nothing of tenants, cells or the scenario.
//!
//! ## Latency
//!
//! A link also has a one-way network delay, a distribution ([`LinkDelay`]): zero unless the
//! scenario's `[network]` section sets it. Every leg of a call draws its own delay (a round
//! trip draws two). A link with no delay configured draws nothing and costs one branch, so
//! scenarios without `[network]` keep their event sequence and digests. Each link draws
//! from its own named stream (`net/client_edge`, `net/client_edge/REGION`, `net/edge_cell`,
//! `net/cell_db`, `net/cell_kms`, `net/cell_object_storage`, `net/edge_control_plane`),
//! never from a stream that existed before, so configuring one link changes no other
//! draw. [`Network`] holds the links of one run.

/// How a cut link fails the calls made across it (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CutMode {
    /// Silence: the caller waits for its own timeout.
    #[default]
    Blackhole,
    /// Refused at once.
    Drop,
    /// Held, and delivered when the link heals.
    Delay,
}

impl CutMode {
    /// The mode named in a scenario (`blackhole`/`timeout`, `drop`/`reject`, `delay`).
    pub fn parse(name: &str) -> Option<CutMode> {
        match name {
            "blackhole" | "timeout" => Some(CutMode::Blackhole),
            "drop" | "reject" => Some(CutMode::Drop),
            "delay" => Some(CutMode::Delay),
            _ => None,
        }
    }

    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            CutMode::Blackhole => "blackhole",
            CutMode::Drop => "drop",
            CutMode::Delay => "delay",
        }
    }
}

/// The state of the path from a caller to one dependency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Link {
    /// Calls get through.
    #[default]
    Up,
    /// Calls do not get through.
    Cut {
        /// How they fail.
        mode: CutMode,
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
    /// It is held: the caller keeps waiting and the call is delivered when the link heals.
    Hold,
}

impl Link {
    /// The link while a partition fault is `active` (cut in its mode) or not (up).
    pub fn partitioned(active: bool, mode: CutMode) -> Link {
        if active {
            Link::Cut { mode }
        } else {
            Link::Up
        }
    }

    /// The decision for a call made now.
    #[inline]
    pub fn call(self) -> Call {
        match self {
            Link::Up => Call::Reach,
            Link::Cut {
                mode: CutMode::Drop,
            } => Call::Reject,
            Link::Cut {
                mode: CutMode::Blackhole,
            } => Call::Hang,
            Link::Cut {
                mode: CutMode::Delay,
            } => Call::Hold,
        }
    }

    /// This link, or a hanging cut when the far side is down (`up == false`): a dead
    /// dependency answers nothing.
    #[inline]
    pub fn unless_down(self, up: bool) -> Link {
        if up {
            self
        } else {
            Link::Cut {
                mode: CutMode::Blackhole,
            }
        }
    }
}

/// The one-way network delay of a link: a distribution (ns) and its own random stream, or
/// nothing (zero delay, no draw).
#[derive(Clone, Debug, Default)]
pub struct LinkDelay {
    delay: Option<(sim::Dist, sim::RngStream)>,
}

impl LinkDelay {
    /// A delay drawn from `dist` on the stream `name` of `seed`; `None`: no delay.
    pub fn new(seed: u64, name: &str, dist: Option<&sim::Dist>) -> LinkDelay {
        LinkDelay {
            delay: dist.map(|d| (d.clone(), sim::RngStream::new(seed, name, 0))),
        }
    }

    /// Whether a delay is configured (one branch on the hot path when it is not).
    #[inline]
    pub fn is_on(&self) -> bool {
        self.delay.is_some()
    }

    /// One leg's delay (zero, with no draw, when none is configured).
    #[inline]
    pub fn one_way(&mut self) -> sim::SimDuration {
        match &mut self.delay {
            None => sim::SimDuration::ZERO,
            Some((d, rng)) => sim::SimDuration::from_nanos_f64(d.sample(rng)),
        }
    }

    /// A round trip: two independent legs.
    #[inline]
    pub fn round_trip(&mut self) -> sim::SimDuration {
        if self.delay.is_none() {
            return sim::SimDuration::ZERO;
        }
        let a = self.one_way();
        a.saturating_add(self.one_way())
    }
}

/// The network delays of one run, per link (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Client ↔ edge, one per distinct setting: `[0]` is the default, then one per region
    /// given in `client_edge_by_region`.
    pub client_edge: Vec<LinkDelay>,
    /// Per tenant: its index into `client_edge` (empty when no client↔edge delay is set).
    pub client_edge_of: Vec<u16>,
    /// Edge ↔ cell.
    pub edge_cell: LinkDelay,
    /// Cell ↔ DB.
    pub cell_db: LinkDelay,
    /// Cell ↔ KMS.
    pub cell_kms: LinkDelay,
    /// Cell ↔ object storage.
    pub cell_object_storage: LinkDelay,
    /// Edge ↔ control plane.
    pub edge_control_plane: LinkDelay,
}

impl Network {
    /// Whether any client↔edge delay is configured.
    #[inline]
    pub fn client_edge_on(&self) -> bool {
        !self.client_edge_of.is_empty()
    }

    /// One leg between tenant `t`'s clients and the edge.
    #[inline]
    pub fn client_edge_leg(&mut self, t: u32) -> sim::SimDuration {
        match self.client_edge_of.get(t as usize) {
            None => sim::SimDuration::ZERO,
            Some(&i) => self.client_edge[i as usize].one_way(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: an unset delay is zero and draws nothing; a set one draws from its own stream
    /// (same seed and name, same delays) and a round trip is two legs.
    /// Method: `const(3ms)` gives exactly 3 ms a leg, 6 ms a round trip; two `exp` delays of
    /// one name agree draw for draw.
    #[test]
    fn delays() {
        let mut off = LinkDelay::new(1, "net/x", None);
        assert!(!off.is_on());
        assert_eq!(off.one_way(), sim::SimDuration::ZERO);
        assert_eq!(off.round_trip(), sim::SimDuration::ZERO);
        let c = sim::Dist::parse("const(3ms)", sim::Quantity::Duration).unwrap();
        let mut on = LinkDelay::new(1, "net/x", Some(&c));
        assert!(on.is_on());
        assert_eq!(on.one_way(), sim::SimDuration::from_millis(3));
        assert_eq!(on.round_trip(), sim::SimDuration::from_millis(6));
        let e = sim::Dist::parse("exp(5ms)", sim::Quantity::Duration).unwrap();
        let (mut a, mut b) = (
            LinkDelay::new(7, "net/y", Some(&e)),
            LinkDelay::new(7, "net/y", Some(&e)),
        );
        let da: Vec<_> = (0..5).map(|_| a.one_way()).collect();
        let db: Vec<_> = (0..5).map(|_| b.one_way()).collect();
        assert_eq!(da, db);
        assert!(da.iter().any(|d| *d != da[0]), "exp draws vary");
    }

    /// Goal: the four decisions, the mode names, and a down far side hangs whatever the link.
    /// Method: every link state, up and down; every name and alias.
    #[test]
    fn decisions() {
        assert_eq!(Link::Up.call(), Call::Reach);
        assert_eq!(Link::partitioned(true, CutMode::Drop).call(), Call::Reject);
        assert_eq!(
            Link::partitioned(true, CutMode::Blackhole).call(),
            Call::Hang
        );
        assert_eq!(Link::partitioned(true, CutMode::Delay).call(), Call::Hold);
        assert_eq!(Link::partitioned(false, CutMode::Drop), Link::Up);
        for (n, m) in [
            ("blackhole", CutMode::Blackhole),
            ("timeout", CutMode::Blackhole),
            ("drop", CutMode::Drop),
            ("reject", CutMode::Drop),
            ("delay", CutMode::Delay),
        ] {
            assert_eq!(CutMode::parse(n), Some(m));
            assert_eq!(CutMode::parse(m.name()), Some(m));
        }
        assert_eq!(CutMode::parse("slow"), None);
        for l in [
            Link::Up,
            Link::Cut {
                mode: CutMode::Drop,
            },
            Link::Cut {
                mode: CutMode::Delay,
            },
        ] {
            assert_eq!(l.unless_down(false).call(), Call::Hang);
            assert_eq!(l.unless_down(true), l);
        }
    }
}
