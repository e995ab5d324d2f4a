//! vm_map: the kernel's address maps. The algorithms (the splay tree of
//! entries augmented with free gaps, logarithmic findspace, topdown
//! placement, clipping, merging) are the `ferrite-vmmap` crate, tested on
//! the host; this module gives them kernel memory and a lock:
//!
//! - entries live in pool items (`vmmpepl` for user maps; the kernel map
//!   takes its entries from its own pool `vmmpekpl`, with a reserve of
//!   pages kept even when idle, so allocating a kernel map entry never
//!   depends on other pools' memory and never recurses into the kernel
//!   map: pool pages come from the page allocator through the direct map);
//! - each map is behind its own sleepable reader-writer lock (UVM's map
//!   lock): `read()` gives shared access (faults: lookups that do not
//!   restructure the splay tree), `write()` exclusive access (every
//!   change; lookups may splay). A holder may sleep. The convenience
//!   methods on `VmMap` take the lock for one operation;
//! - `unmap` returns the removed entries, so the caller drops the
//!   references they hold after the map lock is released (UVM's two-step
//!   unmap).
//!
//! User maps place unhinted mappings top-down from just below the stack
//! area (`UserLayout::default_addr`); the heap grows up from the end of the
//! program.

use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_arena::{Handle, PoolArena};
use crate::kern::sched::rwlock::{ReadGuard, RwLock, WriteGuard};
use crate::uvm::{Vaddr, VmProt};
use alloc::vec::Vec;
use ferrite_vmmap as vm;
use spin::Once;

pub use vm::{Advice, EntryFlags, Inherit, UserLayout};

/// An amap reference: which amap, and the slot of the entry's first page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmapRef {
    pub amap: Handle,
    pub slot: u64,
}

/// An object reference: which object, and the byte offset of the entry's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub object: Handle,
    pub offset: u64,
}

/// What backs a map entry: anonymous memory (an amap, created on the first
/// write fault), a memory object, or both (private object mappings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backing {
    pub amap: Option<AmapRef>,
    pub object: Option<ObjectRef>,
}

impl vm::Backing for Backing {
    /// Clipping: the new right part takes its own references (the amap
    /// reference is split, the object gains one).
    fn split_at(&self, offset: u64) -> Self {
        if let Some(a) = self.amap {
            crate::uvm::amap::split_ref(a.amap, a.slot as usize, (offset / vm::PAGE_SIZE) as usize);
        }
        if let Some(o) = self.object {
            crate::uvm::object::add_ref(o.object);
        }
        Backing {
            amap: self.amap.map(|a| AmapRef {
                amap: a.amap,
                slot: a.slot + offset / vm::PAGE_SIZE,
            }),
            object: self.object.map(|o| ObjectRef {
                object: o.object,
                offset: o.offset + offset,
            }),
        }
    }

    /// Entries without amap and object merge (anonymous memory not yet
    /// touched); so do two ranges of the same amap whose slots follow each
    /// other, which happens only when the vmspace has just extended an
    /// entry's amap (held by that entry alone) over the new range: the
    /// new range then holds no reference of its own, so nothing needs to
    /// be released when it is absorbed. Objects never merge.
    fn can_merge(&self, len: u64, next: &Self) -> bool {
        if self.object.is_some() || next.object.is_some() {
            return false;
        }
        match (self.amap, next.amap) {
            (None, None) => true,
            (Some(a), Some(b)) => a.amap == b.amap && a.slot + len / vm::PAGE_SIZE == b.slot,
            _ => false,
        }
    }
}

/// A map entry as stored.
pub type MapEntry = vm::Entry<Backing, Handle>;

/// A copy of an entry's attributes (what lookups and walks hand out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    pub start: Vaddr,
    pub end: Vaddr,
    pub prot: VmProt,
    pub max_prot: VmProt,
    pub inherit: Inherit,
    pub advice: Advice,
    pub wired_count: u32,
    pub flags: EntryFlags,
    pub backing: Backing,
}

impl EntryInfo {
    /// A shared mapping (MAP_SHARED of a file or of anonymous memory):
    /// writes go to the object, which others see. Private mappings are
    /// anonymous memory alone, or an object copied on write.
    pub fn is_shared_mapping(&self) -> bool {
        self.backing.object.is_some() && !self.flags.contains(EntryFlags::COPY_ON_WRITE)
    }

