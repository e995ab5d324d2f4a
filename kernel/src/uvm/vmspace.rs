//! vmspace: an address space, a vm_map plus its pmap (and the layout the
//! map places mappings by). It owns what its entries reference: unmapping
//! removes the pages from the pmap, then drops the entries' amap and
//! object references after the map lock is released.
//!
//! `fork` copies a vmspace honouring each entry's inheritance (UVM's
//! uvmspace_fork):
//! - share: both vmspaces refer to the same amap (created now if the entry
//!   had none) and object: writes are seen by both;
//! - copy: both refer to the amap and are marked copy-on-write and
//!   needs-copy; the parent's writable mappings are write-protected, so the
//!   first write on either side faults and copies (lazily). A wired entry
//!   is copied at once instead (its pages stay writable in the parent);
//! - none: the range is absent in the child;
//! - zero: the child gets fresh zero-fill memory.
//!
//! Teardown tells the pmap a whole address space is going
//! (`pmap_remove_all`) so removal skips per-page TLB invalidation.

use super::amap;
use super::map::{
    Backing, DeadEntries, EntryFlags, EntryInfo, Inherit, MapRequest, MapWrite, UserLayout, VmMap,
};
use super::object;
use super::{Vaddr, VmProt};

use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::pmap::{self, Pmap};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};
use spin::Mutex;

pub const PAGE: u64 = 4096;

/// The standard user layout: user space from 64 KiB to the top of the
/// lower half, an 8 MiB stack reservation, program at 4 MiB, 1 GiB heap.
pub fn default_layout() -> UserLayout {
    UserLayout {
        min: 0x1_0000,
        max: pmap::USER_END - PAGE,
        stack_top: pmap::USER_END - PAGE,
        stack_max: 8 << 20,
        text_start: 0x40_0000,
        data_end: 0x80_0000,
        heap_max: 1 << 30,
    }
}

/// An address space.
pub struct Vmspace {
    pub map: VmMap,
    pub pmap: Pmap,
    /// The program break: the heap is `[layout.data_end, brk)`.
    pub(super) brk: Mutex<Vaddr>,
    /// mlockall(MCL_FUTURE): whether new mappings are locked as they are
    /// made (`FUTURE_*`). Not inherited by fork, gone at exec.
    pub(super) future_lock: AtomicU8,
}

/// `Vmspace::future_lock`: new mappings are not locked.
pub const FUTURE_NONE: u8 = 0;
/// New mappings are locked and populated (MCL_FUTURE).
pub const FUTURE_LOCK: u8 = 1;
/// New mappings are locked as their pages are faulted in
/// (MCL_FUTURE | MCL_ONFAULT).
pub const FUTURE_ONFAULT: u8 = 2;

impl Vmspace {
    /// A new, empty address space.
    pub fn new(layout: UserLayout) -> KResult<Arc<Vmspace>> {
        let pmap = Pmap::create()?;
        let vs = Vmspace {
            map: VmMap::new_user(layout),
            pmap,
            brk: Mutex::new(layout.data_end),
            future_lock: AtomicU8::new(FUTURE_NONE),
        };
        Arc::try_new_or_nomem(vs)
    }

    /// Make this the running thread's address space (and load it). Page
    /// faults on user addresses are resolved against a thread's vmspace.
    pub fn activate(self: &Arc<Self>) {
        let old = crate::kern::sched::curlwp().set_vmspace(Some(self.clone()));
        drop(old);
    }

    /// The running thread goes back to the kernel's address space only.
    pub fn deactivate() {
        Pmap::kernel().activate();
        let old = crate::kern::sched::curlwp().set_vmspace(None);
        drop(old);
    }

    /// The running thread's vmspace, if any.
    pub fn current() -> Option<Arc<Vmspace>> {
        crate::kern::sched::curlwp().vmspace()
    }

