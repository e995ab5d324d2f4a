//! ktests of the vm_map in the kernel: pool-backed entries, user layout,
//! clipping, merging, protection, the historical failure modes, invariants
//! after every operation, and entry accounting.

use super::map::{
    Advice, EntryFlags, Inherit, KERNEL_MAP_BASE, MapKind, MapRequest, UserLayout, VmMap,
    kernel_map,
};
use crate::kern::error::KernError;
use crate::kern::mem::pool_registry;
use crate::ktest::ktest;
use crate::uvm::VmProt;
use alloc::vec::Vec;

const P: u64 = 4096;
const MIB: u64 = 1 << 20;
const RW: VmProt = VmProt::READ.union(VmProt::WRITE);
const RO: VmProt = VmProt::READ;

fn layout() -> UserLayout {
    UserLayout {
        min: 0x1_0000,
        max: 0x7fff_ffff_f000,
        stack_top: 0x7fff_ffff_f000,
        stack_max: 8 * MIB,
        text_start: 0x40_0000,
        data_end: 0x60_0000,
        heap_max: 1 << 30,
    }
}

fn user_map() -> VmMap {
    VmMap::new_user(layout())
}

fn ok(m: &VmMap) {
    m.check_invariants().expect("map invariants");
}

fn entry_items(name: &str) -> u64 {
    pool_registry::pools()
        .find(|p| p.name() == name)
        .map_or(0, |p| p.stats().in_use)
}

#[ktest]
fn unhinted_mappings_go_down_from_below_the_stack() {
    let m = user_map();
    let a = m.map(MapRequest::anon(4 * P, RW)).unwrap();
    let l = layout();
    assert_eq!(
        a,
        l.stack_top - l.stack_max - 4 * P,
        "just below the stack reservation"
    );
    let b = m.map(MapRequest::anon(2 * P, RO)).unwrap();
    assert_eq!(b, a - 2 * P, "the next one goes below it");
    ok(&m);
}

#[ktest]
fn fixed_mapping_and_lookup() {
    let m = user_map();
    let a = m.map(MapRequest::anon(3 * P, RW).at(0x100_0000)).unwrap();
    assert_eq!(a, 0x100_0000);
    let e = m.lookup(0x100_0000 + P).unwrap();
    assert_eq!(
        (e.start, e.end, e.prot),
        (0x100_0000, 0x100_0000 + 3 * P, RW)
    );
    assert!(
        m.lookup(0x100_0000 + 3 * P).is_none(),
        "the end is exclusive"
    );
    assert!(m.lookup(0x100_0000 - 1).is_none());
    ok(&m);
}

#[ktest]
fn fixed_mapping_over_used_space_fails_and_changes_nothing() {
    let m = user_map();
    m.map(MapRequest::anon(4 * P, RW).at(0x200_0000)).unwrap();
    let ts = m.timestamp();
    assert_eq!(
        m.map(MapRequest::anon(4 * P, RO).at(0x200_0000 + 2 * P)),
        Err(KernError::NoSpace)
    );
    assert_eq!((m.nentries(), m.timestamp()), (1, ts));
    ok(&m);
}

#[ktest]
fn bad_arguments_are_rejected() {
    let m = user_map();
    assert_eq!(
        m.map(MapRequest::anon(0, RW)),
        Err(KernError::Inval),
        "zero length"
    );
    assert_eq!(
        m.map(MapRequest::anon(100, RW)),
        Err(KernError::Inval),
        "unaligned length"
    );
    assert_eq!(
        m.map(MapRequest::anon(P, RW).at(0x100_0001)),
        Err(KernError::Inval),
        "unaligned address"
    );
    let mut r = MapRequest::anon(P, RW);
    r.max_prot = RO;
    assert_eq!(m.map(r), Err(KernError::Inval), "prot beyond max");
    assert_eq!(
        m.map(MapRequest::anon(P, RW).at(0x1000)),
        Err(KernError::Inval),
        "below the map"
    );
    assert_eq!(m.nentries(), 0);
}

