//! The [`Amap`] structure itself: its arrays, construction, accessors and
//! the per-slot operations (`lookup`, `add`, `unadd`).
//!
//! Layout (as NetBSD's `struct vm_amap`):
//! - `anons[0..maxslot]`: the anon in each slot (`am_anon`); only
//!   `[0, nslot)` is the amap's current size, the rest is padding for cheap
//!   growth and is always empty.
//! - `slots[0..nused]`: the used slots, packed (`am_slots`);
//!   `bckptr[x]` is the index of slot `x` in `slots` (`am_bckptr`), so
//!   `slots[bckptr[x]] == x` for every used slot `x`. Adding appends to the
//!   packed list, removing moves its last element into the hole: both O(1).
//! - `ppref`: optional per-page reference counts (see `refs.rs`).
//!
//! All arrays are allocated at their full `maxslot` length up front (with
//! `try_reserve_exact`), so the per-slot operations never allocate.

use alloc::vec::Vec;
use core::fmt;

use crate::error::AmapError;

/// Largest number of slots (current size plus padding) an amap may have.
///
/// Slot numbers are kept as `u32` in the packed arrays; asking for more is
/// reported as [`AmapError::NoMem`].
pub const MAX_SLOTS: usize = 1 << 31;

/// An anonymous map: an array of anon slots referenced by one or more map
/// entries ("arefs": slot offset plus length).
///
/// `A` is the kernel's anon handle (an index or pointer wrapper). The amap
/// never touches anon reference counts: operations that stop or start
/// holding an anon report it (return value or callback) and the caller
/// adjusts the anon.
///
/// Reference model: `refs` counts arefs. Without per-page counts (`ppref`
/// absent) every aref covers the whole referenced window
/// `[lead, nslot)`, so each page of the window has `refs` references and
/// the leading `lead` pages (front padding left by a backwards extension)
/// have none. The first reference that does not cover the window exactly
/// creates `ppref` (lazily, as NetBSD's `amap_pp_establish`); from then on
/// each page carries its own count, and an anon whose page count drops to 0
/// is removed from the amap.
#[derive(Debug, PartialEq, Eq)]
pub struct Amap<A: Copy + Eq + fmt::Debug> {
    /// `am_anon`: `maxslot` entries; `None` = empty slot.
    pub(crate) anons: Vec<Option<A>>,
    /// `am_slots`: `maxslot` entries, the first `nused` are the used slots.
    pub(crate) slots: Vec<u32>,
    /// `am_bckptr`: `maxslot` entries; for a used slot `x`,
    /// `slots[bckptr[x]] == x`. Other entries are stale.
    pub(crate) bckptr: Vec<u32>,
    /// `am_ppref`: per-page reference counts, `maxslot` entries, 0 beyond
    /// `nslot`. `None` = not established (see the type documentation).
    pub(crate) ppref: Option<Vec<u32>>,
    /// Current size in slots (`am_nslot`).
    pub(crate) nslot: usize,
    /// Allocated size of every array (`am_maxslot`).
    pub(crate) maxslot: usize,
    /// Number of used slots (`am_nused`).
    pub(crate) nused: usize,
    /// Without `ppref`: `[0, lead)` is referenced by nobody. Always 0 while
    /// `ppref` exists (the counts say it all).
    pub(crate) lead: usize,
    /// Number of arefs (`am_ref`). 0 = dead (wiped) amap.
    pub(crate) refs: u32,
    /// `AMAP_SHARED`.
    pub(crate) shared: bool,
    /// Test hook: upper bound on array elements this amap may hold (see
    /// [`Amap::with_alloc_limit`]).
    pub(crate) limit: Option<usize>,
}

/// A freshly allocated set of arrays, filled with empty slots / zero counts.
pub(crate) struct Arrays<A> {
    pub(crate) anons: Vec<Option<A>>,
    pub(crate) slots: Vec<u32>,
    pub(crate) bckptr: Vec<u32>,
    pub(crate) ppref: Option<Vec<u32>>,
}

