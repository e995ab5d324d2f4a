//! Physical maps: one per address space, plus the kernel's. A `Pmap` is a
//! handle; `reference` makes another, and dropping the last one destroys the
//! pmap (pmap_destroy), freeing every page-table page it owns.
//!
//! User pmaps share the kernel half: their top-level table copies the
//! kernel's 256 upper entries, and those point to kernel PDPTs that exist
//! from boot on and are never freed, so a kernel mapping made in any pmap is
//! seen by all of them.
//!
//! Page-table pages are vm_pages used as `PageUse::PageTable`; each counts
//! its valid entries in its `PageMd::ptp_count`, and is freed as soon as the
//! count drops to zero. Managed pages (RAM with a vm_page) get a pv entry
//! per mapping and keep the referenced/modified bits of their vanished
//! mappings in `PageMd::attrs`.
//!
//! Lowering or removing a mapping only queues its TLB invalidation; callers
//! call `update()` before relying on the change (pmap_update).

use super::direct::{self, PAGE_SIZE};
use super::pat::{self, MemAttr};
use super::pte::{self, ADDR_MASK, ENTRIES, Pte};
use super::pv::{self, PvEntry};
use super::tlb::TlbQueue;
use super::{Paddr, PageMd, PmapFlags, Vaddr, VmProt};
use crate::arch::x86_64::percpu::{self, MAX_CPUS};
use crate::kern::error::{KResult, KernError};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::PhysFrame;

/// The kernel pmap's id.
pub const KERNEL_ID: u32 = 0;
/// First user-half address past the end of the user half.
pub const USER_END: Vaddr = 0x0000_8000_0000_0000;

struct PmapData {
    pml4: Paddr,
    refs: u32,
    resident: u64,
    wired: u64,
    ptps: u64,
    removing_all: bool,
}

struct PmapState {
    pmaps: Vec<Option<PmapData>>,
    /// Unused ids (so creating a pmap never scans the table).
    free_ids: Vec<u32>,
    /// Each CPU's queue of pending TLB invalidations.
    tlb: [TlbQueue; MAX_CPUS],
}

static STATE: Mutex<PmapState> = Mutex::new(PmapState {
    pmaps: Vec::new(),
    free_ids: Vec::new(),
    tlb: [const { TlbQueue::new() }; MAX_CPUS],
});

/// The pmap each CPU has loaded (its id). Read and written without the
/// pmap lock: only the CPU itself changes its entry (activate, destroy).
static ACTIVE: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(KERNEL_ID) }; MAX_CPUS];

fn cpu() -> usize {
    percpu::try_this_cpu().map_or(0, |c| c.id())
}

fn active() -> u32 {
    ACTIVE[cpu()].load(Ordering::Relaxed)
}

fn with<R>(f: impl FnOnce(&mut PmapState) -> R) -> R {
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut STATE.lock()))
}

// ---------------------------------------------------------------------------
// Page-table primitives.

/// Read a page-table word. Every caller passes a slot of a page-table page
/// this pmap layer owns (or the kernel image / boot tables it adopted).
fn rd(pa: Paddr) -> u64 {
    // SAFETY: page-table pages are RAM owned by the pmap layer.
    unsafe { direct::read_u64(pa) }
}

/// Write a page-table word; same rule as `rd`, with the pmap lock held.
fn wr(pa: Paddr, v: u64) {
    // SAFETY: page-table pages are RAM owned by the pmap layer, changed
    // only under its lock.
    unsafe { direct::write_u64(pa, v) }
}

fn slot(table: Paddr, va: Vaddr, level: u32) -> Paddr {
    table + (pte::index(va, level) * 8) as u64
}

fn is_present(e: u64) -> bool {
    e & Pte::PRESENT.bits() != 0
}

fn is_huge(e: u64) -> bool {
    e & Pte::HUGE.bits() != 0
}

fn addr_of(e: u64) -> Paddr {
    e & ADDR_MASK
}

/// Size of the region one entry at `level` covers.
fn level_span(level: u32) -> u64 {
    1u64 << (12 + 9 * (level - 1))
}

fn next_boundary(va: Vaddr, level: u32) -> Vaddr {
    (va & !(level_span(level) - 1)).saturating_add(level_span(level))
}

fn ptp_adjust(table: Paddr, delta: i32) -> u16 {
    physmem::with_md(table, |md| {
        md.ptp_count = (md.ptp_count as i32 + delta) as u16;
        md.ptp_count
    })
    .expect("page-table page outside the vm_page array")
}

fn ptp_count(table: Paddr) -> u16 {
    physmem::with_md(table, |md| md.ptp_count).unwrap_or(0)
}

