//! The kernel pmap's birth: it adopts the page tables the bootloader built
//! and cleans them up.
//!
//! - the boot identity mappings in the lower half are removed and their
//!   page-table pages given back;
//! - every kernel-half PML4 slot gets a PDPT now, so user pmaps can share
//!   the kernel half by copying the 256 upper entries once;
//! - the kernel image is mapped by its ELF segments: text read-only and
//!   executable, rodata read-only and NX, data and bss read-write and NX,
//!   all global;
//! - the direct map is NX and global, with 1 GiB pages where the CPU has
//!   them (2 MiB otherwise);
//! - PAT is programmed and global pages are enabled;
//! - each page-table page's valid-entry count is computed, so later
//!   removals can free tables as they empty.

use super::direct::{self, PAGE_SIZE};
use super::pte::{ADDR_MASK, ENTRIES, Pte};
use super::{Paddr, Pmap, Vaddr, pat, tlb};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use bootloader_api::BootInfo;
use spin::Once;
use x86_64::registers::control::{Cr3, Cr4, Cr4Flags};

/// Read a word of the boot page tables or the kernel image (RAM).
fn rd(pa: Paddr) -> u64 {
    // SAFETY: bootstrap reads only the bootloader's page tables and the
    // kernel image, both RAM.
    unsafe { direct::read_u64(pa) }
}

/// Write a word of a page-table page the kernel pmap owns.
fn wr(pa: Paddr, v: u64) {
    // SAFETY: bootstrap runs alone at boot and writes only page-table pages
    // it adopted or allocated.
    unsafe { direct::write_u64(pa, v) }
}

const PT_LOAD: u32 = 1;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PF_X: u32 = 1;
const PF_W: u32 = 2;

/// One loadable segment of the kernel image, as mapped.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    pub start: Vaddr,
    pub end: Vaddr,
    pub writable: bool,
    pub executable: bool,
}

const MAX_SEGMENTS: usize = 8;
static SEGMENTS: Once<([Option<Segment>; MAX_SEGMENTS], usize)> = Once::new();

/// The kernel image's segments.
pub fn segments() -> impl Iterator<Item = Segment> {
    SEGMENTS
        .get()
        .into_iter()
        .flat_map(|(s, n)| s[..*n].iter().flatten().copied())
}

/// What `bootstrap` did, for the boot log.
#[derive(Clone, Copy, Debug, Default)]
pub struct BootstrapReport {
    pub identity_tables_freed: u64,
    pub kernel_pdpts_added: u64,
    pub giant_pages: bool,
}

/// Adopt and clean the boot page tables; register the kernel pmap.
pub fn bootstrap(boot_info: &BootInfo) -> BootstrapReport {
    let mut report = BootstrapReport::default();
    let pml4 = Cr3::read().0.start_address().as_u64();

    // SAFETY: turning on global pages only lets the TLB keep entries marked
    // global across CR3 loads; only kernel-half mappings are marked global.
    unsafe { Cr4::update(|c| c.insert(Cr4Flags::PAGE_GLOBAL)) };
    if crate::arch::x86_64::cpu::features().pat {
        pat::init();
    }

    // Lower half: the bootloader's identity mappings go, and their tables.
    for i in 0..ENTRIES / 2 {
        let slot = pml4 + (i * 8) as u64;
        let e = rd(slot);
        if e & Pte::PRESENT.bits() != 0 {
            wr(slot, 0);
            report.identity_tables_freed += free_table_tree(e & ADDR_MASK, 3);
        }
    }

    // Kernel half: a PDPT in every slot, shared by all pmaps from now on.
    for i in ENTRIES / 2..ENTRIES {
        let slot = pml4 + (i * 8) as u64;
        if rd(slot) & Pte::PRESENT.bits() == 0 {
            let pdpt =
                physmem::alloc_page_zeroed(PageUse::PageTable).expect("no memory for kernel PDPTs");
            wr(slot, pdpt | (Pte::PRESENT | Pte::WRITABLE).bits());
            report.kernel_pdpts_added += 1;
        }
    }

    protect_kernel_image(boot_info);
    report.giant_pages = tune_direct_map(pml4);
    tlb::flush_everything();

    count_entries(pml4, 4);
    Pmap::init_kernel(pml4);
    report
}

/// Free a table and, below it, every table (not leaf page) it points to.
/// `level` is the table's level (3 = PDPT). Returns the tables freed.
fn free_table_tree(table: Paddr, level: u32) -> u64 {
    let mut freed = 0;
    if level > 1 {
        for i in 0..ENTRIES {
            let e = rd(table + (i * 8) as u64);
            if e & Pte::PRESENT.bits() != 0 && e & Pte::HUGE.bits() == 0 {
                freed += free_table_tree(e & ADDR_MASK, level - 1);
            }
        }
    }
    match physmem::usage_of(table) {
        Some(PageUse::Boot) => physmem::release_boot_page(table),
        Some(PageUse::PageTable) => physmem::free_page(table),
        other => panic!("boot page table {table:#x} is {other:?}"),
    }
    freed + 1
}

/// Set the count of valid entries of every table below `table`, inclusive.
fn count_entries(table: Paddr, level: u32) {
    let mut n = 0u16;
    for i in 0..ENTRIES {
        let e = rd(table + (i * 8) as u64);
        if e & Pte::PRESENT.bits() == 0 {
            continue;
        }
        n += 1;
        if level > 1 && e & Pte::HUGE.bits() == 0 {
            count_entries(e & ADDR_MASK, level - 1);
        }
    }
    physmem::with_md(table, |md| md.ptp_count = n);
}

