//! The consistency checker.
//!
//! This module owns [`Map::check`]: an O(n)-time, O(1)-space verification of
//! every map invariant (for tests, debug builds and a kernel `ddb`-style
//! command). Order and node count come from the splay crate's threaded
//! check; the per-entry checks come from a second threaded (Morris) in-order
//! walk that restores every link it borrows.
//!
//! And [`Map::check_around`]: the same per-entry invariants for the entries
//! in and next to one range, in O(k log n) for k entries, for checking after
//! every change of a large map (the full check then runs only now and then).

use core::fmt::Debug;

use crate::entry::EntryStore;
use crate::map::{Cost, Map};
use crate::tree::{Nodes, subtree_max_gap};
use crate::{Vaddr, page_aligned};

/// Running state of the in-order walk.
struct Walk<H> {
    err: Option<&'static str>,
    count: usize,
    size: u64,
    /// The previous entry's end and gap_after.
    prev: Option<(Vaddr, u64)>,
    hint_seen: bool,
    hint: Option<H>,
}

impl<H: Copy + Eq> Walk<H> {
    fn fail(&mut self, msg: &'static str) {
        if self.err.is_none() {
            self.err = Some(msg);
        }
    }
}

impl<H: Copy + Eq + Debug> Map<H> {
    /// Check every invariant: entries sorted, non-overlapping, page
    /// aligned, non-empty and inside `[min, max)`; `prot ⊆ max_prot`; every
    /// `gap_after` exact (including the last entry's, up to `max`); every
    /// `max_gap == max(gap_after, children's max_gap)` (which, with exact
    /// gaps, makes every `max_gap` the true subtree maximum); `nentries`
    /// and `size` right; the lookup hint (if any) is in the map.
    ///
    /// O(n) time, O(1) space. Takes `&mut S` because the walks temporarily
    /// thread right links (all restored before returning); it never splays
    /// or otherwise changes the map.
    pub fn check<B, S: EntryStore<B, Handle = H>>(&self, s: &mut S) -> Result<(), &'static str> {
        self.tree.check(&mut Nodes::new(s))?;
        let mut w = Walk {
            err: None,
            count: 0,
            size: 0,
            prev: None,
            hint_seen: false,
            hint: self.hint,
        };
        // Morris in-order traversal. Only right links are threaded. After
        // visiting x, the next iteration tells whether x's right link was a
        // thread (then its real right child is None) or a real child; that
        // is when x's max_gap is checked (`pending`).
        let mut pending: Option<H> = None;
        let mut cur = self.tree.root();
        while let Some(c) = cur {
            match s.get(c).left {
                None => {
                    // c is not a thread target (a target has a left
                    // subtree), so it was reached through a real link.
                    if let Some(x) = pending.take() {
                        self.check_max_gap(s, x, Some(c), &mut w);
                    }
                    self.visit(s, c, &mut w);
                    pending = Some(c);
                    cur = s.get(c).right;
                }
                Some(l) => {
                    let mut p = l;
                    let threaded = loop {
                        match s.get(p).right {
                            None => break false,
                            Some(x) if x == c => break true,
                            Some(x) => p = x,
                        }
                    };
                    if threaded {
                        s.get_mut(p).right = None;
                        // Reached through the thread from p, visited last.
                        if let Some(x) = pending.take() {
                            debug_assert_eq!(x, p);
                            self.check_max_gap(s, x, None, &mut w);
                        }
                        self.visit(s, c, &mut w);
                        pending = Some(c);
                        cur = s.get(c).right;
                    } else {
                        if let Some(x) = pending.take() {
                            self.check_max_gap(s, x, Some(c), &mut w);
                        }
                        s.get_mut(p).right = Some(c);
                        cur = Some(l);
                    }
                }
            }
        }
        if let Some(x) = pending {
            self.check_max_gap(s, x, None, &mut w);
        }
        if let Some(e) = w.err {
            return Err(e);
        }
        match w.prev {
            Some((end, gap)) if end.checked_add(gap) != Some(self.max) => {
                return Err("vmmap: last entry's gap_after does not reach max");
            }
            _ => {}
        }
        if w.count != self.tree.len() {
            return Err("vmmap: entry count mismatch");
        }
        if w.size != self.size {
            return Err("vmmap: size does not match the entries");
        }
        if self.hint.is_some() && !w.hint_seen {
            return Err("vmmap: lookup hint not in the map");
        }
        Ok(())
    }

    fn visit<B, S: EntryStore<B, Handle = H>>(&self, s: &S, h: H, w: &mut Walk<H>) {
        let e = s.get(h);
        w.count += 1;
        if w.hint == Some(h) {
            w.hint_seen = true;
        }
        if !(page_aligned(e.start) && page_aligned(e.end)) {
            w.fail("vmmap: entry not page aligned");
        }
        if e.start >= e.end {
            w.fail("vmmap: empty or inverted entry");
        }
        if e.start < self.min || e.end > self.max {
            w.fail("vmmap: entry outside the map");
        }
        if !e.max_prot.contains(e.prot) {
            w.fail("vmmap: prot exceeds max_prot");
        }
        w.size = w.size.wrapping_add(e.end.wrapping_sub(e.start));
        if let Some((pend, pgap)) = w.prev {
            if pend > e.start {
                w.fail("vmmap: entries overlap");
            } else if pgap != e.start - pend {
                w.fail("vmmap: wrong gap_after");
            }
        }
        w.prev = Some((e.end, e.gap_after));
    }

    fn check_max_gap<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        h: H,
        right: Option<H>,
        w: &mut Walk<H>,
    ) {
        let e = s.get(h);
        let want = e
            .gap_after
            .max(subtree_max_gap(s, e.left))
            .max(subtree_max_gap(s, right));
        if e.max_gap != want {
            w.fail("vmmap: wrong max_gap");
        }
    }
}

