//! `amap_copy`'s data part: a new private amap holding the anons of a slot
//! range of an existing amap (needs-copy resolution after fork).

use core::fmt;

use crate::amap::Amap;
use crate::error::AmapError;

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// A new amap of exactly `len` slots (no padding) holding the anons of
    /// `[slot, slot + len)` of `self` at slots `[0, len)`: `refs` = 1, not
    /// shared, no `ppref`, the allocation limit inherited. `referenced` is
    /// called once per anon copied (the caller bumps the anon's reference
    /// count); it is only called once all allocations have succeeded.
    ///
    /// `self` is not changed: unlike NetBSD's `amap_copy`, the caller's old
    /// aref to `self` is not dropped here (call [`Amap::remove_ref`]).
    ///
    /// Errors (`self` unchanged, `referenced` not called): `Inval` for an
    /// empty or out-of-bounds range, `NoMem`. Under the allocation-limit
    /// test hook, the new arrays are charged to `self`'s budget (both amaps
    /// exist at the same time).
    pub fn copy_range(
        &self,
        slot: usize,
        len: usize,
        mut referenced: impl FnMut(A),
    ) -> Result<Amap<A>, AmapError> {
        self.range(slot, len)?;
        let arrays = self.alloc_arrays(len, false)?;
        let mut copy = Amap {
            anons: arrays.anons,
            slots: arrays.slots,
            bckptr: arrays.bckptr,
            ppref: None,
            nslot: len,
            maxslot: len,
            nused: 0,
            lead: 0,
            refs: 1,
            shared: false,
            limit: self.limit,
        };
        for (src, anon) in self.lookups(slot, len) {
            copy.insert_empty(src - slot, anon);
            referenced(anon);
        }
        Ok(copy)
    }
}
