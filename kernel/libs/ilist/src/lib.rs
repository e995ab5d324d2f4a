//! Intrusive doubly linked lists over caller-owned nodes, and the pool
//! allocator's three per-pool page lists.
//!
//! This crate owns list bookkeeping only: head, tail and length of each
//! list, and the O(1) link surgery. The `next`/`prev` links live in memory
//! the caller owns (pool page headers) and are reached through a
//! [`ListStore`] with copyable handles (a header address in the kernel, an
//! index into a `Vec` in the tests). No allocation, no `unsafe`.
//!
//! Node convention: a node that is on no list has both links `None`.
//! [`List::remove`] and [`List::pop_front`] leave removed nodes so, and new
//! nodes must be created so; the push operations `debug_assert` it to catch
//! double insertion.
//!
//! ```
//! use ferrite_ilist::{list_for, ListStore, PageList, PageLists};
//!
//! #[derive(Default, Clone)]
//! struct Hdr { next: Option<usize>, prev: Option<usize>, used: usize }
//! struct Store(Vec<Hdr>);
//! impl ListStore for Store {
//!     type Handle = usize;
//!     fn next(&self, h: usize) -> Option<usize> { self.0[h].next }
//!     fn prev(&self, h: usize) -> Option<usize> { self.0[h].prev }
//!     fn set_next(&mut self, h: usize, v: Option<usize>) { self.0[h].next = v }
//!     fn set_prev(&mut self, h: usize, v: Option<usize>) { self.0[h].prev = v }
//! }
//!
//! const CAP: usize = 4;
//! let mut s = Store(vec![Hdr::default(); 2]);
//! let mut pl = PageLists::new();
//! pl.insert(&mut s, 0, 0, CAP);
//! pl.insert(&mut s, 1, 0, CAP);
//! // Allocate one item from page 1: it moves empty -> partial.
//! pl.transition(&mut s, 1, 0, 1, CAP);
//! assert_eq!(pl.partial.head(), Some(1));
//! assert_eq!(list_for(1, CAP), PageList::Partial);
//! assert_eq!(pl.pages(), 2);
//! pl.check(&s).unwrap();
//! ```
#![no_std]
#![forbid(unsafe_code)]

use core::fmt::Debug;

/// Access to the caller-owned `next`/`prev` links of list nodes.
pub trait ListStore {
    /// Copyable node reference (a header address in the kernel).
    type Handle: Copy + Eq + Debug;
    /// The node after `h`.
    fn next(&self, h: Self::Handle) -> Option<Self::Handle>;
    /// The node before `h`.
    fn prev(&self, h: Self::Handle) -> Option<Self::Handle>;
    /// Set the node after `h`.
    fn set_next(&mut self, h: Self::Handle, v: Option<Self::Handle>);
    /// Set the node before `h`.
    fn set_prev(&mut self, h: Self::Handle, v: Option<Self::Handle>);
}

/// An intrusive doubly linked list: head, tail and length. The nodes belong
/// to the caller's [`ListStore`]; always pass the same store.
///
/// `Clone` copies the handles only (the clone shares the nodes).
#[derive(Debug, Clone)]
pub struct List<H> {
    head: Option<H>,
    tail: Option<H>,
    len: usize,
}

impl<H> Default for List<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> List<H> {
    /// An empty list.
    pub const fn new() -> Self {
        Self {
            head: None,
            tail: None,
            len: 0,
        }
    }
}

impl<H: Copy + Eq + Debug> List<H> {
    /// First node.
    pub fn head(&self) -> Option<H> {
        self.head
    }

