//! The leak check run around every test: pages that are neither free nor
//! held by an allocator cache (heap arenas, pv-entry pages), heap bytes and
//! allocations in use, and pv entries in use must be the same before and
//! after. (Heap growth moves pages from free to heap, which is not a leak;
//! pages handed out and not returned are.)

use crate::kern::heap;
use crate::uvm::physmem;
use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Free pages plus pages held by the heap and the pv allocator.
    pub available_pages: u64,
    pub heap_bytes: usize,
    pub heap_allocations: usize,
    pub pv_entries: u64,
}

/// Take a snapshot of the counters.
pub fn snapshot() -> Snapshot {
    let h = heap::stats();
    let (pv_entries, pv_pages) = crate::pmap::pv_stats();
    Snapshot {
        available_pages: physmem::free_pages() + h.pages as u64 + pv_pages as u64,
        heap_bytes: h.bytes_in_use,
        heap_allocations: h.allocations,
        pv_entries,
    }
}

/// What changed between two snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leak {
    pub before: Snapshot,
    pub after: Snapshot,
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (b, a) = (self.before, self.after);
        write!(
            f,
            "leak check: pages {} -> {} ({:+}), heap bytes {} -> {} ({:+}), heap allocations {} -> {} ({:+}), pv entries {} -> {}",
            b.available_pages,
            a.available_pages,
            a.available_pages as i64 - b.available_pages as i64,
            b.heap_bytes,
            a.heap_bytes,
            a.heap_bytes as i64 - b.heap_bytes as i64,
            b.heap_allocations,
            a.heap_allocations,
            a.heap_allocations as i64 - b.heap_allocations as i64,
            b.pv_entries,
            a.pv_entries,
        )
    }
}

/// Ok if nothing leaked between `before` and `after`.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Result<(), Leak> {
    if before == after {
        Ok(())
    } else {
        Err(Leak {
            before: *before,
            after: *after,
        })
    }
}

/// Run `f` and report whether it leaked.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Result<(), Leak>) {
    let before = snapshot();
    let r = f();
    let after = snapshot();
    (r, compare(&before, &after))
}