/// Give a page-table page back: boot-time tables return to the boot pool.
fn free_ptp(table: Paddr) {
    physmem::with_md(table, |md| md.ptp_count = 0);
    match physmem::usage_of(table) {
        Some(PageUse::Boot) => physmem::release_boot_page(table),
        _ => physmem::free_page(table),
    }
}

/// The level-1 table covering `va`, or the next address worth trying when
/// a level above is missing (or is a huge page).
fn walk_to_pt(pml4: Paddr, va: Vaddr) -> Result<Paddr, Vaddr> {
    let mut table = pml4;
    for level in (2..=4).rev() {
        let e = rd(slot(table, va, level));
        if !is_present(e) || is_huge(e) {
            return Err(next_boundary(va, level));
        }
        table = addr_of(e);
    }
    Ok(table)
}

/// Call `f(pt, start, end)` for each level-1 table under `pml4` that
/// covers part of `[sva, eva)`, with the part it covers; missing levels are
/// skipped a whole table's span at a time.
fn for_each_pt(pml4: Paddr, sva: Vaddr, eva: Vaddr, mut f: impl FnMut(Paddr, Vaddr, Vaddr)) {
    let mut va = sva;
    while va < eva {
        match walk_to_pt(pml4, va) {
            Err(next) => va = next,
            Ok(pt) => {
                let end = next_boundary(va, 2).min(eva);
                f(pt, va, end);
                va = end;
            }
        }
    }
}

/// Translate `va` through the tables at `pml4` (huge pages included).
pub(super) fn translate(pml4: Paddr, va: Vaddr) -> Option<(Paddr, u64)> {
    let mut table = pml4;
    for level in (1..=4).rev() {
        let e = rd(slot(table, va, level));
        if !is_present(e) {
            return None;
        }
        if level == 1 || is_huge(e) {
            let mask = level_span(level) - 1;
            return Some(((addr_of(e) & !mask) | (va & mask), e));
        }
        table = addr_of(e);
    }
    None
}

/// Sanity of a (pmap, va) pair: page aligned, in the pmap's half.
fn check_va(id: u32, va: Vaddr) -> KResult<()> {
    let aligned = va.is_multiple_of(PAGE_SIZE);
    let in_half = if id == KERNEL_ID {
        pte::is_kernel_va(va)
    } else {
        va < USER_END
    };
    if aligned && in_half {
        Ok(())
    } else {
        Err(KernError::Inval)
    }
}

// ---------------------------------------------------------------------------
// State-level operations (callers hold the lock).

impl PmapState {
    fn data(&mut self, id: u32) -> &mut PmapData {
        self.pmaps[id as usize]
            .as_mut()
            .expect("use of a destroyed pmap")
    }

    /// True if a change to `id`'s mappings must reach the TLB.
    fn visible(&self, id: u32) -> bool {
        id == KERNEL_ID || active() == id
    }

    fn invalidate(&mut self, id: u32, va: Vaddr) {
        if !self.visible(id) {
            return;
        }
        if self.pmaps[id as usize]
            .as_ref()
            .is_some_and(|d| d.removing_all)
        {
            self.tlb[cpu()].invalidate_all();
        } else {
            self.tlb[cpu()].invalidate(va);
        }
    }

    /// The level-1 table for `va`, creating missing levels. On failure every
    /// table created here is freed again and the pmap is as before.
    fn ensure_pt(&mut self, id: u32, va: Vaddr) -> KResult<Paddr> {
        let user = id != KERNEL_ID;
        let mut table = self.data(id).pml4;
        for level in (2..=4).rev() {
            let s = slot(table, va, level);
            let e = rd(s);
            if is_present(e) {
                if is_huge(e) {
                    return Err(KernError::Inval);
                }
                table = addr_of(e);
                continue;
            }
            let new = match physmem::alloc_page_zeroed(PageUse::PageTable) {
                Ok(pa) => pa,
                Err(e) => {
                    self.release_empty_tables(id, va);
                    return Err(e);
                }
            };
            let mut flags = Pte::PRESENT | Pte::WRITABLE;
            if user {
                flags |= Pte::USER;
            }
            wr(s, new | flags.bits());
            ptp_adjust(table, 1);
            self.data(id).ptps += 1;
            table = new;
        }
        Ok(table)
    }

