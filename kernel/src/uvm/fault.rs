//! The UVM fault routine: resolve a page fault at `addr` of a vmspace.
//!
//! 1. Look up the map entry and check the access against its protection
//!    (its maximum protection for a wire fault: mlock faults at max prot).
//! 2. Resolve needs-copy (amap_copy) if the access writes, or give the
//!    entry an amap if it is anonymous and has none yet.
//! 3. The anon layer first:
//!    - case 1A: an anon is there and the access reads it, or writes an
//!      anon only this amap references: map its page (write-protected
//!      while others share it);
//!    - case 1B: a write to an anon with more than one reference: copy
//!      the page into a new anon (copy-on-write) and map that.
//! 4. Then the object layer:
//!    - case 2A: the object has the page and the mapping shares the object
//!      (or the access only reads): map the object's page (write-protected
//!      in a copy-on-write mapping);
//!    - case 2B: a write to a copy-on-write mapping of an object page
//!      promotes it into a new anon (copy); with no object at all, a new
//!      zero-filled anon (zero fill).
//!    - case 0: neither amap nor object can serve: error (cannot happen
//!      for a valid entry: anonymous entries always get an amap).
//! 5. Enter the mapping in the pmap with the access type (so the pmap can
//!    preset referenced/modified) and WIRED for a wire fault.
//!
//! On a resource shortage the fault drops everything it held, waits for
//! memory (for now: drains the pools' caches; later the page daemon) and
//! starts over, re-reading the map; after a few rounds it gives up with
//! `NoMem`. It never panics on bad input and never deadlocks: it holds one
//! lock at a time, in the order map, amap, anon, pmap, page queues.

use super::amap::{self, AmapHandle};
use super::anon::{self, Fill};
use super::map::{AmapRef, EntryFlags, EntryInfo};
use super::object::{self, PagerError};
use super::vmspace::{PAGE, Vmspace};
use super::{Paddr, Vaddr, VmProt};
use crate::arch::x86_64::trap::PageFaultCode;
use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_allocator::KMEM_ALLOCATOR;
use crate::pmap::{self, PmapFlags};
use core::sync::atomic::{AtomicU64, Ordering};

/// Rounds of "wait for memory and retry" before a fault gives up.
const MAX_RETRIES: usize = 3;

/// Fault statistics (uvmexp's fault counters).
pub struct FaultStats {
    pub faults: AtomicU64,
    pub zero_fills: AtomicU64,
    pub cow_copies: AtomicU64,
    pub object_maps: AtomicU64,
    pub promotes: AtomicU64,
    pub anon_maps: AtomicU64,
    pub retries: AtomicU64,
}

pub static STATS: FaultStats = FaultStats {
    faults: AtomicU64::new(0),
    zero_fills: AtomicU64::new(0),
    cow_copies: AtomicU64::new(0),
    object_maps: AtomicU64::new(0),
    promotes: AtomicU64::new(0),
    anon_maps: AtomicU64::new(0),
    retries: AtomicU64::new(0),
};

/// Resolve a fault at `addr` for `access` (READ, WRITE or EXECUTE); a
/// `wire` fault faults at maximum protection and wires the mapping.
pub fn fault(vs: &Vmspace, addr: Vaddr, access: VmProt, wire: bool) -> KResult<()> {
    STATS.faults.fetch_add(1, Ordering::Relaxed);
    for _ in 0..=MAX_RETRIES {
        match fault_once(vs, addr & !(PAGE - 1), access, wire) {
            Err(KernError::NoMem) => {
                STATS.retries.fetch_add(1, Ordering::Relaxed);
                wait_for_memory();
            }
            other => return other,
        }
    }
    Err(KernError::NoMem)
}

/// "Sleep until memory is available": there is no page daemon yet, so give
/// the pools' cached empty pages back to the page allocator.
fn wait_for_memory() {
    KMEM_ALLOCATOR.drain();
}

/// The page-fault hook the trap handler calls for kernel accesses to user
/// addresses (copyin/copyout-style accesses, and the tests).
pub fn fault_hook(addr: u64, code: PageFaultCode) -> bool {
    if addr >= pmap::USER_END {
        return false;
    }
    let Some(vs) = Vmspace::current() else {
        return false;
    };
    let access = if code.has(PageFaultCode::WRITE) {
        VmProt::WRITE
    } else if code.has(PageFaultCode::INSTRUCTION) {
        VmProt::EXECUTE
    } else {
        VmProt::READ
    };
    fault(&vs, addr, access, false).is_ok()
}

fn pager_error(e: PagerError) -> KernError {
    match e {
        PagerError::Again => KernError::NoMem,
        PagerError::Error => KernError::Io,
        PagerError::Busy | PagerError::Refault => KernError::NoMem,
    }
}

/// Give an anonymous entry an amap covering it.
pub fn give_amap(vs: &Vmspace, e: &EntryInfo) -> KResult<()> {
    let npages = (e.len() / PAGE) as usize;
    let a = amap::create(npages, PoolFlags::WAITOK)?;
    let mut set = false;
    vs.map.modify(e.start, e.end, |me| {
        if me.backing.amap.is_none() {
            me.backing.amap = Some(AmapRef { amap: a, slot: 0 });
            me.flags -= EntryFlags::NEEDS_COPY;
            set = true;
        }
    })?;
    if !set {
        amap::remove_ref(a, 0, npages);
    }
    Ok(())
}