    /// Last node.
    pub fn tail(&self) -> Option<H> {
        self.tail
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn debug_assert_unlinked<S: ListStore<Handle = H>>(&self, s: &S, h: H) {
        debug_assert!(
            s.next(h).is_none() && s.prev(h).is_none() && self.head != Some(h),
            "ilist: pushing node {h:?} that is already on a list"
        );
    }

    /// Insert `h` (currently on no list) at the front. O(1).
    pub fn push_front<S: ListStore<Handle = H>>(&mut self, s: &mut S, h: H) {
        self.debug_assert_unlinked(s, h);
        s.set_prev(h, None);
        s.set_next(h, self.head);
        match self.head {
            Some(old) => s.set_prev(old, Some(h)),
            None => self.tail = Some(h),
        }
        self.head = Some(h);
        self.len += 1;
    }

    /// Insert `h` (currently on no list) at the back. O(1).
    pub fn push_back<S: ListStore<Handle = H>>(&mut self, s: &mut S, h: H) {
        self.debug_assert_unlinked(s, h);
        s.set_next(h, None);
        s.set_prev(h, self.tail);
        match self.tail {
            Some(old) => s.set_next(old, Some(h)),
            None => self.head = Some(h),
        }
        self.tail = Some(h);
        self.len += 1;
    }

    /// Remove and return the first node (its links are cleared). O(1).
    pub fn pop_front<S: ListStore<Handle = H>>(&mut self, s: &mut S) -> Option<H> {
        let h = self.head?;
        self.remove(s, h);
        Some(h)
    }

    /// Unlink `h`, which must be on this list; its links are cleared. O(1),
    /// never searches. Debug builds check that `h`'s neighbours point back
    /// at it and that, if `h` is an end of the list, it is this list's end.
    pub fn remove<S: ListStore<Handle = H>>(&mut self, s: &mut S, h: H) {
        debug_assert!(self.len > 0, "ilist: remove {h:?} from an empty list");
        let p = s.prev(h);
        let n = s.next(h);
        match p {
            Some(p) => {
                debug_assert_eq!(s.next(p), Some(h), "ilist: broken prev link of {h:?}");
                s.set_next(p, n);
            }
            None => {
                debug_assert_eq!(self.head, Some(h), "ilist: {h:?} is not on this list");
                self.head = n;
            }
        }
        match n {
            Some(n) => {
                debug_assert_eq!(s.prev(n), Some(h), "ilist: broken next link of {h:?}");
                s.set_prev(n, p);
            }
            None => {
                debug_assert_eq!(self.tail, Some(h), "ilist: {h:?} is not on this list");
                self.tail = p;
            }
        }
        s.set_next(h, None);
        s.set_prev(h, None);
        self.len -= 1;
    }

    /// The nodes from head to tail. Yields at most [`Self::len`] nodes, so
    /// it terminates even on corrupt links (use [`Self::check`] to find
    /// those).
    pub fn iter<'a, S: ListStore<Handle = H>>(&'a self, s: &'a S) -> impl Iterator<Item = H> + 'a {
        core::iter::successors(self.head, move |&h| s.next(h)).take(self.len)
    }

    /// Check the list: every `next` link is mirrored by the following node's
    /// `prev`, `head.prev` and `tail.next` are `None`, the last node reached
    /// is `tail`, and the node count equals [`Self::len`]. O(len); stops
    /// after `len + 1` nodes, so cycles are reported, not looped on.
    pub fn check<S: ListStore<Handle = H>>(&self, s: &S) -> Result<(), &'static str> {
        let mut count = 0usize;
        let mut last: Option<H> = None;
        let mut cur = self.head;
        while let Some(c) = cur {
            if count == self.len {
                return Err("ilist: more nodes than len (or a cycle)");
            }
            if s.prev(c) != last {
                return Err("ilist: prev link does not mirror next link");
            }
            count += 1;
            last = Some(c);
            cur = s.next(c);
        }
        if count != self.len {
            return Err("ilist: fewer nodes than len");
        }
        if self.tail != last {
            return Err("ilist: tail is not the last node");
        }
        Ok(())
    }
}

/// Which of the three pool lists a page is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageList {
    /// No item of the page is allocated.
    Empty,
    /// Some but not all items are allocated.
    Partial,
    /// All items are allocated.
    Full,
}

/// Which of the three pool lists a page with `used` of `capacity` items
/// belongs on: `used == 0` → Empty, `used == capacity` → Full, else Partial.
/// `capacity` must be at least 1 and `used <= capacity` (debug-asserted).
pub fn list_for(used: usize, capacity: usize) -> PageList {
    debug_assert!(capacity >= 1, "ilist: page capacity 0");
    debug_assert!(used <= capacity, "ilist: used {used} > capacity {capacity}");
    if used == 0 {
        PageList::Empty
    } else if used >= capacity {
        PageList::Full
    } else {
        PageList::Partial
    }
}

