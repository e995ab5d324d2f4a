//! Physical memory: builds the `vm_page` array from the bootloader's memory
//! map (uvm_page_physload), keeps the free pages on buddy free lists, hands
//! out single pages and physically contiguous aligned runs
//! (uvm_pagealloc / uvm_pglistalloc), and keeps the `uvmexp` counters.
//!
//! Every frame below the highest RAM address has a `vm_page` with a
//! `PageUse`; the counters always equal a full scan of the array (checked by
//! `check_invariants`). Pages of the kernel image, the bootloader's
//! structures and the ramdisk are accounted but never handed out.
//!
//! Single pages go through a small LIFO cache of free pages in front of
//! the buddy lists (like Linux's per-CPU page lists): a one-page alloc or
//! free is a pop or a push instead of a split or a coalescing walk of up
//! to eleven orders. The cache is refilled with one 32-page block and
//! drained in halves, the drained pages freed to the buddy as sorted runs
//! (pages that came from one block go back as one); a contiguous
//! allocation the buddy cannot serve drains it all and tries again.
//! Cached pages are free pages (`PageUse::Free`, counted in
//! `uvmexp.free`), just not on the buddy lists.

use super::Paddr;
use super::page::{PageUse, VmPage};
use crate::kern::error::{KResult, KernError};
use crate::kern::sched::sleepq;
use crate::pmap::direct::{self, PAGE_SIZE};
use bootloader_api::BootInfo;
use bootloader_api::info::MemoryRegionKind;
use core::sync::atomic::{AtomicU32, Ordering, fence};
use ferrite_buddy::Buddy;
use spin::Mutex;

/// The `uvmexp` counters: pages per use, plus allocation statistics.
#[derive(Clone, Copy, Debug)]
pub struct Uvmexp {
    /// Frames covered by the vm_page array.
    pub npages: u64,
    /// Pages per `PageUse`, indexed by `PageUse as usize`.
    pub by_use: [u64; PageUse::COUNT],
    pub allocs: u64,
    pub frees: u64,
    pub failures: u64,
}

impl Uvmexp {
    pub fn count(&self, usage: PageUse) -> u64 {
        self.by_use[usage as usize]
    }
    pub fn free(&self) -> u64 {
        self.count(PageUse::Free)
    }
    /// Usable RAM the allocator manages: free plus everything allocated from it.
    pub fn managed(&self) -> u64 {
        self.free() + self.wired() + self.pageable()
    }
    /// Pages wired by the kernel out of the managed pool (heap, page tables,
    /// other kernel memory) plus the stolen vm_page array.
    pub fn wired(&self) -> u64 {
        PageUse::ALL
            .iter()
            .filter(|u| u.is_allocated() && !u.is_pageable())
            .map(|u| self.count(*u))
            .sum::<u64>()
            + self.count(PageUse::PageArray)
    }

    /// Pageable pages in use (anons and object pages).
    pub fn pageable(&self) -> u64 {
        self.count(PageUse::Anon) + self.count(PageUse::Object)
    }
}

struct PhysMem {
    pages: &'static mut [VmPage],
    buddy: Buddy,
    stats: Uvmexp,
    /// The free-page cache: frame numbers, `cached` of them.
    cache: [u32; PAGE_CACHE],
    cached: usize,
}

/// Pages the free-page cache holds at most.
const PAGE_CACHE: usize = 256;
/// The block (order) a refill takes from the buddy: 32 pages.
const REFILL_ORDER: usize = 5;

impl PhysMem {
    /// One free page: from the cache, refilled from the buddy if empty.
    fn take_one(&mut self) -> Option<usize> {
        if self.cached == 0 {
            match self.buddy.alloc(self.pages, REFILL_ORDER) {
                Some(first) => {
                    // Highest first, so pages leave in address order.
                    for pfn in (first..first + (1 << REFILL_ORDER)).rev() {
                        self.cache[self.cached] = pfn as u32;
                        self.cached += 1;
                    }
                }
                None => return self.buddy.alloc(self.pages, 0),
            }
        }
        self.cached -= 1;
        Some(self.cache[self.cached] as usize)
    }

