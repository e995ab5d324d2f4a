//! Model-based property tests: random sequences of `alloc`, `alloc_contig`,
//! `free`, `free_run` (whole and partial) and deliberate double frees are run
//! against a plain `Vec<bool>` model of which pages are in use.

use ferrite_buddy::{Buddy, BuddyError, HasLink, Link, MAX_BLOCK_PAGES, MAX_ORDER};
use proptest::prelude::*;
use proptest::sample::Index;

/// A stand-in for the kernel's `vm_page`.
#[derive(Clone, Default)]
struct Page {
    _flags: u32,
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

#[derive(Clone, Debug)]
enum Op {
    /// `alloc(order)`; orders up to `MAX_ORDER` (inclusive, which must fail).
    Alloc(usize),
    /// `alloc_contig(count, 1 << align_log)`.
    AllocContig(usize, u32),
    /// Give a whole live allocation back with its natural call.
    Free(Index),
    /// `free_run` a sub-range of a live allocation, keeping the rest.
    FreePart(Index, Index, Index),
    /// Free a page that is already free: must be refused.
    DoubleFree(Index),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..=MAX_ORDER).prop_map(Op::Alloc),
        3 => (1..=MAX_BLOCK_PAGES + 40, 0u32..=11).prop_map(|(c, a)| Op::AllocContig(c, a)),
        1 => (1usize..=8, 0u32..=4).prop_map(|(c, a)| Op::AllocContig(c, a)),
        4 => any::<Index>().prop_map(Op::Free),
        2 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Op::FreePart(a, b, c)),
        1 => any::<Index>().prop_map(Op::DoubleFree),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Block(usize),
    Run,
}

#[derive(Clone, Copy, Debug)]
struct Live {
    start: usize,
    len: usize,
    kind: Kind,
}

struct World {
    buddy: Buddy,
    pages: Vec<Page>,
    /// `true` = in use (allocated or never given to the allocator).
    used: Vec<bool>,
    live: Vec<Live>,
}

impl World {
    fn n(&self) -> usize {
        self.pages.len()
    }

    fn free_count(&self) -> usize {
        self.used.iter().filter(|u| !**u).count()
    }

    /// Whether a naturally aligned free run of `size` pages exists in the
    /// model. With full coalescing this is exactly when an allocation of
    /// that (power-of-two) size must succeed.
    fn has_aligned_free(&self, size: usize) -> bool {
        (0..self.n())
            .step_by(size)
            .any(|s| s + size <= self.n() && self.used[s..s + size].iter().all(|u| !u))
    }

    fn take(&mut self, start: usize, len: usize, kind: Kind) {
        assert!(start + len <= self.n(), "allocation past the end");
        for i in start..start + len {
            assert!(!self.used[i], "page {i} handed out twice");
            self.used[i] = true;
        }
        self.live.push(Live { start, len, kind });
    }

