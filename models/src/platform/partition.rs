//! # Calls held by a `delay` partition
//!
//! A call made across a link cut in `delay` mode ([`Call::Hold`](crate::component::link::Call))
//! is parked here, in the order it was made, and its caller keeps waiting (a worker, a DB
//! connection slot, an edge concurrency slot stay taken). When the partition ends, every call
//! held on the healed link is made again, in order, at that instant: the far side receives
//! the whole backlog at once. A call whose caller gave up meanwhile is still delivered (the
//! network does not know): an abandoned request's query still runs on the DB, which is the
//! wasted work that can feed a metastable failure. A call made again while another partition
//! still cuts its link is held again (or fails, in that partition's mode).
//!
//! Guarantee: nothing is held unless a `delay` partition is active (the list stays empty and
//! unallocated otherwise); calls still held at the end of the run are in flight, as for any
//! unfinished call.

use super::{Ev, Platform};
use crate::component::slab::Id;
use crate::fault::PartitionKind;
use sim::{EventQueue, SimTime};

/// One call waiting for its link to heal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct HeldCall {
    /// The link.
    kind: PartitionKind,
    /// The cell on the cell side (0 for edge ↔ control plane).
    cell: u32,
    /// The caller: an attempt or job id (`Id::word`), or a tenant for a route lookup.
    who: u64,
    /// A query's DB work (ns); 0 for other calls.
    work: u64,
}

impl Platform {
    /// Holds a call until its link heals.
    pub(super) fn hold_call(&mut self, kind: PartitionKind, cell: u32, who: u64, work: u64) {
        self.held.push(HeldCall {
            kind,
            cell,
            who,
            work,
        });
    }

    /// Calls waiting now (for reports and tests).
    pub fn held_calls(&self) -> usize {
        self.held.len()
    }

    /// A partition of `kind` on `cells` ended: make every call held on those links again,
    /// in the order they were made.
    pub(super) fn release_held(
        &mut self,
        now: SimTime,
        kind: PartitionKind,
        cells: &[u32],
        q: &mut EventQueue<Ev>,
    ) {
        if self.held.is_empty() {
            return;
        }
        let on_link = |h: &HeldCall| {
            h.kind == kind && (kind == PartitionKind::EdgeControlPlane || cells.contains(&h.cell))
        };
        let (due, keep): (Vec<HeldCall>, Vec<HeldCall>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(on_link);
        self.held = keep;
        for h in due {
            match h.kind {
                PartitionKind::CellDb => {
                    let att = Id::from_word(h.who);
                    let Some(a) = self.attempts.get(att) else {
                        continue;
                    };
                    let args = (
                        h.cell as usize,
                        h.work,
                        a.tenant,
                        self.classes[a.class as usize].writes,
                    );
                    self.call_db(now, att, args, q);
                }
                PartitionKind::EdgeCell => {
                    self.deliver_to_cell(now, Id::from_word(h.who), h.cell, q)
                }
                PartitionKind::CellKms => {
                    let att = Id::from_word(h.who);
                    if let Some(t) = self.attempts.get(att).map(|a| a.tenant) {
                        self.call_kms(att, h.cell as usize, t, q);
                    }
                }
                PartitionKind::CellObjectStorage => self.store_job(Id::from_word(h.who), q),
                PartitionKind::EdgeControlPlane => self.call_route(h.who as u32, q),
            }
        }
    }
}
