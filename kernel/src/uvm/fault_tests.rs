//! ktests of the anonymous-memory layer, the fault routine and address
//! spaces. They take real faults: a test vmspace is activated and its
//! addresses are touched from the kernel with SMAP opened (copyin/copyout),
//! so the page-fault handler runs the UVM fault routine.

use super::amap;
use super::anon;
use super::fault;
use super::map::{EntryFlags, Inherit, MapRequest};
use super::object;
use super::page::PageUse;
use super::physmem;
use super::vmspace::{PAGE, Vmspace, default_layout};
use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::ktest::ktest;
use crate::pmap::pte::Pte;
use crate::uvm::VmProt;
use crate::uvm::copy;
use alloc::sync::Arc;
use alloc::vec::Vec;

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);
const RO: VmProt = VmProt::READ;

fn space() -> Arc<Vmspace> {
    Vmspace::new(default_layout()).unwrap()
}

/// Read a byte of `vs` as a program would (faulting pages in).
fn peek(vs: &Arc<Vmspace>, va: u64) -> KResult<u8> {
    vs.activate();
    let r = copy::copyin_u8(va);
    Vmspace::deactivate();
    r
}

/// Write a byte into `vs`.
fn poke(vs: &Arc<Vmspace>, va: u64, v: u8) -> KResult<()> {
    vs.activate();
    let r = copy::copyout_u8(va, v);
    Vmspace::deactivate();
    r
}

fn anon_pages() -> u64 {
    physmem::stats().count(PageUse::Anon)
}

#[ktest]
fn zero_fill_on_first_read() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    let fills = fault::STATS
        .zero_fills
        .load(core::sync::atomic::Ordering::Relaxed);
    assert_eq!(peek(&vs, a + 100), Ok(0));
    assert_eq!(
        fault::STATS
            .zero_fills
            .load(core::sync::atomic::Ordering::Relaxed),
        fills + 1
    );
    assert!(
        vs.pmap.extract(a).is_some(),
        "the page is mapped after the fault"
    );
    assert!(vs.pmap.extract(a + PAGE).is_none(), "only the touched page");
}

#[ktest]
fn write_then_read_back_an_anon() {
    let vs = space();
    let a = vs.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    poke(&vs, a + 5, 42).unwrap();
    poke(&vs, a + PAGE + 7, 43).unwrap();
    assert_eq!(peek(&vs, a + 5), Ok(42));
    assert_eq!(peek(&vs, a + PAGE + 7), Ok(43));
    let e = vs.map.lookup(a).unwrap();
    let am = e.backing.amap.expect("the entry got an amap");
    assert_eq!(amap::nused(am.amap), 2);
}

#[ktest]
fn read_then_write_of_the_same_anon_keeps_one_page() {
    let vs = space();
    let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    let before = anon_pages();
    assert_eq!(peek(&vs, a), Ok(0));
    poke(&vs, a, 9).unwrap();
    assert_eq!(
        anon_pages(),
        before + 1,
        "the write reused the anon the read created"
    );
    assert_eq!(peek(&vs, a), Ok(9));
}

#[ktest]
fn a_fault_outside_any_mapping_is_an_error() {
    let vs = space();
    let e = peek(&vs, 0x5000_0000).expect_err("nothing is mapped there");
    assert_eq!(e, KernError::Fault, "a copy from nowhere is EFAULT");
    assert_eq!(
        fault::fault(&vs, 0x5000_0000, RO, false),
        Err(KernError::Fault)
    );
}

#[ktest]
fn a_write_to_a_read_only_mapping_is_refused() {
    let vs = space();
    let a = vs.map(MapRequest::anon(PAGE, RO)).unwrap();
    assert_eq!(peek(&vs, a), Ok(0));
    assert!(poke(&vs, a, 1).is_err());
    assert_eq!(
        fault::fault(&vs, a, VmProt::WRITE, false),
        Err(KernError::Access)
    );
}

#[ktest]
fn protect_lowers_existing_mappings() {
    let vs = space();
    let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap();
    vs.protect(a, a + PAGE, RO).unwrap();
    assert!(poke(&vs, a, 2).is_err(), "write after mprotect(READ)");
    assert_eq!(peek(&vs, a), Ok(1));
}

