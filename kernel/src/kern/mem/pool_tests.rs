//! ktests of pools: geometry, the three page lists and their transitions,
//! on- and off-page headers, reclaim and drain, back-end shortage, NOWAIT,
//! typed pools, malloc types and the report.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::malloc::MallocFlags;
use super::pool::{Pool, PoolFlags};
use super::pool_allocator::PoolAllocator;
use super::pool_box::TypedPool;
use super::pool_registry;
use crate::arch::x86_64::apic;
use crate::kern::error::KernError;
use crate::ktest::{ktest, leak};
use crate::pmap::direct;
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use ferrite_ilist::PageList;

/// Pages the test allocator may have out at once.
static BUDGET: AtomicUsize = AtomicUsize::new(usize::MAX);
static OUT: AtomicUsize = AtomicUsize::new(0);

fn test_alloc() -> Option<usize> {
    if OUT.load(Ordering::SeqCst) >= BUDGET.load(Ordering::SeqCst) {
        return None;
    }
    let pa = physmem::alloc_page(PageUse::Pool).ok()?;
    OUT.fetch_add(1, Ordering::SeqCst);
    Some(direct::phys_to_virt(pa) as usize)
}

fn test_free(va: usize) {
    OUT.fetch_sub(1, Ordering::SeqCst);
    physmem::free_page(va as u64 - crate::DIRECT_MAP_BASE);
}

static TEST_ALLOCATOR: PoolAllocator =
    PoolAllocator::new("test-backend", 4096, test_alloc, test_free);
/// Small items: header on the page.
static SMALL: Pool = Pool::new("test-small", 48, 8, &TEST_ALLOCATOR);
/// Large items: header off the page, found through the splay tree.
static LARGE: Pool = Pool::new("test-large", 512, 8, &TEST_ALLOCATOR);

const W: PoolFlags = PoolFlags::WAITOK;

/// Put every item back and empty the pool's cache, checking invariants.
fn finish(pool: &'static Pool, items: Vec<NonNull<u8>>) {
    for item in items {
        // SAFETY: each item came from `pool.get` and is not used again.
        unsafe { pool.put(item) };
    }
    pool.check_invariants().unwrap();
    pool.set_water_marks(0, u64::MAX);
    pool.drain();
    assert_eq!(pool.stats().pages, 0);
    BUDGET.store(usize::MAX, Ordering::SeqCst);
}

fn take(pool: &'static Pool, n: usize) -> Vec<NonNull<u8>> {
    (0..n).map(|_| pool.get(W).expect("pool item")).collect()
}

#[ktest]
fn geometry_puts_small_headers_on_the_page_and_large_ones_off_it() {
    assert!(!SMALL.offpage_headers());
    assert_eq!(SMALL.items_per_page(), (4096 - 64) / 48);
    assert!(LARGE.offpage_headers());
    assert_eq!(
        LARGE.items_per_page(),
        8,
        "an on-page header would cost one of 8 items"
    );
}

#[ktest]
fn items_are_distinct_aligned_and_counted() {
    let before = SMALL.stats();
    let items = take(&SMALL, 200);
    let mut addrs: Vec<usize> = items.iter().map(|p| p.as_ptr() as usize).collect();
    addrs.sort_unstable();
    addrs.dedup();
    assert_eq!(addrs.len(), 200, "an item was handed out twice");
    assert!(addrs.iter().all(|a| a % 8 == 0));
    assert!(addrs.windows(2).all(|w| w[1] - w[0] >= 48), "items overlap");
    let s = SMALL.stats();
    assert_eq!((s.gets - before.gets, s.in_use), (200, 200));
    assert_eq!(s.pages, 3, "200 items of 84 per page");
    SMALL.check_invariants().unwrap();
    finish(&SMALL, items);
}