    /// Map anonymous memory (or what `req` says); returns the address.
    ///
    /// A new anonymous range next to a compatible entry that already has
    /// an amap (of which it holds the only reference) extends that amap
    /// over the new range, forwards or backwards, and the map merges the
    /// two into one entry: topdown allocations below a used region keep
    /// one entry and one amap instead of one per allocation.
    pub fn map(&self, req: MapRequest) -> KResult<Vaddr> {
        let mut w = self.map.write();
        if req.backing != Backing::default()
            || !req.merge
            || !(req.flags - EntryFlags::GROWS_DOWN).is_empty()
        {
            return w.map(req);
        }
        let topdown = true;
        let addr = if req.fixed {
            req.hint.ok_or(KernError::Inval)?
        } else {
            let layout = w.layout().expect("user vmspace without layout");
            let hint = req
                .hint
                .unwrap_or_else(|| layout.default_addr(req.len, topdown));
            match w.findspace(req.len, req.align, Some(hint), topdown) {
                Some(a) => a,
                None => return w.map(req), // let the map report why
            }
        };
        let npages = (req.len / PAGE) as usize;
        let before = w.nentries();
        let compatible = |e: &EntryInfo| {
            e.prot == req.prot
                && e.max_prot == req.max_prot
                && e.inherit == req.inherit
                && e.advice == req.advice
                && e.flags == req.flags
                && e.wired_count == 0
                && e.backing.object.is_none()
                && e.backing.amap.is_some_and(|a| amap::refs(a.amap) == 1)
        };
        let mut extended = None;
        if let Some(p) = addr
            .checked_sub(PAGE)
            .and_then(|a| w.lookup(a))
            .filter(|p| p.end == addr && compatible(p))
        {
            let a = p.backing.amap.expect("compatible entries have an amap");
            let p_pages = (p.len() / PAGE) as usize;
            if amap::extend(a.amap, a.slot as usize, p_pages, npages, true).is_ok() {
                extended = Some(super::map::AmapRef {
                    amap: a.amap,
                    slot: a.slot + p_pages as u64,
                });
            }
        } else if let Some(n) = w
            .lookup(addr + req.len)
            .filter(|n| n.start == addr + req.len && compatible(n))
        {
            let a = n.backing.amap.expect("compatible entries have an amap");
            let n_pages = (n.len() / PAGE) as usize;
            if let Ok(out) = amap::extend(a.amap, a.slot as usize, n_pages, npages, false) {
                let new_slot = out.new_offset() as u64;
                // Sliding or reallocating moved the entry's pages within the
                // amap: its own slot follows them.
                w.modify(n.start, n.end, |me| {
                    if let Some(r) = me.backing.amap.as_mut() {
                        r.slot = new_slot + npages as u64;
                    }
                })?;
                extended = Some(super::map::AmapRef {
                    amap: a.amap,
                    slot: new_slot,
                });
            }
        }
        let Some(aref) = extended else {
            return w.map(MapRequest {
                hint: Some(addr),
                fixed: true,
                ..req
            });
        };
        let merged = MapRequest {
            hint: Some(addr),
            fixed: true,
            backing: Backing {
                amap: Some(aref),
                object: None,
            },
            ..req
        };
        let r = w.map(merged);
        debug_assert!(
            r.is_err() || w.nentries() == before,
            "an amap extension must merge"
        );
        r
    }

    /// The program break (end of the heap).
    pub fn brk(&self) -> Vaddr {
        *self.brk.lock()
    }

    /// Move the program break (brk): the heap grows up from the end of the
    /// program, within the layout's heap reservation, as one anonymous
    /// entry (growth merges with it); shrinking unmaps the released pages.
    pub fn set_brk(&self, new_brk: Vaddr) -> KResult<Vaddr> {
        let layout = self.map.layout().expect("user vmspace without layout");
        if new_brk < layout.data_end || new_brk > layout.heap_end() {
            return Err(KernError::NoMem);
        }
        let round = |v: Vaddr| v.next_multiple_of(PAGE);
        let old = self.brk();
        let (old_top, new_top) = (round(old), round(new_brk));
        if new_top > old_top {
            let req = MapRequest::anon(new_top - old_top, VmProt::READ | VmProt::WRITE).at(old_top);
            self.map(req)?;
        } else if new_top < old_top {
            self.unmap(new_top, old_top)?;
        }
        *self.brk.lock() = new_brk;
        Ok(new_brk)
    }