#[ktest]
fn copy_on_write_after_fork_isolates_child_and_parent() {
    let parent = space();
    let a = parent.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    poke(&parent, a, 10).unwrap();
    poke(&parent, a + PAGE, 20).unwrap();
    let child = parent.fork().unwrap();
    // Both see the same values, sharing the pages until one writes.
    assert_eq!(peek(&child, a), Ok(10));
    let e = parent.map.lookup(a).unwrap();
    let am = e.backing.amap.unwrap().amap;
    assert_eq!(
        amap::refs(am),
        2,
        "parent and child share the amap until one writes"
    );
    assert_eq!(
        anon::refs(amap::lookup(am, 0).unwrap()),
        1,
        "anons count amaps, not entries"
    );
    poke(&child, a, 11).unwrap();
    poke(&parent, a + PAGE, 21).unwrap();
    assert_eq!((peek(&parent, a), peek(&child, a)), (Ok(10), Ok(11)));
    assert_eq!(
        (peek(&parent, a + PAGE), peek(&child, a + PAGE)),
        (Ok(21), Ok(20))
    );
}

#[ktest]
fn fork_write_protects_the_parent() {
    let parent = space();
    let a = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&parent, a, 1).unwrap();
    assert!(Pte::from_bits_retain(parent.pmap.leaf_entry(a).unwrap()).contains(Pte::WRITABLE));
    let child = parent.fork().unwrap();
    assert!(
        !Pte::from_bits_retain(parent.pmap.leaf_entry(a).unwrap()).contains(Pte::WRITABLE),
        "the parent's page must be write-protected until it copies"
    );
    let pe = parent.map.lookup(a).unwrap();
    assert!(
        pe.flags
            .contains(EntryFlags::NEEDS_COPY | EntryFlags::COPY_ON_WRITE)
    );
    poke(&parent, a, 2).unwrap();
    assert!(
        !parent
            .map
            .lookup(a)
            .unwrap()
            .flags
            .contains(EntryFlags::NEEDS_COPY),
        "resolved by the write"
    );
    assert_eq!(peek(&child, a), Ok(1));
}

#[ktest]
fn copy_on_write_across_three_generations() {
    let g1 = space();
    let a = g1.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&g1, a, 1).unwrap();
    let g2 = g1.fork().unwrap();
    poke(&g2, a, 2).unwrap();
    let g3 = g2.fork().unwrap();
    assert_eq!(
        peek(&g3, a),
        Ok(2),
        "the grandchild sees its parent's value"
    );
    poke(&g3, a, 3).unwrap();
    poke(&g1, a, 4).unwrap();
    assert_eq!(
        (peek(&g1, a), peek(&g2, a), peek(&g3, a)),
        (Ok(4), Ok(2), Ok(3))
    );
    drop(g2);
    assert_eq!(
        (peek(&g1, a), peek(&g3, a)),
        (Ok(4), Ok(3)),
        "a middle generation can go first"
    );
}

#[ktest]
fn a_shared_range_is_seen_by_both_sides() {
    let parent = space();
    let mut r = MapRequest::anon(PAGE, RW);
    r.inherit = Inherit::Share;
    let a = parent.map(r).unwrap();
    poke(&parent, a, 5).unwrap();
    let child = parent.fork().unwrap();
    poke(&child, a, 6).unwrap();
    assert_eq!(peek(&parent, a), Ok(6), "the parent sees the child's write");
    poke(&parent, a + 1, 7).unwrap();
    assert_eq!(peek(&child, a + 1), Ok(7));
    let am = parent.map.lookup(a).unwrap().backing.amap.unwrap().amap;
    assert!(amap::is_shared(am));
}

#[ktest]
fn inherit_none_leaves_the_range_out_of_the_child() {
    let parent = space();
    let a = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    parent.map.inherit(a, a + PAGE, Inherit::None).unwrap();
    poke(&parent, a, 1).unwrap();
    let child = parent.fork().unwrap();
    assert!(child.map.lookup(a).is_none());
    assert!(peek(&child, a).is_err());
}

#[ktest]
fn inherit_zero_gives_the_child_fresh_zero_pages() {
    let parent = space();
    let a = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    parent.map.inherit(a, a + PAGE, Inherit::Zero).unwrap();
    poke(&parent, a, 9).unwrap();
    let child = parent.fork().unwrap();
    assert_eq!(peek(&child, a), Ok(0));
    assert_eq!(peek(&parent, a), Ok(9));
}