#[ktest]
fn unmap_clips_both_ends_and_returns_the_removed_part() {
    let m = user_map();
    let a = m.map(MapRequest::anon(10 * P, RW).at(0x300_0000)).unwrap();
    let dead = m.unmap_collect(a + 3 * P, a + 7 * P).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].start, dead[0].end), (a + 3 * P, a + 7 * P));
    assert_eq!(m.nentries(), 2);
    assert_eq!(m.lookup(a).unwrap().end, a + 3 * P);
    assert_eq!(m.lookup(a + 9 * P).unwrap().start, a + 7 * P);
    assert!(m.lookup(a + 5 * P).is_none());
    assert_eq!(m.size(), 6 * P);
    ok(&m);
}

#[ktest]
fn unmap_of_a_range_with_holes_removes_every_entry_in_it() {
    let m = user_map();
    for i in 0..5u64 {
        let mut r =
            MapRequest::anon(P, if i % 2 == 0 { RW } else { RO }).at(0x400_0000 + i * 2 * P);
        r.merge = false;
        m.map(r).unwrap();
    }
    let dead = m.unmap_collect(0x400_0000, 0x400_0000 + 10 * P).unwrap();
    assert_eq!(dead.len(), 5);
    assert!(dead.windows(2).all(|w| w[0].start < w[1].start));
    assert_eq!(m.nentries(), 0);
    ok(&m);
}

#[ktest]
fn protect_clips_and_respects_max_protection() {
    let m = user_map();
    let a = m.map(MapRequest::anon(6 * P, RW).at(0x500_0000)).unwrap();
    m.protect(a + 2 * P, a + 4 * P, RO, false).unwrap();
    assert_eq!(m.nentries(), 3);
    assert_eq!(m.lookup(a + 2 * P).unwrap().prot, RO);
    assert_eq!(m.lookup(a).unwrap().prot, RW);
    // Lower the maximum, then raising beyond it is refused and changes nothing.
    m.protect(a, a + 2 * P, RO, true).unwrap();
    assert_eq!(m.lookup(a).unwrap().max_prot, RO);
    let ts = m.timestamp();
    assert_eq!(m.protect(a, a + 6 * P, RW, false), Err(KernError::Access));
    assert_eq!(m.timestamp(), ts);
    assert_eq!(
        m.lookup(a + 5 * P).unwrap().prot,
        RW,
        "nothing changed on failure"
    );
    ok(&m);
}

#[ktest]
fn inherit_and_advise_clip_and_set() {
    let m = user_map();
    let a = m.map(MapRequest::anon(4 * P, RW).at(0x600_0000)).unwrap();
    m.inherit(a + P, a + 2 * P, Inherit::Share).unwrap();
    m.advise(a + 3 * P, a + 4 * P, Advice::Sequential).unwrap();
    assert_eq!(m.lookup(a + P).unwrap().inherit, Inherit::Share);
    assert_eq!(m.lookup(a).unwrap().inherit, Inherit::Copy);
    assert_eq!(m.lookup(a + 3 * P).unwrap().advice, Advice::Sequential);
    assert_eq!(m.nentries(), 4);
    ok(&m);
}

#[ktest]
fn sequential_anonymous_allocations_merge_into_a_handful_of_entries() {
    let m = user_map();
    for _ in 0..10_000 {
        m.map(MapRequest::anon(P, RW)).unwrap();
    }
    assert!(
        m.nentries() <= 3,
        "10,000 allocations left {} entries",
        m.nentries()
    );
    assert_eq!(m.size(), 10_000 * P);
    ok(&m);
}

#[ktest]
fn merging_works_backward_forward_and_both() {
    let m = user_map();
    let base = 0x700_0000;
    m.map(MapRequest::anon(2 * P, RW).at(base)).unwrap();
    m.map(MapRequest::anon(2 * P, RW).at(base + 2 * P)).unwrap(); // backward: extends the first
    assert_eq!(m.nentries(), 1);
    m.map(MapRequest::anon(2 * P, RW).at(base + 8 * P)).unwrap();
    m.map(MapRequest::anon(2 * P, RW).at(base + 6 * P)).unwrap(); // forward: extends the third
    assert_eq!(m.nentries(), 2);
    m.map(MapRequest::anon(2 * P, RW).at(base + 4 * P)).unwrap(); // both: one entry
    assert_eq!(m.nentries(), 1);
    let e = m.lookup(base).unwrap();
    assert_eq!((e.start, e.end), (base, base + 10 * P));
    ok(&m);
}

