//! ktests of the physical page layer: single pages, contiguous aligned runs,
//! exhaustion, accounting of every frame, zeroing and copying.

use super::physmem::{self, Uvmexp};
use crate::kern::error::KernError;
use crate::ktest::ktest;
use crate::pmap::Pmap;
use crate::pmap::direct::{self, PAGE_SIZE};
use crate::uvm::page::PageUse;
use alloc::vec::Vec;

fn check() {
    physmem::check_invariants().expect("physmem invariants");
}

#[ktest]
fn alloc_single_page_and_free() {
    let before = physmem::stats();
    let pa = physmem::alloc_page(PageUse::Kernel).unwrap();
    assert_eq!(pa % PAGE_SIZE, 0);
    assert_ne!(pa, 0, "page 0 must never be handed out");
    assert_eq!(physmem::usage_of(pa), Some(PageUse::Kernel));
    let during = physmem::stats();
    assert_eq!(during.free() + 1, before.free());
    assert_eq!(
        during.count(PageUse::Kernel),
        before.count(PageUse::Kernel) + 1
    );
    check();
    physmem::free_page(pa);
    assert_eq!(physmem::usage_of(pa), Some(PageUse::Free));
    assert_eq!(physmem::stats().free(), before.free());
    check();
}

#[ktest]
fn pages_are_distinct_and_were_free() {
    let mut pages: Vec<u64> = Vec::with_capacity(2000);
    for _ in 0..2000 {
        pages.push(physmem::alloc_page(PageUse::Kernel).unwrap());
    }
    let mut sorted = pages.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), pages.len(), "a page was handed out twice");
    for &pa in &pages {
        assert_eq!(physmem::usage_of(pa), Some(PageUse::Kernel));
    }
    check();
    for pa in pages {
        physmem::free_page(pa);
    }
    check();
}

#[ktest]
fn contiguous_runs_are_contiguous_and_aligned() {
    for &(n, align) in &[
        (2usize, 1usize),
        (3, 1),
        (16, 16),
        (5, 64),
        (100, 128),
        (512, 512),
        (1024, 1),
    ] {
        let pa = physmem::alloc_contig(n, align, PageUse::Kernel)
            .unwrap_or_else(|e| panic!("alloc_contig({n}, {align}): {e}"));
        assert_eq!(
            (pa / PAGE_SIZE) % align as u64,
            0,
            "run of {n} not aligned to {align} pages"
        );
        for i in 0..n as u64 {
            assert_eq!(physmem::usage_of(pa + i * PAGE_SIZE), Some(PageUse::Kernel));
        }
        // The pages just outside the run are not ours.
        assert_ne!(
            physmem::usage_of(pa + n as u64 * PAGE_SIZE),
            Some(PageUse::Kernel)
        );
        check();
        physmem::free_contig(pa, n);
    }
    check();
}

#[ktest]
fn contiguous_run_bad_arguments_are_errors() {
    assert_eq!(
        physmem::alloc_contig(0, 1, PageUse::Kernel),
        Err(KernError::Inval)
    );
    assert_eq!(
        physmem::alloc_contig(4, 3, PageUse::Kernel),
        Err(KernError::Inval)
    );
    // Larger than the largest free block the allocator keeps: an error, not a panic.
    assert_eq!(
        physmem::alloc_contig(4096, 1, PageUse::Kernel),
        Err(KernError::NoMem)
    );
    check();
}

