//! Wiring: keeping an address space's pages resident with their mappings
//! fixed (UVM's uvm_map_pageable), and the program's memory locks on top
//! of it (mlock, mlock2, mlockall, MAP_LOCKED).
//!
//! An entry's `wired_count` counts the wirings it holds; while it is
//! non-zero the fault routine enters its pages wired, so a page that is
//! faulted in later (a lock taken on fault, a page whose mapping was
//! removed by mprotect(PROT_NONE) and comes back) is wired too. The
//! kernel's own wirings (`wire`/`unwire`) stack; the program's lock is one
//! wiring per entry however many times it is locked (the `USER_WIRED`
//! flag), as mlock does not nest in Linux.
//!
//! Populating (bringing the pages in) follows Linux's mm_populate: each
//! page is faulted at the entry's current protection, for write where the
//! mapping is private and writable (so the page becomes the entry's own
//! now), for read otherwise; inaccessible (PROT_NONE) entries are skipped
//! or refused, as the caller says.

use super::map::EntryFlags;
use super::vmspace::{PAGE, Vmspace};
use super::{Vaddr, VmProt};
use crate::kern::error::{KResult, KernError};
use crate::pmap::PmapFlags;
use crate::pmap::pte::Pte;
use alloc::vec::Vec;

/// When a lock brings its pages in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Populate {
    /// Now: every page of the range is faulted in, wired (mlock).
    Now,
    /// As they are faulted in (MLOCK_ONFAULT, MCL_ONFAULT); the pages
    /// already resident are wired now.
    OnFault,
}

/// What `populate` does with an entry that allows no access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inaccessible {
    /// Leave it alone (mlockall, MAP_POPULATE).
    Skip,
    /// Fail with `KernError::Access` (mlock, MADV_POPULATE_*).
    Refuse,
}

impl Vmspace {
    /// Wire `[start, end)` for the kernel: every page is faulted in now
    /// and its mapping wired. Wirings stack (`unwire` undoes one).
    pub fn wire(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        self.map.modify(start, end, |e| e.wired_count += 1)?;
        if let Err(err) = self.populate(start, end, true, Inaccessible::Skip) {
            // Undo the wiring counts of the whole range.
            let _ = self.unwire(start, end);
            return Err(err);
        }
        Ok(())
    }

    /// Undo one `wire` of `[start, end)`: pages stay mapped; a mapping
    /// stops being wired only when no wiring of its entry remains.
    /// `Inval` if part of the range was not wired (the rest is unwired).
    pub fn unwire(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let mut unwired: Vec<(Vaddr, Vaddr)> = Vec::new();
        let mut bad = false;
        self.map.modify(start, end, |e| {
            if e.wired_count == 0 {
                bad = true;
                return;
            }
            e.wired_count -= 1;
            if e.wired_count == 0 {
                unwired.push((e.start, e.end));
            }
        })?;
        self.unwire_pages(&unwired);
        if bad { Err(KernError::Inval) } else { Ok(()) }
    }

    /// Lock `[start, end)` for the program (mlock): each entry gains the
    /// program's wiring once (locking twice is locking once), and the
    /// pages come in now or on fault. Holes are skipped (mlockall locks
    /// the whole map). On failure to bring the pages in, the entries this
    /// call locked are unlocked again if `undo`, else they stay locked
    /// and the error is still returned (mlockall's populate, whose errors
    /// Linux ignores).
    pub fn mlock(&self, start: Vaddr, end: Vaddr, how: Populate, undo: bool) -> KResult<()> {
        let mut newly: Vec<(Vaddr, Vaddr)> = Vec::new();
        let mut short = false;
        self.map.modify(start, end, |e| {
            if !e.flags.contains(EntryFlags::USER_WIRED) {
                if newly.try_reserve(1).is_err() {
                    short = true;
                    return;
                }
                e.flags |= EntryFlags::USER_WIRED;
                e.wired_count += 1;
                newly.push((e.start, e.end));
            }
        })?;
        let mut r = if short { Err(KernError::NoMem) } else { Ok(()) };
        // The mapped parts of the range, one after the other.
        let mut parts: Vec<(Vaddr, Vaddr)> = Vec::new();
        self.map.read().entries_in(start, end, |e| {
            if parts.try_reserve(1).is_err() {
                r = Err(KernError::NoMem);
                return false;
            }
            parts.push((e.start.max(start), e.end.min(end)));
            true
        });
        for (s, e) in parts {
            if r.is_err() {
                break;
            }
            r = match how {
                Populate::Now => self.populate(s, e, true, Inaccessible::Skip),
                Populate::OnFault => self.wire_resident(s, e),
            };
        }
        if r.is_err() && undo {
            for (s, e) in newly {
                let _ = self.munlock(s, e);
            }
        }
        r
    }