#[ktest]
fn partial_unmap_keeps_exactly_the_right_pages() {
    let vs = space();
    let a = vs.map(MapRequest::anon(8 * PAGE, RW)).unwrap();
    for i in 0..8u64 {
        poke(&vs, a + i * PAGE, i as u8 + 1).unwrap();
    }
    let before = anon_pages();
    vs.unmap(a + 3 * PAGE, a + 6 * PAGE).unwrap();
    assert_eq!(
        anon_pages(),
        before - 3,
        "exactly the three unmapped pages are freed"
    );
    for i in [0u64, 1, 2, 6, 7] {
        assert_eq!(peek(&vs, a + i * PAGE), Ok(i as u8 + 1));
    }
    for i in 3..6u64 {
        assert!(peek(&vs, a + i * PAGE).is_err());
    }
    let left = vs.map.lookup(a).unwrap().backing.amap.unwrap();
    amap::check(left.amap).unwrap();
    assert_eq!(amap::nused(left.amap), 5);
}

/// An amap of `slots` slots (kernel padding) with an anon in each of
/// `filled`, and whose single reference covers `[first, slots)`: the
/// slots before `first` were referenced by a piece of the entry that is
/// gone (split off, then dropped).
fn amap_with_aref(slots: usize, first: usize) -> (amap::AmapHandle, Vec<anon::AnonRef>) {
    let a = amap::create(slots, PoolFlags::WAITOK).unwrap();
    let mut anons = Vec::new();
    for slot in first..slots {
        let an = anon::alloc(anon::Fill::Zero, PoolFlags::WAITOK).unwrap();
        amap::add(a, slot, an, false).unwrap();
        anons.push(an);
    }
    if first > 0 {
        amap::split_ref(a, 0, first);
        amap::remove_ref(a, 0, first);
    }
    assert_eq!(amap::refs(a), 1);
    (a, anons)
}

/// After a backward extension by `more` to `new_offset`: the old pages
/// sit `more` slots above the new offset, in order; the new slots are
/// empty and referenced.
fn assert_moved(a: amap::AmapHandle, anons: &[anon::AnonRef], new_offset: usize, more: usize) {
    amap::check(a).unwrap();
    for s in new_offset..new_offset + more {
        assert_eq!(amap::lookup(a, s), None, "a gained slot holds nothing");
        assert_eq!(amap::page_refs(a, s), 1, "a gained slot is referenced");
    }
    for (i, &an) in anons.iter().enumerate() {
        assert_eq!(
            amap::lookup(a, new_offset + more + i),
            Some(an),
            "page {i} kept its anon"
        );
    }
}

#[ktest]
fn amap_extend_backwards_case_1_lowers_the_offset() {
    // The aref starts at slot 2: two free slots below it.
    let (a, anons) = amap_with_aref(6, 2);
    let out = amap::extend(a, 2, 4, 2, false).unwrap();
    assert_eq!(out, amap::ExtendOutcome::AdjustedOffset { new_offset: 0 });
    assert_moved(a, &anons, 0, 2);
    amap::remove_ref(a, 0, 6);
}

#[ktest]
fn amap_extend_backwards_case_2_slides_into_the_padding() {
    // 8 slots with 2 of padding after them (create pads by a quarter):
    // the aref at 0 grows by 2 into the padding, sliding up.
    let (a, anons) = amap_with_aref(8, 0);
    let out = amap::extend(a, 0, 8, 2, false).unwrap();
    assert_eq!(out, amap::ExtendOutcome::SlidSlots { new_offset: 0 });
    assert_moved(a, &anons, 0, 2);
    // The next backward extension by what the slide left below would be
    // case 1 again; here nothing is left, so one more slot reallocates.
    let out = amap::extend(a, 0, 10, 1, false).unwrap();
    assert!(
        matches!(out, amap::ExtendOutcome::Reallocated { .. }),
        "{out:?}"
    );
    let off = out.new_offset();
    amap::check(a).unwrap();
    amap::remove_ref(a, off, 11);
}

