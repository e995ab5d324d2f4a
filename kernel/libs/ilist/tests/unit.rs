//! Unit tests of `List` (push, pop, remove at every position, iteration,
//! `check` on corrupted links, debug assertions), of `list_for`, and of
//! `PageLists` (placement policy, transitions, O(1) cost independent of
//! list lengths).

mod common;

use common::Store;
use ferrite_ilist::{List, PageList, PageLists, list_for};

fn items(l: &List<usize>, s: &Store) -> Vec<usize> {
    l.iter(s).collect()
}

#[test]
fn empty_list() {
    let mut s = Store::new(1);
    let mut l: List<usize> = List::new();
    let d: List<usize> = List::default();
    assert_eq!((d.head(), d.tail(), d.len()), (None, None, 0));
    assert_eq!(
        (l.head(), l.tail(), l.len(), l.is_empty()),
        (None, None, 0, true)
    );
    assert_eq!(l.pop_front(&mut s), None);
    assert_eq!(l.iter(&s).count(), 0);
    assert_eq!(l.check(&s), Ok(()));
}

#[test]
fn push_front_and_back() {
    let mut s = Store::new(5);
    let mut l = List::new();
    l.push_back(&mut s, 2);
    assert_eq!((l.head(), l.tail(), l.len()), (Some(2), Some(2), 1));
    assert_eq!(s.links(2), (None, None));
    l.push_front(&mut s, 1);
    l.push_back(&mut s, 3);
    l.push_front(&mut s, 0);
    l.push_back(&mut s, 4);
    assert_eq!(items(&l, &s), [0, 1, 2, 3, 4]);
    assert_eq!(
        (l.head(), l.tail(), l.len(), l.is_empty()),
        (Some(0), Some(4), 5, false)
    );
    assert_eq!(s.links(0), (None, Some(1)));
    assert_eq!(s.links(4), (Some(3), None));
    assert_eq!(s.links(2), (Some(1), Some(3)));
    l.check(&s).unwrap();
}

#[test]
fn pop_front_drains_in_order() {
    let mut s = Store::new(4);
    let mut l = List::new();
    for h in 0..4 {
        l.push_back(&mut s, h);
    }
    for h in 0..4 {
        assert_eq!(l.pop_front(&mut s), Some(h));
        assert_eq!(s.links(h), (None, None));
        assert_eq!(l.len(), 3 - h);
        l.check(&s).unwrap();
    }
    assert_eq!(l.pop_front(&mut s), None);
    assert_eq!((l.head(), l.tail()), (None, None));
}

#[test]
fn remove_every_position() {
    for victim in 0..5 {
        let mut s = Store::new(5);
        let mut l = List::new();
        for h in 0..5 {
            l.push_back(&mut s, h);
        }
        l.remove(&mut s, victim);
        assert_eq!(s.links(victim), (None, None));
        let want: Vec<usize> = (0..5).filter(|&h| h != victim).collect();
        assert_eq!(items(&l, &s), want);
        assert_eq!(l.len(), 4);
        assert_eq!(l.head(), want.first().copied());
        assert_eq!(l.tail(), want.last().copied());
        l.check(&s).unwrap();
        // It can go back on (at the front).
        l.push_front(&mut s, victim);
        assert_eq!(l.head(), Some(victim));
        l.check(&s).unwrap();
    }
    // The only node.
    let mut s = Store::new(1);
    let mut l = List::new();
    l.push_front(&mut s, 0);
    l.remove(&mut s, 0);
    assert_eq!((l.head(), l.tail(), l.len()), (None, None, 0));
    l.check(&s).unwrap();
}

#[test]
fn iter_is_bounded_by_len_on_a_cycle() {
    let mut s = Store::new(3);
    let mut l = List::new();
    for h in 0..3 {
        l.push_back(&mut s, h);
    }
    s.nodes[2].next = Some(0);
    assert_eq!(items(&l, &s), [0, 1, 2]);
    assert!(l.check(&s).is_err());
}

