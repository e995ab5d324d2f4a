//! `amap_extend`: grow an amap so that its single aref covers more pages,
//! forwards (after the aref) or backwards (before it).
//!
//! As in NetBSD the amap must have exactly one reference (an amap shared
//! by several entries cannot be resized under them), and the aref is given
//! by its slot offset and length. The cases:
//!
//! Forwards (`need = offset + len + more` slots):
//! - [`ExtendOutcome::Covered`]: `need <= nslot` (the slots after the aref
//!   exist but are unreferenced, e.g. after a partial unmap): only per-page
//!   counts are set.
//! - [`ExtendOutcome::Grew`]: `need <= maxslot`: `nslot` grows into the
//!   padding.
//! - [`ExtendOutcome::Reallocated`]: bigger arrays, same slot numbers.
//!
//! Backwards (`more` slots before `offset`):
//! 1. [`ExtendOutcome::AdjustedOffset`]: `offset >= more`: the slots exist,
//!    just lower the offset (no data movement).
//! 2. [`ExtendOutcome::SlidSlots`]: the arrays have room for `len + more`
//!    slots (i.e. `maxslot - nslot >= more - offset` when the aref ends at
//!    `nslot`; unreferenced slots after the aref count as room too): slide
//!    the aref's slots to the end of the arrays, `nslot = maxslot`, and the
//!    new offset is what is left in front (NetBSD slides to the very end so
//!    that the next backwards extensions hit case 1).
//! 3. [`ExtendOutcome::Reallocated`]: bigger arrays with the padding in
//!    front; the aref's slots are copied to the end, `nslot = maxslot`.
//!
//! Slots in front of the new offset are left unreferenced (count 0, or
//! `lead` when there is no `ppref`). Every failure leaves the amap exactly
//! as it was: new arrays are allocated before anything is modified.

use core::fmt;

use crate::amap::{Amap, Arrays, MAX_SLOTS};
use crate::error::AmapError;

/// Minimum padding added when an extension reallocates.
const EXTEND_PAD_MIN: usize = 4;
/// Maximum padding added when an extension reallocates.
const EXTEND_PAD_MAX: usize = 1024;

/// Which side of the aref [`Amap::extend`] grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// After the aref's last slot (`AMAP_EXTEND_FORWARDS`).
    Forward,
    /// Before the aref's first slot (`AMAP_EXTEND_BACKWARDS`).
    Backward,
}

/// Which case of [`Amap::extend`] ran, with the aref's new slot offset.
///
/// Forward extensions never move slots, so their `new_offset` is the old
/// one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtendOutcome {
    /// Forward: the slots already existed; only per-page counts changed.
    Covered {
        /// The aref's slot offset (unchanged).
        new_offset: usize,
    },
    /// Forward: `nslot` grew within `maxslot`.
    Grew {
        /// The aref's slot offset (unchanged).
        new_offset: usize,
    },
    /// Backward case 1: the offset was lowered, nothing moved.
    AdjustedOffset {
        /// The aref's new slot offset.
        new_offset: usize,
    },
    /// Backward case 2: the slots slid towards the end of the arrays.
    SlidSlots {
        /// The aref's new slot offset.
        new_offset: usize,
    },
    /// Case 3 (either direction): the arrays were reallocated bigger.
    Reallocated {
        /// The aref's new slot offset.
        new_offset: usize,
    },
}

impl ExtendOutcome {
    /// The aref's slot offset after the extension.
    pub fn new_offset(self) -> usize {
        match self {
            ExtendOutcome::Covered { new_offset }
            | ExtendOutcome::Grew { new_offset }
            | ExtendOutcome::AdjustedOffset { new_offset }
            | ExtendOutcome::SlidSlots { new_offset }
            | ExtendOutcome::Reallocated { new_offset } => new_offset,
        }
    }
}

