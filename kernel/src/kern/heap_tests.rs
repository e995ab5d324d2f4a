//! ktests of the kernel heap: accounting, growth on demand, alignment,
//! failure reporting.

use super::heap;
use crate::ktest::ktest;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::hint::black_box;

#[ktest]
fn allocation_is_counted_and_returned() {
    let before = heap::stats();
    let b = black_box(Box::new([1u64; 32]));
    let during = heap::stats();
    assert_eq!(during.bytes_in_use, before.bytes_in_use + 256);
    assert_eq!(during.allocations, before.allocations + 1);
    assert_eq!(b.iter().sum::<u64>(), 32);
    drop(b);
    assert_eq!(heap::stats().bytes_in_use, before.bytes_in_use);
}

#[ktest]
fn heap_grows_on_demand() {
    let before = heap::stats();
    // 12 MiB in 1 MiB blocks: more than the first arena holds.
    let blocks: Vec<Vec<u8>> = black_box((0..12).map(|i| alloc::vec![i as u8; 1 << 20]).collect());
    let during = heap::stats();
    assert!(
        during.arenas > before.arenas || before.pages >= 3 * 1024,
        "heap did not grow: {during:?}"
    );
    assert!(
        blocks
            .iter()
            .enumerate()
            .all(|(i, b)| b[b.len() - 1] == i as u8)
    );
    drop(blocks);
    assert_eq!(heap::stats().bytes_in_use, before.bytes_in_use);
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
    let before = heap::stats();
    // Larger than any arena the page allocator can give: an error, not a panic.
    let mut v: Vec<u8> = Vec::new();
    let result = black_box(&mut v).try_reserve_exact(64 << 20);
    assert!(result.is_err(), "a 64 MiB block cannot exist");
    assert_eq!(heap::stats().failures, before.failures + 1);
    // The heap still works afterwards.
    let small = black_box(alloc::vec![5u8; 1000]);
    assert_eq!(small[999], 5);
}
