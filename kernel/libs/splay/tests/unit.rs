//! Unit tests of every `SplayTree` operation on small hand-made trees, on
//! 100,000-node degenerate paths, the O(1)-space `check` (including pointer
//! restoration on failure), and the amortized logarithmic cost of lookups.

mod common;

use common::{Rng, Store};
use ferrite_splay::SplayTree;

/// Tree with nodes keyed `keys`, inserted in the given order; handle i has
/// key keys[i].
fn build(keys: &[u64]) -> (SplayTree<usize>, Store) {
    let mut s = Store::with_keys(keys.iter().copied());
    let mut t = SplayTree::new();
    for h in 0..keys.len() {
        t.insert(&mut s, h).unwrap();
    }
    t.check(&mut s).unwrap();
    (t, s)
}

fn keys_of(t: &SplayTree<usize>, s: &Store) -> Vec<u64> {
    t.iter(s).map(|h| s.nodes[h].key).collect()
}

#[test]
fn empty_tree() {
    let mut s = Store::with_keys([5]);
    let mut t: SplayTree<usize> = SplayTree::new();
    let d: SplayTree<usize> = SplayTree::default();
    assert_eq!(d.root(), None);
    assert_eq!(t.root(), None);
    assert_eq!(t.len(), 0);
    assert!(t.is_empty());
    t.splay(&mut s, 5);
    assert_eq!(t.find(&mut s, 5), None);
    assert_eq!(t.find_le(&mut s, 5), None);
    assert_eq!(t.find_ge(&mut s, 5), None);
    assert_eq!(t.remove(&mut s, 5), None);
    assert_eq!(t.first(&s), None);
    assert_eq!(t.last(&s), None);
    assert_eq!(t.next(&s, 0), None);
    assert_eq!(t.prev(&s, 100), None);
    assert_eq!(t.iter(&s).count(), 0);
    assert_eq!(t.check(&mut s), Ok(()));
    assert_eq!(s.updates, 0);
}

#[test]
fn single_node() {
    let mut s = Store::with_keys([50]);
    s.nodes[0].left = Some(0); // garbage links must be overwritten
    s.nodes[0].right = Some(0);
    let mut t = SplayTree::new();
    assert_eq!(t.insert(&mut s, 0), Ok(()));
    assert_eq!((t.root(), t.len(), t.is_empty()), (Some(0), 1, false));
    assert_eq!(s.links()[0], (None, None));
    t.check(&mut s).unwrap();
    assert_eq!(t.find(&mut s, 50), Some(0));
    assert_eq!(t.find(&mut s, 49), None);
    assert_eq!(t.find_le(&mut s, 49), None);
    assert_eq!(t.find_le(&mut s, 50), Some(0));
    assert_eq!(t.find_le(&mut s, 51), Some(0));
    assert_eq!(t.find_ge(&mut s, 49), Some(0));
    assert_eq!(t.find_ge(&mut s, 50), Some(0));
    assert_eq!(t.find_ge(&mut s, 51), None);
    assert_eq!((t.first(&s), t.last(&s)), (Some(0), Some(0)));
    assert_eq!((t.next(&s, 49), t.next(&s, 50)), (Some(0), None));
    assert_eq!((t.prev(&s, 51), t.prev(&s, 50)), (Some(0), None));
    assert_eq!(t.remove(&mut s, 49), None);
    assert_eq!(t.len(), 1);
    assert_eq!(t.remove(&mut s, 50), Some(0));
    assert!(t.is_empty());
    assert_eq!(t.root(), None);
    t.check(&mut s).unwrap();
}

#[test]
fn duplicates_are_refused() {
    let (mut t, mut s) = build(&[10, 20, 30]);
    let dup = s.add(20);
    s.nodes[dup].left = Some(1234);
    assert_eq!(t.insert(&mut s, dup), Err(1));
    assert_eq!(s.nodes[dup].left, Some(1234), "refused node untouched");
    assert_eq!(t.len(), 3);
    assert_eq!(t.root(), Some(1), "the existing node was splayed");
    assert_eq!(keys_of(&t, &s), [10, 20, 30]);
    t.check(&mut s).unwrap();
    // Re-inserting a node that is already in the tree is also refused.
    assert_eq!(t.insert(&mut s, 0), Err(0));
    t.check(&mut s).unwrap();
}

