//! The UVM fault routine: resolve a page fault at `addr` of a vmspace.
//!
//! 1. Look up the map entry, with the map read-locked, and check the
//!    access against its protection as the MMU grants it (write and
//!    execute imply read on x86; its maximum protection for a wire fault).
//! 2. If the entry first needs amap work (needs-copy on a write, or an
//!    anonymous entry without an amap yet), drop the read lock, take the
//!    map exclusively, do it (amap_copy: with UVM's shortcuts: an amap only
//!    this entry references is not copied at all, and a large entry is
//!    clipped to the `AMAP_CHUNK` pages around the fault so only those are
//!    copied), and start over.
//! 3. With the map still read-locked from the lookup to the pmap_enter (so
//!    no unmap or protection change can come in between), the anon layer
//!    first:
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
//!    preset referenced/modified), WIRED for a wire fault or an entry that
//!    holds a wiring.
//!
//! Amaps may be shared with other address spaces (and, later, threads), so
//! the anon layer works optimistically: the anon looked up is held by an
//! extra reference while it is mapped, a new anon is put in its slot only
//! if the slot still holds what was seen (else the fault starts over), and
//! after pmap_enter the slot is checked again; a change meanwhile removes
//! the mapping and starts over. Replacing an anon in a shared amap removes
//! every mapping of the old page, so other address spaces refault.
//!
//! On a resource shortage the fault drops everything it held, waits for
//! memory (`physmem::wait_for_pages`: a sleep until pages are freed) and
//! starts over, re-reading the map; after a few rounds it gives up with
//! `NoMem`. It never panics on bad input. Lock order: map, amap, anon,
//! pmap, page queues; only the map lock is held across more than one step.

use super::amap::{self, AmapHandle};
use super::anon::{self, Fill};
use super::map::{AmapRef, EntryFlags, EntryInfo, MapWrite, VmMap};
use super::object::{self, PagerError};
use super::vmspace::{PAGE, Vmspace};
use super::{Paddr, Vaddr, VmProt};
use crate::arch::x86_64::trap::{FaultCause, PageFaultCode};
use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_allocator::KMEM_ALLOCATOR;
use crate::pmap::{self, Pmap, PmapFlags};
use core::sync::atomic::{AtomicU64, Ordering};

/// Rounds of "wait for memory and retry" before a fault gives up.
const MAX_RETRIES: usize = 3;

/// Refaults (the state changed under an optimistic step) allowed before
/// the fault reports an error: a livelock guard, never reached in practice.
const MAX_REFAULTS: usize = 1000;

/// Pages of an amap copied at once when a write resolves needs-copy on a
/// large entry (NetBSD's UVM_AMAP_CHUNK is 16; 64 measured better here: a
/// chunk copy has a fixed cost of about 3,000 instructions, and a child
/// writing its whole copy of a large region pays it once per chunk).
pub const AMAP_CHUNK: u64 = 64;

/// Fault statistics (uvmexp's fault counters).
pub struct FaultStats {
    pub faults: AtomicU64,
    pub zero_fills: AtomicU64,
    pub cow_copies: AtomicU64,
    pub object_maps: AtomicU64,
    pub promotes: AtomicU64,
    pub anon_maps: AtomicU64,
    pub retries: AtomicU64,
    /// Starts over because the map or an amap changed meanwhile.
    pub refaults: AtomicU64,
    /// needs-copy resolved without copying (the amap had one reference).
    pub copy_shortcuts: AtomicU64,
    /// amap copies of a chunk of a larger entry.
    pub chunked_copies: AtomicU64,
}

pub static STATS: FaultStats = FaultStats {
    faults: AtomicU64::new(0),
    zero_fills: AtomicU64::new(0),
    cow_copies: AtomicU64::new(0),
    object_maps: AtomicU64::new(0),
    promotes: AtomicU64::new(0),
    anon_maps: AtomicU64::new(0),
    retries: AtomicU64::new(0),
    refaults: AtomicU64::new(0),
    copy_shortcuts: AtomicU64::new(0),
    chunked_copies: AtomicU64::new(0),
};

/// What one attempt at a fault did.
enum Step {
    Done,
    /// Something changed under us (or amap work was done): start over.
    Refault,
}

/// Resolve a fault at `addr` for `access` (READ, WRITE or EXECUTE); a
/// `wire` fault faults at maximum protection and wires the mapping.
///
/// Nothing mapped at `addr`: a stack just above may grow down over it
/// (within RLIMIT_STACK), and then the fault runs once more.
pub fn fault(vs: &Vmspace, addr: Vaddr, access: VmProt, wire: bool) -> KResult<()> {
    match fault_map(&vs.map, &vs.pmap, addr, access, wire) {
        Err(KernError::Fault) => {
            let limit = crate::kern::proc::curproc_opt()
                .map(|p| p.rlimit(ferrite_abi::resource::RLIMIT_STACK).rlim_cur);
            match limit {
                Some(limit) if vs.grow_stack(addr & !(PAGE - 1), limit)? => {
                    fault_map(&vs.map, &vs.pmap, addr, access, wire)
                }
                _ => Err(KernError::Fault),
            }
        }
        r => r,
    }
}

