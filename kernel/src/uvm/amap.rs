//! vm_amap in the kernel: the `ferrite-amap` slot arrays (tested on the
//! host) kept in pool items (`amappl`) and named by checked handles, with
//! the anon reference counting wired in: anons an amap drops lose a
//! reference, anons copied into a new amap gain one.
//!
//! Every kernel amap keeps per-page reference counts from birth, so that
//! splitting a reference when a map entry is clipped can never fail.
//! Other modules reach amap internals only through these functions.

use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_arena::{Handle, PoolArena};
use crate::uvm::anon::{self, AnonRef};
use ferrite_amap::{Amap, AmapError, Direction};
use spin::{Mutex, Once};

pub use ferrite_amap::ExtendOutcome;

/// A handle on an amap.
pub type AmapHandle = Handle;

crate::arena_pool!(AMAP_POOL, Amap<AnonRef>, "amappl");

static AMAPS: Once<Mutex<PoolArena<Amap<AnonRef>>>> = Once::new();

fn with<R>(f: impl FnOnce(&mut PoolArena<Amap<AnonRef>>) -> R) -> R {
    let amaps = AMAPS.call_once(|| Mutex::new(PoolArena::new(&AMAP_POOL)));
    x86_64::instructions::interrupts::without_interrupts(|| f(&mut amaps.lock()))
}

fn err(e: AmapError) -> KernError {
    match e {
        AmapError::NoMem => KernError::NoMem,
        AmapError::Inval => KernError::Inval,
    }
}

/// Slots of padding for forward growth given to a new amap of `slots`.
fn padding(slots: usize) -> usize {
    (slots / 4).clamp(0, 64)
}

/// A new amap of `slots` slots, one reference covering all of them.
pub fn create(slots: usize, flags: PoolFlags) -> KResult<AmapHandle> {
    let mut amap = Amap::new(slots, padding(slots)).map_err(err)?;
    amap.ensure_ppref().map_err(err)?;
    with(|a| a.alloc(amap, flags)).ok_or(KernError::NoMem)
}

/// The anon in `slot`.
pub fn lookup(a: AmapHandle, slot: usize) -> Option<AnonRef> {
    with(|arena| arena.get(a).lookup(slot))
}

/// The anon in `slot` with an extra reference taken for the caller (so it
/// stays alive while the caller maps it, whatever happens to the slot);
/// the caller drops it with `anon::drop_ref`.
pub fn lookup_ref(a: AmapHandle, slot: usize) -> Option<AnonRef> {
    with(|arena| {
        let an = arena.get(a).lookup(slot)?;
        anon::add_ref(an);
        Some(an)
    })
}

/// Put `new` in `slot` if the slot still holds `expected` (None: empty),
/// atomically; the anon that was there loses the amap's reference.
/// `Err(())` if the slot changed meanwhile (the caller keeps `new`).
pub fn replace_if(
    a: AmapHandle,
    slot: usize,
    expected: Option<AnonRef>,
    new: AnonRef,
) -> KResult<Result<(), ()>> {
    let old = with(|arena| {
        let am = arena.get_mut(a);
        if am.lookup(slot) != expected {
            return Ok(Err(()));
        }
        am.add(slot, new, expected.is_some()).map(Ok)
    })
    .map_err(err)?;
    match old {
        Err(()) => Ok(Err(())),
        Ok(old) => {
            if let Some(old) = old {
                anon::drop_ref(old);
            }
            Ok(Ok(()))
        }
    }
}

/// Put `anon` in `slot` (its reference moves into the amap). With
/// `replace`, the anon that was there loses the amap's reference.
pub fn add(a: AmapHandle, slot: usize, anon: AnonRef, replace: bool) -> KResult<()> {
    let old = with(|arena| arena.get_mut(a).add(slot, anon, replace)).map_err(err)?;
    if let Some(old) = old {
        anon::drop_ref(old);
    }
    Ok(())
}

