//! Pool back-end allocators: where pools get their pages. An allocator has
//! a page size, page alloc/free functions and the list of pools it feeds.
//! When it cannot get a page it drains every one of those pools (their
//! cached empty pages go back to the page allocator) and, for a `WAITOK`
//! request, tries again.
//!
//! A `NOWAIT` request never turns into a `WAITOK` one anywhere below it
//! (NetBSD once had exactly that bug in map-entry allocation): while a
//! `NOWAIT` get is in progress, a nested `WAITOK` get panics.

use super::pool::{Pool, PoolFlags};
use crate::pmap::direct::{self, PAGE_SIZE};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use spin::Mutex;

const MAX_POOLS_PER_ALLOCATOR: usize = 64;

/// A pool back end.
pub struct PoolAllocator {
    pub name: &'static str,
    /// Size (and alignment) of the pages it hands out.
    pub page_size: usize,
    alloc: fn() -> Option<usize>,
    free: fn(usize),
    pools: Mutex<[Option<&'static Pool>; MAX_POOLS_PER_ALLOCATOR]>,
    /// Times a page could not be had at first.
    pub shortages: AtomicU64,
    /// Drains run because of a shortage.
    pub drains: AtomicU64,
}

impl PoolAllocator {
    pub const fn new(
        name: &'static str,
        page_size: usize,
        alloc: fn() -> Option<usize>,
        free: fn(usize),
    ) -> Self {
        PoolAllocator {
            name,
            page_size,
            alloc,
            free,
            pools: Mutex::new([None; MAX_POOLS_PER_ALLOCATOR]),
            shortages: AtomicU64::new(0),
            drains: AtomicU64::new(0),
        }
    }

    /// Remember that `pool` takes its pages from here (done on first use).
    pub fn register(&self, pool: &'static Pool) {
        x86_64::instructions::interrupts::without_interrupts(|| {
            let mut pools = self.pools.lock();
            let slot = pools
                .iter_mut()
                .find(|p| p.is_none())
                .expect("too many pools on one allocator");
            *slot = Some(pool);
        });
    }

    /// A page for a pool: on shortage, drain every pool fed from here; a
    /// `WAITOK` request then tries again.
    pub fn alloc_page(&self, flags: PoolFlags) -> Option<usize> {
        if let Some(page) = (self.alloc)() {
            return Some(page);
        }
        self.shortages.fetch_add(1, Ordering::Relaxed);
        let freed = self.drain();
        if flags.contains(PoolFlags::WAITOK) && freed > 0 {
            return (self.alloc)();
        }
        None
    }

    pub fn free_page(&self, page: usize) {
        (self.free)(page)
    }

    /// Drain every pool fed from here. Returns the pages freed.
    pub fn drain(&self) -> u64 {
        self.drains.fetch_add(1, Ordering::Relaxed);
        let pools = x86_64::instructions::interrupts::without_interrupts(|| *self.pools.lock());
        pools.iter().flatten().map(|p| p.drain()).sum()
    }
}

fn kmem_alloc_page() -> Option<usize> {
    physmem::alloc_page(PageUse::Pool)
        .ok()
        .map(|pa| direct::phys_to_virt(pa) as usize)
}

fn kmem_free_page(va: usize) {
    let pa = va as u64 - crate::DIRECT_MAP_BASE;
    physmem::free_page(pa)
}

/// The kernel's page allocator for pools: single pages through the direct map.
pub static KMEM_ALLOCATOR: PoolAllocator = PoolAllocator::new(
    "kmem-page",
    PAGE_SIZE as usize,
    kmem_alloc_page,
    kmem_free_page,
);

/// Off-page page headers come from here (small items: their own headers
/// are on-page, so this never needs another header).
pub static HEADER_POOL: Pool = Pool::new("phpool", super::pool::HEADER_SIZE, 8, &KMEM_ALLOCATOR);

/// Depth of NOWAIT gets in progress before the first thread exists (early
/// boot); afterwards each thread counts its own (`Lwp::nowait_depth`), so a
/// thread preempted inside a NOWAIT get does not trip another's WAITOK get.
static BOOT_NOWAIT_DEPTH: AtomicU32 = AtomicU32::new(0);

fn nowait_depth() -> &'static AtomicU32 {
    if crate::kern::sched::sched::started() {
        &crate::kern::sched::curlwp().nowait_depth
    } else {
        &BOOT_NOWAIT_DEPTH
    }
}

/// Marks a pool get in progress with its flags; see the module comment.
pub struct NowaitScope(bool);

impl NowaitScope {
    pub fn enter(flags: PoolFlags) -> NowaitScope {
        let nowait = !flags.contains(PoolFlags::WAITOK);
        if !nowait {
            assert_eq!(
                nowait_depth().load(Ordering::Relaxed),
                0,
                "pool: a WAITOK allocation inside a NOWAIT one"
            );
        } else {
            nowait_depth().fetch_add(1, Ordering::Relaxed);
        }
        NowaitScope(nowait)
    }
}

impl Drop for NowaitScope {
    fn drop(&mut self) {
        if self.0 {
            nowait_depth().fetch_sub(1, Ordering::Relaxed);
        }
    }
}
