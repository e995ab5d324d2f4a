//! ktests of the pmap layer. They check behaviour through real accesses:
//! user pmaps are activated and their pages touched from the kernel (SMAP
//! opened for the access) with fault-recovering probes, so a missing
//! permission shows up as a real page fault and R/M bits are set by the CPU.

use super::pte::{ENTRIES, Pte};
use super::{MemAttr, Paddr, Pmap, PmapFlags, Vaddr, VmProt, direct, kernel, pat, tlb};
use crate::arch::x86_64::probe::{self, Fault};
use crate::arch::x86_64::{cpu, trap::PageFaultCode};
use crate::kern::error::KernError;
use crate::ktest::ktest;
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

const VA: Vaddr = 0x0000_1000_0000_0000;
/// A kernel-half address nothing else maps: outside the kernel map (which
/// hands out 0xffff_c000_...), so the tests own its page tables (its PDPT
/// exists from boot).
const KVA: Vaddr = 0xffff_c100_0000_0000;
/// Read a word of RAM (page tables, the test's pages) through the direct map.
fn peek(pa: Paddr) -> u64 {
    // SAFETY: the tests only read page-table pages and pages they allocated.
    unsafe { direct::read_u64(pa) }
}

/// Write one byte of a page the test allocated (through the direct map).
fn poke(pa: Paddr, v: u8) {
    // SAFETY: every caller passes an address inside a page the test itself
    // allocated and still owns.
    unsafe { core::ptr::write_volatile(direct::phys_to_virt(pa) as *mut u8, v) }
}

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);
const NONE: PmapFlags = PmapFlags::empty();

fn page() -> Paddr {
    physmem::alloc_page_zeroed(PageUse::Kernel).unwrap()
}

/// Read a byte of `pmap`'s address space as the CPU would.
fn user_read(pmap: &Pmap, va: Vaddr) -> Result<u8, Fault> {
    pmap.activate();
    let r = cpu::with_user_access(|| probe::read_u8(va));
    Pmap::kernel().activate();
    r
}

/// Write a byte into `pmap`'s address space as the CPU would.
fn user_write(pmap: &Pmap, va: Vaddr, value: u8) -> Result<(), Fault> {
    pmap.activate();
    // SAFETY: `va` is a test mapping of a page the test owns, or faults.
    let r = cpu::with_user_access(|| unsafe { probe::write_u8(va, value) });
    Pmap::kernel().activate();
    r
}

fn page_tables() -> u64 {
    physmem::stats().count(PageUse::PageTable)
}

fn segment(executable: bool, writable: bool) -> kernel::Segment {
    kernel::segments()
        .find(|s| s.executable == executable && s.writable == writable)
        .expect("kernel segment of that kind")
}

fn flags_of(va: Vaddr) -> Pte {
    Pte::from_bits_retain(Pmap::kernel().leaf_entry(va).expect("mapped"))
}

#[ktest]
fn kernel_text_is_read_only_and_executable() {
    let text = kernel_text_is_read_only_and_executable as *const () as u64;
    let seg = segment(true, false);
    assert!(text >= seg.start && text < seg.end);
    let f = flags_of(text);
    assert!(
        !f.contains(Pte::WRITABLE) && !f.contains(Pte::NO_EXECUTE) && f.contains(Pte::GLOBAL),
        "{f:?}"
    );
    // SAFETY: the write targets kernel text; it must fault (WP), changing nothing.
    let fault = unsafe { probe::write_u8(text, 0x90) }.expect_err("kernel text must be read-only");
    assert!(
        fault
            .code
            .has(PageFaultCode::PRESENT | PageFaultCode::WRITE)
    );
}

#[ktest]
fn kernel_rodata_is_read_only_and_nx() {
    static RODATA: [u8; 4] = [1, 2, 3, 4];
    let va = RODATA.as_ptr() as u64;
    let seg = segment(false, false);
    assert!(
        va >= seg.start && va < seg.end,
        "rodata {va:#x} not in {seg:x?}"
    );
    let f = flags_of(va);
    assert!(
        !f.contains(Pte::WRITABLE) && f.contains(Pte::NO_EXECUTE),
        "{f:?}"
    );
}