#[ktest]
fn no_merge_across_different_protection_inheritance_or_wiring() {
    let m = user_map();
    let base = 0x800_0000;
    m.map(MapRequest::anon(P, RW).at(base)).unwrap();
    m.map(MapRequest::anon(P, RO).at(base + P)).unwrap();
    let mut r = MapRequest::anon(P, RO).at(base + 2 * P);
    r.inherit = Inherit::Share;
    m.map(r).unwrap();
    m.modify(base + 2 * P, base + 3 * P, |e| e.wired_count = 1)
        .unwrap();
    let mut r = MapRequest::anon(P, RO).at(base + 3 * P);
    r.inherit = Inherit::Share;
    m.map(r).unwrap();
    assert_eq!(m.nentries(), 4, "nothing compatible to merge with");
    m.modify(base + 2 * P, base + 3 * P, |e| e.wired_count = 0)
        .unwrap();
    ok(&m);
}

#[ktest]
fn findspace_never_returns_space_in_use_at_either_end_of_the_map() {
    let m = VmMap::new(MapKind::User, 0x10_0000, 0x10_0000 + 64 * P, true, None);
    // Fill the first and last pages: the free space is strictly inside.
    m.map(MapRequest::anon(P, RW).at(0x10_0000)).unwrap();
    m.map(MapRequest::anon(P, RW).at(0x10_0000 + 63 * P))
        .unwrap();
    for topdown in [true, false] {
        let a = m.findspace(4 * P, 0, None, topdown).unwrap();
        assert!(
            a >= 0x10_0000 + P && a + 4 * P <= 0x10_0000 + 63 * P,
            "{a:#x} overlaps an end"
        );
    }
    // The whole inside fits exactly once; one page more does not.
    assert!(m.findspace(62 * P, 0, None, true).is_some());
    assert_eq!(m.findspace(63 * P, 0, None, true), None);
    ok(&m);
}

#[ktest]
fn alignment_is_honoured_when_free_space_starts_at_the_previous_entry() {
    let m = VmMap::new(MapKind::User, 0x1000_0000, 0x2000_0000, false, None);
    // An entry ending at an unaligned address right before the free space.
    m.map(MapRequest::anon(3 * P, RW).at(0x1000_0000)).unwrap();
    let a = m.map(MapRequest::anon(P, RO).align(0x20_0000)).unwrap();
    assert_eq!(a % 0x20_0000, 0, "aligned start");
    assert!(
        a >= 0x1000_0000 + 3 * P,
        "not overlapping the previous entry"
    );
    ok(&m);
}

#[ktest]
fn a_huge_stack_reservation_still_leaves_room_for_the_program_and_mappings() {
    let mut l = layout();
    l.stack_max = u64::MAX; // "unlimited" stack
    let m = VmMap::new_user(l);
    let a = m.map(MapRequest::anon(16 * P, RW)).unwrap();
    assert!(
        a >= l.heap_end(),
        "mapping {a:#x} must stay above the heap reservation"
    );
    assert!(a + 16 * P <= l.stack_top);
    ok(&m);
}

#[ktest]
fn the_kernel_map_is_bottom_up_and_takes_entries_from_its_reserve() {
    let km = kernel_map();
    let reserve = pool_registry::pools()
        .find(|p| p.name() == "vmmpekpl")
        .unwrap();
    assert!(reserve.stats().pages >= 2, "the reserve is primed");
    let a = km.map(MapRequest::anon(4 * P, RW)).unwrap();
    assert!(a >= KERNEL_MAP_BASE);
    let b = km.map(MapRequest::anon(4 * P, RO)).unwrap();
    assert_eq!(b, a + 4 * P, "bottom-up placement");
    assert!(reserve.stats().in_use >= 2);
    km.unmap_collect(a, b + 4 * P).unwrap();
    ok(km);
}