#[ktest]
fn exhaustion_returns_an_error_and_the_allocator_recovers() {
    // The vector comes first: its own pages come from the same allocator.
    let mut pages: Vec<u64> = Vec::with_capacity(physmem::free_pages() as usize + 16);
    let before: Uvmexp = physmem::stats();
    loop {
        match physmem::alloc_page(PageUse::Kernel) {
            Ok(pa) => pages.push(pa),
            Err(e) => {
                assert_eq!(e, KernError::NoMem);
                break;
            }
        }
    }
    assert_eq!(
        pages.len() as u64,
        before.free(),
        "every free page must be allocatable"
    );
    assert_eq!(physmem::stats().free(), 0);
    assert_eq!(
        physmem::alloc_contig(2, 1, PageUse::Kernel),
        Err(KernError::NoMem)
    );
    assert!(physmem::stats().failures >= before.failures + 2);
    check();
    for pa in pages.drain(..) {
        physmem::free_page(pa);
    }
    assert_eq!(physmem::stats().free(), before.free());
    check();
    // Fully coalesced again: the largest runs are available.
    let big = physmem::alloc_contig(1024, 1024, PageUse::Kernel).unwrap();
    physmem::free_contig(big, 1024);
}

#[ktest]
fn every_frame_is_accounted_once() {
    let s = physmem::stats();
    assert_eq!(s.by_use.iter().sum::<u64>(), s.npages);
    assert!(s.count(PageUse::KernelImage) > 0);
    assert!(s.count(PageUse::Boot) > 0);
    assert!(s.count(PageUse::PageArray) > 0);
    // The page holding this function is kernel image; the boot stack is boot data.
    let text = Pmap::kernel()
        .extract(every_frame_is_accounted_once as *const () as usize as u64)
        .unwrap();
    assert_eq!(physmem::usage_of(text), Some(PageUse::KernelImage));
    let local = 0u64;
    let stack = Pmap::kernel().extract(&local as *const u64 as u64).unwrap();
    assert_eq!(physmem::usage_of(stack), Some(PageUse::Boot));
    assert_eq!(physmem::usage_of(0), Some(PageUse::Reserved));
    check();
}

#[ktest]
fn zero_and_copy_page_go_through_the_direct_map() {
    let mut a = physmem::alloc_owned(PageUse::Kernel).unwrap();
    let mut b = physmem::alloc_owned(PageUse::Kernel).unwrap();
    for i in 0..512u64 {
        let v: u64 = 0x0101_0101_0101_0101 * (i % 255 + 1);
        direct::write_bytes(&mut a, (i * 8) as usize, &v.to_le_bytes());
        direct::write_bytes(&mut b, (i * 8) as usize, &u64::MAX.to_le_bytes());
    }
    direct::copy_page(a.pa(), &mut b);
    for i in 0..512 {
        assert_eq!(
            direct::peek_u64(b.pa() + i * 8),
            0x0101_0101_0101_0101 * (i % 255 + 1)
        );
    }
    direct::zero_page(&mut a);
    assert!((0..512).all(|i| direct::peek_u64(a.pa() + i * 8) == 0));
    assert_eq!(
        direct::peek_u64(b.pa() + 8),
        0x0202_0202_0202_0202,
        "zeroing a must not touch b"
    );
    physmem::free_owned(a);
    physmem::free_owned(b);
}

#[ktest]
fn alloc_zeroed_gives_a_zero_page() {
    let mut p = physmem::alloc_owned(PageUse::Kernel).unwrap();
    direct::write_bytes(&mut p, 64, &0xdead_beef_u64.to_le_bytes());
    physmem::free_owned(p);
    let pa2 = physmem::alloc_page_zeroed(PageUse::Kernel).unwrap();
    assert!((0..512).all(|i| direct::peek_u64(pa2 + i * 8) == 0));
    physmem::free_page(pa2);
}

#[ktest(should_panic)]
fn double_free_is_caught() {
    let pa = physmem::alloc_page(PageUse::Kernel).unwrap();
    physmem::free_page(pa);
    physmem::free_page(pa);
}

#[ktest(should_panic)]
fn freeing_a_kernel_image_page_is_caught() {
    let text = Pmap::kernel()
        .extract(freeing_a_kernel_image_page_is_caught as *const () as usize as u64)
        .unwrap();
    physmem::free_page(text & !(PAGE_SIZE - 1));
}