    /// Put a free page (already marked free) in the cache, draining half
    /// of it first if it is full.
    fn put_one(&mut self, pfn: usize) {
        if self.cached == PAGE_CACHE {
            self.drain(PAGE_CACHE / 2);
        }
        self.cache[self.cached] = pfn as u32;
        self.cached += 1;
    }

    /// Give the `n` oldest cached pages back to the buddy, as sorted runs.
    fn drain(&mut self, n: usize) {
        let n = n.min(self.cached);
        let out = &mut self.cache[..n];
        out.sort_unstable();
        let mut i = 0;
        while i < n {
            let start = out[i] as usize;
            let mut len = 1;
            while i + len < n && out[i + len] as usize == start + len {
                len += 1;
            }
            self.buddy
                .free_run(self.pages, start, len)
                .expect("free lists disagree with the page cache");
            i += len;
        }
        self.cache.copy_within(n..self.cached, 0);
        self.cached -= n;
    }
}

static PHYSMEM: Mutex<Option<PhysMem>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut PhysMem) -> R) -> R {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let mut guard = PHYSMEM.lock();
        f(guard.as_mut().expect("physmem not initialised"))
    })
}

fn pfn(pa: Paddr) -> usize {
    (pa / PAGE_SIZE) as usize
}

fn page_addr(pfn: usize) -> Paddr {
    pfn as u64 * PAGE_SIZE
}

/// A physical range `[start, end)` from the memory map, by kind.
#[derive(Clone, Copy)]
struct Range {
    start: u64,
    end: u64,
    kind: MemoryRegionKind,
}

/// Choose where to put the vm_page array: the first usable range above
/// 1 MiB that can hold `bytes` (page aligned).
fn find_array_home(ranges: &[Range], bytes: u64) -> Option<u64> {
    ranges
        .iter()
        .filter(|r| r.kind == MemoryRegionKind::Usable)
        .map(|r| {
            (
                r.start.max(0x10_0000).next_multiple_of(PAGE_SIZE),
                r.end & !(PAGE_SIZE - 1),
            )
        })
        .find(|(s, e)| e > s && e - s >= bytes)
        .map(|(s, _)| s)
}

fn mark(pages: &mut [VmPage], start: u64, end: u64, usage: PageUse) {
    let first = pfn(start);
    let last = pfn(end.next_multiple_of(PAGE_SIZE)).min(pages.len());
    for p in pages.iter_mut().take(last).skip(first) {
        p.usage = usage;
    }
}

