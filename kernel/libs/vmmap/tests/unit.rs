//! Unit tests for every map operation and error, merging, NoMem atomicity,
//! and the named regression tests for UVM's historical findspace bugs.

mod common;

use std::rc::Rc;

use common::*;
use ferrite_vmmap::*;

const MIN: u64 = 0x10000;
const MAX: u64 = 0x110000;

fn anon(len: u64) -> MapRequest<Tb> {
    MapRequest::new(len, RW, Tb::Anon)
}

fn fixed(addr: u64, len: u64) -> MapRequest<Tb> {
    anon(len).fixed_at(addr)
}

fn obj(addr: u64, len: u64, id: u32, off: u64) -> MapRequest<Tb> {
    MapRequest::new(len, RW, Tb::Obj { id, off }).fixed_at(addr)
}

fn setup(topdown: bool) -> (Map<usize>, VecStore<Tb>) {
    (Map::new(MIN, MAX, topdown), VecStore::new())
}

fn ok(m: &Map<usize>, s: &mut VecStore<Tb>) {
    m.check(s).unwrap();
}

// ----- basics -----

#[test]
fn new_map_accessors() {
    let (m, mut s) = setup(true);
    assert_eq!((m.min(), m.max(), m.topdown()), (MIN, MAX, true));
    assert_eq!((m.nentries(), m.size(), m.timestamp()), (0, 0, 0));
    assert_eq!(m.first(&s), None);
    assert_eq!(m.iter(&s).count(), 0);
    ok(&m, &mut s);
}

#[test]
#[should_panic]
fn new_rejects_bad_bounds() {
    let _ = Map::<usize>::new(0x1000, 0x1000, false);
}

#[test]
fn unhinted_bottom_up_and_topdown_placement() {
    let (mut m, mut s) = setup(false);
    assert_eq!(m.map(&mut s, anon(2 * P).no_merge()), Ok(MIN));
    assert_eq!(m.map(&mut s, anon(P).no_merge()), Ok(MIN + 2 * P));
    assert_eq!(m.nentries(), 2);
    assert_eq!(m.size(), 3 * P);
    ok(&m, &mut s);

    let (mut m, mut s) = setup(true);
    assert_eq!(m.map(&mut s, anon(2 * P).no_merge()), Ok(MAX - 2 * P));
    assert_eq!(m.map(&mut s, anon(P).no_merge()), Ok(MAX - 3 * P));
    assert_eq!(
        ranges(&m, &s),
        [(MAX - 3 * P, MAX - 2 * P), (MAX - 2 * P, MAX)]
    );
    ok(&m, &mut s);
}

#[test]
fn map_sets_attributes() {
    let (mut m, mut s) = setup(false);
    let req = MapRequest::new(P, RO, Tb::Obj { id: 3, off: 0x5000 })
        .with_max_prot(RW)
        .with_inherit(Inherit::Share)
        .with_advice(Advice::Sequential)
        .with_flags(EntryFlags::COPY_ON_WRITE | EntryFlags::NEEDS_COPY);
    let a = m.map(&mut s, req).unwrap();
    let h = m.lookup(&mut s, a).unwrap();
    let e = s.get(h);
    assert_eq!((e.start, e.end, e.prot, e.max_prot), (a, a + P, RO, RW));
    assert_eq!(
        (e.inherit, e.advice, e.wired_count),
        (Inherit::Share, Advice::Sequential, 0)
    );
    assert_eq!(e.flags, EntryFlags::COPY_ON_WRITE | EntryFlags::NEEDS_COPY);
    assert_eq!(e.backing, Tb::Obj { id: 3, off: 0x5000 });
    assert_eq!(e.len(), P);
    assert!(!e.is_empty());
}

#[test]
fn map_validation_errors() {
    let (mut m, mut s) = setup(false);
    use MapError::*;
    assert_eq!(m.map(&mut s, anon(0)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(P + 1)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(MAX - MIN + P)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(P).with_hint(MIN + 1)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(P).with_max_prot(RO)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(P).with_align(3 * P)), Err(Inval));
    assert_eq!(m.map(&mut s, anon(P).with_align(P / 2)), Err(Inval));
    let mut r = anon(P);
    r.fixed = true; // no hint
    assert_eq!(m.map(&mut s, r), Err(Inval));
    assert_eq!(
        m.map(&mut s, fixed(MIN + P, P).with_align(2 * P)),
        Err(Inval)
    );
    assert_eq!(m.map(&mut s, fixed(MIN - P, P)), Err(Inval));
    assert_eq!(m.map(&mut s, fixed(MAX - P, 2 * P)), Err(Inval));
    assert_eq!(m.map(&mut s, fixed(MAX, P)), Err(Inval));
    assert_eq!(m.timestamp(), 0);
    assert_eq!(m.nentries(), 0);
    // The whole map is fine.
    assert_eq!(m.map(&mut s, fixed(MIN, MAX - MIN)), Ok(MIN));
    ok(&m, &mut s);
}

#[test]
fn fixed_never_replaces() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN + 4 * P, 4 * P)).unwrap();
    let before = snapshot(&m, &s);
    for (a, l) in [
        (MIN + 4 * P, P),
        (MIN + 3 * P, 2 * P),
        (MIN + 7 * P, 2 * P),
        (MIN, 16 * P),
        (MIN + 5 * P, P),
    ] {
        assert_eq!(
            m.map(&mut s, fixed(a, l)),
            Err(MapError::NoSpace),
            "{a:#x}+{l:#x}"
        );
    }
    assert_eq!(snapshot(&m, &s), before);
    // Adjacent on both sides is fine.
    assert_eq!(
        m.map(&mut s, fixed(MIN + 3 * P, P).no_merge()),
        Ok(MIN + 3 * P)
    );
    assert_eq!(
        m.map(&mut s, fixed(MIN + 8 * P, P).no_merge()),
        Ok(MIN + 8 * P)
    );
    assert_eq!(m.nentries(), 3);
    ok(&m, &mut s);
}