/// Three lists plus the O(1) transition: a page's list is a function of its
/// use count ([`list_for`]).
///
/// Placement policy (NetBSD `pool`): a page arriving on Partial or Empty
/// goes to the front (the first partial page is the one allocated from
/// next), a page arriving on Full goes to the back.
#[derive(Debug, Clone)]
pub struct PageLists<H> {
    /// Pages with no item allocated.
    pub empty: List<H>,
    /// Pages with some items allocated.
    pub partial: List<H>,
    /// Pages with every item allocated.
    pub full: List<H>,
}

impl<H> Default for PageLists<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> PageLists<H> {
    /// Three empty lists.
    pub const fn new() -> Self {
        Self {
            empty: List::new(),
            partial: List::new(),
            full: List::new(),
        }
    }

    /// The list `which`.
    pub fn list(&mut self, which: PageList) -> &mut List<H> {
        match which {
            PageList::Empty => &mut self.empty,
            PageList::Partial => &mut self.partial,
            PageList::Full => &mut self.full,
        }
    }

    /// The list `which`, shared.
    pub fn get(&self, which: PageList) -> &List<H> {
        match which {
            PageList::Empty => &self.empty,
            PageList::Partial => &self.partial,
            PageList::Full => &self.full,
        }
    }
}

impl<H: Copy + Eq + Debug> PageLists<H> {
    /// Put `h` (on no list) on `which`, front or back per the policy.
    fn place<S: ListStore<Handle = H>>(&mut self, s: &mut S, h: H, which: PageList) {
        match which {
            PageList::Empty => self.empty.push_front(s, h),
            PageList::Partial => self.partial.push_front(s, h),
            PageList::Full => self.full.push_back(s, h),
        }
    }

    /// Move `h` from the list for `old_used` to the list for `new_used` if
    /// they differ; nothing otherwise. O(1), never searches. `h` must be on
    /// the list for `old_used`.
    pub fn transition<S: ListStore<Handle = H>>(
        &mut self,
        s: &mut S,
        h: H,
        old_used: usize,
        new_used: usize,
        capacity: usize,
    ) {
        let from = list_for(old_used, capacity);
        let to = list_for(new_used, capacity);
        if from != to {
            self.list(from).remove(s, h);
            self.place(s, h, to);
        }
    }

    /// Add a new page `h` (on no list) with `used` items allocated to the
    /// list for `used`. O(1).
    pub fn insert<S: ListStore<Handle = H>>(
        &mut self,
        s: &mut S,
        h: H,
        used: usize,
        capacity: usize,
    ) {
        self.place(s, h, list_for(used, capacity));
    }

    /// Take page `h`, which has `used` items allocated, off its list. O(1).
    pub fn remove<S: ListStore<Handle = H>>(
        &mut self,
        s: &mut S,
        h: H,
        used: usize,
        capacity: usize,
    ) {
        self.list(list_for(used, capacity)).remove(s, h);
    }

    /// Total number of pages on the three lists.
    pub fn pages(&self) -> usize {
        self.empty.len() + self.partial.len() + self.full.len()
    }

    /// [`List::check`] each of the three lists.
    pub fn check<S: ListStore<Handle = H>>(&self, s: &S) -> Result<(), &'static str> {
        self.empty.check(s)?;
        self.partial.check(s)?;
        self.full.check(s)
    }

    /// [`Self::check`], and also that every page is on the list
    /// [`list_for`] says for its use count `used(h)`. O(pages).
    pub fn check_placement<S: ListStore<Handle = H>>(
        &self,
        s: &S,
        capacity: usize,
        used: impl Fn(H) -> usize,
    ) -> Result<(), &'static str> {
        self.check(s)?;
        for which in [PageList::Empty, PageList::Partial, PageList::Full] {
            for h in self.get(which).iter(s) {
                let u = used(h);
                if u > capacity {
                    return Err("ilist: page use count above capacity");
                }
                if list_for(u, capacity) != which {
                    return Err("ilist: page on the wrong list for its use count");
                }
            }
        }
        Ok(())
    }
}
