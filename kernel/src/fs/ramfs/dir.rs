//! A RAM file system directory's entries: names to vnodes, with stable
//! readdir positions.
//!
//! Each entry gets a cookie when it is added, from a counter that only
//! grows: cookie 0 is `.`, 1 is `..`, entries start at 2. Reading the
//! directory walks the entries in cookie order from a cookie, and the
//! `d_off` of an entry is its cookie plus one, so a reader that stops and
//! resumes (getdents64 in several calls, lseek to a `d_off`) neither skips
//! nor repeats an entry that was there all along, whatever is added or
//! removed in between (new entries come at the end). Names are found
//! through a second index.
//!
//! This file owns the two indexes; the directory's lock, its link count
//! and its parent are `node.rs`'s.

use crate::fs::vnode::{DirEntry, VType, VnodeRef};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;

/// The cookie of the first real entry.
pub const FIRST_COOKIE: u64 = 2;

struct Entry {
    name: Box<[u8]>,
    vnode: VnodeRef,
}

/// The entries of one directory.
pub struct DirTable {
    by_name: BTreeMap<Box<[u8]>, u64>,
    by_cookie: BTreeMap<u64, Entry>,
    next_cookie: u64,
}

impl DirTable {
    pub const fn new() -> DirTable {
        DirTable {
            by_name: BTreeMap::new(),
            by_cookie: BTreeMap::new(),
            next_cookie: FIRST_COOKIE,
        }
    }

    pub fn len(&self) -> usize {
        self.by_cookie.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_cookie.is_empty()
    }

    pub fn get(&self, name: &[u8]) -> Option<&VnodeRef> {
        let c = self.by_name.get(name)?;
        self.by_cookie.get(c).map(|e| &e.vnode)
    }

    /// Add `name` (the caller checked it is free).
    pub fn insert(&mut self, name: &[u8], vnode: VnodeRef) {
        debug_assert!(!self.by_name.contains_key(name));
        let c = self.next_cookie;
        self.next_cookie += 1;
        self.by_name.insert(Box::from(name), c);
        self.by_cookie.insert(
            c,
            Entry {
                name: Box::from(name),
                vnode,
            },
        );
    }

    /// Remove `name`; returns its vnode.
    pub fn remove(&mut self, name: &[u8]) -> Option<VnodeRef> {
        let c = self.by_name.remove(name)?;
        let vnode = self.by_cookie.remove(&c).map(|e| e.vnode);
        if self.by_cookie.is_empty() {
            // An emptied BTreeMap keeps its root node: give it back, so an
            // empty directory holds no memory (the leak checks count it).
            self.by_name = BTreeMap::new();
            self.by_cookie = BTreeMap::new();
        }
        vnode
    }

    /// Put `vnode` in place of what `name` names (rename over an existing
    /// entry keeps the entry's position); returns the old vnode.
    pub fn replace(&mut self, name: &[u8], vnode: VnodeRef) -> Option<VnodeRef> {
        let c = *self.by_name.get(name)?;
        let e = self.by_cookie.get_mut(&c)?;
        Some(core::mem::replace(&mut e.vnode, vnode))
    }

    /// Hand entries from `cookie` on to `sink` (`.` and `..` first, with
    /// the inode numbers given) until it says stop; returns the cookie to
    /// resume from.
    pub fn read(
        &self,
        cookie: u64,
        dot_ino: u64,
        dotdot_ino: u64,
        sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> u64 {
        let mut c = cookie;
        if c == 0 {
            let e = DirEntry {
                ino: dot_ino,
                vtype: VType::Dir,
                name: b".",
                next: 1,
            };
            if !sink(&e) {
                return c;
            }
            c = 1;
        }
        if c == 1 {
            let e = DirEntry {
                ino: dotdot_ino,
                vtype: VType::Dir,
                name: b"..",
                next: FIRST_COOKIE,
            };
            if !sink(&e) {
                return c;
            }
            c = FIRST_COOKIE;
        }
        for (&k, e) in self.by_cookie.range(c..) {
            let d = DirEntry {
                ino: e.vnode.ino(),
                vtype: e.vnode.vtype(),
                name: &e.name,
                next: k + 1,
            };
            if !sink(&d) {
                return k;
            }
            c = k + 1;
        }
        c
    }
}
