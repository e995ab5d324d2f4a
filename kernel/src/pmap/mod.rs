//! The machine-dependent MMU layer (pmap(9)). So far: the direct map of all
//! physical memory, page zeroing/copying through it, boot-time memory
//! stealing, and unmanaged kernel mappings (`kenter_pa`/`kremove`) on the
//! active page tables. The full pmap interface (user pmaps, pv lists, R/M
//! bits, deferred TLB shootdown) builds on these.

pub mod direct;
pub mod kenter;
pub mod pte;

pub use crate::uvm::{Paddr, Vaddr};
