//! The tenant registry: each tenant's lifecycle state machine, owned by the control plane.
//!
//! A [`Registry`] holds every tenant's [`Lifecycle`] (none until the tenant is asked to be
//! provisioned) and a dense one-byte copy of its state that the edge reads on every request.
//! [`Registry::transition`] decides on a transition and returns the decision: the state the
//! tenant left, nothing when it was already there, or the [`IllegalTransition`] it refused
//! (the tenant's state is then unchanged). It records nothing else; the control plane logs
//! the transition and the platform traces it.
//!
//! Guarantees: the dense copy always equals the lifecycle's state after a successful
//! transition or a provisioning request; a refused transition changes neither. Built from a
//! plain list of which tenants exist at the start, no scenario needed.

use crate::component::lifecycle::{Cause, IllegalTransition, Lifecycle, TenantState};
use sim::SimTime;

/// What the registry says of a tenant that has none (the dense copy's "no state").
const NONE: u8 = u8::MAX;

/// Every tenant's lifecycle.
pub struct Registry {
    /// Lifecycle of each tenant (`None`: not yet asked to be provisioned).
    lifecycle: Vec<Option<Lifecycle>>,
    /// Each tenant's current state as one byte (`TenantState::index`, 255: none): a dense
    /// copy of `lifecycle` that the edge reads on every request (12 KB at 12,000 tenants,
    /// so it stays in cache).
    state_byte: Vec<u8>,
}

impl Registry {
    /// The registry at the start of a run: each tenant that `exists` is `Active` since
    /// time zero; the others have no state until asked to be provisioned.
    pub fn new(exists: impl IntoIterator<Item = bool>) -> Registry {
        let (lifecycle, state_byte) = exists
            .into_iter()
            .map(|e| {
                if e {
                    let lc = Lifecycle::new(TenantState::Active, SimTime::ZERO);
                    (Some(lc), TenantState::Active.index() as u8)
                } else {
                    (None, NONE)
                }
            })
            .unzip();
        Registry {
            lifecycle,
            state_byte,
        }
    }

    /// Tenant `t` has a lifecycle (it exists or was asked to be provisioned).
    pub fn known(&self, t: u32) -> bool {
        self.lifecycle[t as usize].is_some()
    }

    /// The tenant's state, from the dense copy (the hot path).
    #[inline]
    pub fn state_fast(&self, t: u32) -> Option<TenantState> {
        TenantState::ALL
            .get(self.state_byte[t as usize] as usize)
            .copied()
    }

    /// The tenant's state (tenants not yet asked to be provisioned have none).
    pub fn state(&self, t: u32) -> Option<TenantState> {
        self.lifecycle[t as usize].as_ref().map(|l| l.state())
    }

    /// Tenant `t` asked to be provisioned at `now`: it starts over as `ProvisionPending`.
    pub fn requested(&mut self, now: SimTime, t: u32) {
        self.lifecycle[t as usize] = Some(Lifecycle::new(TenantState::ProvisionPending, now));
        self.state_byte[t as usize] = TenantState::ProvisionPending.index() as u8;
    }

    /// Decides on moving `t` to `to` at `now`: `Ok(Some(from))` when it moved,
    /// `Ok(None)` when it already was in `to`, `Err` when the state machine refuses (the
    /// state is unchanged). A tenant without a lifecycle first gets one, `ProvisionPending`
    /// since `now`.
    pub fn transition(
        &mut self,
        now: SimTime,
        t: u32,
        to: TenantState,
        cause: Cause,
    ) -> Result<Option<TenantState>, IllegalTransition> {
        let lc = self.lifecycle[t as usize]
            .get_or_insert_with(|| Lifecycle::new(TenantState::ProvisionPending, now));
        let from = lc.state();
        if from == to {
            return Ok(None);
        }
        lc.transition(now, to, cause)?;
        self.state_byte[t as usize] = to.index() as u8;
        Ok(Some(from))
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the registry is the lifecycle state machine on its own: legal transitions move
    //! the tenant and its dense copy, illegal ones are refused and change nothing, and a
    //! provisioning request starts a tenant over. Method: a registry of three tenants built
    //! from a plain list (no scenario), driven by hand.

    use super::*;

    fn registry() -> Registry {
        Registry::new([true, false, true])
    }

    #[test]
    fn starts_with_the_existing_tenants_active_and_the_others_unknown() {
        let r = registry();
        assert_eq!(r.state(0), Some(TenantState::Active));
        assert_eq!(r.state_fast(0), Some(TenantState::Active));
        assert!(!r.known(1));
        assert_eq!(r.state(1), None);
        assert_eq!(r.state_fast(1), None);
    }

    #[test]
    fn a_legal_transition_moves_the_tenant_and_its_dense_copy() {
        let mut r = registry();
        let at = SimTime(5);
        assert_eq!(
            r.transition(at, 0, TenantState::Dormant, Cause::Idle),
            Ok(Some(TenantState::Active))
        );
        assert_eq!(r.state(0), Some(TenantState::Dormant));
        assert_eq!(r.state_fast(0), Some(TenantState::Dormant));
        // Already there: no transition.
        assert_eq!(
            r.transition(at, 0, TenantState::Dormant, Cause::Idle),
            Ok(None)
        );
        // The other tenants are untouched.
        assert_eq!(r.state_fast(2), Some(TenantState::Active));
    }

    #[test]
    fn an_illegal_transition_is_refused_and_changes_nothing() {
        let mut r = registry();
        let e = r
            .transition(SimTime(7), 0, TenantState::Destroyed, Cause::Other)
            .unwrap_err();
        assert_eq!(
            (e.from, e.to),
            (TenantState::Active, TenantState::Destroyed)
        );
        assert_eq!(r.state(0), Some(TenantState::Active));
        assert_eq!(r.state_fast(0), Some(TenantState::Active));
    }

    #[test]
    fn a_provisioning_request_starts_the_tenant_pending_then_it_can_activate() {
        let mut r = registry();
        r.requested(SimTime(3), 1);
        assert!(r.known(1));
        assert_eq!(r.state_fast(1), Some(TenantState::ProvisionPending));
        assert_eq!(
            r.transition(SimTime(9), 1, TenantState::Active, Cause::Completed),
            Ok(Some(TenantState::ProvisionPending))
        );
        assert_eq!(r.state_fast(1), Some(TenantState::Active));
    }
}
