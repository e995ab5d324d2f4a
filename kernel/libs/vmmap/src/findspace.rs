//! Free-space search.
//!
//! This module owns [`Map::findspace`] and the `max_gap`-guided descents it
//! uses. The free space of a map is a sequence of *gaps*: the gap before the
//! first entry (`[min, first.start)`, not stored anywhere) and each entry's
//! `gap_after` (`[end, end + gap_after)`). Non-empty gaps are exactly the
//! maximal free runs.
//!
//! Search rule, bottom-up from `h` (the hint, or `min`):
//! 1. The first non-empty gap ending above `h` (the one containing `h`, or
//!    the next one) is checked *exactly*: the lowest `align`-aligned address
//!    `>= h` in it that fits `len`.
//! 2. Otherwise, the first later gap of at least `len + align - PAGE_SIZE`
//!    bytes, at its lowest aligned address (such a gap always fits). It is
//!    found in O(depth) by descending only into subtrees whose `max_gap` is
//!    large enough.
//!
//! Top-down from `h` (the hint, or `max - len`; results start at or below
//! `h`) is the mirror image: the last non-empty gap starting at or below
//! `h` exactly (the highest aligned start `<= h` that fits), then the last
//! earlier gap of at least `len + align - PAGE_SIZE` bytes, at its highest
//! aligned address.
//!
//! So for `align == PAGE_SIZE` the result is exact (the lowest, resp.
//! highest, fit). For larger alignments a gap beyond the first one that is
//! smaller than `len + align - PAGE_SIZE` may be skipped even though an
//! aligned range would fit in it by luck of its position: the price of a
//! logarithmic search.
//!
//! Every candidate is re-checked against both neighbours (the gap's bounds)
//! and the map's bounds *after* alignment is applied: UVM's historical bugs
//! were returning space in use at either end of the map and aligning a start
//! that began right at the end of the previous entry without re-checking.

use core::fmt::Debug;

use crate::entry::EntryStore;
use crate::map::{Cost, Map};
use crate::tree::subtree_max_gap;
use crate::{PAGE_SIZE, Vaddr, normalize_align, page_aligned, round_down, round_up};

/// A free gap `[start, end)`; `owner` is the entry it follows (`None`: the
/// gap before the first entry).
#[derive(Clone, Copy, Debug)]
struct Gap<H> {
    owner: Option<H>,
    start: Vaddr,
    end: Vaddr,
}

