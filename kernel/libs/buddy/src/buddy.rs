//! The [`Buddy`] allocator state: one free list per order, the counters, and
//! the split / coalesce / run-freeing algorithms plus the invariant checker.

use crate::error::BuddyError;
use crate::link::{HasLink, Link, NIL};

/// Number of block orders: orders `0..MAX_ORDER`, so the largest block is
/// `2^(MAX_ORDER-1)` = 1024 pages (4 MiB with 4 KiB pages).
pub const MAX_ORDER: usize = 11;

/// Pages in the largest block (`2^(MAX_ORDER-1)`).
pub const MAX_BLOCK_PAGES: usize = 1 << (MAX_ORDER - 1);

/// Exclusive upper bound on page indices the allocator can manage: indices
/// are stored as `u32` with `u32::MAX` meaning "none". Pages at or beyond
/// this index are refused with [`BuddyError::OutOfRange`] (16 TiB of
/// physical memory with 4 KiB pages).
pub const MAX_PAGES: usize = NIL as usize;

/// Free-list heads and counters of a binary buddy allocator.
///
/// The state lives partly here and partly in the [`Link`]s of the page
/// array, so every call must be given the same page slice (a different or
/// shorter slice may make indexing panic or corrupt the lists).
///
/// Freed ranges are always fully coalesced: a free block's buddy is never
/// also a free block of the same order. The representation of a given set
/// of free pages is therefore unique (the maximal naturally aligned blocks),
/// whatever order the pages were freed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buddy {
    heads: [u32; MAX_ORDER],
    free_pages: usize,
    free_blocks: [usize; MAX_ORDER],
}

impl Default for Buddy {
    fn default() -> Self {
        Buddy::new()
    }
}

#[inline]
fn is_free_head<T: HasLink>(pages: &[T], index: usize, order: usize) -> bool {
    match pages.get(index) {
        Some(p) => {
            let l = p.link();
            l.free && l.order as usize == order
        }
        None => false,
    }
}

impl Buddy {
    /// An allocator with no free pages. Populate it with [`Buddy::free_run`].
    pub const fn new() -> Self {
        Buddy {
            heads: [NIL; MAX_ORDER],
            free_pages: 0,
            free_blocks: [0; MAX_ORDER],
        }
    }

    /// Total number of free pages.
    pub fn free_pages(&self) -> usize {
        self.free_pages
    }

    /// Number of free blocks of `order` (0 for `order >= MAX_ORDER`).
    pub fn free_blocks(&self, order: usize) -> usize {
        self.free_blocks.get(order).copied().unwrap_or(0)
    }

    /// Whether page `index` lies inside a free block (head or not).
    ///
    /// Cost: O(`MAX_ORDER`) — it probes the one candidate head per order
    /// (`index` rounded down to `2^order`). Out-of-range indices are not free.
    pub fn page_is_free<T: HasLink>(&self, pages: &[T], index: usize) -> bool {
        if index >= pages.len() {
            return false;
        }
        (0..MAX_ORDER).any(|order| is_free_head(pages, index & !((1usize << order) - 1), order))
    }

    /// Allocate one naturally aligned block of `2^order` pages and return
    /// the index of its first page; `None` when no block of that order or
    /// larger is free, or when `order >= MAX_ORDER`. O(`MAX_ORDER`).
    ///
    /// Release it with [`Buddy::free`] (same order) or [`Buddy::free_run`].
    pub fn alloc<T: HasLink>(&mut self, pages: &mut [T], order: usize) -> Option<usize> {
        if order >= MAX_ORDER {
            return None;
        }
        let mut o = (order..MAX_ORDER).find(|&o| self.heads[o] != NIL)?;
        let index = self.heads[o] as usize;
        self.unlink(pages, index, o);
        // Split: keep the lower half, give the upper halves back.
        while o > order {
            o -= 1;
            self.push(pages, index + (1 << o), o);
        }
        Some(index)
    }