#[test]
fn remove_root_leaf_inner() {
    let keys: Vec<u64> = (1..=15).map(|k| k * 10).collect();
    for victim_kind in ["root", "leaf", "inner"] {
        let mut order = keys.clone();
        Rng(7).shuffle(&mut order);
        let (mut t, mut s) = build(&order);
        // Pick the victim by shape, without splaying.
        let root = t.root().unwrap();
        let victim = match victim_kind {
            "root" => root,
            _ => {
                let mut found = None;
                for h in t.iter(&s).collect::<Vec<_>>() {
                    let n = &s.nodes[h];
                    let leaf = n.left.is_none() && n.right.is_none();
                    let inner = n.left.is_some() && n.right.is_some() && h != root;
                    if (victim_kind == "leaf" && leaf) || (victim_kind == "inner" && inner) {
                        found = Some(h);
                        break;
                    }
                }
                found.unwrap_or(root)
            }
        };
        let vk = s.nodes[victim].key;
        assert_eq!(t.remove(&mut s, vk), Some(victim), "{victim_kind}");
        assert_eq!(s.links()[victim], (None, None));
        assert_eq!(t.len(), 14);
        t.check(&mut s).unwrap();
        let expect: Vec<u64> = keys.iter().copied().filter(|&k| k != vk).collect();
        assert_eq!(keys_of(&t, &s), expect);
        assert_eq!(t.find(&mut s, vk), None);
        assert_eq!(t.remove(&mut s, vk), None);
        // The node can be inserted again.
        assert_eq!(t.insert(&mut s, victim), Ok(()));
        assert_eq!(keys_of(&t, &s), keys);
        t.check(&mut s).unwrap();
    }
}

#[test]
fn remove_everything_in_various_orders() {
    let keys: Vec<u64> = (0..200).map(|k| k * 3).collect();
    for seed in 1..6 {
        let mut rng = Rng(seed);
        let mut order = keys.clone();
        rng.shuffle(&mut order);
        let (mut t, mut s) = build(&order);
        let mut rm = keys.clone();
        rng.shuffle(&mut rm);
        for (i, k) in rm.iter().enumerate() {
            let h = t.remove(&mut s, *k).unwrap();
            assert_eq!(s.nodes[h].key, *k);
            assert_eq!(t.len(), keys.len() - i - 1);
            t.check(&mut s).unwrap();
        }
        assert!(t.is_empty());
        assert_eq!(t.root(), None);
    }
}

#[test]
fn find_le_ge_ends_and_between() {
    let (mut t, mut s) = build(&[50, 10, 90, 30, 70, 20, 100, 40, 60, 80]);
    let key = |s: &Store, h: Option<usize>| h.map(|h| s.nodes[h].key);
    let cases_le = [
        (0, None),
        (9, None),
        (10, Some(10)),
        (11, Some(10)),
        (15, Some(10)),
        (55, Some(50)),
        (60, Some(60)),
        (99, Some(90)),
        (100, Some(100)),
        (1000, Some(100)),
        (u64::MAX, Some(100)),
    ];
    for (q, want) in cases_le {
        let got = t.find_le(&mut s, q);
        assert_eq!(key(&s, got), want, "find_le({q})");
        if got.is_some() {
            assert_eq!(t.root(), got, "find_le splays the result");
        }
        t.check(&mut s).unwrap();
    }
    let cases_ge = [
        (0, Some(10)),
        (10, Some(10)),
        (11, Some(20)),
        (45, Some(50)),
        (50, Some(50)),
        (91, Some(100)),
        (100, Some(100)),
        (101, None),
        (u64::MAX, None),
    ];
    for (q, want) in cases_ge {
        let got = t.find_ge(&mut s, q);
        assert_eq!(key(&s, got), want, "find_ge({q})");
        if got.is_some() {
            assert_eq!(t.root(), got, "find_ge splays the result");
        }
        t.check(&mut s).unwrap();
    }
    // Alternate ends so the root is far from the query every time.
    for _ in 0..3 {
        let got = t.find_le(&mut s, 5);
        assert_eq!(key(&s, got), None);
        let got = t.find_ge(&mut s, 105);
        assert_eq!(key(&s, got), None);
        let got = t.find_le(&mut s, 5000);
        assert_eq!(key(&s, got), Some(100));
        let got = t.find_ge(&mut s, 1);
        assert_eq!(key(&s, got), Some(10));
        t.check(&mut s).unwrap();
    }
}