#[test]
fn check_detects_corruption() {
    let build = || {
        let mut s = Store::new(4);
        let mut l = List::new();
        for h in 0..4 {
            l.push_back(&mut s, h);
        }
        (l, s)
    };
    let (l, mut s) = build();
    s.nodes[2].prev = Some(0);
    assert!(l.check(&s).is_err(), "broken prev");
    let (l, mut s) = build();
    s.nodes[0].prev = Some(3);
    assert!(l.check(&s).is_err(), "head.prev not None");
    let (l, mut s) = build();
    s.nodes[3].next = Some(0);
    assert!(l.check(&s).is_err(), "tail.next not None (cycle)");
    let (l, mut s) = build();
    s.nodes[1].next = None;
    assert!(l.check(&s).is_err(), "truncated list");
    let (l, mut s) = build();
    let extra = s.add();
    s.nodes[3].next = Some(extra);
    s.nodes[extra].prev = Some(3);
    assert!(l.check(&s).is_err(), "more nodes than len / wrong tail");
    // A stale clone: its len and tail no longer match.
    let (mut l, mut s) = build();
    let stale = l.clone();
    l.pop_front(&mut s);
    assert!(stale.check(&s).is_err());
    l.check(&s).unwrap();
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "already on a list")]
fn double_push_is_caught() {
    let mut s = Store::new(2);
    let mut l = List::new();
    l.push_back(&mut s, 0);
    l.push_back(&mut s, 1);
    l.push_front(&mut s, 1);
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "already on a list")]
fn double_push_of_single_node_is_caught() {
    let mut s = Store::new(1);
    let mut l = List::new();
    l.push_back(&mut s, 0);
    l.push_back(&mut s, 0);
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "not on this list")]
fn remove_from_wrong_list_is_caught() {
    let mut s = Store::new(2);
    let mut a = List::new();
    let mut b = List::new();
    a.push_back(&mut s, 0);
    b.push_back(&mut s, 1);
    a.remove(&mut s, 1);
}

#[test]
fn list_for_table() {
    assert_eq!(list_for(0, 1), PageList::Empty);
    assert_eq!(list_for(1, 1), PageList::Full);
    assert_eq!(list_for(0, 8), PageList::Empty);
    assert_eq!(list_for(1, 8), PageList::Partial);
    assert_eq!(list_for(7, 8), PageList::Partial);
    assert_eq!(list_for(8, 8), PageList::Full);
    assert_eq!(list_for(0, usize::MAX), PageList::Empty);
    assert_eq!(list_for(usize::MAX - 1, usize::MAX), PageList::Partial);
    assert_eq!(list_for(usize::MAX, usize::MAX), PageList::Full);
}

#[test]
fn page_lists_insert_remove_and_accessors() {
    const CAP: usize = 4;
    let mut s = Store::new(6);
    let mut pl: PageLists<usize> = PageLists::new();
    let d: PageLists<usize> = PageLists::default();
    assert_eq!(d.pages(), 0);
    for (h, used) in [(0, 0), (1, 0), (2, 2), (3, 1), (4, 4), (5, 4)] {
        pl.insert(&mut s, h, used, CAP);
    }
    assert_eq!(pl.pages(), 6);
    // Empty and Partial arrivals go to the front, Full to the back.
    assert_eq!(items(&pl.empty, &s), [1, 0]);
    assert_eq!(items(&pl.partial, &s), [3, 2]);
    assert_eq!(items(&pl.full, &s), [4, 5]);
    assert_eq!(pl.list(PageList::Partial).len(), 2);
    assert_eq!(pl.get(PageList::Full).head(), Some(4));
    let used = [0, 0, 2, 1, 4, 4];
    pl.check_placement(&s, CAP, |h| used[h]).unwrap();
    pl.remove(&mut s, 2, 2, CAP);
    pl.remove(&mut s, 4, 4, CAP);
    pl.remove(&mut s, 1, 0, CAP);
    assert_eq!(pl.pages(), 3);
    assert_eq!(items(&pl.empty, &s), [0]);
    assert_eq!(items(&pl.partial, &s), [3]);
    assert_eq!(items(&pl.full, &s), [5]);
    pl.check(&s).unwrap();
    // check_placement notices a page whose use count changed without a
    // transition.
    let used = [1, 0, 2, 1, 4, 4];
    assert!(pl.check_placement(&s, CAP, |h| used[h]).is_err());
    let used = [0, 0, 2, 9, 4, 4];
    assert!(pl.check_placement(&s, CAP, |h| used[h]).is_err());
}

