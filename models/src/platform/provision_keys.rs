//! A new tenant needs its data key: the cell that creates a tenant asks the KMS to create
//! the tenant's data key (envelope encryption, `kms.rs`) as the last step of provisioning.
//!
//! ```text
//!  TenantCreated (control plane up, its cell up):
//!    the tenant's KMS key disabled          ─▶ provision_failed (cause `failed`)
//!    the KMS down, or the cell's link to it cut ─▶ provision_failed (cause `failed`)
//!    otherwise                              ─▶ active
//! ```
//!
//! A failed provisioning is rescued by the reconciler, if on (`reconcile.rs`): its retry's
//! action names the cause (`…; KMS key disabled`).
//!
//! **Cost.** One check per provisioning, off the request path; it draws nothing and
//! schedules nothing, so runs without provisioning are unchanged.

use super::kms::KmsRt;
use super::Platform;
use crate::component::link::Call;

impl KmsRt {
    /// Why `cell` cannot create the data key of tenant `t` now (`None`: it can): the key
    /// disabled, or the KMS down or cut off from the cell (in any partition mode).
    pub fn provision_problem(&self, t: u32, cell: u32) -> Option<&'static str> {
        if !self.enabled[t as usize] {
            Some("KMS key disabled")
        } else if !self.up || self.cut[cell as usize].call() != Call::Reach {
            Some("KMS unreachable")
        } else {
            None
        }
    }
}

impl Platform {
    /// Why `cell` cannot create the data key of tenant `t` now (`None`: it can).
    pub(super) fn provision_key_problem(&self, t: u32, cell: u32) -> Option<&'static str> {
        self.kms.provision_problem(t, cell)
    }
}