    fn give_back(&mut self, start: usize, len: usize) {
        for u in &mut self.used[start..start + len] {
            assert!(*u);
            *u = false;
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        if let Err(e) = self.buddy.check_invariants(&self.pages) {
            return Err(TestCaseError::fail(format!("invariant: {e}")));
        }
        prop_assert_eq!(self.buddy.free_pages(), self.free_count());
        Ok(())
    }

    /// Exhaustive per-page comparison (O(n * MAX_ORDER)).
    fn check_pages(&self) -> Result<(), TestCaseError> {
        for i in 0..self.n() {
            prop_assert_eq!(
                self.buddy.page_is_free(&self.pages, i),
                !self.used[i],
                "page {}",
                i
            );
        }
        Ok(())
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Alloc(order) => {
                let before = self.buddy.free_pages();
                match self.buddy.alloc(&mut self.pages, order) {
                    Some(i) => {
                        prop_assert!(order < MAX_ORDER);
                        prop_assert_eq!(i % (1 << order), 0, "misaligned block");
                        self.take(i, 1 << order, Kind::Block(order));
                        prop_assert_eq!(self.buddy.free_pages(), before - (1 << order));
                    }
                    None => {
                        prop_assert!(
                            order >= MAX_ORDER || !self.has_aligned_free(1 << order),
                            "alloc({}) failed although an aligned free block exists",
                            order
                        );
                        prop_assert_eq!(self.buddy.free_pages(), before);
                    }
                }
            }
            Op::AllocContig(count, align_log) => {
                let align = 1usize << align_log;
                let before = self.buddy.free_pages();
                let size = count.max(align).next_power_of_two();
                match self.buddy.alloc_contig(&mut self.pages, count, align) {
                    Some(i) => {
                        prop_assert!(size <= MAX_BLOCK_PAGES);
                        prop_assert_eq!(i % align, 0, "misaligned contig run");
                        self.take(i, count, Kind::Run);
                        prop_assert_eq!(self.buddy.free_pages(), before - count);
                        // The tail went back: the run is followed by free
                        // pages up to the end of the block it came from.
                        for k in i + count..i + size {
                            prop_assert!(!self.used[k], "tail page {} not returned", k);
                        }
                    }
                    None => {
                        prop_assert!(
                            size > MAX_BLOCK_PAGES || !self.has_aligned_free(size),
                            "alloc_contig({}, {}) failed although a block fits",
                            count,
                            align
                        );
                        prop_assert_eq!(self.buddy.free_pages(), before);
                    }
                }
            }
            Op::Free(ix) => {
                if self.live.is_empty() {
                    return Ok(());
                }
                let l = self.live.swap_remove(ix.index(self.live.len()));
                match l.kind {
                    Kind::Block(order) => self.buddy.free(&mut self.pages, l.start, order),
                    Kind::Run => self.buddy.free_run(&mut self.pages, l.start, l.len),
                }
                .map_err(|e| TestCaseError::fail(format!("free {l:?}: {e}")))?;
                self.give_back(l.start, l.len);
            }
            Op::FreePart(ix, a, b) => {
                if self.live.is_empty() {
                    return Ok(());
                }
                let l = self.live.swap_remove(ix.index(self.live.len()));
                let x = a.index(l.len);
                let y = b.index(l.len);
                let (lo, hi) = (x.min(y), x.max(y) + 1);
                self.buddy
                    .free_run(&mut self.pages, l.start + lo, hi - lo)
                    .map_err(|e| TestCaseError::fail(format!("free part of {l:?}: {e}")))?;
                self.give_back(l.start + lo, hi - lo);
                if lo > 0 {
                    self.live.push(Live {
                        start: l.start,
                        len: lo,
                        kind: Kind::Run,
                    });
                }
                if hi < l.len {
                    self.live.push(Live {
                        start: l.start + hi,
                        len: l.len - hi,
                        kind: Kind::Run,
                    });
                }
            }
            Op::DoubleFree(ix) => {
                let free: Vec<usize> = (0..self.n()).filter(|&i| !self.used[i]).collect();
                if free.is_empty() {
                    return Ok(());
                }
                let i = free[ix.index(free.len())];
                let before = self.buddy.clone();
                prop_assert_eq!(
                    self.buddy.free(&mut self.pages, i, 0),
                    Err(BuddyError::DoubleFree)
                );
                prop_assert_eq!(
                    self.buddy.free_run(&mut self.pages, i, 1),
                    Err(BuddyError::DoubleFree)
                );
                // A run that starts in use but runs into free page `i`.
                let mut s = i;
                while s > 0 && self.used[s - 1] {
                    s -= 1;
                }
                prop_assert_eq!(
                    self.buddy.free_run(&mut self.pages, s, i - s + 1),
                    Err(BuddyError::DoubleFree)
                );
                prop_assert_eq!(&self.buddy, &before);
            }
        }
        Ok(())
    }
}

/// Block-count fingerprint of the free lists.
fn blocks(b: &Buddy) -> [usize; MAX_ORDER] {
    core::array::from_fn(|o| b.free_blocks(o))
}

/// Heads (index, order) of all free blocks, read from the page array.
fn heads(p: &[Page]) -> Vec<(usize, u8)> {
    p.iter()
        .enumerate()
        .filter_map(|(i, p)| p.link.order().map(|o| (i, o)))
        .collect()
}

