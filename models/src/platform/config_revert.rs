//! A `config_push` fault lasts its window: at its start the control plane publishes the new
//! limits, at its end it publishes the limits the tenant had before (issue 13, item 8: the
//! end of the window once changed nothing).
//!
//! **Guarantees.** The revert restores only what the push set (a push of `burst` alone
//! leaves the rate limit to whatever else changed it) and is published like the push
//! (`urgent` or not) through the control plane, so it waits out an outage like any config
//! change. A revert that runs before its push (the window ended while the push's call was
//! still queued) cancels the push: the tenant never sees the change. Nothing here draws a
//! random number except the publish itself, and nothing runs for scenarios without a
//! `config_push`.

use super::{Ev, Platform};
use crate::fault::FaultKind;
use sim::{EventQueue, SimTime};

impl Platform {
    /// Before fault `f` changes tenant `t`'s config: records the limits it replaces; `false`
    /// when the fault's revert already ran (the push must not happen).
    pub(super) fn config_push_saved(&mut self, f: u32, t: u32) -> bool {
        if let Some(k) = self.ctl.config_reverted_early.iter().position(|&x| x == f) {
            self.ctl.config_reverted_early.swap_remove(k);
            return false;
        }
        let (rate, burst, _) = self.ctl.configs.limits(t);
        self.ctl.config_saved.push((f, rate, burst));
        true
    }

    /// The window of `config_push` fault `f` ended: publish the limits it replaced.
    pub(super) fn revert_config_fault(&mut self, now: SimTime, f: u32, q: &mut EventQueue<Ev>) {
        let FaultKind::ConfigPush {
            rate_limit,
            burst,
            urgent,
            ..
        } = self.faults[f as usize].kind.clone()
        else {
            return;
        };
        let Some(t) = self.faults[f as usize].tenant else {
            return;
        };
        let Some(k) = self.ctl.config_saved.iter().position(|x| x.0 == f) else {
            self.ctl.config_reverted_early.push(f);
            return;
        };
        let (_, rate0, burst0) = self.ctl.config_saved.remove(k);
        let c = self.ctl.configs.limits_mut(t);
        if rate_limit.is_some() {
            c.0 = rate0;
        }
        if burst.is_some() {
            c.1 = burst0;
        }
        self.trace_tenant(now, t, "config_reverted", || vec![("fault", f.into())]);
        self.publish_config(now, t, urgent, q);
    }
}
