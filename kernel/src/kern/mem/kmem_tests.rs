//! ktests of kmem, the global allocator: size classes, page runs,
//! alignment, accounting, failure.

use super::kmem::{self, CLASSES};
use super::pool_registry;
use crate::ktest::ktest;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::hint::black_box;

#[ktest]
fn allocation_is_counted_and_returned() {
    let before = kmem::stats();
    let b = black_box(Box::new([1u64; 32]));
    let during = kmem::stats();
    assert_eq!(during.bytes_in_use, before.bytes_in_use + 256);
    assert_eq!(during.allocations, before.allocations + 1);
    assert_eq!(b.iter().sum::<u64>(), 32);
    drop(b);
    assert_eq!(
        kmem::stats(),
        kmem::KmemStats {
            failures: kmem::stats().failures,
            ..before
        }
    );
}

/// The registered size-class pool for `class` (found without allocating).
fn class_pool(class: usize) -> Option<&'static super::pool::Pool> {
    pool_registry::pools()
        .find(|p| p.name().strip_prefix("kmem-").and_then(|s| s.parse().ok()) == Some(class))
}

#[ktest]
fn small_sizes_come_from_their_size_class_pool() {
    for &class in &CLASSES {
        let before = class_pool(class).map(|p| p.stats().in_use).unwrap_or(0);
        let v: Vec<u8> = black_box(alloc::vec![7u8; class - 1]);
        let pool = class_pool(class).expect("size-class pool registered on first use");
        assert_eq!(pool.stats().in_use, before + 1, "class {class}");
        assert_eq!(
            v.as_ptr() as usize % class,
            0,
            "items are aligned to their class"
        );
        drop(v);
        assert_eq!(pool.stats().in_use, before);
    }
}

#[ktest]
fn large_blocks_are_page_runs() {
    let before = kmem::stats();
    let blocks: Vec<Vec<u8>> = black_box((0..12).map(|i| alloc::vec![i as u8; 1 << 20]).collect());
    let during = kmem::stats();
    assert_eq!(during.large_pages, before.large_pages + 12 * 256);
    assert!(
        blocks
            .iter()
            .enumerate()
            .all(|(i, b)| b[b.len() - 1] == i as u8)
    );
    drop(blocks);
    assert_eq!(kmem::stats().large_pages, before.large_pages);
    assert_eq!(kmem::stats().bytes_in_use, before.bytes_in_use);
}

#[repr(C, align(4096))]
struct PageAligned([u8; 100]);

#[repr(C, align(65536))]
struct BigAligned([u8; 100]);

#[ktest]
fn large_alignment_is_honoured() {
    let a = black_box(Box::new(PageAligned([1; 100])));
    let b = black_box(Box::new(BigAligned([2; 100])));
    assert_eq!(&*a as *const PageAligned as usize % 4096, 0);
    assert_eq!(&*b as *const BigAligned as usize % 65536, 0);
    assert_eq!(a.0[99] + b.0[99], 3);
}

#[ktest]
fn impossible_allocation_fails_cleanly() {
    let before = kmem::stats();
    // Larger than any run the page allocator can give: an error, not a panic.
    let mut v: Vec<u8> = Vec::new();
    let result = black_box(&mut v).try_reserve_exact(64 << 20);
    assert!(result.is_err(), "a 64 MiB block cannot exist");
    assert_eq!(kmem::stats().failures, before.failures + 1);
    // kmem still works afterwards.
    let small = black_box(alloc::vec![5u8; 1000]);
    assert_eq!(small[999], 5);
}