#[ktest]
fn kernel_data_and_bss_are_writable_and_nx() {
    static DATA: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(7);
    static BSS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
    for va in [&DATA as *const _ as u64, &BSS as *const _ as u64] {
        let f = flags_of(va);
        assert!(
            f.contains(Pte::WRITABLE) && f.contains(Pte::NO_EXECUTE),
            "{va:#x}: {f:?}"
        );
    }
    DATA.fetch_add(1, Ordering::Relaxed);
    BSS.fetch_add(1, Ordering::Relaxed);
}

#[ktest]
fn boot_identity_mappings_are_gone() {
    let pml4 = Pmap::kernel().pml4();
    for i in 0..ENTRIES / 2 {
        assert_eq!(
            peek(pml4 + (i * 8) as u64),
            0,
            "lower-half PML4 slot {i} still mapped"
        );
    }
    for i in ENTRIES / 2..ENTRIES {
        assert_ne!(
            peek(pml4 + (i * 8) as u64),
            0,
            "kernel PML4 slot {i} has no PDPT"
        );
    }
    assert_eq!(
        probe::read_u8(0x1000).map_err(|f| f.code.has(PageFaultCode::PRESENT)),
        Err(false)
    );
}

#[ktest]
fn direct_map_is_nx_global_and_uses_large_pages() {
    let pa = page();
    let va = direct::phys_to_virt(pa);
    let pml4 = Pmap::kernel().pml4();
    let pdpte = peek(
        (peek(pml4 + (super::pte::index(va, 4) * 8) as u64) & super::pte::ADDR_MASK)
            + (super::pte::index(va, 3) * 8) as u64,
    );
    let leaf = Pte::from_bits_retain(Pmap::kernel().leaf_entry(va).unwrap());
    let large = Pte::from_bits_retain(pdpte).contains(Pte::HUGE) || leaf.contains(Pte::HUGE);
    assert!(large, "direct map must use 2 MiB or 1 GiB pages");
    assert!(
        leaf.contains(Pte::NO_EXECUTE) && leaf.contains(Pte::GLOBAL),
        "{leaf:?}"
    );
    physmem::free_page(pa);
}

#[ktest]
fn user_pmap_shares_the_kernel_half() {
    let p = Pmap::create().unwrap();
    let (a, b) = (p.pml4(), Pmap::kernel().pml4());
    for i in 0..ENTRIES {
        let (ea, eb) = (peek(a + (i * 8) as u64), peek(b + (i * 8) as u64));
        if i < ENTRIES / 2 {
            assert_eq!(ea, 0);
        } else {
            assert_eq!(ea, eb, "kernel slot {i} differs");
        }
    }
    // Running with the user pmap active, kernel code and data stay mapped.
    p.activate();
    let local = 41u64;
    let seen = core::hint::black_box(&local) + 1;
    Pmap::kernel().activate();
    assert_eq!(seen, 42);
}

#[ktest]
fn enter_extract_and_remove() {
    let p = Pmap::create().unwrap();
    let pa = page();
    poke(pa + 5, 0x77);
    p.enter(VA, pa, RW, NONE).unwrap();
    assert_eq!(p.extract(VA + 5), Some(pa + 5));
    assert_eq!(user_read(&p, VA + 5), Ok(0x77));
    assert_eq!(p.resident_count(), 1);
    assert_eq!(super::mapping_count(pa), 1);
    p.remove(VA, VA + 4096);
    assert_eq!(p.extract(VA), None);
    assert_eq!(p.resident_count(), 0);
    assert_eq!(super::mapping_count(pa), 0);
    assert!(user_read(&p, VA).is_err());
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn write_through_a_mapping_sets_modified() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    assert!(!super::is_modified(pa), "fresh mapping, nothing written");
    assert_eq!(user_read(&p, VA), Ok(0));
    assert!(!super::is_modified(pa), "a read must not set modified");
    user_write(&p, VA, 9).unwrap();
    assert_eq!(peek(pa), 9);
    assert!(super::is_modified(pa));
    assert!(
        super::clear_modify(pa),
        "clear_modify returns the old value"
    );
    assert!(!super::is_modified(pa));
    super::update();
    user_write(&p, VA + 1, 9).unwrap();
    assert!(
        super::is_modified(pa),
        "a write after clearing must set it again"
    );
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn read_through_a_mapping_sets_referenced() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, VmProt::READ, NONE).unwrap();
    assert!(!super::is_referenced(pa));
    user_read(&p, VA).unwrap();
    assert!(super::is_referenced(pa));
    assert!(super::clear_reference(pa));
    assert!(!super::is_referenced(pa));
    super::update();
    user_read(&p, VA).unwrap();
    assert!(super::is_referenced(pa));
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn access_type_presets_referenced_and_modified() {
    let p = Pmap::create().unwrap();
    let pages: Vec<Paddr> = (0..3).map(|_| page()).collect();
    p.enter(VA, pages[0], RW, PmapFlags::WRITE).unwrap();
    p.enter(VA + 4096, pages[1], RW, PmapFlags::READ).unwrap();
    p.enter(VA + 8192, pages[2], RW, NONE).unwrap();
    assert!(super::is_modified(pages[0]) && super::is_referenced(pages[0]));
    assert!(!super::is_modified(pages[1]) && super::is_referenced(pages[1]));
    assert!(!super::is_modified(pages[2]) && !super::is_referenced(pages[2]));
    drop(p);
    pages.into_iter().for_each(physmem::free_page);
}

