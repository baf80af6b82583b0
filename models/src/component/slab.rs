//! A slab of live objects (requests, attempts) addressed by generation-checked ids.
//!
//! Slots are reused through a free list, so inserting and removing allocate nothing once
//! the slab has reached its working size. An [`Id`] packs the slot and a generation; an id
//! whose object was removed no longer resolves, even after its slot is reused — this is how
//! late events (a response for a request that already timed out) are recognised as stale.

/// A generation-checked handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Id {
    /// Slot index.
    pub slot: u32,
    /// Generation of the slot when the object was inserted.
    pub gen: u32,
}

impl Id {
    /// The id as one word (for the digest).
    pub fn word(self) -> u64 {
        ((self.gen as u64) << 32) | self.slot as u64
    }

    /// The id packed by [`Id::word`].
    pub fn from_word(w: u64) -> Id {
        Id {
            slot: w as u32,
            gen: (w >> 32) as u32,
        }
    }
}

struct Slot<T> {
    gen: u32,
    value: Option<T>,
}

/// The slab.
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<T> Slab<T> {
    /// An empty slab with room for `n` objects.
    pub fn with_capacity(n: usize) -> Self {
        Slab {
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            live: 0,
        }
    }

    /// Inserts `value` and returns its id.
    #[inline]
    pub fn insert(&mut self, value: T) -> Id {
        self.live += 1;
        if let Some(slot) = self.free.pop() {
            let s = &mut self.slots[slot as usize];
            debug_assert!(s.value.is_none());
            s.value = Some(value);
            return Id { slot, gen: s.gen };
        }
        let slot = u32::try_from(self.slots.len()).expect("more than 4 billion live objects");
        self.slots.push(Slot {
            gen: 0,
            value: Some(value),
        });
        Id { slot, gen: 0 }
    }

    /// The object behind `id`, if it is still live.
    #[inline]
    pub fn get(&self, id: Id) -> Option<&T> {
        match self.slots.get(id.slot as usize) {
            Some(s) if s.gen == id.gen => s.value.as_ref(),
            _ => None,
        }
    }

    /// Mutable access to the object behind `id`, if live.
    #[inline]
    pub fn get_mut(&mut self, id: Id) -> Option<&mut T> {
        match self.slots.get_mut(id.slot as usize) {
            Some(s) if s.gen == id.gen => s.value.as_mut(),
            _ => None,
        }
    }

    /// Removes and returns the object behind `id`, if live.
    pub fn remove(&mut self, id: Id) -> Option<T> {
        let s = self.slots.get_mut(id.slot as usize)?;
        if s.gen != id.gen {
            return None;
        }
        let v = s.value.take()?;
        s.gen = s.gen.wrapping_add(1);
        self.free.push(id.slot);
        self.live -= 1;
        Some(v)
    }

    /// Number of live objects.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when nothing is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Live objects in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (Id, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.value.as_ref().map(|v| {
                (
                    Id {
                        slot: i as u32,
                        gen: s.gen,
                    },
                    v,
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_ids_do_not_resolve_after_reuse() {
        let mut s = Slab::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!(b.slot, a.slot);
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
    }
}
