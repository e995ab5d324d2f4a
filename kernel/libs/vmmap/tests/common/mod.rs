//! Shared test fixtures: a `Vec` slab entry store that counts `get` calls
//! and can be told to fail allocations, test backings (object-offset style
//! and a reference-counted one), snapshots of a map's entries, and a small
//! deterministic PRNG.

#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

use ferrite_vmmap::*;

/// Slab store with a free list.
pub struct VecStore<B> {
    slots: Vec<Option<Entry<B, usize>>>,
    free_list: Vec<usize>,
    /// Fail every allocation while set.
    pub fail: bool,
    /// If `Some(n)`: the next `n` allocations succeed, later ones fail.
    pub fail_after: Option<usize>,
    /// Number of `get` calls.
    pub gets: Cell<u64>,
    /// Entries currently allocated.
    pub live: usize,
    /// Successful allocations so far.
    pub allocs: u64,
}

impl<B> Default for VecStore<B> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free_list: Vec::new(),
            fail: false,
            fail_after: None,
            gets: Cell::new(0),
            live: 0,
            allocs: 0,
        }
    }
}

impl<B> VecStore<B> {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<B> EntryStore<B> for VecStore<B> {
    type Handle = usize;

    fn alloc(&mut self, e: Entry<B, usize>) -> Option<usize> {
        if self.fail {
            return None;
        }
        if let Some(n) = self.fail_after.as_mut() {
            if *n == 0 {
                return None;
            }
            *n -= 1;
        }
        self.live += 1;
        self.allocs += 1;
        Some(match self.free_list.pop() {
            Some(h) => {
                self.slots[h] = Some(e);
                h
            }
            None => {
                self.slots.push(Some(e));
                self.slots.len() - 1
            }
        })
    }

    fn free(&mut self, h: usize) -> Entry<B, usize> {
        let e = self.slots[h].take().expect("double free");
        self.free_list.push(h);
        self.live -= 1;
        e
    }

    fn get(&self, h: usize) -> &Entry<B, usize> {
        self.gets.set(self.gets.get() + 1);
        self.slots[h].as_ref().expect("stale handle")
    }

    fn get_mut(&mut self, h: usize) -> &mut Entry<B, usize> {
        self.slots[h].as_mut().expect("stale handle")
    }
}

/// Test backing: anonymous (always mergeable with anonymous), or an object
/// at an offset (mergeable when the same object continues contiguously).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tb {
    Anon,
    Obj { id: u32, off: u64 },
}

impl Backing for Tb {
    fn split_at(&self, o: u64) -> Self {
        match *self {
            Tb::Anon => Tb::Anon,
            Tb::Obj { id, off } => Tb::Obj { id, off: off + o },
        }
    }
    fn can_merge(&self, len: u64, next: &Self) -> bool {
        match (self, next) {
            (Tb::Anon, Tb::Anon) => true,
            (Tb::Obj { id: a, off: x }, Tb::Obj { id: b, off: y }) => a == b && x + len == *y,
            _ => false,
        }
    }
}

/// RAII reference backing: every live value holds a strong count.
#[derive(Clone, Debug)]
pub struct RcB(pub Rc<()>);

impl Backing for RcB {
    fn split_at(&self, _o: u64) -> Self {
        self.clone()
    }
    fn can_merge(&self, _len: u64, next: &Self) -> bool {
        Rc::ptr_eq(&self.0, &next.0)
    }
}

/// An entry's visible content.
pub type Snap<B> = (u64, u64, Prot, Prot, Inherit, Advice, u32, EntryFlags, B);

pub fn snap_entry<B: Clone>(e: &Entry<B, usize>) -> Snap<B> {
    (
        e.start,
        e.end,
        e.prot,
        e.max_prot,
        e.inherit,
        e.advice,
        e.wired_count,
        e.flags,
        e.backing.clone(),
    )
}

/// Every entry in address order, plus nentries, size and timestamp.
pub fn snapshot<B: Clone>(m: &Map<usize>, s: &VecStore<B>) -> (Vec<Snap<B>>, usize, u64, u64) {
    let v = m.iter(s).map(|h| snap_entry(s.get(h))).collect();
    (v, m.nentries(), m.size(), m.timestamp())
}

/// `(start, end)` of every entry.
pub fn ranges<B>(m: &Map<usize>, s: &VecStore<B>) -> Vec<(u64, u64)> {
    m.iter(s).map(|h| (s.get(h).start, s.get(h).end)).collect()
}

pub const P: u64 = PAGE_SIZE;
pub const RW: Prot = Prot::READ.union(Prot::WRITE);
pub const RO: Prot = Prot::READ;

/// xorshift64*.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
