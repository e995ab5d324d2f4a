//! Augmentation property: a store keeping `subtree_size` and
//! `subtree_max_value` per node through `update` must have every reachable
//! node's fields equal to a from-scratch recomputation after every
//! operation, including after changing a node's own payload and refreshing
//! it by splaying its key.

mod common;

use std::collections::BTreeMap;

use common::{AugStore, Rng, check_augmented};
use ferrite_splay::SplayTree;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    Find(u64),
    FindLe(u64),
    FindGe(u64),
    Splay(u64),
    /// Change a present node's payload, then `find` it to refresh.
    SetValue(u64, u64),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u64..64;
    prop_oneof![
        6 => (k.clone(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => k.clone().prop_map(Op::Remove),
        2 => k.clone().prop_map(Op::Find),
        2 => k.clone().prop_map(Op::FindLe),
        2 => k.clone().prop_map(Op::FindGe),
        1 => k.clone().prop_map(Op::Splay),
        2 => (k, 0u64..1000).prop_map(|(k, v)| Op::SetValue(k, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn augmented_fields_always_correct(ops in prop::collection::vec(op(), 1..300)) {
        let mut s = AugStore::default();
        let mut t = SplayTree::new();
        let mut m: BTreeMap<u64, usize> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let h = s.add(k, v);
                    if t.insert(&mut s, h).is_ok() {
                        m.insert(k, h);
                    }
                }
                Op::Remove(k) => {
                    prop_assert_eq!(t.remove(&mut s, k), m.remove(&k));
                }
                Op::Find(k) => {
                    prop_assert_eq!(t.find(&mut s, k), m.get(&k).copied());
                }
                Op::FindLe(k) => {
                    t.find_le(&mut s, k);
                }
                Op::FindGe(k) => {
                    t.find_ge(&mut s, k);
                }
                Op::Splay(k) => t.splay(&mut s, k),
                Op::SetValue(k, v) => {
                    if let Some(&h) = m.get(&k) {
                        s.nodes[h].value = v;
                        prop_assert_eq!(t.find(&mut s, k), Some(h));
                    }
                }
            }
            prop_assert_eq!(t.check(&mut s), Ok(()));
            if let Err(e) = check_augmented(&t, &s) {
                return Err(TestCaseError::fail(e));
            }
            if let Some(r) = t.root() {
                let max = m.values().map(|&h| s.nodes[h].value).max().unwrap();
                prop_assert_eq!(s.nodes[r].max, max);
                prop_assert_eq!(s.nodes[r].size, m.len());
            }
        }
    }
}

/// The augmentation survives deep degenerate paths and their collapse.
#[test]
fn augmented_deep_path() {
    const N: u64 = 20_000;
    let mut s = AugStore::default();
    let mut t = SplayTree::new();
    for k in 0..N {
        let h = s.add(k, (k * 7919) % 10_007);
        t.insert(&mut s, h).unwrap();
    }
    check_augmented(&t, &s).unwrap();
    t.find(&mut s, 0).unwrap();
    check_augmented(&t, &s).unwrap();
    t.find(&mut s, N / 2).unwrap();
    check_augmented(&t, &s).unwrap();
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let k = rng.below(N + 100);
        match rng.below(4) {
            0 => {
                t.find_le(&mut s, k);
            }
            1 => {
                t.find_ge(&mut s, k);
            }
            2 => {
                if let Some(h) = t.remove(&mut s, k) {
                    t.insert(&mut s, h).unwrap();
                }
            }
            _ => t.splay(&mut s, k),
        }
    }
    check_augmented(&t, &s).unwrap();
    for k in 0..N {
        t.remove(&mut s, k).unwrap();
        if k % 1000 == 0 {
            check_augmented(&t, &s).unwrap();
        }
    }
    assert!(t.is_empty());
}

/// A subtree-size augmentation is enough for order statistics: the k-th
/// smallest key found by descending with sizes must match the in-order
/// position (a use of the augmented data, as findspace would use gaps).
#[test]
fn augmented_sizes_give_order_statistics() {
    let mut rng = Rng(5);
    let mut keys: Vec<u64> = (0..3000).map(|k| k * 5).collect();
    rng.shuffle(&mut keys);
    let mut s = AugStore::default();
    let mut t = SplayTree::new();
    for &k in &keys {
        let h = s.add(k, k);
        t.insert(&mut s, h).unwrap();
    }
    for _ in 0..200 {
        t.splay(&mut s, rng.below(15_000));
        let rank = rng.below(3000) as usize;
        let mut x = t.root();
        let mut r = rank;
        let found = loop {
            let h = x.unwrap();
            let ls = s.nodes[h].left.map_or(0, |l| s.nodes[l].size);
            if r < ls {
                x = s.nodes[h].left;
            } else if r == ls {
                break s.nodes[h].key;
            } else {
                r -= ls + 1;
                x = s.nodes[h].right;
            }
        };
        assert_eq!(found, rank as u64 * 5);
    }
}
