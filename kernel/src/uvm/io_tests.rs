//! ktests of map extraction and uvm_io (the memory path of ptrace): the
//! kernel entries share the source's amaps with the right reference counts
//! and vanish afterwards, a hole fails with nothing left behind, a write
//! into a copy-on-write page after fork reaches only the address space it
//! was aimed at, read-only text can be patched without touching the file's
//! page, and a write next to a range another process has wired neither
//! disturbs the wiring nor leaks (the harness checks leaks around every
//! test).

use super::amap;
use super::anon;
use super::io::{Dir, IoBuf, uvm_io, uvm_io_with};
use super::map::{self, EntryFlags, MapRequest};
use super::map_extract::{Prot, extract};
use super::object;
use super::vmspace::{PAGE, Vmspace, default_layout};
use crate::kern::error::{KResult, KernError};
use crate::ktest::ktest;
use crate::pmap::{Pmap, pte::Pte};
use crate::uvm::{VmProt, copy};
use alloc::sync::Arc;
use alloc::vec;

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);
const RX: VmProt = VmProt::READ.union(VmProt::EXECUTE);

fn space() -> Arc<Vmspace> {
    Vmspace::new(default_layout()).unwrap()
}

/// Read a byte of `vs` as its program would.
fn peek(vs: &Arc<Vmspace>, va: u64) -> KResult<u8> {
    vs.activate();
    let r = copy::copyin_u8(va);
    Vmspace::deactivate();
    r
}

/// Write a byte of `vs` as its program would.
fn poke(vs: &Arc<Vmspace>, va: u64, v: u8) -> KResult<()> {
    vs.activate();
    let r = copy::copyout_u8(va, v);
    Vmspace::deactivate();
    r
}

/// Read bytes of `vs` through uvm_io.
fn io_read(vs: &Vmspace, va: u64, len: usize) -> KResult<alloc::vec::Vec<u8>> {
    let mut b = vec![0u8; len];
    uvm_io(vs, va, IoBuf::Read(&mut b))?;
    Ok(b)
}

#[ktest]
fn extracted_entries_share_the_amap_with_references_taken_and_returned() {
    let vs = space();
    let a = vs.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    for i in 0..4 {
        poke(&vs, a + i * PAGE, i as u8 + 1).unwrap();
    }
    let am = vs.map.lookup(a).unwrap().backing.amap.unwrap();
    let kentries = map::kernel_map().nentries();
    assert_eq!(amap::refs(am.amap), 1);
    assert!(!amap::is_shared(am.amap));
    let page_refs = |s: u64| amap::page_refs(am.amap, (am.slot + s) as usize);
    let before: [u32; 4] = core::array::from_fn(|s| page_refs(s as u64));

    // Two pages in the middle, from an unaligned address.
    let x = extract(&vs.map, a + PAGE + 100, PAGE, Prot::Max).unwrap();
    assert_eq!((x.start(), x.len()), (a + PAGE, 2 * PAGE));
    assert!(!x.is_empty());
    assert_eq!(map::kernel_map().nentries(), kentries + 1);
    let ke = map::kernel_map().lookup(x.kva()).unwrap();
    let kam = ke.backing.amap.expect("the kernel entry has the amap");
    assert_eq!(kam.amap, am.amap, "the same amap, not a copy");
    assert_eq!(kam.slot, am.slot + 1, "at the slot of the first page");
    assert_eq!(ke.len(), 2 * PAGE);
    assert_eq!(ke.prot, RW, "the maximum protection, without execute");
    assert_eq!(amap::refs(am.amap), 2);
    assert!(amap::is_shared(am.amap));
    for s in 0..4u64 {
        let extra = u32::from((1..3).contains(&s));
        assert_eq!(
            page_refs(s),
            before[s as usize] + extra,
            "page {s}: only the extracted pages gain a reference"
        );
    }
    assert_eq!(
        anon::refs(amap::lookup(am.amap, am.slot as usize + 1).unwrap()),
        1,
        "no anon is copied or referenced twice"
    );
    let kva = x.kva();
    drop(x);
    assert_eq!(amap::refs(am.amap), 1);
    assert!(!amap::is_shared(am.amap), "back to one reference");
    for s in 0..4u64 {
        assert_eq!(page_refs(s), before[s as usize]);
    }
    assert_eq!(map::kernel_map().nentries(), kentries);
    assert!(map::kernel_map().lookup(kva).is_none());
    assert!(Pmap::kernel().extract(kva).is_none());
}