#[ktest]
fn amap_extend_backwards_case_3_reallocates_with_room_in_front() {
    // 8 slots, 2 of padding: 3 more do not fit.
    let (a, anons) = amap_with_aref(8, 0);
    let out = amap::extend(a, 0, 8, 3, false).unwrap();
    let amap::ExtendOutcome::Reallocated { new_offset } = out else {
        panic!("expected a reallocation, got {out:?}");
    };
    assert!(
        new_offset > 0,
        "the new arrays keep padding in front for later growth"
    );
    assert_moved(a, &anons, new_offset, 3);
    // And that padding makes the next backward extension case 1.
    let out = amap::extend(a, new_offset, 11, 1, false).unwrap();
    assert_eq!(
        out,
        amap::ExtendOutcome::AdjustedOffset {
            new_offset: new_offset - 1
        }
    );
    amap::remove_ref(a, new_offset - 1, 12);
}

#[ktest]
fn amap_extend_covers_all_three_backward_cases_and_forward_growth() {
    let mut seen = [false; 4];
    let a = amap::create(2, PoolFlags::WAITOK).unwrap();
    let (mut off, mut len) = (0usize, 2usize);
    for step in 0..40 {
        let out = if step % 5 == 4 {
            amap::extend(a, off, len, 1, true).unwrap()
        } else {
            amap::extend(a, off, len, 1 + step % 3, false).unwrap()
        };
        let more = if step % 5 == 4 { 1 } else { 1 + step % 3 };
        match out {
            amap::ExtendOutcome::AdjustedOffset { .. } => seen[0] = true,
            amap::ExtendOutcome::SlidSlots { .. } => seen[1] = true,
            amap::ExtendOutcome::Reallocated { .. } => seen[2] = true,
            amap::ExtendOutcome::Grew { .. } | amap::ExtendOutcome::Covered { .. } => {
                seen[3] = true
            }
        }
        off = out.new_offset();
        len += more;
        amap::check(a).unwrap();
    }
    assert_eq!(
        seen, [true; 4],
        "cases seen: adjust, slide, realloc, forward = {seen:?}"
    );
    amap::remove_ref(a, off, len);
}

#[ktest]
fn wired_pages_stay_mapped_and_unwire_respects_the_count() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    vs.wire(a, a + 4 * PAGE).unwrap();
    assert_eq!(vs.pmap.wired_count(), 4);
    for i in 0..4 {
        let e = Pte::from_bits_retain(
            vs.pmap
                .leaf_entry(a + i * PAGE)
                .expect("wired pages are resident"),
        );
        assert!(e.contains(Pte::WIRED));
    }
    vs.wire(a, a + 2 * PAGE).unwrap(); // wired twice
    vs.unwire(a, a + 4 * PAGE).unwrap();
    assert_eq!(
        vs.pmap.wired_count(),
        2,
        "pages still counted as wired stay wired"
    );
    assert!(
        vs.pmap.extract(a + 3 * PAGE).is_some(),
        "unwiring never drops a mapping"
    );
    vs.unwire(a, a + 2 * PAGE).unwrap();
    assert_eq!(vs.pmap.wired_count(), 0);
    assert_eq!(vs.unwire(a, a + PAGE), Err(KernError::Inval), "not wired");
}

#[ktest]
fn wiring_a_shared_private_range_copies_it_into_its_own_anons() {
    let parent = space();
    let a = parent.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    poke(&parent, a, 1).unwrap();
    poke(&parent, a + PAGE, 2).unwrap();
    let child = parent.fork().unwrap();
    child.wire(a, a + 2 * PAGE).unwrap();
    let ce = child.map.lookup(a).unwrap().backing.amap.unwrap();
    for slot in 0..2 {
        let an = amap::lookup(ce.amap, ce.slot as usize + slot).unwrap();
        assert_eq!(anon::refs(an), 1, "a wired private page is the child's own");
    }
    assert_eq!((peek(&child, a), peek(&child, a + PAGE)), (Ok(1), Ok(2)));
    // The parent writes without disturbing the wired child.
    poke(&parent, a, 9).unwrap();
    assert_eq!(peek(&child, a), Ok(1));
    child.unwire(a, a + 2 * PAGE).unwrap();
}