    /// Private anonymous memory (no object behind it at all).
    pub fn is_private_anon(&self) -> bool {
        self.backing.object.is_none()
    }

    /// The inheritance a mapping of this kind starts with (MADV_DOFORK
    /// goes back to it): share for shared mappings, copy otherwise.
    pub fn natural_inherit(&self) -> Inherit {
        if self.is_shared_mapping() {
            Inherit::Share
        } else {
            Inherit::Copy
        }
    }

    /// Locked by the program (mlock), whether or not its pages are in yet.
    pub fn is_locked(&self) -> bool {
        self.flags.contains(EntryFlags::USER_WIRED)
    }

    fn of(e: &MapEntry) -> Self {
        EntryInfo {
            start: e.start,
            end: e.end,
            prot: to_prot(e.prot),
            max_prot: to_prot(e.max_prot),
            inherit: e.inherit,
            advice: e.advice,
            wired_count: e.wired_count,
            flags: e.flags,
            backing: e.backing,
        }
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }
}

fn to_prot(p: vm::Prot) -> VmProt {
    VmProt::from_bits_truncate(p.bits())
}

fn from_prot(p: VmProt) -> vm::Prot {
    vm::Prot::from_bits_truncate(p.bits())
}

crate::arena_pool!(MAP_ENTRY_POOL, MapEntry, "vmmpepl");
crate::arena_pool!(KERNEL_MAP_ENTRY_POOL, MapEntry, "vmmpekpl");

/// Pages of kernel map entries kept in reserve.
const KERNEL_ENTRY_RESERVE_PAGES: u64 = 2;

/// The entry store of one map: its arena of pool items.
struct Store<'a> {
    arena: &'a mut PoolArena<MapEntry>,
    flags: PoolFlags,
}

impl vm::EntryStore<Backing> for Store<'_> {
    type Handle = Handle;
    fn alloc(&mut self, e: MapEntry) -> Option<Handle> {
        self.arena.alloc(e, self.flags)
    }
    fn free(&mut self, h: Handle) -> MapEntry {
        self.arena.free(h)
    }
    fn get(&self, h: Handle) -> &MapEntry {
        self.arena.get(h)
    }
    fn get_mut(&mut self, h: Handle) -> &mut MapEntry {
        self.arena.get_mut(h)
    }
}

/// A read-only view of a map's entries (for lookups under the shared lock).
struct RoStore<'a> {
    arena: &'a PoolArena<MapEntry>,
}

impl vm::EntryStore<Backing> for RoStore<'_> {
    type Handle = Handle;
    fn alloc(&mut self, _: MapEntry) -> Option<Handle> {
        unreachable!("allocation through a read-only map view")
    }
    fn free(&mut self, _: Handle) -> MapEntry {
        unreachable!("free through a read-only map view")
    }
    fn get(&self, h: Handle) -> &MapEntry {
        self.arena.get(h)
    }
    fn get_mut(&mut self, _: Handle) -> &mut MapEntry {
        unreachable!("change through a read-only map view")
    }
}

struct MapInner {
    map: vm::Map<Handle>,
    entries: PoolArena<MapEntry>,
    layout: Option<UserLayout>,
    /// Changes made under the write lock (debug builds: every
    /// `FULL_CHECK_EVERY`-th one is followed by a full invariant check).
    changes: u64,
    /// Entries removed by `unmap` and not reaped yet (still allocated).
    dead: usize,
}

impl MapInner {
    fn store(&mut self, flags: PoolFlags) -> (&mut vm::Map<Handle>, Store<'_>) {
        (
            &mut self.map,
            Store {
                arena: &mut self.entries,
                flags,
            },
        )
    }

    fn ro(&self) -> (&vm::Map<Handle>, RoStore<'_>) {
        (
            &self.map,
            RoStore {
                arena: &self.entries,
            },
        )
    }
}

/// What kind of map: the kernel's, or a user address space's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Kernel,
    User,
}

