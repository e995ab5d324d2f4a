//! The address map.
//!
//! This module owns [`Map`]: its bounds, the splay tree of entries, the
//! byte count, the version number (timestamp) and the lookup hint, and every
//! operation that changes entries: mapping with merging
//! ([`Map::map`]), clipping ([`Map::clip`]), unmapping into a [`Removed`]
//! chain ([`Map::unmap`]) and attribute changes ([`Map::protect`],
//! [`Map::inherit`], [`Map::advise`]); plus lookup and read-only walks.
//! Free-space search lives in `findspace`, the checker in `check`.
//!
//! Tree invariants kept by every operation: entries are sorted, disjoint,
//! page aligned and inside `[min, max)`; every `gap_after` is exact; every
//! `max_gap` is the maximum `gap_after` of its subtree. Whenever an entry's
//! own `gap_after` changes, the entry is splayed (`Map::refresh`) so the
//! augmentation is recomputed on the whole path to the root. An entry's
//! `start` (its key) only changes in a forward merge, where it moves down
//! into free space below it and the key order is kept.

use core::fmt::Debug;

use ferrite_splay::SplayTree;

use crate::entry::{Advice, Attrs, Backing, Entry, EntryFlags, EntryStore, Inherit, Prot};
use crate::tree::Nodes;
use crate::{MapError, PAGE_SIZE, Vaddr, normalize_align, page_aligned};

/// A request for a new mapping (the arguments of `uvm_map`).
#[derive(Clone, Debug)]
pub struct MapRequest<B> {
    /// Where to put it: the exact address if `fixed`, else where the search
    /// starts (a hint outside the map is ignored; if nothing is found from
    /// the hint the search is repeated from the map's default start).
    pub hint: Option<Vaddr>,
    /// Map exactly at `hint` or fail with [`MapError::NoSpace`] if any of
    /// the range is in use (never replaces existing mappings).
    pub fixed: bool,
    /// Length in bytes: non-zero, page aligned.
    pub len: u64,
    /// Alignment of the start: a power of two `>= PAGE_SIZE`, or 0 for
    /// `PAGE_SIZE`. A fixed address must have this alignment.
    pub align: u64,
    pub prot: Prot,
    pub max_prot: Prot,
    pub inherit: Inherit,
    pub advice: Advice,
    pub flags: EntryFlags,
    /// What backs the new range.
    pub backing: B,
    /// Allow merging with compatible adjacent entries (see [`Map::map`]).
    pub merge: bool,
}

impl<B> MapRequest<B> {
    /// An unhinted, mergeable request with `max_prot` = all, default
    /// inheritance (copy) and advice (normal), no flags.
    pub fn new(len: u64, prot: Prot, backing: B) -> Self {
        Self {
            hint: None,
            fixed: false,
            len,
            align: 0,
            prot,
            max_prot: Prot::all(),
            inherit: Inherit::default(),
            advice: Advice::default(),
            flags: EntryFlags::empty(),
            backing,
            merge: true,
        }
    }

    /// Map exactly at `addr`.
    pub fn fixed_at(mut self, addr: Vaddr) -> Self {
        self.hint = Some(addr);
        self.fixed = true;
        self
    }

    /// Start the search at `addr`.
    pub fn with_hint(mut self, addr: Vaddr) -> Self {
        self.hint = Some(addr);
        self.fixed = false;
        self
    }

    pub fn with_align(mut self, align: u64) -> Self {
        self.align = align;
        self
    }

    pub fn with_max_prot(mut self, max_prot: Prot) -> Self {
        self.max_prot = max_prot;
        self
    }

    pub fn with_inherit(mut self, inherit: Inherit) -> Self {
        self.inherit = inherit;
        self
    }

    pub fn with_advice(mut self, advice: Advice) -> Self {
        self.advice = advice;
        self
    }

