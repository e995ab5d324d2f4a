//! Binary buddy allocator core for the kernel's physical page array.
//!
//! This crate owns the free-list bookkeeping only: which runs of physical
//! page frames are free, split into naturally aligned power-of-two blocks of
//! order `0..MAX_ORDER`, and how they split on allocation and coalesce on
//! free. It does not own the page array itself: the kernel keeps one
//! `vm_page` per physical frame (index == physical frame number, so index
//! alignment == physical alignment), embeds a [`Link`] in each, and passes
//! the whole array as a slice of some `T: HasLink` to every operation.
//!
//! Design points:
//! - No allocation, no `unsafe`; every operation is bounded (`alloc` is
//!   O(`MAX_ORDER`), `free` of an order-`k` block is O(2^k + `MAX_ORDER`)
//!   because it verifies that no page of the block is already free).
//! - Free lists are intrusive doubly linked lists of page indices (`u32`,
//!   [`u32::MAX`] = none), so unlinking a buddy while coalescing is O(1).
//! - Only the *head* page of a free block is marked free (with its order);
//!   the other pages of a free block look exactly like allocated pages. Use
//!   [`Buddy::page_is_free`] (O(`MAX_ORDER`)) to ask about an arbitrary page.
//! - The allocator must always be given the same page slice.
//!
//! ```
//! use ferrite_buddy::{Buddy, HasLink, Link};
//!
//! struct VmPage { link: Link }
//! impl HasLink for VmPage {
//!     fn link(&self) -> &Link { &self.link }
//!     fn link_mut(&mut self) -> &mut Link { &mut self.link }
//! }
//!
//! let mut pages: Vec<VmPage> = (0..64).map(|_| VmPage { link: Link::new() }).collect();
//! let mut buddy = Buddy::new();
//! buddy.free_run(&mut pages, 1, 63).unwrap(); // frame 0 reserved
//! let block = buddy.alloc(&mut pages, 2).unwrap(); // 4 pages, 4-aligned
//! assert_eq!(block % 4, 0);
//! let run = buddy.alloc_contig(&mut pages, 3, 16).unwrap(); // 3 pages, 16-aligned
//! assert_eq!(run % 16, 0);
//! assert!(!buddy.page_is_free(&pages, run));
//! buddy.free(&mut pages, block, 2).unwrap();
//! buddy.free_run(&mut pages, run, 3).unwrap();
//! assert_eq!(buddy.free_pages(), 63);
//! buddy.check_invariants(&pages).unwrap();
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buddy;
mod error;
mod link;

pub use buddy::{Buddy, MAX_BLOCK_PAGES, MAX_ORDER, MAX_PAGES};
pub use error::BuddyError;
pub use link::{HasLink, Link};