#[ktest]
fn fork_of_a_wired_range_copies_it_at_once() {
    let parent = space();
    let a = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    parent.wire(a, a + PAGE).unwrap();
    poke(&parent, a, 3).unwrap();
    let child = parent.fork().unwrap();
    assert!(
        Pte::from_bits_retain(parent.pmap.leaf_entry(a).unwrap()).contains(Pte::WRITABLE),
        "the parent's wired page stays writable"
    );
    assert_eq!(peek(&child, a), Ok(3));
    poke(&parent, a, 4).unwrap();
    assert_eq!(peek(&child, a), Ok(3));
    assert_eq!(
        child.map.lookup(a).unwrap().wired_count,
        0,
        "the child does not inherit the wiring"
    );
    parent.unwire(a, a + PAGE).unwrap();
}

#[ktest]
fn shared_object_mapping_writes_reach_the_object() {
    let obj = object::aobj_create(4 * PAGE).unwrap();
    let vs = space();
    let a = vs.map_object(obj, 0, 4 * PAGE, RW, true).unwrap();
    poke(&vs, a + PAGE + 1, 77).unwrap();
    let pa = object::lookup_page(obj, PAGE).expect("the object holds the page");
    assert_eq!(crate::pmap::direct::peek_u64(pa) >> 8 & 0xff, 77);
    drop(vs);
    object::drop_ref(obj);
}

#[ktest]
fn private_object_mapping_promotes_on_write() {
    let obj = object::aobj_create(PAGE).unwrap();
    let vs = space();
    let a = vs.map_object(obj, 0, PAGE, RW, false).unwrap();
    assert_eq!(peek(&vs, a), Ok(0), "reads map the object's page");
    poke(&vs, a, 5).unwrap();
    let pa = object::lookup_page(obj, 0).unwrap();
    assert_eq!(
        crate::pmap::direct::peek_u64(pa) & 0xff,
        0,
        "the object is untouched"
    );
    assert_eq!(peek(&vs, a), Ok(5), "the mapping sees its private copy");
    drop(vs);
    object::drop_ref(obj);
}

#[ktest]
fn teardown_frees_every_page_and_pool_object() {
    let (anons, amaps) = (anon::count(), amap::count());
    let before = crate::ktest::leak::snapshot();
    {
        let vs = space();
        let a = vs.map(MapRequest::anon(64 * PAGE, RW)).unwrap();
        for i in 0..64 {
            poke(&vs, a + i * PAGE, 1).unwrap();
        }
        let child = vs.fork().unwrap();
        poke(&child, a, 2).unwrap();
        assert!(anon::count() >= anons + 65);
        drop(child);
        drop(vs);
    }
    assert_eq!((anon::count(), amap::count()), (anons, amaps));
    let after = crate::ktest::leak::snapshot();
    assert_eq!(after.pool_items, before.pool_items);
    assert_eq!(after.available_pages, before.available_pages);
}

#[ktest]
fn a_fault_under_memory_exhaustion_fails_and_leaves_the_map_consistent() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap(); // the amap exists
    let mut held = Vec::with_capacity(physmem::free_pages() as usize + 16);
    while let Ok(pa) = physmem::alloc_page(PageUse::Kernel) {
        held.push(pa);
    }
    crate::kern::mem::pool_allocator::KMEM_ALLOCATOR.drain();
    while let Ok(pa) = physmem::alloc_page(PageUse::Kernel) {
        held.push(pa);
    }
    let r = fault::fault(&vs, a + PAGE, VmProt::WRITE, false);
    held.into_iter().for_each(physmem::free_page);
    assert_eq!(r, Err(KernError::NoMem));
    vs.map.check_invariants().unwrap();
    assert!(vs.pmap.extract(a + PAGE).is_none());
    // With memory back, the same fault works.
    poke(&vs, a + PAGE, 2).unwrap();
    assert_eq!(peek(&vs, a), Ok(1));
}

#[ktest]
fn unmapping_drops_the_anons() {
    let vs = space();
    let a = vs.map(MapRequest::anon(8 * PAGE, RW)).unwrap();
    let before = anon::count();
    for i in 0..8 {
        poke(&vs, a + i * PAGE, 1).unwrap();
    }
    assert_eq!(anon::count(), before + 8);
    vs.unmap(a, a + 8 * PAGE).unwrap();
    assert_eq!(anon::count(), before);
    assert_eq!(vs.pmap.resident_count(), 0);
}

