//! Versioned tenant config, owned by the control plane: the authoritative limits of each
//! tenant, its config version, and the version the edge holds.
//!
//! A [`ConfigStore`] decides; it schedules nothing. [`ConfigStore::publish`] makes a new
//! version (the platform pushes it after the push delay), [`ConfigStore::deliver`] decides
//! whether a version that reaches the edge is news (and returns the limits to apply), and
//! [`ConfigStore::missing`] says which version a poll would fetch.
//!
//! Guarantees: versions of a tenant only grow; the edge's version never goes back, so a
//! late or repeated push of an older version is ignored; the edge applies the limits that
//! are authoritative when the version reaches it. Built from a plain list of limits, no
//! scenario needed.

/// A tenant's config: (rate limit per s, burst, suspended).
pub type Limits = (Option<f64>, u32, bool);

/// The control plane's configs and the edge's versions of them.
pub struct ConfigStore {
    /// Authoritative limits per tenant.
    limits: Vec<Limits>,
    /// Authoritative config version per tenant (0: never published).
    version: Vec<u32>,
    /// The version the edge holds per tenant.
    edge_version: Vec<u32>,
}

impl ConfigStore {
    /// Configs at version 0 (the edge starts with them) for tenants `0..`.
    pub fn new(limits: Vec<Limits>) -> ConfigStore {
        let n = limits.len();
        ConfigStore {
            limits,
            version: vec![0; n],
            edge_version: vec![0; n],
        }
    }

    /// Every tenant's authoritative limits.
    pub fn all(&self) -> &[Limits] {
        &self.limits
    }

    /// Tenant `t`'s authoritative limits.
    pub fn limits(&self, t: u32) -> Limits {
        self.limits[t as usize]
    }

    /// Tenant `t`'s authoritative limits, to change before publishing them.
    pub fn limits_mut(&mut self, t: u32) -> &mut Limits {
        &mut self.limits[t as usize]
    }

    /// Tenant `t`'s authoritative config version.
    pub fn version(&self, t: u32) -> u32 {
        self.version[t as usize]
    }

    /// Tenants `0..` (every tenant the store knows).
    pub fn tenants(&self) -> u32 {
        self.version.len() as u32
    }

    /// Publishes a new version of `t`'s config: the version to push.
    pub fn publish(&mut self, t: u32) -> u32 {
        self.version[t as usize] += 1;
        self.version[t as usize]
    }

    /// The version a poll of `t` would fetch: the authoritative one, if the edge is behind.
    pub fn missing(&self, t: u32) -> Option<u32> {
        let v = self.version[t as usize];
        (self.edge_version[t as usize] < v).then_some(v)
    }

    /// Version `version` of `t`'s config reaches the edge: the limits to apply, or `None`
    /// when the edge already holds it or a newer one.
    pub fn deliver(&mut self, t: u32, version: u32) -> Option<Limits> {
        if self.edge_version[t as usize] >= version {
            return None;
        }
        self.edge_version[t as usize] = version;
        Some(self.limits[t as usize])
    }
}

#[cfg(test)]
mod tests {
    //! Goal: the config store on its own: a published version reaches the edge only when
    //! delivered (the push delay is the platform's event), old or repeated pushes are
    //! ignored, and a poll fetches exactly what the edge misses. Method: a store of two
    //! tenants built from plain limits, driven by hand.

    use super::*;

    fn store() -> ConfigStore {
        ConfigStore::new(vec![(Some(10.0), 5, false), (None, 1, false)])
    }

    #[test]
    fn a_published_version_reaches_the_edge_only_when_delivered() {
        let mut s = store();
        assert_eq!(s.missing(0), None);
        s.limits_mut(0).0 = Some(2.0);
        let v = s.publish(0);
        assert_eq!(v, 1);
        // Published, not yet pushed: the edge misses it (a poll would fetch it).
        assert_eq!(s.missing(0), Some(1));
        assert_eq!(s.deliver(0, v), Some((Some(2.0), 5, false)));
        assert_eq!(s.missing(0), None);
        assert_eq!(s.missing(1), None, "the other tenant is untouched");
    }

    #[test]
    fn a_late_or_repeated_push_is_ignored() {
        let mut s = store();
        let v1 = s.publish(1);
        s.limits_mut(1).2 = true;
        let v2 = s.publish(1);
        assert_eq!(s.deliver(1, v2), Some((None, 1, true)));
        assert_eq!(s.deliver(1, v1), None, "older version after a newer one");
        assert_eq!(s.deliver(1, v2), None, "the same version twice");
        assert_eq!(s.version(1), 2);
    }

    #[test]
    fn the_edge_applies_the_limits_authoritative_when_the_version_arrives() {
        let mut s = store();
        let v = s.publish(0);
        s.limits_mut(0).1 = 99; // changed after publishing, before the push arrives
        assert_eq!(s.deliver(0, v), Some((Some(10.0), 99, false)));
    }
}