/// A `Vec` of exactly `n` copies of `fill`, allocated fallibly.
pub(crate) fn try_filled<T: Clone>(n: usize, fill: T) -> Result<Vec<T>, AmapError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| AmapError::NoMem)?;
    // Within the reserved capacity: `resize` does not allocate.
    v.resize(n, fill);
    Ok(v)
}

/// Number of array elements (the unit of the allocation limit) held by an
/// amap of `maxslot` slots.
pub(crate) fn arrays_cost(maxslot: usize, with_ppref: bool) -> usize {
    maxslot.saturating_mul(if with_ppref { 4 } else { 3 })
}

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// A new amap of `slots` slots plus `padslots` extra capacity for
    /// forward growth (NetBSD pads so that extension is cheap). `refs` = 1,
    /// not shared, no `ppref`; the caller's aref is `[0, slots)`.
    ///
    /// Errors: `Inval` if `slots == 0`; `NoMem` if the arrays cannot be
    /// allocated or `slots + padslots > MAX_SLOTS`.
    pub fn new(slots: usize, padslots: usize) -> Result<Self, AmapError> {
        Self::build(slots, padslots, None)
    }

    /// Like [`Amap::new`], with the allocation-failure test hook armed: the
    /// amap may never hold more than `limit` array elements in total (each
    /// of the three slot arrays counts `maxslot`, `ppref` another `maxslot`,
    /// and arrays being reallocated count twice while both exist). Any
    /// allocation that would exceed it fails with `NoMem`, which makes the
    /// fallible paths testable on the host. Copies made with
    /// [`Amap::copy_range`] inherit the limit.
    pub fn with_alloc_limit(
        slots: usize,
        padslots: usize,
        limit: usize,
    ) -> Result<Self, AmapError> {
        Self::build(slots, padslots, Some(limit))
    }

    /// Arm (`Some`) or disarm (`None`) the allocation limit test hook.
    pub fn set_alloc_limit(&mut self, limit: Option<usize>) {
        self.limit = limit;
    }

    /// The allocation limit set by [`Amap::with_alloc_limit`], if any.
    pub fn alloc_limit(&self) -> Option<usize> {
        self.limit
    }

    /// Array elements currently held (the unit of the allocation limit).
    pub fn held_elements(&self) -> usize {
        arrays_cost(self.maxslot, self.ppref.is_some())
    }

    fn build(slots: usize, padslots: usize, limit: Option<usize>) -> Result<Self, AmapError> {
        if slots == 0 {
            return Err(AmapError::Inval);
        }
        let maxslot = slots.checked_add(padslots).ok_or(AmapError::NoMem)?;
        let mut amap = Amap {
            anons: Vec::new(),
            slots: Vec::new(),
            bckptr: Vec::new(),
            ppref: None,
            nslot: 0,
            maxslot: 0,
            nused: 0,
            lead: 0,
            refs: 1,
            shared: false,
            limit,
        };
        let arrays = amap.alloc_arrays(maxslot, false)?;
        amap.install(arrays, maxslot);
        amap.nslot = slots;
        Ok(amap)
    }

    /// Fail with `NoMem` if holding `extra` more elements would exceed the
    /// allocation limit.
    pub(crate) fn charge(&self, extra: usize) -> Result<(), AmapError> {
        match self.limit {
            Some(limit) if self.held_elements().saturating_add(extra) > limit => {
                Err(AmapError::NoMem)
            }
            _ => Ok(()),
        }
    }

    /// Allocate a complete, empty set of arrays of `maxslot` entries (with a
    /// zeroed `ppref` if `with_ppref`). Touches nothing in `self`.
    pub(crate) fn alloc_arrays(
        &self,
        maxslot: usize,
        with_ppref: bool,
    ) -> Result<Arrays<A>, AmapError> {
        if maxslot > MAX_SLOTS {
            return Err(AmapError::NoMem);
        }
        self.charge(arrays_cost(maxslot, with_ppref))?;
        Ok(Arrays {
            anons: try_filled(maxslot, None)?,
            slots: try_filled(maxslot, 0)?,
            bckptr: try_filled(maxslot, 0)?,
            ppref: if with_ppref {
                Some(try_filled(maxslot, 0)?)
            } else {
                None
            },
        })
    }

    /// Replace the arrays (dropping the old ones) and set `maxslot`.
    pub(crate) fn install(&mut self, arrays: Arrays<A>, maxslot: usize) {
        self.anons = arrays.anons;
        self.slots = arrays.slots;
        self.bckptr = arrays.bckptr;
        self.ppref = arrays.ppref;
        self.maxslot = maxslot;
    }

    /// Validate a slot range: non-empty, inside `[0, nslot)`. Returns its end.
    pub(crate) fn range(&self, slot: usize, len: usize) -> Result<usize, AmapError> {
        let end = slot.checked_add(len).ok_or(AmapError::Inval)?;
        if len == 0 || end > self.nslot {
            return Err(AmapError::Inval);
        }
        Ok(end)
    }

    /// Current size in slots (`am_nslot`).
    pub fn nslot(&self) -> usize {
        self.nslot
    }

    /// Allocated capacity in slots (`am_maxslot`), `>= nslot`.
    pub fn maxslot(&self) -> usize {
        self.maxslot
    }

    /// Number of slots holding an anon (`am_nused`).
    pub fn nused(&self) -> usize {
        self.nused
    }

    /// Number of arefs (`am_ref`); 0 once the last one was removed.
    pub fn refs(&self) -> u32 {
        self.refs
    }

    /// Whether the amap is shared by map entries of different maps
    /// (`AMAP_SHARED`: inherit-share fork). Cleared automatically when the
    /// reference count drops back to 1.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Set or clear the shared flag.
    pub fn set_shared(&mut self, shared: bool) {
        self.shared = shared;
    }

    /// Whether per-page reference counts exist.
    pub fn has_ppref(&self) -> bool {
        self.ppref.is_some()
    }

    /// Per-page reference count of `slot`: the number of arefs covering it
    /// (0 outside `[0, nslot)`).
    pub fn page_refs(&self, slot: usize) -> u32 {
        if slot >= self.nslot {
            return 0;
        }
        match &self.ppref {
            Some(pp) => pp[slot],
            None if slot < self.lead => 0,
            None => self.refs,
        }
    }

    /// The anon in `slot` (`None` if empty or out of range).
    pub fn lookup(&self, slot: usize) -> Option<A> {
        if slot < self.nslot {
            self.anons[slot]
        } else {
            None
        }
    }

    /// Put `anon` in `slot` (`amap_add`). With `replace == false` the slot
    /// must be empty and `Ok(None)` is returned; with `replace == true` it
    /// must hold an anon, which is replaced and returned (the caller drops
    /// its reference). The slot must be referenced (`page_refs(slot) > 0`).
    /// Never allocates.
    pub fn add(&mut self, slot: usize, anon: A, replace: bool) -> Result<Option<A>, AmapError> {
        if self.page_refs(slot) == 0 {
            return Err(AmapError::Inval);
        }
        match (self.anons[slot], replace) {
            (Some(old), true) => {
                self.anons[slot] = Some(anon);
                Ok(Some(old))
            }
            (None, false) => {
                self.insert_empty(slot, anon);
                Ok(None)
            }
            _ => Err(AmapError::Inval),
        }
    }

    /// Record `anon` in the empty slot `slot` (no checks).
    pub(crate) fn insert_empty(&mut self, slot: usize, anon: A) {
        self.anons[slot] = Some(anon);
        // slot < maxslot <= MAX_SLOTS and nused < maxslot: both fit in u32.
        self.slots[self.nused] = slot as u32;
        self.bckptr[slot] = self.nused as u32;
        self.nused += 1;
    }

    /// Remove and return the anon in `slot` (`amap_unadd`), O(1) through
    /// the back pointer. `None` if the slot is empty or out of range.
    pub fn unadd(&mut self, slot: usize) -> Option<A> {
        if slot >= self.nslot {
            return None;
        }
        let anon = self.anons[slot].take()?;
        let idx = self.bckptr[slot] as usize;
        let last = self.slots[self.nused - 1];
        self.slots[idx] = last;
        self.bckptr[last as usize] = idx as u32;
        self.nused -= 1;
        Some(anon)
    }
}
