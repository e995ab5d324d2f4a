//! x86_64 page-table entry bits and the geometry of the 4-level tables.

use bitflags::bitflags;

bitflags! {
    /// Bits of a page-table entry at any level.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Pte: u64 {
        const PRESENT = 1 << 0;
        const WRITABLE = 1 << 1;
        const USER = 1 << 2;
        const WRITE_THROUGH = 1 << 3;
        const CACHE_DISABLE = 1 << 4;
        const ACCESSED = 1 << 5;
        const DIRTY = 1 << 6;
        /// Page size (PS) at levels 2 and 3; PAT at level 1.
        const HUGE = 1 << 7;
        const GLOBAL = 1 << 8;
        /// Software bit: the mapping is wired (PG_W).
        const WIRED = 1 << 9;
        /// Software bit: the page is managed, it has a pv entry (PG_PVLIST).
        const MANAGED = 1 << 10;
        const NO_EXECUTE = 1 << 63;
    }
}

/// Physical-address bits of an entry.
pub const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Entries per table.
pub const ENTRIES: usize = 512;

/// Index into the table at `level` (4 = PML4 .. 1 = PT) for `va`.
#[inline]
pub fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// True for addresses in the upper (kernel) half.
#[inline]
pub fn is_kernel_va(va: u64) -> bool {
    va >= 0xffff_8000_0000_0000
}