    /// Allocate `count` physically contiguous pages whose first index is a
    /// multiple of `align` pages (`align` must be a power of two; 1 means no
    /// constraint).
    ///
    /// Takes one block of order `ceil_log2(max(count, align))` and returns
    /// the unused tail `[start + count, start + 2^order)` to the free lists.
    /// Returns `None` (never panics) when `count == 0`, when `align` is not a
    /// power of two, when `max(count, align) > MAX_BLOCK_PAGES`, or when no
    /// block large enough is free.
    ///
    /// Release the pages with [`Buddy::free_run`]`(start, count)` (or in
    /// pieces); [`Buddy::free`] only fits when `count` is a power of two.
    pub fn alloc_contig<T: HasLink>(
        &mut self,
        pages: &mut [T],
        count: usize,
        align: usize,
    ) -> Option<usize> {
        if count == 0 || !align.is_power_of_two() {
            return None;
        }
        let size = count.max(align);
        if size > MAX_BLOCK_PAGES {
            return None;
        }
        let order = size.next_power_of_two().trailing_zeros() as usize;
        let start = self.alloc(pages, order)?;
        let block = 1usize << order;
        if count < block {
            self.free_run_unchecked(pages, start + count, block - count);
        }
        Some(start)
    }

    /// Free the block of `2^order` pages starting at `index`, coalescing it
    /// with its buddy while the buddy is a free block of the same order
    /// inside the slice (up to order `MAX_ORDER - 1`).
    ///
    /// Errors (state untouched): [`BuddyError::InvalidOrder`],
    /// [`BuddyError::Misaligned`] (`index` not a multiple of `2^order`),
    /// [`BuddyError::OutOfRange`], [`BuddyError::DoubleFree`] (any page of
    /// the block already free). Cost O(2^order + `MAX_ORDER`) for the
    /// double-free check plus O(`MAX_ORDER`) for coalescing.
    pub fn free<T: HasLink>(
        &mut self,
        pages: &mut [T],
        index: usize,
        order: usize,
    ) -> Result<(), BuddyError> {
        if order >= MAX_ORDER {
            return Err(BuddyError::InvalidOrder);
        }
        let size = 1usize << order;
        if index & (size - 1) != 0 {
            return Err(BuddyError::Misaligned);
        }
        let end = Self::check_range(pages, index, size)?;
        if self.overlaps_free(pages, index, end) {
            return Err(BuddyError::DoubleFree);
        }
        self.free_block(pages, index, order);
        Ok(())
    }

    /// Free the run of pages `[start, start + count)`: boot-time population
    /// of the free lists, and freeing arbitrary runs (e.g. what
    /// [`Buddy::alloc_contig`] returned, or part of it, or part of a block
    /// from [`Buddy::alloc`]).
    ///
    /// The run is cut into maximal naturally aligned blocks, each of which
    /// is coalesced with free buddies, so adjacent runs freed separately end
    /// up in the same blocks as one combined run. `count == 0` is a no-op.
    ///
    /// Errors (state untouched): [`BuddyError::OutOfRange`],
    /// [`BuddyError::DoubleFree`] (any page of the run already free).
    /// Cost O(count + `MAX_ORDER`) plus O(`MAX_ORDER`) per block.
    pub fn free_run<T: HasLink>(
        &mut self,
        pages: &mut [T],
        start: usize,
        count: usize,
    ) -> Result<(), BuddyError> {
        if count == 0 {
            return Ok(());
        }
        let end = Self::check_range(pages, start, count)?;
        if self.overlaps_free(pages, start, end) {
            return Err(BuddyError::DoubleFree);
        }
        self.free_run_unchecked(pages, start, count);
        Ok(())
    }