    /// Free the tables on the path to `va` that hold no entries, bottom-up.
    /// The top level and the kernel half's PDPTs (shared by every pmap) stay.
    fn release_empty_tables(&mut self, id: u32, va: Vaddr) {
        let mut path = [(0u64, 0u64, 0u32); 3]; // (slot in parent, table, level of table)
        let mut depth = 0;
        let mut table = self.data(id).pml4;
        for level in (2..=4).rev() {
            let s = slot(table, va, level);
            let e = rd(s);
            if !is_present(e) || is_huge(e) {
                break;
            }
            table = addr_of(e);
            path[depth] = (s, table, level - 1);
            depth += 1;
        }
        let mut freed = false;
        for &(s, table, level) in path[..depth].iter().rev() {
            let shared = level == 3 && pte::is_kernel_va(va);
            if shared || ptp_count(table) != 0 {
                break;
            }
            wr(s, 0);
            let parent = s & !(PAGE_SIZE - 1);
            ptp_adjust(parent, -1);
            free_ptp(table);
            self.data(id).ptps -= 1;
            freed = true;
        }
        if freed {
            // Paging-structure caches may still hold the freed tables.
            self.invalidate(id, va);
        }
    }

    /// Unlink the pv entry (id, va) from the page at `pa`.
    fn pv_remove(&mut self, pa: Paddr, id: u32, va: Vaddr) {
        let head = physmem::with_md(pa, |md| md.pv_head).expect("managed page without vm_page");
        let (mut prev, mut cur) = (pv::NIL, head);
        while cur != pv::NIL {
            let e = pv::get(cur);
            if e.pmap == id && e.va == va {
                if prev == pv::NIL {
                    physmem::with_md(pa, |md| md.pv_head = e.next);
                } else {
                    pv::set_next(prev, e.next);
                }
                pv::free(cur);
                return;
            }
            prev = cur;
            cur = e.next;
        }
        panic!("pmap: no pv entry for pmap {id} va {va:#x} on page {pa:#x}");
    }

    /// Remove the leaf entry for `va` in level-1 table `pt` (if any):
    /// saves R/M, drops the pv entry, updates counts, queues invalidation.
    fn remove_leaf(&mut self, id: u32, pt: Paddr, va: Vaddr) -> bool {
        let s = slot(pt, va, 1);
        let e = rd(s);
        if !is_present(e) {
            return false;
        }
        wr(s, 0);
        ptp_adjust(pt, -1);
        let d = self.data(id);
        d.resident -= 1;
        if e & Pte::WIRED.bits() != 0 {
            d.wired -= 1;
        }
        if e & Pte::MANAGED.bits() != 0 {
            let pa = addr_of(e);
            let attrs = rm_bits(e);
            physmem::with_md(pa, |md| md.attrs |= attrs);
            self.pv_remove(pa, id, va);
        }
        self.invalidate(id, va);
        true
    }

    fn remove_range(&mut self, id: u32, sva: Vaddr, eva: Vaddr) {
        let pml4 = self.data(id).pml4;
        for_each_pt(pml4, sva, eva, |pt, start, end| {
            let mut va = start;
            while va < end {
                self.remove_leaf(id, pt, va);
                va += PAGE_SIZE;
            }
            self.release_empty_tables(id, start);
        });
    }

    /// The leaf entry slot of (id, va), if its table exists.
    fn leaf_slot(&mut self, id: u32, va: Vaddr) -> Option<Paddr> {
        walk_to_pt(self.data(id).pml4, va)
            .ok()
            .map(|pt| slot(pt, va, 1))
    }

    /// Apply `f` to every mapping of the managed page `pa`: (pmap id, va, slot).
    fn for_each_mapping(&mut self, pa: Paddr, mut f: impl FnMut(&mut Self, u32, Vaddr, Paddr)) {
        let mut cur = physmem::with_md(pa, |md| md.pv_head).unwrap_or(pv::NIL);
        while cur != pv::NIL {
            let PvEntry { va, pmap, next } = pv::get(cur);
            let s = self
                .leaf_slot(pmap, va)
                .expect("pv entry without page table");
            f(self, pmap, va, s);
            cur = next;
        }
    }