    /// Map `len` bytes of `obj` from `offset`: shared (writes reach the
    /// object) or private (copy-on-write).
    pub fn map_object(
        &self,
        obj: object::ObjRef,
        offset: u64,
        len: u64,
        prot: VmProt,
        shared: bool,
    ) -> KResult<Vaddr> {
        object::add_ref(obj);
        let mut req = MapRequest::anon(len, prot);
        req.backing = Backing {
            amap: None,
            object: Some(super::map::ObjectRef {
                object: obj,
                offset,
            }),
        };
        req.merge = false;
        if !shared {
            req.flags = EntryFlags::COPY_ON_WRITE;
        } else {
            req.inherit = Inherit::Share;
        }
        self.map.map(req).inspect_err(|_| object::drop_ref(obj))
    }

    /// Map `len` bytes of `obj` from `offset` at exactly `addr` (exec's
    /// segments): private (copy-on-write) or shared; the maximum protection
    /// allows everything (a private copy may be written, by ptrace too).
    pub fn map_object_at(
        &self,
        obj: object::ObjRef,
        offset: u64,
        addr: Vaddr,
        len: u64,
        prot: VmProt,
        shared: bool,
    ) -> KResult<Vaddr> {
        object::add_ref(obj);
        let mut req = MapRequest::anon(len, prot).at(addr);
        req.backing = Backing {
            amap: None,
            object: Some(super::map::ObjectRef {
                object: obj,
                offset,
            }),
        };
        req.merge = false;
        if !shared {
            req.flags = EntryFlags::COPY_ON_WRITE;
        } else {
            req.inherit = Inherit::Share;
        }
        self.map.map(req).inspect_err(|_| object::drop_ref(obj))
    }

    /// Unmap `[start, end)`: the entries go and the pages leave the pmap
    /// with the map write-locked (no fault can map them in between), then
    /// the references they held are dropped without the lock.
    pub fn unmap(&self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let dead = {
            let mut w = self.map.write();
            let dead = w.unmap(start, end)?;
            self.pmap.remove(start, end);
            pmap::update();
            dead
        };
        release(&self.map, dead);
        Ok(())
    }

    /// Change the protection of `[start, end)`; mappings are lowered at
    /// once (to what the MMU grants for `prot`: see `VmProt::effective`).
    pub fn protect(&self, start: Vaddr, end: Vaddr, prot: VmProt) -> KResult<()> {
        let mut w = self.map.write();
        w.protect(start, end, prot, false)?;
        self.pmap.protect(start, end, prot.effective());
        pmap::update();
        Ok(())
    }

    /// What mlockall(MCL_FUTURE) asked for new mappings (`FUTURE_*`).
    pub fn future_lock(&self) -> u8 {
        self.future_lock.load(Ordering::Relaxed)
    }

    pub fn set_future_lock(&self, how: u8) {
        self.future_lock.store(how, Ordering::Relaxed);
    }

    /// A copy of this address space, by each entry's inheritance. The
    /// parent's map is write-locked throughout (its entries change: they
    /// become needs-copy, and its pages are write-protected).
    pub fn fork(&self) -> KResult<Arc<Vmspace>> {
        let layout = self.map.layout().expect("user vmspace without layout");
        let child = Vmspace::new(layout)?;
        *child.brk.lock() = self.brk();
        let mut w = self.map.write();
        let mut entries: Vec<EntryInfo> = Vec::new();
        entries
            .try_reserve(w.nentries())
            .map_err(|_| KernError::NoMem)?;
        w.walk(|e| entries.push(*e));
        for e in entries {
            fork_entry(&mut w, &self.pmap, &child, &e)?;
        }
        pmap::update();
        Ok(child)
    }
}

/// Arc::new that reports allocation failure as NoMem.
trait TryNewOrNoMem<T> {
    fn try_new_or_nomem(v: T) -> KResult<Arc<T>>;
}

impl<T> TryNewOrNoMem<T> for Arc<T> {
    fn try_new_or_nomem(v: T) -> KResult<Arc<T>> {
        // Arc::try_new is not stable; a Vec reservation probes kmem first so
        // the infallible Arc::new below does not hit an exhausted allocator.
        let mut probe: Vec<T> = Vec::new();
        probe.try_reserve_exact(2).map_err(|_| KernError::NoMem)?;
        drop(probe);
        Ok(Arc::new(v))
    }
}

/// Drop the references held by removed entries.
pub(super) fn release(map: &VmMap, dead: DeadEntries) {
    map.reap(dead, release_entry);
}

