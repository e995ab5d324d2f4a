//! Shared test fixtures: `Vec`-backed node stores (a plain one that counts
//! link reads and `update` calls, and an augmented one keeping subtree size
//! and subtree maximum payload), a from-scratch checker for the augmented
//! fields, and a small deterministic PRNG.

#![allow(dead_code)]

use core::cell::Cell;
use ferrite_splay::{SplayStore, SplayTree};

#[derive(Clone, Debug, Default)]
pub struct Node {
    pub key: u64,
    pub left: Option<usize>,
    pub right: Option<usize>,
}

/// Plain store; `update` is the trait default (nothing) but counted.
#[derive(Default)]
pub struct Store {
    pub nodes: Vec<Node>,
    pub link_reads: Cell<u64>,
    pub updates: u64,
}

impl Store {
    pub fn with_keys(keys: impl IntoIterator<Item = u64>) -> Self {
        let mut s = Store::default();
        for k in keys {
            s.add(k);
        }
        s
    }

    /// Add an unlinked node with key `k`; returns its handle.
    pub fn add(&mut self, key: u64) -> usize {
        self.nodes.push(Node {
            key,
            left: None,
            right: None,
        });
        self.nodes.len() - 1
    }

    pub fn links(&self) -> Vec<(Option<usize>, Option<usize>)> {
        self.nodes.iter().map(|n| (n.left, n.right)).collect()
    }
}

impl SplayStore for Store {
    type Handle = usize;
    type Key = u64;
    fn key(&self, h: usize) -> u64 {
        self.nodes[h].key
    }
    fn left(&self, h: usize) -> Option<usize> {
        self.link_reads.set(self.link_reads.get() + 1);
        self.nodes[h].left
    }
    fn right(&self, h: usize) -> Option<usize> {
        self.link_reads.set(self.link_reads.get() + 1);
        self.nodes[h].right
    }
    fn set_left(&mut self, h: usize, c: Option<usize>) {
        self.nodes[h].left = c;
    }
    fn set_right(&mut self, h: usize, c: Option<usize>) {
        self.nodes[h].right = c;
    }
    fn update(&mut self, _h: usize) {
        self.updates += 1;
    }
}

#[derive(Clone, Debug, Default)]
pub struct AugNode {
    pub key: u64,
    pub value: u64,
    pub left: Option<usize>,
    pub right: Option<usize>,
    /// Augmented: number of nodes in the subtree.
    pub size: usize,
    /// Augmented: largest `value` in the subtree.
    pub max: u64,
}

/// Store whose `update` maintains `size` and `max`.
#[derive(Default)]
pub struct AugStore {
    pub nodes: Vec<AugNode>,
}

impl AugStore {
    pub fn add(&mut self, key: u64, value: u64) -> usize {
        // Deliberately stale augmented fields: insert must update them.
        self.nodes.push(AugNode {
            key,
            value,
            left: None,
            right: None,
            size: 999,
            max: 999,
        });
        self.nodes.len() - 1
    }
}

impl SplayStore for AugStore {
    type Handle = usize;
    type Key = u64;
    fn key(&self, h: usize) -> u64 {
        self.nodes[h].key
    }
    fn left(&self, h: usize) -> Option<usize> {
        self.nodes[h].left
    }
    fn right(&self, h: usize) -> Option<usize> {
        self.nodes[h].right
    }
    fn set_left(&mut self, h: usize, c: Option<usize>) {
        self.nodes[h].left = c;
    }
    fn set_right(&mut self, h: usize, c: Option<usize>) {
        self.nodes[h].right = c;
    }
    fn update(&mut self, h: usize) {
        let n = &self.nodes[h];
        let (mut size, mut max) = (1, n.value);
        for c in [n.left, n.right].into_iter().flatten() {
            size += self.nodes[c].size;
            max = max.max(self.nodes[c].max);
        }
        let n = &mut self.nodes[h];
        n.size = size;
        n.max = max;
    }
}

/// Recompute every reachable node's (size, max) from scratch, bottom-up,
/// with an explicit stack (post-order), and compare with the stored fields.
pub fn check_augmented(t: &SplayTree<usize>, s: &AugStore) -> Result<(), String> {
    let Some(root) = t.root() else {
        return Ok(());
    };
    let mut truth: Vec<Option<(usize, u64)>> = vec![None; s.nodes.len()];
    // (node, children pushed?)
    let mut stack = vec![(root, false)];
    let mut seen = 0usize;
    while let Some((h, expanded)) = stack.pop() {
        let n = &s.nodes[h];
        if !expanded {
            seen += 1;
            if seen > s.nodes.len() {
                return Err("cycle".into());
            }
            stack.push((h, true));
            for c in [n.left, n.right].into_iter().flatten() {
                stack.push((c, false));
            }
        } else {
            let (mut size, mut max) = (1, n.value);
            for c in [n.left, n.right].into_iter().flatten() {
                let (cs, cm) = truth[c].expect("child computed before parent");
                size += cs;
                max = max.max(cm);
            }
            truth[h] = Some((size, max));
            if (n.size, n.max) != (size, max) {
                return Err(format!(
                    "node {h} (key {}): stored size/max {:?}, expected {:?}",
                    n.key,
                    (n.size, n.max),
                    (size, max)
                ));
            }
        }
    }
    if truth[root].unwrap().0 != t.len() {
        return Err("root size != len".into());
    }
    Ok(())
}

/// xorshift64* PRNG, deterministic.
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
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}