#[ktest]
fn entries_go_back_to_their_pool() {
    let before = entry_items("vmmpepl");
    let m = user_map();
    for i in 0..100u64 {
        let mut r = MapRequest::anon(P, RW).at(0x900_0000 + 2 * i * P);
        r.merge = false;
        m.map(r).unwrap();
    }
    assert_eq!(entry_items("vmmpepl"), before + 100);
    m.unmap_collect(0x900_0000, 0x900_0000 + 100 * P).unwrap();
    assert_eq!(entry_items("vmmpepl"), before + 50);
    drop(m);
    assert_eq!(
        entry_items("vmmpepl"),
        before,
        "dropping the map frees every entry"
    );
}

#[ktest]
fn walk_visits_every_entry_in_address_order() {
    let m = user_map();
    for i in [5u64, 1, 9, 3, 7] {
        m.map(MapRequest::anon(P, RW).at(0xa00_0000 + i * 2 * P))
            .unwrap();
    }
    let mut seen = Vec::new();
    m.walk(|e| seen.push(e.start));
    assert_eq!(seen, [1u64, 3, 5, 7, 9].map(|i| 0xa00_0000 + i * 2 * P));
}

#[ktest]
fn modify_changes_only_the_clipped_range() {
    let m = user_map();
    let a = m.map(MapRequest::anon(8 * P, RW).at(0xb00_0000)).unwrap();
    m.modify(a + 2 * P, a + 5 * P, |e| {
        e.wired_count += 1;
        e.flags |= EntryFlags::NO_MERGE;
    })
    .unwrap();
    assert_eq!(m.nentries(), 3);
    assert_eq!(m.lookup(a + 3 * P).unwrap().wired_count, 1);
    assert_eq!(m.lookup(a).unwrap().wired_count, 0);
    assert_eq!(m.lookup(a + 6 * P).unwrap().wired_count, 0);
    m.modify(a + 2 * P, a + 5 * P, |e| e.wired_count = 0)
        .unwrap();
    ok(&m);
}

#[ktest]
fn the_timestamp_changes_with_every_modification() {
    let m = user_map();
    let t0 = m.timestamp();
    let a = m.map(MapRequest::anon(2 * P, RW)).unwrap();
    let t1 = m.timestamp();
    assert!(t1 > t0);
    let _ = m.lookup(a);
    let _ = m.findspace(P, 0, None, true);
    assert_eq!(m.timestamp(), t1, "reads do not change the version");
    m.protect(a, a + P, RO, false).unwrap();
    assert!(m.timestamp() > t1);
}

#[ktest]
fn random_operations_keep_every_invariant() {
    let m = VmMap::new(
        MapKind::User,
        0x1000_0000,
        0x1000_0000 + 4096 * P,
        true,
        None,
    );
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..600 {
        let r = next();
        let page = (r >> 8) % 4000;
        let len = ((r >> 24) % 16 + 1) * P;
        let addr = 0x1000_0000 + page * P;
        let prot = if r & 2 == 0 { RW } else { RO };
        match r % 5 {
            0 | 1 => {
                let _ = m.map(MapRequest::anon(len, prot));
            }
            2 => {
                let _ = m.map(MapRequest::anon(len, prot).at(addr));
            }
            3 => {
                m.unmap_collect(addr, addr + len).unwrap();
            }
            _ => {
                let _ = m.protect(addr, addr + len, RO, false);
            }
        }
        ok(&m);
    }
}