#[test]
fn splay_missing_key_leaves_a_neighbour_at_root() {
    let keys: Vec<u64> = (0..64).map(|k| k * 10).collect();
    let mut order = keys.clone();
    Rng(3).shuffle(&mut order);
    let (mut t, mut s) = build(&order);
    for q in [5u64, 0, 635, 1000, 325, 11, 9, 631] {
        t.splay(&mut s, q);
        let r = s.nodes[t.root().unwrap()].key;
        let pred = keys.iter().rev().find(|&&k| k <= q).copied();
        let succ = keys.iter().find(|&&k| k >= q).copied();
        assert!(Some(r) == pred || Some(r) == succ, "q={q} root={r}");
        t.check(&mut s).unwrap();
    }
}

#[test]
fn next_prev_iter_first_last() {
    let (t, s) = build(&[40, 20, 60, 10, 30, 50, 70]);
    let key = |h: Option<usize>| h.map(|h| s.nodes[h].key);
    assert_eq!(keys_of(&t, &s), [10, 20, 30, 40, 50, 60, 70]);
    assert_eq!(key(t.first(&s)), Some(10));
    assert_eq!(key(t.last(&s)), Some(70));
    assert_eq!(key(t.next(&s, 0)), Some(10));
    assert_eq!(key(t.next(&s, 10)), Some(20));
    assert_eq!(key(t.next(&s, 15)), Some(20));
    assert_eq!(key(t.next(&s, 69)), Some(70));
    assert_eq!(key(t.next(&s, 70)), None);
    assert_eq!(key(t.prev(&s, 10)), None);
    assert_eq!(key(t.prev(&s, 11)), Some(10));
    assert_eq!(key(t.prev(&s, 40)), Some(30));
    assert_eq!(key(t.prev(&s, 1000)), Some(70));
    // No splaying: the root stays put.
    let r = t.root();
    let _ = t.iter(&s).count();
    assert_eq!(t.root(), r);
    let mut collected: Vec<u64> = t.iter(&s).map(|h| s.nodes[h].key).collect();
    collected.reverse();
    assert_eq!(collected, [70, 60, 50, 40, 30, 20, 10]);
}

#[test]
fn clear_forgets_nodes() {
    let (mut t, mut s) = build(&[1, 2, 3]);
    t.clear();
    assert!(t.is_empty());
    assert_eq!(t.root(), None);
    assert_eq!(t.find(&mut s, 2), None);
    // The nodes can be reused in a fresh tree.
    for h in 0..3 {
        t.insert(&mut s, h).unwrap();
    }
    assert_eq!(keys_of(&t, &s), [1, 2, 3]);
}

#[test]
fn sequential_100k_ascending_then_lookups() {
    const N: u64 = 100_000;
    let mut s = Store::with_keys((0..N).map(|k| k * 2));
    let mut t = SplayTree::new();
    for h in 0..N as usize {
        t.insert(&mut s, h).unwrap();
    }
    assert_eq!(t.len(), N as usize);
    // Ascending inserts leave a path of N nodes: walk it to prove it.
    let mut depth = 0;
    let mut x = t.root();
    while let Some(h) = x {
        depth += 1;
        x = s.nodes[h].left;
    }
    assert_eq!(depth, N);
    t.check(&mut s).unwrap();
    assert_eq!(t.first(&s), Some(0));
    assert_eq!(t.last(&s), Some(N as usize - 1));
    assert_eq!(t.next(&s, 0), Some(1));
    assert_eq!(t.prev(&s, 2 * N), Some(N as usize - 1));
    for k in 0..N {
        assert_eq!(t.find(&mut s, 2 * k), Some(k as usize));
        assert_eq!(t.find(&mut s, 2 * k + 1), None);
    }
    t.check(&mut s).unwrap();
    let mut rng = Rng(99);
    for _ in 0..N {
        let k = rng.below(2 * N + 10);
        let le = t.find_le(&mut s, k).map(|h| s.nodes[h].key);
        assert_eq!(le, Some(k.min(2 * N - 2) & !1));
        let ge = t.find_ge(&mut s, k).map(|h| s.nodes[h].key);
        assert_eq!(
            ge,
            if k < 2 * N - 1 {
                Some((k + 1) & !1)
            } else {
                None
            }
        );
    }
    t.check(&mut s).unwrap();
    for k in 0..N {
        assert_eq!(t.remove(&mut s, 2 * k), Some(k as usize));
    }
    assert!(t.is_empty());
}

