//! Unit tests of each public operation, through the public API only.

use ferrite_amap::{Amap, AmapError, Direction, ExtendOutcome};

type A = Amap<u32>;

/// Sorted `(slot, anon)` pairs of a range.
fn used(a: &A, slot: usize, len: usize) -> Vec<(usize, u32)> {
    let mut v: Vec<_> = a.lookups(slot, len).collect();
    v.sort();
    v
}

fn drops(a: &mut A, slot: usize, len: usize) -> (Result<bool, AmapError>, Vec<u32>) {
    let mut v = Vec::new();
    let r = a.remove_ref(slot, len, |x| v.push(x));
    v.sort();
    (r, v)
}

#[test]
fn new_amap() {
    let a = A::new(5, 3).unwrap();
    assert_eq!((a.nslot(), a.maxslot(), a.nused(), a.refs()), (5, 8, 0, 1));
    assert!(!a.is_shared());
    assert!(!a.has_ppref());
    assert_eq!(a.page_refs(4), 1);
    assert_eq!(a.page_refs(5), 0);
    a.check().unwrap();
    assert_eq!(A::new(0, 4).unwrap_err(), AmapError::Inval);
}

#[test]
fn add_lookup_unadd() {
    let mut a = A::new(8, 0).unwrap();
    assert_eq!(a.add(3, 30, false), Ok(None));
    assert_eq!(a.lookup(3), Some(30));
    assert_eq!(a.lookup(2), None);
    assert_eq!(a.lookup(100), None);
    // Occupied without replace, empty with replace, out of range.
    assert_eq!(a.add(3, 31, false), Err(AmapError::Inval));
    assert_eq!(a.add(4, 41, true), Err(AmapError::Inval));
    assert_eq!(a.add(8, 80, false), Err(AmapError::Inval));
    // Replace returns the old anon.
    assert_eq!(a.add(3, 32, true), Ok(Some(30)));
    assert_eq!(a.lookup(3), Some(32));
    assert_eq!(a.nused(), 1);
    assert_eq!(a.unadd(3), Some(32));
    assert_eq!(a.unadd(3), None);
    assert_eq!(a.unadd(99), None);
    assert_eq!(a.nused(), 0);
    a.check().unwrap();
}

#[test]
fn unadd_in_any_order_keeps_the_slot_list_packed() {
    let mut a = A::new(32, 0).unwrap();
    for s in 0..32 {
        a.add(s, s as u32 + 1000, false).unwrap();
    }
    // Remove in a scrambled order, checking the back pointers each time.
    let mut left: Vec<usize> = (0..32).collect();
    let mut i = 7;
    while !left.is_empty() {
        i = (i * 13 + 5) % left.len();
        let s = left.swap_remove(i);
        assert_eq!(a.unadd(s), Some(s as u32 + 1000));
        a.check().unwrap();
        assert_eq!(a.nused(), left.len());
    }
}

#[test]
fn lookups_walks_range_or_list_and_clips() {
    let mut a = A::new(64, 0).unwrap();
    for s in [1, 5, 40, 63] {
        a.add(s, s as u32, false).unwrap();
    }
    // Short range (walks the slots), long range (walks the used list).
    assert_eq!(used(&a, 4, 2), [(5, 5)]);
    assert_eq!(used(&a, 2, 60), [(5, 5), (40, 40)]);
    assert_eq!(used(&a, 0, 64), [(1, 1), (5, 5), (40, 40), (63, 63)]);
    // Clipped to nslot.
    assert_eq!(used(&a, 60, 100), [(63, 63)]);
    assert_eq!(used(&a, 100, 5), []);
    assert_eq!(used(&a, usize::MAX, usize::MAX), []);
    assert_eq!(used(&a, 0, 0), []);
}

