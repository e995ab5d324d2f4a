//! Which pages of an address space are resident, and dropping them on the
//! program's request: mincore, madvise(MADV_DONTNEED / MADV_FREE) and
//! madvise(MADV_REMOVE) on shared anonymous memory.
//!
//! Dropping follows Linux: private memory loses its own pages (anonymous
//! memory reads back as zeroes, a private file mapping shows the file
//! again); a shared mapping only loses its mappings, its pages stay in the
//! object, except for MADV_REMOVE, which frees them there too (they read
//! back as zeroes everywhere). A private range that still shares its amap
//! with another address space after fork (needs-copy) gets its own amap
//! first, so the other side keeps its data.

use super::Vaddr;
use super::amap;
use super::map::{AmapRef, EntryFlags, EntryInfo};
use super::object;
use super::vmspace::{PAGE, Vmspace};
use crate::kern::error::{KResult, KernError};
use crate::pmap;
use alloc::vec::Vec;

impl Vmspace {
    /// Drop the pages of `[start, end)` (MADV_DONTNEED, MADV_FREE): see
    /// the module comment. The caller has checked the range is mapped
    /// and allowed (locked entries are refused by madvise, except with
    /// MADV_DONTNEED_LOCKED: their pages come back wired on fault).
    pub fn dontneed(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let mut w = self.map.write();
        // Private entries still sharing an amap after fork get their own.
        let mut shared: Vec<EntryInfo> = Vec::new();
        w.entries_in(start, end, |e| {
            if e.flags.contains(EntryFlags::NEEDS_COPY) && e.backing.amap.is_some() {
                shared.push(*e);
            }
            true
        });
        if !shared.is_empty() {
            w.clip(start, end)?;
            shared.clear();
            w.entries_in(start, end, |e| {
                if e.flags.contains(EntryFlags::NEEDS_COPY) && e.backing.amap.is_some() {
                    shared.push(*e);
                }
                true
            });
            for e in &shared {
                super::fault::resolve_needs_copy(&mut w, e)?;
            }
        }
        self.pmap.remove(start, end);
        pmap::update();
        let mut parts: Vec<(AmapRef, Vaddr, Vaddr, Vaddr)> = Vec::new();
        let mut short = false;
        w.entries_in(start, end, |e| {
            if let (false, Some(a)) = (e.is_shared_mapping(), e.backing.amap) {
                if parts.try_reserve(1).is_err() {
                    short = true;
                    return false;
                }
                parts.push((a, e.start, e.start.max(start), e.end.min(end)));
            }
            true
        });
        if short {
            return Err(KernError::NoMem);
        }
        for (a, estart, s, en) in parts {
            let first = a.slot + (s - estart) / PAGE;
            amap::clear_slots(a.amap, first as usize, ((en - s) / PAGE) as usize);
        }
        Ok(())
    }

    /// MADV_REMOVE on shared anonymous memory: free the object's pages
    /// behind `[start, end)`, so every mapping of them reads zeroes.
    /// `Inval` unless the whole range is shared anonymous memory.
    pub fn remove_shared_pages(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let w = self.map.write();
        let mut parts: Vec<(object::ObjRef, u64, u64)> = Vec::new();
        let mut bad = false;
        w.entries_in(start, end, |e| {
            match e.backing.object {
                Some(o) if e.is_shared_mapping() && object::is_shared_memory(o.object) => {
                    let s = e.start.max(start);
                    let en = e.end.min(end);
                    if parts.try_reserve(1).is_ok() {
                        parts.push((o.object, o.offset + (s - e.start), en - s));
                    } else {
                        bad = true;
                    }
                }
                _ => bad = true,
            }
            true
        });
        if bad {
            return Err(KernError::Inval);
        }
        for (obj, off, len) in parts {
            object::free_range(obj, off, len);
        }
        drop(w);
        Ok(())
    }

    /// Which pages of `[start, end)` are resident (mincore): `out[i]` for
    /// page i, 1 if the page is in memory (in the entry's amap or object,
    /// or mapped). Stops at the first hole: returns the pages filled.
    pub fn mincore(&self, start: Vaddr, end: Vaddr, out: &mut [u8]) -> usize {
        let r = self.map.read();
        let mut va = start;
        let mut i = 0;
        while va < end {
            let Some(e) = r.lookup(va) else {
                break;
            };
            while va < e.end.min(end) {
                let idx = (va - e.start) / PAGE;
                let in_anon = e
                    .backing
                    .amap
                    .is_some_and(|a| amap::lookup(a.amap, (a.slot + idx) as usize).is_some());
                let in_obj = e.backing.object.is_some_and(|o| {
                    object::lookup_page(o.object, o.offset + idx * PAGE).is_some()
                });
                out[i] = (in_anon || in_obj || self.pmap.extract(va).is_some()) as u8;
                va += PAGE;
                i += 1;
            }
        }
        i
    }
}
