//! Wired kernel memory (NetBSD's uvm_km.c, `uvm_km_alloc` with
//! UVM_KMF_WIRED): a range of the kernel map whose pages are allocated
//! and entered at once and stay until the buffer is dropped.
//!
//! For large, short-lived kernel buffers that need not be physically
//! contiguous (kmem's large blocks are contiguous page runs, which a
//! fragmented or small machine may not have): inflating the initramfs
//! is the first user. Pages come zero-filled.
//!
//! This is an audited primitive: it makes a byte slice of the range it
//! owns and keeps mapped.

#![allow(unsafe_code)]

use crate::kern::error::KResult;
use crate::pmap::{self, MemAttr, VmProt};
use crate::uvm::map::{self, MapRequest};
use crate::uvm::page::PageUse;
use crate::uvm::{Paddr, Vaddr, physmem};
use alloc::vec::Vec;

const PAGE: u64 = 4096;

/// A wired, zero-filled kernel buffer of `len` bytes.
pub struct KmBuf {
    base: Vaddr,
    len: usize,
    pages: Vec<Paddr>,
}

impl KmBuf {
    /// Allocate `len` bytes (rounded up to pages; at least one). Sleeps
    /// for the kernel map's lock; fails with NoMem when pages run out.
    pub fn new(len: usize) -> KResult<KmBuf> {
        let npages = len.div_ceil(PAGE as usize).max(1);
        let mut pages = Vec::new();
        pages
            .try_reserve_exact(npages)
            .map_err(|_| crate::kern::error::KernError::NoMem)?;
        let mut req = MapRequest::anon(npages as u64 * PAGE, VmProt::READ | VmProt::WRITE);
        req.merge = false;
        let base = map::kernel_map().map(req)?;
        let mut buf = KmBuf { base, len, pages };
        for i in 0..npages {
            let pa = physmem::alloc_page_zeroed(PageUse::Kernel)?;
            let va = base + PAGE * i as u64;
            if let Err(e) =
                pmap::kenter_pa(va, pa, VmProt::READ | VmProt::WRITE, MemAttr::WriteBack)
            {
                physmem::free_page(pa);
                return Err(e);
            }
            buf.pages.push(pa);
        }
        Ok(buf)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pages held (the leak check's arithmetic).
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    pub fn as_slice(&self) -> &[u8] {
        // Every page of `[base, base + len)` is entered (`new` returns only
        // when all are) and stays mapped until `drop`.
        // SAFETY: the range is this value's, mapped; the borrow ties the slice to `self`.
        unsafe { core::slice::from_raw_parts(self.base as *const u8, self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` makes the slice unique.
        unsafe { core::slice::from_raw_parts_mut(self.base as *mut u8, self.len) }
    }
}

impl Drop for KmBuf {
    /// Unmap, free the pages, give the range back.
    fn drop(&mut self) {
        pmap::kremove(self.base, self.pages.len() as u64 * PAGE);
        pmap::update();
        for &pa in &self.pages {
            physmem::free_page(pa);
        }
        let span = self.len.div_ceil(PAGE as usize).max(1) as u64 * PAGE;
        if let Err(e) = map::kernel_map().unmap_collect(self.base, self.base + span) {
            log::error!(
                "km: buffer range {:#x} vanished from the kernel map: {e:?}",
                self.base
            );
        }
    }
}