#[test]
fn full_references_need_no_ppref() {
    let mut a = A::new(8, 0).unwrap();
    a.add_ref(0, 8, false).unwrap();
    a.set_shared(true);
    assert_eq!(a.refs(), 2);
    assert!(!a.has_ppref());
    assert_eq!(a.page_refs(7), 2);
    a.add(2, 20, false).unwrap();
    // Dropping a full reference frees nothing and clears shared at 1 ref.
    assert_eq!(drops(&mut a, 0, 8), (Ok(false), vec![]));
    assert!(!a.is_shared());
    assert_eq!(a.lookup(2), Some(20));
    a.check().unwrap();
}

#[test]
fn ppref_is_created_lazily_on_the_first_partial_reference() {
    let mut a = A::new(8, 2).unwrap();
    a.add_ref(0, 8, false).unwrap();
    assert!(!a.has_ppref());
    // Explicitly partial (even if it covers the window).
    let mut b = A::new(8, 0).unwrap();
    b.add_ref(0, 8, true).unwrap();
    assert!(b.has_ppref());
    assert_eq!(b.page_refs(0), 2);
    // A sub-range is partial even without the flag.
    a.add_ref(2, 3, false).unwrap();
    assert!(a.has_ppref());
    let counts: Vec<u32> = (0..10).map(|s| a.page_refs(s)).collect();
    assert_eq!(counts, [2, 2, 3, 3, 3, 2, 2, 2, 0, 0]);
    assert_eq!(a.refs(), 3);
    a.check().unwrap();
    // Once it exists, every reference updates it.
    a.add_ref(0, 8, false).unwrap();
    assert_eq!(a.page_refs(2), 4);
    assert_eq!(a.page_refs(7), 3);
    a.check().unwrap();
}

#[test]
fn add_ref_rejects_bad_ranges() {
    let mut a = A::new(8, 0).unwrap();
    assert_eq!(a.add_ref(0, 0, false), Err(AmapError::Inval));
    assert_eq!(a.add_ref(5, 4, false), Err(AmapError::Inval));
    assert_eq!(a.add_ref(usize::MAX, 2, true), Err(AmapError::Inval));
    assert_eq!(a.refs(), 1);
    assert!(!a.has_ppref());
}

#[test]
fn partial_unmap_drops_exactly_the_unmapped_anons() {
    // An 8-page entry with an anon in every page, clipped into
    // [0,2) [2,5) [5,8); the middle piece is unmapped.
    let mut a = A::new(8, 0).unwrap();
    for s in 0..8 {
        a.add(s, 100 + s as u32, false).unwrap();
    }
    a.split_ref(0, 8, 2).unwrap();
    assert!(a.has_ppref());
    a.split_ref(2, 6, 3).unwrap();
    assert_eq!(a.refs(), 3);
    assert!((0..8).all(|s| a.page_refs(s) == 1));
    a.check().unwrap();

    assert_eq!(drops(&mut a, 2, 3), (Ok(false), vec![102, 103, 104]));
    assert_eq!(a.refs(), 2);
    assert_eq!(a.nused(), 5);
    assert_eq!(
        used(&a, 0, 8),
        [(0, 100), (1, 101), (5, 105), (6, 106), (7, 107)]
    );
    assert_eq!(a.page_refs(3), 0);
    // The hole cannot be filled or unmapped again.
    assert_eq!(a.add(3, 1, false), Err(AmapError::Inval));
    assert_eq!(drops(&mut a, 2, 3), (Err(AmapError::Inval), vec![]));
    assert_eq!(drops(&mut a, 1, 2), (Err(AmapError::Inval), vec![]));
    a.check().unwrap();

    assert_eq!(drops(&mut a, 5, 3), (Ok(false), vec![105, 106, 107]));
    // Last reference: the amap is wiped, each anon given back once.
    assert_eq!(drops(&mut a, 0, 2), (Ok(true), vec![100, 101]));
    assert_eq!((a.refs(), a.nused()), (0, 0));
    a.check().unwrap();
}