#[test]
fn nospace_when_full() {
    for topdown in [false, true] {
        let (mut m, mut s) = setup(topdown);
        m.map(&mut s, anon(MAX - MIN - P)).unwrap();
        assert_eq!(m.map(&mut s, anon(2 * P)), Err(MapError::NoSpace));
        assert!(m.map(&mut s, anon(P)).is_ok());
        assert_eq!(m.map(&mut s, anon(P)), Err(MapError::NoSpace));
        assert_eq!(m.size(), MAX - MIN);
        ok(&m, &mut s);
    }
}

#[test]
fn hints() {
    // Bottom-up: from the hint upwards.
    let (mut m, mut s) = setup(false);
    assert_eq!(
        m.map(&mut s, anon(P).with_hint(MIN + 10 * P)),
        Ok(MIN + 10 * P)
    );
    assert_eq!(
        m.map(&mut s, anon(P).with_hint(MIN + 10 * P).no_merge()),
        Ok(MIN + 11 * P)
    );
    // Nothing at or above the hint: falls back to the bottom.
    m.map(&mut s, fixed(MIN + 20 * P, MAX - MIN - 20 * P))
        .unwrap();
    assert_eq!(m.map(&mut s, anon(P).with_hint(MIN + 30 * P)), Ok(MIN));
    // A hint outside the map is ignored.
    assert_eq!(
        m.map(&mut s, anon(P).with_hint(MAX + P).no_merge()),
        Ok(MIN + P)
    );
    assert_eq!(
        m.map(&mut s, anon(P).with_hint(0).no_merge()),
        Ok(MIN + 2 * P)
    );
    ok(&m, &mut s);

    // Top-down: at or below the hint.
    let (mut m, mut s) = setup(true);
    assert_eq!(
        m.map(&mut s, anon(2 * P).with_hint(MIN + 10 * P)),
        Ok(MIN + 10 * P)
    );
    assert_eq!(
        m.map(&mut s, anon(P).with_hint(MIN + 10 * P).no_merge()),
        Ok(MIN + 9 * P)
    );
    // Nothing at or below the hint: falls back to the top.
    assert_eq!(
        m.map(&mut s, anon(20 * P).with_hint(MIN + 10 * P)),
        Ok(MAX - 20 * P)
    );
    ok(&m, &mut s);
}

#[test]
fn alignment_is_honoured() {
    for topdown in [false, true] {
        let (mut m, mut s) = setup(topdown);
        m.map(&mut s, fixed(MIN, P)).unwrap();
        m.map(&mut s, fixed(MAX - P, P)).unwrap();
        for align in [2 * P, 4 * P, 16 * P, 64 * P] {
            let a = m
                .map(&mut s, anon(3 * P).with_align(align).no_merge())
                .unwrap();
            assert_eq!(a % align, 0);
            ok(&m, &mut s);
        }
    }
}

// ----- regressions -----

/// UVM bug: findspace returned space in use at both ends of the map.
#[test]
fn regression_findspace_never_returns_used_space_at_map_ends() {
    for topdown in [false, true] {
        let (mut m, mut s) = setup(topdown);
        // Entries touching both ends of the map, free space in between.
        m.map(&mut s, fixed(MIN, 4 * P).no_merge()).unwrap();
        m.map(&mut s, fixed(MAX - 4 * P, 4 * P).no_merge()).unwrap();
        let free = (MIN + 4 * P, MAX - 4 * P);
        for len in [P, 2 * P, 8 * P] {
            for hint in [
                None,
                Some(MIN),
                Some(MIN + P),
                Some(MAX - P),
                Some(MAX - len),
                Some(0),
            ] {
                for td in [false, true] {
                    if let Some(a) = m.findspace(&mut s, len, 0, hint, td) {
                        assert!(
                            a >= free.0 && a + len <= free.1,
                            "{a:#x} len {len:#x} {hint:?} {td}"
                        );
                    }
                }
            }
        }
        // The whole free space, and not a page more.
        let room = free.1 - free.0;
        assert_eq!(m.findspace(&mut s, room, 0, None, topdown), Some(free.0));
        assert_eq!(m.findspace(&mut s, room + P, 0, None, topdown), None);
        assert_eq!(m.findspace(&mut s, room, 0, None, !topdown), Some(free.0));
        // Exactly full map: nothing at all.
        m.map(&mut s, fixed(free.0, room).no_merge()).unwrap();
        for td in [false, true] {
            for hint in [None, Some(MIN), Some(MAX - P), Some(MAX)] {
                assert_eq!(m.findspace(&mut s, P, 0, hint, td), None);
            }
        }
        // Entry at max only, single page: topdown must not return max - len.
        let (mut m, mut s) = setup(topdown);
        m.map(&mut s, fixed(MAX - P, P)).unwrap();
        assert_eq!(m.findspace(&mut s, P, 0, None, true), Some(MAX - 2 * P));
        m.map(&mut s, fixed(MIN, P)).unwrap();
        assert_eq!(m.findspace(&mut s, P, 0, None, false), Some(MIN + P));
        assert_eq!(m.findspace(&mut s, P, 0, Some(MIN), false), Some(MIN + P));
        assert_eq!(
            m.findspace(&mut s, P, 0, Some(MAX - P), true),
            Some(MAX - 2 * P)
        );
        assert_eq!(m.findspace(&mut s, P, 0, Some(MAX - P), false), None);
        assert_eq!(m.findspace(&mut s, P, 0, Some(MIN), true), None);
        ok(&m, &mut s);
    }
}