/// An address map.
pub struct VmMap {
    inner: RwLock<MapInner>,
    /// The user layout (never changes: read without the lock).
    layout: Option<UserLayout>,
}

/// A request for a new mapping.
#[derive(Clone, Copy, Debug)]
pub struct MapRequest {
    /// Exact address (`fixed`) or where to start looking.
    pub hint: Option<Vaddr>,
    pub fixed: bool,
    pub len: u64,
    /// Alignment (power of two, 0 = page).
    pub align: u64,
    pub prot: VmProt,
    pub max_prot: VmProt,
    pub inherit: Inherit,
    pub advice: Advice,
    pub flags: EntryFlags,
    pub backing: Backing,
    pub merge: bool,
    /// Entry allocation may not wait (fails with `NoMem` instead).
    pub nowait: bool,
}

impl MapRequest {
    /// Anonymous memory of `len` bytes with `prot` (max protection all,
    /// inherit copy, normal advice, mergeable, anywhere).
    pub fn anon(len: u64, prot: VmProt) -> Self {
        MapRequest {
            hint: None,
            fixed: false,
            len,
            align: 0,
            prot,
            max_prot: VmProt::ALL,
            inherit: Inherit::Copy,
            advice: Advice::Normal,
            flags: EntryFlags::empty(),
            backing: Backing::default(),
            merge: true,
            nowait: false,
        }
    }

    pub fn at(mut self, addr: Vaddr) -> Self {
        self.hint = Some(addr);
        self.fixed = true;
        self
    }

    pub fn hint(mut self, addr: Vaddr) -> Self {
        self.hint = Some(addr);
        self
    }

    pub fn align(mut self, align: u64) -> Self {
        self.align = align;
        self
    }
}

fn map_err(e: vm::MapError) -> KernError {
    match e {
        vm::MapError::Inval => KernError::Inval,
        vm::MapError::NoSpace => KernError::NoSpace,
        vm::MapError::NoMem => KernError::NoMem,
        vm::MapError::Access => KernError::Access,
    }
}

fn flags_for(nowait: bool) -> PoolFlags {
    if nowait {
        PoolFlags::NOWAIT
    } else {
        PoolFlags::WAITOK
    }
}

/// Entries taken out of a map by `unmap`, still allocated: hand them to
/// `VmMap::reap`, which frees them one by one and lets the caller drop what
/// each referenced without holding the map lock (UVM's two-step unmap).
#[must_use = "dead entries must be reaped (VmMap::reap)"]
#[derive(Debug)]
pub struct DeadEntries {
    removed: vm::Removed<Handle>,
}

impl DeadEntries {
    pub fn len(&self) -> usize {
        self.removed.len()
    }
}

impl VmMap {
    /// A map of `[min, max)`; `topdown` places unhinted mappings from the top.
    pub fn new(
        kind: MapKind,
        min: Vaddr,
        max: Vaddr,
        topdown: bool,
        layout: Option<UserLayout>,
    ) -> VmMap {
        let pool = match kind {
            MapKind::Kernel => &KERNEL_MAP_ENTRY_POOL,
            MapKind::User => &MAP_ENTRY_POOL,
        };
        let name = match kind {
            MapKind::Kernel => "kernel_map",
            MapKind::User => "vm_map",
        };
        VmMap {
            layout,
            inner: RwLock::new(
                name,
                MapInner {
                    map: vm::Map::new(min, max, topdown),
                    entries: PoolArena::new(pool),
                    layout,
                    changes: 0,
                    dead: 0,
                },
            ),
        }
    }

    /// A user address space's map for `layout` (topdown).
    pub fn new_user(layout: UserLayout) -> VmMap {
        VmMap::new(MapKind::User, layout.min, layout.max, true, Some(layout))
    }

