//! Error type of the amap operations.

use core::fmt;

/// Why an amap operation was refused.
///
/// Every operation that returns an error leaves the amap exactly as it was
/// (no partial update, no callback invoked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmapError {
    /// An allocation failed (or the test hook's allocation limit was hit, or
    /// the requested size exceeds [`MAX_SLOTS`](crate::MAX_SLOTS)). The
    /// caller may wait for memory and retry.
    NoMem,
    /// The request does not fit the amap's state: slot range out of bounds,
    /// empty range, a slot that is (not) occupied, a page nobody references,
    /// a reference range that does not match an existing reference, an
    /// extension of an amap with more than one reference, ...
    Inval,
}

impl fmt::Display for AmapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AmapError::NoMem => "out of memory for amap arrays",
            AmapError::Inval => "invalid amap request",
        })
    }
}

impl core::error::Error for AmapError {}