/// UVM bug: alignment applied without re-checking when the free space
/// began right at the end of the previous entry.
#[test]
fn regression_alignment_rechecked_at_previous_entry_end() {
    let a16 = 16 * P;
    // Bottom-up: free run [MIN+3P, MIN+18P) is 15 pages: a 16-page
    // request rounded up from MIN+3P to MIN+16P would overlap the next entry.
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 3 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 18 * P, P).no_merge()).unwrap();
    let a = m.findspace(&mut s, a16, a16, None, false).unwrap();
    assert_eq!(a, MIN + 32 * P);
    // A small aligned request that does fit after rounding.
    assert_eq!(
        m.findspace(&mut s, 2 * P, a16, None, false),
        Some(MIN + 16 * P)
    );
    // Only fits unaligned: must skip.
    assert_eq!(
        m.findspace(&mut s, 3 * P, a16, None, false),
        Some(MIN + 32 * P)
    );
    ok(&m, &mut s);

    // Top-down: free run [MAX-14P, MAX-3P) right above an entry ending at
    // MAX-14P. A 4-page request aligned to 16 pages rounded down from
    // MAX-7P lands at MAX-16P, inside that entry: it must be rejected and
    // the search must go on below.
    let (mut m, mut s) = setup(true);
    m.map(&mut s, fixed(MAX - 3 * P, 3 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MAX - 15 * P, P).no_merge()).unwrap();
    let a = m.findspace(&mut s, 4 * P, a16, None, true).unwrap();
    assert_eq!(a, MAX - 32 * P);
    assert!(a + 4 * P <= MAX - 15 * P);
    assert_eq!(m.findspace(&mut s, P, 2 * P, None, true), Some(MAX - 4 * P));
    assert_eq!(m.map(&mut s, anon(4 * P).with_align(a16)), Ok(MAX - 32 * P));
    ok(&m, &mut s);

    // Through map() too.
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 3 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 18 * P, P).no_merge()).unwrap();
    let a = m.map(&mut s, anon(a16).with_align(a16)).unwrap();
    assert_eq!(a, MIN + 32 * P);
    ok(&m, &mut s);
}

#[test]
fn findspace_gap_before_first_and_after_last() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN + 8 * P, P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 20 * P, P).no_merge()).unwrap();
    // Gap before the first entry.
    assert_eq!(m.findspace(&mut s, 8 * P, 0, None, false), Some(MIN));
    assert_eq!(
        m.findspace(&mut s, 8 * P, 0, Some(MIN + 8 * P), true),
        Some(MIN)
    );
    assert_eq!(
        m.findspace(&mut s, 8 * P, 0, Some(MIN + 20 * P), true),
        Some(MIN + 12 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 11 * P, 0, Some(MIN + 20 * P), true),
        Some(MIN + 9 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 9 * P, 0, Some(MIN + 10 * P), true),
        Some(MIN + 10 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 12 * P, 0, Some(MIN + 10 * P), true),
        None
    );
    assert_eq!(m.findspace(&mut s, 9 * P, 0, Some(MIN + 8 * P), true), None);
    // After the last.
    assert_eq!(
        m.findspace(&mut s, 12 * P, 0, None, false),
        Some(MIN + 21 * P)
    );
    assert_eq!(
        m.findspace(&mut s, P, 0, Some(MIN + 20 * P), false),
        Some(MIN + 21 * P)
    );
    // The hint itself when free (exact check of the boundary gap).
    assert_eq!(
        m.findspace(&mut s, P, 0, Some(MIN + 3 * P), false),
        Some(MIN + 3 * P)
    );
    assert_eq!(
        m.findspace(&mut s, P, 0, Some(MIN + 3 * P), true),
        Some(MIN + 3 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 2 * P, 0, Some(MIN + 7 * P), true),
        Some(MIN + 6 * P)
    );
    // Invalid arguments.
    assert_eq!(m.findspace(&mut s, 0, 0, None, false), None);
    assert_eq!(m.findspace(&mut s, P + 1, 0, None, false), None);
    assert_eq!(m.findspace(&mut s, P, 3 * P, None, false), None);
    assert_eq!(m.findspace(&mut s, MAX, 0, None, false), None);
    ok(&m, &mut s);
}

/// Inside an entry followed directly by another one, the search must go
/// on to the next non-empty gap.
#[test]
fn findspace_from_inside_adjacent_entries() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 4 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 4 * P, 4 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 10 * P, 4 * P).no_merge())
        .unwrap();
    assert_eq!(
        m.findspace(&mut s, 2 * P, 0, Some(MIN + P), false),
        Some(MIN + 8 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 3 * P, 0, Some(MIN + P), false),
        Some(MIN + 14 * P)
    );
    assert_eq!(
        m.findspace(&mut s, 2 * P, 0, Some(MIN + 12 * P), true),
        Some(MIN + 8 * P)
    );
    assert_eq!(m.findspace(&mut s, 2 * P, 0, Some(MIN + 6 * P), true), None);
    ok(&m, &mut s);
}

// ----- unmap -----

#[test]
fn unmap_middle_of_entry() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, obj(MIN, 8 * P, 7, 0x100000)).unwrap();
    let mut r = m.unmap(&mut s, MIN + 2 * P, MIN + 5 * P).unwrap();
    assert_eq!((r.len(), r.bytes()), (1, 3 * P));
    let e = r.pop(&mut s).unwrap();
    assert_eq!((e.start, e.end), (MIN + 2 * P, MIN + 5 * P));
    assert_eq!(
        e.backing,
        Tb::Obj {
            id: 7,
            off: 0x100000 + 2 * P
        }
    );
    assert!(r.pop(&mut s).is_none());
    assert!(r.is_empty());
    assert_eq!(
        ranges(&m, &s),
        [(MIN, MIN + 2 * P), (MIN + 5 * P, MIN + 8 * P)]
    );
    let h = m.lookup(&mut s, MIN + 6 * P).unwrap();
    assert_eq!(
        s.get(h).backing,
        Tb::Obj {
            id: 7,
            off: 0x100000 + 5 * P
        }
    );
    assert_eq!(m.size(), 5 * P);
    assert_eq!(s.live, 2);
    ok(&m, &mut s);
}

