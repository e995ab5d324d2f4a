//! Reference counting: whole-amap references (`refs`), the lazily created
//! per-page counts (`ppref`), and the operations that change them:
//! `add_ref` (`amap_ref`), `remove_ref` (`amap_unref` + `amap_wipeout`),
//! `split_ref` (`amap_splitref`).
//!
//! `ppref` encoding: one plain `u32` count per slot (`maxslot` entries, 0
//! beyond `nslot`). NetBSD packs runs of equal counts (value at the run
//! start, negative length after it) to skip runs, but its range update still
//! walks from slot 0; a flat array makes a range update exactly O(pages in
//! range) with no run splitting or merging, for the same memory (one int per
//! slot). The array is only allocated when the first reference that does not
//! cover the whole referenced window arrives (a partial `add_ref`, or a
//! `split_ref`), exactly as NetBSD's `amap_pp_establish`.

use core::fmt;

use crate::amap::{Amap, try_filled};
use crate::error::AmapError;

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// Is `[slot, end)` the referenced window of a `ppref`-less amap?
    fn is_window(&self, slot: usize, end: usize) -> bool {
        slot == self.lead && end == self.nslot
    }

    /// Create `ppref` from the implicit counts: `[0, lead)` = 0,
    /// `[lead, nslot)` = `refs`, the padding 0. NoMem leaves self unchanged.
    fn establish_ppref(&mut self) -> Result<(), AmapError> {
        self.charge(self.maxslot)?;
        let mut pp = try_filled(self.maxslot, 0u32)?;
        pp[self.lead..self.nslot].fill(self.refs);
        self.ppref = Some(pp);
        self.lead = 0;
        Ok(())
    }

    /// Establish per-page reference counts now (if not there yet), so that
    /// later `split_ref` calls cannot fail: the kernel does this when an
    /// amap is created, because clipping a map entry must not fail halfway.
    /// NoMem leaves the amap unchanged.
    pub fn ensure_ppref(&mut self) -> Result<(), AmapError> {
        if self.ppref.is_some() {
            return Ok(());
        }
        self.establish_ppref()
    }

    /// A new aref to `[slot, slot + len)`: `refs += 1`, and if the range is
    /// partial, per-page counts `+= 1` over it.
    ///
    /// The reference is partial if `partial` is set or if it does not cover
    /// exactly the referenced window (the whole amap, minus any unreferenced
    /// front padding); a partial reference establishes `ppref` if it does
    /// not exist yet (NoMem possible, the amap is then unchanged). Once
    /// `ppref` exists every reference updates it.
    ///
    /// Errors: `Inval` for an empty or out-of-bounds range or a dead amap
    /// (`refs == 0`); `NoMem`.
    pub fn add_ref(&mut self, slot: usize, len: usize, partial: bool) -> Result<(), AmapError> {
        let end = self.range(slot, len)?;
        if self.refs == 0 {
            return Err(AmapError::Inval);
        }
        let refs = self.refs.checked_add(1).ok_or(AmapError::Inval)?;
        if self.ppref.is_none() && (partial || !self.is_window(slot, end)) {
            self.establish_ppref()?;
        }
        self.refs = refs;
        if let Some(pp) = &mut self.ppref {
            // Each count is <= the old refs, so this cannot overflow.
            pp[slot..end].iter_mut().for_each(|c| *c += 1);
        }
        Ok(())
    }

    /// Drop the aref to `[slot, slot + len)`.
    ///
    /// Per-page counts drop by 1 over the range; the anons of pages whose
    /// count reaches 0 are removed from the amap and passed to `dropped`
    /// (the caller drops its anon reference). `refs -= 1`; when it drops to
    /// 1 the shared flag is cleared, when it reaches 0 the amap is wiped:
    /// every remaining anon is removed and passed to `dropped` (each anon
    /// exactly once overall), `ppref` is freed, and `Ok(true)` tells the
    /// caller to free the amap. Costs O(len) (O(nused) for the wipe).
    ///
    /// Errors (amap unchanged, `dropped` not called): `Inval` if the amap is
    /// dead, the range is empty or out of bounds, or the range cannot be an
    /// existing aref: without `ppref` it must be the referenced window, with
    /// `ppref` every page in it must have a count > 0.
    pub fn remove_ref(
        &mut self,
        slot: usize,
        len: usize,
        mut dropped: impl FnMut(A),
    ) -> Result<bool, AmapError> {
        if self.refs == 0 {
            return Err(AmapError::Inval);
        }
        let end = self.range(slot, len)?;
        let valid = match &self.ppref {
            None => self.is_window(slot, end),
            Some(pp) => !pp[slot..end].contains(&0),
        };
        if !valid {
            return Err(AmapError::Inval);
        }
        self.refs -= 1;
        if self.refs == 0 {
            self.wipe(&mut dropped);
            return Ok(true);
        }
        if self.refs == 1 {
            self.shared = false;
        }
        if let Some(mut pp) = self.ppref.take() {
            for (page, count) in pp[slot..end].iter_mut().enumerate() {
                *count -= 1;
                if *count == 0
                    && let Some(anon) = self.unadd(slot + page)
                {
                    dropped(anon);
                }
            }
            self.ppref = Some(pp);
        }
        Ok(false)
    }

    /// `amap_wipeout`: give every anon to `dropped` (walking the packed
    /// list, O(nused)) and leave an empty, dead amap.
    fn wipe(&mut self, dropped: &mut impl FnMut(A)) {
        for &slot in &self.slots[..self.nused] {
            if let Some(anon) = self.anons[slot as usize].take() {
                dropped(anon);
            }
        }
        self.nused = 0;
        self.ppref = None;
        self.lead = 0;
        self.shared = false;
    }

    /// Entry clipping (`amap_splitref`): the aref `[slot, slot + len)`
    /// becomes the two arefs `[slot, slot + offset)` and
    /// `[slot + offset, slot + len)`. Per-page counts do not change (every
    /// page is still covered once by this entry's pieces), `refs += 1`, and
    /// `ppref` is established first if needed, so that later dropping one
    /// piece frees exactly its pages.
    ///
    /// Errors (amap unchanged): `Inval` for a dead amap, a range out of
    /// bounds, `offset` not strictly inside the range, or (without `ppref`)
    /// a range that is not the referenced window; `NoMem` if `ppref` cannot
    /// be allocated.
    pub fn split_ref(&mut self, slot: usize, len: usize, offset: usize) -> Result<(), AmapError> {
        if self.refs == 0 {
            return Err(AmapError::Inval);
        }
        let end = self.range(slot, len)?;
        if offset == 0 || offset >= len {
            return Err(AmapError::Inval);
        }
        let refs = self.refs.checked_add(1).ok_or(AmapError::Inval)?;
        if self.ppref.is_none() {
            if !self.is_window(slot, end) {
                return Err(AmapError::Inval);
            }
            self.establish_ppref()?;
        }
        self.refs = refs;
        Ok(())
    }
}
