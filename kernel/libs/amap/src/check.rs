//! Consistency check of an amap's internal state, for tests and debug
//! assertions in the kernel.

use core::fmt;

use crate::amap::{Amap, MAX_SLOTS};

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// Verify every structural invariant; O(maxslot).
    ///
    /// - every array is `maxslot` long, `nused <= nslot <= maxslot <= MAX_SLOTS`;
    /// - `slots[bckptr[x]] == x` for each used slot `x`, each listed slot
    ///   holds an anon and lies below `nslot`, and the number of non-empty
    ///   slots is `nused` (so nothing is stored beyond `nslot` and the list
    ///   has no duplicates);
    /// - with `ppref`: no count exceeds `refs`, counts beyond `nslot` are 0,
    ///   every used slot has a count > 0 (an anon whose page count drops to
    ///   0 is removed), `lead == 0`;
    /// - without `ppref`: `lead <= nslot` and the unreferenced front
    ///   `[0, lead)` holds no anon;
    /// - a dead amap (`refs == 0`) holds no anon;
    /// - the allocation limit (test hook), if armed, is respected.
    ///
    /// (`ppref` is a flat array of counts, so there is no run encoding to
    /// validate.)
    pub fn check(&self) -> Result<(), &'static str> {
        let max = self.maxslot;
        if self.anons.len() != max || self.slots.len() != max || self.bckptr.len() != max {
            return Err("array length differs from maxslot");
        }
        if max > MAX_SLOTS {
            return Err("maxslot exceeds MAX_SLOTS");
        }
        if self.nslot > max {
            return Err("nslot exceeds maxslot");
        }
        if self.nused > self.nslot {
            return Err("nused exceeds nslot");
        }
        for (k, &slot) in self.slots[..self.nused].iter().enumerate() {
            let slot = slot as usize;
            if slot >= self.nslot {
                return Err("used slot beyond nslot");
            }
            if self.anons[slot].is_none() {
                return Err("slot list names an empty slot");
            }
            if self.bckptr[slot] as usize != k {
                return Err("bckptr does not point back into the slot list");
            }
        }
        if self.anons.iter().filter(|a| a.is_some()).count() != self.nused {
            return Err("nused differs from the number of occupied slots");
        }
        match &self.ppref {
            Some(pp) => {
                if pp.len() != max {
                    return Err("ppref length differs from maxslot");
                }
                if self.lead != 0 {
                    return Err("lead set while ppref exists");
                }
                for (slot, &count) in pp.iter().enumerate() {
                    if count > self.refs {
                        return Err("page reference count exceeds refs");
                    }
                    if slot >= self.nslot && count != 0 {
                        return Err("page reference count beyond nslot");
                    }
                    if count == 0 && self.anons[slot].is_some() {
                        return Err("anon in a page with no references");
                    }
                }
            }
            None => {
                if self.lead > self.nslot {
                    return Err("lead exceeds nslot");
                }
                if self.anons[..self.lead].iter().any(Option::is_some) {
                    return Err("anon in the unreferenced front padding");
                }
            }
        }
        if self.refs == 0 && self.nused != 0 {
            return Err("dead amap still holds anons");
        }
        if let Some(limit) = self.limit
            && self.held_elements() > limit
        {
            return Err("allocation limit exceeded");
        }
        Ok(())
    }
}