#[test]
fn unmap_range_with_holes_and_partial_entries() {
    let (mut m, mut s) = setup(false);
    for i in 0..5 {
        m.map(&mut s, fixed(MIN + i * 4 * P, 2 * P).no_merge())
            .unwrap();
    }
    // Cut from the middle of entry 1 to the middle of entry 3.
    let mut r = m.unmap(&mut s, MIN + 5 * P, MIN + 13 * P).unwrap();
    let got: Vec<_> = std::iter::from_fn(|| r.pop(&mut s))
        .map(|e| (e.start, e.end))
        .collect();
    assert_eq!(
        got,
        [
            (MIN + 5 * P, MIN + 6 * P),
            (MIN + 8 * P, MIN + 10 * P),
            (MIN + 12 * P, MIN + 13 * P)
        ]
    );
    assert_eq!(
        ranges(&m, &s),
        [
            (MIN, MIN + 2 * P),
            (MIN + 4 * P, MIN + 5 * P),
            (MIN + 13 * P, MIN + 14 * P),
            (MIN + 16 * P, MIN + 18 * P)
        ]
    );
    assert_eq!(m.size(), 6 * P);
    ok(&m, &mut s);
    // Unmapping a hole, an empty range, everything.
    let ts = m.timestamp();
    assert!(
        m.unmap(&mut s, MIN + 6 * P, MIN + 12 * P)
            .unwrap()
            .is_empty()
    );
    assert!(m.unmap(&mut s, MIN, MIN).unwrap().is_empty());
    assert_eq!(m.timestamp(), ts + 1);
    let r = m.unmap(&mut s, MIN, MAX).unwrap();
    assert_eq!(r.len(), 4);
    r.free_all(&mut s);
    assert_eq!((m.nentries(), m.size(), s.live), (0, 0, 0));
    ok(&m, &mut s);
}

#[test]
fn unmap_errors() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 2 * P)).unwrap();
    for (a, b) in [
        (MIN + 1, MIN + P),
        (MIN, MIN + 5),
        (MIN + P, MIN),
        (MIN - P, MIN + P),
        (MIN, MAX + P),
    ] {
        assert_eq!(m.unmap(&mut s, a, b).err(), Some(MapError::Inval));
    }
    assert_eq!(m.nentries(), 1);
    assert_eq!(m.timestamp(), 1);
}

// ----- protect, inherit, advise -----

#[test]
fn protect_clips_and_sets() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 8 * P)).unwrap();
    m.protect(&mut s, MIN + 2 * P, MIN + 4 * P, RO, false)
        .unwrap();
    let v: Vec<_> = m
        .iter(&s)
        .map(|h| (s.get(h).start, s.get(h).prot))
        .collect();
    assert_eq!(v, [(MIN, RW), (MIN + 2 * P, RO), (MIN + 4 * P, RW)]);
    // Over a hole and beyond: fine.
    m.protect(&mut s, MIN + 6 * P, MIN + 20 * P, Prot::empty(), false)
        .unwrap();
    assert_eq!(m.nentries(), 4);
    let h = m.lookup(&mut s, MIN + 7 * P).unwrap();
    assert_eq!(s.get(h).prot, Prot::empty());
    ok(&m, &mut s);
}

#[test]
fn protect_beyond_max_is_access_and_changes_nothing() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 4 * P)).unwrap();
    m.map(
        &mut s,
        fixed(MIN + 4 * P, 4 * P).with_max_prot(RW).no_merge(),
    )
    .unwrap();
    let before = snapshot(&m, &s);
    let rwx = Prot::all();
    assert_eq!(
        m.protect(&mut s, MIN + P, MIN + 6 * P, rwx, false),
        Err(MapError::Access)
    );
    assert_eq!(
        m.protect(&mut s, MIN + P, MIN + 6 * P, rwx, true),
        Err(MapError::Access)
    );
    assert_eq!(snapshot(&m, &s), before); // no clipping happened either
    assert_eq!(m.protect(&mut s, MIN + P, MIN + 2 * P, rwx, false), Ok(()));
    ok(&m, &mut s);
}

#[test]
fn protect_set_max_clamps() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 4 * P)).unwrap(); // RW, max RWX
    m.protect(&mut s, MIN, MIN + 2 * P, Prot::READ | Prot::EXECUTE, true)
        .unwrap();
    let h = m.lookup(&mut s, MIN).unwrap();
    assert_eq!(
        (s.get(h).prot, s.get(h).max_prot),
        (RO, Prot::READ | Prot::EXECUTE)
    );
    // Now WRITE exceeds the new max.
    assert_eq!(
        m.protect(&mut s, MIN, MIN + P, RW, false),
        Err(MapError::Access)
    );
    let h = m.lookup(&mut s, MIN + 3 * P).unwrap();
    assert_eq!((s.get(h).prot, s.get(h).max_prot), (RW, Prot::all()));
    ok(&m, &mut s);
}

#[test]
fn inherit_and_advise() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 8 * P)).unwrap();
    m.inherit(&mut s, MIN + P, MIN + 3 * P, Inherit::Share)
        .unwrap();
    m.advise(&mut s, MIN + 2 * P, MIN + 20 * P, Advice::Random)
        .unwrap();
    let v: Vec<_> = m
        .iter(&s)
        .map(|h| (s.get(h).start, s.get(h).inherit, s.get(h).advice))
        .collect();
    assert_eq!(
        v,
        [
            (MIN, Inherit::Copy, Advice::Normal),
            (MIN + P, Inherit::Share, Advice::Normal),
            (MIN + 2 * P, Inherit::Share, Advice::Random),
            (MIN + 3 * P, Inherit::Copy, Advice::Random),
        ]
    );
    assert_eq!(
        m.inherit(&mut s, MIN + 1, MIN + P, Inherit::None),
        Err(MapError::Inval)
    );
    assert_eq!(
        m.advise(&mut s, MIN, MAX + P, Advice::Normal),
        Err(MapError::Inval)
    );
    ok(&m, &mut s);
}

