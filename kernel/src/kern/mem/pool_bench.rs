//! Pool benchmarks: the cost of a get+put pair must not depend on how many
//! pages the pool holds (no list is ever searched), for on-page headers and
//! for off-page headers found through the splay tree.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool::{Pool, PoolFlags};
use super::pool_allocator::KMEM_ALLOCATOR;
use crate::bench::{cycles, report};
use core::ptr::NonNull;

static BENCH_ONPAGE: Pool = Pool::new("bench-64", 64, 8, &KMEM_ALLOCATOR);
static BENCH_OFFPAGE: Pool = Pool::new("bench-512", 512, 8, &KMEM_ALLOCATOR);

const PAIRS: u64 = 1000;

/// Held items are chained through their first word (no side allocation,
/// whatever the number of pages).
fn hold(chain: &mut usize, item: NonNull<u8>) {
    let p = item.as_ptr() as *mut usize;
    // SAFETY: the item is ours (just taken from the pool) and large enough
    // for a usize; it is only read back by `release_all`.
    unsafe { p.write(*chain) };
    *chain = p as usize;
}

fn release_all(pool: &'static Pool, mut chain: usize) {
    while chain != 0 {
        // SAFETY: `chain` is an item written by `hold`.
        let next = unsafe { (chain as *const usize).read() };
        // SAFETY: the item came from `pool.get` and is not used again.
        unsafe { pool.put(NonNull::new(chain as *mut u8).expect("chained item")) };
        chain = next;
    }
}

/// Fill `pool` to `pages` pages with one free item left, then time get+put.
fn measure(pool: &'static Pool, pages: u64) -> u64 {
    let per = pool.items_per_page() as u64;
    let mut chain = 0usize;
    for _ in 0..pages * per - 1 {
        hold(&mut chain, pool.get(PoolFlags::WAITOK).expect("bench item"));
    }
    assert_eq!(pool.stats().pages, pages);
    let pair = || {
        let item = pool.get(PoolFlags::WAITOK).expect("bench item");
        // SAFETY: just taken from the pool, returned at once.
        unsafe { pool.put(item) };
    };
    for _ in 0..100 {
        pair(); // warm-up
    }
    let c = cycles(|| (0..PAIRS).for_each(|_| pair()));
    release_all(pool, chain);
    pool.drain();
    c / PAIRS
}

pub fn run() {
    for (pool, kind) in [
        (&BENCH_ONPAGE, "on-page header"),
        (&BENCH_OFFPAGE, "off-page header"),
    ] {
        for pages in [1, 100, 10_000] {
            let unit = if pages == 1 { "page" } else { "pages" };
            let name = alloc::format!("pool get+put, {kind}, {pages} {unit}");
            report(&name, measure(pool, pages), "cycles");
        }
    }
}