/// Translate `va` through the active (boot) page tables, before the
/// kernel pmap exists.
pub fn boot_extract(va: Vaddr) -> Option<Paddr> {
    super::pmap::translate(Cr3::read().0.start_address().as_u64(), va).map(|(pa, _)| pa)
}

fn read_u16(pa: Paddr) -> u16 {
    assert!(pa & 7 <= 6, "unaligned ELF header field");
    let word = rd(pa & !7);
    (word >> ((pa & 7) * 8)) as u16
}

fn read_u32(pa: Paddr) -> u32 {
    assert!(pa & 7 <= 4, "unaligned ELF header field");
    let word = rd(pa & !7);
    (word >> ((pa & 7) * 8)) as u32
}

/// Re-map the kernel image by its ELF program headers (the bootloader left
/// the ELF file at `kernel_addr`): permissions per segment, global pages.
fn protect_kernel_image(boot_info: &BootInfo) {
    let elf = boot_info.kernel_addr;
    let offset = boot_info.kernel_image_offset;
    let phoff = rd(elf + 0x20);
    let phentsize = read_u16(elf + 0x36) as u64;
    let phnum = read_u16(elf + 0x38) as u64;
    let mut segs = [None; MAX_SEGMENTS];
    let mut n = 0;
    let mut relro = None;
    for i in 0..phnum {
        let ph = elf + phoff + i * phentsize;
        let p_type = read_u32(ph);
        let p_flags = read_u32(ph + 4);
        let vaddr = rd(ph + 16) + offset;
        let memsz = rd(ph + 40);
        let range = (
            vaddr & !(PAGE_SIZE - 1),
            (vaddr + memsz).next_multiple_of(PAGE_SIZE),
        );
        match p_type {
            PT_LOAD if n < MAX_SEGMENTS => {
                segs[n] = Some(Segment {
                    start: range.0,
                    end: range.1,
                    writable: p_flags & PF_W != 0,
                    executable: p_flags & PF_X != 0,
                });
                n += 1;
            }
            PT_GNU_RELRO => relro = Some(range),
            _ => {}
        }
    }
    for seg in segs[..n].iter().flatten() {
        let mut va = seg.start;
        while va < seg.end {
            let in_relro = relro.is_some_and(|(s, e)| va >= s && va < e);
            set_leaf_permissions(va, seg.writable && !in_relro, seg.executable);
            va += PAGE_SIZE;
        }
    }
    SEGMENTS.call_once(|| (segs, n));
}

fn set_leaf_permissions(va: Vaddr, writable: bool, executable: bool) {
    let pml4 = Cr3::read().0.start_address().as_u64();
    let mut table = pml4;
    for level in (2..=4).rev() {
        let e = rd(table + (super::pte::index(va, level) * 8) as u64);
        assert!(
            e & Pte::PRESENT.bits() != 0 && e & Pte::HUGE.bits() == 0,
            "kernel image not 4K-mapped"
        );
        table = e & ADDR_MASK;
    }
    let slot = table + (super::pte::index(va, 1) * 8) as u64;
    let mut e = Pte::from_bits_retain(rd(slot));
    e.set(Pte::WRITABLE, writable);
    e.set(Pte::NO_EXECUTE, !executable);
    e.insert(Pte::GLOBAL);
    wr(slot, e.bits());
}

/// Make the direct map global and NX, and use 1 GiB pages for it where the
/// CPU supports them (each replaces a table of 2 MiB pages). Returns whether
/// 1 GiB pages are used.
fn tune_direct_map(pml4: Paddr) -> bool {
    let giant = crate::arch::x86_64::cpu::features().pdpe1gb;
    let base = crate::DIRECT_MAP_BASE;
    let pdpt_slot = pml4 + (super::pte::index(base, 4) * 8) as u64;
    let pdpt = rd(pdpt_slot) & ADDR_MASK;
    let leaf_flags = (Pte::GLOBAL | Pte::NO_EXECUTE).bits();
    for i in 0..ENTRIES {
        let slot = pdpt + (i * 8) as u64;
        let e = rd(slot);
        if e & Pte::PRESENT.bits() == 0 {
            continue;
        }
        if e & Pte::HUGE.bits() != 0 {
            wr(slot, e | leaf_flags);
            continue;
        }
        let pd = e & ADDR_MASK;
        let first = rd(pd);
        let whole = (0..ENTRIES).all(|j| {
            let d = rd(pd + (j * 8) as u64);
            d & Pte::PRESENT.bits() != 0 && d & Pte::HUGE.bits() != 0
        });
        if giant && whole && first & ADDR_MASK == (i as u64) << 30 {
            // One 1 GiB page instead of a table of 512 2 MiB pages.
            let flags = (Pte::PRESENT | Pte::WRITABLE | Pte::HUGE).bits() | leaf_flags;
            wr(slot, ((i as u64) << 30) | flags);
            match physmem::usage_of(pd) {
                Some(PageUse::Boot) => physmem::release_boot_page(pd),
                _ => physmem::free_page(pd),
            }
        } else {
            for j in 0..ENTRIES {
                let s = pd + (j * 8) as u64;
                let d = rd(s);
                if d & Pte::PRESENT.bits() != 0 && d & Pte::HUGE.bits() != 0 {
                    wr(s, d | leaf_flags);
                }
            }
        }
    }
    giant
}
