//! The machine-dependent MMU layer: the pmap(9) interface on x86_64 4-level
//! page tables. Everything above (the machine-independent VM) maps, unmaps,
//! protects and inspects pages through this module without knowing page
//! tables.
//!
//! - `pmap.rs`: the pmaps themselves (create/destroy/reference/activate,
//!   enter/remove/remove_all/protect/unwire/extract, kenter_pa/kremove,
//!   page_protect, the referenced/modified bits, counts);
//! - `pv.rs`: the pv entries, the reverse map page → (pmap, va);
//! - `tlb.rs`: deferred TLB invalidation, flushed by `update()`;
//! - `pat.rs`: memory attributes (write-back, write-combining, uncached);
//! - `kernel.rs`: adopting and cleaning the boot page tables;
//! - `direct.rs`: the direct map, page zeroing and copying
//!   (pmap_zero_page, pmap_copy_page);
//! - `pte.rs`: page-table entry bits.
//!
//! All pmap state is behind one lock (this kernel runs on one CPU); the
//! per-page part (`PageMd`) lives in the vm_page, as UVM's vm_page_md.

pub mod bench;
pub mod direct;
pub mod kernel;
pub mod pat;
#[allow(clippy::module_inception)]
pub mod pmap;
mod pmap_tests;
pub mod pte;
pub mod pv;
pub mod tlb;

pub use crate::uvm::{Paddr, Vaddr, VmProt};
pub use pat::MemAttr;
pub use pmap::*;

bitflags::bitflags! {
    /// Flags of `pmap_enter`: the access type that caused the mapping (so
    /// the referenced/modified bits can be preset), wiring, failure mode and
    /// cache attribute.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PmapFlags: u32 {
        /// Access type: read (presets the referenced bit).
        const READ = 1;
        /// Access type: write (presets referenced and modified).
        const WRITE = 2;
        /// Access type: execute (presets the referenced bit).
        const EXECUTE = 4;
        /// The mapping is wired: never removed by anything but its owner.
        const WIRED = 0x10;
        /// Return `NoMem` instead of panicking when memory for page-table
        /// pages or pv entries is short; the pmap is then unchanged.
        const CANFAIL = 0x20;
        /// Map uncached (device memory).
        const NOCACHE = 0x40;
        /// Map write-combining (frame buffers).
        const WRITE_COMBINE = 0x80;
    }
}

/// Per-page pmap data kept in each vm_page (vm_page_md).
#[derive(Clone, Copy, Debug)]
pub struct PageMd {
    /// First pv entry of the page's mappings (`pv::NIL` if none).
    pub pv_head: pv::PvId,
    /// Referenced/modified bits saved from mappings that are gone.
    pub attrs: u8,
    /// The page's memory attribute (`MemAttr as u8`).
    pub memattr: u8,
    /// For a page-table page: the number of valid entries in it.
    pub ptp_count: u16,
}

impl PageMd {
    pub const REFERENCED: u8 = 1;
    pub const MODIFIED: u8 = 2;

    pub const fn new() -> Self {
        PageMd {
            pv_head: pv::NIL,
            attrs: 0,
            memattr: 0,
            ptp_count: 0,
        }
    }
}
