//! Deferred TLB invalidation (the reason for `pmap_update`). Operations that
//! take away or lower a mapping queue its address here; `update()` flushes
//! the queue with one `invlpg` per page, or with one full flush when more
//! pages were queued than the queue holds (or a whole address space went).

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::control::{Cr3, Cr4, Cr4Flags};

/// Pages queued before `update()` falls back to a full flush.
pub const QUEUE_LEN: usize = 32;

pub struct TlbQueue {
    vas: [u64; QUEUE_LEN],
    len: usize,
    full: bool,
}

/// Flush statistics (for tests and benchmarks).
pub static INVLPGS: AtomicU64 = AtomicU64::new(0);
pub static FULL_FLUSHES: AtomicU64 = AtomicU64::new(0);

impl TlbQueue {
    pub const fn new() -> Self {
        TlbQueue {
            vas: [0; QUEUE_LEN],
            len: 0,
            full: false,
        }
    }

    /// Queue the invalidation of the page at `va`.
    pub fn invalidate(&mut self, va: u64) {
        if self.full {
            return;
        }
        if self.len == QUEUE_LEN {
            self.full = true;
            return;
        }
        self.vas[self.len] = va;
        self.len += 1;
    }

    /// Queue a full flush.
    pub fn invalidate_all(&mut self) {
        self.full = true;
    }

    /// Carry out what is queued (pmap_update).
    pub fn flush(&mut self) {
        if self.full {
            flush_everything();
        } else {
            for &va in &self.vas[..self.len] {
                x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(va));
            }
            INVLPGS.fetch_add(self.len as u64, Ordering::Relaxed);
        }
        self.len = 0;
        self.full = false;
    }
}

/// Flush every TLB entry, global ones included.
pub fn flush_everything() {
    FULL_FLUSHES.fetch_add(1, Ordering::Relaxed);
    let cr4 = Cr4::read();
    if cr4.contains(Cr4Flags::PAGE_GLOBAL) {
        // SAFETY: clearing and setting PGE again only flushes the TLB.
        unsafe {
            Cr4::write(cr4 - Cr4Flags::PAGE_GLOBAL);
            Cr4::write(cr4);
        }
    } else {
        let (frame, flags) = Cr3::read();
        // SAFETY: reloading the same CR3 only flushes non-global entries.
        unsafe { Cr3::write(frame, flags) };
    }
}