#[test]
fn transitions_follow_the_policy() {
    const CAP: usize = 3;
    let mut s = Store::new(3);
    let mut pl = PageLists::new();
    for h in 0..3 {
        pl.insert(&mut s, h, 0, CAP);
    }
    assert_eq!(items(&pl.empty, &s), [2, 1, 0]);
    // get from 0 and 1: each becomes the first partial page.
    pl.transition(&mut s, 0, 0, 1, CAP);
    pl.transition(&mut s, 1, 0, 1, CAP);
    assert_eq!(items(&pl.partial, &s), [1, 0]);
    // Within Partial: no move, no store access.
    let c = s.calls.get();
    pl.transition(&mut s, 0, 1, 2, CAP);
    assert_eq!(s.calls.get(), c);
    assert_eq!(items(&pl.partial, &s), [1, 0]);
    // Fill 0, then 1: Full gets them in that order at the back.
    pl.transition(&mut s, 0, 2, 3, CAP);
    pl.transition(&mut s, 1, 1, 3, CAP);
    assert_eq!(items(&pl.full, &s), [0, 1]);
    assert!(pl.partial.is_empty());
    // put to 1: back to the front of Partial.
    pl.transition(&mut s, 1, 3, 2, CAP);
    assert_eq!(items(&pl.partial, &s), [1]);
    // Empty it in one step (a bulk put): front of Empty.
    pl.transition(&mut s, 1, 2, 0, CAP);
    assert_eq!(items(&pl.empty, &s), [1, 2]);
    // Full straight to Empty.
    pl.transition(&mut s, 0, 3, 0, CAP);
    assert_eq!(items(&pl.empty, &s), [0, 1, 2]);
    assert_eq!(pl.pages(), 3);
    pl.check_placement(&s, CAP, |_| 0).unwrap();
    // Capacity 1: Empty <-> Full directly.
    let mut s = Store::new(2);
    let mut pl = PageLists::new();
    pl.insert(&mut s, 0, 0, 1);
    pl.insert(&mut s, 1, 0, 1);
    pl.transition(&mut s, 1, 0, 1, 1);
    assert_eq!(items(&pl.full, &s), [1]);
    assert_eq!(items(&pl.empty, &s), [0]);
    assert!(pl.partial.is_empty());
    pl.check(&s).unwrap();
}

/// Store calls made by one round of transitions touching pages at the head,
/// middle and tail of every list, with `n` pages on each list.
fn transition_cost(n: usize) -> Vec<u64> {
    const CAP: usize = 4;
    let mut s = Store::new(3 * n);
    let mut pl = PageLists::new();
    let mut used = vec![0usize; 3 * n];
    for h in 0..3 * n {
        used[h] = [0, 2, CAP][h % 3];
        pl.insert(&mut s, h, used[h], CAP);
    }
    pl.check_placement(&s, CAP, |h| used[h]).unwrap();
    let mut costs = Vec::new();
    // Handles on each list by position, computed before measuring.
    let pick = |l: &List<usize>, s: &Store| {
        let v: Vec<usize> = l.iter(s).collect();
        [v[0], v[v.len() / 2], v[v.len() - 1]]
    };
    for (from, new_used) in [
        (PageList::Empty, 1),
        (PageList::Partial, CAP),
        (PageList::Full, 0),
    ] {
        for h in pick(pl.get(from), &s) {
            let old = used[h];
            s.calls.set(0);
            pl.transition(&mut s, h, old, new_used, CAP);
            costs.push(s.calls.get());
            used[h] = new_used;
        }
    }
    for h in pick(pl.get(PageList::Partial), &s) {
        let old = used[h];
        s.calls.set(0);
        pl.transition(&mut s, h, old, 0, CAP);
        costs.push(s.calls.get());
        used[h] = 0;
    }
    pl.check_placement(&s, CAP, |h| used[h]).unwrap();
    assert_eq!(pl.pages(), 3 * n);
    costs
}

#[test]
fn transition_cost_is_constant() {
    let small = transition_cost(10);
    let large = transition_cost(10_000);
    eprintln!("store calls per transition: {large:?}");
    assert_eq!(
        small, large,
        "store calls per transition must not depend on list length"
    );
    assert!(large.iter().all(|&c| c <= 16), "{large:?}");
}
