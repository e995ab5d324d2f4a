//! Map entries and what the map needs to know about them.
//!
//! This module owns the entry type ([`Entry`]), its attributes ([`Prot`],
//! [`Inherit`], [`Advice`], [`EntryFlags`]), the [`Backing`] trait through
//! which the map splits and merges whatever backs an entry, and the
//! [`EntryStore`] trait through which the map reaches entry memory.

use bitflags::bitflags;

use crate::Vaddr;

bitflags! {
    /// Protection of a mapping (vm_prot_t). Same bits as the kernel's
    /// `VmProt`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Prot: u8 {
        const READ = 1;
        const WRITE = 2;
        const EXECUTE = 4;
    }
}

bitflags! {
    /// Per-entry flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct EntryFlags: u16 {
        /// Private mapping: writes go to anons, never to the object.
        const COPY_ON_WRITE = 1;
        /// The amap must be copied before the next write (lazy fork COW).
        const NEEDS_COPY = 2;
        /// Never merge this entry with a neighbour.
        const NO_MERGE = 4;
        /// Wired by the program (mlock): one of the entry's `wired_count`,
        /// taken once however many times the range is locked.
        const USER_WIRED = 8;
        /// A stack: a fault in the gap below it grows it down (within the
        /// stack limit and never closer than the guard gap to the entry
        /// below); mmap's MAP_GROWSDOWN.
        const GROWS_DOWN = 16;
    }
}

/// What a child gets of a mapping at fork (vm_inherit_t).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Inherit {
    /// The child shares the mapping.
    Share,
    /// The child gets a copy-on-write copy.
    #[default]
    Copy,
    /// The child does not get the mapping.
    None,
    /// The child gets zero-fill memory in its place.
    Zero,
}

/// Expected access pattern (madvise), used by fault-around.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Advice {
    #[default]
    Normal,
    Random,
    Sequential,
    /// The pages will be needed soon (MADV_WILLNEED).
    WillNeed,
}

/// What backs an entry (amap reference, object reference): opaque to the
/// map except for clipping and merging. Later layers implement it.
///
/// Ownership rules (they work both for plain-data backings whose references
/// the caller accounts for itself and for RAII backings that release on
/// drop):
/// - [`Backing::split_at`] is called exactly once per new entry created by
///   clipping, and only once the clip is certain to happen.
/// - `Clone` is used for temporary placeholder copies that are dropped
///   again (never stored in the map); a clone followed by a drop must be
///   neutral.
/// - When a map request fails, its backing is dropped.
/// - When entries merge, the absorbed backing is passed to
///   [`Backing::absorb`] (default: dropped).
pub trait Backing: Clone + core::fmt::Debug {
    /// The backing of the part of an entry that starts `offset` bytes into
    /// it (clipping); e.g. an amap slot offset or object offset advanced by
    /// `offset`.
    fn split_at(&self, offset: u64) -> Self;

    /// May an entry backed by `self`, `len` bytes long, absorb a following
    /// adjacent entry backed by `next` (contiguous backing)?
    fn can_merge(&self, len: u64, next: &Self) -> bool;

    /// An entry backed by `self`, `len` bytes long, has absorbed the
    /// following range backed by `next` (after [`Backing::can_merge`] said
    /// yes). Default: `next` is dropped.
    fn absorb(&mut self, len: u64, next: Self) {
        let _ = (len, next);
    }
}

/// No backing at all (pure anonymous bookkeeping, tests).
impl Backing for () {
    fn split_at(&self, _offset: u64) -> Self {}
    fn can_merge(&self, _len: u64, _next: &Self) -> bool {
        true
    }
}

/// One mapped range `[start, end)` of a map (vm_map_entry).
///
/// The attribute fields are public: a caller holding the map lock may change
/// `prot` (within `max_prot`), `inherit`, `advice`, `wired_count`, `flags`
/// and `backing` of an entry through [`EntryStore::get_mut`] (after
/// [`crate::Map::clip`] to the range it wants). It must never change
/// `start` or `end`: only the map does that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<B, H> {
    /// First address (page aligned).
    pub start: Vaddr,
    /// End address, exclusive (page aligned, > `start`).
    pub end: Vaddr,
    /// Current protection, always within `max_prot`.
    pub prot: Prot,
    /// Maximum protection.
    pub max_prot: Prot,
    pub inherit: Inherit,
    pub advice: Advice,
    /// Wiring count (mlock); wired entries are never merged.
    pub wired_count: u32,
    pub flags: EntryFlags,
    /// What backs the entry.
    pub backing: B,
    /// Tree links. In a [`crate::Removed`] chain, `right` links the chain.
    pub(crate) left: Option<H>,
    pub(crate) right: Option<H>,
    /// Free bytes between `end` and the next entry's start (or the map's
    /// end if this is the last entry).
    pub(crate) gap_after: u64,
    /// Largest `gap_after` in this entry's subtree.
    pub(crate) max_gap: u64,
}

impl<B, H> Entry<B, H> {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Never true for an entry of a map (entries are at least a page).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `addr` lies in `[start, end)`.
    pub fn contains(&self, addr: Vaddr) -> bool {
        self.start <= addr && addr < self.end
    }

    /// Free bytes between this entry and the next one (or the map's end).
    pub fn gap_after(&self) -> u64 {
        self.gap_after
    }

    /// Largest [`Entry::gap_after`] in this entry's subtree.
    pub fn max_gap(&self) -> u64 {
        self.max_gap
    }

    /// Whether the non-backing attributes allow merging `self` with an
    /// entry having `other`'s attributes (same prot, max_prot, inherit,
    /// advice and flags, no NO_MERGE, both unwired).
    pub(crate) fn attrs_mergeable(&self, other: &Attrs) -> bool {
        self.wired_count == 0
            && self.prot == other.prot
            && self.max_prot == other.max_prot
            && self.inherit == other.inherit
            && self.advice == other.advice
            && self.flags == other.flags
            && !self.flags.contains(EntryFlags::NO_MERGE)
    }
}

/// The mergeable attributes of a new mapping.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attrs {
    pub prot: Prot,
    pub max_prot: Prot,
    pub inherit: Inherit,
    pub advice: Advice,
    pub flags: EntryFlags,
}

/// Where entries live. The kernel stores them in pool items (handles are
/// addresses); the host tests in a `Vec` slab.
///
/// The map only ever holds handles returned by `alloc` and not yet given
/// back to `free`.
pub trait EntryStore<B> {
    /// Copyable entry reference.
    type Handle: Copy + Eq + core::fmt::Debug;
    /// Store a new entry; `None` means out of memory (the entry, and with it
    /// its backing, is dropped).
    fn alloc(&mut self, e: Entry<B, Self::Handle>) -> Option<Self::Handle>;
    /// Release an entry's memory and return its value.
    fn free(&mut self, h: Self::Handle) -> Entry<B, Self::Handle>;
    /// The entry `h`.
    fn get(&self, h: Self::Handle) -> &Entry<B, Self::Handle>;
    /// The entry `h`, mutably.
    fn get_mut(&mut self, h: Self::Handle) -> &mut Entry<B, Self::Handle>;
}
