//! Map extraction (NetBSD's uvm_map_extract, in the mode uvm_io uses:
//! UVM_EXTRACT_QREF | UVM_EXTRACT_CONTIG, and UVM_EXTRACT_FIXPROT for a
//! debugger's access): a range of
//! a user map is made visible in the kernel map by new kernel entries that
//! refer to the *same* amaps and objects, so that the kernel can read and
//! write another address space's memory through the fault routine, with
//! its copy-on-write rules, without copying or wiring anything.
//!
//! `extract(src, start, len)`:
//!
//! 1. Write-lock the source map and check that `[start, start + len)`
//!    (rounded out to pages) is mapped without a hole (CONTIG): a hole
//!    fails the whole extraction with `Fault` before anything changes.
//! 2. Prepare each source entry of the range *in the source map*: one that
//!    still needs a copy gets its own amap now (amap_copy:
//!    `fault::resolve_needs_copy`), and an anonymous or private
//!    (copy-on-write) entry without an amap gets one (`fault::give_amap`).
//!    From then on a write through the kernel entry promotes the page into
//!    an anon in that amap: the source address space sees the change, and
//!    nobody else (the parent's and siblings' copy-on-write copies keep
//!    their pages, the file keeps its page).
//! 3. Lock the kernel map (lock order: source map, then kernel map), find
//!    one contiguous range for the whole extraction, and enter one kernel
//!    entry per source entry piece: the same amap at the slot of the
//!    piece's first page and the same object at the matching offset, each
//!    with its own reference (QREF: the amap reference covers exactly the
//!    extracted slots, `amap::add_ref`; the object gains one), the source's
//!    copy-on-write flag and, as protection, the source's *maximum*
//!    protection with `Prot::Max` (FIXPROT: read-only text can be written,
//!    as a debugger patching a breakpoint needs) or its current one with
//!    `Prot::Current` (process_vm_readv/writev obey the program's
//!    protection, as on Linux); execute is never granted to a kernel
//!    mapping. The amaps are marked shared: they are now referenced from
//!    two maps, so a copy-on-write replacement of an anon removes every
//!    mapping of the old page (`pmap::page_protect`).
//!
//! The `Extraction` value owns the kernel range: dropping it removes the
//! pages from the kernel pmap and the entries from the kernel map (under
//! the kernel map's lock), then drops the references they held (the two
//! steps of `uvm_unmap`). Nothing of the source map is clipped or changed
//! beyond step 2.
//!
//! This module never touches page contents; `io` does the copying.

use super::amap;
use super::map::{self, AmapRef, Backing, EntryFlags, EntryInfo, Inherit, MapRequest, ObjectRef};
use super::object;
use super::vmspace::PAGE;
use super::{Vaddr, VmProt, map::VmMap};
use crate::kern::error::{KResult, KernError};
use crate::pmap::{self, Pmap};
use alloc::vec::Vec;

/// A source range extracted into the kernel map (see the module comment).
#[derive(Debug)]
#[must_use = "dropping an extraction unmaps it at once"]
pub struct Extraction {
    /// Kernel address of the first page.
    kva: Vaddr,
    /// Source address of the first page.
    start: Vaddr,
    /// Bytes (whole pages).
    len: u64,
}

impl Extraction {
    /// Kernel address of the first extracted page.
    pub fn kva(&self) -> Vaddr {
        self.kva
    }

    /// Source address of the first extracted page.
    pub fn start(&self) -> Vaddr {
        self.start
    }

    /// Bytes extracted (whole pages).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kernel address that shows source address `va`.
    pub fn kernel_addr(&self, va: Vaddr) -> Vaddr {
        debug_assert!(va >= self.start && va < self.start + self.len);
        self.kva + (va - self.start)
    }
}

impl Drop for Extraction {
    /// Unmap the kernel range: pages out of the kernel pmap and entries out
    /// of the kernel map with the map locked, then the references dropped.
    fn drop(&mut self) {
        let kmap = map::kernel_map();
        let end = self.kva + self.len;
        let dead = {
            let mut w = kmap.write();
            let dead = w.unmap(self.kva, end);
            Pmap::kernel().remove(self.kva, end);
            pmap::update();
            dead
        };
        match dead {
            Ok(dead) => kmap.reap(dead, release),
            Err(e) => log::error!(
                "map_extract: kernel range {:#x}-{end:#x} could not be unmapped: {e:?}",
                self.kva
            ),
        }
    }
}

/// Drop the references a kernel entry of an extraction held.
fn release(e: EntryInfo) {
    if let Some(a) = e.backing.amap {
        amap::remove_ref(a.amap, a.slot as usize, (e.len() / PAGE) as usize);
    }
    if let Some(o) = e.backing.object {
        object::drop_ref(o.object);
    }
}

/// One kernel entry to make: the part `[start, end)` of a source entry.
struct Piece {
    start: Vaddr,
    end: Vaddr,
    prot: VmProt,
    flags: EntryFlags,
    backing: Backing,
}