    fn enter(
        &mut self,
        id: u32,
        va: Vaddr,
        pa: Paddr,
        prot: VmProt,
        flags: PmapFlags,
    ) -> KResult<()> {
        let pt = self.ensure_pt(id, va)?;
        let s = slot(pt, va, 1);
        let old = rd(s);
        let managed = physmem::usage_of(pa).is_some();
        let attr = if flags.contains(PmapFlags::NOCACHE) {
            MemAttr::Uncached
        } else if flags.contains(PmapFlags::WRITE_COMBINE) {
            MemAttr::WriteCombining
        } else if managed {
            physmem::with_md(pa, |md| MemAttr::from_u8(md.memattr)).unwrap_or(MemAttr::WriteBack)
        } else {
            MemAttr::WriteBack
        };
        let mut new = pte_bits(id, pa, prot, flags, attr);
        if managed {
            new |= Pte::MANAGED.bits();
        }
        let wired = flags.contains(PmapFlags::WIRED);

        if is_present(old) && addr_of(old) == pa {
            // Same page: change protection and wiring, keep R/M and the pv entry.
            new |= old & (Pte::ACCESSED | Pte::DIRTY).bits();
            wr(s, new);
            let was_wired = old & Pte::WIRED.bits() != 0;
            let d = self.data(id);
            match (was_wired, wired) {
                (false, true) => d.wired += 1,
                (true, false) => d.wired -= 1,
                _ => {}
            }
            self.invalidate(id, va);
            return Ok(());
        }

        // Take the pv entry before touching anything, so failure changes nothing.
        let pv_id = if managed {
            let head = physmem::with_md(pa, |md| md.pv_head).unwrap_or(pv::NIL);
            let entry = PvEntry {
                va,
                pmap: id,
                next: head,
            };
            match pv::alloc(entry, flags.contains(PmapFlags::CANFAIL)) {
                Ok(pv_id) => Some(pv_id),
                Err(e) => {
                    self.release_empty_tables(id, va);
                    return Err(e);
                }
            }
        } else {
            None
        };
        if is_present(old) {
            self.remove_leaf(id, pt, va);
        }
        if let Some(pv_id) = pv_id {
            physmem::with_md(pa, |md| md.pv_head = pv_id);
        }
        wr(s, new);
        ptp_adjust(pt, 1);
        let d = self.data(id);
        d.resident += 1;
        if wired {
            d.wired += 1;
        }
        Ok(())
    }

    /// Destroy pmap `id`: every mapping and every page-table page goes.
    fn destroy(&mut self, id: u32) {
        if active() == id {
            activate_tables(self.data(KERNEL_ID).pml4);
            ACTIVE[cpu()].store(KERNEL_ID, Ordering::Relaxed);
        }
        let pml4 = self.data(id).pml4;
        for i4 in 0..ENTRIES / 2 {
            let e4 = rd(pml4 + (i4 * 8) as u64);
            if !is_present(e4) {
                continue;
            }
            let pdpt = addr_of(e4);
            for i3 in 0..ENTRIES {
                let e3 = rd(pdpt + (i3 * 8) as u64);
                if !is_present(e3) {
                    continue;
                }
                let pd = addr_of(e3);
                for i2 in 0..ENTRIES {
                    let e2 = rd(pd + (i2 * 8) as u64);
                    if !is_present(e2) {
                        continue;
                    }
                    let pt = addr_of(e2);
                    let base = ((i4 as u64) << 39) | ((i3 as u64) << 30) | ((i2 as u64) << 21);
                    for i1 in 0..ENTRIES {
                        self.remove_leaf(id, pt, base | ((i1 as u64) << 12));
                    }
                    free_ptp(pt);
                }
                free_ptp(pd);
            }
            free_ptp(pdpt);
        }
        free_ptp(pml4);
        let d = self.pmaps[id as usize]
            .take()
            .expect("destroy of a destroyed pmap");
        debug_assert_eq!(d.resident, 0, "pmap destroyed with mappings left");
        // Room was reserved when the id was handed out.
        self.free_ids.push(id);
    }
}

/// Referenced/modified bits of an entry, as `PageMd` attribute bits.
fn rm_bits(e: u64) -> u8 {
    let mut a = 0;
    if e & Pte::ACCESSED.bits() != 0 {
        a |= PageMd::REFERENCED;
    }
    if e & Pte::DIRTY.bits() != 0 {
        a |= PageMd::MODIFIED;
    }
    a
}

/// The leaf entry for a mapping of `pa` with `prot` in pmap `id`.
fn pte_bits(id: u32, pa: Paddr, prot: VmProt, flags: PmapFlags, attr: MemAttr) -> u64 {
    let mut f = Pte::PRESENT | attr.pte_bits();
    if prot.contains(VmProt::WRITE) {
        f |= Pte::WRITABLE;
    }
    if !prot.contains(VmProt::EXECUTE) {
        f |= Pte::NO_EXECUTE;
    }
    if id == KERNEL_ID {
        f |= Pte::GLOBAL;
    } else {
        f |= Pte::USER;
    }
    if flags.contains(PmapFlags::WIRED) {
        f |= Pte::WIRED;
    }
    // Preset R/M from the access that caused the mapping: the next
    // is_referenced/is_modified needs no page-table walk to be right.
    if flags.intersects(PmapFlags::READ | PmapFlags::WRITE | PmapFlags::EXECUTE) {
        f |= Pte::ACCESSED;
    }
    if flags.contains(PmapFlags::WRITE) {
        f |= Pte::DIRTY;
    }
    pa | f.bits()
}

fn activate_tables(pml4: Paddr) {
    let frame = PhysFrame::from_start_address(x86_64::PhysAddr::new(pml4)).expect("unaligned pml4");
    // SAFETY: the table maps the whole kernel half exactly like every other
    // pmap (shared kernel PDPTs), so the running code stays mapped.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) };
}

