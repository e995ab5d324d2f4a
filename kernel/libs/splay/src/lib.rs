//! Top-down splay tree (Sleator–Tarjan) over caller-owned nodes.
//!
//! This crate owns only the tree *shape* bookkeeping: the root handle, the
//! node count and the splay/insert/remove algorithms. The nodes themselves
//! (their key, their two child links and any augmented data) live in memory
//! the caller owns and are reached through a [`SplayStore`] and copyable
//! handles. In the kernel a handle is a header address (pool page headers,
//! `vm_map` entries); in the host tests it is an index into a `Vec`.
//!
//! Design points:
//! - No allocation, no `unsafe`, no recursion anywhere: a degenerate tree (a
//!   path of 100,000 nodes after sequential inserts) is fine. Every operation
//!   uses O(1) extra space.
//! - [`SplayTree::splay`] is the simple top-down splay. The left and right
//!   assembly trees are chained through *reversed* child pointers during the
//!   descent (FreeBSD `vm_map_splay_split` style) and relinked bottom-up
//!   afterwards, so [`SplayStore::update`] can be called on each spine node
//!   after its children are final.
//! - Augmentation contract: `update(h)` is called for every node whose
//!   subtree changed, children before parents, and the root of the tree is
//!   always updated last by every splay. Consequently, if a node's *own*
//!   data changes (not its subtree), splaying its key (e.g. with
//!   [`SplayTree::find`]) brings it to the root and recomputes it and every
//!   node above it.
//! - Amortized O(log n) per splaying operation. [`SplayTree::first`],
//!   [`SplayTree::last`], [`SplayTree::next`], [`SplayTree::prev`] and
//!   [`SplayTree::iter`] do not splay (they take `&self` and `&S`) and cost
//!   O(depth) per call.
//!
//! ```
//! use ferrite_splay::{SplayStore, SplayTree};
//!
//! #[derive(Default)]
//! struct Node { key: u64, left: Option<usize>, right: Option<usize> }
//! struct Store(Vec<Node>);
//! impl SplayStore for Store {
//!     type Handle = usize;
//!     type Key = u64;
//!     fn key(&self, h: usize) -> u64 { self.0[h].key }
//!     fn left(&self, h: usize) -> Option<usize> { self.0[h].left }
//!     fn right(&self, h: usize) -> Option<usize> { self.0[h].right }
//!     fn set_left(&mut self, h: usize, c: Option<usize>) { self.0[h].left = c }
//!     fn set_right(&mut self, h: usize, c: Option<usize>) { self.0[h].right = c }
//! }
//!
//! let mut s = Store((0..4).map(|i| Node { key: i * 10, ..Node::default() }).collect());
//! let mut t = SplayTree::new();
//! for h in [2, 0, 3, 1] {
//!     t.insert(&mut s, h).unwrap();
//! }
//! assert_eq!(t.find_le(&mut s, 25), Some(2));
//! assert_eq!(t.root(), Some(2));
//! assert_eq!(t.remove(&mut s, 10), Some(1));
//! assert_eq!(t.iter(&s).collect::<Vec<_>>(), [0, 2, 3]);
//! t.check(&mut s).unwrap();
//! ```
#![no_std]
#![forbid(unsafe_code)]

use core::cmp::Ordering;
use core::fmt::Debug;

/// Access to caller-owned tree nodes.
///
/// A node's key must not change while it is in a tree. Links of nodes not
/// in a tree are never read by [`SplayTree`].
pub trait SplayStore {
    /// Copyable node reference (a header address in the kernel).
    type Handle: Copy + Eq + Debug;
    /// The ordering key.
    type Key: Ord + Copy + Debug;
    /// The key of `h`.
    fn key(&self, h: Self::Handle) -> Self::Key;
    /// Left child of `h`.
    fn left(&self, h: Self::Handle) -> Option<Self::Handle>;
    /// Right child of `h`.
    fn right(&self, h: Self::Handle) -> Option<Self::Handle>;
    /// Set the left child of `h`.
    fn set_left(&mut self, h: Self::Handle, child: Option<Self::Handle>);
    /// Set the right child of `h`.
    fn set_right(&mut self, h: Self::Handle, child: Option<Self::Handle>);
    /// Recompute `h`'s augmented data from `h` itself and its (already up to
    /// date) children. Called bottom-up for every node whose subtree changed.
    /// Default: nothing.
    fn update(&mut self, _h: Self::Handle) {}
}