#[test]
fn sequential_100k_descending_then_reverse_lookups() {
    const N: u64 = 100_000;
    let mut s = Store::with_keys((0..N).rev());
    let mut t = SplayTree::new();
    for h in 0..N as usize {
        t.insert(&mut s, h).unwrap();
    }
    t.check(&mut s).unwrap();
    for k in (0..N).rev() {
        assert_eq!(t.find(&mut s, k), Some((N - 1 - k) as usize));
    }
    // Removing from the deep end of a fresh path.
    let mut s2 = Store::with_keys(0..N);
    let mut t2 = SplayTree::new();
    for h in 0..N as usize {
        t2.insert(&mut s2, h).unwrap();
    }
    for k in 0..N {
        assert_eq!(t2.remove(&mut s2, k), Some(k as usize));
    }
    assert!(t2.is_empty());
}

#[test]
fn check_detects_misorder_and_restores_links() {
    let mut order: Vec<u64> = (0..500).collect();
    Rng(11).shuffle(&mut order);
    let (t, mut s) = build(&order);
    let before = s.links();
    let victim = t.root().map(|r| s.nodes[r].left.unwrap()).unwrap();
    let saved = s.nodes[victim].key;
    s.nodes[victim].key = 10_000;
    assert!(t.check(&mut s).is_err());
    assert_eq!(s.links(), before, "check must restore every link");
    s.nodes[victim].key = saved;
    assert_eq!(t.check(&mut s), Ok(()));
    assert_eq!(s.links(), before);
}

#[test]
fn check_detects_count_mismatch_and_restores_links() {
    let (mut t, mut s) = build(&[5, 3, 8, 1, 4]);
    let stale = t.clone();
    let h = s.add(100);
    t.insert(&mut s, h).unwrap();
    // `stale` still says 5 nodes, but its old root now has 6 below it
    // (or fewer): either way the count or the structure disagrees.
    let before = s.links();
    let r = stale.check(&mut s);
    assert!(r.is_err(), "{r:?}");
    assert_eq!(s.links(), before);
    t.check(&mut s).unwrap();
}

#[test]
fn check_terminates_on_a_cycle() {
    let (t, mut s) = build(&[1, 2, 3, 4]);
    let r = t.root().unwrap();
    // Point some leaf back at the root.
    let mut x = r;
    while let Some(l) = s.nodes[x].left.or(s.nodes[x].right) {
        x = l;
    }
    s.nodes[x].left = Some(r);
    assert!(t.check(&mut s).is_err());
}

#[test]
fn check_never_calls_update_and_splay_updates_root() {
    let (mut t, mut s) = build(&[3, 1, 2]);
    let u = s.updates;
    t.check(&mut s).unwrap();
    assert_eq!(s.updates, u);
    let root_key = s.nodes[t.root().unwrap()].key;
    t.find(&mut s, root_key).unwrap();
    assert_eq!(
        s.updates,
        u + 1,
        "splaying the root updates exactly the root"
    );
}

#[test]
fn amortized_lookup_cost_is_logarithmic() {
    const N: usize = 100_000;
    let mut rng = Rng(0x5eed);
    let mut keys: Vec<u64> = (0..N as u64).map(|k| k * 7 + 3).collect();
    rng.shuffle(&mut keys);
    let mut s = Store::with_keys(keys.iter().copied());
    let mut t = SplayTree::new();
    for h in 0..N {
        t.insert(&mut s, h).unwrap();
    }
    s.link_reads.set(0);
    for _ in 0..N {
        let h = rng.below(N as u64) as usize;
        assert_eq!(t.find(&mut s, keys[h]), Some(h));
    }
    let avg = s.link_reads.get() as f64 / N as f64;
    let bound = 4.0 * (N as f64).log2();
    eprintln!("find: {avg:.1} link reads per lookup (bound {bound:.1})");
    assert!(
        avg < bound,
        "average {avg} link reads per lookup, bound {bound}"
    );
    // Also for misses and neighbour queries.
    s.link_reads.set(0);
    for _ in 0..N {
        let k = rng.below(7 * N as u64 + 10);
        t.find_le(&mut s, k);
    }
    let avg = s.link_reads.get() as f64 / N as f64;
    eprintln!("find_le: {avg:.1} link reads per lookup");
    assert!(avg < 2.0 * bound, "average {avg} link reads per find_le");
    t.check(&mut s).unwrap();
}