fn out_of_memory(flags: PmapFlags, what: &str, e: KernError) -> KernError {
    if !flags.contains(PmapFlags::CANFAIL) {
        panic!("pmap_enter: {what}: {e} (and CANFAIL not given)");
    }
    e
}

// ---------------------------------------------------------------------------
// The public interface.

/// A handle on a physical map. Dropping the last handle destroys the pmap.
#[derive(Debug)]
pub struct Pmap {
    id: u32,
    /// The top-level table (fixed for the pmap's life; the kernel's is
    /// looked up, being registered at boot).
    pml4: Paddr,
}

static KERNEL_PML4: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

static KERNEL_PMAP: Pmap = Pmap {
    id: KERNEL_ID,
    pml4: 0,
};

/// Counters of one pmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmapCounts {
    pub resident: u64,
    pub wired: u64,
    /// Page-table pages owned (the top level included).
    pub ptps: u64,
}

impl Pmap {
    /// The kernel's pmap.
    pub fn kernel() -> &'static Pmap {
        &KERNEL_PMAP
    }

    /// Register the kernel's top-level table (done once by `kernel::bootstrap`).
    pub(super) fn init_kernel(pml4: Paddr) {
        KERNEL_PML4.store(pml4, core::sync::atomic::Ordering::Relaxed);
        with(|st| {
            assert!(st.pmaps.is_empty(), "kernel pmap registered twice");
            // Room for many address spaces up front: growing the table later
            // is fine, but would show up in tests' leak checks.
            st.pmaps.reserve(256);
            st.free_ids.reserve(256);
            st.pmaps.push(Some(PmapData {
                pml4,
                refs: 1,
                resident: 0,
                wired: 0,
                ptps: 0,
                removing_all: false,
            }));
        });
    }

    /// A new, empty user pmap sharing the kernel half (pmap_create).
    pub fn create() -> KResult<Pmap> {
        let pml4 = physmem::alloc_page_zeroed(PageUse::PageTable)?;
        with(|st| {
            let kernel_pml4 = st.data(KERNEL_ID).pml4;
            for i in ENTRIES / 2..ENTRIES {
                let off = (i * 8) as u64;
                wr(pml4 + off, rd(kernel_pml4 + off));
            }
            let data = PmapData {
                pml4,
                refs: 1,
                resident: 0,
                wired: 0,
                ptps: 1,
                removing_all: false,
            };
            let id = match st.free_ids.pop() {
                Some(i) => {
                    st.pmaps[i as usize] = Some(data);
                    i as usize
                }
                None => {
                    // Room for the id in the free list too, so destroying
                    // the pmap never needs memory.
                    if st.pmaps.try_reserve(1).is_err() || st.free_ids.try_reserve(1).is_err() {
                        physmem::free_page(pml4);
                        return Err(KernError::NoMem);
                    }
                    st.pmaps.push(Some(data));
                    st.pmaps.len() - 1
                }
            };
            Ok(Pmap {
                id: id as u32,
                pml4,
            })
        })
    }

    /// Another handle on this pmap (pmap_reference).
    pub fn reference(&self) -> Pmap {
        with(|st| st.data(self.id).refs += 1);
        Pmap {
            id: self.id,
            pml4: self.pml4,
        }
    }

    /// Physical address of the top-level table.
    pub fn pml4(&self) -> Paddr {
        with(|st| st.data(self.id).pml4)
    }

    /// Switch the CPU to this pmap (pmap_activate). Non-global TLB entries
    /// of the previous address space go with the CR3 load. Takes no lock
    /// (the scheduler calls it in the middle of a thread switch).
    pub fn activate(&self) {
        let c = cpu();
        if ACTIVE[c].load(Ordering::Relaxed) != self.id {
            let pml4 = if self.id == KERNEL_ID {
                KERNEL_PML4.load(core::sync::atomic::Ordering::Relaxed)
            } else {
                self.pml4
            };
            activate_tables(pml4);
            ACTIVE[c].store(self.id, Ordering::Relaxed);
        }
    }

    /// True if this CPU has this pmap loaded.
    pub fn is_active(&self) -> bool {
        active() == self.id
    }

    /// Map `va` to `pa` with `prot` (pmap_enter). Replaces another page
    /// mapped there; for the same page, changes protection and wiring.
    /// Without `CANFAIL`, running out of memory for page-table pages or pv
    /// entries panics; with it the error is returned and nothing changed.
    pub fn enter(&self, va: Vaddr, pa: Paddr, prot: VmProt, flags: PmapFlags) -> KResult<()> {
        check_va(self.id, va)?;
        if !pa.is_multiple_of(PAGE_SIZE) || prot.is_empty() {
            return Err(KernError::Inval);
        }
        with(|st| st.enter(self.id, va, pa, prot, flags)).map_err(|e| match e {
            KernError::NoMem => {
                out_of_memory(flags, "out of memory for page tables or pv entries", e)
            }
            e => e,
        })
    }

    /// Remove the mappings in `[sva, eva)` (pmap_remove). Page-table pages
    /// left empty are freed.
    pub fn remove(&self, sva: Vaddr, eva: Vaddr) {
        with(|st| st.remove_range(self.id, sva, eva));
    }

    /// Tell the pmap its address space is going away: later removes skip
    /// per-page TLB invalidations (one full flush covers them).
    pub fn remove_all(&self) {
        with(|st| {
            st.data(self.id).removing_all = true;
            if st.visible(self.id) {
                st.tlb[cpu()].invalidate_all();
            }
        });
    }

    /// Lower the protection of the mappings in `[sva, eva)` to `prot`
    /// (pmap_protect); no read permission removes them.
    pub fn protect(&self, sva: Vaddr, eva: Vaddr, prot: VmProt) {
        if !prot.contains(VmProt::READ) {
            return self.remove(sva, eva);
        }
        with(|st| {
            let pml4 = st.data(self.id).pml4;
            for_each_pt(pml4, sva, eva, |pt, start, end| {
                let mut va = start;
                while va < end {
                    let s = slot(pt, va, 1);
                    let e = rd(s);
                    let lowered = lower(e, prot);
                    if is_present(e) && lowered != e {
                        wr(s, lowered);
                        st.invalidate(self.id, va);
                    }
                    va += PAGE_SIZE;
                }
            });
        });
    }

    /// Clear the wired attribute of the mapping at `va` (pmap_unwire).
    pub fn unwire(&self, va: Vaddr) {
        with(|st| {
            let Some(s) = st.leaf_slot(self.id, va) else {
                return;
            };
            let e = rd(s);
            if is_present(e) && e & Pte::WIRED.bits() != 0 {
                wr(s, e & !Pte::WIRED.bits());
                st.data(self.id).wired -= 1;
            }
        });
    }

    /// The physical address `va` maps to (pmap_extract).
    pub fn extract(&self, va: Vaddr) -> Option<Paddr> {
        with(|st| translate(st.data(self.id).pml4, va).map(|(pa, _)| pa))
    }

    /// The raw leaf entry of `va` (for tests and the pmap viewer).
    pub fn leaf_entry(&self, va: Vaddr) -> Option<u64> {
        with(|st| translate(st.data(self.id).pml4, va).map(|(_, e)| e))
    }

    /// Visit the pages mapped in `[sva, eva)` in address order, `f(va, pa)`
    /// (the /proc viewers' resident counts). Missing tables are skipped a
    /// table's span at a time. Runs under the pmap lock: `f` must not call
    /// into the pmap.
    pub fn for_each_mapped(&self, sva: Vaddr, eva: Vaddr, mut f: impl FnMut(Vaddr, Paddr)) {
        with(|st| {
            for_each_pt(st.data(self.id).pml4, sva, eva, |pt, start, end| {
                for va in (start..end).step_by(PAGE_SIZE as usize) {
                    let e = rd(slot(pt, va, 1));
                    if is_present(e) {
                        f(va, addr_of(e));
                    }
                }
            })
        })
    }

    /// Resident, wired and page-table page counts.
    pub fn counts(&self) -> PmapCounts {
        with(|st| {
            let d = st.data(self.id);
            PmapCounts {
                resident: d.resident,
                wired: d.wired,
                ptps: d.ptps,
            }
        })
    }

    pub fn resident_count(&self) -> u64 {
        self.counts().resident
    }

    pub fn wired_count(&self) -> u64 {
        self.counts().wired
    }
}