/// Build the vm_page array and the free lists from the boot memory map.
pub fn init(boot_info: &BootInfo) {
    let mut ranges = [Range {
        start: 0,
        end: 0,
        kind: MemoryRegionKind::Usable,
    }; 256];
    let mut n = 0;
    for r in boot_info.memory_regions.iter() {
        if n == ranges.len() {
            break;
        }
        ranges[n] = Range {
            start: r.start,
            end: r.end,
            kind: r.kind,
        };
        n += 1;
    }
    let ranges = &ranges[..n];

    let top = ranges
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                MemoryRegionKind::Usable | MemoryRegionKind::Bootloader
            )
        })
        .map(|r| r.end)
        .max()
        .expect("no usable memory");
    let npages = pfn(top.next_multiple_of(PAGE_SIZE));
    let array_bytes = (npages * core::mem::size_of::<VmPage>()) as u64;
    let array_pa = find_array_home(ranges, array_bytes).expect("no room for the vm_page array");
    let pages = direct::steal_memory(array_pa, npages, |_| VmPage::new(PageUse::Reserved));

    for r in ranges {
        match r.kind {
            // Usable ranges shrink to whole pages, others grow to whole pages.
            MemoryRegionKind::Usable => mark(
                pages,
                r.start.next_multiple_of(PAGE_SIZE),
                r.end & !(PAGE_SIZE - 1),
                PageUse::Free,
            ),
            MemoryRegionKind::Bootloader => {
                mark(pages, r.start & !(PAGE_SIZE - 1), r.end, PageUse::Boot)
            }
            _ => {}
        }
    }
    let kernel_end = boot_info.kernel_addr + boot_info.kernel_len;
    mark(
        pages,
        boot_info.kernel_addr & !(PAGE_SIZE - 1),
        kernel_end,
        PageUse::KernelImage,
    );
    if let Some(rd) = boot_info.ramdisk_addr.into_option() {
        let mut va = rd & !(PAGE_SIZE - 1);
        while va < rd + boot_info.ramdisk_len {
            if let Some(pa) = crate::pmap::kernel::boot_extract(va) {
                mark(
                    pages,
                    pa & !(PAGE_SIZE - 1),
                    (pa & !(PAGE_SIZE - 1)) + PAGE_SIZE,
                    PageUse::Ramdisk,
                );
            }
            va += PAGE_SIZE;
        }
    }
    mark(pages, array_pa, array_pa + array_bytes, PageUse::PageArray);
    pages[0].usage = PageUse::Reserved; // never hand out physical page 0

    let mut stats = Uvmexp {
        npages: npages as u64,
        by_use: [0; PageUse::COUNT],
        allocs: 0,
        frees: 0,
        failures: 0,
    };
    for p in pages.iter() {
        stats.by_use[p.usage as usize] += 1;
    }
    let mut buddy = Buddy::new();
    let mut i = 0;
    while i < npages {
        if pages[i].usage != PageUse::Free {
            i += 1;
            continue;
        }
        let start = i;
        while i < npages && pages[i].usage == PageUse::Free {
            i += 1;
        }
        buddy
            .free_run(pages, start, i - start)
            .expect("boot free-list population failed");
    }
    *PHYSMEM.lock() = Some(PhysMem {
        pages,
        buddy,
        stats,
        cache: [0; PAGE_CACHE],
        cached: 0,
    });
}

/// Allocate one page for `usage` (uvm_pagealloc). Its contents are undefined.
pub fn alloc_page(usage: PageUse) -> KResult<Paddr> {
    alloc_contig(1, 1, usage)
}

/// A page its holder owns: allocated and not yet freed. Only the page
/// allocator makes one (`alloc_owned`), and the direct-map writers
/// (`pmap::direct`) take one as proof that the write touches nothing else.
#[derive(Debug, PartialEq, Eq)]
pub struct OwnedPage(Paddr);

impl OwnedPage {
    pub fn pa(&self) -> Paddr {
        self.0
    }

    /// Give up the handle, keeping the page allocated (it now belongs to
    /// whatever the address is stored in, e.g. a page table).
    pub fn into_pa(self) -> Paddr {
        self.0
    }
}

/// Allocate one page for `usage` as an owned handle.
pub fn alloc_owned(usage: PageUse) -> KResult<OwnedPage> {
    alloc_page(usage).map(OwnedPage)
}

/// Free an owned page.
pub fn free_owned(page: OwnedPage) {
    free_page(page.0)
}

/// Allocate one page for `usage`, filled with zeroes.
pub fn alloc_page_zeroed(usage: PageUse) -> KResult<Paddr> {
    let mut p = alloc_owned(usage)?;
    direct::zero_page(&mut p);
    Ok(p.into_pa())
}

