//! kmem: the kernel's general-purpose allocator and Rust's global
//! allocator. Sizes up to 2 KiB come from size-class pools (16, 32, ...,
//! 2048 bytes, power-of-two classes, so every item is aligned to its class);
//! larger blocks, or alignments above 2 KiB, are runs of whole pages from
//! the page allocator, reached through the direct map.
//!
//! Every allocation is counted (bytes and blocks in use), so the leak check
//! can compare before and after a test. A failed allocation logs its size
//! and the memory counters; Rust's `alloc` then reports it (a panic), and
//! fallible APIs (`try_reserve`, malloc types with NOWAIT) see an error.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool::{Pool, PoolFlags};
use super::pool_allocator::KMEM_ALLOCATOR;
use crate::pmap::direct::{self, PAGE_SIZE};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicUsize, Ordering};

/// The size classes, smallest first.
pub const CLASSES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];

static KMEM_POOLS: [Pool; 8] = [
    Pool::new("kmem-16", 16, 16, &KMEM_ALLOCATOR),
    Pool::new("kmem-32", 32, 32, &KMEM_ALLOCATOR),
    Pool::new("kmem-64", 64, 64, &KMEM_ALLOCATOR),
    Pool::new("kmem-128", 128, 128, &KMEM_ALLOCATOR),
    Pool::new("kmem-256", 256, 256, &KMEM_ALLOCATOR),
    Pool::new("kmem-512", 512, 512, &KMEM_ALLOCATOR),
    Pool::new("kmem-1024", 1024, 1024, &KMEM_ALLOCATOR),
    Pool::new("kmem-2048", 2048, 2048, &KMEM_ALLOCATOR),
];

/// Counters of kmem.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KmemStats {
    /// Bytes requested and not yet freed.
    pub bytes_in_use: usize,
    /// Blocks allocated and not yet freed.
    pub allocations: usize,
    /// Pages in large (page-run) blocks.
    pub large_pages: usize,
    pub failures: usize,
}

static BYTES: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);
static LARGE_PAGES: AtomicUsize = AtomicUsize::new(0);
static FAILURES: AtomicUsize = AtomicUsize::new(0);

/// The size-class pool for a layout, or None for a page run.
fn class_of(layout: Layout) -> Option<&'static Pool> {
    let need = layout.size().max(layout.align());
    CLASSES
        .iter()
        .position(|&c| need <= c)
        .map(|i| &KMEM_POOLS[i])
}

fn pages_of(layout: Layout) -> usize {
    layout.size().div_ceil(PAGE_SIZE as usize).max(1)
}

/// Allocate a block for `layout` (null on failure).
pub fn alloc(layout: Layout, flags: PoolFlags) -> *mut u8 {
    let p = match class_of(layout) {
        Some(pool) => pool.get(flags).map_or(ptr::null_mut(), NonNull::as_ptr),
        None => {
            let pages = pages_of(layout);
            let align = (layout.align() / PAGE_SIZE as usize).max(1);
            match physmem::alloc_contig(pages, align, PageUse::Heap) {
                Ok(pa) => {
                    LARGE_PAGES.fetch_add(pages, Ordering::Relaxed);
                    direct::phys_to_virt(pa) as *mut u8
                }
                Err(_) => ptr::null_mut(),
            }
        }
    };
    if p.is_null() {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            "kmem: cannot allocate {} bytes (align {}): {} bytes in {} blocks in use, {} free pages",
            layout.size(),
            layout.align(),
            BYTES.load(Ordering::Relaxed),
            BLOCKS.load(Ordering::Relaxed),
            physmem::free_pages()
        );
    } else {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
    }
    p
}

/// Free a block allocated with `alloc` for the same layout.
///
/// # Safety
/// `p` must come from `alloc(layout, _)` and not be used afterwards.
pub unsafe fn free(p: *mut u8, layout: Layout) {
    match class_of(layout) {
        // SAFETY: the block came from this class's pool (same layout).
        Some(pool) => unsafe { pool.put(NonNull::new(p).expect("kmem free of null")) },
        None => {
            let pages = pages_of(layout);
            physmem::free_contig(p as u64 - crate::DIRECT_MAP_BASE, pages);
            LARGE_PAGES.fetch_sub(pages, Ordering::Relaxed);
        }
    }
    BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    BLOCKS.fetch_sub(1, Ordering::Relaxed);
}

/// A copy of the counters.
pub fn stats() -> KmemStats {
    KmemStats {
        bytes_in_use: BYTES.load(Ordering::Relaxed),
        allocations: BLOCKS.load(Ordering::Relaxed),
        large_pages: LARGE_PAGES.load(Ordering::Relaxed),
        failures: FAILURES.load(Ordering::Relaxed),
    }
}

struct GlobalKmem;

// SAFETY: alloc returns null or a block of at least `layout.size()` bytes
// aligned to `layout.align()` (size classes are powers of two at least as
// large as the alignment, and pool items are aligned to their class; page
// runs are page aligned or more), owned by the caller until dealloc.
unsafe impl GlobalAlloc for GlobalKmem {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // On shortage the pools' cached empty pages are drained and the
        // allocation retried (there is nothing to sleep for yet).
        alloc(layout, PoolFlags::WAITOK)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: ptr came from alloc with layout.
        unsafe { free(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: GlobalKmem = GlobalKmem;