#[test]
fn shared_partial_unmap_keeps_anons_still_referenced() {
    // Shared by two entries (inherit-share fork); one unmaps its middle.
    let mut a = A::new(6, 0).unwrap();
    for s in 0..6 {
        a.add(s, s as u32, false).unwrap();
    }
    a.add_ref(0, 6, false).unwrap();
    a.set_shared(true);
    a.split_ref(0, 6, 2).unwrap();
    a.split_ref(2, 4, 2).unwrap();
    assert_eq!(a.refs(), 4);
    assert_eq!(a.page_refs(3), 2);
    assert_eq!(drops(&mut a, 2, 2), (Ok(false), vec![]));
    assert!(a.is_shared());
    assert_eq!(a.page_refs(3), 1);
    // The other entry goes away: pages 2 and 3 had only that reference.
    assert_eq!(drops(&mut a, 0, 6), (Ok(false), vec![2, 3]));
    // As in NetBSD the flag is only cleared when one reference is left
    // (here two pieces of the remaining entry still refer to the amap).
    assert_eq!(a.refs(), 2);
    assert!(a.is_shared());
    assert_eq!(drops(&mut a, 4, 2), (Ok(false), vec![4, 5]));
    assert!(!a.is_shared());
    assert_eq!(used(&a, 0, 6), [(0, 0), (1, 1)]);
    a.check().unwrap();
}

#[test]
fn wipe_on_last_reference_drops_everything_once() {
    let mut a = A::new(16, 4).unwrap();
    for s in (0..16).step_by(2) {
        a.add(s, s as u32, false).unwrap();
    }
    a.add_ref(0, 16, false).unwrap();
    a.set_shared(true);
    assert_eq!(drops(&mut a, 0, 16), (Ok(false), vec![]));
    let (r, v) = drops(&mut a, 0, 16);
    assert_eq!(r, Ok(true));
    assert_eq!(v, (0..16).step_by(2).collect::<Vec<u32>>());
    assert_eq!((a.refs(), a.nused()), (0, 0));
    assert!(!a.is_shared());
    a.check().unwrap();
    // A dead amap refuses everything.
    assert_eq!(drops(&mut a, 0, 16), (Err(AmapError::Inval), vec![]));
    assert_eq!(a.add_ref(0, 16, false), Err(AmapError::Inval));
    assert_eq!(a.split_ref(0, 16, 3), Err(AmapError::Inval));
    assert_eq!(a.add(0, 1, false), Err(AmapError::Inval));
}

#[test]
fn remove_ref_without_ppref_must_name_the_window() {
    let mut a = A::new(8, 0).unwrap();
    a.add(1, 1, false).unwrap();
    assert_eq!(drops(&mut a, 0, 7), (Err(AmapError::Inval), vec![]));
    assert_eq!(drops(&mut a, 1, 7), (Err(AmapError::Inval), vec![]));
    assert_eq!(drops(&mut a, 0, 9), (Err(AmapError::Inval), vec![]));
    assert_eq!(a.refs(), 1);
    assert_eq!(drops(&mut a, 0, 8), (Ok(true), vec![1]));
}

#[test]
fn split_ref_rules() {
    let mut a = A::new(8, 0).unwrap();
    assert_eq!(a.split_ref(0, 8, 0), Err(AmapError::Inval));
    assert_eq!(a.split_ref(0, 8, 8), Err(AmapError::Inval));
    assert_eq!(a.split_ref(0, 1, 1), Err(AmapError::Inval));
    // Without ppref the split aref must be the whole window.
    assert_eq!(a.split_ref(1, 7, 3), Err(AmapError::Inval));
    assert_eq!(a.split_ref(0, 9, 3), Err(AmapError::Inval));
    assert!(!a.has_ppref());
    a.split_ref(0, 8, 5).unwrap();
    // With ppref any piece can be split further.
    a.split_ref(5, 3, 1).unwrap();
    assert_eq!(a.refs(), 3);
    assert!((0..8).all(|s| a.page_refs(s) == 1));
    a.check().unwrap();
}