/// Which protection the kernel entries get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prot {
    /// The source entries' maximum protection (FIXPROT: a debugger).
    Max,
    /// Their current protection.
    Current,
}

/// The protection a kernel entry gets, never with execute.
fn kernel_prot(e: &EntryInfo, prot: Prot) -> VmProt {
    let p = match prot {
        Prot::Max => e.max_prot,
        Prot::Current => e.prot,
    };
    p & (VmProt::READ | VmProt::WRITE)
}

/// Extract `[start, start + len)` of `src` (rounded out to whole pages)
/// into the kernel map, with the protection `prot` says. `Fault` for a hole or a range outside the map,
/// `Inval` for an empty range, `NoMem`/`NoSpace` when the kernel map or an
/// amap cannot be had (nothing is left behind on any error).
pub fn extract(src: &VmMap, start: Vaddr, len: u64, prot: Prot) -> KResult<Extraction> {
    if len == 0 {
        return Err(KernError::Inval);
    }
    let first = start & !(PAGE - 1);
    let last = start
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(PAGE))
        .ok_or(KernError::Fault)?;
    let mut w = src.write();

    // 1. CONTIG: the whole range is mapped.
    let mut va = first;
    while va < last {
        va = w.lookup(va).ok_or(KernError::Fault)?.end;
    }

    // 2. Amap work in the source map, then the pieces to enter.
    let mut pieces: Vec<Piece> = Vec::new();
    let mut va = first;
    while va < last {
        let mut e = w.lookup(va).ok_or(KernError::Fault)?;
        let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);
        let anonymous = e.backing.object.is_none();
        if e.flags.contains(EntryFlags::NEEDS_COPY) {
            super::fault::resolve_needs_copy(&mut w, &e)?;
            e = w.lookup(va).ok_or(KernError::Fault)?;
        } else if e.backing.amap.is_none() && (anonymous || cow) {
            super::fault::give_amap(&mut w, &e)?;
            e = w.lookup(va).ok_or(KernError::Fault)?;
        }
        let s = e.start.max(first);
        let en = e.end.min(last);
        let skip = s - e.start;
        let backing = Backing {
            amap: e.backing.amap.map(|a| AmapRef {
                amap: a.amap,
                slot: a.slot + skip / PAGE,
            }),
            object: e.backing.object.map(|o| ObjectRef {
                object: o.object,
                offset: o.offset + skip,
            }),
        };
        pieces.try_reserve(1).map_err(|_| KernError::NoMem)?;
        pieces.push(Piece {
            start: s,
            end: en,
            prot: kernel_prot(&e, prot),
            flags: (e.flags & EntryFlags::COPY_ON_WRITE) | EntryFlags::NO_MERGE,
            backing,
        });
        va = e.end;
    }

    // 3. The kernel entries, over one contiguous kernel range.
    let kmap = map::kernel_map();
    let mut kw = kmap.write();
    let total = last - first;
    let kva = kw
        .findspace(total, 0, None, false)
        .ok_or(KernError::NoSpace)?;
    for (i, p) in pieces.iter().enumerate() {
        if let Err(err) = enter_piece(&mut kw, kva + (p.start - first), p) {
            // Undo the pieces already entered (nothing is mapped in the
            // kernel pmap yet).
            if i > 0 {
                let done_end = kva + (p.start - first);
                match kw.unmap(kva, done_end) {
                    Ok(dead) => kw.reap_locked(dead, release),
                    Err(e) => log::error!("map_extract: undoing a failed extraction: {e:?}"),
                }
            }
            return Err(err);
        }
    }
    drop(kw);
    drop(w);
    Ok(Extraction {
        kva,
        start: first,
        len: total,
    })
}

/// Take the piece's references and enter its kernel entry at `kva`.
fn enter_piece(kw: &mut map::MapWrite<'_>, kva: Vaddr, p: &Piece) -> KResult<()> {
    let npages = ((p.end - p.start) / PAGE) as usize;
    if let Some(a) = p.backing.amap {
        amap::add_ref(a.amap, a.slot as usize, npages)?;
    }
    if let Some(o) = p.backing.object {
        object::add_ref(o.object);
    }
    let mut req = MapRequest::anon(p.end - p.start, p.prot).at(kva);
    req.max_prot = p.prot;
    req.inherit = Inherit::None;
    req.flags = p.flags;
    req.backing = p.backing;
    req.merge = false;
    match kw.map(req) {
        Ok(_) => {
            if let Some(a) = p.backing.amap {
                // Referenced from two maps now.
                amap::set_shared(a.amap, true);
            }
            Ok(())
        }
        Err(e) => {
            release(EntryInfo {
                start: p.start,
                end: p.end,
                prot: p.prot,
                max_prot: p.prot,
                inherit: Inherit::None,
                advice: map::Advice::Normal,
                wired_count: 0,
                flags: p.flags,
                backing: p.backing,
            });
            Err(e)
        }
    }
}