#[ktest]
fn entry_shortage_fails_cleanly_and_leaves_the_map_unchanged() {
    let m = user_map();
    let mut held = Vec::with_capacity(crate::uvm::physmem::free_pages() as usize + 16);
    while let Ok(pa) = crate::uvm::physmem::alloc_page(crate::uvm::page::PageUse::Kernel) {
        held.push(pa);
    }
    // Map non-mergeable entries until the entry pool runs dry.
    let mut err = None;
    for i in 0..1_000_000u64 {
        let mut r = MapRequest::anon(P, RW).at(0x4000_0000 + 2 * i * P);
        r.merge = false;
        r.nowait = true;
        let (n, ts) = (m.nentries(), m.timestamp());
        match m.map(r) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(
                    (m.nentries(), m.timestamp()),
                    (n, ts),
                    "a failed map changes nothing"
                );
                err = Some(e);
                break;
            }
        }
    }
    assert_eq!(err, Some(KernError::NoMem));
    ok(&m);
    held.into_iter().for_each(crate::uvm::physmem::free_page);
}

#[ktest]
fn lookup_of_an_address_in_a_gap_finds_nothing() {
    let m = user_map();
    m.map(MapRequest::anon(P, RW).at(0xc00_0000)).unwrap();
    m.map(MapRequest::anon(P, RO).at(0xc00_0000 + 4 * P))
        .unwrap();
    assert!(m.lookup(0xc00_0000 + 2 * P).is_none());
    assert!(m.lookup(0xc00_0000).is_some());
    assert!(
        m.lookup(0xc00_0000 + 4 * P + 100).is_some(),
        "any byte of the page"
    );
}

#[ktest]
fn a_hint_starts_the_search_below_it_topdown_and_above_it_bottom_up() {
    let m = VmMap::new(MapKind::User, 0x1000_0000, 0x2000_0000, true, None);
    let hint = 0x1800_0000;
    let a = m.map(MapRequest::anon(4 * P, RW).hint(hint)).unwrap();
    assert!(
        a + 4 * P <= hint + 4 * P && a <= hint,
        "topdown from the hint: {a:#x}"
    );
    let b = VmMap::new(MapKind::User, 0x1000_0000, 0x2000_0000, false, None);
    let c = b.map(MapRequest::anon(4 * P, RW).hint(hint)).unwrap();
    assert!(c >= hint, "bottom-up from the hint: {c:#x}");
}

#[ktest]
fn bottom_up_maps_fill_the_lowest_hole_first() {
    let m = VmMap::new(MapKind::User, 0x1000_0000, 0x2000_0000, false, None);
    let a = m.map(MapRequest::anon(4 * P, RW)).unwrap();
    assert_eq!(a, 0x1000_0000);
    let b = m.map(MapRequest::anon(4 * P, RO)).unwrap();
    m.unmap_collect(a, a + 4 * P).unwrap();
    let c = m
        .map(MapRequest::anon(2 * P, VmProt::EXECUTE | VmProt::READ))
        .unwrap();
    assert_eq!(c, 0x1000_0000, "the freed hole at the bottom is reused");
    assert!(b > c);
    ok(&m);
}

#[ktest]
fn a_whole_map_can_be_emptied_and_reused() {
    let m = user_map();
    for _ in 0..50 {
        m.map(MapRequest::anon(3 * P, RW)).unwrap();
        m.map(MapRequest::anon(P, RO)).unwrap();
    }
    let (min, max) = m.bounds();
    m.unmap_collect(min, max).unwrap();
    assert_eq!((m.nentries(), m.size()), (0, 0));
    let a = m.map(MapRequest::anon(P, RW)).unwrap();
    assert_eq!(
        a,
        layout().default_addr(P, true),
        "back to the first placement"
    );
    ok(&m);
}

#[ktest]
fn kernel_map_entries_come_from_the_reserve_when_memory_is_exhausted() {
    let km = kernel_map();
    let mut held = Vec::with_capacity(crate::uvm::physmem::free_pages() as usize + 16);
    while let Ok(pa) = crate::uvm::physmem::alloc_page(crate::uvm::page::PageUse::Kernel) {
        held.push(pa);
    }
    let mut r = MapRequest::anon(P, RW);
    r.nowait = true;
    r.merge = false;
    let a = km.map(r);
    held.into_iter().for_each(crate::uvm::physmem::free_page);
    let a = a.expect("a kernel map entry must come from the reserve");
    km.unmap_collect(a, a + P).unwrap();
}