#[ktest]
fn pages_move_between_empty_partial_and_full() {
    let per = SMALL.items_per_page();
    let mut items = take(&SMALL, 1);
    assert_eq!(SMALL.list_of(items[0]), PageList::Partial);
    items.extend(take(&SMALL, per - 1));
    assert_eq!(SMALL.list_of(items[0]), PageList::Full);
    let s = SMALL.stats();
    assert_eq!((s.full_pages, s.partial_pages, s.empty_pages), (1, 0, 0));
    let last = items.pop().unwrap();
    // SAFETY: from SMALL.get, not used again.
    unsafe { SMALL.put(last) };
    assert_eq!(SMALL.list_of(items[0]), PageList::Partial);
    for item in items.drain(..) {
        // SAFETY: as above.
        unsafe { SMALL.put(item) };
    }
    let s = SMALL.stats();
    assert_eq!(
        (s.full_pages, s.partial_pages, s.empty_pages),
        (0, 0, 1),
        "the page is cached empty"
    );
    finish(&SMALL, items);
}

#[ktest]
fn get_takes_from_the_partial_page_before_an_empty_one() {
    let per = SMALL.items_per_page();
    let mut items = take(&SMALL, 2 * per); // two full pages
    // Empty the second page entirely and take one item off the first.
    let second: Vec<_> = items.split_off(per);
    for item in second {
        // SAFETY: from SMALL.get, not used again.
        unsafe { SMALL.put(item) };
    }
    let one = items.pop().unwrap();
    let page_of = |p: NonNull<u8>| p.as_ptr() as usize & !4095;
    let first_page = page_of(one);
    // SAFETY: as above.
    unsafe { SMALL.put(one) };
    let s = SMALL.stats();
    assert_eq!((s.partial_pages, s.empty_pages), (1, 1));
    let again = SMALL.get(W).unwrap();
    assert_eq!(
        page_of(again),
        first_page,
        "the partial (current) page serves first"
    );
    items.push(again);
    finish(&SMALL, items);
}

#[ktest]
fn a_full_page_that_gets_an_item_back_becomes_current() {
    let per = SMALL.items_per_page();
    let mut items = take(&SMALL, 3 * per - 10); // pages 1, 2 full, page 3 partial
    let from_first = items.remove(0);
    let first_page = from_first.as_ptr() as usize & !4095;
    // SAFETY: from SMALL.get, not used again.
    unsafe { SMALL.put(from_first) };
    let next = SMALL.get(W).unwrap();
    assert_eq!(next.as_ptr() as usize & !4095, first_page);
    items.push(next);
    finish(&SMALL, items);
}

#[ktest]
fn offpage_headers_are_found_through_the_splay_tree() {
    let mut items = take(&LARGE, 8 * 50); // 50 pages
    assert_eq!(LARGE.stats().pages, 50);
    // Return them in a scrambled order: every put looks its page up.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut order: Vec<NonNull<u8>> = Vec::new();
    while !items.is_empty() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        order.push(items.swap_remove((seed % items.len() as u64) as usize));
    }
    for (i, item) in order.into_iter().enumerate() {
        // SAFETY: from LARGE.get, not used again.
        unsafe { LARGE.put(item) };
        if i % 37 == 0 {
            LARGE.check_invariants().unwrap();
        }
    }
    assert_eq!(LARGE.stats().in_use, 0);
    assert_eq!(LARGE.stats().empty_pages, 50);
    finish(&LARGE, items);
}

#[ktest(should_panic)]
fn put_of_a_foreign_pointer_is_caught() {
    let item = LARGE.get(W).unwrap();
    let bogus = NonNull::new((item.as_ptr() as usize + 4096 * 1000) as *mut u8).unwrap();
    // SAFETY: deliberately wrong; the pool must refuse it before touching it.
    unsafe { LARGE.put(bogus) };
}

#[ktest(should_panic)]
fn double_put_is_caught() {
    let item = SMALL.get(W).unwrap();
    // SAFETY: deliberately wrong: the second put must be caught.
    unsafe {
        SMALL.put(item);
        SMALL.put(item);
    }
}