/// Drop the references one removed entry held.
pub(super) fn release_entry(e: EntryInfo) {
    if let Some(a) = e.backing.amap {
        amap::remove_ref(a.amap, a.slot as usize, (e.len() / PAGE) as usize);
    }
    if let Some(o) = e.backing.object {
        object::drop_ref(o.object);
    }
}

/// Give `e` (an entry of the write-locked map `w`) an amap of its own if it
/// has none: used before sharing it. Returns the entry as it is now.
fn ensure_amap(w: &mut MapWrite<'_>, e: &EntryInfo) -> KResult<EntryInfo> {
    if e.flags.contains(EntryFlags::NEEDS_COPY) {
        super::fault::resolve_needs_copy(w, e)?;
    } else if e.backing.amap.is_none() {
        super::fault::give_amap(w, e)?;
    }
    w.lookup(e.start).ok_or(KernError::Fault)
}

fn fork_entry(
    parent: &mut MapWrite<'_>,
    parent_pmap: &Pmap,
    child: &Vmspace,
    e: &EntryInfo,
) -> KResult<()> {
    let npages = (e.len() / PAGE) as usize;
    let mut req = MapRequest::anon(e.len(), e.prot).at(e.start);
    req.max_prot = e.max_prot;
    // mlock is not inherited: the child's copy is not locked.
    let e = &EntryInfo {
        flags: e.flags - EntryFlags::USER_WIRED,
        ..*e
    };
    req.inherit = e.inherit;
    req.advice = e.advice;
    req.merge = false;
    match e.inherit {
        Inherit::None => return Ok(()),
        Inherit::Zero => {
            req.flags = EntryFlags::empty();
        }
        Inherit::Share => {
            let e = ensure_amap(parent, e)?;
            let a = e.backing.amap.expect("shared entry has an amap");
            amap::add_ref(a.amap, a.slot as usize, npages)?;
            amap::set_shared(a.amap, true);
            if let Some(o) = e.backing.object {
                object::add_ref(o.object);
            }
            req.backing = e.backing;
            req.flags = e.flags - EntryFlags::NEEDS_COPY;
        }
        Inherit::Copy => {
            let shared_amap = e.backing.amap.is_some_and(|a| amap::is_shared(a.amap));
            if e.wired_count > 0 || shared_amap {
                // Copy now: the child gets its own anons; the parent's
                // (wired, or shared with others) pages are left alone.
                let e = ensure_amap(parent, e)?;
                let a = e.backing.amap.expect("entry has an amap");
                let copy = amap::copy(a.amap, a.slot as usize, npages, PoolFlags::WAITOK)?;
                super::fault::cow_now(copy, npages)?;
                req.backing = Backing {
                    amap: Some(super::map::AmapRef {
                        amap: copy,
                        slot: 0,
                    }),
                    object: e.backing.object,
                };
                if let Some(o) = e.backing.object {
                    object::add_ref(o.object);
                }
                req.flags = (e.flags | EntryFlags::COPY_ON_WRITE) - EntryFlags::NEEDS_COPY;
            } else {
                if let Some(a) = e.backing.amap {
                    amap::add_ref(a.amap, a.slot as usize, npages)?;
                }
                if let Some(o) = e.backing.object {
                    object::add_ref(o.object);
                }
                req.backing = e.backing;
                let cow = EntryFlags::COPY_ON_WRITE | EntryFlags::NEEDS_COPY;
                req.flags = e.flags | cow;
                if e.backing.amap.is_some() {
                    // Both sides copy on their next write: mark the parent
                    // and write-protect its pages.
                    parent.modify(e.start, e.end, |pe| pe.flags |= cow)?;
                    parent_pmap.protect(e.start, e.end, e.prot - VmProt::WRITE);
                }
            }
        }
    }
    child.map.map(req).map(|_| ()).inspect_err(|_| {
        release_entry(EntryInfo {
            backing: req.backing,
            ..*e
        });
    })
}

impl Vmspace {
    /// True if `[start, end)` is mapped without a hole.
    pub fn is_mapped(&self, start: Vaddr, end: Vaddr) -> bool {
        let r = self.map.read();
        let mut va = start;
        while va < end {
            match r.lookup(va) {
                Some(e) => va = e.end,
                None => return false,
            }
        }
        true
    }

