//! The kernel heap: Rust's global allocator. It is a chain of arenas, each a
//! physically contiguous run of pages from the page allocator reached through
//! the direct map and managed by `linked_list_allocator`. When no arena can
//! serve a request a new one is added (growing on demand); a request that
//! still fails logs its size and the memory counters.
//!
//! This is the bootstrap allocator: the pool allocator replaces it for small
//! sizes in a later layer.

use crate::pmap::direct::{self, PAGE_SIZE};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;

/// Pages in the first arena (4 MiB).
const INITIAL_ARENA_PAGES: usize = 1024;
/// Smallest arena added when growing (1 MiB).
const MIN_GROW_PAGES: usize = 256;
/// Largest arena the page allocator can give (its biggest buddy block).
const MAX_ARENA_PAGES: usize = 1 << (ferrite_buddy::MAX_ORDER - 1);
const MAX_ARENAS: usize = 64;

struct Arena {
    heap: Heap,
    start: usize,
    end: usize,
}

struct KernelHeap {
    arenas: [Option<Arena>; MAX_ARENAS],
    count: usize,
    stats: HeapStats,
}

/// Heap counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes handed out and not yet freed (requested sizes).
    pub bytes_in_use: usize,
    /// Live allocations.
    pub allocations: usize,
    /// Pages backing all arenas.
    pub pages: usize,
    pub arenas: usize,
    pub failures: usize,
}

static HEAP: Mutex<KernelHeap> = Mutex::new(KernelHeap {
    arenas: [const { None }; MAX_ARENAS],
    count: 0,
    stats: HeapStats {
        bytes_in_use: 0,
        allocations: 0,
        pages: 0,
        arenas: 0,
        failures: 0,
    },
});

impl KernelHeap {
    /// Add an arena of at least `pages` pages. False if out of memory/slots.
    fn grow(&mut self, pages: usize) -> bool {
        if self.count == MAX_ARENAS {
            return false;
        }
        let pages = pages.clamp(MIN_GROW_PAGES, MAX_ARENA_PAGES);
        let Ok(pa) = physmem::alloc_contig(pages, 1, PageUse::Heap) else {
            return false;
        };
        let start = direct::phys_to_virt(pa) as usize;
        let size = pages * PAGE_SIZE as usize;
        // SAFETY: [start, start + size) is a freshly allocated run of pages,
        // mapped writable by the direct map and owned by this arena for good.
        let heap = unsafe { Heap::new(start as *mut u8, size) };
        self.arenas[self.count] = Some(Arena {
            heap,
            start,
            end: start + size,
        });
        self.count += 1;
        self.stats.pages += pages;
        self.stats.arenas += 1;
        true
    }

    fn try_alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // Newest arenas first: they are the ones with room.
        self.arenas[..self.count]
            .iter_mut()
            .rev()
            .flatten()
            .find_map(|a| a.heap.allocate_first_fit(layout).ok())
    }

    fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let mut got = self.try_alloc(layout);
        let fits_an_arena =
            layout.size() + layout.align() + 64 <= MAX_ARENA_PAGES * PAGE_SIZE as usize;
        if got.is_none() && fits_an_arena {
            let needed = (layout.size() + layout.align() + 64).div_ceil(PAGE_SIZE as usize);
            if self.grow(needed) {
                got = self.try_alloc(layout);
            }
        }
        match got {
            Some(p) => {
                self.stats.bytes_in_use += layout.size();
                self.stats.allocations += 1;
                p.as_ptr()
            }
            None => {
                self.stats.failures += 1;
                let pm = physmem::stats();
                log::error!(
                    "heap: cannot allocate {} bytes (align {}): {} arenas, {} pages, {} bytes in use; {} free pages",
                    layout.size(),
                    layout.align(),
                    self.stats.arenas,
                    self.stats.pages,
                    self.stats.bytes_in_use,
                    pm.free()
                );
                ptr::null_mut()
            }
        }
    }

    fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        let addr = ptr as usize;
        let arena = self.arenas[..self.count]
            .iter_mut()
            .flatten()
            .find(|a| (a.start..a.end).contains(&addr))
            .expect("heap: free of a pointer no arena owns");
        // SAFETY: the pointer was returned by this arena's allocate_first_fit
        // with the same layout (GlobalAlloc contract) and is freed once.
        unsafe { arena.heap.deallocate(NonNull::new_unchecked(ptr), layout) };
        self.stats.bytes_in_use -= layout.size();
        self.stats.allocations -= 1;
    }
}

struct GlobalHeap;

// SAFETY: alloc returns null or a block of at least `layout.size()` bytes
// aligned to `layout.align()` that no other allocation overlaps (the arenas
// are disjoint page runs); dealloc only accepts pointers alloc returned.
unsafe impl GlobalAlloc for GlobalHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        x86_64::instructions::interrupts::without_interrupts(|| HEAP.lock().alloc(layout))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        x86_64::instructions::interrupts::without_interrupts(|| HEAP.lock().dealloc(ptr, layout))
    }
}

#[global_allocator]
static GLOBAL: GlobalHeap = GlobalHeap;

/// Create the first arena. Called once the page allocator is up.
pub fn init() {
    assert!(
        HEAP.lock().grow(INITIAL_ARENA_PAGES),
        "cannot allocate the initial kernel heap"
    );
}

/// A copy of the heap counters.
pub fn stats() -> HeapStats {
    x86_64::instructions::interrupts::without_interrupts(|| HEAP.lock().stats)
}