    pub fn with_flags(mut self, flags: EntryFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Never merge the new range with a neighbour.
    pub fn no_merge(mut self) -> Self {
        self.merge = false;
        self
    }
}

/// Entries removed from a map by [`Map::unmap`], in address order, chained
/// through their `right` link and still held by the store. Drain it with
/// [`Removed::pop`] (or [`Removed::free_all`]) after releasing the map lock;
/// dropping it without draining leaks the entries.
#[derive(Debug)]
#[must_use = "removed entries must be popped to free them"]
pub struct Removed<H> {
    head: Option<H>,
    tail: Option<H>,
    len: usize,
    bytes: u64,
}

impl<H: Copy + Eq + Debug> Default for Removed<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Copy + Eq + Debug> Removed<H> {
    /// An empty chain.
    pub const fn new() -> Self {
        Self {
            head: None,
            tail: None,
            len: 0,
            bytes: 0,
        }
    }

    /// Number of entries in the chain.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Total bytes of the entries in the chain.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The first (lowest) entry, still in the store.
    pub fn peek(&self) -> Option<H> {
        self.head
    }

    /// Free the first (lowest) entry from the store and return its value
    /// (with its links cleared).
    pub fn pop<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S) -> Option<Entry<B, H>> {
        let h = self.head?;
        self.head = s.get(h).right;
        if self.head.is_none() {
            self.tail = None;
        }
        self.len -= 1;
        let mut e = s.free(h);
        self.bytes -= e.len();
        e.left = None;
        e.right = None;
        Some(e)
    }

    /// Free every entry, dropping their values.
    pub fn free_all<B, S: EntryStore<B, Handle = H>>(mut self, s: &mut S) {
        while self.pop(s).is_some() {}
    }

    fn push<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, h: H) {
        let e = s.get_mut(h);
        e.left = None;
        e.right = None;
        self.bytes += e.len();
        match self.tail {
            Some(t) => s.get_mut(t).right = Some(h),
            None => self.head = Some(h),
        }
        self.tail = Some(h);
        self.len += 1;
    }
}

/// Entries reserved (allocated as placeholders) for clipping before the map
/// is modified.
struct Spares<H> {
    a: Option<H>,
    b: Option<H>,
}

impl<H: Copy> Spares<H> {
    fn take(&mut self) -> Option<H> {
        self.a.take().or_else(|| self.b.take())
    }

    fn release<B, S: EntryStore<B, Handle = H>>(mut self, s: &mut S) {
        while let Some(h) = self.take() {
            drop(s.free(h));
        }
    }
}

/// What a non-splaying search walked: the number of nodes visited and the
/// deepest one (with its depth).
#[derive(Debug)]
pub(crate) struct Cost<H> {
    pub(crate) walked: usize,
    pub(crate) deepest: Option<(H, usize)>,
}

impl<H> Default for Cost<H> {
    fn default() -> Self {
        Self {
            walked: 0,
            deepest: None,
        }
    }
}

impl<H: Copy> Cost<H> {
    pub(crate) fn visit(&mut self, h: H, depth: usize) {
        self.walked += 1;
        if self.deepest.is_none_or(|(_, d)| depth > d) {
            self.deepest = Some((h, depth));
        }
    }
}

/// A machine-independent address map over `[min, max)` whose entries live
/// in an [`EntryStore`] with handles `H`. Always pass the same store.
///
/// Every method that may restructure the tree (splay) takes `&mut self`
/// and `&mut S`; the read-only walks ([`Map::iter`], [`Map::entries_in`], [`Map::first`], [`Map::next`]
/// ...) take `&self` and `&S` and cost O(tree depth) per step.
#[derive(Debug)]
pub struct Map<H> {
    pub(crate) tree: SplayTree<H>,
    pub(crate) min: Vaddr,
    pub(crate) max: Vaddr,
    topdown: bool,
    pub(crate) size: u64,
    timestamp: u64,
    pub(crate) hint: Option<H>,
}

impl<H: Copy + Eq + Debug> Map<H> {
    /// An empty map over `[min, max)` (page aligned, `min < max`). A
    /// `topdown` map places unhinted mappings as high as possible.
    ///
    /// # Panics
    /// If the bounds are misaligned or empty.
    pub const fn new(min: Vaddr, max: Vaddr, topdown: bool) -> Self {
        assert!(
            min < max && min.is_multiple_of(PAGE_SIZE) && max.is_multiple_of(PAGE_SIZE),
            "vmmap: bad map bounds"
        );
        Self {
            tree: SplayTree::new(),
            min,
            max,
            topdown,
            size: 0,
            timestamp: 0,
            hint: None,
        }
    }