    /// Lock the map shared (vm_map_lock_read).
    pub fn read(&self) -> MapRead<'_> {
        MapRead {
            g: self.inner.read(),
        }
    }

    /// Lock the map exclusively (vm_map_lock).
    pub fn write(&self) -> MapWrite<'_> {
        let g = self.inner.write();
        let stamp = g.map.timestamp();
        MapWrite {
            g,
            stamp,
            changed: None,
        }
    }

    /// Establish a mapping (uvm_map). Returns its address.
    pub fn map(&self, req: MapRequest) -> KResult<Vaddr> {
        self.write().map(req)
    }

    /// Remove the mappings in `[start, end)` (clipping entries at both
    /// ends) and return the removed entries, to be reaped.
    pub fn unmap(&self, start: Vaddr, end: Vaddr) -> KResult<DeadEntries> {
        self.write().unmap(start, end)
    }

    /// Free the dead entries of an `unmap`, in address order, calling `f`
    /// with each one's attributes outside the map lock (to drop the
    /// references it held).
    pub fn reap(&self, mut dead: DeadEntries, mut f: impl FnMut(EntryInfo)) {
        loop {
            let next = {
                let mut w = self.write();
                let (_, mut store) = w.g.store(PoolFlags::WAITOK);
                let e = dead.removed.pop(&mut store).map(|e| EntryInfo::of(&e));
                if e.is_some() {
                    w.g.dead -= 1;
                }
                e
            };
            match next {
                Some(info) => f(info),
                None => break,
            }
        }
    }

    /// Unmap and reap at once, returning the removed entries (for small
    /// ranges and tests).
    pub fn unmap_collect(&self, start: Vaddr, end: Vaddr) -> KResult<Vec<EntryInfo>> {
        let dead = self.unmap(start, end)?;
        let mut out = Vec::with_capacity(dead.len());
        self.reap(dead, |e| out.push(e));
        Ok(out)
    }

    /// Change the protection of `[start, end)` (uvm_map_protect); with
    /// `set_max`, the maximum protection too.
    pub fn protect(&self, start: Vaddr, end: Vaddr, prot: VmProt, set_max: bool) -> KResult<()> {
        self.write().protect(start, end, prot, set_max)
    }

    /// Set the inheritance of `[start, end)` (uvm_map_inherit).
    pub fn inherit(&self, start: Vaddr, end: Vaddr, inherit: Inherit) -> KResult<()> {
        self.write().inherit(start, end, inherit)
    }

    /// Set the paging advice of `[start, end)` (uvm_map_advice).
    pub fn advise(&self, start: Vaddr, end: Vaddr, advice: Advice) -> KResult<()> {
        self.write().advise(start, end, advice)
    }

    /// The entry containing `addr` (uvm_map_lookup_entry), under the
    /// shared lock; when the search found the tree degenerate, once more
    /// under the exclusive lock, which repairs it (splays).
    pub fn lookup(&self, addr: Vaddr) -> Option<EntryInfo> {
        let (found, deep) = self.read().lookup_deep(addr);
        if deep {
            return self.write().lookup(addr);
        }
        found
    }

    /// Where a mapping of `len` bytes would go (without making it).
    pub fn findspace(
        &self,
        len: u64,
        align: u64,
        hint: Option<Vaddr>,
        topdown: bool,
    ) -> Option<Vaddr> {
        self.write().findspace(len, align, hint, topdown)
    }

    /// Visit every entry in address order, read-only (inspection, the pmap
    /// viewer). The map is locked meanwhile: `f` must not use the map.
    pub fn walk(&self, f: impl FnMut(&EntryInfo)) {
        self.read().walk(f)
    }

    /// Change attributes of the entries in `[start, end)` after clipping
    /// them to the range: `f` sees each entry (never its bounds).
    pub fn modify(&self, start: Vaddr, end: Vaddr, f: impl FnMut(&mut MapEntry)) -> KResult<()> {
        self.write().modify(start, end, f)
    }

    /// Check the map's invariants (ordering, bounds, gaps, augmentation, counts).
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        self.write().check_invariants()
    }

    pub fn nentries(&self) -> usize {
        self.read().nentries()
    }

    /// Bytes mapped.
    pub fn size(&self) -> u64 {
        self.read().g.map.size()
    }

    /// The map's version: changes with every modification (faults use it to
    /// notice that the map changed while they waited).
    pub fn timestamp(&self) -> u64 {
        self.read().g.map.timestamp()
    }

    pub fn bounds(&self) -> (Vaddr, Vaddr) {
        let r = self.read();
        (r.g.map.min(), r.g.map.max())
    }

    pub fn layout(&self) -> Option<UserLayout> {
        self.layout
    }

    /// Times a thread had to sleep for this map's lock (statistics).
    pub fn contended(&self) -> u32 {
        self.inner
            .contended
            .load(core::sync::atomic::Ordering::Relaxed)
    }
}