impl<H: Copy + Eq + Debug> Map<H> {
    /// Find `len` free bytes aligned to `align` (a power of two `>=
    /// PAGE_SIZE`, or 0 for `PAGE_SIZE`), searching upwards from `hint`
    /// (default `min`; rounded up to a page; below `min` means `min`) or,
    /// if `topdown`, downwards from `hint` (the highest start considered;
    /// default and upper bound `max - len`; rounded down to a page). See
    /// the module documentation for which address is returned; gaps smaller
    /// than `len + align - PAGE_SIZE` may be skipped for aligned requests
    /// (except the first gap examined, which is checked exactly).
    ///
    /// Never returns space in use or outside `[min, max)`. `None` if
    /// nothing is found in that direction (or `len` is zero, misaligned or
    /// larger than the map, or `align` is invalid). May splay; amortized
    /// O(log n). Does not change the map's content.
    pub fn findspace<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        len: u64,
        align: u64,
        hint: Option<Vaddr>,
        topdown: bool,
    ) -> Option<Vaddr> {
        let align = normalize_align(align)?;
        if len == 0 || !page_aligned(len) || len > self.max - self.min {
            return None;
        }
        let threshold = len.saturating_add(align - PAGE_SIZE);
        let a = if topdown {
            self.findspace_down(s, len, align, threshold, hint)
        } else {
            self.findspace_up(s, len, align, threshold, hint)
        }?;
        debug_assert!(a % align == 0 && a >= self.min && a + len <= self.max);
        Some(a)
    }

    fn gap_of<B, S: EntryStore<B, Handle = H>>(s: &S, h: H) -> Gap<H> {
        let e = s.get(h);
        Gap {
            owner: Some(h),
            start: e.end,
            end: e.end + e.gap_after,
        }
    }

    /// The gap before the first entry.
    fn gap0<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S) -> Gap<H> {
        let end = self.first_entry(s).map_or(self.max, |f| s.get(f).start);
        Gap {
            owner: None,
            start: self.min,
            end,
        }
    }

    /// Lowest `align`-aligned `a >= from` with `[a, a + len)` inside gap
    /// `g` and the map.
    fn fit_up(&self, g: Gap<H>, from: Vaddr, len: u64, align: u64) -> Option<Vaddr> {
        let a = round_up(from.max(g.start), align)?;
        let end = a.checked_add(len)?;
        (a >= self.min && a >= g.start && end <= g.end && end <= self.max).then_some(a)
    }

    /// Highest `align`-aligned `a <= to` with `[a, a + len)` inside gap `g`
    /// and the map.
    fn fit_down(&self, g: Gap<H>, to: Vaddr, len: u64, align: u64) -> Option<Vaddr> {
        let hi = g.end.checked_sub(len)?.min(to);
        let a = round_down(hi, align);
        (a >= self.min && a >= g.start && a + len <= g.end && a + len <= self.max).then_some(a)
    }

    fn findspace_up<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        len: u64,
        align: u64,
        threshold: u64,
        hint: Option<Vaddr>,
    ) -> Option<Vaddr> {
        let h = match hint {
            Some(h) => round_up(h, PAGE_SIZE)?.max(self.min),
            None => self.min,
        };
        if h >= self.max {
            return None;
        }
        // The first non-empty gap ending above h.
        let g0 = match self.find_le(s, h) {
            // Every entry starts above h: the gap before the first one
            // contains h.
            None => Gap {
                owner: None,
                start: self.min,
                end: self.find_ge(s, h).map_or(self.max, |f| s.get(f).start),
            },
            Some(e) if s.get(e).end <= h || s.get(e).gap_after > 0 => Self::gap_of(s, e),
            Some(e) => {
                let k = s.get(e).start;
                let x = self.first_fit(s, Some(k), 1)?;
                Self::gap_of(s, x)
            }
        };
        if let Some(a) = self.fit_up(g0, h, len, align) {
            return Some(a);
        }
        let mut after = g0.owner.map(|o| s.get(o).start);
        loop {
            let x = self.first_fit(s, after, threshold)?;
            if let Some(a) = self.fit_up(Self::gap_of(s, x), 0, len, align) {
                return Some(a);
            }
            after = Some(s.get(x).start);
        }
    }

    fn findspace_down<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        len: u64,
        align: u64,
        threshold: u64,
        hint: Option<Vaddr>,
    ) -> Option<Vaddr> {
        let top = self.max - len;
        let h = hint.map_or(top, |h| round_down(h, PAGE_SIZE).min(top));
        if h < self.min {
            return None;
        }
        // The last non-empty gap starting at or below h.
        let g0 = match self.find_le(s, h) {
            None => Gap {
                owner: None,
                start: self.min,
                end: self.find_ge(s, h).map_or(self.max, |f| s.get(f).start),
            },
            // e.end <= h < max implies a non-empty gap after e.
            Some(e) if s.get(e).end <= h => Self::gap_of(s, e),
            Some(e) => {
                let k = s.get(e).start;
                match self.last_fit(s, Some(k), 1) {
                    Some(x) => Self::gap_of(s, x),
                    None => {
                        let g = self.gap0(s);
                        if g.end == g.start {
                            return None;
                        }
                        g
                    }
                }
            }
        };
        if let Some(a) = self.fit_down(g0, h, len, align) {
            return Some(a);
        }
        let mut before = s.get(g0.owner?).start;
        loop {
            match self.last_fit(s, Some(before), threshold) {
                Some(x) => {
                    if let Some(a) = self.fit_down(Self::gap_of(s, x), h, len, align) {
                        return Some(a);
                    }
                    before = s.get(x).start;
                }
                None => {
                    let g = self.gap0(s);
                    if g.end - g.start < threshold {
                        return None;
                    }
                    return self.fit_down(g, h, len, align);
                }
            }
        }
    }

    /// The first entry (in address order) starting above `after` (any
    /// entry if `None`) whose `gap_after >= need`. No stack, no splay
    /// unless the walk was long ([`Map::settle`]): walking the search path
    /// of `after`, every node `x` above `after` heads a block `{x} ∪
    /// x.right` of candidates, deeper blocks holding lower addresses; the
    /// deepest block with a fit holds the answer.
    pub(crate) fn first_fit<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        after: Option<Vaddr>,
        need: u64,
    ) -> Option<H> {
        self.fit(s, after, need, false)
    }

    /// The last entry (in address order) starting below `before` (any
    /// entry if `None`) whose `gap_after >= need`; the mirror image of
    /// [`Map::first_fit`] (blocks `x.left ∪ {x}`, deeper blocks higher).
    pub(crate) fn last_fit<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        before: Option<Vaddr>,
        need: u64,
    ) -> Option<H> {
        self.fit(s, before, need, true)
    }

    /// `first_fit` (or, with `last`, `last_fit`) beyond `bound`.
    fn fit<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        bound: Option<Vaddr>,
        need: u64,
        last: bool,
    ) -> Option<H> {
        let mut cost = Cost::default();
        let found = match bound {
            None => self.descend(s, self.tree.root(), 1, need, &mut cost, last),
            Some(k) => {
                let mut block = None;
                let mut t = self.tree.root();
                let mut d = 0;
                while let Some(x) = t {
                    d += 1;
                    cost.visit(x, d);
                    let e = s.get(x);
                    // `beyond`: the child whose subtree lies further from
                    // `k` than x; `toward`: the one nearer to `k`.
                    let (candidate, beyond, toward) = if last {
                        (e.start < k, e.left, e.right)
                    } else {
                        (e.start > k, e.right, e.left)
                    };
                    if candidate {
                        if e.gap_after >= need || subtree_max_gap(s, beyond) >= need {
                            block = Some((x, d));
                        }
                        t = toward;
                    } else {
                        // Not a candidate: move on towards the candidates.
                        t = if last { e.left } else { e.right };
                    }
                }
                block.and_then(|(x, d)| {
                    let e = s.get(x);
                    if e.gap_after >= need {
                        Some(x)
                    } else {
                        let beyond = if last { e.left } else { e.right };
                        self.descend(s, beyond, d + 1, need, &mut cost, last)
                    }
                })
            }
        };
        self.settle(s, cost);
        found
    }

    /// The first (or, with `last`, the last) entry in address order of
    /// subtree `t` whose gap fits `need`: prefer the nearer child's
    /// subtree, then the node itself, then the farther child's subtree.
    fn descend<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        t: Option<H>,
        mut d: usize,
        need: u64,
        cost: &mut Cost<H>,
        last: bool,
    ) -> Option<H> {
        let mut x = t?;
        if s.get(x).max_gap < need {
            return None;
        }
        loop {
            cost.visit(x, d);
            let e = s.get(x);
            let (near, far) = if last {
                (e.right, e.left)
            } else {
                (e.left, e.right)
            };
            if subtree_max_gap(s, near) >= need {
                x = near?;
            } else if e.gap_after >= need {
                return Some(x);
            } else if subtree_max_gap(s, far) >= need {
                x = far?;
            } else {
                debug_assert!(false, "vmmap: max_gap inconsistent");
                return None;
            }
            d += 1;
        }
    }
}
