//! Map inspection for `/proc` and the tools (what NetBSD's pmap(1) and
//! Linux's /proc/<pid>/maps and status read): a vmspace's entries with
//! what backs each and how much of it is in memory, and the totals over
//! the whole space.
//!
//! For each entry, read with the map read-locked (shared: faults go on,
//! changes wait) so the amaps and objects the entries name stay alive
//! while they are counted:
//! - `resident`: pages mapped in the pmap (Linux's Rss; a page is counted
//!   once it is mapped, whether it is an anon's or an object's), and of
//!   those the anonymous ones (the page's use says which);
//! - `anons`: anons in the entry's slots of its amap (pages the entry owns
//!   privately or shares through the amap, mapped or not);
//! - `object_pages`: resident pages of the object in the entry's range.
//!
//! Lock order as everywhere in UVM: map, then amap or object, then pmap
//! (then the page array). Nothing here changes any state.

use super::map::{EntryFlags, EntryInfo};
use super::page::PageUse;
use super::vmspace::{PAGE, Vmspace};
use super::{amap, object, physmem};
use crate::kern::error::{KResult, KernError};
use alloc::vec::Vec;

/// One map entry as the viewers show it.
#[derive(Clone, Copy, Debug)]
pub struct EntryReport {
    pub info: EntryInfo,
    /// Pages of the entry mapped in the pmap.
    pub resident: u64,
    /// Of those, pages of anons.
    pub resident_anon: u64,
    /// Anons in the entry's amap slots (0 without an amap).
    pub anons: u64,
    /// References to the entry's amap (0 without one).
    pub amap_refs: u32,
    /// Resident pages of the object in the entry's range (0 without one).
    pub object_pages: u64,
    /// The object's pager ("aobj"), "" without an object.
    pub pager: &'static str,
}

impl EntryReport {
    /// True if writes reach memory others see (a shared mapping: Linux's
    /// `s`): an object mapped without copy-on-write. Anonymous memory is
    /// private even when fork shares its amap (MAP_SHARED anonymous memory
    /// is an anonymous object).
    pub fn is_shared(&self) -> bool {
        self.info.backing.object.is_some() && !self.info.flags.contains(EntryFlags::COPY_ON_WRITE)
    }
}

/// The entries of `vs` in address order, with their counts.
pub fn entries(vs: &Vmspace) -> KResult<Vec<EntryReport>> {
    let r = vs.map.read();
    let mut out = Vec::new();
    out.try_reserve_exact(r.nentries())
        .map_err(|_| KernError::NoMem)?;
    r.walk(|e| {
        if out.len() < out.capacity() {
            out.push(report(vs, e));
        }
    });
    Ok(out)
}

/// The counts of one entry (the map is read-locked by the caller).
fn report(vs: &Vmspace, e: &EntryInfo) -> EntryReport {
    let pages = e.len() / PAGE;
    let (mut resident, mut resident_anon) = (0, 0);
    vs.pmap.for_each_mapped(e.start, e.end, |_, pa| {
        resident += 1;
        if physmem::usage_of(pa) == Some(PageUse::Anon) {
            resident_anon += 1;
        }
    });
    let (anons, amap_refs) = match e.backing.amap {
        Some(a) => (
            amap::count_in(a.amap, a.slot as usize, pages as usize) as u64,
            amap::refs(a.amap),
        ),
        None => (0, 0),
    };
    let (object_pages, pager) = match e.backing.object {
        Some(o) => (
            object::resident_in(o.object, o.offset, o.offset + e.len()) as u64,
            object::pager_name(o.object),
        ),
        None => (0, ""),
    };
    EntryReport {
        info: *e,
        resident,
        resident_anon,
        anons,
        amap_refs,
        object_pages,
        pager,
    }
}

/// Totals over an address space (Linux's Vm* lines), from its entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceTotals {
    /// Bytes mapped (VmSize).
    pub size: u64,
    /// Pages mapped in the pmap (VmRSS), and of those anonymous ones.
    pub resident: u64,
    pub resident_anon: u64,
    /// Bytes locked by the program (VmLck: mlock'd entries).
    pub locked: u64,
    /// Bytes of private writable memory (VmData, the stack included here;
    /// the caller takes it out).
    pub private_writable: u64,
    /// Page-table pages of the pmap (VmPTE).
    pub ptps: u64,
    /// Wired mappings in the pmap.
    pub wired: u64,
}

/// The totals of `vs` given its `entries`.
pub fn totals(vs: &Vmspace, entries: &[EntryReport]) -> SpaceTotals {
    let mut t = SpaceTotals::default();
    for e in entries {
        let i = &e.info;
        t.size += i.len();
        t.resident += e.resident;
        t.resident_anon += e.resident_anon;
        if i.flags.contains(EntryFlags::USER_WIRED) {
            t.locked += i.len();
        }
        if !e.is_shared() && i.prot.contains(super::VmProt::WRITE) {
            t.private_writable += i.len();
        }
    }
    let c = vs.pmap.counts();
    t.ptps = c.ptps;
    t.wired = c.wired;
    t
}
