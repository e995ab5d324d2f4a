//! Error type of the buddy allocator: the ways a free request can be invalid.

use core::fmt;

/// Why a [`Buddy::free`](crate::Buddy::free) or
/// [`Buddy::free_run`](crate::Buddy::free_run) request was refused.
///
/// A refused request leaves the allocator and the page array untouched.
/// Running out of memory is not an error value: the allocation functions
/// return `None` instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuddyError {
    /// The range does not lie inside the page slice (or beyond
    /// [`MAX_PAGES`](crate::MAX_PAGES), or the arithmetic overflowed).
    OutOfRange,
    /// `free(index, order)` with `index` not a multiple of `2^order`.
    Misaligned,
    /// `order >= MAX_ORDER`.
    InvalidOrder,
    /// At least one page of the range is already free (double free, or
    /// freeing a run that overlaps a free block).
    DoubleFree,
}

impl fmt::Display for BuddyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuddyError::OutOfRange => "page range lies outside the page array",
            BuddyError::Misaligned => "block index is not aligned to its order",
            BuddyError::InvalidOrder => "block order is not below MAX_ORDER",
            BuddyError::DoubleFree => "page is already free (double free)",
        })
    }
}

impl core::error::Error for BuddyError {}
