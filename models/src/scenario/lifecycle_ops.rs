//! Settings of the operator's lifecycle operations on tenants (`suspend`, `resume`,
//! `destroy`, `restore` on the fault timeline): `[control_plane.lifecycle]` as written
//! ([`LifecycleConfig`]) and checked ([`LifecycleSettings`]).
//!
//! Guarantees: every key has a default, so a scenario may use the operations without the
//! table; an impossible setting is an error at its position (a restore rate of zero, which
//! would never finish). The settings cost nothing unless a lifecycle operation is on the
//! timeline: the platform allocates its per-tenant records at the first operation.

use super::values::{BytesDist, Dur};
use super::Checker;
use serde::Deserialize;
use sim::SimDuration;
use toml::Spanned;

/// `[control_plane.lifecycle]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// How long a destroyed tenant's backup is kept (default `"0s"`): while it is, the
    /// tenant is `destroy_pending` and a `restore` can bring it back; at its end the backup
    /// and the tenant's data key are deleted and the tenant is `destroyed`.
    pub retention: Option<Spanned<Dur>>,
    /// Bytes per second a `restore` copies from the backup into its new cell's DB (default
    /// `"50MB"`): the restore takes `provision_time` + data_size / this.
    pub restore_rate: Option<Spanned<BytesDist>>,
}

/// Checked lifecycle settings (defaults when the table is absent).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifecycleSettings {
    /// Backup retention after a destroy.
    pub retention: SimDuration,
    /// Restore throughput, bytes per second (> 0).
    pub restore_rate: f64,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        LifecycleSettings {
            retention: SimDuration::ZERO,
            restore_rate: 50e6,
        }
    }
}

/// Checks `[control_plane.lifecycle]`; the defaults when it is absent.
pub(super) fn check(c: &mut Checker, r: &Option<LifecycleConfig>) -> LifecycleSettings {
    let mut s = LifecycleSettings::default();
    let Some(r) = r else {
        return s;
    };
    if let Some(d) = &r.retention {
        s.retention = d.get_ref().0;
    }
    if let Some(rate) = &r.restore_rate {
        let v = rate.get_ref().0.mean().unwrap_or(0.0);
        if v > 0.0 && v.is_finite() {
            s.restore_rate = v;
        } else {
            c.err(
                rate.span(),
                format!("control_plane.lifecycle.restore_rate is {v} bytes per second; a restore must make progress: use e.g. \"50MB\""),
            );
        }
    }
    s
}