/// Allocate `npages` physically contiguous pages whose first page number is
/// a multiple of `align` (a power of two, in pages) (uvm_pglistalloc).
pub fn alloc_contig(npages: usize, align: usize, usage: PageUse) -> KResult<Paddr> {
    assert!(
        usage.is_allocated(),
        "cannot allocate pages as {}",
        usage.name()
    );
    if npages == 0 || !align.is_power_of_two() {
        return Err(KernError::Inval);
    }
    with(|pm| {
        let got = if npages == 1 && align == 1 {
            pm.take_one()
        } else {
            pm.buddy.alloc_contig(pm.pages, npages, align).or_else(|| {
                // Cached pages may complete a run: all back, then again.
                pm.drain(PAGE_CACHE);
                pm.buddy.alloc_contig(pm.pages, npages, align)
            })
        };
        let Some(first) = got else {
            pm.stats.failures += 1;
            return Err(KernError::NoMem);
        };
        for p in &mut pm.pages[first..first + npages] {
            debug_assert_eq!(p.usage, PageUse::Free, "allocator handed out a page in use");
            p.usage = usage;
        }
        pm.stats.by_use[PageUse::Free as usize] -= npages as u64;
        pm.stats.by_use[usage as usize] += npages as u64;
        pm.stats.allocs += 1;
        Ok(page_addr(first))
    })
}

/// Free one page allocated with `alloc_page`.
pub fn free_page(pa: Paddr) {
    free_contig(pa, 1)
}

/// Threads sleeping in `wait_for_pages`.
static PAGE_WAITERS: AtomicU32 = AtomicU32::new(0);

/// Longest single wait for pages, in milliseconds (the caller then tries
/// again, and gives up after a few rounds).
const PAGE_WAIT_MS: u64 = 1000;

/// Free pages a waiter wants before it tries again (a fault may need an
/// anon page and up to three page-table pages).
const PAGE_WAIT_TARGET: u64 = 8;

/// Sleep until pages are freed (uvm_wait): the page allocator's free path
/// wakes the sleepers. Returns at once when the caller may not sleep.
pub fn wait_for_pages() {
    if !crate::kern::sched::may_sleep() {
        return;
    }
    let chan = sleepq::chan(&PAGE_WAITERS);
    PAGE_WAITERS.fetch_add(1, Ordering::SeqCst);
    fence(Ordering::SeqCst);
    let _ = sleepq::sleep_until(chan, false, Some(sleepq::ms_to_ticks(PAGE_WAIT_MS)), || {
        free_pages() >= PAGE_WAIT_TARGET
    });
    PAGE_WAITERS.fetch_sub(1, Ordering::SeqCst);
}

/// Threads waiting for free pages now (tests).
pub fn page_waiters() -> u32 {
    PAGE_WAITERS.load(Ordering::SeqCst)
}

/// Wake the page waiters if pages came back.
fn wake_page_waiters() {
    fence(Ordering::SeqCst);
    if PAGE_WAITERS.load(Ordering::SeqCst) > 0 {
        sleepq::wakeup(sleepq::chan(&PAGE_WAITERS));
    }
}

/// Free a run allocated with `alloc_contig` (or any allocated run).
/// Freeing a page that is not allocated is a kernel bug and panics.
pub fn free_contig(pa: Paddr, npages: usize) {
    assert!(
        pa.is_multiple_of(PAGE_SIZE),
        "free of unaligned address {pa:#x}"
    );
    with(|pm| {
        let first = pfn(pa);
        assert!(
            first + npages <= pm.pages.len(),
            "free of unmanaged page {pa:#x}"
        );
        for (i, p) in pm.pages[first..first + npages].iter_mut().enumerate() {
            assert!(
                p.usage.is_allocated(),
                "free of page {:#x} which is {}",
                page_addr(first + i),
                p.usage.name()
            );
            assert!(
                p.md.pv_head == crate::pmap::pv::NIL && p.md.memattr == 0,
                "free of page {:#x} which is still mapped or not write-back",
                page_addr(first + i)
            );
            pm.stats.by_use[p.usage as usize] -= 1;
            p.usage = PageUse::Free;
            p.md = crate::pmap::PageMd::new();
            p.owner = super::page::PageOwner::None;
        }
        pm.stats.by_use[PageUse::Free as usize] += npages as u64;
        pm.stats.frees += 1;
        if npages == 1 {
            pm.put_one(first);
        } else {
            pm.buddy
                .free_run(pm.pages, first, npages)
                .expect("free lists disagree with the vm_page array");
        }
    });
    wake_page_waiters();
}