    /// True if nothing is mapped in `[start, end)`.
    pub fn is_free(&self, start: Vaddr, end: Vaddr) -> bool {
        self.map.read().is_free(start, end)
    }

    /// Make the mapping `req` at its fixed address, replacing whatever is
    /// there, as one change: the old entries are removed and the new one
    /// made under one hold of the map lock; if the new one cannot be made,
    /// the old entries are put back.
    pub fn map_replace(&self, req: MapRequest) -> KResult<Vaddr> {
        let addr = req.hint.ok_or(KernError::Inval)?;
        let end = addr.checked_add(req.len).ok_or(KernError::Inval)?;
        let (result, dead) = {
            let mut w = self.map.write();
            let dead = w.unmap(addr, end)?;
            self.pmap.remove(addr, end);
            pmap::update();
            match w.map(MapRequest { fixed: true, ..req }) {
                Ok(a) => (Ok(a), dead),
                Err(e) => {
                    // Put the old mappings back as they were.
                    let mut restore = Vec::new();
                    self.map_reap_into(&mut w, dead, &mut restore);
                    for old in restore {
                        if remap_entry(&mut w, &old, old.start).is_err() {
                            release_entry(old);
                        }
                    }
                    return Err(e);
                }
            }
        };
        release(&self.map, dead);
        result
    }

    /// Free dead entries while holding the write lock, keeping what they
    /// referenced (for putting them back).
    pub(super) fn map_reap_into(
        &self,
        w: &mut MapWrite<'_>,
        dead: DeadEntries,
        out: &mut Vec<EntryInfo>,
    ) {
        w.reap_locked(dead, |e| {
            if out.try_reserve(1).is_ok() {
                out.push(e);
            } else {
                release_entry(e);
            }
        });
    }

    /// Move the entries of `[old, old + len)` to `[new, new + len)`
    /// (mremap): each keeps its amap and object, so no page is copied; the
    /// old pages leave the pmap and fault in again at the new place. The
    /// caller has checked that the old range is wholly mapped and the new
    /// one free. Under one hold of the map lock; if an entry cannot be
    /// made at the new place, everything goes back where it was.
    pub fn move_range(&self, old: Vaddr, len: u64, new: Vaddr) -> KResult<()> {
        let mut w = self.map.write();
        let dead = w.unmap(old, old + len)?;
        self.pmap.remove(old, old + len);
        pmap::update();
        let mut moved = Vec::new();
        self.map_reap_into(&mut w, dead, &mut moved);
        let mut done = 0;
        let mut failed = None;
        for e in &moved {
            if let Err(err) = remap_entry(&mut w, e, new + (e.start - old)) {
                failed = Some(err);
                break;
            }
            done += 1;
        }
        let Some(err) = failed else {
            return Ok(());
        };
        // Back where they were: take the moved ones out again (their
        // references go with them), then map every entry at its old place.
        if let Ok(back) = w.unmap(new, new + len) {
            self.pmap.remove(new, new + len);
            pmap::update();
            let mut again = Vec::new();
            self.map_reap_into(&mut w, back, &mut again);
            debug_assert_eq!(again.len(), done);
        }
        for e in moved {
            if remap_entry(&mut w, &e, e.start).is_err() {
                release_entry(e);
            }
        }
        Err(err)
    }
}

/// Map the removed entry `e` (its backing references included, which the
/// new entry takes over) at `at`, with its attributes and wiring count.
fn remap_entry(w: &mut MapWrite<'_>, e: &EntryInfo, at: Vaddr) -> KResult<()> {
    let mut req = MapRequest::anon(e.len(), e.prot).at(at);
    req.max_prot = e.max_prot;
    req.inherit = e.inherit;
    req.advice = e.advice;
    req.flags = e.flags;
    req.backing = e.backing;
    req.merge = false;
    w.map(req)?;
    if e.wired_count > 0 {
        let wired = e.wired_count;
        w.modify(at, at + e.len(), |me| me.wired_count = wired)?;
    }
    Ok(())
}

impl Drop for Vmspace {
    fn drop(&mut self) {
        self.pmap.remove_all();
        let (min, max) = self.map.bounds();
        let dead = self
            .map
            .unmap(min, max)
            .expect("unmapping a whole map cannot fail");
        self.pmap.remove(min, max);
        pmap::update();
        release(&self.map, dead);
    }
}