/// Empty `[slot, slot + len)`: the anons there lose the amap's reference
/// (madvise DONTNEED: the pages read back as zeroes, or the object's).
pub fn clear_slots(a: AmapHandle, slot: usize, len: usize) {
    let mut dropped: alloc::vec::Vec<AnonRef> = alloc::vec::Vec::new();
    with(|arena| {
        let am = arena.get_mut(a);
        for s in slot..slot + len {
            if let Some(an) = am.unadd(s) {
                if dropped.try_reserve(1).is_ok() {
                    dropped.push(an);
                } else {
                    // Out of memory for the list: drop it here (the anon
                    // lock nests inside the amap lock, as on every path).
                    anon::drop_ref(an);
                }
            }
        }
    });
    for an in dropped {
        anon::drop_ref(an);
    }
}

/// Take another reference to `[slot, slot + len)` (a new map entry).
pub fn add_ref(a: AmapHandle, slot: usize, len: usize) -> KResult<()> {
    with(|arena| arena.get_mut(a).add_ref(slot, len, true)).map_err(err)
}

/// The reference of an entry starting at `slot` is split in two at
/// `offset` slots (entry clipping): one more reference, page counts
/// unchanged. Cannot fail: per-page counts exist from birth, so the amap
/// only checks that the split point lies inside the amap, and the range
/// passed is the smallest one containing it (`offset + 1` slots; the map
/// only tells a backing where it is cut, not how long the entry is).
pub fn split_ref(a: AmapHandle, slot: usize, offset: usize) {
    with(|arena| arena.get_mut(a).split_ref(slot, offset + 1, offset))
        .expect("amap split of a clipped entry");
}

/// Drop the reference to `[slot, slot + len)`: anons of pages no longer
/// referenced lose a reference; the last reference frees the amap.
pub fn remove_ref(a: AmapHandle, slot: usize, len: usize) {
    with(|arena| {
        let dead = arena
            .get_mut(a)
            .remove_ref(slot, len, anon::drop_ref)
            .expect("amap reference that does not exist");
        if dead {
            arena.free(a);
        }
    })
}

/// A new amap holding the anons of `[slot, slot + len)` (each gains a
/// reference): amap_copy, used to resolve needs-copy.
pub fn copy(a: AmapHandle, slot: usize, len: usize, flags: PoolFlags) -> KResult<AmapHandle> {
    let mut new = with(|arena| arena.get(a).copy_range(slot, len, anon::add_ref)).map_err(err)?;
    if let Err(e) = new.ensure_ppref() {
        new.remove_ref(0, len, anon::drop_ref)
            .expect("fresh amap reference");
        return Err(err(e));
    }
    match with(|arena| arena.alloc(new, flags)) {
        Some(h) => Ok(h),
        None => Err(KernError::NoMem),
    }
}

/// Extend the amap (whose single reference is the aref starting at
/// `slot`, `len` slots long) by `more` slots, forwards or backwards
/// (the three backward cases: lower the offset, slide into free room,
/// reallocate). Returns what happened and the aref's new first slot.
pub fn extend(
    a: AmapHandle,
    slot: usize,
    len: usize,
    more: usize,
    forward: bool,
) -> KResult<ExtendOutcome> {
    let dir = if forward {
        Direction::Forward
    } else {
        Direction::Backward
    };
    with(|arena| arena.get_mut(a).extend(slot, len, more, dir)).map_err(err)
}

pub fn refs(a: AmapHandle) -> u32 {
    with(|arena| arena.get(a).refs())
}

pub fn is_shared(a: AmapHandle) -> bool {
    with(|arena| arena.get(a).is_shared())
}

pub fn set_shared(a: AmapHandle, shared: bool) {
    with(|arena| arena.get_mut(a).set_shared(shared))
}

/// Anons in `[slot, slot + len)` (the /proc viewers).
pub fn count_in(a: AmapHandle, slot: usize, len: usize) -> usize {
    with(|arena| arena.get(a).lookups(slot, len).count())
}

/// Slots in use.
pub fn nused(a: AmapHandle) -> usize {
    with(|arena| arena.get(a).nused())
}

/// Per-page references of `slot`.
pub fn page_refs(a: AmapHandle, slot: usize) -> u32 {
    with(|arena| arena.get(a).page_refs(slot))
}

pub fn check(a: AmapHandle) -> Result<(), &'static str> {
    with(|arena| arena.get(a).check())
}

/// Amaps alive now.
pub fn count() -> usize {
    with(|arena| arena.len())
}