/// A splay tree: a root handle and a node count. The nodes belong to the
/// caller's [`SplayStore`]; always pass the same store.
///
/// `Clone` copies the handles only: the clone and the original then share
/// nodes, and modifying one corrupts the other.
#[derive(Debug, Clone)]
pub struct SplayTree<H> {
    root: Option<H>,
    len: usize,
}

impl<H> Default for SplayTree<H> {
    fn default() -> Self {
        Self { root: None, len: 0 }
    }
}

impl<H: Copy + Eq + Debug> SplayTree<H> {
    /// An empty tree.
    pub const fn new() -> Self {
        Self { root: None, len: 0 }
    }

    /// The root node, if any.
    pub fn root(&self) -> Option<H> {
        self.root
    }

    /// Number of nodes in the tree.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Top-down splay for `key`: afterwards the root is the node with that
    /// key or, if there is none, the last node on its search path, which is
    /// the key's predecessor or successor in the tree. Calls
    /// [`SplayStore::update`] bottom-up on every node whose subtree changed,
    /// ending with the (new) root. No-op on an empty tree.
    pub fn splay<S: SplayStore<Handle = H>>(&mut self, s: &mut S, key: S::Key) {
        if let Some(r) = self.root {
            self.root = Some(splay_subtree(s, r, key));
        }
    }

    /// The node with `key`, if any. Splays (the node found is the new root).
    pub fn find<S: SplayStore<Handle = H>>(&mut self, s: &mut S, key: S::Key) -> Option<H> {
        self.splay(s, key);
        self.root.filter(|&r| s.key(r) == key)
    }

    /// The node with the greatest key `<= key`, if any. Splays: the node
    /// returned is the new root.
    pub fn find_le<S: SplayStore<Handle = H>>(&mut self, s: &mut S, key: S::Key) -> Option<H> {
        self.splay(s, key);
        let r = self.root?;
        if s.key(r) <= key {
            return Some(r);
        }
        // The root is the successor of `key`, so its left subtree holds
        // exactly the keys < `key`; the answer is that subtree's maximum.
        // Its right spine is the left assembly spine just built, so walking
        // it is paid for by the splay.
        let mut m = s.left(r)?;
        while let Some(x) = s.right(m) {
            m = x;
        }
        let mk = s.key(m);
        self.splay(s, mk);
        Some(m)
    }

    /// The node with the smallest key `>= key`, if any. Splays: the node
    /// returned is the new root.
    pub fn find_ge<S: SplayStore<Handle = H>>(&mut self, s: &mut S, key: S::Key) -> Option<H> {
        self.splay(s, key);
        let r = self.root?;
        if s.key(r) >= key {
            return Some(r);
        }
        let mut m = s.right(r)?;
        while let Some(x) = s.left(m) {
            m = x;
        }
        let mk = s.key(m);
        self.splay(s, mk);
        Some(m)
    }

    /// Insert node `h` (its links are overwritten). `Err(existing)` if a
    /// node with the same key is already in the tree; the tree's content is
    /// then unchanged (its shape may have changed by the splay) and `h` is
    /// not touched. On success `h` is the new root.
    pub fn insert<S: SplayStore<Handle = H>>(&mut self, s: &mut S, h: H) -> Result<(), H> {
        let key = s.key(h);
        let Some(root) = self.root else {
            s.set_left(h, None);
            s.set_right(h, None);
            s.update(h);
            self.root = Some(h);
            self.len = 1;
            return Ok(());
        };
        let r = splay_subtree(s, root, key);
        self.root = Some(r);
        match key.cmp(&s.key(r)) {
            Ordering::Equal => return Err(r),
            Ordering::Less => {
                // r is the successor: h takes r's left subtree, r goes right.
                let l = s.left(r);
                s.set_left(h, l);
                s.set_right(h, Some(r));
                s.set_left(r, None);
            }
            Ordering::Greater => {
                let rr = s.right(r);
                s.set_right(h, rr);
                s.set_left(h, Some(r));
                s.set_right(r, None);
            }
        }
        s.update(r);
        s.update(h);
        self.root = Some(h);
        self.len += 1;
        Ok(())
    }