#[test]
fn clip_for_callers() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 8 * P)).unwrap();
    m.clip(&mut s, MIN + 2 * P, MIN + 4 * P).unwrap();
    let mut cur = m.lookup(&mut s, MIN + 2 * P);
    while let Some(h) = cur {
        if s.get(h).start >= MIN + 4 * P {
            break;
        }
        s.get_mut(h).wired_count += 1;
        cur = m.next(&s, h);
    }
    let v: Vec<_> = m.iter(&s).map(|h| s.get(h).wired_count).collect();
    assert_eq!(v, [0, 1, 0]);
    ok(&m, &mut s);
}

// ----- lookup and walks -----

#[test]
fn lookup_and_hint() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 2 * P).no_merge()).unwrap();
    m.map(&mut s, fixed(MIN + 4 * P, 2 * P).no_merge()).unwrap();
    let a = m.lookup(&mut s, MIN + P).unwrap();
    assert_eq!(s.get(a).start, MIN);
    assert_eq!(m.lookup(&mut s, MIN + 2 * P), None);
    assert_eq!(
        m.lookup(&mut s, MIN + 4 * P + 5).map(|h| s.get(h).start),
        Some(MIN + 4 * P)
    );
    assert_eq!(m.lookup(&mut s, 0), None);
    assert_eq!(m.lookup(&mut s, MAX + 5), None);
    // A hint hit costs one get and no splay.
    m.lookup(&mut s, MIN).unwrap();
    let g = s.gets.get();
    m.lookup(&mut s, MIN + 1).unwrap();
    assert_eq!(s.gets.get() - g, 1);
    // The hint is dropped when its entry goes.
    m.unmap(&mut s, MIN, MIN + 2 * P).unwrap().free_all(&mut s);
    assert_eq!(m.lookup(&mut s, MIN), None);
    ok(&m, &mut s);
}

#[test]
fn walks() {
    let (mut m, mut s) = setup(false);
    for i in [3u64, 0, 5, 1] {
        m.map(&mut s, fixed(MIN + i * 2 * P, P).no_merge()).unwrap();
    }
    let starts: Vec<_> = m.iter(&s).map(|h| s.get(h).start).collect();
    assert_eq!(starts, [MIN, MIN + 2 * P, MIN + 6 * P, MIN + 10 * P]);
    let f = m.first(&s).unwrap();
    let l = m.last(&s).unwrap();
    assert_eq!((s.get(f).start, s.get(l).start), (MIN, MIN + 10 * P));
    assert_eq!(m.prev(&s, f), None);
    assert_eq!(m.next(&s, l), None);
    assert_eq!(m.prev(&s, l).map(|h| s.get(h).start), Some(MIN + 6 * P));
    let inr: Vec<_> = m
        .entries_in(&s, MIN + 2 * P, MIN + 7 * P)
        .map(|h| s.get(h).start)
        .collect();
    assert_eq!(inr, [MIN + 2 * P, MIN + 6 * P]);
    let inr: Vec<_> = m
        .entries_in(&s, MIN + 3 * P, MIN + 6 * P)
        .map(|h| s.get(h).start)
        .collect();
    assert!(inr.is_empty());
    // Splaying cursor.
    let mut v = Vec::new();
    let mut cur = m.first_entry(&mut s);
    while let Some(h) = cur {
        v.push(s.get(h).start);
        cur = m.successor(&mut s, h);
    }
    assert_eq!(v, [MIN, MIN + 2 * P, MIN + 6 * P, MIN + 10 * P]);
    let l = m.last(&s).unwrap();
    assert_eq!(
        m.predecessor(&mut s, l).map(|h| s.get(h).start),
        Some(MIN + 6 * P)
    );
    assert_eq!(m.predecessor(&mut s, f), None);
    // Gap bookkeeping visible through the entries.
    assert_eq!(s.get(f).gap_after(), P);
    assert_eq!(s.get(l).gap_after(), MAX - MIN - 11 * P);
    let root_max = m.iter(&s).map(|h| s.get(h).max_gap()).max().unwrap();
    assert_eq!(root_max, MAX - MIN - 11 * P);
}

#[test]
fn timestamp_bumps_on_success_only() {
    let (mut m, mut s) = setup(false);
    let mut t = 0;
    let mut step = |m: &Map<usize>, changed: bool| {
        if changed {
            t += 1;
        }
        assert_eq!(m.timestamp(), t);
    };
    m.map(&mut s, anon(2 * P)).unwrap();
    step(&m, true);
    m.map(&mut s, anon(2 * P)).unwrap(); // merged
    step(&m, true);
    let _ = m.map(&mut s, anon(0));
    step(&m, false);
    m.lookup(&mut s, MIN);
    m.findspace(&mut s, P, 0, None, false);
    step(&m, false);
    m.protect(&mut s, MIN, MIN + P, RO, false).unwrap();
    step(&m, true);
    m.protect(&mut s, MIN, MIN + P, RO, true).unwrap();
    step(&m, true);
    assert_eq!(
        m.protect(&mut s, MIN, MIN + P, RW, false),
        Err(MapError::Access)
    );
    step(&m, false);
    m.inherit(&mut s, MIN, MIN + P, Inherit::Zero).unwrap();
    step(&m, true);
    m.advise(&mut s, MIN, MIN + P, Advice::Random).unwrap();
    step(&m, true);
    s.fail = true;
    assert_eq!(
        m.unmap(&mut s, MIN + P, MIN + 2 * P).err(),
        Some(MapError::NoMem)
    );
    step(&m, false);
    s.fail = false;
    m.unmap(&mut s, MIN + P, MIN + 2 * P)
        .unwrap()
        .free_all(&mut s);
    step(&m, true);
}

// ----- merging -----