#[ktest]
fn reclaim_frees_only_pages_idle_long_enough_above_low_water() {
    SMALL.set_idle_ticks(3);
    SMALL.set_water_marks(1, u64::MAX);
    let per = SMALL.items_per_page();
    let items = take(&SMALL, 4 * per);
    for item in items {
        // SAFETY: from SMALL.get, not used again.
        unsafe { SMALL.put(item) };
    }
    assert_eq!(SMALL.stats().empty_pages, 4);
    assert_eq!(SMALL.reclaim(), 0, "just emptied: not idle yet");
    let t = apic::ticks();
    while apic::ticks() < t + 4 {
        crate::arch::x86_64::wait_for_interrupt();
    }
    assert_eq!(SMALL.reclaim(), 3, "idle pages above the low-water mark go");
    assert_eq!(SMALL.stats().pages, 1, "the low-water mark keeps one");
    SMALL.set_idle_ticks(super::pool::DEFAULT_IDLE_TICKS);
    finish(&SMALL, Vec::new());
}

#[ktest]
fn drain_frees_every_empty_page_above_low_water() {
    let per = SMALL.items_per_page();
    let mut items = take(&SMALL, 3 * per + 1);
    let keep = items.pop().unwrap();
    for item in items {
        // SAFETY: from SMALL.get, not used again.
        unsafe { SMALL.put(item) };
    }
    SMALL.set_water_marks(0, u64::MAX);
    assert_eq!(SMALL.drain(), 3);
    assert_eq!(SMALL.stats().pages, 1, "the page in use stays");
    finish(&SMALL, alloc::vec![keep]);
}

#[ktest]
fn a_page_emptied_above_the_page_limit_is_freed_at_once() {
    SMALL.set_water_marks(0, 1);
    let per = SMALL.items_per_page();
    let items = take(&SMALL, 2 * per);
    let frees = SMALL.stats().page_frees;
    for item in items {
        // SAFETY: from SMALL.get, not used again.
        unsafe { SMALL.put(item) };
    }
    assert_eq!(
        SMALL.stats().page_frees,
        frees + 1,
        "above the limit, the emptied page went"
    );
    assert_eq!(SMALL.stats().pages, 1);
    finish(&SMALL, Vec::new());
}

#[ktest]
fn nowait_fails_cleanly_when_the_back_end_is_dry() {
    let per = SMALL.items_per_page();
    let items = take(&SMALL, per); // one full page
    BUDGET.store(OUT.load(Ordering::SeqCst), Ordering::SeqCst);
    let fails = SMALL.stats().failures;
    assert!(SMALL.get(PoolFlags::NOWAIT).is_none());
    assert!(
        LARGE.get(PoolFlags::NOWAIT).is_none(),
        "off-page: the header get is NOWAIT too"
    );
    assert_eq!(SMALL.stats().failures, fails + 1);
    SMALL.check_invariants().unwrap();
    LARGE.check_invariants().unwrap();
    finish(&SMALL, items);
}

#[ktest]
fn back_end_shortage_drains_the_pools_it_feeds() {
    // LARGE caches 5 empty pages; SMALL needs a page when none can be had.
    let large = take(&LARGE, 40);
    finish_without_drain(&LARGE, large);
    assert_eq!(LARGE.stats().empty_pages, 5);
    BUDGET.store(OUT.load(Ordering::SeqCst), Ordering::SeqCst);
    let drains = TEST_ALLOCATOR.drains.load(Ordering::Relaxed);
    let item = SMALL
        .get(PoolFlags::WAITOK)
        .expect("WAITOK: drained, then retried");
    assert_eq!(TEST_ALLOCATOR.drains.load(Ordering::Relaxed), drains + 1);
    assert_eq!(LARGE.stats().pages, 0, "LARGE's cached pages were drained");
    finish(&SMALL, alloc::vec![item]);
    finish(&LARGE, Vec::new());
}