/// A map locked shared: lookups and walks that leave the tree as it is.
pub struct MapRead<'a> {
    g: ReadGuard<'a, MapInner>,
}

impl MapRead<'_> {
    /// The entry containing `addr` (no splay: the tree is shared).
    pub fn lookup(&self, addr: Vaddr) -> Option<EntryInfo> {
        self.lookup_deep(addr).0
    }

    /// `lookup`, also saying whether the path walked was long enough that
    /// the caller should repair the tree with an exclusive lookup.
    pub fn lookup_deep(&self, addr: Vaddr) -> (Option<EntryInfo>, bool) {
        let (map, store) = self.g.ro();
        let (h, deep) = map.lookup_ro_deep(&store, addr);
        (
            h.map(|h| EntryInfo::of(vm::EntryStore::get(&store, h))),
            deep,
        )
    }

    /// Visit every entry in address order.
    pub fn walk(&self, mut f: impl FnMut(&EntryInfo)) {
        let (map, store) = self.g.ro();
        let mut cur = map.first(&store);
        while let Some(h) = cur {
            f(&EntryInfo::of(vm::EntryStore::get(&store, h)));
            cur = map.next(&store, h);
        }
    }

    /// Visit the entries overlapping `[start, end)` in address order (not
    /// clipped: the first and last may reach beyond the range). `f`
    /// returns false to stop.
    pub fn entries_in(&self, start: Vaddr, end: Vaddr, mut f: impl FnMut(&EntryInfo) -> bool) {
        let (map, store) = self.g.ro();
        for h in map.entries_in(&store, start, end) {
            if !f(&EntryInfo::of(vm::EntryStore::get(&store, h))) {
                break;
            }
        }
    }

    /// True if nothing is mapped in `[start, end)`.
    pub fn is_free(&self, start: Vaddr, end: Vaddr) -> bool {
        let mut any = false;
        self.entries_in(start, end, |_| {
            any = true;
            false
        });
        !any
    }

    /// For an unmapped `addr`: the entry below it and the one above it.
    pub fn around(&self, addr: Vaddr) -> (Option<EntryInfo>, Option<EntryInfo>) {
        let (map, store) = self.g.ro();
        let above = map.entries_in(&store, addr, map.max()).next();
        let below = match above {
            Some(h) => map.prev(&store, h),
            None => map.last(&store),
        };
        let info = |h| EntryInfo::of(vm::EntryStore::get(&store, h));
        (below.map(info), above.map(info))
    }

    pub fn nentries(&self) -> usize {
        self.g.map.nentries()
    }

    pub fn timestamp(&self) -> u64 {
        self.g.map.timestamp()
    }

    pub fn layout(&self) -> Option<UserLayout> {
        self.g.layout
    }
}

/// A map locked exclusively: every change goes through here.
///
/// In debug builds the map's invariants are checked when the lock is
/// released after a change: the entries around the changed range every
/// time (`vmmap::Map::check_around`, O(k log n)), and the whole map
/// (`vmmap::Map::check`, O(n)) when it is small or every
/// `FULL_CHECK_EVERY`-th change, so that a map of 20,000 entries does not
/// make every mmap linear.
pub struct MapWrite<'a> {
    g: WriteGuard<'a, MapInner>,
    /// The map's timestamp when the lock was taken.
    stamp: u64,
    /// The union of the ranges changed meanwhile.
    changed: Option<(Vaddr, Vaddr)>,
}

/// Maps of at most this many entries are checked in full after every
/// change (debug builds).
const FULL_CHECK_ENTRIES: usize = 64;
/// Larger maps get a full check every this many changes.
const FULL_CHECK_EVERY: u64 = 256;