impl Drop for Pmap {
    fn drop(&mut self) {
        with(|st| {
            let d = st.data(self.id);
            d.refs -= 1;
            if d.refs == 0 {
                assert_ne!(
                    self.id, KERNEL_ID,
                    "last reference to the kernel pmap dropped"
                );
                st.destroy(self.id);
            }
        });
    }
}

/// The entry `e` with its permissions lowered to `prot` (never raised).
fn lower(e: u64, prot: VmProt) -> u64 {
    let mut e = e;
    if !prot.contains(VmProt::WRITE) {
        e &= !Pte::WRITABLE.bits();
    }
    if !prot.contains(VmProt::EXECUTE) {
        e |= Pte::NO_EXECUTE.bits();
    }
    e
}

/// Carry out the queued TLB invalidations (pmap_update).
pub fn update() {
    with(|st| st.tlb[cpu()].flush());
}

/// Map `va` to `pa` in the kernel pmap without pv tracking (pmap_kenter_pa):
/// for memory the caller manages itself. Fails (`Inval`) if `va` is mapped.
pub fn kenter_pa(va: Vaddr, pa: Paddr, prot: VmProt, attr: MemAttr) -> KResult<()> {
    check_va(KERNEL_ID, va)?;
    if !pa.is_multiple_of(PAGE_SIZE) || prot.is_empty() {
        return Err(KernError::Inval);
    }
    with(|st| {
        let pt = st.ensure_pt(KERNEL_ID, va)?;
        let s = slot(pt, va, 1);
        if is_present(rd(s)) {
            st.release_empty_tables(KERNEL_ID, va);
            return Err(KernError::Inval);
        }
        wr(s, pte_bits(KERNEL_ID, pa, prot, PmapFlags::empty(), attr));
        ptp_adjust(pt, 1);
        st.data(KERNEL_ID).resident += 1;
        Ok(())
    })
}