#[test]
fn copy_range_copies_and_references_the_range() {
    let mut a = A::new(10, 2).unwrap();
    for s in [0, 2, 3, 7, 9] {
        a.add(s, 10 + s as u32, false).unwrap();
    }
    a.add_ref(0, 10, false).unwrap();
    let mut refd = Vec::new();
    let c = a.copy_range(2, 6, |x| refd.push(x)).unwrap();
    refd.sort();
    assert_eq!(refd, [12, 13, 17]);
    assert_eq!((c.nslot(), c.maxslot(), c.refs(), c.nused()), (6, 6, 1, 3));
    assert!(!c.has_ppref() && !c.is_shared());
    assert_eq!(used(&c, 0, 6), [(0, 12), (1, 13), (5, 17)]);
    c.check().unwrap();
    // The source is untouched.
    assert_eq!(a.refs(), 2);
    assert_eq!(a.nused(), 5);
    a.check().unwrap();
    // Bad ranges.
    assert!(a.copy_range(5, 6, |_| {}).is_err());
    assert!(a.copy_range(0, 0, |_| {}).is_err());
}

#[test]
fn extend_backwards_case1_adjust_offset() {
    // [0,4) unmapped from an 8-page entry: the entry is [4,8), and growing
    // it back down by 3 pages just lowers its offset.
    let mut a = A::new(8, 0).unwrap();
    a.add(5, 5, false).unwrap();
    a.split_ref(0, 8, 4).unwrap();
    a.remove_ref(0, 4, |_| {}).unwrap();
    assert_eq!(a.refs(), 1);
    let out = a.extend(4, 4, 3, Direction::Backward).unwrap();
    assert_eq!(out, ExtendOutcome::AdjustedOffset { new_offset: 1 });
    assert_eq!(out.new_offset(), 1);
    assert_eq!((a.nslot(), a.maxslot()), (8, 8));
    assert_eq!(a.lookup(5), Some(5));
    let counts: Vec<u32> = (0..8).map(|s| a.page_refs(s)).collect();
    assert_eq!(counts, [0, 1, 1, 1, 1, 1, 1, 1]);
    a.add(1, 1, false).unwrap();
    a.check().unwrap();

    // Without ppref: the front padding left by a reallocation.
    let mut b = A::new(2, 0).unwrap();
    b.add(0, 9, false).unwrap();
    let ExtendOutcome::Reallocated { new_offset } = b.extend(0, 2, 1, Direction::Backward).unwrap()
    else {
        panic!("expected reallocation");
    };
    assert!(new_offset >= 2);
    assert!(!b.has_ppref());
    let out = b.extend(new_offset, 3, 2, Direction::Backward).unwrap();
    assert_eq!(
        out,
        ExtendOutcome::AdjustedOffset {
            new_offset: new_offset - 2
        }
    );
    assert!(!b.has_ppref());
    assert_eq!(b.page_refs(new_offset - 2), 1);
    assert_eq!(b.page_refs(new_offset - 3), 0);
    assert_eq!(b.lookup(new_offset + 1), Some(9));
    b.check().unwrap();
}