    /// Remove and return the node with `key`. The removed node's links are
    /// cleared to `None`; the new root is its predecessor if it had a left
    /// subtree, else its successor.
    pub fn remove<S: SplayStore<Handle = H>>(&mut self, s: &mut S, key: S::Key) -> Option<H> {
        let r = self.find(s, key)?;
        let l = s.left(r);
        let rr = s.right(r);
        self.root = match (l, rr) {
            (None, rr) => rr,
            (l, None) => l,
            (Some(l), Some(rr)) => {
                // Every key in `l` is < key, so splaying `l` for `key`
                // brings its maximum to its root, with no right child.
                let m = splay_subtree(s, l, key);
                s.set_right(m, Some(rr));
                s.update(m);
                Some(m)
            }
        };
        s.set_left(r, None);
        s.set_right(r, None);
        self.len -= 1;
        Some(r)
    }

    /// The node with the smallest key. Does not splay; O(depth).
    pub fn first<S: SplayStore<Handle = H>>(&self, s: &S) -> Option<H> {
        let mut t = self.root?;
        while let Some(l) = s.left(t) {
            t = l;
        }
        Some(t)
    }

    /// The node with the greatest key. Does not splay; O(depth).
    pub fn last<S: SplayStore<Handle = H>>(&self, s: &S) -> Option<H> {
        let mut t = self.root?;
        while let Some(r) = s.right(t) {
            t = r;
        }
        Some(t)
    }

    /// The node with the smallest key `> key` (`key` need not be in the
    /// tree). Does not splay; O(depth).
    pub fn next<S: SplayStore<Handle = H>>(&self, s: &S, key: S::Key) -> Option<H> {
        let mut best = None;
        let mut t = self.root;
        while let Some(x) = t {
            if s.key(x) > key {
                best = Some(x);
                t = s.left(x);
            } else {
                t = s.right(x);
            }
        }
        best
    }

    /// The node with the greatest key `< key` (`key` need not be in the
    /// tree). Does not splay; O(depth).
    pub fn prev<S: SplayStore<Handle = H>>(&self, s: &S, key: S::Key) -> Option<H> {
        let mut best = None;
        let mut t = self.root;
        while let Some(x) = t {
            if s.key(x) < key {
                best = Some(x);
                t = s.right(x);
            } else {
                t = s.left(x);
            }
        }
        best
    }

    /// All nodes in increasing key order, via [`Self::first`] and
    /// [`Self::next`]: O(depth) per item, no splaying, no extra space.
    pub fn iter<'a, S: SplayStore<Handle = H>>(&'a self, s: &'a S) -> impl Iterator<Item = H> + 'a {
        core::iter::successors(self.first(s), move |&h| self.next(s, s.key(h)))
    }

    /// Forget all nodes (O(1)). The nodes' links are left as they are.
    pub fn clear(&mut self) {
        self.root = None;
        self.len = 0;
    }