/// Remove kernel mappings made with `kenter_pa` in `[va, va + len)`
/// (pmap_kremove). Call `update()` before reusing the addresses.
pub fn kremove(va: Vaddr, len: u64) {
    with(|st| st.remove_range(KERNEL_ID, va, va + len));
}

/// Lower (or, with no read permission, remove) every mapping of the
/// physical page `pa` (pmap_page_protect).
pub fn page_protect(pa: Paddr, prot: VmProt) {
    with(|st| {
        if !prot.contains(VmProt::READ) {
            loop {
                let head = physmem::with_md(pa, |md| md.pv_head).unwrap_or(pv::NIL);
                if head == pv::NIL {
                    break;
                }
                let PvEntry { va, pmap, .. } = pv::get(head);
                let pt = walk_to_pt(st.data(pmap).pml4, va).expect("pv entry without page table");
                assert!(st.remove_leaf(pmap, pt, va), "pv entry without mapping");
                st.release_empty_tables(pmap, va);
            }
            return;
        }
        st.for_each_mapping(pa, |st, id, va, s| {
            let e = rd(s);
            let lowered = lower(e, prot);
            if lowered != e {
                wr(s, lowered);
                st.invalidate(id, va);
            }
        });
    })
}

/// Test (and optionally clear) an R/M bit over all mappings of `pa`.
fn test_rm(pa: Paddr, bit: Pte, md_bit: u8, clear: bool) -> bool {
    with(|st| {
        let saved = physmem::with_md(pa, |md| {
            let had = md.attrs & md_bit != 0;
            if clear {
                md.attrs &= !md_bit;
            }
            had
        })
        .unwrap_or(false);
        let mut found = saved;
        st.for_each_mapping(pa, |st, id, va, s| {
            let e = rd(s);
            if e & bit.bits() != 0 {
                found = true;
                if clear {
                    wr(s, e & !bit.bits());
                    st.invalidate(id, va);
                }
            }
        });
        found
    })
}

/// Was the page at `pa` written through any mapping (pmap_is_modified)?
pub fn is_modified(pa: Paddr) -> bool {
    test_rm(pa, Pte::DIRTY, PageMd::MODIFIED, false)
}

/// Was the page at `pa` accessed through any mapping (pmap_is_referenced)?
pub fn is_referenced(pa: Paddr) -> bool {
    test_rm(pa, Pte::ACCESSED, PageMd::REFERENCED, false)
}

/// Clear the modified bit of `pa` everywhere; returns its old value.
pub fn clear_modify(pa: Paddr) -> bool {
    test_rm(pa, Pte::DIRTY, PageMd::MODIFIED, true)
}

/// Clear the referenced bit of `pa` everywhere; returns its old value.
pub fn clear_reference(pa: Paddr) -> bool {
    test_rm(pa, Pte::ACCESSED, PageMd::REFERENCED, true)
}

/// Number of mappings of the page at `pa` (length of its pv list).
pub fn mapping_count(pa: Paddr) -> usize {
    with(|st| {
        let mut n = 0;
        st.for_each_mapping(pa, |_, _, _, _| n += 1);
        n
    })
}

