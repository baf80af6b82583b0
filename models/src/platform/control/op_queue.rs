//! The control plane's operation queue: work that waits while the control plane is down.
//!
//! Every control-plane operation (provisioning, a config change, a suspension, a migration,
//! a lifecycle operation, a repair) is offered to the [`OpQueue`] with the control plane's
//! state. [`OpQueue::offer`] decides: go now (the platform makes the call, which takes the
//! control plane's latency) or wait. [`OpQueue::recovered`] hands back the waiting work when
//! the control plane answers again.
//!
//! Guarantees: nothing offered is lost or duplicated; waiting operations come back in the
//! order they were offered. (The reconciler's concurrency slots and backoff are its own:
//! `reconcile.rs`, [`crate::platform::reconcile::Reconciler`].)

use super::CpOp;

/// What the control plane does with an operation offered to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Make the call now.
    Run,
    /// Queued until the control plane recovers.
    Wait,
}

/// Operations waiting for the control plane.
#[derive(Default)]
pub struct OpQueue {
    backlog: Vec<CpOp>,
}

impl OpQueue {
    /// Offers `op` to a control plane that is `up` (or not).
    pub fn offer(&mut self, up: bool, op: CpOp) -> Offer {
        if up {
            Offer::Run
        } else {
            self.backlog.push(op);
            Offer::Wait
        }
    }

    /// The control plane answers again: the waiting operations, oldest first.
    pub fn recovered(&mut self) -> Vec<CpOp> {
        std::mem::take(&mut self.backlog)
    }

    /// Operations waiting.
    pub fn waiting(&self) -> usize {
        self.backlog.len()
    }
}

#[cfg(test)]
mod tests {
    //! Goal: work offered while the control plane is down waits and comes back once, in
    //! order; work offered while it is up runs at once. Method: an empty queue driven by
    //! hand through an outage.

    use super::*;

    #[test]
    fn work_waits_during_an_outage_and_comes_back_once_in_order() {
        let mut q = OpQueue::default();
        assert_eq!(q.offer(true, CpOp::Provision(1)), Offer::Run);
        assert_eq!(q.waiting(), 0);
        let down = [CpOp::Provision(2), CpOp::Suspend(7, true), CpOp::Repair(2)];
        for op in down {
            assert_eq!(q.offer(false, op), Offer::Wait);
        }
        assert_eq!(q.waiting(), 3);
        assert_eq!(q.recovered(), down.to_vec());
        assert!(q.recovered().is_empty(), "handed back once");
    }
}
