//! The machine-independent virtual-memory system, after NetBSD's UVM. So far:
//! the physical page layer (`vm_page` array, free lists, counters). Maps,
//! amaps, anons, objects, the fault routine and the page daemon come later.

pub mod page;
pub mod physmem;
mod physmem_tests;

/// A physical address (paddr_t).
pub type Paddr = u64;
/// A virtual address (vaddr_t).
pub type Vaddr = u64;