/// Set the memory attribute of the physical page `pa`: every mapping of it
/// and its alias in the direct map (split down to a 4 KiB entry if needed)
/// get the same cache type, so the CPU never sees conflicting types.
pub fn set_memattr(pa: Paddr, attr: MemAttr) -> KResult<()> {
    if !pa.is_multiple_of(PAGE_SIZE) || physmem::usage_of(pa).is_none() {
        return Err(KernError::Inval);
    }
    with(|st| {
        let direct_slot = st.split_direct_map(pa)?;
        physmem::with_md(pa, |md| md.memattr = attr as u8);
        let e = rd(direct_slot);
        wr(direct_slot, (e & !pat::CACHE_BITS) | attr.pte_bits().bits());
        st.for_each_mapping(pa, |st, id, va, s| {
            let e = rd(s);
            wr(s, (e & !pat::CACHE_BITS) | attr.pte_bits().bits());
            st.invalidate(id, va);
        });
        if attr == MemAttr::WriteBack {
            st.merge_direct_map(pa);
        }
        st.tlb[cpu()].invalidate_all();
        st.tlb[cpu()].flush();
        // Lines cached under the old type must not linger.
        // SAFETY: WBINVD writes back and invalidates caches; no memory changes.
        unsafe { core::arch::asm!("wbinvd", options(nostack)) };
        Ok(())
    })
}

impl PmapState {
    /// The 4 KiB direct-map entry of `pa`, splitting 1 GiB and 2 MiB
    /// direct-map pages on the way down as needed.
    fn split_direct_map(&mut self, pa: Paddr) -> KResult<Paddr> {
        let va = direct::phys_to_virt(pa);
        let mut table = self.data(KERNEL_ID).pml4;
        for level in (2..=4).rev() {
            let s = slot(table, va, level);
            let e = rd(s);
            assert!(is_present(e), "direct map hole at {va:#x}");
            if is_huge(e) {
                // Replace the large page by a table of 512 pages one size smaller.
                let new = physmem::alloc_page(PageUse::PageTable)?;
                let child_span = level_span(level - 1);
                let base = e & ADDR_MASK & !(level_span(level) - 1);
                let mut flags = e & !ADDR_MASK & !(1 << 12); // drop the large-page PAT bit
                if level - 1 == 1 {
                    flags &= !Pte::HUGE.bits();
                }
                for i in 0..ENTRIES as u64 {
                    wr(new + i * 8, (base + i * child_span) | flags);
                }
                physmem::with_md(new, |md| md.ptp_count = ENTRIES as u16);
                let parent_flags = (Pte::PRESENT | Pte::WRITABLE).bits();
                wr(s, new | parent_flags);
                self.data(KERNEL_ID).ptps += 1;
                self.tlb[cpu()].invalidate_all();
                table = new;
            } else {
                table = addr_of(e);
            }
        }
        Ok(slot(table, va, 1))
    }
}

impl PmapState {
    /// Undo `split_direct_map` where possible: a direct-map table whose 512
    /// entries again map one aligned run with identical flags (leaves of
    /// the same size) is replaced by a single large entry and freed: first
    /// the 4 KiB table under a 2 MiB slot, then, with 1 GiB pages, the
    /// 2 MiB table under a 1 GiB slot.
    fn merge_direct_map(&mut self, pa: Paddr) {
        let va = direct::phys_to_virt(pa);
        let giant = crate::arch::x86_64::cpu::features().pdpe1gb;
        for level in [2u32, 3] {
            if level == 3 && !giant {
                break;
            }
            // The slot at `level` that points to the table to fold.
            let mut table = self.data(KERNEL_ID).pml4;
            for l in ((level + 1)..=4).rev() {
                let e = rd(slot(table, va, l));
                if !is_present(e) || is_huge(e) {
                    return;
                }
                table = addr_of(e);
            }
            let parent_slot = slot(table, va, level);
            let parent = rd(parent_slot);
            if !is_present(parent) || is_huge(parent) {
                continue; // already large at this level
            }
            let child = addr_of(parent);
            // Accessed/dirty bits differ page by page; they do not matter here.
            let ad = (Pte::ACCESSED | Pte::DIRTY).bits();
            let leaf_huge = if level == 3 { Pte::HUGE.bits() } else { 0 };
            let span = level_span(level - 1);
            let first = rd(child);
            let flags = first & !ADDR_MASK & !ad;
            let base = addr_of(first);
            let uniform = base.is_multiple_of(level_span(level))
                && flags & Pte::HUGE.bits() == leaf_huge
                && (0..ENTRIES as u64)
                    .all(|i| rd(child + i * 8) & !ad == (base + i * span) | flags);
            if !uniform {
                return;
            }
            wr(
                parent_slot,
                base | (flags & !Pte::HUGE.bits()) | ad | Pte::HUGE.bits(),
            );
            free_ptp(child);
            self.data(KERNEL_ID).ptps -= 1;
        }
    }
}

/// Statistics of the pv allocator: (entries in use, pages held).
pub fn pv_stats() -> (u64, usize) {
    let s = pv::pool().stats();
    (s.in_use, s.pages as usize)
}

/// Free pv entries in the pages the pv pool holds now.
pub fn pv_free_slots() -> usize {
    let s = pv::pool().stats();
    (s.pages as usize * pv::pool().items_per_page()).saturating_sub(s.in_use as usize)
}