#[test]
fn merge_backward_forward_both() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, obj(MIN, 2 * P, 1, 0)).unwrap();
    // Backward.
    m.map(&mut s, obj(MIN + 2 * P, P, 1, 2 * P)).unwrap();
    assert_eq!(ranges(&m, &s), [(MIN, MIN + 3 * P)]);
    // Forward: a later entry grows down and takes the new backing.
    m.map(&mut s, obj(MIN + 6 * P, 2 * P, 1, 6 * P)).unwrap();
    m.map(&mut s, obj(MIN + 5 * P, P, 1, 5 * P)).unwrap();
    assert_eq!(
        ranges(&m, &s),
        [(MIN, MIN + 3 * P), (MIN + 5 * P, MIN + 8 * P)]
    );
    let h = m.lookup(&mut s, MIN + 7 * P).unwrap();
    assert_eq!(s.get(h).backing, Tb::Obj { id: 1, off: 5 * P });
    assert_eq!(s.live, 2);
    // Both: the hole is filled, the next entry freed.
    m.map(&mut s, obj(MIN + 3 * P, 2 * P, 1, 3 * P)).unwrap();
    assert_eq!(ranges(&m, &s), [(MIN, MIN + 8 * P)]);
    assert_eq!(s.live, 1);
    let h = m.lookup(&mut s, MIN + 7 * P).unwrap();
    assert_eq!(s.get(h).backing, Tb::Obj { id: 1, off: 0 });
    assert_eq!(m.size(), 8 * P);
    ok(&m, &mut s);
    // Clipping afterwards splits the merged backing consistently.
    let mut r = m.unmap(&mut s, MIN + 4 * P, MIN + 6 * P).unwrap();
    assert_eq!(
        r.pop(&mut s).unwrap().backing,
        Tb::Obj { id: 1, off: 4 * P }
    );
    let h = m.lookup(&mut s, MIN + 6 * P).unwrap();
    assert_eq!(s.get(h).backing, Tb::Obj { id: 1, off: 6 * P });
    ok(&m, &mut s);
}

#[test]
fn merge_both_sides_unhinted() {
    // Bottom-up: the hole between two anonymous entries is filled by an
    // unhinted request of exactly its size.
    let (mut m, mut s) = setup(false);
    m.map(&mut s, fixed(MIN, 2 * P)).unwrap();
    m.map(&mut s, fixed(MIN + 3 * P, 2 * P)).unwrap();
    assert_eq!(m.nentries(), 2);
    assert_eq!(m.map(&mut s, anon(P)), Ok(MIN + 2 * P));
    assert_eq!(m.nentries(), 1);
    assert_eq!(s.live, 1);
    ok(&m, &mut s);
}

#[test]
fn no_merge_across_different_attributes_or_wired() {
    let base = || {
        let (mut m, mut s) = setup(false);
        m.map(&mut s, fixed(MIN, 2 * P)).unwrap();
        m.map(&mut s, fixed(MIN + 3 * P, 2 * P)).unwrap();
        (m, s)
    };
    let variants: Vec<(&str, MapRequest<Tb>)> = vec![
        ("prot", MapRequest::new(P, RO, Tb::Anon)),
        ("max_prot", anon(P).with_max_prot(RW)),
        ("inherit", anon(P).with_inherit(Inherit::Share)),
        ("advice", anon(P).with_advice(Advice::Random)),
        ("flags", anon(P).with_flags(EntryFlags::COPY_ON_WRITE)),
        ("NO_MERGE", anon(P).with_flags(EntryFlags::NO_MERGE)),
        ("merge=false", anon(P).no_merge()),
        ("backing", MapRequest::new(P, RW, Tb::Obj { id: 1, off: 0 })),
    ];
    for (what, req) in variants {
        let (mut m, mut s) = base();
        m.map(&mut s, req.fixed_at(MIN + 2 * P)).unwrap();
        assert_eq!(m.nentries(), 3, "{what}");
        ok(&m, &mut s);
    }
    // Wired neighbours.
    let (mut m, mut s) = base();
    for h in m.iter(&s).collect::<Vec<_>>() {
        s.get_mut(h).wired_count = 1;
    }
    m.map(&mut s, fixed(MIN + 2 * P, P)).unwrap();
    assert_eq!(m.nentries(), 3);
    ok(&m, &mut s);
    // Only one neighbour wired: merges with the other one.
    let (mut m, mut s) = base();
    let f = m.first(&s).unwrap();
    s.get_mut(f).wired_count = 1;
    m.map(&mut s, fixed(MIN + 2 * P, P)).unwrap();
    assert_eq!(
        ranges(&m, &s),
        [(MIN, MIN + 2 * P), (MIN + 2 * P, MIN + 5 * P)]
    );
    ok(&m, &mut s);
    // Non-contiguous object offsets.
    let (mut m, mut s) = setup(false);
    m.map(&mut s, obj(MIN, P, 1, 0)).unwrap();
    m.map(&mut s, obj(MIN + P, P, 1, 5 * P)).unwrap();
    m.map(&mut s, obj(MIN + 2 * P, P, 2, 2 * P)).unwrap();
    assert_eq!(m.nentries(), 3);
    ok(&m, &mut s);
}

#[test]
fn backward_preferred_when_neighbours_cannot_join() {
    let (mut m, mut s) = setup(false);
    m.map(&mut s, obj(MIN, P, 1, 0)).unwrap();
    m.map(&mut s, obj(MIN + 2 * P, P, 1, 9 * P)).unwrap();
    // Contiguous with the first; the second also accepts it (it would
    // take the new backing), but first+new cannot absorb the second.
    let mut r = obj(MIN + P, P, 1, P);
    r.backing = Tb::Obj { id: 1, off: P };
    m.map(&mut s, r).unwrap();
    assert_eq!(
        ranges(&m, &s),
        [(MIN, MIN + 2 * P), (MIN + 2 * P, MIN + 3 * P)]
    );
    ok(&m, &mut s);
}

