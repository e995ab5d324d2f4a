//! The direct map: all physical memory (at least the first 4 GiB) mapped at
//! `DIRECT_MAP_BASE`, non-executable. Everything that touches a physical page
//! by its address goes through here: zeroing and copying pages, and
//! `steal_memory` for the structures built before the page allocator exists.

use super::{Paddr, Vaddr};
use crate::DIRECT_MAP_BASE;

pub const PAGE_SIZE: u64 = 4096;

/// The kernel virtual address of physical address `pa`.
#[inline]
pub fn phys_to_virt(pa: Paddr) -> Vaddr {
    DIRECT_MAP_BASE + pa
}

/// Fill the page at `pa` with zeroes (pmap_zero_page). Uses `rep stosq`,
/// which is fastest under QEMU's instruction counting.
pub fn zero_page(pa: Paddr) {
    debug_assert!(pa.is_multiple_of(PAGE_SIZE));
    let dst = phys_to_virt(pa);
    // The caller owns the page at `pa` (it allocated it); 512 qwords is one page.
    // SAFETY: a page-aligned, owned page, mapped writable by the direct map.
    unsafe {
        core::arch::asm!("rep stosq",
            inout("rdi") dst => _, inout("rcx") PAGE_SIZE / 8 => _, in("rax") 0u64,
            options(nostack));
    }
}

/// Copy the page at `src` to the page at `dst` (pmap_copy_page).
pub fn copy_page(src: Paddr, dst: Paddr) {
    debug_assert!(src.is_multiple_of(PAGE_SIZE) && dst.is_multiple_of(PAGE_SIZE) && src != dst);
    // SAFETY: both are whole, distinct physical pages mapped by the direct
    // map; the caller owns `dst` and may read `src`.
    unsafe {
        core::arch::asm!("rep movsq",
            inout("rsi") phys_to_virt(src) => _, inout("rdi") phys_to_virt(dst) => _,
            inout("rcx") PAGE_SIZE / 8 => _, options(nostack));
    }
}

/// Read a u64 at physical address `pa` (8-byte aligned).
pub fn read_u64(pa: Paddr) -> u64 {
    debug_assert!(pa.is_multiple_of(8));
    // SAFETY: the direct map covers all of physical memory and the address is aligned.
    unsafe { core::ptr::read_volatile(phys_to_virt(pa) as *const u64) }
}

/// Write a u64 at physical address `pa` (8-byte aligned).
pub fn write_u64(pa: Paddr, value: u64) {
    debug_assert!(pa.is_multiple_of(8));
    // SAFETY: as in read_u64; callers write only pages they own (page-table
    // pages of the pmap, or pages they allocated).
    unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut u64, value) }
}

/// Write one byte at physical address `pa` (a page the caller owns).
pub fn write_u8(pa: Paddr, value: u8) {
    // SAFETY: as in write_u64.
    unsafe { core::ptr::write_volatile(phys_to_virt(pa) as *mut u8, value) }
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