#[ktest]
fn copies_ignore_kernel_addresses_and_inactive_spaces() {
    let vs = space();
    let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    // Not active: a copyin of a user address faults without a vmspace to ask.
    assert!(copy::copyin_u8(a).is_err());
    // A kernel address is never resolved by the VM fault routine.
    assert!(copy::copyin_u8(0xffff_c000_0000_0000).is_err());
    assert_eq!(peek(&vs, a), Ok(0));
}

#[ktest]
fn zero_fill_fault_cost_is_counted_per_page() {
    let vs = space();
    let a = vs.map(MapRequest::anon(16 * PAGE, RW)).unwrap();
    let s0 = fault::STATS
        .faults
        .load(core::sync::atomic::Ordering::Relaxed);
    for i in 0..16 {
        poke(&vs, a + i * PAGE, 1).unwrap();
    }
    let s1 = fault::STATS
        .faults
        .load(core::sync::atomic::Ordering::Relaxed);
    assert_eq!(s1 - s0, 16, "one fault per page, none after");
    for i in 0..16 {
        poke(&vs, a + i * PAGE, 2).unwrap();
    }
    assert_eq!(
        fault::STATS
            .faults
            .load(core::sync::atomic::Ordering::Relaxed),
        s1
    );
}

#[ktest]
fn topdown_allocations_below_a_touched_region_extend_its_amap_backwards() {
    let vs = space();
    let first = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&vs, first, 100).unwrap(); // the entry now has an amap
    let mut lowest = first;
    for i in 1..=64u64 {
        let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
        assert_eq!(a, lowest - PAGE, "topdown: just below");
        poke(&vs, a, (100 + i) as u8).unwrap();
        lowest = a;
    }
    assert_eq!(
        vs.map.nentries(),
        1,
        "one entry, one amap, extended 64 times"
    );
    let e = vs.map.lookup(first).unwrap();
    let am = e.backing.amap.unwrap();
    amap::check(am.amap).unwrap();
    assert_eq!(amap::nused(am.amap), 65);
    for i in 0..=64u64 {
        assert_eq!(
            peek(&vs, first - i * PAGE),
            Ok((100 + i) as u8),
            "page {i} kept its value"
        );
    }
}

#[ktest]
fn a_fixed_mapping_right_after_a_touched_region_extends_its_amap_forwards() {
    let vs = space();
    let a = vs
        .map(MapRequest::anon(2 * PAGE, RW).at(0x2000_0000))
        .unwrap();
    poke(&vs, a, 1).unwrap();
    let b = vs
        .map(MapRequest::anon(3 * PAGE, RW).at(a + 2 * PAGE))
        .unwrap();
    assert_eq!(vs.map.nentries(), 1);
    poke(&vs, b + 2 * PAGE, 2).unwrap();
    let e = vs.map.lookup(a).unwrap();
    assert_eq!((e.start, e.end), (a, a + 5 * PAGE));
    assert_eq!((peek(&vs, a), peek(&vs, b + 2 * PAGE)), (Ok(1), Ok(2)));
    amap::check(e.backing.amap.unwrap().amap).unwrap();
}

#[ktest]
fn a_shared_amap_is_never_extended() {
    let parent = space();
    let a = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&parent, a, 1).unwrap();
    let child = parent.fork().unwrap(); // the amap now has two references
    let b = parent.map(MapRequest::anon(PAGE, RW)).unwrap();
    assert_eq!(b, a - PAGE);
    assert_eq!(
        parent.map.nentries(),
        2,
        "no merge into an amap others reference"
    );
    poke(&parent, b, 2).unwrap();
    assert_eq!(peek(&child, a), Ok(1));
}