impl Drop for MapWrite<'_> {
    fn drop(&mut self) {
        if !cfg!(debug_assertions) || self.g.map.timestamp() == self.stamp {
            return;
        }
        self.g.changes += 1;
        let full = self.g.map.nentries() <= FULL_CHECK_ENTRIES
            || self.g.changes.is_multiple_of(FULL_CHECK_EVERY);
        let (lo, hi) = self.changed.unwrap_or((self.g.map.min(), self.g.map.max()));
        let r = if full {
            self.check_invariants()
        } else {
            let (map, store) = self.g.ro();
            map.check_around(&store, lo, hi)
        };
        if let Err(e) = r {
            panic!("vm_map invariant broken by a change in {lo:#x}..{hi:#x}: {e}");
        }
    }
}

impl MapWrite<'_> {
    /// Note that `[start, end)` changed (for the check at unlock).
    fn note(&mut self, start: Vaddr, end: Vaddr) {
        self.changed = Some(match self.changed {
            Some((lo, hi)) => (lo.min(start), hi.max(end)),
            None => (start, end),
        });
    }

    /// Visit the entries overlapping `[start, end)` (see `MapRead::entries_in`).
    pub fn entries_in(&self, start: Vaddr, end: Vaddr, mut f: impl FnMut(&EntryInfo) -> bool) {
        let (map, store) = self.g.ro();
        for h in map.entries_in(&store, start, end) {
            if !f(&EntryInfo::of(vm::EntryStore::get(&store, h))) {
                break;
            }
        }
    }

    /// Establish a mapping (uvm_map). Returns its address.
    pub fn map(&mut self, req: MapRequest) -> KResult<Vaddr> {
        let m = &mut *self.g;
        let hint = match (req.hint, m.layout) {
            (Some(h), _) => Some(h),
            (None, Some(layout)) => Some(layout.default_addr(req.len, m.map.topdown())),
            (None, None) => None,
        };
        let vreq = vm::MapRequest {
            hint,
            fixed: req.fixed,
            len: req.len,
            align: req.align,
            prot: from_prot(req.prot),
            max_prot: from_prot(req.max_prot),
            inherit: req.inherit,
            advice: req.advice,
            flags: req.flags,
            backing: req.backing,
            merge: req.merge,
        };
        let len = req.len;
        let (map, mut store) = m.store(flags_for(req.nowait));
        let r = map.map(&mut store, vreq).map_err(map_err);
        if let Ok(a) = r {
            self.note(a, a + len);
        }
        r
    }

    /// Remove the mappings in `[start, end)`; see `VmMap::unmap`.
    pub fn unmap(&mut self, start: Vaddr, end: Vaddr) -> KResult<DeadEntries> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        let removed = map.unmap(&mut store, start, end).map_err(map_err)?;
        self.g.dead += removed.len();
        self.note(start, end);
        Ok(DeadEntries { removed })
    }

    pub fn protect(
        &mut self,
        start: Vaddr,
        end: Vaddr,
        prot: VmProt,
        set_max: bool,
    ) -> KResult<()> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.protect(&mut store, start, end, from_prot(prot), set_max)
            .map_err(map_err)?;
        self.note(start, end);
        Ok(())
    }

    pub fn inherit(&mut self, start: Vaddr, end: Vaddr, inherit: Inherit) -> KResult<()> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.inherit(&mut store, start, end, inherit)
            .map_err(map_err)?;
        self.note(start, end);
        Ok(())
    }

    pub fn advise(&mut self, start: Vaddr, end: Vaddr, advice: Advice) -> KResult<()> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.advise(&mut store, start, end, advice)
            .map_err(map_err)?;
        self.note(start, end);
        Ok(())
    }

    /// The entry containing `addr` (may splay).
    pub fn lookup(&mut self, addr: Vaddr) -> Option<EntryInfo> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        let h = map.lookup(&mut store, addr)?;
        Some(EntryInfo::of(vm::EntryStore::get(&store, h)))
    }

    pub fn findspace(
        &mut self,
        len: u64,
        align: u64,
        hint: Option<Vaddr>,
        topdown: bool,
    ) -> Option<Vaddr> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.findspace(&mut store, len, align, hint, topdown)
    }

    /// Free dead entries while the lock is held (`VmMap::reap` without
    /// dropping the lock between entries; `f` must not use the map).
    pub fn reap_locked(&mut self, mut dead: DeadEntries, mut f: impl FnMut(EntryInfo)) {
        let (_, mut store) = self.g.store(PoolFlags::WAITOK);
        let mut n = 0;
        while let Some(e) = dead.removed.pop(&mut store) {
            n += 1;
            f(EntryInfo::of(&e));
        }
        self.g.dead -= n;
    }

    /// Split entries so that `start` and `end` are entry boundaries.
    pub fn clip(&mut self, start: Vaddr, end: Vaddr) -> KResult<()> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.clip(&mut store, start, end).map_err(map_err)?;
        self.note(start, end);
        Ok(())
    }

    /// Visit every entry in address order (a long walk: it repairs the
    /// tree as it goes).
    pub fn walk(&mut self, mut f: impl FnMut(&EntryInfo)) {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        let mut cur = map.first_entry(&mut store);
        while let Some(h) = cur {
            f(&EntryInfo::of(vm::EntryStore::get(&store, h)));
            cur = map.successor(&mut store, h);
        }
    }

    /// Change attributes of the entries in `[start, end)` after clipping
    /// them to the range: `f` sees each entry (never its bounds).
    pub fn modify(
        &mut self,
        start: Vaddr,
        end: Vaddr,
        mut f: impl FnMut(&mut MapEntry),
    ) -> KResult<()> {
        self.note(start, end);
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.clip(&mut store, start, end).map_err(map_err)?;
        let mut cur = map.lookup(&mut store, start);
        if cur.is_none() {
            cur = map.first_entry(&mut store);
            while let Some(h) = cur {
                if vm::EntryStore::get(&store, h).start >= start {
                    break;
                }
                cur = map.successor(&mut store, h);
            }
        }
        while let Some(h) = cur {
            let e = vm::EntryStore::get_mut(&mut store, h);
            if e.start >= end {
                break;
            }
            let (s, en) = (e.start, e.end);
            f(e);
            debug_assert!(
                e.start == s && e.end == en,
                "modify changed an entry's bounds"
            );
            cur = map.successor(&mut store, h);
        }
        Ok(())
    }

    pub fn check_invariants(&mut self) -> Result<(), &'static str> {
        let (map, mut store) = self.g.store(PoolFlags::WAITOK);
        map.check(&mut store)?;
        if store.arena.len() != map.nentries() + self.g.dead {
            return Err("map entry count disagrees with the entries allocated");
        }
        Ok(())
    }

    pub fn nentries(&self) -> usize {
        self.g.map.nentries()
    }

    pub fn layout(&self) -> Option<UserLayout> {
        self.g.layout
    }

    pub fn timestamp(&self) -> u64 {
        self.g.map.timestamp()
    }
}