#[ktest]
fn a_range_over_two_entries_gives_two_kernel_entries_and_one_range() {
    let vs = space();
    let a = vs.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    let mut r = MapRequest::anon(PAGE, VmProt::READ).at(a + 2 * PAGE);
    r.merge = false;
    vs.map(r).unwrap();
    poke(&vs, a + PAGE, 7).unwrap();
    let kentries = map::kernel_map().nentries();
    let x = extract(&vs.map, a + PAGE, 2 * PAGE, Prot::Max).unwrap();
    assert_eq!(map::kernel_map().nentries(), kentries + 2);
    let second = map::kernel_map().lookup(x.kva() + PAGE).unwrap();
    assert_eq!(second.start, x.kva() + PAGE, "contiguous kernel range");
    assert!(
        second.backing.amap.is_some(),
        "the untouched anonymous entry got an amap in the source first"
    );
    assert_eq!(
        vs.map.lookup(a + 2 * PAGE).unwrap().backing.amap,
        second.backing.amap
    );
    drop(x);
    assert_eq!(map::kernel_map().nentries(), kentries);
    assert_eq!(io_read(&vs, a + PAGE, 1), Ok(vec![7]));
}

#[ktest]
fn a_hole_fails_the_extraction_with_nothing_left_behind() {
    let vs = space();
    let a = vs.map(MapRequest::anon(3 * PAGE, RW)).unwrap();
    poke(&vs, a, 1).unwrap();
    poke(&vs, a + 2 * PAGE, 3).unwrap();
    let am = vs.map.lookup(a).unwrap().backing.amap.unwrap().amap;
    vs.unmap(a + PAGE, a + 2 * PAGE).unwrap();
    let refs = amap::refs(am);
    let kentries = map::kernel_map().nentries();
    let entries = vs.map.nentries();
    assert_eq!(
        extract(&vs.map, a, 3 * PAGE, Prot::Max).map(|_| ()),
        Err(KernError::Fault)
    );
    assert_eq!(
        extract(&vs.map, a + 2 * PAGE + 10, 2 * PAGE, Prot::Max).map(|_| ()),
        Err(KernError::Fault),
        "running off the end of the mapping"
    );
    assert_eq!(amap::refs(am), refs, "no reference taken");
    assert!(!amap::is_shared(am), "not marked shared");
    assert_eq!(map::kernel_map().nentries(), kentries, "no kernel entry");
    assert_eq!(vs.map.nentries(), entries, "the source map as it was");
    let mut b = [0u8; 8];
    assert_eq!(
        uvm_io(&vs, a + PAGE - 4, IoBuf::Read(&mut b)),
        Err(KernError::Fault)
    );
    assert_eq!(
        extract(&vs.map, a, 0, Prot::Max).map(|_| ()),
        Err(KernError::Inval)
    );
}

#[ktest]
fn uvm_io_reads_and_writes_across_pages_and_leaves_no_kernel_entry() {
    let vs = space();
    let a = vs.map(MapRequest::anon(3 * PAGE, RW)).unwrap();
    poke(&vs, a + PAGE - 1, 0x11).unwrap();
    poke(&vs, a + PAGE, 0x22).unwrap();
    let kentries = map::kernel_map().nentries();
    let anons_before = anon::count();
    assert_eq!(io_read(&vs, a + PAGE - 1, 2), Ok(vec![0x11, 0x22]));
    assert_eq!(
        anon::count(),
        anons_before,
        "reading resident pages copies none"
    );
    let data: alloc::vec::Vec<u8> = (0..PAGE as usize + 10).map(|i| i as u8).collect();
    uvm_io(&vs, a + PAGE / 2, IoBuf::Write(&data)).unwrap();
    for (i, &b) in data.iter().enumerate().step_by(509) {
        assert_eq!(peek(&vs, a + PAGE / 2 + i as u64), Ok(b));
    }
    assert_eq!(
        io_read(&vs, a + 2 * PAGE + 100, 4),
        Ok(vec![0; 4]),
        "untouched memory reads as zeroes"
    );
    assert_eq!(map::kernel_map().nentries(), kentries);
}