#[ktest]
fn modified_bit_survives_removal_of_the_mapping() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    user_write(&p, VA, 1).unwrap();
    p.remove(VA, VA + 4096);
    assert!(
        super::is_modified(pa),
        "R/M of a vanished mapping is kept in the page"
    );
    assert!(super::clear_modify(pa));
    assert!(!super::is_modified(pa));
    super::clear_reference(pa);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn page_protect_downgrades_every_mapping_in_two_pmaps() {
    let (a, b) = (Pmap::create().unwrap(), Pmap::create().unwrap());
    let pa = page();
    a.enter(VA, pa, RW, NONE).unwrap();
    b.enter(VA + 0x20_0000, pa, RW, NONE).unwrap();
    b.enter(VA + 0x40_0000, pa, RW, NONE).unwrap();
    assert_eq!(super::mapping_count(pa), 3);
    user_write(&a, VA, 1).unwrap();
    user_write(&b, VA + 0x20_0000, 2).unwrap();
    super::page_protect(pa, VmProt::READ);
    super::update();
    for (p, va) in [(&a, VA), (&b, VA + 0x20_0000), (&b, VA + 0x40_0000)] {
        let fault = user_write(p, va, 3).expect_err("write after page_protect(READ) must fault");
        assert!(
            fault
                .code
                .has(PageFaultCode::PRESENT | PageFaultCode::WRITE)
        );
        assert_eq!(user_read(p, va), Ok(2), "still readable");
    }
    assert_eq!(super::mapping_count(pa), 3);
    drop((a, b));
    physmem::free_page(pa);
}

#[ktest]
fn page_protect_none_removes_every_mapping() {
    let (a, b) = (Pmap::create().unwrap(), Pmap::create().unwrap());
    let pa = page();
    let tables = page_tables();
    a.enter(VA, pa, RW, NONE).unwrap();
    b.enter(VA, pa, VmProt::READ, NONE).unwrap();
    super::page_protect(pa, VmProt::empty());
    super::update();
    assert_eq!(super::mapping_count(pa), 0);
    assert_eq!((a.resident_count(), b.resident_count()), (0, 0));
    assert!(user_read(&a, VA).is_err() && user_read(&b, VA).is_err());
    assert_eq!(page_tables(), tables, "emptied page tables are freed");
    drop((a, b));
    physmem::free_page(pa);
}

#[ktest]
fn write_to_a_read_only_mapping_faults() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, VmProt::READ, NONE).unwrap();
    let fault = user_write(&p, VA, 1).expect_err("read-only mapping");
    assert_eq!(fault.addr, VA);
    assert!(
        fault
            .code
            .has(PageFaultCode::PRESENT | PageFaultCode::WRITE)
    );
    assert_eq!(peek(pa), 0);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn executing_an_nx_mapping_faults_and_an_executable_one_runs() {
    let pa = page();
    poke(pa, 0xc3); // ret
    let k = Pmap::kernel();
    k.enter(KVA, pa, VmProt::READ, NONE).unwrap();
    // SAFETY: the page holds a single `ret`.
    let fault = unsafe { probe::exec(KVA) }.expect_err("NX mapping must not execute");
    assert!(
        fault
            .code
            .has(PageFaultCode::PRESENT | PageFaultCode::INSTRUCTION)
    );
    k.enter(KVA, pa, VmProt::READ | VmProt::EXECUTE, NONE)
        .unwrap();
    super::update();
    // SAFETY: as above; now it must run and return.
    assert_eq!(unsafe { probe::exec(KVA) }, Ok(()));
    k.remove(KVA, KVA + 4096);
    super::update();
    physmem::free_page(pa);
}