/// `fault` on any map and the pmap that holds its mappings (uvm_io faults
/// on the kernel map, whose pages go into the kernel pmap).
pub fn fault_map(map: &VmMap, pmap: &Pmap, addr: Vaddr, access: VmProt, wire: bool) -> KResult<()> {
    STATS.faults.fetch_add(1, Ordering::Relaxed);
    let va = addr & !(PAGE - 1);
    let mut shortages = 0;
    let mut refaults = 0;
    loop {
        match fault_once(map, pmap, va, access, wire) {
            Ok(Step::Done) => return Ok(()),
            Ok(Step::Refault) => {
                STATS.refaults.fetch_add(1, Ordering::Relaxed);
                refaults += 1;
                if refaults > MAX_REFAULTS {
                    return Err(KernError::NoMem);
                }
            }
            Err(KernError::NoMem) if shortages < MAX_RETRIES => {
                shortages += 1;
                STATS.retries.fetch_add(1, Ordering::Relaxed);
                wait_for_memory();
            }
            Err(e) => return Err(e),
        }
    }
}

/// uvm_wait: give the pools' cached pages back, then sleep until pages
/// are freed (or a while passes). Nothing is held meanwhile.
fn wait_for_memory() {
    KMEM_ALLOCATOR.drain();
    crate::kern::sched::kstack::drain_cache();
    super::physmem::wait_for_pages();
}

/// The access a page-fault error code describes.
fn access_of(code: PageFaultCode) -> VmProt {
    if code.has(PageFaultCode::WRITE) {
        VmProt::WRITE
    } else if code.has(PageFaultCode::INSTRUCTION) {
        VmProt::EXECUTE
    } else {
        VmProt::READ
    }
}

/// A page fault from user mode at `addr` (called by the trap handler with
/// interrupts on): resolve it in the running thread's vmspace, or say why
/// not (the signal the program gets depends on it).
pub fn user_fault(addr: u64, code: PageFaultCode) -> Result<(), FaultCause> {
    let Some(vs) = Vmspace::current() else {
        return Err(FaultCause::Unmapped);
    };
    fault(&vs, addr, access_of(code), false).map_err(|e| match e {
        KernError::Access => FaultCause::Protection,
        KernError::NoMem => FaultCause::NoMemory,
        KernError::Io => FaultCause::Io,
        _ => FaultCause::Unmapped,
    })
}

/// A page fault at a user address inside a copy routine's window
/// (copyin/copyout): true if the VM made the access possible.
pub fn copy_fault(addr: u64, code: PageFaultCode) -> bool {
    if addr >= pmap::USER_END {
        return false;
    }
    match Vmspace::current() {
        Some(vs) => fault(&vs, addr, access_of(code), false).is_ok(),
        None => false,
    }
}

fn pager_error(e: PagerError) -> KernError {
    match e {
        PagerError::Again => KernError::NoMem,
        PagerError::Error => KernError::Io,
        PagerError::Busy | PagerError::Refault => KernError::NoMem,
    }
}

