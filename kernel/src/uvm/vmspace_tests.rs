//! ktests of the address-space operations behind the VM system calls:
//! stack growth, program locks (wiring on fault, OnFault locks, unlocks),
//! moving entries (mremap), dropping pages (MADV_DONTNEED) after fork,
//! residency (mincore), and the map's invariant check at unlock.

use super::amap;
use super::anon;
use super::map::{EntryFlags, MapRequest};
use super::stack::{STACK_GUARD_GAP, STACK_INITIAL};
use super::vmspace::{PAGE, Vmspace, default_layout};
use super::wiring::Populate;
use crate::kern::error::{KResult, KernError};
use crate::ktest::ktest;
use crate::pmap::pte::Pte;
use crate::uvm::VmProt;
use crate::uvm::copy;
use alloc::sync::Arc;
use alloc::vec;

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);

fn space() -> Arc<Vmspace> {
    Vmspace::new(default_layout()).unwrap()
}

fn peek(vs: &Arc<Vmspace>, va: u64) -> KResult<u8> {
    vs.activate();
    let r = copy::copyin_u8(va);
    Vmspace::deactivate();
    r
}

fn poke(vs: &Arc<Vmspace>, va: u64, v: u8) -> KResult<()> {
    vs.activate();
    let r = copy::copyout_u8(va, v);
    Vmspace::deactivate();
    r
}

fn wired(vs: &Vmspace, va: u64) -> bool {
    vs.pmap
        .leaf_entry(va)
        .is_some_and(|e| Pte::from_bits_retain(e).contains(Pte::WIRED))
}

#[ktest]
fn a_stack_grows_down_to_its_limit_as_one_entry() {
    let vs = space();
    let top = default_layout().stack_top;
    vs.map_stack(top, 1 << 20).unwrap();
    let bottom = top - STACK_INITIAL;
    poke(&vs, top - 1, 1).unwrap();
    // Growth happens only from a fault; the kernel's copies fault too.
    assert!(vs.grow_stack(bottom - 3 * PAGE, 1 << 20).unwrap());
    assert_eq!(vs.map.nentries(), 1, "the grown part merged with the stack");
    let e = vs.map.lookup(bottom - 3 * PAGE).unwrap();
    assert_eq!((e.start, e.end), (bottom - 3 * PAGE, top));
    assert!(e.flags.contains(EntryFlags::GROWS_DOWN));
    assert_eq!(peek(&vs, top - 1), Ok(1), "the old pages kept their data");
    // Past the limit: no.
    assert!(!vs.grow_stack(top - (1 << 20) - PAGE, 1 << 20).unwrap());
    // Exactly to it: yes.
    assert!(vs.grow_stack(top - (1 << 20), 1 << 20).unwrap());
    // A fault below a normal mapping grows nothing.
    let m = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    assert!(!vs.grow_stack(m - PAGE, 1 << 20).unwrap());
}

#[ktest]
fn a_stack_never_grows_into_the_guard_gap() {
    let vs = space();
    let top = default_layout().stack_top;
    vs.map_stack(top, 64 << 20).unwrap();
    let bottom = top - STACK_INITIAL;
    // A mapping 2 MiB below: growth may reach 1 MiB (the gap) above it.
    let other = bottom - (2 << 20);
    vs.map(MapRequest::anon(PAGE, RW).at(other)).unwrap();
    let edge = other + PAGE + STACK_GUARD_GAP;
    assert!(
        !vs.grow_stack(edge - PAGE, 64 << 20).unwrap(),
        "inside the gap"
    );
    assert!(vs.grow_stack(edge, 64 << 20).unwrap(), "at its edge");
    // An inaccessible mapping below does not count (a guard of its own).
    let vs2 = space();
    vs2.map_stack(top, 64 << 20).unwrap();
    vs2.map(MapRequest::anon(PAGE, VmProt::empty()).at(other))
        .unwrap();
    assert!(vs2.grow_stack(other + 2 * PAGE, 64 << 20).unwrap());
}

#[ktest]
fn pages_of_a_locked_entry_are_wired_as_they_come_in() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap();
    vs.mlock(a, a + 4 * PAGE, Populate::OnFault, true).unwrap();
    assert!(
        wired(&vs, a),
        "a page present when locked on fault is wired now"
    );
    assert!(
        vs.pmap.extract(a + PAGE).is_none(),
        "the others are not brought in"
    );
    poke(&vs, a + 2 * PAGE, 2).unwrap();
    assert!(wired(&vs, a + 2 * PAGE), "and wired when they come in");
    assert_eq!(vs.pmap.wired_count(), 2);
    // Locking again does not stack; one munlock undoes it.
    vs.mlock(a, a + 4 * PAGE, Populate::Now, true).unwrap();
    assert_eq!(vs.pmap.wired_count(), 4);
    assert_eq!(vs.map.lookup(a).unwrap().wired_count, 1);
    vs.munlock(a, a + 4 * PAGE).unwrap();
    assert_eq!(vs.pmap.wired_count(), 0);
    assert_eq!(peek(&vs, a + 2 * PAGE), Ok(2));
}