#[ktest]
fn remove_frees_page_table_pages() {
    let p = Pmap::create().unwrap();
    let pa = page();
    let before = page_tables();
    // Two mappings 1 GiB apart need a PDPT, two PDs and two PTs.
    p.enter(VA, pa, RW, NONE).unwrap();
    p.enter(VA + (1 << 30), pa, RW, NONE).unwrap();
    assert_eq!(page_tables(), before + 5);
    assert_eq!(p.counts().ptps, 6, "top level + 5");
    p.remove(VA, VA + 4096);
    assert_eq!(page_tables(), before + 3, "the first PT and PD go");
    p.remove(VA, VA + (2 << 30));
    assert_eq!(page_tables(), before);
    assert_eq!(p.counts().ptps, 1);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn remove_all_then_destroy_of_thousands_of_mappings_leaves_nothing() {
    let before = crate::ktest::leak::snapshot();
    let tables_before = page_tables();
    let p = Pmap::create().unwrap();
    let pages: Vec<Paddr> = (0..64).map(|_| page()).collect();
    // 4096 mappings spread over 8 page tables, each page mapped 64 times.
    for i in 0..4096u64 {
        let va = VA + (i % 512) * 4096 + (i / 512) * (1 << 21);
        p.enter(va, pages[(i % 64) as usize], RW, PmapFlags::WRITE)
            .unwrap();
    }
    assert_eq!(p.resident_count(), 4096);
    assert_eq!(super::mapping_count(pages[0]), 64);
    let flushes = tlb::FULL_FLUSHES.load(Ordering::Relaxed);
    let invlpgs = tlb::INVLPGS.load(Ordering::Relaxed);
    p.activate();
    p.remove_all();
    p.remove(0, super::USER_END);
    Pmap::kernel().activate();
    super::update();
    assert_eq!(
        tlb::INVLPGS.load(Ordering::Relaxed),
        invlpgs,
        "remove_all: no per-page invalidation"
    );
    assert!(tlb::FULL_FLUSHES.load(Ordering::Relaxed) > flushes);
    assert_eq!(p.resident_count(), 0);
    drop(p);
    for pa in &pages {
        assert_eq!(super::mapping_count(*pa), 0);
        assert!(super::is_modified(*pa));
        super::clear_modify(*pa);
        super::clear_reference(*pa);
    }
    pages.into_iter().for_each(physmem::free_page);
    assert_eq!(page_tables(), tables_before);
    let (pv_used, _) = super::pv_stats();
    assert_eq!(pv_used, 0);
    // Every page is free again or cached by a pool (the pv pool keeps its
    // emptied pages): nothing is left behind.
    assert_eq!(
        crate::ktest::leak::snapshot().available_pages,
        before.available_pages
    );
}

#[ktest]
fn protect_and_update_leave_no_stale_writable_tlb_entry() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    p.activate();
    // Load a writable TLB entry by writing, then write-protect and update.
    // SAFETY: VA maps the test's own page.
    let first = cpu::with_user_access(|| unsafe { probe::write_u8(VA, 1) });
    p.protect(VA, VA + 4096, VmProt::READ);
    super::update();
    // SAFETY: as above; this write must fault.
    let second = cpu::with_user_access(|| unsafe { probe::write_u8(VA, 2) });
    Pmap::kernel().activate();
    assert_eq!(first, Ok(()));
    let fault = second.expect_err("the stale writable TLB entry must be gone");
    assert!(
        fault
            .code
            .has(PageFaultCode::PRESENT | PageFaultCode::WRITE)
    );
    assert_eq!(peek(pa) & 0xff, 1);
    drop(p);
    physmem::free_page(pa);
}

/// Allocate every free page; returns them.
fn exhaust_memory() -> Vec<Paddr> {
    let mut held = Vec::with_capacity(physmem::free_pages() as usize + 16);
    while let Ok(pa) = physmem::alloc_page(PageUse::Kernel) {
        held.push(pa);
    }
    held
}

