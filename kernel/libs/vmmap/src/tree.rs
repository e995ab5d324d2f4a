//! The splay-tree view of an entry store.
//!
//! This module owns [`Nodes`], the adapter that lets [`ferrite_splay`] link
//! entries of an [`EntryStore`] by their `left`/`right` fields, keyed by
//! `start`, and the `max_gap` augmentation computed in
//! [`SplayStore::update`]. Refreshing an entry whose own `gap_after` changed
//! means splaying its key (see `Map::refresh`).

use core::marker::PhantomData;

use ferrite_splay::SplayStore;

use crate::Vaddr;
use crate::entry::EntryStore;

/// `&mut S` seen as a [`SplayStore`] keyed by entry start.
pub(crate) struct Nodes<'a, B, S> {
    s: &'a mut S,
    _b: PhantomData<fn() -> B>,
}

impl<'a, B, S: EntryStore<B>> Nodes<'a, B, S> {
    pub(crate) fn new(s: &'a mut S) -> Self {
        Self { s, _b: PhantomData }
    }
}

impl<B, S: EntryStore<B>> SplayStore for Nodes<'_, B, S> {
    type Handle = S::Handle;
    type Key = Vaddr;

    fn key(&self, h: S::Handle) -> Vaddr {
        self.s.get(h).start
    }
    fn left(&self, h: S::Handle) -> Option<S::Handle> {
        self.s.get(h).left
    }
    fn right(&self, h: S::Handle) -> Option<S::Handle> {
        self.s.get(h).right
    }
    fn set_left(&mut self, h: S::Handle, c: Option<S::Handle>) {
        self.s.get_mut(h).left = c;
    }
    fn set_right(&mut self, h: S::Handle, c: Option<S::Handle>) {
        self.s.get_mut(h).right = c;
    }
    /// `max_gap = max(gap_after, left.max_gap, right.max_gap)`.
    fn update(&mut self, h: S::Handle) {
        let e = self.s.get(h);
        let (l, r, mut m) = (e.left, e.right, e.gap_after);
        if let Some(l) = l {
            m = m.max(self.s.get(l).max_gap);
        }
        if let Some(r) = r {
            m = m.max(self.s.get(r).max_gap);
        }
        self.s.get_mut(h).max_gap = m;
    }
}

/// The `max_gap` of an optional subtree (0 if empty).
pub(crate) fn subtree_max_gap<B, S: EntryStore<B>>(s: &S, h: Option<S::Handle>) -> u64 {
    h.map_or(0, |h| s.get(h).max_gap)
}
