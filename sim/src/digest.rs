//! The trace digest: a running 64-bit hash over every processed event.
//!
//! Each event contributes its time, a kind code and its key fields (ids, attempt numbers)
//! as `u64` words. The hash is our own code (a multiply–xorshift mixer in the style of
//! SplitMix64/wyhash), so its output is fixed forever by this file: no dependency and no
//! version of `std` can change it. It is a determinism fingerprint, not a cryptographic hash.
//!
//! Changing [`Digest::write_u64`] or [`Digest::finish`] changes every golden digest; do it
//! only on purpose and re-bless the goldens with a note in the commit.

/// Running digest state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    state: u64,
    words: u64,
}

const SEED: u64 = 0x7465_6e61_6e74_7369; // "tenantsi"
const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xBF58_476D_1CE4_E5B9;
const K3: u64 = 0x94D0_49BB_1331_11EB;

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

/// SplitMix64's finaliser: a bijective mixer with full avalanche.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(K2);
    z = (z ^ (z >> 27)).wrapping_mul(K3);
    z ^ (z >> 31)
}

impl Digest {
    /// A fresh digest.
    pub const fn new() -> Self {
        Digest {
            state: SEED,
            words: 0,
        }
    }

    /// Absorbs one word.
    #[inline]
    pub fn write_u64(&mut self, w: u64) {
        self.state = (self.state ^ mix64(w.wrapping_add(K1)))
            .rotate_left(23)
            .wrapping_mul(K1);
        self.words += 1;
    }

    /// Absorbs a byte string (length-prefixed, so `"ab","c"` differs from `"a","bc"`).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.write_u64(bytes.len() as u64);
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    /// The digest value so far (does not reset the state).
    pub fn finish(&self) -> u64 {
        mix64(self.state ^ self.words.wrapping_mul(K2))
    }

    /// The digest as 16 lowercase hex digits, the form printed and stored.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_are_fixed() {
        // Golden values: if these change, every recorded digest in the world is invalid.
        let mut d = Digest::new();
        assert_eq!(d.hex(), KAT_EMPTY);
        d.write_u64(1);
        d.write_u64(2);
        assert_eq!(d.hex(), KAT_1_2);
        let a = d.finish();
        let mut e = Digest::new();
        e.write_u64(2);
        e.write_u64(1);
        assert_ne!(a, e.finish(), "order matters");
        let mut f = Digest::new();
        f.write_bytes(b"ab");
        f.write_bytes(b"c");
        let mut g = Digest::new();
        g.write_bytes(b"a");
        g.write_bytes(b"bc");
        assert_ne!(f.finish(), g.finish());
    }
    const KAT_EMPTY: &str = "a5e3d32fe2214c5e";
    const KAT_1_2: &str = "28a0a39440571dc5";
}