#[ktest]
fn canfail_under_memory_exhaustion_returns_an_error_and_changes_nothing() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    let before = p.counts();
    let tables = page_tables();
    let held = exhaust_memory();
    // A far address needs new page-table pages: there are none.
    let far = VA + (3 << 30);
    assert_eq!(
        p.enter(far, pa, RW, PmapFlags::CANFAIL),
        Err(KernError::NoMem)
    );
    assert_eq!(p.counts(), before);
    assert_eq!(p.extract(far), None);
    assert_eq!(page_tables(), tables);
    assert_eq!(super::mapping_count(pa), 1);
    held.into_iter().for_each(physmem::free_page);
    // Memory is back: the same call works.
    p.enter(far, pa, RW, PmapFlags::CANFAIL).unwrap();
    assert_eq!(super::mapping_count(pa), 2);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn canfail_when_pv_entries_run_out_returns_an_error_and_changes_nothing() {
    let p = Pmap::create().unwrap();
    let pa = page();
    // Fill the pv pages held now, all in one page table.
    let mut n = 0u64;
    p.enter(VA, pa, RW, NONE).unwrap();
    while super::pv_free_slots() > 0 {
        n += 1;
        p.enter(VA + n * 4096, pa, RW, NONE).unwrap();
    }
    let before = p.counts();
    let held = exhaust_memory();
    let va = VA + (n + 1) * 4096; // same page table: only a pv entry is missing
    assert_eq!(
        p.enter(va, pa, RW, PmapFlags::CANFAIL),
        Err(KernError::NoMem)
    );
    assert_eq!(p.counts(), before);
    assert_eq!(p.extract(va), None);
    held.into_iter().for_each(physmem::free_page);
    drop(p);
    physmem::free_page(pa);
}

/// The memory type a 4 KiB leaf entry selects, decoded as the CPU does:
/// PAT index = PWT | PCD << 1 | PAT << 2 (bit 7 of a 4 KiB entry), whose
/// byte in the IA32_PAT register the CPU holds now is the type.
fn memory_type_of(pte: u64) -> u8 {
    let index = (pte >> 3) & 1 | ((pte >> 4) & 1) << 1 | ((pte >> 7) & 1) << 2;
    (pat::read() >> (8 * index)) as u8 & 7
}