/// Run `f` on the pmap's per-page data of the frame at `pa` (None if `pa`
/// is outside the vm_page array, e.g. device memory: an unmanaged page).
pub fn with_md<R>(pa: Paddr, f: impl FnOnce(&mut crate::pmap::PageMd) -> R) -> Option<R> {
    with(|pm| pm.pages.get_mut(pfn(pa)).map(|p| f(&mut p.md)))
}

/// Record who owns the page at `pa`.
pub fn set_owner(pa: Paddr, owner: super::page::PageOwner) {
    with(|pm| pm.pages[pfn(pa)].owner = owner)
}

/// Who owns the page at `pa` (None outside the array).
pub fn owner_of(pa: Paddr) -> Option<super::page::PageOwner> {
    with(|pm| pm.pages.get(pfn(pa)).map(|p| p.owner))
}

/// Give a page of the bootloader's structures (e.g. a page table of the boot
/// identity map, once unused) back to the free lists.
pub fn release_boot_page(pa: Paddr) {
    with(|pm| {
        let first = pfn(pa);
        let page = pm
            .pages
            .get_mut(first)
            .expect("boot page outside the vm_page array");
        assert_eq!(
            page.usage,
            PageUse::Boot,
            "release of page {pa:#x} which is not boot data"
        );
        page.usage = PageUse::Free;
        pm.stats.by_use[PageUse::Boot as usize] -= 1;
        pm.stats.by_use[PageUse::Free as usize] += 1;
        pm.buddy
            .free_run(pm.pages, first, 1)
            .expect("free lists disagree with the vm_page array");
    })
}

/// A copy of the counters.
pub fn stats() -> Uvmexp {
    with(|pm| pm.stats)
}

/// Number of free pages.
pub fn free_pages() -> u64 {
    with(|pm| pm.stats.free())
}

/// What the page at `pa` is used for (None if outside the array).
pub fn usage_of(pa: Paddr) -> Option<PageUse> {
    with(|pm| pm.pages.get(pfn(pa)).map(|p| p.usage))
}

/// Check the free lists and that the counters match a full scan.
pub fn check_invariants() -> Result<(), &'static str> {
    with(|pm| {
        let mut by_use = [0u64; PageUse::COUNT];
        for p in pm.pages.iter() {
            by_use[p.usage as usize] += 1;
        }
        if by_use != pm.stats.by_use {
            return Err("uvmexp counters disagree with the vm_page array");
        }
        if (pm.buddy.free_pages() + pm.cached) as u64 != pm.stats.free() {
            return Err("free-list and cached page counts disagree with uvmexp.free");
        }
        for &pfn in &pm.cache[..pm.cached] {
            let p = &pm.pages[pfn as usize];
            if p.usage != PageUse::Free || pm.buddy.page_is_free(pm.pages, pfn as usize) {
                return Err("a cached page is in use or on the free lists");
            }
        }
        pm.buddy.check_invariants(pm.pages)
    })
}

/// Print the counters, like NetBSD's `vmstat -s` view of uvmexp.
pub fn report() {
    let s = stats();
    let mib = |pages: u64| pages * PAGE_SIZE / (1024 * 1024);
    log::info!(
        "uvmexp: {} bytes/page, {} frames, {} pages managed ({} MiB), {} free ({} MiB), {} wired",
        PAGE_SIZE,
        s.npages,
        s.managed(),
        mib(s.managed()),
        s.free(),
        mib(s.free()),
        s.wired()
    );
    for usage in PageUse::ALL.iter().skip(1) {
        log::info!(
            "uvmexp:   {:>16}: {:>7} pages",
            usage.name(),
            s.count(*usage)
        );
    }
}