    /// Check the tree: in-order keys strictly increasing and node count ==
    /// [`Self::len`]. O(n) time, O(1) space: a Morris (threaded) in-order
    /// traversal that temporarily rethreads right links and restores every
    /// one of them before returning (hence `&mut S`). Never calls
    /// [`SplayStore::update`].
    ///
    /// Only the link structure must be a tree for the traversal to be
    /// exact: wrong key order or a wrong `len` are reported with every link
    /// restored. If the links are not a tree at all (a cycle or a shared
    /// node), the traversal gives up after a step bound proportional to
    /// `len` and reports that; links may then be left threaded.
    pub fn check<S: SplayStore<Handle = H>>(&self, s: &mut S) -> Result<(), &'static str> {
        // A valid tree of n nodes takes at most 4n steps (each node is the
        // cursor at most twice, each link of a right spine of a left
        // subtree is walked at most twice).
        let bound = self.len.saturating_add(4).saturating_mul(16);
        let mut steps = 0usize;
        let mut err: Option<&'static str> = None;
        let mut count = 0usize;
        let mut last_key: Option<S::Key> = None;
        let mut visit = |k: S::Key, err: &mut Option<&'static str>| {
            count += 1;
            if let Some(pk) = last_key
                && pk >= k
                && err.is_none()
            {
                *err = Some("splay: in-order keys not strictly increasing");
            }
            last_key = Some(k);
        };
        let mut cur = self.root;
        while let Some(c) = cur {
            steps += 1;
            if steps > bound {
                return Err("splay: links do not form a tree (traversal exceeded bound)");
            }
            match s.left(c) {
                None => {
                    visit(s.key(c), &mut err);
                    cur = s.right(c);
                }
                Some(l) => {
                    // In-order predecessor of c: rightmost node of c's left
                    // subtree, or the node already threaded back to c.
                    let mut p = l;
                    let threaded = loop {
                        match s.right(p) {
                            None => break false,
                            Some(x) if x == c => break true,
                            Some(x) => {
                                steps += 1;
                                if steps > bound {
                                    return Err(
                                        "splay: links do not form a tree (traversal exceeded bound)",
                                    );
                                }
                                p = x;
                            }
                        }
                    };
                    if threaded {
                        s.set_right(p, None);
                        visit(s.key(c), &mut err);
                        cur = s.right(c);
                    } else {
                        s.set_right(p, Some(c));
                        cur = Some(l);
                    }
                }
            }
        }
        if let Some(e) = err {
            return Err(e);
        }
        if count != self.len {
            return Err("splay: node count does not match len");
        }
        Ok(())
    }
}

/// Top-down splay of the subtree rooted at `t` for `key`; returns the new
/// subtree root (the node with `key`, or its predecessor or successor in the
/// subtree).
///
/// During the descent, nodes known to be smaller than `key` are pushed on
/// `llist`, chained through their (reversed) right links, and nodes known to
/// be greater on `rlist` through their left links; the other link of each is
/// its final, untouched subtree. Each list's head is the deepest spine node,
/// so relinking walks it bottom-up and can `update` each node after its
/// children are final.
fn splay_subtree<S: SplayStore>(s: &mut S, mut t: S::Handle, key: S::Key) -> S::Handle {
    let mut llist: Option<S::Handle> = None;
    let mut rlist: Option<S::Handle> = None;
    loop {
        match key.cmp(&s.key(t)) {
            Ordering::Equal => break,
            Ordering::Less => {
                let Some(mut y) = s.left(t) else { break };
                if key < s.key(y) {
                    // Zig-zig: rotate right at t; t's children are final.
                    let yr = s.right(y);
                    s.set_left(t, yr);
                    s.set_right(y, Some(t));
                    s.update(t);
                    t = y;
                    match s.left(t) {
                        Some(n) => y = n,
                        None => break,
                    }
                }
                // Link t into the right assembly tree.
                s.set_left(t, rlist);
                rlist = Some(t);
                t = y;
            }
            Ordering::Greater => {
                let Some(mut y) = s.right(t) else { break };
                if key > s.key(y) {
                    // Zag-zag: rotate left at t.
                    let yl = s.left(y);
                    s.set_right(t, yl);
                    s.set_left(y, Some(t));
                    s.update(t);
                    t = y;
                    match s.right(t) {
                        Some(n) => y = n,
                        None => break,
                    }
                }
                s.set_right(t, llist);
                llist = Some(t);
                t = y;
            }
        }
    }
    // Reassemble: the left tree's right spine ends in t's old left subtree,
    // the right tree's left spine in t's old right subtree.
    let mut acc = s.left(t);
    let mut n = llist;
    while let Some(x) = n {
        n = s.right(x);
        s.set_right(x, acc);
        s.update(x);
        acc = Some(x);
    }
    s.set_left(t, acc);
    let mut acc = s.right(t);
    let mut n = rlist;
    while let Some(x) = n {
        n = s.left(x);
        s.set_left(x, acc);
        s.update(x);
        acc = Some(x);
    }
    s.set_right(t, acc);
    s.update(t);
    t
}
