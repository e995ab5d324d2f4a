//! The machine-independent virtual-memory system, after NetBSD's UVM. So far:
//! the physical page layer (`vm_page` array, free lists, counters). Maps,
//! amaps, anons, objects, the fault routine and the page daemon come later.

pub mod anon;
pub mod map;
pub mod map_bench;
mod map_tests;
pub mod object;
pub mod page;
pub mod physmem;
mod physmem_tests;

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

/// A physical address (paddr_t).
pub type Paddr = u64;
/// A virtual address (vaddr_t).
pub type Vaddr = u64;