fn finish_without_drain(pool: &'static Pool, items: Vec<NonNull<u8>>) {
    for item in items {
        // SAFETY: from pool.get, not used again.
        unsafe { pool.put(item) };
    }
}

#[ktest(should_panic)]
fn a_waitok_get_inside_a_nowait_one_is_refused() {
    let _scope = super::pool_allocator::NowaitScope::enter(PoolFlags::NOWAIT);
    let _ = SMALL.get(PoolFlags::WAITOK);
}

#[ktest]
fn zero_flag_zeroes_the_item() {
    let a = LARGE.get(W).unwrap();
    // SAFETY: the item is ours, 512 bytes.
    unsafe { a.as_ptr().write_bytes(0xab, 512) };
    // SAFETY: from LARGE.get, not used again.
    unsafe { LARGE.put(a) };
    let b = LARGE.get(W | PoolFlags::ZERO).unwrap();
    // SAFETY: the item is ours, 512 bytes.
    let bytes = unsafe { core::slice::from_raw_parts(b.as_ptr(), 512) };
    assert!(bytes.iter().all(|&x| x == 0));
    finish(&LARGE, alloc::vec![b]);
}

#[ktest]
fn random_gets_and_puts_keep_the_invariants() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut small = Vec::new();
    let mut large = Vec::new();
    for step in 0..3000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (pool, held) = if seed & 1 == 0 {
            (&SMALL, &mut small)
        } else {
            (&LARGE, &mut large)
        };
        if seed % 5 < 3 || held.is_empty() {
            held.push(pool.get(W).unwrap());
        } else {
            let i = (seed >> 8) as usize % held.len();
            // SAFETY: from pool.get, not used again.
            unsafe { pool.put(held.swap_remove(i)) };
        }
        if step % 250 == 0 {
            SMALL.check_invariants().unwrap();
            LARGE.check_invariants().unwrap();
        }
    }
    finish(&SMALL, small);
    finish(&LARGE, large);
}

struct Tracked(u64);
static DROPS: AtomicUsize = AtomicUsize::new(0);
impl Drop for Tracked {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}
static TRACKED: TypedPool<Tracked> = TypedPool::new("test-tracked");

#[ktest]
fn typed_pool_boxes_own_their_value_and_give_the_item_back() {
    let drops = DROPS.load(Ordering::SeqCst);
    let mut b = TRACKED.get(Tracked(41), W).unwrap();
    b.0 += 1;
    assert_eq!(b.0, 42);
    assert_eq!(TRACKED.pool().stats().in_use, 1);
    drop(b);
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        drops + 1,
        "the value is dropped"
    );
    assert_eq!(TRACKED.pool().stats().in_use, 0, "the item is back");
    let c = TRACKED.get(Tracked(7), W).unwrap();
    let inner = c.into_inner();
    assert_eq!(inner.0, 7);
    assert_eq!(TRACKED.pool().stats().in_use, 0);
    drop(inner);
    TRACKED.pool().drain();
}

#[ktest]
fn leak_check_sees_an_item_kept() {
    let (item, result) = leak::measure(|| SMALL.get(W).unwrap());
    let leak = result.expect_err("an item kept must be reported");
    assert_eq!(leak.after.pool_items, leak.before.pool_items + 1);
    finish(&SMALL, alloc::vec![item]);
}

crate::malloc_type!(M_TEST, "test", 4096);

#[ktest]
fn malloc_type_limit_fails_cleanly_for_nowait_callers() {
    let nw = MallocFlags::NOWAIT;
    let a = M_TEST.alloc(3000, nw).unwrap();
    assert_eq!(M_TEST.stats().in_use, 3000);
    assert_eq!(
        M_TEST.alloc(2000, nw).err(),
        Some(KernError::NoMem),
        "would pass the 4096-byte limit"
    );
    assert_eq!(M_TEST.stats().failures, 1);
    let b = M_TEST.alloc(1096, nw).unwrap();
    assert_eq!(M_TEST.stats().in_use, 4096);
    drop(a);
    drop(b);
    assert_eq!(M_TEST.stats().in_use, 0);
    M_TEST.set_limit(100);
    assert!(M_TEST.alloc(101, nw).is_err(), "limit changed at run time");
    let c = M_TEST.alloc(100, nw | MallocFlags::ZERO).unwrap();
    assert!(c.iter().all(|&x| x == 0));
    drop(c);
    M_TEST.set_limit(4096);
    assert_eq!(M_TEST.stats().high_water, 4096);
}