fn sequential(topdown: bool) {
    const N: u64 = 10_000;
    let mut m = Map::new(0x1000, 0x1000 + 2 * N * P, topdown);
    let mut s = VecStore::<()>::new();
    let mut last = None;
    for _ in 0..N {
        let a = m.map(&mut s, MapRequest::new(P, RW, ())).unwrap();
        if let Some(l) = last {
            assert_eq!(a, if topdown { l - P } else { l + P });
        }
        last = Some(a);
    }
    assert_eq!(m.nentries(), 1);
    assert_eq!(m.size(), N * P);
    assert_eq!(s.live, 1);
    m.check(&mut s).unwrap();
}

#[test]
fn sequential_10000_anonymous_topdown_end_as_one_entry() {
    sequential(true);
}

#[test]
fn sequential_10000_anonymous_bottom_up_end_as_one_entry() {
    sequential(false);
}

// ----- NoMem -----

/// Every operation that needs entries fails atomically when the store is
/// out of memory, and succeeds once memory is back.
#[test]
fn nomem_leaves_map_unchanged() {
    let build = || {
        let (mut m, mut s) = setup(false);
        m.map(&mut s, fixed(MIN, 8 * P)).unwrap();
        m.map(
            &mut s,
            fixed(MIN + 10 * P, 8 * P).with_inherit(Inherit::Share),
        )
        .unwrap();
        (m, s)
    };
    type Op = fn(&mut Map<usize>, &mut VecStore<Tb>) -> Result<(), MapError>;
    let ops: Vec<(&str, Op, u64)> = vec![
        (
            "map",
            |m, s| m.map(s, anon(P).with_inherit(Inherit::Zero)).map(drop),
            1,
        ),
        (
            "map fixed",
            |m, s| m.map(s, fixed(MIN + 9 * P, P).no_merge()).map(drop),
            1,
        ),
        (
            "unmap one clip",
            |m, s| m.unmap(s, MIN + 2 * P, MIN + 9 * P).map(|r| r.free_all(s)),
            1,
        ),
        (
            "unmap two clips",
            |m, s| m.unmap(s, MIN + 2 * P, MIN + 12 * P).map(|r| r.free_all(s)),
            2,
        ),
        (
            "unmap inside one",
            |m, s| m.unmap(s, MIN + 2 * P, MIN + 4 * P).map(|r| r.free_all(s)),
            2,
        ),
        (
            "protect",
            |m, s| m.protect(s, MIN + P, MIN + 2 * P, RO, false),
            2,
        ),
        (
            "protect max",
            |m, s| m.protect(s, MIN + 5 * P, MIN + 12 * P, RO, true),
            2,
        ),
        (
            "inherit",
            |m, s| m.inherit(s, MIN + P, MIN + 12 * P, Inherit::None),
            2,
        ),
        (
            "advise",
            |m, s| m.advise(s, MIN + 7 * P, MIN + 16 * P, Advice::Sequential),
            2,
        ),
        ("clip", |m, s| m.clip(s, MIN + 3 * P, MIN + 4 * P), 2),
    ];
    for (what, op, needed) in ops {
        // Fail on the first, then (if two are needed) on the second
        // allocation.
        for ok_allocs in 0..needed {
            let (mut m, mut s) = build();
            let before = snapshot(&m, &s);
            let live = s.live;
            s.fail_after = Some(ok_allocs as usize);
            assert_eq!(
                op(&mut m, &mut s),
                Err(MapError::NoMem),
                "{what} after {ok_allocs}"
            );
            assert_eq!(snapshot(&m, &s), before, "{what}");
            assert_eq!(s.live, live, "{what}: leaked entries");
            m.check(&mut s).unwrap();
            s.fail_after = None;
            assert_eq!(op(&mut m, &mut s), Ok(()), "{what} after recovery");
            m.check(&mut s).unwrap();
        }
        // With exactly enough entries it succeeds.
        let (mut m, mut s) = build();
        s.fail_after = Some(needed as usize);
        assert_eq!(op(&mut m, &mut s), Ok(()), "{what} with {needed} entries");
        m.check(&mut s).unwrap();
    }
}

/// Merging needs no entry, so it works with the store out of memory.
#[test]
fn merge_needs_no_allocation() {
    let (mut m, mut s) = setup(true);
    m.map(&mut s, anon(P)).unwrap();
    s.fail = true;
    for _ in 0..10 {
        m.map(&mut s, anon(P)).unwrap();
    }
    assert_eq!(m.nentries(), 1);
    m.check(&mut s).unwrap();
}

/// RAII backings: every reference taken by clipping is released by
/// unmapping and popping, merges release what they absorb, and failed
/// operations neither leak nor over-release.
#[test]
fn backing_references_balanced() {
    let r = Rc::new(());
    let other = Rc::new(());
    {
        let mut m = Map::new(MIN, MAX, false);
        let mut s = VecStore::<RcB>::new();
        let req = |len: u64, rc: &Rc<()>| MapRequest::new(len, RW, RcB(rc.clone()));
        m.map(&mut s, req(8 * P, &r).fixed_at(MIN)).unwrap();
        m.map(&mut s, req(8 * P, &r).fixed_at(MIN + 8 * P)).unwrap(); // merged
        m.map(&mut s, req(8 * P, &other).fixed_at(MIN + 16 * P))
            .unwrap();
        assert_eq!(m.nentries(), 2);
        assert_eq!(Rc::strong_count(&r), 2);
        m.protect(&mut s, MIN + 2 * P, MIN + 4 * P, RO, false)
            .unwrap();
        assert_eq!(Rc::strong_count(&r), 4);
        s.fail_after = Some(1);
        assert_eq!(
            m.unmap(&mut s, MIN + 5 * P, MIN + 18 * P).err(),
            Some(MapError::NoMem)
        );
        assert_eq!(Rc::strong_count(&r), 4);
        assert_eq!(Rc::strong_count(&other), 2);
        s.fail = true;
        assert_eq!(
            m.map(&mut s, req(P, &other).fixed_at(MIN + 30 * P)),
            Err(MapError::NoMem)
        );
        assert_eq!(Rc::strong_count(&other), 2);
        s.fail = false;
        s.fail_after = None;
        let mut gone = m.unmap(&mut s, MIN + 5 * P, MIN + 18 * P).unwrap();
        assert_eq!(Rc::strong_count(&r), 5);
        while gone.pop(&mut s).is_some() {}
        assert_eq!(Rc::strong_count(&r), 4);
        m.unmap(&mut s, MIN, MAX).unwrap().free_all(&mut s);
        m.check(&mut s).unwrap();
        assert_eq!(s.live, 0);
    }
    assert_eq!(Rc::strong_count(&r), 1);
    assert_eq!(Rc::strong_count(&other), 1);
}

