//! In-crate tests of the allocation-failure paths: with the allocation-limit
//! hook armed, every operation that allocates must either succeed or return
//! `NoMem` with the amap bit-for-bit unchanged (all internal arrays
//! compared, including stale parts).

extern crate std;

use std::vec::Vec;

use crate::{Amap, AmapError, Direction, ExtendOutcome};

/// An exact copy of every field (test-only, infallible clone).
fn snapshot(a: &Amap<u32>) -> Amap<u32> {
    Amap {
        anons: a.anons.clone(),
        slots: a.slots.clone(),
        bckptr: a.bckptr.clone(),
        ppref: a.ppref.clone(),
        nslot: a.nslot,
        maxslot: a.maxslot,
        nused: a.nused,
        lead: a.lead,
        refs: a.refs,
        shared: a.shared,
        limit: a.limit,
    }
}

/// An amap of `slots` + `pad` slots with anons in every third slot.
fn populated(slots: usize, pad: usize, limit: usize) -> Amap<u32> {
    let mut a = Amap::with_alloc_limit(slots, pad, limit).unwrap();
    for s in (0..slots).step_by(3) {
        a.add(s, 100 + s as u32, false).unwrap();
    }
    a.check().unwrap();
    a
}

#[test]
fn construction_respects_the_limit() {
    assert_eq!(
        Amap::<u32>::with_alloc_limit(8, 2, 29).unwrap_err(),
        AmapError::NoMem
    );
    let a = Amap::<u32>::with_alloc_limit(8, 2, 30).unwrap();
    assert_eq!(a.held_elements(), 30);
    assert_eq!(
        Amap::<u32>::new(crate::MAX_SLOTS, 1).unwrap_err(),
        AmapError::NoMem
    );
    assert_eq!(
        Amap::<u32>::new(usize::MAX, 1).unwrap_err(),
        AmapError::NoMem
    );
}

#[test]
fn add_ref_nomem_leaves_amap_unchanged() {
    let mut a = populated(8, 0, 24 + 7);
    let before = snapshot(&a);
    assert_eq!(a.add_ref(2, 3, true), Err(AmapError::NoMem));
    assert_eq!(a, before);
    // A reference that does not cover the window also needs ppref.
    assert_eq!(a.add_ref(0, 7, false), Err(AmapError::NoMem));
    assert_eq!(a, before);
    // A full reference does not allocate.
    a.add_ref(0, 8, false).unwrap();
    assert_eq!(a.refs(), 2);
    assert!(!a.has_ppref());
    // With room for ppref the partial reference succeeds.
    a.set_alloc_limit(Some(32));
    a.add_ref(2, 3, true).unwrap();
    assert!(a.has_ppref());
    assert_eq!(a.page_refs(1), 2);
    assert_eq!(a.page_refs(2), 3);
    a.check().unwrap();
}

#[test]
fn split_ref_nomem_leaves_amap_unchanged() {
    let mut a = populated(6, 2, 24 + 7);
    let before = snapshot(&a);
    assert_eq!(a.split_ref(0, 6, 2), Err(AmapError::NoMem));
    assert_eq!(a, before);
    a.set_alloc_limit(Some(32));
    a.split_ref(0, 6, 2).unwrap();
    assert_eq!(a.refs(), 2);
    assert!(a.has_ppref());
    a.check().unwrap();
}

#[test]
fn copy_range_nomem_leaves_amap_unchanged_and_calls_nothing() {
    // Source holds 30 elements; a copy of 5 slots needs 15 more.
    let a = populated(10, 0, 44);
    let before = snapshot(&a);
    let mut calls = Vec::new();
    assert_eq!(
        a.copy_range(3, 5, |x| calls.push(x)).unwrap_err(),
        AmapError::NoMem
    );
    assert!(calls.is_empty());
    assert_eq!(a, before);
    // 4 slots fit.
    let c = a.copy_range(3, 4, |x| calls.push(x)).unwrap();
    calls.sort();
    assert_eq!(calls, [103, 106]);
    assert_eq!(c.alloc_limit(), Some(44));
    assert_eq!((c.nslot(), c.maxslot(), c.refs()), (4, 4, 1));
    c.check().unwrap();
    assert_eq!(a, before);
}