#[ktest]
fn a_locked_page_whose_mapping_went_comes_back_wired() {
    let vs = space();
    let a = vs.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    vs.mlock(a, a + 2 * PAGE, Populate::Now, true).unwrap();
    vs.protect(a, a + 2 * PAGE, VmProt::empty()).unwrap();
    assert!(
        vs.pmap.extract(a).is_none(),
        "PROT_NONE removes the mapping"
    );
    vs.protect(a, a + 2 * PAGE, RW).unwrap();
    poke(&vs, a, 7).unwrap();
    assert!(wired(&vs, a));
    vs.munlock(a, a + 2 * PAGE).unwrap();
    assert_eq!(vs.pmap.wired_count(), 0);
}

#[ktest]
fn a_failed_mlock_undoes_its_locks() {
    let vs = space();
    let a = vs.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    // An object mapping past the end of its object: populating fails.
    let obj = super::object::aobj_create(PAGE).unwrap();
    let b = vs
        .map_object(obj, 0, 2 * PAGE, VmProt::READ, false)
        .unwrap();
    super::object::drop_ref(obj);
    assert_eq!(
        vs.mlock(b, b + 2 * PAGE, Populate::Now, true),
        Err(KernError::Io)
    );
    assert!(!vs.map.lookup(b).unwrap().is_locked(), "undone");
    assert_eq!(vs.pmap.wired_count(), 0);
    vs.mlock(a, a + 2 * PAGE, Populate::Now, true).unwrap();
    assert!(vs.map.lookup(a).unwrap().is_locked());
    vs.munlock(a, a + 2 * PAGE).unwrap();
}

#[ktest]
fn moving_a_range_takes_its_amaps_along_without_copying() {
    let vs = space();
    let a = vs.map(MapRequest::anon(6 * PAGE, RW)).unwrap();
    for i in 0..6u64 {
        poke(&vs, a + i * PAGE, i as u8 + 1).unwrap();
    }
    // Two entries: the middle is read-only.
    vs.protect(a + 2 * PAGE, a + 4 * PAGE, VmProt::READ)
        .unwrap();
    let anons = anon::count();
    let amaps = amap::count();
    let dest = vs.map.findspace(6 * PAGE, 0, None, true).unwrap();
    vs.move_range(a, 6 * PAGE, dest).unwrap();
    assert_eq!(
        (anon::count(), amap::count()),
        (anons, amaps),
        "no page or amap copied"
    );
    for i in 0..6u64 {
        assert_eq!(peek(&vs, dest + i * PAGE), Ok(i as u8 + 1));
    }
    assert!(vs.map.lookup(a).is_none());
    assert_eq!(vs.map.lookup(dest + 2 * PAGE).unwrap().prot, VmProt::READ);
    assert_eq!(vs.map.lookup(dest + 4 * PAGE).unwrap().prot, RW);
}

#[ktest]
fn dontneed_in_a_child_leaves_the_parent_its_pages() {
    let parent = space();
    let a = parent.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    for i in 0..4u64 {
        poke(&parent, a + i * PAGE, 10 + i as u8).unwrap();
    }
    let child = parent.fork().unwrap();
    child.dontneed(a + PAGE, a + 3 * PAGE).unwrap();
    assert_eq!(peek(&child, a + PAGE), Ok(0));
    assert_eq!(peek(&child, a), Ok(10));
    for i in 0..4u64 {
        assert_eq!(
            peek(&parent, a + i * PAGE),
            Ok(10 + i as u8),
            "the parent's page {i}"
        );
    }
}

#[ktest]
fn mincore_stops_at_the_first_hole() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap();
    poke(&vs, a + 3 * PAGE, 1).unwrap();
    vs.unmap(a + 2 * PAGE, a + 3 * PAGE).unwrap();
    let mut v = vec![9u8; 4];
    assert_eq!(vs.mincore(a, a + 4 * PAGE, &mut v), 2);
    assert_eq!(&v[..2], &[1, 0]);
}

#[ktest]
fn a_large_map_stays_sound_through_many_changes() {
    // Enough entries that most unlocks check only around the change, and
    // a full check runs now and then (debug builds); every kind of change.
    let vs = space();
    let base = vs.map.findspace(600 * PAGE, 0, None, true).unwrap();
    for i in 0..300u64 {
        let mut r = MapRequest::anon(PAGE, if i % 2 == 0 { RW } else { VmProt::READ })
            .at(base + 2 * i * PAGE);
        r.merge = false;
        vs.map(r).unwrap();
    }
    for i in (0..300u64).step_by(3) {
        let at = base + 2 * i * PAGE;
        vs.protect(at, at + PAGE, VmProt::empty()).unwrap();
        vs.map
            .advise(at, at + PAGE, super::map::Advice::Random)
            .unwrap();
    }
    vs.unmap(base + 100 * PAGE, base + 300 * PAGE).unwrap();
    vs.map.check_invariants().unwrap();
    assert_eq!(vs.map.nentries(), 200);
}