// ----- checker -----

#[test]
fn check_detects_corruption() {
    let (mut m, mut s) = setup(false);
    for i in 0..6 {
        m.map(&mut s, fixed(MIN + i * 3 * P, 2 * P).no_merge())
            .unwrap();
    }
    m.check(&mut s).unwrap();
    let h = m.lookup(&mut s, MIN + 6 * P).unwrap();
    s.get_mut(h).end += P;
    assert!(m.check(&mut s).is_err());
    s.get_mut(h).end -= P;
    m.check(&mut s).unwrap();
    s.get_mut(h).prot = Prot::all();
    s.get_mut(h).max_prot = RO;
    assert_eq!(m.check(&mut s), Err("vmmap: prot exceeds max_prot"));
    s.get_mut(h).max_prot = Prot::all();
    s.get_mut(h).end += P;
    s.get_mut(h).start += P;
    assert!(m.check(&mut s).is_err());
    s.get_mut(h).end -= P;
    s.get_mut(h).start -= P;
    m.check(&mut s).unwrap();
}

#[test]
fn error_display() {
    assert_eq!(MapError::Inval.to_string(), "invalid argument");
    assert_eq!(MapError::NoSpace.to_string(), "no space in address map");
    assert_eq!(MapError::NoMem.to_string(), "out of memory for map entries");
    assert_eq!(
        MapError::Access.to_string(),
        "protection exceeds maximum protection"
    );
}

#[test]
fn lookup_ro_agrees_with_lookup_and_leaves_the_tree_alone() {
    let (mut m, mut s) = setup(false);
    // A fragmented map: one-page entries with one-page holes.
    let mut addr = MIN;
    while addr + 2 * P <= MAX {
        m.map(&mut s, fixed(addr, P).no_merge()).unwrap();
        addr += 2 * P;
    }
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let a = MIN + rng.below((MAX - MIN) / 8) * 8;
        let root = m.tree_root();
        let ro = m.lookup_ro(&s, a).map(|h| (s.get(h).start, s.get(h).end));
        assert_eq!(m.tree_root(), root, "lookup_ro must not restructure the tree");
        let rw = m.lookup(&mut s, a).map(|h| (s.get(h).start, s.get(h).end));
        assert_eq!(ro, rw, "address {a:#x}");
        assert_eq!(ro.is_some(), (a - MIN) / P % 2 == 0);
    }
    ok(&m, &mut s);
}

#[test]
fn lookup_ro_reports_a_degenerate_path_and_a_splaying_lookup_repairs_it() {
    let (mut m, mut s) = setup(false);
    // Sequential inserts leave a long spine until something splays.
    let mut addr = MIN;
    while addr + 2 * P <= MAX {
        m.map(&mut s, fixed(addr, P).no_merge()).unwrap();
        addr += 2 * P;
    }
    // Far from where the last insert left the root: a long walk.
    let (found, deep) = m.lookup_ro_deep(&s, MIN);
    assert!(found.is_some());
    let mut repaired = deep;
    for a in [MIN, MIN + 20 * P, MIN + 100 * P, MAX - 4 * P] {
        let (_, deep) = m.lookup_ro_deep(&s, a);
        if deep {
            // What the kernel does: one exclusive, restructuring lookup.
            m.lookup(&mut s, a);
            repaired = true;
            assert!(!m.lookup_ro_deep(&s, a).1, "after the splay the path is short");
        }
    }
    assert!(repaired, "a degenerate tree was reported at least once");
    ok(&m, &mut s);
}

// ----- the local check -----

#[test]
fn check_around_passes_on_a_sound_map_and_catches_a_corrupted_entry() {
    let (mut m, mut s) = setup(false);
    let mut addrs = Vec::new();
    for i in 0..20 {
        let a = m.map(&mut s, fixed(MIN + 2 * i * P, P).no_merge()).unwrap();
        addrs.push(a);
    }
    for &a in &addrs {
        m.check_around(&s, a, a + P).unwrap();
    }
    m.check_around(&s, MIN, MAX).unwrap();
    // An empty range in a hole, and one past the last entry.
    m.check_around(&s, MIN + P, MIN + P).unwrap();
    m.check_around(&s, MAX - P, MAX).unwrap();
    // Stretch entry 10 over its gap (its gap_after is now wrong): the
    // check around it notices, one far away does not look there.
    let h = m.lookup(&mut s, addrs[10]).unwrap();
    s.get_mut(h).end += P;
    assert_eq!(
        m.check_around(&s, addrs[10], addrs[10] + P),
        Err("vmmap: wrong gap_after")
    );
    assert_eq!(
        m.check_around(&s, addrs[11], addrs[11] + P),
        Err("vmmap: wrong gap_after"),
        "the entry before the range is checked too"
    );
    assert!(m.check_around(&s, addrs[2], addrs[2] + P).is_ok());
    assert!(m.check(&mut s).is_err());
    s.get_mut(h).end -= P;
    m.check(&mut s).unwrap();
    // A protection beyond the maximum.
    let h = m.lookup(&mut s, addrs[3]).unwrap();
    s.get_mut(h).max_prot = Prot::READ;
    assert_eq!(
        m.check_around(&s, addrs[3], addrs[3] + P),
        Err("vmmap: prot exceeds max_prot")
    );
}
