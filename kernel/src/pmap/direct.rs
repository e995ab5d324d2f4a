//! The direct map: all physical memory (at least the first 4 GiB) mapped at
//! `DIRECT_MAP_BASE`, non-executable. Everything that touches a physical page
//! by its address goes through here: zeroing and copying pages, and
//! `steal_memory` for the structures built before the page allocator exists.
//!
//! Writing memory by physical address could break any kernel structure, so
//! every writer takes an `OwnedPage`, the handle the page allocator gives
//! the owner of a page; readers only copy bytes out of managed RAM. The raw
//! word accessors are for the pmap's own page tables.

use super::{Paddr, Vaddr};
use crate::DIRECT_MAP_BASE;
pub use crate::uvm::physmem::OwnedPage;

pub const PAGE_SIZE: u64 = 4096;

/// The kernel virtual address of physical address `pa`.
#[inline]
pub fn phys_to_virt(pa: Paddr) -> Vaddr {
    DIRECT_MAP_BASE + pa
}

/// Fill `page` with zeroes (pmap_zero_page). Uses `rep stosq`, which is
/// fastest under QEMU's instruction counting.
pub fn zero_page(page: &mut OwnedPage) {
    let dst = phys_to_virt(page.pa());
    // SAFETY: the handle proves the caller owns this whole page, which the
    // direct map maps writable; 512 qwords is one page.
    unsafe {
        core::arch::asm!("rep stosq",
            inout("rdi") dst => _, inout("rcx") PAGE_SIZE / 8 => _, in("rax") 0u64,
            options(nostack));
    }
}

/// Copy the managed page at `src` into `dst` (pmap_copy_page). Reading a
/// page of RAM through the direct map is harmless (it may be changing
/// under us: the copy is a snapshot).
pub fn copy_page(src: Paddr, dst: &mut OwnedPage) {
    assert!(
        is_ram_page(src),
        "copy_page from {src:#x}, not a managed page"
    );
    debug_assert!(src != dst.pa());
    // SAFETY: `src` is a page of RAM (checked) mapped by the direct map;
    // the handle proves the caller owns `dst`; the two pages are distinct.
    unsafe {
        core::arch::asm!("rep movsq",
            inout("rsi") phys_to_virt(src) => _, inout("rdi") phys_to_virt(dst.pa()) => _,
            inout("rcx") PAGE_SIZE / 8 => _, options(nostack));
    }
}

/// Write `data` into `page` at byte offset `off`.
pub fn write_bytes(page: &mut OwnedPage, off: usize, data: &[u8]) {
    assert!(
        off + data.len() <= PAGE_SIZE as usize,
        "write past the page"
    );
    // SAFETY: the handle proves the caller owns the page; the range lies
    // inside it (checked); no reference to the page's memory is formed.
    unsafe {
        core::ptr::copy_nonoverlapping(
            data.as_ptr(),
            (phys_to_virt(page.pa()) as *mut u8).add(off),
            data.len(),
        )
    }
}

/// Read bytes of a managed page at byte offset `off` into `buf` (a
/// snapshot: others may be writing the page).
pub fn read_bytes(pa: Paddr, off: usize, buf: &mut [u8]) {
    assert!(is_ram_page(pa), "read_bytes of {pa:#x}, not a managed page");
    assert!(off + buf.len() <= PAGE_SIZE as usize, "read past the page");
    // SAFETY: `pa` is a page of RAM mapped by the direct map; the range
    // lies inside it; the copy forms no reference to the page's memory.
    unsafe {
        core::ptr::copy_nonoverlapping(
            (phys_to_virt(pa) as *const u8).add(off),
            buf.as_mut_ptr(),
            buf.len(),
        )
    }
}

/// Read a u64 of a managed page (8-byte aligned; a snapshot).
pub fn peek_u64(pa: Paddr) -> u64 {
    let mut b = [0u8; 8];
    read_bytes(
        pa & !(PAGE_SIZE - 1),
        (pa & (PAGE_SIZE - 1)) as usize,
        &mut b,
    );
    u64::from_le_bytes(b)
}

/// True if `pa` is a page of RAM the VM manages and has handed out.
fn is_ram_page(pa: Paddr) -> bool {
    crate::uvm::physmem::usage_of(pa).is_some_and(|u| u.is_allocated())
}

/// Read a u64 at physical address `pa` (8-byte aligned). For the pmap's
/// own page tables only.
///
/// # Safety
/// `pa` must be RAM (not device memory).
pub(in crate::pmap) unsafe fn read_u64(pa: Paddr) -> u64 {
    debug_assert!(pa.is_multiple_of(8));
    // SAFETY: per the contract the direct map maps `pa` as ordinary RAM.
    unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const u64) }
}

/// Write a u64 at physical address `pa` (8-byte aligned). For the pmap's
/// own page tables only.
///
/// # Safety
/// `pa` must lie in a page the caller owns (a page-table page of the pmap).
pub(in crate::pmap) unsafe fn write_u64(pa: Paddr, value: u64) {
    debug_assert!(pa.is_multiple_of(8));
    // SAFETY: per the contract.
    unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut u64, value) }
}

/// Take `count` elements' worth of physical memory at `pa` for good and turn
/// it into a static slice initialised with `init` (pmap_steal_memory: used
/// for the vm_page array, before any allocator exists).
///
/// The caller (physmem bootstrap) guarantees the range is usable RAM that
/// nothing else owns and that it is never handed out again.
pub fn steal_memory<T>(pa: Paddr, count: usize, init: impl Fn(usize) -> T) -> &'static mut [T] {
    let va = phys_to_virt(pa) as *mut T;
    assert!(
        (va as usize).is_multiple_of(core::mem::align_of::<T>()),
        "stolen memory misaligned"
    );
    for i in 0..count {
        // [pa, pa + count * size_of::<T>()) is unowned RAM (caller's guarantee).
        // SAFETY: `va + i` is inside that range, direct-mapped writable, aligned for T.
        unsafe { va.add(i).write(init(i)) };
    }
    // SAFETY: all `count` elements were just initialised, the memory is
    // never reused (stolen for good), so a unique 'static borrow is sound.
    unsafe { core::slice::from_raw_parts_mut(va, count) }
}