#[ktest]
fn anonymous_object_pages_are_owned_zero_filled_and_freed_with_the_object() {
    use super::page::PageOwner;
    let obj = object::aobj_create(3 * PAGE).unwrap();
    assert_eq!(object::pager_name(obj), "aobj");
    assert_eq!(object::resident(obj), 0);
    let pa = object::get_page(obj, PAGE).unwrap();
    assert_eq!(
        object::get_page(obj, PAGE),
        Ok(pa),
        "the same page on the next get"
    );
    assert_eq!(object::resident(obj), 1);
    assert_eq!(crate::pmap::direct::peek_u64(pa), 0);
    assert_eq!(
        physmem::owner_of(pa),
        Some(PageOwner::Object {
            object: obj,
            offset: PAGE
        })
    );
    assert_eq!(
        object::get_page(obj, 3 * PAGE),
        Err(object::PagerError::Error),
        "past the end: EIO"
    );
    assert_eq!(object::put_page(obj, PAGE), Ok(()));
    assert_eq!(
        object::put_page(obj, 0),
        Err(object::PagerError::Error),
        "no such page to put"
    );
    let before = physmem::stats().count(PageUse::Object);
    object::drop_ref(obj);
    assert_eq!(physmem::stats().count(PageUse::Object), before - 1);
}

#[ktest]
fn a_fault_past_the_end_of_an_object_is_an_io_error_the_program_sees_as_sigbus() {
    use crate::arch::x86_64::trap::{FaultCause, PageFaultCode};
    let vs = space();
    let obj = object::aobj_create(PAGE + 10).unwrap();
    let a = vs.map_object(obj, 0, 4 * PAGE, RO, false).unwrap();
    object::drop_ref(obj);
    assert_eq!(
        fault::fault(&vs, a + PAGE + 5, VmProt::READ, false),
        Ok(()),
        "the partial last page"
    );
    assert_eq!(
        fault::fault(&vs, a + 2 * PAGE, VmProt::READ, false),
        Err(KernError::Io),
        "a page wholly past the end: the pager's error"
    );
    assert_eq!(
        fault::fault(&vs, a + 5 * PAGE, VmProt::READ, false),
        Err(KernError::Fault),
        "past the mapping"
    );
    // The trap handler's view: Io is SIGBUS, a hole SIGSEGV/MAPERR.
    vs.activate();
    let user_read = PageFaultCode(PageFaultCode::USER);
    let past_end = fault::user_fault(a + 3 * PAGE, user_read);
    let hole = fault::user_fault(a + 6 * PAGE, user_read);
    let write_ro = fault::user_fault(a, PageFaultCode(PageFaultCode::USER | PageFaultCode::WRITE));
    Vmspace::deactivate();
    assert_eq!(past_end, Err(FaultCause::Io));
    assert_eq!(hole, Err(FaultCause::Unmapped));
    assert_eq!(write_ro, Err(FaultCause::Protection));
}

#[ktest]
fn anon_pages_record_their_anon() {
    use super::page::PageOwner;
    let vs = space();
    let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap();
    let pa = vs.pmap.extract(a).unwrap();
    let am = vs.map.lookup(a).unwrap().backing.amap.unwrap();
    let an = amap::lookup(am.amap, am.slot as usize).unwrap();
    assert_eq!(physmem::owner_of(pa), Some(PageOwner::Anon(an)));
    assert_eq!(anon::page(an), Some(pa));
}

#[ktest]
fn the_heap_grows_up_from_the_end_of_the_program_as_one_entry() {
    let vs = space();
    let l = default_layout();
    assert_eq!(vs.brk(), l.data_end);
    for i in 1..=32u64 {
        vs.set_brk(l.data_end + i * PAGE).unwrap();
        poke(&vs, l.data_end + (i - 1) * PAGE, i as u8).unwrap();
    }
    assert_eq!(vs.map.nentries(), 1, "heap growth merges into one entry");
    let e = vs.map.lookup(l.data_end).unwrap();
    assert_eq!((e.start, e.end), (l.data_end, l.data_end + 32 * PAGE));
    vs.set_brk(l.data_end + 16 * PAGE).unwrap();
    assert!(
        peek(&vs, l.data_end + 20 * PAGE).is_err(),
        "shrinking unmaps"
    );
    assert_eq!(peek(&vs, l.data_end + 15 * PAGE), Ok(16));
    assert_eq!(
        vs.set_brk(l.heap_end() + PAGE),
        Err(KernError::NoMem),
        "past the heap limit"
    );
    assert_eq!(
        vs.set_brk(l.data_end - PAGE),
        Err(KernError::NoMem),
        "below the program end"
    );
    // Unhinted mappings keep out of the heap reservation.
    let m = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    assert!(m >= l.heap_end());
}
