//! Model-based property tests: random sequences of insert, remove, find,
//! find_le, find_ge, splay, next, prev, first/last and iteration run against
//! a `BTreeMap<key, handle>`; every result is compared and `check()` runs
//! after every step.

mod common;

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

use common::Store;
use ferrite_splay::SplayTree;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    Remove(u64),
    Find(u64),
    FindLe(u64),
    FindGe(u64),
    Splay(u64),
    Next(u64),
    Prev(u64),
    FirstLast,
    Iter,
}

fn op(max_key: u64) -> impl Strategy<Value = Op> {
    let k = 0..max_key;
    prop_oneof![
        6 => k.clone().prop_map(Op::Insert),
        3 => k.clone().prop_map(Op::Remove),
        2 => k.clone().prop_map(Op::Find),
        2 => k.clone().prop_map(Op::FindLe),
        2 => k.clone().prop_map(Op::FindGe),
        1 => k.clone().prop_map(Op::Splay),
        2 => k.clone().prop_map(Op::Next),
        2 => k.prop_map(Op::Prev),
        1 => Just(Op::FirstLast),
        1 => Just(Op::Iter),
    ]
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut s = Store::default();
    let mut t = SplayTree::new();
    let mut m: BTreeMap<u64, usize> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Insert(k) => {
                let h = s.add(k);
                let r = t.insert(&mut s, h);
                match m.get(&k) {
                    Some(&old) => prop_assert_eq!(r, Err(old)),
                    None => {
                        prop_assert_eq!(r, Ok(()));
                        prop_assert_eq!(t.root(), Some(h));
                        m.insert(k, h);
                    }
                }
            }
            Op::Remove(k) => {
                let r = t.remove(&mut s, k);
                prop_assert_eq!(r, m.remove(&k));
                if let Some(h) = r {
                    prop_assert_eq!(s.links()[h], (None, None));
                }
            }
            Op::Find(k) => {
                let r = t.find(&mut s, k);
                prop_assert_eq!(r, m.get(&k).copied());
                if r.is_some() {
                    prop_assert_eq!(t.root(), r);
                }
            }
            Op::FindLe(k) => {
                let r = t.find_le(&mut s, k);
                prop_assert_eq!(r, m.range(..=k).next_back().map(|(_, &h)| h));
                if r.is_some() {
                    prop_assert_eq!(t.root(), r);
                }
            }
            Op::FindGe(k) => {
                let r = t.find_ge(&mut s, k);
                prop_assert_eq!(r, m.range(k..).next().map(|(_, &h)| h));
                if r.is_some() {
                    prop_assert_eq!(t.root(), r);
                }
            }
            Op::Splay(k) => {
                t.splay(&mut s, k);
                let pred = m.range(..=k).next_back().map(|(_, &h)| h);
                let succ = m.range(k..).next().map(|(_, &h)| h);
                if m.is_empty() {
                    prop_assert_eq!(t.root(), None);
                } else {
                    prop_assert!(t.root() == pred || t.root() == succ);
                }
            }
            Op::Next(k) => {
                let root = t.root();
                let want = m.range((Excluded(k), Unbounded)).next().map(|(_, &h)| h);
                prop_assert_eq!(t.next(&s, k), want);
                prop_assert_eq!(t.root(), root, "next must not splay");
            }
            Op::Prev(k) => {
                let root = t.root();
                prop_assert_eq!(t.prev(&s, k), m.range(..k).next_back().map(|(_, &h)| h));
                prop_assert_eq!(t.root(), root, "prev must not splay");
            }
            Op::FirstLast => {
                prop_assert_eq!(t.first(&s), m.values().next().copied());
                prop_assert_eq!(t.last(&s), m.values().next_back().copied());
            }
            Op::Iter => {
                let got: Vec<usize> = t.iter(&s).collect();
                let want: Vec<usize> = m.values().copied().collect();
                prop_assert_eq!(got, want);
            }
        }
        prop_assert_eq!(t.len(), m.len());
        prop_assert_eq!(t.is_empty(), m.is_empty());
        prop_assert_eq!(t.check(&mut s), Ok(()));
    }
    let got: Vec<usize> = t.iter(&s).collect();
    let want: Vec<usize> = m.values().copied().collect();
    prop_assert_eq!(got, want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Small key space: many duplicates, removals of present keys, hits.
    #[test]
    fn matches_btreemap_dense(ops in prop::collection::vec(op(48), 1..300)) {
        run(ops)?;
    }

    /// Large key space: mostly misses, neighbour queries between keys.
    #[test]
    fn matches_btreemap_sparse(ops in prop::collection::vec(op(1 << 40), 1..300)) {
        run(ops)?;
    }
}

proptest! {
    /// Extreme keys (0 and u64::MAX) mixed with a few others.
    #[test]
    fn matches_btreemap_extreme_keys(
        ops in prop::collection::vec(
            op(8).prop_map(|o| match o {
                Op::Insert(k) => Op::Insert(spread(k)),
                Op::Remove(k) => Op::Remove(spread(k)),
                Op::Find(k) => Op::Find(spread(k)),
                Op::FindLe(k) => Op::FindLe(spread(k)),
                Op::FindGe(k) => Op::FindGe(spread(k)),
                Op::Splay(k) => Op::Splay(spread(k)),
                Op::Next(k) => Op::Next(spread(k)),
                Op::Prev(k) => Op::Prev(spread(k)),
                o => o,
            }),
            1..100,
        )
    ) {
        run(ops)?;
    }
}

fn spread(k: u64) -> u64 {
    match k {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => u64::MAX - 1,
        k => k << 32,
    }
}
