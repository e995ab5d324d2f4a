//! The leak check run around every test: pages that are neither free nor
//! held by a pool, kmem bytes and blocks in use, and pool items in use must
//! be the same before and after. (A pool keeping an empty page cached is not a leak;
//! pages or items handed out and not returned are.)

use crate::kern::mem::{kmem, pool_registry};
use crate::uvm::physmem;
use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Free pages plus pages held by the heap and the pv allocator.
    pub available_pages: u64,
    pub heap_bytes: usize,
    pub heap_allocations: usize,
    /// Items in use over all pools (kmem's size classes and pv entries included).
    pub pool_items: u64,
}

/// Take a snapshot of the counters. Cached kernel stacks are given back
/// first (a thread's stack is cached when it exits, which is not a leak).
pub fn snapshot() -> Snapshot {
    crate::kern::sched::kstack::drain_cache();
    let k = kmem::stats();
    let (pool_pages, pool_items) = pool_registry::totals();
    Snapshot {
        available_pages: physmem::free_pages() + pool_pages,
        heap_bytes: k.bytes_in_use,
        heap_allocations: k.allocations,
        pool_items,
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
            "leak check: pages {} -> {} ({:+}), kmem bytes {} -> {} ({:+}), kmem blocks {} -> {} ({:+}), pool items {} -> {}",
            b.available_pages,
            a.available_pages,
            a.available_pages as i64 - b.available_pages as i64,
            b.heap_bytes,
            a.heap_bytes,
            a.heap_bytes as i64 - b.heap_bytes as i64,
            b.heap_allocations,
            a.heap_allocations,
            a.heap_allocations as i64 - b.heap_allocations as i64,
            b.pool_items,
            a.pool_items,
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
