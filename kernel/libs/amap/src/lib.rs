//! UVM's anonymous map (amap), as a pure data structure.
//!
//! An amap is the array of anon slots behind the anonymous memory of one or
//! more map entries. Each entry refers to it through an "aref": a slot
//! offset plus the entry's length in pages. This crate keeps NetBSD's
//! `uvm_amap.c` layout and algorithms:
//!
//! - the slot array (`am_anon`) with padding for cheap growth, a packed list
//!   of used slots (`am_slots`) and back pointers (`am_bckptr`), so adding,
//!   removing and iterating used slots are O(1) / O(nused);
//! - a reference count of arefs and the `shared` flag;
//! - per-page reference counts (`am_ppref`), allocated lazily by the first
//!   partial reference, so that unmapping part of an entry frees exactly the
//!   anons of the unmapped pages;
//! - `amap_extend`'s forward and three backward cases, `amap_splitref`,
//!   `amap_copy` (data part), `amap_wipeout`.
//!
//! What it does not do: locking, anon objects and their reference counts
//! (generic handle `A`; operations report the anons they stop or start
//! holding), map entries. Every allocation is fallible (`try_reserve_exact`)
//! and reported as [`AmapError::NoMem`] with the amap left unchanged; an
//! allocation-limit test hook ([`Amap::with_alloc_limit`]) makes those paths
//! testable on the host. No `unsafe`.
//!
//! ```
//! use ferrite_amap::{Amap, Direction, ExtendOutcome};
//!
//! // An 8-page entry, anons in pages 1, 4 and 6 (anon handles are u32 here).
//! let mut amap: Amap<u32> = Amap::new(8, 0).unwrap();
//! for (slot, anon) in [(1, 10), (4, 40), (6, 60)] {
//!     amap.add(slot, anon, false).unwrap();
//! }
//! // Clip the entry into [0,3) [3,6) [6,8) and unmap the middle piece.
//! amap.split_ref(0, 8, 3).unwrap();
//! amap.split_ref(3, 5, 3).unwrap();
//! assert!(amap.has_ppref());
//! let mut dropped = Vec::new();
//! assert!(!amap.remove_ref(3, 3, |a| dropped.push(a)).unwrap());
//! assert_eq!(dropped, [40]);
//! // The last references wipe the rest.
//! assert!(!amap.remove_ref(0, 3, |a| dropped.push(a)).unwrap());
//! assert!(amap.remove_ref(6, 2, |a| dropped.push(a)).unwrap());
//! dropped.sort();
//! assert_eq!(dropped, [10, 40, 60]);
//!
//! // Growing backwards in front of slot 0 moves the slots.
//! let mut amap: Amap<u32> = Amap::new(4, 4).unwrap();
//! amap.add(0, 7, false).unwrap();
//! let out = amap.extend(0, 4, 2, Direction::Backward).unwrap();
//! assert_eq!(out, ExtendOutcome::SlidSlots { new_offset: 2 });
//! assert_eq!(amap.lookup(4), Some(7));
//! amap.check().unwrap();
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod amap;
mod check;
mod copy;
mod error;
mod extend;
mod iter;
mod refs;

#[cfg(test)]
mod tests;

pub use amap::{Amap, MAX_SLOTS};
pub use error::AmapError;
pub use extend::{Direction, ExtendOutcome};
pub use iter::Lookups;