impl Drop for VmMap {
    fn drop(&mut self) {
        let (min, max) = self.bounds();
        let dead = self
            .unmap(min, max)
            .expect("unmapping a whole map needs no new entry");
        self.reap(dead, |e| {
            debug_assert!(
                e.backing == Backing::default(),
                "map destroyed with backed entries: the vmspace must release them first"
            );
        });
    }
}

/// The kernel's address map over the kernel-virtual arena.
static KERNEL_MAP: Once<VmMap> = Once::new();

/// Start of the kernel-virtual arena the kernel map manages.
pub const KERNEL_MAP_BASE: Vaddr = 0xffff_c000_0000_0000;
/// Its size: 512 GiB (one PML4 slot).
pub const KERNEL_MAP_SIZE: u64 = 1 << 39;

/// The kernel map (created on first use, with its entry reserve primed).
pub fn kernel_map() -> &'static VmMap {
    KERNEL_MAP.call_once(|| {
        KERNEL_MAP_ENTRY_POOL.set_water_marks(KERNEL_ENTRY_RESERVE_PAGES, u64::MAX);
        assert!(
            KERNEL_MAP_ENTRY_POOL.prime(KERNEL_ENTRY_RESERVE_PAGES, PoolFlags::WAITOK),
            "kernel map entry reserve"
        );
        VmMap::new(
            MapKind::Kernel,
            KERNEL_MAP_BASE,
            KERNEL_MAP_BASE + KERNEL_MAP_SIZE,
            false,
            None,
        )
    })
}
