//! Machine-independent address map (UVM's `vm_map`).
//!
//! This crate owns the *logic* of an address map: which virtual ranges are
//! mapped, with which protection, inheritance and advice, how entries are
//! clipped, merged and removed, and where free space is found. It owns no
//! memory: entries live in a caller-provided [`EntryStore`] (pool items in
//! the kernel, a `Vec` slab in the host tests) and are reached through
//! copyable handles; they are linked into a [`ferrite_splay`] tree keyed by
//! their start address. What backs an entry (amap, object) is opaque and only
//! consulted through the [`Backing`] trait when clipping and merging.
//!
//! Design points:
//! - No allocation, no `unsafe`, no recursion; every operation uses O(1)
//!   extra space.
//! - Every entry carries `gap_after` (free bytes between its end and the next
//!   entry, or the map's end) and the splay tree keeps `max_gap`, the largest
//!   `gap_after` of each subtree, so [`Map::findspace`] is logarithmic
//!   (amortized), like FreeBSD's `max_free`.
//! - Searches (lookup, findspace, neighbour queries) walk the tree without
//!   restructuring it and splay the deepest node they reached only when the
//!   walk was longer than about twice a balanced tree's depth. Splaying that
//!   node pays for the walk, so the amortized O(log n) bound of splay trees
//!   is kept, while the common shallow search costs one store access per
//!   node instead of a splay (about 30 accesses per lookup at 100,000
//!   entries instead of about 200). Modifications always splay the entries
//!   they change (that is how `max_gap` is recomputed).
//! - Operations that may need new entries allocate all of them *before*
//!   modifying anything: [`MapError::NoMem`] always leaves the map unchanged.
//! - [`Map::unmap`] hands the removed entries back as a [`Removed`] chain so
//!   references held by their backings can be dropped after the map lock is
//!   released (UVM's two-step unmap).
//!
//! Modules:
//! - [`entry`]: entry type, attributes, the [`Backing`] and [`EntryStore`]
//!   traits.
//! - `tree`: the splay-store adapter and the `max_gap` augmentation.
//! - [`map`]: the map itself: mapping, merging, clipping, unmapping,
//!   attribute changes, lookup and walks.
//! - `findspace`: free-space search.
//! - `check`: the consistency checker.
//! - [`layout`]: the default user address-space layout (where searches
//!   start).
//!
//! ```
//! use ferrite_vmmap::*;
//!
//! // A minimal slab store.
//! struct Slab(Vec<Option<Entry<(), usize>>>);
//! impl EntryStore<()> for Slab {
//!     type Handle = usize;
//!     fn alloc(&mut self, e: Entry<(), usize>) -> Option<usize> {
//!         self.0.push(Some(e));
//!         Some(self.0.len() - 1)
//!     }
//!     fn free(&mut self, h: usize) -> Entry<(), usize> { self.0[h].take().unwrap() }
//!     fn get(&self, h: usize) -> &Entry<(), usize> { self.0[h].as_ref().unwrap() }
//!     fn get_mut(&mut self, h: usize) -> &mut Entry<(), usize> { self.0[h].as_mut().unwrap() }
//! }
//!
//! let mut s = Slab(Vec::new());
//! let mut m = Map::new(0x1000, 0x10_0000, true);
//! let rw = Prot::READ | Prot::WRITE;
//! let a = m.map(&mut s, MapRequest::new(0x2000, rw, ())).unwrap();
//! let b = m.map(&mut s, MapRequest::new(0x2000, rw, ())).unwrap();
//! assert_eq!((a, b), (0x10_0000 - 0x2000, 0x10_0000 - 0x4000));
//! assert_eq!(m.nentries(), 1); // merged
//! let mut gone = m.unmap(&mut s, b, b + 0x1000).unwrap();
//! assert_eq!(gone.pop(&mut s).map(|e| (e.start, e.end)), Some((b, b + 0x1000)));
//! assert_eq!(m.nentries(), 1);
//! m.check(&mut s).unwrap();
//! ```
#![no_std]
#![forbid(unsafe_code)]

mod check;
pub mod entry;
mod findspace;
pub mod layout;
pub mod map;
mod tree;

pub use entry::{Advice, Backing, Entry, EntryFlags, EntryStore, Inherit, Prot};
pub use layout::UserLayout;
pub use map::{Map, MapRequest, Removed};

/// A virtual address (vaddr_t).
pub type Vaddr = u64;

/// The page size: every address and length the map handles is a multiple.
pub const PAGE_SIZE: u64 = 4096;

/// Why a map operation failed. Every failing operation leaves the map
/// unchanged (the tree's shape may differ; its content does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Bad argument: misaligned address or length, zero length, range
    /// outside the map, `prot` not within `max_prot`, bad alignment
    /// (EINVAL).
    Inval,
    /// No free space of that size, or a fixed range is (partly) in use
    /// (ENOMEM from mmap).
    NoSpace,
    /// The entry store could not allocate an entry (ENOMEM, retryable).
    NoMem,
    /// The requested protection exceeds an entry's maximum (EACCES).
    Access,
}

impl core::fmt::Display for MapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            MapError::Inval => "invalid argument",
            MapError::NoSpace => "no space in address map",
            MapError::NoMem => "out of memory for map entries",
            MapError::Access => "protection exceeds maximum protection",
        })
    }
}

impl core::error::Error for MapError {}

/// `x` rounded up to a multiple of `align` (a power of two), or `None` on
/// overflow.
pub(crate) fn round_up(x: u64, align: u64) -> Option<u64> {
    x.checked_add(align - 1).map(|v| v & !(align - 1))
}

/// `x` rounded down to a multiple of `align` (a power of two).
pub(crate) fn round_down(x: u64, align: u64) -> u64 {
    x & !(align - 1)
}

/// A request alignment: 0 means [`PAGE_SIZE`]; otherwise it must be a power
/// of two no smaller than a page.
pub(crate) fn normalize_align(align: u64) -> Option<u64> {
    match align {
        0 => Some(PAGE_SIZE),
        a if a.is_power_of_two() && a >= PAGE_SIZE => Some(a),
        _ => None,
    }
}

pub(crate) fn page_aligned(x: u64) -> bool {
    x.is_multiple_of(PAGE_SIZE)
}