#[test]
fn extend_backwards_case2_slide_into_free_room() {
    // 6 slots with 4 padding slots after them: growing backwards by 3 in
    // front of slot 0 slides the slots into the padding.
    let mut a = A::new(6, 4).unwrap();
    for s in [0, 2, 5] {
        a.add(s, 100 + s as u32, false).unwrap();
    }
    assert!(a.maxslot() - a.nslot() >= 3);
    let out = a.extend(0, 6, 3, Direction::Backward).unwrap();
    // Slid to the end of the arrays; the remaining room stays in front.
    assert_eq!(out, ExtendOutcome::SlidSlots { new_offset: 1 });
    assert_eq!((a.nslot(), a.maxslot()), (10, 10));
    assert_eq!(used(&a, 0, 10), [(4, 100), (6, 102), (9, 105)]);
    let counts: Vec<u32> = (0..10).map(|s| a.page_refs(s)).collect();
    assert_eq!(counts, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    a.check().unwrap();
    // The next page down is case 1.
    assert_eq!(
        a.extend(1, 9, 1, Direction::Backward),
        Ok(ExtendOutcome::AdjustedOffset { new_offset: 0 })
    );
    a.check().unwrap();

    // With ppref, from a non-zero offset, the unreferenced tail counts as
    // room too: entry [1,4) of an 8-slot amap (pages 0 and 4..8 unmapped).
    let mut b = A::new(8, 0).unwrap();
    b.add(2, 2, false).unwrap();
    b.add(6, 6, false).unwrap();
    b.split_ref(0, 8, 1).unwrap();
    b.split_ref(1, 7, 3).unwrap();
    assert_eq!(drops(&mut b, 0, 1), (Ok(false), vec![]));
    assert_eq!(drops(&mut b, 4, 4), (Ok(false), vec![6]));
    let out = b.extend(1, 3, 4, Direction::Backward).unwrap();
    assert_eq!(out, ExtendOutcome::SlidSlots { new_offset: 1 });
    assert_eq!(used(&b, 0, 8), [(6, 2)]);
    let counts: Vec<u32> = (0..8).map(|s| b.page_refs(s)).collect();
    assert_eq!(counts, [0, 1, 1, 1, 1, 1, 1, 1]);
    b.check().unwrap();
}

#[test]
fn extend_backwards_case3_reallocate() {
    // No room at all: the arrays are reallocated, padding goes in front.
    for with_ppref in [false, true] {
        let mut a = A::new(4, 0).unwrap();
        a.add(0, 1, false).unwrap();
        a.add(3, 4, false).unwrap();
        if with_ppref {
            a.add_ref(0, 4, true).unwrap();
            a.remove_ref(0, 4, |_| {}).unwrap();
        }
        let out = a.extend(0, 4, 5, Direction::Backward).unwrap();
        let ExtendOutcome::Reallocated { new_offset } = out else {
            panic!("expected reallocation, got {out:?}");
        };
        assert_eq!(a.nslot(), a.maxslot());
        assert!(a.maxslot() >= 9);
        assert_eq!(new_offset, a.nslot() - 9);
        assert_eq!(a.has_ppref(), with_ppref);
        assert_eq!(
            used(&a, 0, a.nslot()),
            [(new_offset + 5, 1), (new_offset + 8, 4)]
        );
        for s in 0..a.nslot() {
            assert_eq!(a.page_refs(s), u32::from(s >= new_offset), "slot {s}");
        }
        a.check().unwrap();
    }
}

#[test]
fn extend_forward_cases() {
    // Grew: within the padding.
    let mut a = A::new(4, 4).unwrap();
    a.add(3, 3, false).unwrap();
    assert_eq!(
        a.extend(0, 4, 3, Direction::Forward),
        Ok(ExtendOutcome::Grew { new_offset: 0 })
    );
    assert_eq!((a.nslot(), a.maxslot()), (7, 8));
    assert_eq!(a.page_refs(6), 1);
    a.add(6, 6, false).unwrap();
    a.check().unwrap();
    // Reallocated: beyond the padding.
    assert_eq!(
        a.extend(0, 7, 5, Direction::Forward),
        Ok(ExtendOutcome::Reallocated { new_offset: 0 })
    );
    assert_eq!(a.nslot(), 12);
    assert!(a.maxslot() > 12);
    assert_eq!(used(&a, 0, 12), [(3, 3), (6, 6)]);
    a.check().unwrap();

    // Covered: the tail exists but was unmapped.
    let mut b = A::new(8, 0).unwrap();
    b.add(7, 7, false).unwrap();
    b.split_ref(0, 8, 5).unwrap();
    assert_eq!(drops(&mut b, 5, 3), (Ok(false), vec![7]));
    assert_eq!(
        b.extend(0, 5, 2, Direction::Forward),
        Ok(ExtendOutcome::Covered { new_offset: 0 })
    );
    let counts: Vec<u32> = (0..8).map(|s| b.page_refs(s)).collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1, 1, 0]);
    // Part covered, part new.
    assert_eq!(
        b.extend(0, 7, 3, Direction::Forward),
        Ok(ExtendOutcome::Reallocated { new_offset: 0 })
    );
    assert!((0..10).all(|s| b.page_refs(s) == 1));
    b.check().unwrap();
}