    /// Lowest address of the map.
    pub fn min(&self) -> Vaddr {
        self.min
    }

    /// End of the map (exclusive).
    pub fn max(&self) -> Vaddr {
        self.max
    }

    /// Whether unhinted mappings go top-down.
    pub fn topdown(&self) -> bool {
        self.topdown
    }

    /// Number of entries.
    pub fn nentries(&self) -> usize {
        self.tree.len()
    }

    /// Bytes mapped.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Version number: bumped by every successful operation that may have
    /// changed entries (map, unmap, protect, inherit, advise, clip with a
    /// non-empty range); never by failed calls, lookups or searches.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    fn bump(&mut self) {
        self.timestamp = self.timestamp.wrapping_add(1);
    }

    // ----- tree helpers -----

    /// Recompute the augmentation after `h`'s own `gap_after` changed:
    /// splay it to the root (every node above it is updated on the way).
    pub(crate) fn refresh<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, h: H) {
        let k = s.get(h).start;
        let found = self.tree.find(&mut Nodes::new(s), k);
        debug_assert_eq!(found, Some(h), "vmmap: refreshed entry not in the tree");
    }

    /// Set `h`'s `gap_after` and refresh it.
    pub(crate) fn set_gap<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, h: H, gap: u64) {
        s.get_mut(h).gap_after = gap;
        self.refresh(s, h);
    }

    /// Path length beyond which a search splays what it reached: about
    /// twice the depth of a balanced tree.
    pub(crate) fn depth_limit(&self) -> usize {
        2 * (usize::BITS - self.tree.len().leading_zeros()) as usize + 8
    }

    /// Conditional splaying: after a search that walked more than
    /// [`Map::depth_limit`] nodes, splay the deepest node it reached (which
    /// pays for the walk); shallow searches leave the tree alone. Either way
    /// the amortized cost stays O(log n) per search, but the common shallow
    /// case costs one store access per node instead of a splay.
    pub(crate) fn settle<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, cost: Cost<H>) {
        if cost.walked > self.depth_limit()
            && let Some((h, _)) = cost.deepest
        {
            let k = s.get(h).start;
            self.tree.splay(&mut Nodes::new(s), k);
        }
    }

    /// The entry with the greatest start `<= key`; no splay.
    pub(crate) fn search_le<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        key: Vaddr,
        cost: &mut Cost<H>,
    ) -> Option<H> {
        let mut best = None;
        let mut t = self.tree.root();
        let mut d = 0;
        while let Some(x) = t {
            d += 1;
            cost.visit(x, d);
            let e = s.get(x);
            if e.start <= key {
                best = Some(x);
                t = e.right;
            } else {
                t = e.left;
            }
        }
        best
    }

    /// The entry with the smallest start `>= key`; no splay.
    pub(crate) fn search_ge<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        key: Vaddr,
        cost: &mut Cost<H>,
    ) -> Option<H> {
        let mut best = None;
        let mut t = self.tree.root();
        let mut d = 0;
        while let Some(x) = t {
            d += 1;
            cost.visit(x, d);
            let e = s.get(x);
            if e.start >= key {
                best = Some(x);
                t = e.left;
            } else {
                t = e.right;
            }
        }
        best
    }

    /// The entry with the greatest start `<= addr` (conditional splay).
    pub(crate) fn find_le<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        addr: Vaddr,
    ) -> Option<H> {
        let mut cost = Cost::default();
        let r = self.search_le(s, addr, &mut cost);
        self.settle(s, cost);
        r
    }

    /// The entry with the smallest start `>= addr` (conditional splay).
    pub(crate) fn find_ge<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        addr: Vaddr,
    ) -> Option<H> {
        let mut cost = Cost::default();
        let r = self.search_ge(s, addr, &mut cost);
        self.settle(s, cost);
        r
    }

    /// The entry with `start < at < end`, if any.
    fn straddler<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, at: Vaddr) -> Option<H> {
        let e = self.find_le(s, at)?;
        let x = s.get(e);
        (x.start < at && at < x.end).then_some(e)
    }

    /// The entry containing `start`, else the first one after it.
    fn first_overlapping<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
    ) -> Option<H> {
        match self.find_le(s, start) {
            Some(e) if s.get(e).end > start => Some(e),
            _ => self.find_ge(s, start),
        }
    }

    /// Whether `[start, end)` (non-empty) is entirely unmapped.
    fn range_is_free<B, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
    ) -> bool {
        // The greatest entry starting before `end` overlaps iff any does.
        self.find_le(s, end - 1)
            .is_none_or(|e| s.get(e).end <= start)
    }

    fn check_range(&self, start: Vaddr, end: Vaddr) -> Result<(), MapError> {
        if !page_aligned(start)
            || !page_aligned(end)
            || start > end
            || start < self.min
            || end > self.max
        {
            return Err(MapError::Inval);
        }
        Ok(())
    }

    // ----- lookup and read-only walks -----

    /// The entry containing `addr`. The lookup hint (the entry last found,
    /// created or extended) is checked first (one store access);
    /// otherwise the tree is searched (splaying only when the path was
    /// long, see the crate documentation) and the hint updated.
    pub fn lookup<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, addr: Vaddr) -> Option<H> {
        if let Some(h) = self.hint
            && s.get(h).contains(addr)
        {
            return Some(h);
        }
        let e = self.find_le(s, addr)?;
        if s.get(e).contains(addr) {
            self.hint = Some(e);
            Some(e)
        } else {
            None
        }
    }

    /// The entry containing `addr`, without changing the tree (no splay,
    /// no hint update): what a lookup under a *shared* map lock may do
    /// (FreeBSD's rule: only a writer restructures the tree). O(depth).
    pub fn lookup_ro<B, S: EntryStore<B, Handle = H>>(&self, s: &S, addr: Vaddr) -> Option<H> {
        self.lookup_ro_deep(s, addr).0
    }

    /// [`Map::lookup_ro`], also saying whether the search walked a path
    /// long enough that a restructuring lookup ([`Map::lookup`], under an
    /// exclusive lock) is due: a shared-lock user should then take the
    /// exclusive lock once, so that a tree degenerated by a run of inserts
    /// does not stay degenerate under read-only traffic.
    pub fn lookup_ro_deep<B, S: EntryStore<B, Handle = H>>(
        &self,
        s: &S,
        addr: Vaddr,
    ) -> (Option<H>, bool) {
        if let Some(h) = self.hint
            && s.get(h).contains(addr)
        {
            return (Some(h), false);
        }
        let mut cost = Cost::default();
        let e = self.search_le(s, addr, &mut cost);
        let deep = cost.walked > self.depth_limit();
        (e.filter(|&e| s.get(e).contains(addr)), deep)
    }

    /// The root of the entry tree (tests: to see that a read-only
    /// operation did not restructure it).
    pub fn tree_root(&self) -> Option<H> {
        self.tree.root()
    }

    /// The lowest entry. Does not splay; O(depth).
    pub fn first<B, S: EntryStore<B, Handle = H>>(&self, s: &S) -> Option<H> {
        let mut t = self.tree.root()?;
        while let Some(l) = s.get(t).left {
            t = l;
        }
        Some(t)
    }

    /// The highest entry. Does not splay; O(depth).
    pub fn last<B, S: EntryStore<B, Handle = H>>(&self, s: &S) -> Option<H> {
        let mut t = self.tree.root()?;
        while let Some(r) = s.get(t).right {
            t = r;
        }
        Some(t)
    }

    /// The entry after `h` in address order. Does not splay; O(depth).
    pub fn next<B, S: EntryStore<B, Handle = H>>(&self, s: &S, h: H) -> Option<H> {
        self.first_above(s, s.get(h).start)
    }

    /// The entry before `h` in address order. Does not splay; O(depth).
    pub fn prev<B, S: EntryStore<B, Handle = H>>(&self, s: &S, h: H) -> Option<H> {
        let key = s.get(h).start;
        let mut best = None;
        let mut t = self.tree.root();
        while let Some(x) = t {
            let e = s.get(x);
            if e.start < key {
                best = Some(x);
                t = e.right;
            } else {
                t = e.left;
            }
        }
        best
    }

    /// The entry after `h` in address order, repairing deep paths like
    /// the other searches (conditional splay): amortized O(log n) per step,
    /// so a walk over all n entries costs O(n log n) even on a degenerate
    /// tree, where [`Map::next`] may cost O(n) per step. Prefer it for long
    /// walks (fork, core dumps) when the map is held exclusively.
    pub fn successor<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, h: H) -> Option<H> {
        let k = s.get(h).start.checked_add(1)?;
        self.find_ge(s, k)
    }

    /// The entry before `h` in address order (conditional splay, like
    /// [`Map::successor`]).
    pub fn predecessor<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S, h: H) -> Option<H> {
        let k = s.get(h).start.checked_sub(1)?;
        self.find_le(s, k)
    }

    /// The lowest entry (conditional splay).
    pub fn first_entry<B, S: EntryStore<B, Handle = H>>(&mut self, s: &mut S) -> Option<H> {
        let min = self.min;
        self.find_ge(s, min)
    }

    /// The entry with the smallest start `> key`; no splay.
    fn first_above<B, S: EntryStore<B, Handle = H>>(&self, s: &S, key: Vaddr) -> Option<H> {
        self.search_ge(s, key.checked_add(1)?, &mut Cost::default())
    }

    /// All entries in address order. No splaying; O(depth) per item (see
    /// [`Map::successor`] for long walks).
    pub fn iter<'a, B, S: EntryStore<B, Handle = H>>(
        &'a self,
        s: &'a S,
    ) -> impl Iterator<Item = H> + 'a {
        core::iter::successors(self.first(s), move |&h| self.next(s, h))
    }

    /// The entries overlapping `[start, end)` in address order (the first
    /// and last may extend beyond the range: this does not clip). No
    /// splaying; O(depth) per item.
    pub fn entries_in<'a, B, S: EntryStore<B, Handle = H>>(
        &'a self,
        s: &'a S,
        start: Vaddr,
        end: Vaddr,
    ) -> impl Iterator<Item = H> + 'a {
        let first = match self.search_le(s, start, &mut Cost::default()) {
            Some(e) if s.get(e).end > start => Some(e),
            _ => self.first_above(s, start),
        };
        core::iter::successors(first, move |&h| self.next(s, h))
            .take_while(move |&h| s.get(h).start < end)
    }

    // ----- mapping -----

    /// Enter a new mapping and return its address.
    ///
    /// Validation ([`MapError::Inval`]): `len` non-zero, page aligned and
    /// no larger than the map; `hint` page aligned; `align` a power of two
    /// `>= PAGE_SIZE` (or 0); `prot ⊆ max_prot`; a fixed request needs a
    /// hint aligned to `align` with `[hint, hint + len)` inside the map.
    ///
    /// Placement: fixed requests go exactly at the hint or fail with
    /// [`MapError::NoSpace`] if any of the range is in use. Others use
    /// [`Map::findspace`] in the map's direction from the hint (a hint
    /// outside the map is ignored), and if that finds nothing from the
    /// map's default start (`min` bottom-up, the top for a topdown map);
    /// [`MapError::NoSpace`] if that fails too.
    ///
    /// Merging (if `req.merge` and the request has no `NO_MERGE` flag): the
    /// new range extends an adjacent entry with the same prot, max_prot,
    /// inherit, advice and flags, both unwired, whose backing agrees
    /// ([`Backing::can_merge`]) instead of adding an entry: backward (the
    /// previous entry ends at the new start), forward (the next entry
    /// starts at the new end: it gets the request's backing, which absorbs
    /// its old one), or both (previous, new range and next become the
    /// previous entry; the next entry is freed). Backward is preferred when
    /// the previous entry cannot absorb the next one.
    ///
    /// Allocates at most one entry, and only when nothing merges;
    /// [`MapError::NoMem`] leaves the map unchanged. On any error the
    /// request (with its backing) is dropped. On success the new or
    /// extended entry becomes the lookup hint and the timestamp is bumped.
    pub fn map<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        req: MapRequest<B>,
    ) -> Result<Vaddr, MapError> {
        let align = normalize_align(req.align).ok_or(MapError::Inval)?;
        let len = req.len;
        if len == 0
            || !page_aligned(len)
            || len > self.max - self.min
            || !req.max_prot.contains(req.prot)
        {
            return Err(MapError::Inval);
        }
        if let Some(h) = req.hint
            && !page_aligned(h)
        {
            return Err(MapError::Inval);
        }
        let addr = if req.fixed {
            let h = req.hint.ok_or(MapError::Inval)?;
            if h % align != 0 || h < self.min || h > self.max - len {
                return Err(MapError::Inval);
            }
            if !self.range_is_free(s, h, h + len) {
                return Err(MapError::NoSpace);
            }
            h
        } else {
            let hint = req.hint.filter(|&h| h >= self.min && h < self.max);
            let topdown = self.topdown;
            match self.findspace(s, len, align, hint, topdown) {
                Some(a) => a,
                None if hint.is_some() => self
                    .findspace(s, len, align, None, topdown)
                    .ok_or(MapError::NoSpace)?,
                None => return Err(MapError::NoSpace),
            }
        };
        self.insert_at(s, addr, req)?;
        self.bump();
        Ok(addr)
    }

    /// Enter `[a, a + req.len)`, known to be free and inside the map,
    /// merging if allowed.
    fn insert_at<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        a: Vaddr,
        req: MapRequest<B>,
    ) -> Result<(), MapError> {
        let len = req.len;
        let end = a + len;
        let attrs = Attrs {
            prot: req.prot,
            max_prot: req.max_prot,
            inherit: req.inherit,
            advice: req.advice,
            flags: req.flags,
        };
        let prev = self.find_le(s, a);
        let next = self.find_ge(s, a);
        debug_assert!(prev.is_none_or(|p| s.get(p).end <= a));
        debug_assert!(next.is_none_or(|n| s.get(n).start >= end));
        let merging = req.merge && !req.flags.contains(EntryFlags::NO_MERGE);
        let back = prev.filter(|&p| {
            let e = s.get(p);
            merging
                && e.end == a
                && e.attrs_mergeable(&attrs)
                && e.backing.can_merge(e.len(), &req.backing)
        });
        let fwd = next.filter(|&n| {
            let e = s.get(n);
            merging
                && e.start == end
                && e.attrs_mergeable(&attrs)
                && req.backing.can_merge(len, &e.backing)
        });
        match (back, fwd) {
            (Some(p), Some(n))
                if s.get(p)
                    .backing
                    .can_merge(s.get(p).len() + len, &s.get(n).backing) =>
            {
                // Both: p absorbs the new range and n; n is freed.
                let nstart = s.get(n).start;
                let removed = self.tree.remove(&mut Nodes::new(s), nstart);
                debug_assert_eq!(removed, Some(n));
                let ne = s.free(n);
                let pe = s.get_mut(p);
                let plen = pe.len();
                pe.backing.absorb(plen, req.backing);
                pe.backing.absorb(plen + len, ne.backing);
                pe.end = ne.end;
                pe.gap_after = ne.gap_after;
                self.refresh(s, p);
                self.hint = Some(p);
            }
            (Some(p), _) => {
                // Backward: p grows up to `end`.
                let pe = s.get_mut(p);
                let plen = pe.len();
                pe.backing.absorb(plen, req.backing);
                pe.end = end;
                pe.gap_after -= len;
                self.refresh(s, p);
                self.hint = Some(p);
            }
            (None, Some(n)) => {
                // Forward: n grows down to `a` (key order is kept: the range
                // below n down to `a` is free), taking the new backing.
                let ne = s.get_mut(n);
                let old = core::mem::replace(&mut ne.backing, req.backing);
                ne.backing.absorb(len, old);
                ne.start = a;
                if let Some(p) = prev {
                    let gap = a - s.get(p).end;
                    self.set_gap(s, p, gap);
                }
                self.hint = Some(n);
            }
            (None, None) => {
                let gap_after = next.map_or(self.max, |n| s.get(n).start) - end;
                let h = s
                    .alloc(Entry {
                        start: a,
                        end,
                        prot: req.prot,
                        max_prot: req.max_prot,
                        inherit: req.inherit,
                        advice: req.advice,
                        wired_count: 0,
                        flags: req.flags,
                        backing: req.backing,
                        left: None,
                        right: None,
                        gap_after,
                        max_gap: gap_after,
                    })
                    .ok_or(MapError::NoMem)?;
                let inserted = self.tree.insert(&mut Nodes::new(s), h);
                assert!(inserted.is_ok(), "vmmap: duplicate entry start");
                if let Some(p) = prev {
                    let gap = a - s.get(p).end;
                    self.set_gap(s, p, gap);
                }
                self.hint = Some(h);
            }
        }
        self.size += len;
        Ok(())
    }

    // ----- clipping -----

    /// Allocate placeholders for the (at most two) entries that clipping
    /// `[start, end)` will create. Nothing is modified on failure.
    fn reserve_clips<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
    ) -> Result<Spares<H>, MapError> {
        fn placeholder<B: Backing, S: EntryStore<B>>(s: &mut S, e: S::Handle) -> Option<S::Handle> {
            let mut v = s.get(e).clone();
            v.left = None;
            v.right = None;
            s.alloc(v)
        }
        let at_start = self.straddler(s, start);
        let at_end = self.straddler(s, end);
        let a = match at_start {
            Some(e) => Some(placeholder(s, e).ok_or(MapError::NoMem)?),
            None => None,
        };
        let b = match at_end {
            Some(e) => match placeholder(s, e) {
                Some(h) => Some(h),
                None => {
                    Spares { a, b: None }.release(s);
                    return Err(MapError::NoMem);
                }
            },
            None => None,
        };
        Ok(Spares { a, b })
    }

    /// Split the entry straddling `at` (if any) into `[start, at)` and
    /// `[at, end)`, the latter in a reserved entry.
    fn clip_at<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        at: Vaddr,
        spares: &mut Spares<H>,
    ) {
        let Some(e) = self.straddler(s, at) else {
            return;
        };
        let h = spares.take().expect("vmmap: clip without a reserved entry");
        let ev = s.get(e);
        let n = Entry {
            start: at,
            end: ev.end,
            prot: ev.prot,
            max_prot: ev.max_prot,
            inherit: ev.inherit,
            advice: ev.advice,
            wired_count: ev.wired_count,
            flags: ev.flags,
            backing: ev.backing.split_at(at - ev.start),
            left: None,
            right: None,
            gap_after: ev.gap_after,
            max_gap: ev.gap_after,
        };
        *s.get_mut(h) = n;
        let em = s.get_mut(e);
        em.end = at;
        em.gap_after = 0;
        self.refresh(s, e);
        let inserted = self.tree.insert(&mut Nodes::new(s), h);
        assert!(inserted.is_ok(), "vmmap: duplicate entry start");
    }

    /// Clip both ends of `[start, end)` (validated, non-empty).
    fn clip_range<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
    ) -> Result<(), MapError> {
        let mut spares = self.reserve_clips(s, start, end)?;
        self.clip_at(s, start, &mut spares);
        self.clip_at(s, end, &mut spares);
        spares.release(s);
        Ok(())
    }

    /// Make `start` and `end` entry boundaries: an entry straddling either
    /// is split in two (UVM's clip_start/clip_end), the new part getting
    /// [`Backing::split_at`] of the old backing. Allocates at most two
    /// entries, before modifying anything ([`MapError::NoMem`] leaves the
    /// map unchanged). Afterwards each entry overlapping the range lies
    /// inside it, so the caller may change attributes of those entries
    /// directly (e.g. `wired_count`).
    pub fn clip<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
    ) -> Result<(), MapError> {
        self.check_range(start, end)?;
        if start == end {
            return Ok(());
        }
        self.clip_range(s, start, end)?;
        self.bump();
        Ok(())
    }

    /// Clip `[start, end)` and apply `f` to every entry in it (holes are
    /// fine). `f` must only change attribute fields.
    fn apply_range<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
        mut f: impl FnMut(&mut Entry<B, H>),
    ) -> Result<(), MapError> {
        self.check_range(start, end)?;
        if start == end {
            return Ok(());
        }
        self.clip_range(s, start, end)?;
        let mut cur = self.find_ge(s, start);
        while let Some(x) = cur {
            let e = s.get_mut(x);
            if e.start >= end {
                break;
            }
            f(e);
            let k = e.start;
            cur = self.find_ge(s, k + 1);
        }
        self.bump();
        Ok(())
    }

    // ----- unmapping and attribute changes -----

    /// Remove every mapping in `[start, end)` (page aligned, inside the
    /// map; holes are fine; an empty range is a no-op). Entries straddling
    /// either end are clipped first: at most two entries are allocated,
    /// before anything is modified, so [`MapError::NoMem`] leaves the map
    /// unchanged. The removed entries are returned, in address order, still
    /// in the store: pop them after releasing the map lock to drop their
    /// backings. The lookup hint is cleared if it was removed.
    pub fn unmap<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
    ) -> Result<Removed<H>, MapError> {
        self.check_range(start, end)?;
        let mut removed = Removed::new();
        if start == end {
            return Ok(removed);
        }
        self.clip_range(s, start, end)?;
        let mut reach = None;
        while let Some(x) = self.find_ge(s, start) {
            let e = s.get(x);
            if e.start >= end {
                break;
            }
            let (xs, xe, xg) = (e.start, e.end, e.gap_after);
            let gone = self.tree.remove(&mut Nodes::new(s), xs);
            debug_assert_eq!(gone, Some(x));
            self.size -= xe - xs;
            if self.hint == Some(x) {
                self.hint = None;
            }
            reach = Some(xe + xg);
            removed.push(s, x);
        }
        if let Some(reach) = reach
            && let Some(p) = self.find_le(s, start)
        {
            let gap = reach - s.get(p).end;
            self.set_gap(s, p, gap);
        }
        self.bump();
        Ok(removed)
    }

    /// Change the protection of `[start, end)` (holes are fine), following
    /// UVM: every entry in the range must have `prot ⊆ max_prot`, else
    /// [`MapError::Access`] with the map unchanged (checked before any
    /// clipping). Without `set_max` each entry's `prot` becomes `prot`;
    /// with it `max_prot` becomes `prot` and `prot` is clamped to it
    /// (old prot ∩ new max). Clipping allocates at most two entries
    /// ([`MapError::NoMem`] leaves the map unchanged). The caller updates
    /// the pmap.
    pub fn protect<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
        prot: Prot,
        set_max: bool,
    ) -> Result<(), MapError> {
        self.check_range(start, end)?;
        if start == end {
            return Ok(());
        }
        let mut cur = self.first_overlapping(s, start);
        while let Some(x) = cur {
            let e = s.get(x);
            if e.start >= end {
                break;
            }
            if !e.max_prot.contains(prot) {
                return Err(MapError::Access);
            }
            let k = e.start;
            cur = self.find_ge(s, k + 1);
        }
        self.apply_range(s, start, end, |e| {
            if set_max {
                e.max_prot = prot;
                e.prot &= prot;
            } else {
                e.prot = prot;
            }
        })
    }

    /// Set the inheritance of `[start, end)` (holes are fine). Clips
    /// (at most two entries allocated first).
    pub fn inherit<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
        inherit: Inherit,
    ) -> Result<(), MapError> {
        self.apply_range(s, start, end, |e| e.inherit = inherit)
    }

    /// Set the advice of `[start, end)` (holes are fine). Clips (at most
    /// two entries allocated first).
    pub fn advise<B: Backing, S: EntryStore<B, Handle = H>>(
        &mut self,
        s: &mut S,
        start: Vaddr,
        end: Vaddr,
        advice: Advice,
    ) -> Result<(), MapError> {
        self.apply_range(s, start, end, |e| e.advice = advice)
    }
}