    /// Verify the whole state against the page array. O(pages.len()).
    ///
    /// Checks that every listed page is inside the slice, marked as a free
    /// head of the list's order, aligned to that order, with its block inside
    /// the slice; that `prev` links mirror `next` links (which also rules out
    /// cycles and a page listed twice); that no buddy pair of the same order
    /// is free (full coalescing); that no free block contains another free
    /// head (no overlap); that every page marked free is listed; and that the
    /// counters match the lists.
    pub fn check_invariants<T: HasLink>(&self, pages: &[T]) -> Result<(), &'static str> {
        let len = pages.len();
        let mut listed_blocks = 0usize;
        let mut listed_pages = 0usize;
        for order in 0..MAX_ORDER {
            let size = 1usize << order;
            let mut prev = NIL;
            let mut cur = self.heads[order];
            let mut n = 0usize;
            while cur != NIL {
                let index = cur as usize;
                if index >= len {
                    return Err("free list entry lies outside the page slice");
                }
                n += 1;
                if listed_blocks + n > len {
                    return Err("free lists hold more entries than there are pages (cycle?)");
                }
                let link = pages[index].link();
                if !link.free {
                    return Err("page on a free list is not marked free");
                }
                if link.order as usize != order {
                    return Err("page on a free list has a different order than its list");
                }
                if link.prev != prev {
                    return Err("free list prev link does not match the previous entry");
                }
                if index & (size - 1) != 0 {
                    return Err("free block is not aligned to its order");
                }
                if index + size > len {
                    return Err("free block extends past the end of the page slice");
                }
                if order + 1 < MAX_ORDER && is_free_head(pages, index ^ size, order) {
                    return Err(
                        "free block's buddy is also free with the same order (not coalesced)",
                    );
                }
                if pages[index + 1..index + size].iter().any(|p| p.link().free) {
                    return Err("free block contains another free block head (overlap)");
                }
                listed_pages += size;
                prev = cur;
                cur = link.next;
            }
            if n != self.free_blocks[order] {
                return Err("free_blocks counter does not match the free list length");
            }
            listed_blocks += n;
        }
        if listed_pages != self.free_pages {
            return Err("free_pages counter does not match the free lists");
        }
        let marked = pages.iter().filter(|p| p.link().free).count();
        if marked != listed_blocks {
            return Err("a page is marked free but is on no free list");
        }
        Ok(())
    }

    // ---- internals -------------------------------------------------------

    /// `start + count` if the run lies inside the slice and below `MAX_PAGES`.
    fn check_range<T>(pages: &[T], start: usize, count: usize) -> Result<usize, BuddyError> {
        match start.checked_add(count) {
            Some(end) if end <= pages.len() && end <= MAX_PAGES => Ok(end),
            _ => Err(BuddyError::OutOfRange),
        }
    }

    /// Whether any page of `[start, end)` (non-empty, in range) is free:
    /// either `start` lies in a free block, or a free head lies after it.
    fn overlaps_free<T: HasLink>(&self, pages: &[T], start: usize, end: usize) -> bool {
        self.page_is_free(pages, start) || pages[start + 1..end].iter().any(|p| p.link().free)
    }

    /// Free a validated run: maximal aligned blocks, each coalesced.
    fn free_run_unchecked<T: HasLink>(&mut self, pages: &mut [T], start: usize, count: usize) {
        let end = start + count;
        let mut i = start;
        while i < end {
            let mut order = (i.trailing_zeros() as usize).min(MAX_ORDER - 1);
            while i + (1 << order) > end {
                order -= 1;
            }
            self.free_block(pages, i, order);
            i += 1 << order;
        }
    }

    /// Free a validated block, merging with free buddies.
    fn free_block<T: HasLink>(&mut self, pages: &mut [T], mut index: usize, mut order: usize) {
        while order + 1 < MAX_ORDER {
            let buddy = index ^ (1 << order);
            if buddy + (1 << order) > pages.len() || !is_free_head(pages, buddy, order) {
                break;
            }
            self.unlink(pages, buddy, order);
            index = index.min(buddy);
            order += 1;
        }
        self.push(pages, index, order);
    }

    /// Mark `index` as a free head of `order` and put it at the list front.
    fn push<T: HasLink>(&mut self, pages: &mut [T], index: usize, order: usize) {
        let old = self.heads[order];
        *pages[index].link_mut() = Link {
            next: old,
            prev: NIL,
            order: order as u8,
            free: true,
        };
        if old != NIL {
            pages[old as usize].link_mut().prev = index as u32;
        }
        self.heads[order] = index as u32;
        self.free_blocks[order] += 1;
        self.free_pages += 1 << order;
    }

    /// Take the free head `index` of `order` off its list and reset its link.
    fn unlink<T: HasLink>(&mut self, pages: &mut [T], index: usize, order: usize) {
        let Link { next, prev, .. } = *pages[index].link();
        if prev == NIL {
            debug_assert_eq!(self.heads[order], index as u32);
            self.heads[order] = next;
        } else {
            pages[prev as usize].link_mut().next = next;
        }
        if next != NIL {
            pages[next as usize].link_mut().prev = prev;
        }
        *pages[index].link_mut() = Link::new();
        self.free_blocks[order] -= 1;
        self.free_pages -= 1 << order;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// A stand-in for the kernel's `vm_page`.
    #[derive(Clone, Default)]
    struct Page {
        _other: u64,
        link: Link,
    }
    impl HasLink for Page {
        fn link(&self) -> &Link {
            &self.link
        }
        fn link_mut(&mut self) -> &mut Link {
            &mut self.link
        }
    }

    fn pages(n: usize) -> Vec<Page> {
        vec![Page::default(); n]
    }

    fn blocks(b: &Buddy) -> [usize; MAX_ORDER] {
        core::array::from_fn(|o| b.free_blocks(o))
    }

    fn ok(b: &Buddy, p: &[Page]) {
        b.check_invariants(p).unwrap();
    }

    /// A buddy with all of `n` pages free.
    fn full(n: usize) -> (Buddy, Vec<Page>) {
        let mut p = pages(n);
        let mut b = Buddy::new();
        b.free_run(&mut p, 0, n).unwrap();
        ok(&b, &p);
        (b, p)
    }

    #[test]
    fn new_is_empty() {
        let b = Buddy::new();
        let p = pages(16);
        assert_eq!(b.free_pages(), 0);
        assert_eq!(blocks(&b), [0; MAX_ORDER]);
        assert_eq!(b.free_blocks(MAX_ORDER), 0);
        ok(&b, &p);
        let mut p = p;
        let mut b = b;
        assert_eq!(b.alloc(&mut p, 0), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 1), None);
        assert!(!b.page_is_free(&p, 0));
    }

    #[test]
    fn link_accessors() {
        let l = Link::new();
        assert!(!l.is_free());
        assert_eq!(l.order(), None);
        assert_eq!(Link::default(), l);
        let (b, p) = full(8);
        assert_eq!(p[0].link.order(), Some(3));
        assert!(p[0].link.is_free());
        assert!(!p[1].link.is_free());
        assert_eq!(p[1].link.order(), None);
        assert!((0..8).all(|i| b.page_is_free(&p, i)));
        assert!(!b.page_is_free(&p, 8));
    }

    #[test]
    fn slice_of_links_works() {
        let mut l = vec![Link::new(); 64];
        let mut b = Buddy::new();
        b.free_run(&mut l, 0, 64).unwrap();
        assert_eq!(b.alloc(&mut l, 0), Some(0));
        b.check_invariants(&l).unwrap();
    }

    #[test]
    fn free_run_splits_into_maximal_aligned_blocks() {
        let mut p = pages(64);
        let mut b = Buddy::new();
        // [3, 29): 3 | 4..8 | 8..16 | 16..24 | 24..28 | 28
        b.free_run(&mut p, 3, 26).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_pages(), 26);
        let mut want = [0; MAX_ORDER];
        want[0] = 2; // 3, 28
        want[2] = 2; // 4..8, 24..28
        want[3] = 2; // 8..16 and 16..24 (not buddies: 8..16 pairs with 0..8)
        assert_eq!(blocks(&b), want);
        for (head, order) in [(3, 0), (4, 2), (8, 3), (16, 3), (24, 2), (28, 0)] {
            assert_eq!(p[head].link.order(), Some(order), "head {head}");
        }
        assert!(!b.page_is_free(&p, 2));
        assert!((3..29).all(|i| b.page_is_free(&p, i)));
        assert!(!b.page_is_free(&p, 29));
    }

    #[test]
    fn free_run_caps_at_max_order() {
        let n = 3 * MAX_BLOCK_PAGES + 5;
        let (b, _p) = full(n);
        assert_eq!(b.free_blocks(MAX_ORDER - 1), 3);
        assert_eq!(b.free_blocks(0), 1);
        assert_eq!(b.free_blocks(2), 1);
        assert_eq!(b.free_pages(), n);
    }

    #[test]
    fn alloc_splits() {
        let (mut b, mut p) = full(16);
        assert_eq!(b.free_blocks(4), 1);
        assert_eq!(b.alloc(&mut p, 0), Some(0));
        ok(&b, &p);
        // 16 = 1(alloc) + 1 + 2 + 4 + 8
        let mut want = [0; MAX_ORDER];
        want[0] = 1;
        want[1] = 1;
        want[2] = 1;
        want[3] = 1;
        assert_eq!(blocks(&b), want);
        assert_eq!(b.free_pages(), 15);
        // Smallest fitting block is used first.
        assert_eq!(b.alloc(&mut p, 0), Some(1));
        assert_eq!(b.alloc(&mut p, 1), Some(2));
        assert_eq!(b.alloc(&mut p, 3), Some(8));
        assert_eq!(b.alloc(&mut p, 2), Some(4));
        assert_eq!(b.free_pages(), 0);
        assert_eq!(b.alloc(&mut p, 0), None);
        ok(&b, &p);
    }

    #[test]
    fn alloc_is_aligned() {
        let (mut b, mut p) = full(1000);
        for order in (0..MAX_ORDER).rev() {
            if let Some(i) = b.alloc(&mut p, order) {
                assert_eq!(i % (1 << order), 0);
                assert!(i + (1 << order) <= 1000);
            }
            ok(&b, &p);
        }
    }

    #[test]
    fn alloc_bad_order_is_none() {
        let (mut b, mut p) = full(64);
        assert_eq!(b.alloc(&mut p, MAX_ORDER), None);
        assert_eq!(b.alloc(&mut p, usize::MAX), None);
        assert_eq!(b.free_pages(), 64);
    }

    #[test]
    fn free_coalesces_up_to_max_order() {
        let n = 2 * MAX_BLOCK_PAGES;
        let (mut b, mut p) = full(n);
        let start = blocks(&b);
        assert_eq!(start[MAX_ORDER - 1], 2);
        let got: Vec<usize> = (0..n).map(|_| b.alloc(&mut p, 0).unwrap()).collect();
        assert_eq!(b.free_pages(), 0);
        assert_eq!(b.alloc(&mut p, 0), None);
        // Free in an interleaved order.
        for &i in got.iter().step_by(2).chain(got.iter().skip(1).step_by(2)) {
            b.free(&mut p, i, 0).unwrap();
        }
        ok(&b, &p);
        assert_eq!(blocks(&b), start);
        // Two max-order blocks never merge further.
        assert_eq!(b.free_blocks(MAX_ORDER - 1), 2);
    }

    #[test]
    fn free_coalesces_with_buddy_of_same_order_only() {
        let (mut b, mut p) = full(8);
        let a = b.alloc(&mut p, 1).unwrap(); // 0..2
        let c = b.alloc(&mut p, 0).unwrap(); // 2
        assert_eq!((a, c), (0, 2));
        // 0..2 freed: buddy 2 is allocated (2's block head 2 is allocated) -> stays order 1.
        b.free(&mut p, 0, 1).unwrap();
        ok(&b, &p);
        assert_eq!(p[0].link.order(), Some(1));
        // 2 freed: merges with 3 -> 2..4 order 1, then with 0..2 -> 0..4, then 4..8 -> 0..8.
        b.free(&mut p, 2, 0).unwrap();
        ok(&b, &p);
        assert_eq!(p[0].link.order(), Some(3));
        assert_eq!(b.free_blocks(3), 1);
        assert_eq!(b.free_pages(), 8);
    }

    #[test]
    fn no_coalescing_across_slice_end() {
        // 12 pages: blocks 0..8 and 8..12; 8..12's buddy 12..16 is outside.
        let (mut b, mut p) = full(12);
        assert_eq!(b.free_blocks(3), 1);
        assert_eq!(b.free_blocks(2), 1);
        let i = b.alloc(&mut p, 2).unwrap();
        assert_eq!(i, 8);
        b.free(&mut p, 8, 2).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_blocks(3), 1);
        assert_eq!(b.free_blocks(2), 1);
    }

    #[test]
    fn free_errors_leave_state_intact() {
        let (mut b, mut p) = full(64);
        let i = b.alloc(&mut p, 2).unwrap();
        let snapshot = (b.clone(), p.iter().map(|x| x.link).collect::<Vec<_>>());
        let same = |b: &Buddy, p: &[Page]| {
            assert_eq!(*b, snapshot.0);
            assert!(p.iter().map(|x| x.link).eq(snapshot.1.iter().copied()));
        };
        assert_eq!(b.free(&mut p, i, MAX_ORDER), Err(BuddyError::InvalidOrder));
        assert_eq!(b.free(&mut p, i + 1, 2), Err(BuddyError::Misaligned));
        assert_eq!(b.free(&mut p, 64, 0), Err(BuddyError::OutOfRange));
        assert_eq!(b.free(&mut p, 64, 2), Err(BuddyError::OutOfRange));
        assert_eq!(b.free(&mut p, 0, 7), Err(BuddyError::OutOfRange));
        // Freeing a block bigger than what was allocated overlaps free pages.
        assert_eq!(b.free(&mut p, i, 3), Err(BuddyError::DoubleFree));
        assert_eq!(b.free_run(&mut p, 60, 5), Err(BuddyError::OutOfRange));
        assert_eq!(
            b.free_run(&mut p, usize::MAX, 2),
            Err(BuddyError::OutOfRange)
        );
        assert_eq!(b.free_run(&mut p, i, 5), Err(BuddyError::DoubleFree));
        assert_eq!(b.free_run(&mut p, i + 4, 1), Err(BuddyError::DoubleFree));
        same(&b, &p);
        b.free(&mut p, i, 2).unwrap();
        ok(&b, &p);
    }

    #[test]
    fn double_free_detected() {
        let (mut b, mut p) = full(64);
        let i = b.alloc(&mut p, 0).unwrap();
        let j = b.alloc(&mut p, 0).unwrap();
        b.free(&mut p, i, 0).unwrap();
        // i may now be a non-head page of a bigger free block or a head.
        assert_eq!(b.free(&mut p, i, 0), Err(BuddyError::DoubleFree));
        assert_eq!(b.free_run(&mut p, i, 1), Err(BuddyError::DoubleFree));
        b.free(&mut p, j, 0).unwrap();
        // Now everything is coalesced; every page is inside a free block.
        for k in 0..64 {
            assert_eq!(
                b.free(&mut p, k, 0),
                Err(BuddyError::DoubleFree),
                "page {k}"
            );
        }
        assert_eq!(b.free(&mut p, 0, 6), Err(BuddyError::DoubleFree));
        ok(&b, &p);
        assert_eq!(b.free_blocks(6), 1);
    }

    #[test]
    fn alloc_contig_returns_tail() {
        let (mut b, mut p) = full(64);
        let i = b.alloc_contig(&mut p, 5, 1).unwrap();
        // Order 3 block, tail of 3 pages given back.
        assert_eq!(i % 8, 0);
        ok(&b, &p);
        assert_eq!(b.free_pages(), 59);
        assert!((i..i + 5).all(|k| !b.page_is_free(&p, k)));
        assert!((i + 5..i + 8).all(|k| b.page_is_free(&p, k)));
        b.free_run(&mut p, i, 5).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_blocks(6), 1);
    }

    #[test]
    fn alloc_contig_alignment_larger_than_count() {
        let (mut b, mut p) = full(256);
        // Take page 0 so the first naturally aligned small blocks are off 0.
        assert_eq!(b.alloc(&mut p, 0), Some(0));
        let i = b.alloc_contig(&mut p, 3, 64).unwrap();
        assert_eq!(i % 64, 0);
        assert_ne!(i, 0);
        ok(&b, &p);
        assert_eq!(b.free_pages(), 256 - 1 - 3);
        assert!((i + 3..i + 64).all(|k| b.page_is_free(&p, k)));
        b.free_run(&mut p, i, 3).unwrap();
        b.free(&mut p, 0, 0).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_blocks(8), 1);
    }

    #[test]
    fn alloc_contig_exact_power_and_max() {
        let (mut b, mut p) = full(2 * MAX_BLOCK_PAGES);
        let i = b.alloc_contig(&mut p, MAX_BLOCK_PAGES, 1).unwrap();
        assert_eq!(i % MAX_BLOCK_PAGES, 0);
        assert_eq!(b.free_pages(), MAX_BLOCK_PAGES);
        let j = b.alloc_contig(&mut p, 1, MAX_BLOCK_PAGES).unwrap();
        assert_eq!(j % MAX_BLOCK_PAGES, 0);
        assert_eq!(b.free_pages(), MAX_BLOCK_PAGES - 1);
        ok(&b, &p);
    }

    #[test]
    fn alloc_contig_rejects_impossible_requests_without_panicking() {
        let (mut b, mut p) = full(4 * MAX_BLOCK_PAGES);
        let before = b.clone();
        assert_eq!(b.alloc_contig(&mut p, 0, 1), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 0), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 3), None);
        assert_eq!(b.alloc_contig(&mut p, MAX_BLOCK_PAGES + 1, 1), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 2 * MAX_BLOCK_PAGES), None);
        assert_eq!(b.alloc_contig(&mut p, usize::MAX, 1), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 1 << (usize::BITS - 1)), None);
        assert_eq!(b, before);
        ok(&b, &p);
    }

    #[test]
    fn exhaustion_returns_none_and_keeps_state() {
        let (mut b, mut p) = full(48); // blocks 0..32, 32..48
        assert_eq!(b.alloc(&mut p, 6), None);
        assert_eq!(b.alloc_contig(&mut p, 33, 1), None);
        assert_eq!(b.free_pages(), 48);
        ok(&b, &p);
        let x = b.alloc(&mut p, 5).unwrap();
        let y = b.alloc(&mut p, 4).unwrap();
        assert_eq!((x, y), (0, 32));
        let before = b.clone();
        assert_eq!(b.alloc(&mut p, 0), None);
        assert_eq!(b.alloc_contig(&mut p, 1, 1), None);
        assert_eq!(b, before);
        ok(&b, &p);
        // Fragmented: 2 free pages that are not buddies cannot give order 1.
        b.free(&mut p, 32, 4).unwrap();
        let mut got: Vec<usize> = (0..16).map(|_| b.alloc(&mut p, 0).unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, (32..48).collect::<Vec<_>>());
        b.free(&mut p, 33, 0).unwrap();
        b.free(&mut p, 34, 0).unwrap();
        assert_eq!(b.free_pages(), 2);
        assert_eq!(b.alloc(&mut p, 1), None);
        assert_eq!(b.alloc_contig(&mut p, 2, 1), None);
        ok(&b, &p);
    }

    #[test]
    fn free_part_of_a_block_with_free_run() {
        let (mut b, mut p) = full(32);
        let i = b.alloc(&mut p, 4).unwrap();
        b.free_run(&mut p, i + 3, 10).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_pages(), 16 + 10);
        b.free_run(&mut p, i, 3).unwrap();
        b.free_run(&mut p, i + 13, 3).unwrap();
        ok(&b, &p);
        assert_eq!(b.free_blocks(5), 1);
    }

    #[test]
    fn adjacent_runs_coalesce_like_one_run() {
        let mut p1 = pages(300);
        let mut b1 = Buddy::new();
        b1.free_run(&mut p1, 7, 250).unwrap();
        let mut p2 = pages(300);
        let mut b2 = Buddy::new();
        b2.free_run(&mut p2, 100, 157).unwrap();
        b2.free_run(&mut p2, 7, 50).unwrap();
        b2.free_run(&mut p2, 57, 43).unwrap();
        ok(&b2, &p2);
        assert_eq!(blocks(&b1), blocks(&b2));
        assert_eq!(b1.free_pages(), b2.free_pages());
    }

    #[test]
    fn free_run_zero_is_noop() {
        let mut p = pages(4);
        let mut b = Buddy::new();
        assert_eq!(b.free_run(&mut p, 4, 0), Ok(()));
        assert_eq!(b.free_run(&mut p, 100, 0), Ok(()));
        assert_eq!(b.free_pages(), 0);
    }

    #[test]
    fn check_invariants_detects_corruption() {
        let (b, p) = full(64);
        // Mark a page free behind the allocator's back.
        let mut q = p.clone();
        q[5].link.free = true;
        assert!(b.check_invariants(&q).is_err());
        // Wrong order on the head.
        let mut q = p.clone();
        q[0].link.order = 3;
        assert!(b.check_invariants(&q).is_err());
        // Counter mismatch.
        let mut c = b.clone();
        c.free_pages += 1;
        assert!(c.check_invariants(&p).is_err());
        let mut c = b.clone();
        c.free_blocks[6] = 2;
        assert!(c.check_invariants(&p).is_err());
        // Head outside the slice.
        assert!(b.check_invariants(&p[..32]).is_err());
        // Two free buddies of the same order (not coalesced).
        let mut p = pages(4);
        let mut c = Buddy::new();
        c.push(&mut p, 0, 1);
        c.push(&mut p, 2, 1);
        assert_eq!(
            c.check_invariants(&p),
            Err("free block's buddy is also free with the same order (not coalesced)")
        );
        // Broken prev link.
        let mut p = pages(8);
        let mut c = Buddy::new();
        c.push(&mut p, 0, 0);
        c.push(&mut p, 2, 0);
        c.check_invariants(&p).unwrap();
        p[0].link.prev = NIL;
        assert!(c.check_invariants(&p).is_err());
    }

    #[test]
    fn error_display() {
        use std::string::ToString;
        assert_eq!(
            BuddyError::DoubleFree.to_string(),
            "page is already free (double free)"
        );
        assert!(!BuddyError::OutOfRange.to_string().is_empty());
        assert!(!BuddyError::Misaligned.to_string().is_empty());
        assert!(!BuddyError::InvalidOrder.to_string().is_empty());
    }
}
