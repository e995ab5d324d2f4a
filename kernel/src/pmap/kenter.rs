//! Unmanaged kernel mappings on the active page tables (pmap_kenter_pa /
//! pmap_kremove) and address translation (pmap_extract). No pv tracking:
//! the caller owns the physical page. Page-table pages come from the page
//! allocator (accounted as page-table pages) and are freed again when their
//! last entry goes, except the top-level kernel-half tables, which stay so
//! that every address space can share them.

use super::direct::{self, PAGE_SIZE};
use super::pte::{self, ADDR_MASK, ENTRIES, Pte};
use super::{Paddr, Vaddr};
use crate::kern::error::{KResult, KernError};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use x86_64::instructions::tlb;

fn root() -> Paddr {
    x86_64::registers::control::Cr3::read()
        .0
        .start_address()
        .as_u64()
}

fn entry_pa(table: Paddr, va: Vaddr, level: u32) -> Paddr {
    table + (pte::index(va, level) * 8) as u64
}

/// Translate `va` through the active page tables (pmap_extract).
pub fn extract(va: Vaddr) -> Option<Paddr> {
    let mut table = root();
    for level in (1..=4).rev() {
        let e = direct::read_u64(entry_pa(table, va, level));
        let flags = Pte::from_bits_retain(e);
        if !flags.contains(Pte::PRESENT) {
            return None;
        }
        let page_mask = (1u64 << (12 + 9 * (level - 1))) - 1;
        if level == 1 || (level <= 3 && flags.contains(Pte::HUGE)) {
            return Some((e & ADDR_MASK & !page_mask) | (va & page_mask));
        }
        table = e & ADDR_MASK;
    }
    None
}

/// The leaf entry for `va`, if all intermediate tables exist.
pub fn leaf_entry(va: Vaddr) -> Option<u64> {
    let mut table = root();
    for level in (2..=4).rev() {
        let e = direct::read_u64(entry_pa(table, va, level));
        let flags = Pte::from_bits_retain(e);
        if !flags.contains(Pte::PRESENT) || flags.contains(Pte::HUGE) {
            return None;
        }
        table = e & ADDR_MASK;
    }
    Some(direct::read_u64(entry_pa(table, va, 1)))
}

/// Map the 4 KiB page `va` to `pa` with `flags` (PRESENT is implied).
/// Fails with `Inval` for a bad or already-mapped address (or one inside a
/// huge page) and with `NoMem` when a page-table page cannot be allocated;
/// on failure nothing changed.
pub fn kenter_pa(va: Vaddr, pa: Paddr, flags: Pte) -> KResult<()> {
    if !va.is_multiple_of(PAGE_SIZE) || !pa.is_multiple_of(PAGE_SIZE) || !pte::is_canonical(va) {
        return Err(KernError::Inval);
    }
    if leaf_entry(va).is_some_and(|e| e & Pte::PRESENT.bits() != 0) {
        return Err(KernError::Inval);
    }
    let user = !pte::is_kernel_va(va);
    let mut table = root();
    for level in (2..=4).rev() {
        let slot = entry_pa(table, va, level);
        let e = direct::read_u64(slot);
        let f = Pte::from_bits_retain(e);
        if f.contains(Pte::PRESENT) {
            if f.contains(Pte::HUGE) {
                return Err(KernError::Inval);
            }
            if user && !f.contains(Pte::USER) {
                direct::write_u64(slot, e | Pte::USER.bits());
            }
            table = e & ADDR_MASK;
        } else {
            // Newly created tables stay even if a later level fails: they are
            // empty and `kremove`'s cleanup (or the next kenter) reuses them.
            let new = physmem::alloc_page_zeroed(PageUse::PageTable).inspect_err(|_| {
                release_empty_tables(va);
            })?;
            let mut parent = Pte::PRESENT | Pte::WRITABLE;
            if user {
                parent |= Pte::USER;
            }
            direct::write_u64(slot, new | parent.bits());
            table = new;
        }
    }
    direct::write_u64(entry_pa(table, va, 1), pa | (flags | Pte::PRESENT).bits());
    tlb::flush(x86_64::VirtAddr::new(va));
    Ok(())
}

/// Remove the mapping of the 4 KiB page `va` (if any) and free page-table
/// pages left empty. Returns the physical page that was mapped.
pub fn kremove(va: Vaddr) -> Option<Paddr> {
    let e = leaf_entry(va)?;
    if e & Pte::PRESENT.bits() == 0 {
        return None;
    }
    let mut table = root();
    for level in (2..=4).rev() {
        table = direct::read_u64(entry_pa(table, va, level)) & ADDR_MASK;
    }
    direct::write_u64(entry_pa(table, va, 1), 0);
    tlb::flush(x86_64::VirtAddr::new(va));
    release_empty_tables(va);
    Some(e & ADDR_MASK)
}

fn table_is_empty(table: Paddr) -> bool {
    (0..ENTRIES).all(|i| direct::read_u64(table + (i * 8) as u64) == 0)
}

/// Free the page-table pages on the path to `va` that hold no entries,
/// bottom-up. Kernel-half PDPTs (referenced from the PML4) are kept.
fn release_empty_tables(va: Vaddr) {
    // Path of (slot address in parent, table) from PML4 down to the PT.
    let mut path = [(0u64, 0u64); 4];
    let mut table = root();
    let mut depth = 0;
    for level in (2..=4).rev() {
        let slot = entry_pa(table, va, level);
        let e = direct::read_u64(slot);
        if e & Pte::PRESENT.bits() == 0 || e & Pte::HUGE.bits() != 0 {
            break;
        }
        table = e & ADDR_MASK;
        path[depth] = (slot, table);
        depth += 1;
    }
    for i in (0..depth).rev() {
        let (slot, table) = path[i];
        let is_pdpt = i == 0;
        if (is_pdpt && pte::is_kernel_va(va)) || !table_is_empty(table) {
            break;
        }
        direct::write_u64(slot, 0);
        physmem::free_page(table);
        // Drop paging-structure caches that may still hold the freed table.
        tlb::flush(x86_64::VirtAddr::new(va));
    }
}