#[test]
fn extend_forward_realloc_nomem_leaves_amap_unchanged() {
    for with_ppref in [false, true] {
        // 8 slots, no padding: any growth beyond 8 slots reallocates.
        let per = if with_ppref { 4 } else { 3 };
        let mut a = populated(8, 0, 1000);
        let len = 8;
        if with_ppref {
            // Partial unmap of the tail: only [0,6) stays referenced, and
            // growing over [6,8) again needs no allocation.
            a.split_ref(0, 8, 6).unwrap();
            a.remove_ref(6, 2, |_| {}).unwrap();
            a.set_alloc_limit(Some(a.held_elements()));
            assert_eq!(
                a.extend(0, 6, 2, Direction::Forward),
                Ok(ExtendOutcome::Covered { new_offset: 0 })
            );
            assert_eq!(a.page_refs(7), 1);
            a.check().unwrap();
        }
        let held = a.held_elements();
        assert_eq!(held, 8 * per);
        // Growing by 4 needs 12 slots: held + 12 * per elements at least.
        a.set_alloc_limit(Some(held + 12 * per - 1));
        let before = snapshot(&a);
        assert_eq!(
            a.extend(0, len, 4, Direction::Forward),
            Err(AmapError::NoMem)
        );
        assert_eq!(a, before);
        // Exactly enough for the unpadded size: the fallback is used.
        a.set_alloc_limit(Some(held + 12 * per));
        assert_eq!(
            a.extend(0, len, 4, Direction::Forward),
            Ok(ExtendOutcome::Reallocated { new_offset: 0 })
        );
        assert_eq!((a.nslot(), a.maxslot()), (12, 12));
        a.check().unwrap();
        assert_eq!(a.lookup(3), Some(103));
        assert_eq!(a.page_refs(0), 1);
        assert_eq!(a.page_refs(11), 1);
        // Unlimited: padded capacity.
        a.set_alloc_limit(None);
        assert_eq!(
            a.extend(0, 12, 1, Direction::Forward),
            Ok(ExtendOutcome::Reallocated { new_offset: 0 })
        );
        assert_eq!(a.nslot(), 13);
        assert!(a.maxslot() > 13);
        a.check().unwrap();
    }
}

#[test]
fn extend_backward_realloc_nomem_leaves_amap_unchanged() {
    for with_ppref in [false, true] {
        let mut a = populated(8, 1, 1000);
        if with_ppref {
            a.add_ref(0, 8, true).unwrap();
            a.remove_ref(0, 8, |_| {}).unwrap();
            assert!(a.has_ppref());
        }
        let held = a.held_elements();
        a.set_alloc_limit(Some(held));
        let before = snapshot(&a);
        // 8 + 3 > maxslot 9: case 3.
        assert_eq!(
            a.extend(0, 8, 3, Direction::Backward),
            Err(AmapError::NoMem)
        );
        assert_eq!(a, before);
        // Cases 1 and 2 never allocate: 8 + 1 <= 9 is a slide.
        assert_eq!(
            a.extend(0, 8, 1, Direction::Backward),
            Ok(ExtendOutcome::SlidSlots { new_offset: 0 })
        );
        a.check().unwrap();
        assert_eq!(a.lookup(1), Some(100));
        a.set_alloc_limit(None);
        let out = a.extend(0, 9, 3, Direction::Backward).unwrap();
        let ExtendOutcome::Reallocated { new_offset } = out else {
            panic!("expected a reallocation, got {out:?}");
        };
        assert_eq!(a.nslot(), a.maxslot());
        assert_eq!(new_offset, a.nslot() - 12);
        assert!(new_offset > 0, "padding goes in front");
        assert_eq!(a.lookup(new_offset + 4), Some(100));
        assert_eq!(a.page_refs(new_offset), 1);
        assert_eq!(a.page_refs(new_offset.wrapping_sub(1)), 0);
        a.check().unwrap();
        // The next backwards growth within the front padding is case 1.
        assert_eq!(
            a.extend(new_offset, 12, 1, Direction::Backward),
            Ok(ExtendOutcome::AdjustedOffset {
                new_offset: new_offset - 1
            })
        );
        a.check().unwrap();
    }
}

#[test]
fn slot_list_is_rebuilt_after_slide() {
    let mut a: Amap<u32> = Amap::new(6, 10).unwrap();
    for s in [5, 0, 3] {
        a.add(s, s as u32, false).unwrap();
    }
    assert_eq!(
        a.extend(0, 6, 2, Direction::Backward),
        Ok(ExtendOutcome::SlidSlots { new_offset: 8 })
    );
    assert_eq!(a.nslot(), 16);
    assert_eq!(a.lead, 8);
    assert_eq!(&a.slots[..3], &[15, 10, 13]);
    for &s in &a.slots[..3] {
        assert_eq!(a.slots[a.bckptr[s as usize] as usize], s);
    }
    a.check().unwrap();
}
