//! The machine-independent virtual-memory system, after NetBSD's UVM:
//! physical pages (`page`, `physmem`), address maps (`map`), anonymous
//! memory (`amap`, `anon`), memory objects and pagers (`object`), the fault
//! routine (`fault`) and address spaces (`vmspace`). The page daemon and the
//! vnode pager come later.

#![deny(unsafe_code)]

pub mod amap;
pub mod anon;
pub mod brk;
pub mod copy;
mod copy_tests;
pub mod fault;
pub mod fault_bench;
mod fault_tests;
pub mod io;
mod io_tests;
pub mod km;
pub mod madvise;
pub mod map;
pub mod map_bench;
pub mod map_extract;
pub mod map_info;
mod map_tests;
pub mod mlock;
pub mod mmap;
pub mod mquery;
pub mod mremap;
pub mod object;
pub mod page;
pub mod physmem;
mod physmem_tests;
pub mod residency;
pub mod stack;
pub mod vmspace;
mod vmspace_tests;
pub mod wiring;

bitflags::bitflags! {
    /// Protection of a mapping (vm_prot_t).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmProt: u8 {
        const READ = 1;
        const WRITE = 2;
        const EXECUTE = 4;
        const ALL = 7;
    }
}

impl VmProt {
    /// What the MMU grants for `self` on x86: a present page is always
    /// readable, so write and execute permission imply read (without
    /// protection keys there is no execute-only or write-only page). Map
    /// entries keep the protection as asked (for /proc and mprotect); the
    /// fault routine and the pmap use this.
    pub fn effective(self) -> VmProt {
        if self.intersects(VmProt::WRITE | VmProt::EXECUTE) {
            self | VmProt::READ
        } else {
            self
        }
    }
}

/// Start the machine-independent VM (nothing to do yet: page faults reach
/// the fault routine through the trap handler).
pub fn init() {}

/// A physical address (paddr_t).
pub type Paddr = u64;
/// A virtual address (vaddr_t).
pub type Vaddr = u64;