/// Give an anonymous entry an amap covering it (the map write-locked).
pub fn give_amap(w: &mut MapWrite<'_>, e: &EntryInfo) -> KResult<()> {
    let npages = (e.len() / PAGE) as usize;
    let a = amap::create(npages, PoolFlags::WAITOK)?;
    let mut set = false;
    w.modify(e.start, e.end, |me| {
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

/// Resolve needs-copy (amap_copy) for the entry `e` of the write-locked
/// map: the entry gets its own amap holding the anons of its range (each
/// anon gains a reference; pages are copied later, on write, by case 1B).
/// An amap this entry alone references is kept as it is (nothing else can
/// see it, so there is nothing to copy).
pub fn resolve_needs_copy(w: &mut MapWrite<'_>, e: &EntryInfo) -> KResult<()> {
    let npages = (e.len() / PAGE) as usize;
    let Some(old) = e.backing.amap else {
        return give_amap(w, e);
    };
    if amap::refs(old.amap) == 1 && !amap::is_shared(old.amap) {
        STATS.copy_shortcuts.fetch_add(1, Ordering::Relaxed);
        return w.modify(e.start, e.end, |me| me.flags -= EntryFlags::NEEDS_COPY);
    }
    let new = amap::copy(old.amap, old.slot as usize, npages, PoolFlags::WAITOK)?;
    w.modify(e.start, e.end, |me| {
        me.backing.amap = Some(AmapRef { amap: new, slot: 0 });
        me.flags -= EntryFlags::NEEDS_COPY;
    })?;
    amap::remove_ref(old.amap, old.slot as usize, npages);
    Ok(())
}

/// The amap work a fault at `va` needs before it can proceed, done with
/// the map write-locked: for a needs-copy entry larger than `AMAP_CHUNK`
/// pages, first clip it to the chunk around `va` (only that part is copied).
fn prepare_amap(w: &mut MapWrite<'_>, va: Vaddr, write: bool) -> KResult<()> {
    let mut e = w.lookup(va).ok_or(KernError::Fault)?;
    let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);
    if e.flags.contains(EntryFlags::NEEDS_COPY) && (write || e.backing.amap.is_none()) {
        let chunk = AMAP_CHUNK * PAGE;
        let shortcut = e
            .backing
            .amap
            .is_some_and(|a| amap::refs(a.amap) == 1 && !amap::is_shared(a.amap));
        if e.len() > chunk && e.backing.amap.is_some() && !shortcut {
            let start = (va & !(chunk - 1)).max(e.start);
            let end = (start + chunk).min(e.end);
            w.clip(start, end)?;
            e = w.lookup(va).ok_or(KernError::Fault)?;
            STATS.chunked_copies.fetch_add(1, Ordering::Relaxed);
        }
        return resolve_needs_copy(w, &e);
    }
    if e.backing.amap.is_none() && (e.backing.object.is_none() || (write && cow)) {
        return give_amap(w, &e);
    }
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

fn fault_once(vmap: &VmMap, pmap: &Pmap, va: Vaddr, access: VmProt, wire: bool) -> KResult<Step> {
    let map = vmap.read();
    let (e, deep) = map.lookup_deep(va);
    if deep {
        // A degenerate tree: repair it under the exclusive lock, then retry.
        drop(map);
        vmap.write().lookup(va);
        return Ok(Step::Refault);
    }
    let e = e.ok_or(KernError::Fault)?;
    // What the MMU can grant (write and execute imply read on x86) is what
    // the access is checked against and what the page is mapped with.
    let e = EntryInfo {
        prot: e.prot.effective(),
        max_prot: e.max_prot.effective(),
        ..e
    };
    let allowed = if wire { e.max_prot } else { e.prot };
    if !allowed.contains(access) {
        return Err(KernError::Access);
    }
    let write = access.contains(VmProt::WRITE);
    let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);

    // Needs-copy, or an anonymous entry without its amap yet: exclusive work.
    let needs_copy = e.flags.contains(EntryFlags::NEEDS_COPY);
    if (needs_copy && (write || e.backing.amap.is_none()))
        || (e.backing.amap.is_none() && (e.backing.object.is_none() || (write && cow)))
    {
        drop(map);
        prepare_amap(&mut vmap.write(), va, write)?;
        return Ok(Step::Refault);
    }

    // From here to pmap_enter the map stays read-locked.
    let page_index = (va - e.start) / PAGE;
    let resolved = match e.backing.amap {
        Some(a) => {
            let slot = (a.slot + page_index) as usize;
            match amap::lookup_ref(a.amap, slot) {
                Some(an) => anon_layer(&e, a.amap, slot, an, write, needs_copy),
                None => object_layer(&e, Some((a.amap, slot)), page_index, write),
            }
        }
        None => object_layer(&e, None, page_index, write),
    }?;
    let Some(Resolved {
        pa,
        prot,
        anon,
        hold,
    }) = resolved
    else {
        return Ok(Step::Refault);
    };

    let mut flags = PmapFlags::CANFAIL
        | PmapFlags::from_bits_truncate(
            access.bits() as u32 & (PmapFlags::READ | PmapFlags::WRITE | PmapFlags::EXECUTE).bits(),
        );
    // Pages of a wired entry are wired as they come in (a lock taken on
    // fault, or a page whose mapping went away meanwhile).
    if wire || e.wired_count > 0 {
        flags |= PmapFlags::WIRED;
    }
    let entered = pmap.enter(va, pa, prot, flags);
    // Still the anon of the slot? (an optimistic step lost a race if not)
    let stale =
        entered.is_ok() && anon.is_some_and(|(a, slot, an)| amap::lookup(a, slot) != Some(an));
    if stale {
        pmap.remove(va, va + PAGE);
    }
    pmap::update();
    if let Some(h) = hold {
        anon::drop_ref(h);
    }
    drop(map);
    entered?;
    Ok(if stale { Step::Refault } else { Step::Done })
}

/// What a layer found to map: the page, the protection, the (amap, slot,
/// anon) it came from if any, and the extra anon reference held meanwhile.
struct Resolved {
    pa: Paddr,
    prot: VmProt,
    anon: Option<(AmapHandle, usize, anon::AnonRef)>,
    hold: Option<anon::AnonRef>,
}

/// Drop the extra reference `lookup_ref` took.
fn release(held: anon::AnonRef) {
    anon::drop_ref(held);
}

/// Case 1: the amap has an anon for the page (`an`, held by an extra
/// reference the caller's `Resolved::hold` releases). `None`: refault.
fn anon_layer(
    e: &EntryInfo,
    a: AmapHandle,
    slot: usize,
    an: anon::AnonRef,
    write: bool,
    still_shared: bool,
) -> KResult<Option<Resolved>> {
    let page = anon::page(an).expect("anon without a resident page");
    // One reference is ours (the hold): others see `refs - 1`.
    let others = anon::refs(an) - 1;
    if write && others > 1 {
        // 1B: copy-on-write.
        let new = match anon::alloc(Fill::CopyOf(page), PoolFlags::WAITOK) {
            Ok(n) => n,
            Err(err) => {
                release(an);
                return Err(err);
            }
        };
        match amap::replace_if(a, slot, Some(an), new) {
            Ok(Ok(())) => {}
            Ok(Err(())) => {
                anon::drop_ref(new);
                release(an);
                return Ok(None);
            }
            Err(err) => {
                anon::drop_ref(new);
                release(an);
                return Err(err);
            }
        }
        if amap::is_shared(a) {
            // Other address spaces map the old page through this amap.
            pmap::page_protect(page, VmProt::empty());
        }
        STATS.cow_copies.fetch_add(1, Ordering::Relaxed);
        release(an);
        let pa = anon::page(new).expect("new anon has a page");
        return Ok(Some(Resolved {
            pa,
            prot: e.prot,
            anon: Some((a, slot, new)),
            hold: None,
        }));
    }
    // 1A: map it; read-only while others may still see the page.
    STATS.anon_maps.fetch_add(1, Ordering::Relaxed);
    let mut prot = e.prot;
    if others > 1 || still_shared {
        prot -= VmProt::WRITE;
    }
    Ok(Some(Resolved {
        pa: page,
        prot,
        anon: Some((a, slot, an)),
        hold: Some(an),
    }))
}

/// Put a new anon in an empty slot; `None` if someone filled it first.
fn fill_slot(
    a: AmapHandle,
    slot: usize,
    new: anon::AnonRef,
    prot: VmProt,
) -> KResult<Option<Resolved>> {
    match amap::replace_if(a, slot, None, new) {
        Ok(Ok(())) => Ok(Some(Resolved {
            pa: anon::page(new).expect("new anon has a page"),
            prot,
            anon: Some((a, slot, new)),
            hold: None,
        })),
        Ok(Err(())) => {
            anon::drop_ref(new);
            Ok(None)
        }
        Err(err) => {
            anon::drop_ref(new);
            Err(err)
        }
    }
}

/// Case 2: no anon; the object (or zero fill). `None`: refault.
fn object_layer(
    e: &EntryInfo,
    amap_slot: Option<(AmapHandle, usize)>,
    page_index: u64,
    write: bool,
) -> KResult<Option<Resolved>> {
    let cow = e.flags.contains(EntryFlags::COPY_ON_WRITE);
    let Some(o) = e.backing.object else {
        // 2B: zero fill into a new anon.
        let (a, slot) = amap_slot.ok_or(KernError::Fault)?; // case 0
        let new = anon::alloc(Fill::Zero, PoolFlags::WAITOK)?;
        let r = fill_slot(a, slot, new, e.prot)?;
        if r.is_some() {
            STATS.zero_fills.fetch_add(1, Ordering::Relaxed);
        }
        return Ok(r);
    };
    let offset = o.offset + page_index * PAGE;
    let page = object::get_page(o.object, offset).map_err(pager_error)?;
    if cow && write {
        // 2B: promote the object page into a new anon.
        let (a, slot) = amap_slot.ok_or(KernError::Fault)?;
        let new = anon::alloc(Fill::CopyOf(page), PoolFlags::WAITOK)?;
        let r = fill_slot(a, slot, new, e.prot)?;
        if r.is_some() {
            STATS.promotes.fetch_add(1, Ordering::Relaxed);
        }
        return Ok(r);
    }
    // 2A: map the object's page (never writable through a COW mapping).
    STATS.object_maps.fetch_add(1, Ordering::Relaxed);
    let mut prot = e.prot;
    if cow {
        prot -= VmProt::WRITE;
    }
    Ok(Some(Resolved {
        pa: page,
        prot,
        anon: None,
        hold: None,
    }))
}