/// Resolve needs-copy (amap_copy): the entry gets its own amap holding the
/// anons of its range (each anon gains a reference; pages are copied
/// later, on write, by case 1B).
pub fn resolve_needs_copy(vs: &Vmspace, e: &EntryInfo) -> KResult<()> {
    let npages = (e.len() / PAGE) as usize;
    let Some(old) = e.backing.amap else {
        return give_amap(vs, e);
    };
    let new = amap::copy(old.amap, old.slot as usize, npages, PoolFlags::WAITOK)?;
    vs.map.modify(e.start, e.end, |me| {
        me.backing.amap = Some(AmapRef { amap: new, slot: 0 });
        me.flags -= EntryFlags::NEEDS_COPY;
    })?;
    amap::remove_ref(old.amap, old.slot as usize, npages);
    Ok(())
}

/// Copy now (for wiring and forks of wired entries): every anon of the
/// amap that others also reference is replaced by a private copy.
pub fn cow_now(a: AmapHandle, npages: usize) -> KResult<()> {
    for slot in 0..npages {
        let Some(an) = amap::lookup(a, slot) else {
            continue;
        };
        if anon::refs(an) > 1 {
            let src = anon::page(an).expect("anon without a page");
            let new = anon::alloc(Fill::CopyOf(src), PoolFlags::WAITOK)?;
            amap::add(a, slot, new, true)?;
            STATS.cow_copies.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

fn fault_once(vs: &Vmspace, va: Vaddr, access: VmProt, wire: bool) -> KResult<()> {
    let mut e = vs.map.lookup(va).ok_or(KernError::Fault)?;
    let allowed = if wire { e.max_prot } else { e.prot };
    if !allowed.contains(access) {
        return Err(KernError::Access);
    }
    let write = access.contains(VmProt::WRITE);
    let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);

    // Needs-copy, or an anonymous entry without its amap yet.
    if e.flags.contains(EntryFlags::NEEDS_COPY) && (write || e.backing.amap.is_none()) {
        resolve_needs_copy(vs, &e)?;
        e = vs.map.lookup(va).ok_or(KernError::Fault)?;
    }
    if e.backing.amap.is_none() && (e.backing.object.is_none() || (write && cow)) {
        give_amap(vs, &e)?;
        e = vs.map.lookup(va).ok_or(KernError::Fault)?;
    }

    let page_index = (va - e.start) / PAGE;
    let still_shared = e.flags.contains(EntryFlags::NEEDS_COPY);
    let (pa, prot) = match e.backing.amap {
        Some(a) => {
            let slot = (a.slot + page_index) as usize;
            match amap::lookup(a.amap, slot) {
                Some(an) => anon_layer(&e, a.amap, slot, an, write, still_shared)?,
                None => object_layer(&e, Some((a.amap, slot)), page_index, write)?,
            }
        }
        None => object_layer(&e, None, page_index, write)?,
    };

    let mut flags = PmapFlags::CANFAIL
        | PmapFlags::from_bits_truncate(
            access.bits() as u32 & (PmapFlags::READ | PmapFlags::WRITE | PmapFlags::EXECUTE).bits(),
        );
    if wire {
        flags |= PmapFlags::WIRED;
    }
    vs.pmap.enter(va, pa, prot, flags)?;
    pmap::update();
    Ok(())
}

/// Case 1: the amap has an anon for the page.
fn anon_layer(
    e: &EntryInfo,
    a: AmapHandle,
    slot: usize,
    an: anon::AnonRef,
    write: bool,
    still_shared: bool,
) -> KResult<(Paddr, VmProt)> {
    let page = anon::page(an).expect("anon without a resident page");
    if write && anon::refs(an) > 1 {
        // 1B: copy-on-write.
        let new = anon::alloc(Fill::CopyOf(page), PoolFlags::WAITOK)?;
        amap::add(a, slot, new, true)?;
        STATS.cow_copies.fetch_add(1, Ordering::Relaxed);
        let pa = anon::page(new).expect("new anon has a page");
        return Ok((pa, e.prot));
    }
    // 1A: map it; read-only while others may still see the page.
    STATS.anon_maps.fetch_add(1, Ordering::Relaxed);
    let mut prot = e.prot;
    if anon::refs(an) > 1 || still_shared {
        prot -= VmProt::WRITE;
    }
    Ok((page, prot))
}

/// Case 2: no anon; the object (or zero fill).
fn object_layer(
    e: &EntryInfo,
    amap_slot: Option<(AmapHandle, usize)>,
    page_index: u64,
    write: bool,
) -> KResult<(Paddr, VmProt)> {
    let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);
    let Some(o) = e.backing.object else {
        // 2B: zero fill into a new anon.
        let (a, slot) = amap_slot.ok_or(KernError::Fault)?; // case 0
        let new = anon::alloc(Fill::Zero, PoolFlags::WAITOK)?;
        amap::add(a, slot, new, false)?;
        STATS.zero_fills.fetch_add(1, Ordering::Relaxed);
        return Ok((anon::page(new).expect("new anon has a page"), e.prot));
    };
    let offset = o.offset + page_index * PAGE;
    let page = object::get_page(o.object, offset).map_err(pager_error)?;
    if cow && write {
        // 2B: promote the object page into a new anon.
        let (a, slot) = amap_slot.ok_or(KernError::Fault)?;
        let new = anon::alloc(Fill::CopyOf(page), PoolFlags::WAITOK)?;
        amap::add(a, slot, new, false)?;
        STATS.promotes.fetch_add(1, Ordering::Relaxed);
        return Ok((anon::page(new).expect("new anon has a page"), e.prot));
    }
    // 2A: map the object's page (never writable through a COW mapping).
    STATS.object_maps.fetch_add(1, Ordering::Relaxed);
    let mut prot = e.prot;
    if cow {
        prot -= VmProt::WRITE;
    }
    Ok((page, prot))
}