    /// Unlock `[start, end)` (munlock): the program's wiring goes; pages
    /// stay resident and mapped.
    pub fn munlock(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let mut unwired: Vec<(Vaddr, Vaddr)> = Vec::new();
        self.map.modify(start, end, |e| {
            if e.flags.contains(EntryFlags::USER_WIRED) {
                e.flags -= EntryFlags::USER_WIRED;
                e.wired_count -= 1;
                if e.wired_count == 0 && unwired.try_reserve(1).is_ok() {
                    unwired.push((e.start, e.end));
                }
            }
        })?;
        self.unwire_pages(&unwired);
        Ok(())
    }

    /// Clear the wired bit of every mapping in `ranges` (their entries
    /// hold no wiring any more).
    fn unwire_pages(&self, ranges: &[(Vaddr, Vaddr)]) {
        for &(s, e) in ranges {
            let mut va = s;
            while va < e {
                self.pmap.unwire(va);
                va += PAGE;
            }
        }
    }

    /// Fault the pages of `[start, end)` in (mm_populate), wired if
    /// `wire`: at each entry's current protection, for write where the
    /// mapping is private and writable. Entries that allow no access are
    /// skipped or refused (`Access`). A hole is `Fault`.
    pub fn populate(
        &self,
        start: Vaddr,
        end: Vaddr,
        wire: bool,
        inaccessible: Inaccessible,
    ) -> KResult<()> {
        let mut va = start;
        while va < end {
            let e = self.map.lookup(va).ok_or(KernError::Fault)?;
            let prot = e.prot.effective();
            if prot.is_empty() {
                if inaccessible == Inaccessible::Refuse {
                    return Err(KernError::Access);
                }
                va = e.end;
                continue;
            }
            let access = if prot.contains(VmProt::WRITE) && !e.is_shared_mapping() {
                VmProt::WRITE
            } else {
                VmProt::READ
            };
            let stop = e.end.min(end);
            while va < stop {
                if !(wire && self.wire_mapped(va, access)) {
                    super::fault::fault(self, va, access, wire)?;
                }
                va += PAGE;
            }
        }
        Ok(())
    }

    /// Wire the page mapped at `va` as it is, if its mapping already
    /// allows `access` (a resident page being locked: no fault needed, the
    /// same page is entered again, wired). False if a fault must do it.
    fn wire_mapped(&self, va: Vaddr, access: VmProt) -> bool {
        let Some(pte) = self.pmap.leaf_entry(va).map(Pte::from_bits_retain) else {
            return false;
        };
        if !pte.contains(Pte::PRESENT) || pte.contains(Pte::WIRED) {
            return pte.contains(Pte::PRESENT | Pte::WIRED);
        }
        let mut prot = VmProt::READ;
        if pte.contains(Pte::WRITABLE) {
            prot |= VmProt::WRITE;
        }
        if !pte.contains(Pte::NO_EXECUTE) {
            prot |= VmProt::EXECUTE;
        }
        if !prot.contains(access) {
            return false;
        }
        let pa = pte.bits() & crate::pmap::pte::ADDR_MASK;
        self.pmap
            .enter(va, pa, prot, PmapFlags::WIRED | PmapFlags::CANFAIL)
            .is_ok()
    }

    /// Wire the pages of `[start, end)` that are mapped now (a lock taken
    /// on fault: the rest is wired as it comes in). A read fault on a
    /// present page maps the same page again, now wired.
    fn wire_resident(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let mut va = start;
        while va < end {
            if self.pmap.extract(va).is_some() {
                super::fault::fault(self, va, VmProt::READ, true)?;
            }
            va += PAGE;
        }
        Ok(())
    }

    /// Bytes the program has locked (Linux's locked_vm).
    pub fn locked_bytes(&self) -> u64 {
        let mut n = 0;
        self.map.walk(|e| {
            if e.is_locked() {
                n += e.len();
            }
        });
        n
    }

    /// Bytes of `[start, end)` mapped and not locked yet (what locking the
    /// range would add).
    pub fn unlocked_bytes_in(&self, start: Vaddr, end: Vaddr) -> u64 {
        let mut n = 0;
        self.map.read().entries_in(start, end, |e| {
            if !e.is_locked() {
                n += e.end.min(end) - e.start.max(start);
            }
            true
        });
        n
    }
}