#[ktest]
fn a_write_into_a_cow_page_after_fork_reaches_only_that_space() {
    let parent = space();
    let a = parent.map(MapRequest::anon(2 * PAGE, RW)).unwrap();
    poke(&parent, a, 0x10).unwrap();
    poke(&parent, a + PAGE, 0x20).unwrap();
    let child = parent.fork().unwrap();
    let sibling = parent.fork().unwrap();
    assert!(
        child
            .map
            .lookup(a)
            .unwrap()
            .flags
            .contains(EntryFlags::NEEDS_COPY)
    );
    uvm_io(&child, a, IoBuf::Write(&[0x11])).unwrap();
    assert!(
        !child
            .map
            .lookup(a)
            .unwrap()
            .flags
            .contains(EntryFlags::NEEDS_COPY),
        "needs-copy resolved in the child's own map"
    );
    assert_eq!(peek(&child, a), Ok(0x11), "the target sees the write");
    assert_eq!(peek(&parent, a), Ok(0x10), "the parent's copy is untouched");
    assert_eq!(peek(&sibling, a), Ok(0x10), "the sibling's too");
    assert_eq!(
        peek(&child, a + PAGE),
        Ok(0x20),
        "the other page is shared still"
    );
    // And the other way round: a write into the parent leaves the children.
    uvm_io(&parent, a + PAGE, IoBuf::Write(&[0x21])).unwrap();
    assert_eq!(
        (
            peek(&parent, a + PAGE),
            peek(&child, a + PAGE),
            peek(&sibling, a + PAGE)
        ),
        (Ok(0x21), Ok(0x20), Ok(0x20))
    );
    assert_eq!(io_read(&sibling, a, 1), Ok(vec![0x10]));
}

#[ktest]
fn read_only_text_can_be_patched_without_touching_the_file_page() {
    let obj = object::aobj_create(2 * PAGE).unwrap();
    object::write(obj, 0, &[0x90; 16]).unwrap(); // nops
    let text = 0x40_0000;
    let vs = space();
    vs.map_object_at(obj, 0, text, 2 * PAGE, RX, false).unwrap();
    let other = space();
    other
        .map_object_at(obj, 0, text, 2 * PAGE, RX, false)
        .unwrap();
    assert_eq!(peek(&vs, text + 4), Ok(0x90));
    assert!(poke(&vs, text + 4, 0xcc).is_err(), "the program cannot");
    let file_page = object::lookup_page(obj, 0).unwrap();
    uvm_io(&vs, text + 4, IoBuf::Write(&[0xcc])).unwrap(); // int3
    assert_eq!(
        peek(&vs, text + 4),
        Ok(0xcc),
        "the target sees the breakpoint"
    );
    assert_eq!(
        peek(&vs, text + 5),
        Ok(0x90),
        "the rest of its page is the file's"
    );
    let mut b = [0u8; 8];
    object::read(obj, 0, &mut b);
    assert_eq!(b, [0x90; 8], "the file's page is unchanged");
    assert_eq!(object::lookup_page(obj, 0), Some(file_page));
    assert_eq!(
        peek(&other, text + 4),
        Ok(0x90),
        "another process running the file"
    );
    let e = vs.map.lookup(text).unwrap();
    assert_eq!(e.prot, RX, "the target's protection is unchanged");
    assert!(
        !Pte::from_bits_retain(vs.pmap.leaf_entry(text).unwrap()).contains(Pte::WRITABLE),
        "and its mapping stays read-only"
    );
    // Restore the byte, as a debugger does.
    uvm_io(&vs, text + 4, IoBuf::Write(&[0x90])).unwrap();
    assert_eq!(peek(&vs, text + 4), Ok(0x90));
    drop(vs);
    drop(other);
    object::drop_ref(obj);
}

#[ktest]
fn a_shared_object_mapping_is_written_in_place() {
    let obj = object::aobj_create(PAGE).unwrap();
    let vs = space();
    let a = vs.map_object(obj, 0, PAGE, RW, true).unwrap();
    let other = space();
    let b = other.map_object(obj, 0, PAGE, RW, true).unwrap();
    uvm_io(&vs, a + 8, IoBuf::Write(&[5, 6])).unwrap();
    assert_eq!((peek(&other, b + 8), peek(&other, b + 9)), (Ok(5), Ok(6)));
    assert_eq!(object::size(obj), PAGE, "the object's size is unchanged");
    drop(vs);
    drop(other);
    object::drop_ref(obj);
}