/// Capacity chosen when an extension needing `need` slots reallocates:
/// half again as much padding, within `[EXTEND_PAD_MIN, EXTEND_PAD_MAX]`.
fn grown_capacity(need: usize) -> usize {
    need.saturating_add((need / 2).clamp(EXTEND_PAD_MIN, EXTEND_PAD_MAX))
        .min(MAX_SLOTS)
}

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// Extend the amap so that the aref `[slot_offset, slot_offset + len)`
    /// covers `more` more slots, after it (`Forward`) or before it
    /// (`Backward`). Returns the case that ran and the aref's new slot offset
    /// (see the module documentation). The pages gained get a count of 1;
    /// `ppref` (if present) is moved and extended consistently.
    ///
    /// There is no NOWAIT flag: every allocation failure is `Err(NoMem)` and
    /// leaves the amap exactly as it was, so the caller decides whether to
    /// wait and retry or give up.
    ///
    /// Errors: `Inval` if `refs != 1`, `more == 0`, the aref is empty or out
    /// of bounds, or it is not consistent with the amap's counts (without
    /// `ppref` it must be the referenced window `[lead, nslot)`; the pages
    /// it gains, and for a slide or reallocation every page outside it,
    /// must be unreferenced); `NoMem`.
    pub fn extend(
        &mut self,
        slot_offset: usize,
        len: usize,
        more: usize,
        dir: Direction,
    ) -> Result<ExtendOutcome, AmapError> {
        if self.refs != 1 || more == 0 {
            return Err(AmapError::Inval);
        }
        let end = self.range(slot_offset, len)?;
        if self.ppref.is_none() && (slot_offset != self.lead || end != self.nslot) {
            return Err(AmapError::Inval);
        }
        match dir {
            Direction::Forward => self.extend_forward(slot_offset, end, more),
            Direction::Backward => self.extend_backward(slot_offset, end, more),
        }
    }

    fn extend_forward(
        &mut self,
        off: usize,
        end: usize,
        more: usize,
    ) -> Result<ExtendOutcome, AmapError> {
        let need = end
            .checked_add(more)
            .filter(|&n| n <= MAX_SLOTS)
            .ok_or(AmapError::NoMem)?;
        if let Some(pp) = &self.ppref
            && pp[end..need.min(self.nslot)].iter().any(|&c| c != 0)
        {
            return Err(AmapError::Inval);
        }
        let outcome = if need <= self.nslot {
            ExtendOutcome::Covered { new_offset: off }
        } else if need <= self.maxslot {
            ExtendOutcome::Grew { new_offset: off }
        } else {
            let (arrays, cap) = self.alloc_grown(need)?;
            self.move_into(arrays, cap, 0, self.nslot, 0);
            ExtendOutcome::Reallocated { new_offset: off }
        };
        self.nslot = self.nslot.max(need);
        if let Some(pp) = &mut self.ppref {
            // [end, need) was unreferenced (checked above, or beyond the old
            // nslot where counts are always 0).
            pp[end..need].fill(1);
        }
        Ok(outcome)
    }

    fn extend_backward(
        &mut self,
        off: usize,
        end: usize,
        more: usize,
    ) -> Result<ExtendOutcome, AmapError> {
        // Case 1: enough slots in front of the aref.
        if off >= more {
            let new_offset = off - more;
            match &mut self.ppref {
                Some(pp) => {
                    if pp[new_offset..off].iter().any(|&c| c != 0) {
                        return Err(AmapError::Inval);
                    }
                    pp[new_offset..off].fill(1);
                }
                None => self.lead = new_offset,
            }
            return Ok(ExtendOutcome::AdjustedOffset { new_offset });
        }

        let len = end - off;
        let need = len
            .checked_add(more)
            .filter(|&n| n <= MAX_SLOTS)
            .ok_or(AmapError::NoMem)?;
        // Only the aref's slots move: everything else must be unreferenced,
        // hence empty.
        if self.slots[..self.nused]
            .iter()
            .any(|&s| !(off..end).contains(&(s as usize)))
        {
            return Err(AmapError::Inval);
        }
        if let Some(pp) = &self.ppref
            && pp[..off]
                .iter()
                .chain(&pp[end..self.nslot])
                .any(|&c| c != 0)
        {
            return Err(AmapError::Inval);
        }

        let (cap, slid) = if need <= self.maxslot {
            // Case 2: slide the aref's slots to the end of the arrays.
            let cap = self.maxslot;
            let dst = cap - len; // >= more > off: the slots move up
            self.anons.copy_within(off..end, dst);
            self.anons[..dst].fill(None);
            if let Some(pp) = &mut self.ppref {
                pp.copy_within(off..end, dst);
                pp[..dst].fill(0);
            }
            let shift = (dst - off) as u32;
            for k in 0..self.nused {
                let slot = self.slots[k] + shift;
                self.slots[k] = slot;
                self.bckptr[slot as usize] = k as u32;
            }
            (cap, true)
        } else {
            // Case 3: reallocate, padding in front.
            let (arrays, cap) = self.alloc_grown(need)?;
            self.move_into(arrays, cap, off, len, cap - len);
            (cap, false)
        };
        let new_offset = cap - need;
        self.nslot = cap;
        match &mut self.ppref {
            Some(pp) => pp[new_offset..cap - len].fill(1),
            None => self.lead = new_offset,
        }
        Ok(if slid {
            ExtendOutcome::SlidSlots { new_offset }
        } else {
            ExtendOutcome::Reallocated { new_offset }
        })
    }

    /// Allocate arrays for at least `need` slots: padded if possible, else
    /// exactly `need`. Returns the arrays and their capacity.
    fn alloc_grown(&self, need: usize) -> Result<(Arrays<A>, usize), AmapError> {
        let with_ppref = self.ppref.is_some();
        let padded = grown_capacity(need);
        if padded > need
            && let Ok(arrays) = self.alloc_arrays(padded, with_ppref)
        {
            return Ok((arrays, padded));
        }
        Ok((self.alloc_arrays(need, with_ppref)?, need))
    }

    /// Copy slots `[src, src + n)` (which hold every used slot) to
    /// `[dst, dst + n)` of the fresh `arrays`, then install them.
    fn move_into(&mut self, mut arrays: Arrays<A>, cap: usize, src: usize, n: usize, dst: usize) {
        arrays.anons[dst..dst + n].copy_from_slice(&self.anons[src..src + n]);
        for k in 0..self.nused {
            let slot = self.slots[k] as usize - src + dst;
            arrays.slots[k] = slot as u32;
            arrays.bckptr[slot] = k as u32;
        }
        if let (Some(new), Some(old)) = (&mut arrays.ppref, &self.ppref) {
            new[dst..dst + n].copy_from_slice(&old[src..src + n]);
        }
        self.install(arrays, cap);
    }
}