#[ktest]
fn every_memory_attribute_reaches_its_memory_type() {
    // The architectural encodings (Intel SDM vol. 3, table "Memory Types
    // That Can Be Encoded With PAT"): 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-.
    const UC: u8 = 0;
    const WC: u8 = 1;
    const WB: u8 = 6;
    let p = Pmap::create().unwrap();
    let pa = page();
    let cases = [
        (VA, NONE, MemAttr::WriteBack, WB),
        (
            VA + 4096,
            PmapFlags::WRITE_COMBINE,
            MemAttr::WriteCombining,
            WC,
        ),
        (VA + 8192, PmapFlags::NOCACHE, MemAttr::Uncached, UC),
    ];
    for (va, flags, attr, want) in cases {
        p.enter(va, pa, RW, flags).unwrap();
        let pte = p.leaf_entry(va).unwrap();
        assert_eq!(memory_type_of(pte), want, "{attr:?} through a user mapping");
        assert_eq!(
            memory_type_of(attr.pte_bits().bits()),
            want,
            "{attr:?}'s own bits"
        );
    }
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn memory_attribute_bits_land_in_the_pte() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    p.enter(VA + 4096, pa, RW, PmapFlags::WRITE_COMBINE)
        .unwrap();
    p.enter(VA + 8192, pa, RW, PmapFlags::NOCACHE).unwrap();
    let attr = |va| MemAttr::of_pte(p.leaf_entry(va).unwrap());
    assert_eq!(attr(VA), MemAttr::WriteBack);
    assert_eq!(attr(VA + 4096), MemAttr::WriteCombining);
    assert_eq!(attr(VA + 8192), MemAttr::Uncached);
    let wc = Pte::from_bits_retain(p.leaf_entry(VA + 4096).unwrap());
    assert!(wc.contains(Pte::WRITE_THROUGH) && !wc.contains(Pte::CACHE_DISABLE));
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn page_memory_attribute_keeps_the_direct_map_consistent() {
    let p = Pmap::create().unwrap();
    let pa = page();
    let neighbour = if pa >= 4096 { pa - 4096 } else { pa + 4096 };
    p.enter(VA, pa, RW, NONE).unwrap();
    super::set_memattr(pa, MemAttr::Uncached).unwrap();
    let k = Pmap::kernel();
    assert_eq!(
        MemAttr::of_pte(k.leaf_entry(direct::phys_to_virt(pa)).unwrap()),
        MemAttr::Uncached
    );
    assert_eq!(
        MemAttr::of_pte(k.leaf_entry(direct::phys_to_virt(neighbour)).unwrap()),
        MemAttr::WriteBack
    );
    assert_eq!(
        MemAttr::of_pte(p.leaf_entry(VA).unwrap()),
        MemAttr::Uncached,
        "existing mapping follows"
    );
    p.enter(VA + 4096, pa, RW, NONE).unwrap();
    assert_eq!(
        MemAttr::of_pte(p.leaf_entry(VA + 4096).unwrap()),
        MemAttr::Uncached,
        "new mapping follows"
    );
    user_write(&p, VA, 5).unwrap();
    assert_eq!(peek(pa), 5, "both aliases see the same memory");
    super::set_memattr(pa, MemAttr::WriteBack).unwrap();
    assert_eq!(
        MemAttr::of_pte(k.leaf_entry(direct::phys_to_virt(pa)).unwrap()),
        MemAttr::WriteBack
    );
    assert_eq!(
        MemAttr::of_pte(p.leaf_entry(VA).unwrap()),
        MemAttr::WriteBack
    );
    let large = Pte::from_bits_retain(k.leaf_entry(direct::phys_to_virt(pa)).unwrap());
    assert!(
        large.contains(Pte::HUGE),
        "back to write-back, the direct map is one large page again"
    );
    assert_eq!(
        super::set_memattr(pa + 1, MemAttr::Uncached),
        Err(KernError::Inval)
    );
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn wiring_is_counted_and_unwire_clears_it() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, PmapFlags::WIRED).unwrap();
    p.enter(VA + 4096, pa, RW, NONE).unwrap();
    assert_eq!((p.resident_count(), p.wired_count()), (2, 1));
    assert!(Pte::from_bits_retain(p.leaf_entry(VA).unwrap()).contains(Pte::WIRED));
    p.unwire(VA);
    p.unwire(VA); // idempotent
    assert_eq!(p.wired_count(), 0);
    p.enter(VA + 4096, pa, RW, PmapFlags::WIRED).unwrap(); // wire an existing mapping
    assert_eq!((p.resident_count(), p.wired_count()), (2, 1));
    p.remove(VA, VA + 8192);
    assert_eq!((p.resident_count(), p.wired_count()), (0, 0));
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn enter_over_another_page_replaces_it() {
    let p = Pmap::create().unwrap();
    let (a, b) = (page(), page());
    poke(b, 0xbb);
    p.enter(VA, a, RW, NONE).unwrap();
    p.enter(VA, b, RW, NONE).unwrap();
    super::update();
    assert_eq!(p.extract(VA), Some(b));
    assert_eq!((super::mapping_count(a), super::mapping_count(b)), (0, 1));
    assert_eq!(p.resident_count(), 1);
    assert_eq!(user_read(&p, VA), Ok(0xbb));
    drop(p);
    physmem::free_page(a);
    physmem::free_page(b);
}

#[ktest]
fn enter_of_the_same_page_changes_protection_and_keeps_rm() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    user_write(&p, VA, 1).unwrap();
    p.enter(VA, pa, VmProt::READ, NONE).unwrap();
    super::update();
    assert!(user_write(&p, VA, 2).is_err());
    assert!(
        super::is_modified(pa),
        "R/M kept across the protection change"
    );
    assert_eq!(super::mapping_count(pa), 1);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn references_keep_a_pmap_alive_until_the_last_goes() {
    let tables = page_tables();
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    let q = p.reference();
    drop(p);
    assert_eq!(
        q.extract(VA),
        Some(pa),
        "still alive through the second reference"
    );
    drop(q);
    assert_eq!(super::mapping_count(pa), 0);
    assert_eq!(page_tables(), tables);
    physmem::free_page(pa);
}

#[ktest]
fn kenter_makes_no_pv_entry_and_kremove_frees_page_tables() {
    let tables = page_tables();
    let pa = page();
    super::kenter_pa(KVA, pa, RW, MemAttr::WriteBack).unwrap();
    assert_eq!(
        super::kenter_pa(KVA, pa, RW, MemAttr::WriteBack),
        Err(KernError::Inval)
    );
    assert_eq!(super::mapping_count(pa), 0, "kenter mappings are unmanaged");
    assert_eq!(Pmap::kernel().extract(KVA + 8), Some(pa + 8));
    poke(pa, 0x5e);
    assert_eq!(probe::read_u8(KVA), Ok(0x5e));
    assert_eq!(
        page_tables(),
        tables + 2,
        "a PD and a PT under the shared PDPT"
    );
    super::kremove(KVA, 4096);
    super::update();
    assert_eq!(Pmap::kernel().extract(KVA), None);
    assert!(
        probe::read_u8(KVA).is_err(),
        "stale mapping after kremove + update"
    );
    assert_eq!(page_tables(), tables);
    physmem::free_page(pa);
}

#[ktest]
fn update_batches_invalidations_and_falls_back_to_a_full_flush() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.activate();
    // A sixth mapping keeps the page table alive (freeing it costs one more).
    for i in 0..6 {
        p.enter(VA + i * 4096, pa, RW, NONE).unwrap();
    }
    super::update();
    let invlpgs = tlb::INVLPGS.load(Ordering::Relaxed);
    let flushes = tlb::FULL_FLUSHES.load(Ordering::Relaxed);
    p.remove(VA, VA + 5 * 4096);
    super::update();
    assert_eq!(
        tlb::INVLPGS.load(Ordering::Relaxed),
        invlpgs + 5,
        "one invlpg per removed page"
    );
    for i in 0..100 {
        p.enter(VA + i * 4096, pa, RW, NONE).unwrap();
    }
    p.remove(VA, VA + 101 * 4096);
    super::update();
    assert_eq!(
        tlb::FULL_FLUSHES.load(Ordering::Relaxed),
        flushes + 1,
        "overflow: one full flush"
    );
    assert_eq!(tlb::INVLPGS.load(Ordering::Relaxed), invlpgs + 5);
    Pmap::kernel().activate();
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn changes_to_an_inactive_pmap_need_no_invalidation() {
    let p = Pmap::create().unwrap();
    let pa = page();
    p.enter(VA, pa, RW, NONE).unwrap();
    super::update();
    let invlpgs = tlb::INVLPGS.load(Ordering::Relaxed);
    p.remove(VA, VA + 4096);
    super::update();
    assert_eq!(tlb::INVLPGS.load(Ordering::Relaxed), invlpgs);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn bad_arguments_are_rejected() {
    let p = Pmap::create().unwrap();
    let pa = page();
    assert_eq!(
        p.enter(VA + 1, pa, RW, NONE),
        Err(KernError::Inval),
        "unaligned va"
    );
    assert_eq!(
        p.enter(VA, pa + 1, RW, NONE),
        Err(KernError::Inval),
        "unaligned pa"
    );
    assert_eq!(
        p.enter(KVA, pa, RW, NONE),
        Err(KernError::Inval),
        "kernel va in a user pmap"
    );
    assert_eq!(
        p.enter(VA, pa, VmProt::empty(), NONE),
        Err(KernError::Inval),
        "no protection"
    );
    assert_eq!(
        Pmap::kernel().enter(VA, pa, RW, NONE),
        Err(KernError::Inval),
        "user va in the kernel pmap"
    );
    assert_eq!(
        super::kenter_pa(VA, pa, RW, MemAttr::WriteBack),
        Err(KernError::Inval)
    );
    assert_eq!(p.resident_count(), 0);
    drop(p);
    physmem::free_page(pa);
}

#[ktest]
fn unmanaged_device_memory_gets_no_pv_entry() {
    let p = Pmap::create().unwrap();
    let device = 0xfe00_0000; // above RAM, outside the vm_page array
    assert_eq!(physmem::usage_of(device), None);
    let (pv_before, _) = super::pv_stats();
    p.enter(VA, device, RW, PmapFlags::NOCACHE).unwrap();
    assert_eq!(super::pv_stats().0, pv_before);
    assert!(!Pte::from_bits_retain(p.leaf_entry(VA).unwrap()).contains(Pte::MANAGED));
    p.remove(VA, VA + 4096);
}