#[ktest]
fn max_protection_bounds_what_uvm_io_may_do() {
    let vs = space();
    let mut r = MapRequest::anon(PAGE, VmProt::READ);
    r.max_prot = VmProt::READ;
    let a = vs.map(r).unwrap();
    assert_eq!(
        uvm_io(&vs, a, IoBuf::Write(&[1])),
        Err(KernError::Access),
        "no write beyond the maximum protection"
    );
    assert_eq!(io_read(&vs, a, 1), Ok(vec![0]));
    let mut none = MapRequest::anon(PAGE, VmProt::empty()).at(a + PAGE);
    none.max_prot = VmProt::empty();
    none.merge = false;
    vs.map(none).unwrap();
    assert_eq!(io_read(&vs, a + PAGE, 1), Err(KernError::Access));
}

#[ktest]
fn a_write_beside_a_wired_copy_keeps_the_wiring_and_leaks_nothing() {
    // The seed's bug scenario: a private range another process has
    // mlock()ed is written through uvm_io; then it is unlocked, unmapped
    // and the address spaces go.
    let tracee = space();
    let a = tracee.map(MapRequest::anon(4 * PAGE, RW)).unwrap();
    for i in 0..4 {
        poke(&tracee, a + i * PAGE + 10, 0x40 + i as u8).unwrap();
    }
    let locker = tracee.fork().unwrap();
    locker
        .mlock(a, a + 4 * PAGE, crate::uvm::wiring::Populate::Now, true)
        .unwrap();
    let wired = locker.pmap.wired_count();
    assert_eq!(wired, 4);
    let locked_pa = locker.pmap.extract(a).unwrap();
    // The wired pages are the locker's own anons (copied at wiring time).
    let la = locker.map.lookup(a).unwrap().backing.amap.unwrap();
    assert_eq!(
        anon::refs(amap::lookup(la.amap, la.slot as usize).unwrap()),
        1
    );

    uvm_io(&tracee, a + 10, IoBuf::Write(&[0xee; 2 * PAGE as usize])).unwrap();
    assert_eq!(peek(&tracee, a + 10), Ok(0xee));
    assert_eq!(
        peek(&locker, a + 10),
        Ok(0x40),
        "the wired copy is untouched"
    );
    assert_eq!(peek(&locker, a + PAGE + 10), Ok(0x41));
    assert_eq!(locker.pmap.wired_count(), wired, "no wiring lost");
    assert_eq!(
        locker.pmap.extract(a),
        Some(locked_pa),
        "the wired mapping is still there"
    );
    // A write into the wired range itself, too.
    uvm_io(&locker, a + PAGE, IoBuf::Write(&[0x77])).unwrap();
    assert_eq!(peek(&locker, a + PAGE), Ok(0x77));
    assert_eq!(peek(&tracee, a + PAGE), Ok(0xee));
    assert_eq!(locker.pmap.wired_count(), wired);
    assert!(Pte::from_bits_retain(locker.pmap.leaf_entry(a + PAGE).unwrap()).contains(Pte::WIRED));
    locker.munlock(a, a + 4 * PAGE).unwrap();
    assert_eq!(locker.pmap.wired_count(), 0);
    locker.unmap(a, a + 4 * PAGE).unwrap();
    tracee.unmap(a, a + 4 * PAGE).unwrap();
    drop(locker);
    drop(tracee);
}

#[ktest]
fn the_current_protection_bounds_a_process_vm_style_access() {
    let vs = space();
    let a = vs.map(MapRequest::anon(2 * PAGE, VmProt::READ)).unwrap();
    poke_ro_setup(&vs, a);
    let ke = {
        let x = extract(&vs.map, a, PAGE, Prot::Current).unwrap();
        map::kernel_map().lookup(x.kva()).unwrap()
    };
    assert_eq!(ke.prot, VmProt::READ, "the current protection");
    let mut seen = alloc::vec::Vec::new();
    uvm_io_with(&vs, a, 2, Dir::Read, Prot::Current, |_, piece| {
        seen.extend_from_slice(piece);
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [0x33, 0]);
    let wrote = uvm_io_with(&vs, a, 1, Dir::Write, Prot::Current, |_, piece| {
        piece[0] = 9;
        Ok(())
    });
    assert_eq!(wrote, Err(KernError::Access), "no write past PROT_READ");
    assert_eq!(peek(&vs, a), Ok(0x33));
    uvm_io(&vs, a, IoBuf::Write(&[0x44])).unwrap();
    assert_eq!(
        peek(&vs, a),
        Ok(0x44),
        "a debugger's write at max protection"
    );
}

/// Put 0x33 at `a` of a read-only anonymous mapping (through a debugger's
/// write).
fn poke_ro_setup(vs: &Arc<Vmspace>, a: u64) {
    uvm_io(vs, a, IoBuf::Write(&[0x33])).unwrap();
}