crate::malloc_type!(M_TINY, "tiny", 16);

#[ktest(should_panic)]
fn malloc_over_the_limit_panics_for_waitok_callers() {
    let _ = M_TINY.alloc(17, MallocFlags::WAITOK);
}

#[ktest]
fn report_lists_every_pool() {
    let _ = SMALL.get(W).map(|i| finish(&SMALL, alloc::vec![i]));
    let mut out = alloc::string::String::new();
    pool_registry::report(&mut out).unwrap();
    assert!(out.starts_with("Name"));
    for name in ["test-small", "kmem-64", "phpool"] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

crate::arena_pool!(ARENA_TEST_POOL, [u64; 3], "test-arena");

#[ktest]
fn arena_handles_reach_their_items_and_free_returns_the_value() {
    use super::pool_arena::PoolArena;
    let mut a: PoolArena<[u64; 3]> = PoolArena::new(&ARENA_TEST_POOL);
    let h1 = a.alloc([1, 2, 3], W).unwrap();
    let h2 = a.alloc([4, 5, 6], W).unwrap();
    a.get_mut(h1)[0] = 10;
    assert_eq!(a.get(h1), &[10, 2, 3]);
    assert_eq!(a.get(h2), &[4, 5, 6]);
    assert_eq!(a.len(), 2);
    assert_eq!(a.free(h1), [10, 2, 3]);
    assert_eq!(a.free(h2), [4, 5, 6]);
    assert!(a.is_empty());
    ARENA_TEST_POOL.drain();
}

#[ktest(should_panic)]
fn a_stale_arena_handle_is_caught() {
    use super::pool_arena::PoolArena;
    let mut a: PoolArena<[u64; 3]> = PoolArena::new(&ARENA_TEST_POOL);
    let h = a.alloc([1, 2, 3], W).unwrap();
    a.free(h);
    let _ = a.get(h);
}

#[ktest(should_panic)]
fn a_foreign_arena_handle_is_caught() {
    use super::pool_arena::PoolArena;
    let mut a: PoolArena<[u64; 3]> = PoolArena::new(&ARENA_TEST_POOL);
    let b: PoolArena<[u64; 3]> = PoolArena::new(&ARENA_TEST_POOL);
    let h = a.alloc([1, 2, 3], W).unwrap();
    let _ = b.get(h);
}

#[ktest]
fn idle_empty_pages_are_reclaimed_by_themselves() {
    SMALL.set_idle_ticks(2);
    SMALL.set_water_marks(0, u64::MAX);
    let per = SMALL.items_per_page();
    let mut items = take(&SMALL, 3 * per);
    let last_page = items.split_off(2 * per);
    for item in items {
        // SAFETY: from SMALL.get, not used again.
        unsafe { SMALL.put(item) };
    }
    let t = apic::ticks();
    while apic::ticks() < t + 3 {
        crate::arch::x86_64::wait_for_interrupt();
    }
    assert_eq!(
        SMALL.stats().empty_pages,
        2,
        "idle, but nothing freed them yet"
    );
    // Emptying another page is what triggers the reclaim: no explicit call.
    for item in last_page {
        // SAFETY: as above.
        unsafe { SMALL.put(item) };
    }
    let s = SMALL.stats();
    assert_eq!(
        s.empty_pages, 1,
        "the two idle pages went back, the fresh one stays"
    );
    SMALL.set_idle_ticks(super::pool::DEFAULT_IDLE_TICKS);
    finish(&SMALL, Vec::new());
}