fn world() -> impl Strategy<Value = (usize, Vec<Index>, Vec<bool>, bool)> {
    (
        512usize..=4096,
        prop::collection::vec(any::<Index>(), 0..12),
        prop::collection::vec(prop::bool::weighted(0.25), 1..13),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_ops_match_model(
        (n, cuts, reserved, reverse) in world(),
        ops in prop::collection::vec(op(), 1..200),
    ) {
        // Boot-time population: [0, n) cut into pieces, some reserved
        // (never freed), the rest freed as runs in either order.
        let mut cut: Vec<usize> = cuts.iter().map(|c| c.index(n)).collect();
        cut.push(0);
        cut.push(n);
        cut.sort_unstable();
        cut.dedup();
        let mut runs: Vec<(usize, usize)> = cut
            .windows(2)
            .enumerate()
            .filter(|(k, _)| !reserved[k % reserved.len()])
            .map(|(_, w)| (w[0], w[1] - w[0]))
            .collect();
        if reverse {
            runs.reverse();
        }
        let mut w = World {
            buddy: Buddy::new(),
            pages: vec![Page::default(); n],
            used: vec![true; n],
            live: Vec::new(),
        };
        for &(s, c) in &runs {
            w.buddy.free_run(&mut w.pages, s, c).unwrap();
            w.give_back(s, c);
            w.check()?;
        }
        let initial_blocks = blocks(&w.buddy);
        let initial_heads = heads(&w.pages);
        w.check_pages()?;

        for op in &ops {
            w.step(op)?;
            w.check()?;
        }
        w.check_pages()?;

        // The representation only depends on the set of free pages: rebuild
        // it from the model one page at a time and compare.
        let mut r = World {
            buddy: Buddy::new(),
            pages: vec![Page::default(); n],
            used: vec![true; n],
            live: Vec::new(),
        };
        for i in (0..n).filter(|&i| !w.used[i]) {
            r.buddy.free(&mut r.pages, i, 0).unwrap();
        }
        prop_assert_eq!(blocks(&r.buddy), blocks(&w.buddy));
        prop_assert_eq!(heads(&r.pages), heads(&w.pages));

        // Free everything that is still live: back to the initial state.
        while let Some(l) = w.live.pop() {
            match l.kind {
                Kind::Block(order) => w.buddy.free(&mut w.pages, l.start, order),
                Kind::Run => w.buddy.free_run(&mut w.pages, l.start, l.len),
            }
            .map_err(|e| TestCaseError::fail(format!("final free {l:?}: {e}")))?;
            w.give_back(l.start, l.len);
            w.check()?;
        }
        prop_assert_eq!(blocks(&w.buddy), initial_blocks);
        prop_assert_eq!(heads(&w.pages), initial_heads);
        prop_assert_eq!(w.buddy.free_pages(), runs.iter().map(|r| r.1).sum::<usize>());
        w.check_pages()?;
    }

    /// Population order does not matter: freeing every page singly in a
    /// random order gives the same blocks as one `free_run`.
    #[test]
    fn free_order_does_not_matter(n in 1usize..=3000, seed in any::<u64>()) {
        let mut a = vec![Link::new(); n];
        let mut ba = Buddy::new();
        ba.free_run(&mut a, 0, n).unwrap();

        let mut order: Vec<usize> = (0..n).collect();
        // Deterministic shuffle from the seed (xorshift).
        let mut x = seed | 1;
        for i in (1..n).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut b = vec![Link::new(); n];
        let mut bb = Buddy::new();
        for &i in &order {
            bb.free(&mut b, i, 0).unwrap();
        }
        bb.check_invariants(&b).map_err(TestCaseError::fail)?;
        prop_assert_eq!(blocks(&ba), blocks(&bb));
        let ha: Vec<_> = a.iter().map(Link::order).collect();
        let hb: Vec<_> = b.iter().map(Link::order).collect();
        prop_assert_eq!(ha, hb);
    }
}