impl<H: Copy + Eq + Debug> Map<H> {
    /// Check the entries overlapping `[start, end)` and their neighbours
    /// (the entry before and the one after): each page aligned, non-empty,
    /// inside the map, `prot ⊆ max_prot`, `max_gap >= gap_after`; in
    /// address order without overlap; every `gap_after` exact (the last
    /// one's up to the map's end). The tree shape and the augmentation of
    /// other subtrees are left to [`Map::check`]. Does not splay.
    pub fn check_around<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        start: Vaddr,
        end: Vaddr,
    ) -> Result<(), &'static str> {
        // Start one entry before the one at or below `start`, so the gap
        // in front of the range is checked too.
        let mut cur = match self.search_le(s, start, &mut Cost::default()) {
            Some(h) => self.prev(s, h).or(Some(h)),
            None => self.first(s),
        };
        let mut prev: Option<(Vaddr, u64)> = None;
        while let Some(h) = cur {
            let e = s.get(h);
            if !(page_aligned(e.start) && page_aligned(e.end)) {
                return Err("vmmap: entry not page aligned");
            }
            if e.start >= e.end {
                return Err("vmmap: empty or inverted entry");
            }
            if e.start < self.min || e.end > self.max {
                return Err("vmmap: entry outside the map");
            }
            if !e.max_prot.contains(e.prot) {
                return Err("vmmap: prot exceeds max_prot");
            }
            if e.max_gap < e.gap_after {
                return Err("vmmap: max_gap below the entry's own gap");
            }
            if let Some((pend, pgap)) = prev {
                if pend > e.start {
                    return Err("vmmap: entries overlap");
                }
                if pgap != e.start - pend {
                    return Err("vmmap: wrong gap_after");
                }
            }
            prev = Some((e.end, e.gap_after));
            if e.start >= end {
                // The entry after the range: its gap in front is checked.
                return Ok(());
            }
            cur = self.next(s, h);
        }
        match prev {
            Some((pend, pgap)) if pend.checked_add(pgap) != Some(self.max) => {
                Err("vmmap: last entry's gap_after does not reach max")
            }
            _ => Ok(()),
        }
    }

}