#[test]
fn extend_refuses_inconsistent_requests() {
    let mut a = A::new(8, 8).unwrap();
    // Zero pages, bad range.
    assert_eq!(a.extend(0, 8, 0, Direction::Forward), Err(AmapError::Inval));
    assert_eq!(a.extend(0, 9, 1, Direction::Forward), Err(AmapError::Inval));
    assert_eq!(a.extend(0, 0, 1, Direction::Forward), Err(AmapError::Inval));
    // Without ppref the aref must be the window.
    assert_eq!(a.extend(0, 7, 1, Direction::Forward), Err(AmapError::Inval));
    assert_eq!(
        a.extend(1, 7, 1, Direction::Backward),
        Err(AmapError::Inval)
    );
    // More than one reference: cannot resize under another entry.
    a.add_ref(0, 8, false).unwrap();
    assert_eq!(a.extend(0, 8, 1, Direction::Forward), Err(AmapError::Inval));
    a.remove_ref(0, 8, |_| {}).unwrap();
    // With ppref: the pages gained must be unreferenced, and a slide needs
    // every page outside the aref unreferenced.
    a.split_ref(0, 8, 4).unwrap();
    a.remove_ref(4, 4, |_| {}).unwrap();
    a.add(1, 1, false).unwrap();
    assert_eq!(a.extend(0, 3, 1, Direction::Forward), Err(AmapError::Inval));
    assert_eq!(
        a.extend(1, 3, 1, Direction::Backward),
        Err(AmapError::Inval)
    );
    assert_eq!(
        a.extend(2, 2, 3, Direction::Backward),
        Err(AmapError::Inval)
    );
    assert_eq!(a.nslot(), 8);
    a.check().unwrap();
    assert_eq!(
        a.extend(0, 4, 2, Direction::Forward),
        Ok(ExtendOutcome::Covered { new_offset: 0 })
    );
}

#[test]
fn repeated_backward_growth_is_mostly_offset_adjustment() {
    // Top-down mmap pattern: one page at a time in front of the entry.
    let mut a = A::new(1, 0).unwrap();
    a.add(0, 0, false).unwrap();
    let (mut off, mut len) = (0, 1);
    let mut moved = 0;
    for i in 1..2000u32 {
        let out = a.extend(off, len, 1, Direction::Backward).unwrap();
        if !matches!(out, ExtendOutcome::AdjustedOffset { .. }) {
            moved += 1;
        }
        off = out.new_offset();
        len += 1;
        a.add(off, i, false).unwrap();
    }
    a.check().unwrap();
    assert_eq!(a.nused(), 2000);
    assert_eq!(a.lookup(off + 1999), Some(0));
    assert_eq!(a.lookup(off), Some(1999));
    assert!(moved < 40, "{moved} slides/reallocations");
}

#[test]
fn ensure_ppref_makes_split_ref_infallible() {
    let mut a: Amap<u32> = Amap::with_alloc_limit(8, 0, 64).unwrap();
    assert!(!a.has_ppref());
    a.ensure_ppref().unwrap();
    assert!(a.has_ppref());
    assert_eq!(a.page_refs(3), 1);
    // No room for any further allocation: split_ref must still work.
    let held = a.held_elements();
    a.set_alloc_limit(Some(held));
    a.split_ref(0, 8, 3).unwrap();
    assert_eq!(a.refs(), 2);
    a.ensure_ppref().unwrap();
    a.check().unwrap();
}
