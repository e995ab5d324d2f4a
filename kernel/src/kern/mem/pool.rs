//! Pools (pool(9)): fixed-size items of one type, carved from pages of a
//! back-end allocator (`pool_allocator`).
//!
//! Every page of a pool is on exactly one of three lists: empty, partial or
//! full, decided by its count of items in use (`ferrite_ilist::PageLists`).
//! `get` takes an item from the current page (the first partial page, else
//! the first empty one, else a new page); when the page fills it moves to the
//! full list. `put` finds the item's page header in O(1) (in the page) or
//! O(log n) amortized (off-page headers, through a splay tree keyed by page
//! address) and moves the page between lists in O(1); a full page that gets
//! an item back becomes the current page. Neither ever searches a list.
//!
//! Small items keep the page header at the end of the page. Larger items,
//! where the header would cost an item, use an off-page header taken from the
//! header pool (itself a small-item pool, so this never recurses further).
//!
//! Empty pages stay cached for reuse; `reclaim` returns those idle for
//! longer than the pool's idle time beyond its low-water mark (it runs by
//! itself, at most once per idle period, when a `put` empties a page), and
//! `drain` returns all of them beyond it (the back end calls `drain` on every
//! pool it feeds when it runs out of pages).
//!
//! This module and `pool_box` are the audited primitive that turns raw
//! pages into items: their `unsafe` is confined to reading and writing page
//! headers and free-item links in pages the pool owns.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool_allocator::PoolAllocator;
use crate::arch::x86_64::apic;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use ferrite_ilist::{ListStore, PageList, PageLists, list_for};
use ferrite_splay::{SplayStore, SplayTree};
use spin::Mutex;

bitflags::bitflags! {
    /// How `get` may behave when the pool has no free item.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PoolFlags: u32 {
        /// May wait for memory: the back end is asked to reclaim (drain
        /// every pool it feeds) and the allocation is retried.
        const WAITOK = 1;
        /// Never waits: a failed page allocation returns `None` at once.
        const NOWAIT = 2;
        /// Zero the item.
        const ZERO = 4;
    }
}

/// A page header: where the page is, its free items, its list and tree links.
#[repr(C)]
#[derive(Clone, Copy)]
struct PageHeader {
    /// Address of the page.
    page: usize,
    /// First free item (0: none). Free items link through their first word.
    free: usize,
    used: usize,
    /// Timer tick at which the page last became empty.
    empty_since: u64,
    next: usize,
    prev: usize,
    left: usize,
    right: usize,
}

pub(super) const HEADER_SIZE: usize = core::mem::size_of::<PageHeader>();

/// Page headers reached by address. Only the owning pool, under its lock,
/// ever touches a header, and headers live in memory the pool owns (in its
/// pages, or items of the header pool it took). Headers are read and written
/// whole, by value, so no reference to one is ever held across a call.
struct Headers;

fn read_hdr(addr: usize) -> PageHeader {
    // SAFETY: `addr` is the header of a page this pool owns (see `Headers`),
    // aligned and initialised by `new_page`; the pool lock is held.
    unsafe { core::ptr::read(addr as *const PageHeader) }
}

fn write_hdr(addr: usize, h: PageHeader) {
    // SAFETY: as in read_hdr; the lock makes the write exclusive.
    unsafe { core::ptr::write(addr as *mut PageHeader, h) }
}

fn modify_hdr(addr: usize, f: impl FnOnce(&mut PageHeader)) {
    let mut h = read_hdr(addr);
    f(&mut h);
    write_hdr(addr, h);
}

fn link(v: usize) -> Option<usize> {
    (v != 0).then_some(v)
}

impl ListStore for Headers {
    type Handle = usize;
    fn next(&self, h: usize) -> Option<usize> {
        link(read_hdr(h).next)
    }
    fn prev(&self, h: usize) -> Option<usize> {
        link(read_hdr(h).prev)
    }
    fn set_next(&mut self, h: usize, v: Option<usize>) {
        modify_hdr(h, |x| x.next = v.unwrap_or(0));
    }
    fn set_prev(&mut self, h: usize, v: Option<usize>) {
        modify_hdr(h, |x| x.prev = v.unwrap_or(0));
    }
}

impl SplayStore for Headers {
    type Handle = usize;
    type Key = usize;
    fn key(&self, h: usize) -> usize {
        read_hdr(h).page
    }
    fn left(&self, h: usize) -> Option<usize> {
        link(read_hdr(h).left)
    }
    fn right(&self, h: usize) -> Option<usize> {
        link(read_hdr(h).right)
    }
    fn set_left(&mut self, h: usize, c: Option<usize>) {
        modify_hdr(h, |x| x.left = c.unwrap_or(0));
    }
    fn set_right(&mut self, h: usize, c: Option<usize>) {
        modify_hdr(h, |x| x.right = c.unwrap_or(0));
    }
}

/// Read the free-list link stored in a free item.
fn read_link(item: usize) -> usize {
    // SAFETY: `item` is a free item of a page the pool owns, aligned for
    // usize (strides are multiples of 8), holding its free-list link.
    unsafe { core::ptr::read(item as *const usize) }
}

fn write_link(item: usize, next: usize) {
    // SAFETY: as in read_link; the item is free, so the pool owns its bytes.
    unsafe { core::ptr::write(item as *mut usize, next) }
}

/// Counters of one pool (what `vmstat -m` shows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub gets: u64,
    pub puts: u64,
    pub failures: u64,
    pub pages: u64,
    pub in_use: u64,
    /// Most pages ever held.
    pub high_water: u64,
    pub page_allocs: u64,
    pub page_frees: u64,
    pub empty_pages: u64,
    pub partial_pages: u64,
    pub full_pages: u64,
}

struct PoolInner {
    lists: PageLists<usize>,
    tree: SplayTree<usize>,
    current: Option<usize>,
    stats: PoolStats,
    /// Empty pages kept even when idle (low-water mark).
    low_water: u64,
    /// A page that empties while the pool holds more than this is freed at once.
    max_pages: u64,
    /// Ticks an empty page may stay idle before `reclaim` frees it.
    idle_ticks: u64,
    /// Tick of the last reclaim run from `put`.
    last_reclaim: u64,
}

/// What `put` does once the pool lock is released.
enum AfterPut {
    Nothing,
    /// Give this (page, header) back to the back end.
    Free((usize, usize)),
    /// Run `reclaim`.
    Reclaim,
}

/// A pool of fixed-size items.
pub struct Pool {
    name: &'static str,
    size: usize,
    stride: usize,
    items_per_page: usize,
    offpage: bool,
    allocator: &'static PoolAllocator,
    registered: AtomicBool,
    /// Gets that found no item and needed a page from the back end.
    slow_gets: AtomicU64,
    inner: Mutex<PoolInner>,
}

/// Default time an empty page stays cached before `reclaim` frees it: 10 s
/// at the default 100 Hz timer (as NetBSD's pool reclaim).
pub const DEFAULT_IDLE_TICKS: u64 = 1000;

/// Geometry of a pool's pages: (stride, items per page, off-page header?).
const fn geometry(size: usize, align: usize, page_size: usize) -> (usize, usize, bool) {
    let align = if align < 8 { 8 } else { align };
    let size = if size < 8 { 8 } else { size };
    let stride = size.div_ceil(align) * align;
    let offpage_items = page_size / stride;
    let header_space = HEADER_SIZE.div_ceil(align) * align;
    let onpage_items = (page_size - header_space) / stride;
    // The header lives in the page when items are small or when it costs
    // no item; otherwise off the page.
    let on_page = stride <= page_size / 16 || onpage_items == offpage_items;
    if on_page {
        (stride, onpage_items, false)
    } else {
        (stride, offpage_items, true)
    }
}

impl Pool {
    /// A pool of `size`-byte items aligned to `align`, whose pages come from
    /// `allocator`. `const`, so pools can be statics.
    pub const fn new(
        name: &'static str,
        size: usize,
        align: usize,
        allocator: &'static PoolAllocator,
    ) -> Pool {
        let (stride, items_per_page, offpage) = geometry(size, align, allocator.page_size);
        assert!(
            items_per_page >= 1,
            "pool item larger than the allocator's page"
        );
        Pool {
            name,
            size,
            stride,
            items_per_page,
            offpage,
            allocator,
            registered: AtomicBool::new(false),
            slow_gets: AtomicU64::new(0),
            inner: Mutex::new(PoolInner {
                lists: PageLists::new(),
                tree: SplayTree::new(),
                current: None,
                stats: PoolStats {
                    gets: 0,
                    puts: 0,
                    failures: 0,
                    pages: 0,
                    in_use: 0,
                    high_water: 0,
                    page_allocs: 0,
                    page_frees: 0,
                    empty_pages: 0,
                    partial_pages: 0,
                    full_pages: 0,
                },
                low_water: 0,
                max_pages: u64::MAX,
                idle_ticks: DEFAULT_IDLE_TICKS,
                last_reclaim: 0,
            }),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Item size as requested.
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn items_per_page(&self) -> usize {
        self.items_per_page
    }

    /// True if page headers live off the page (found through the splay tree).
    pub fn offpage_headers(&self) -> bool {
        self.offpage
    }

    /// Name of the back-end allocator.
    pub fn allocator_name(&self) -> &'static str {
        self.allocator.name
    }

    fn page_size(&self) -> usize {
        self.allocator.page_size
    }

    fn with<R>(&self, f: impl FnOnce(&mut PoolInner) -> R) -> R {
        x86_64::instructions::interrupts::without_interrupts(|| f(&mut self.inner.lock()))
    }

    fn register(&'static self) {
        // A plain load first: this runs on every get.
        if !self.registered.load(Ordering::Acquire) && !self.registered.swap(true, Ordering::AcqRel)
        {
            self.allocator.register(self);
            super::pool_registry::register(self);
        }
    }

    /// Set the low-water mark (empty pages kept) and the page limit above
    /// which emptied pages are freed at once.
    pub fn set_water_marks(&self, low_water: u64, max_pages: u64) {
        self.with(|p| {
            p.low_water = low_water;
            p.max_pages = max_pages;
        });
    }

    /// Set how long an empty page stays cached before `reclaim` frees it.
    pub fn set_idle_ticks(&self, ticks: u64) {
        self.with(|p| p.idle_ticks = ticks);
    }

    /// Take an item (pool_get). `None` only when no page could be had.
    pub fn get(&'static self, flags: PoolFlags) -> Option<NonNull<u8>> {
        self.register();
        let _nowait = super::pool_allocator::NowaitScope::enter(flags);
        loop {
            if let Some(item) = self.with(|p| self.take_item(p)) {
                if flags.contains(PoolFlags::ZERO) {
                    // SAFETY: the item is ours now: `size` bytes at `item`.
                    unsafe { core::ptr::write_bytes(item as *mut u8, 0, self.size) };
                }
                return NonNull::new(item as *mut u8);
            }
            // No free item: get a page without holding the pool lock (the
            // back end may drain pools, this one included).
            self.slow_gets.fetch_add(1, Ordering::Relaxed);
            match self.new_page(flags) {
                Some(hdr) => self.with(|p| self.add_page(p, hdr)),
                None => {
                    self.with(|p| p.stats.failures += 1);
                    return None;
                }
            }
        }
    }

    /// Pop an item from the current page, if any page has one.
    fn take_item(&self, p: &mut PoolInner) -> Option<usize> {
        let hdr = match p.current {
            Some(h) if read_hdr(h).used < self.items_per_page => h,
            _ => p.lists.partial.head().or(p.lists.empty.head())?,
        };
        let mut h = read_hdr(hdr);
        let item = h.free;
        debug_assert!(
            item != 0,
            "pool {}: page on a non-full list without free items",
            self.name
        );
        h.free = read_link(item);
        let old = h.used;
        h.used += 1;
        write_hdr(hdr, h);
        p.lists
            .transition(&mut Headers, hdr, old, old + 1, self.items_per_page);
        p.current = if old + 1 == self.items_per_page {
            p.lists.partial.head().or(p.lists.empty.head())
        } else {
            Some(hdr)
        };
        p.stats.gets += 1;
        p.stats.in_use += 1;
        Some(item)
    }

    /// Get a page from the back end and prepare its header (not yet listed).
    fn new_page(&'static self, flags: PoolFlags) -> Option<usize> {
        let page = self.allocator.alloc_page(flags)?;
        let hdr = if self.offpage {
            match super::pool_allocator::HEADER_POOL.get(flags & !PoolFlags::ZERO) {
                Some(h) => h.as_ptr() as usize,
                None => {
                    self.allocator.free_page(page);
                    return None;
                }
            }
        } else {
            page + self.page_size() - HEADER_SIZE
        };
        // Thread the free list through the items, first item first.
        let n = self.items_per_page;
        for i in 0..n {
            let item = page + i * self.stride;
            write_link(item, if i + 1 < n { item + self.stride } else { 0 });
        }
        let header = PageHeader {
            page,
            free: page,
            used: 0,
            empty_since: apic::ticks(),
            next: 0,
            prev: 0,
            left: 0,
            right: 0,
        };
        // `hdr` is either the reserved tail of the new page or a fresh
        // header-pool item; both are owned by this pool, aligned and unused.
        write_hdr(hdr, header);
        Some(hdr)
    }

    fn add_page(&self, p: &mut PoolInner, hdr: usize) {
        if self.offpage {
            let inserted = p.tree.insert(&mut Headers, hdr);
            assert!(inserted.is_ok(), "pool {}: page added twice", self.name);
        }
        p.lists.insert(&mut Headers, hdr, 0, self.items_per_page);
        p.stats.pages += 1;
        p.stats.page_allocs += 1;
        p.stats.high_water = p.stats.high_water.max(p.stats.pages);
    }

    /// The header of the page holding `item`.
    fn header_of(&self, p: &mut PoolInner, item: usize) -> usize {
        let page = item & !(self.page_size() - 1);
        let hdr = if self.offpage {
            p.tree.find(&mut Headers, page).unwrap_or_else(|| {
                panic!("pool_put: {item:#x} is not an item of pool {}", self.name)
            })
        } else {
            page + self.page_size() - HEADER_SIZE
        };
        let offset = item - page;
        assert!(
            read_hdr(hdr).page == page
                && offset.is_multiple_of(self.stride)
                && offset / self.stride < self.items_per_page,
            "pool_put: {item:#x} is not an item of pool {}",
            self.name
        );
        hdr
    }

    /// Return an item (pool_put).
    ///
    /// # Safety
    /// `item` must come from `get` on this pool and not be used afterwards.
    pub unsafe fn put(&'static self, item: NonNull<u8>) {
        let item = item.as_ptr() as usize;
        let to_free = self.with(|p| {
            let hdr = self.header_of(p, item);
            let mut h = read_hdr(hdr);
            // Walking the page's free list catches a double put, but costs
            // O(items per page) on every put: only with the `pool-debug`
            // feature, so the normal build measures the real algorithm.
            if cfg!(feature = "pool-debug") {
                let mut f = h.free;
                while f != 0 {
                    assert!(
                        f != item,
                        "pool_put: double free of {item:#x} in pool {}",
                        self.name
                    );
                    f = read_link(f);
                }
            }
            write_link(item, h.free);
            h.free = item;
            let old = h.used;
            h.used -= 1;
            write_hdr(hdr, h);
            p.lists
                .transition(&mut Headers, hdr, old, old - 1, self.items_per_page);
            p.stats.puts += 1;
            p.stats.in_use -= 1;
            if old == self.items_per_page {
                p.current = Some(hdr); // a full page that gets an item back becomes current
            }
            if old - 1 == 0 {
                let now = apic::ticks();
                modify_hdr(hdr, |h| h.empty_since = now);
                if p.stats.pages > p.max_pages {
                    return AfterPut::Free(self.unlink_page(p, hdr));
                }
                // Idle empty pages go back to the back end without anyone
                // asking: at most once per idle period, when a page empties.
                if now.saturating_sub(p.last_reclaim) >= p.idle_ticks {
                    p.last_reclaim = now;
                    return AfterPut::Reclaim;
                }
            }
            AfterPut::Nothing
        });
        match to_free {
            AfterPut::Free((page, hdr)) => self.release_page(page, hdr),
            AfterPut::Reclaim => {
                self.reclaim();
            }
            AfterPut::Nothing => {}
        }
    }

    /// Take an empty page off the lists (and tree); returns (page, header).
    fn unlink_page(&self, p: &mut PoolInner, hdr: usize) -> (usize, usize) {
        debug_assert_eq!(read_hdr(hdr).used, 0);
        p.lists.remove(&mut Headers, hdr, 0, self.items_per_page);
        let page = read_hdr(hdr).page;
        if self.offpage {
            p.tree.remove(&mut Headers, page);
        }
        if p.current == Some(hdr) {
            p.current = p.lists.partial.head().or(p.lists.empty.head());
        }
        p.stats.pages -= 1;
        p.stats.page_frees += 1;
        (page, hdr)
    }

    fn release_page(&self, page: usize, hdr: usize) {
        if self.offpage {
            // SAFETY: the off-page header came from HEADER_POOL in `new_page`
            // and nothing refers to it any more (unlinked from lists and tree).
            unsafe {
                super::pool_allocator::HEADER_POOL
                    .put(NonNull::new(hdr as *mut u8).expect("null header"))
            };
        }
        self.allocator.free_page(page);
    }

    /// Add `pages` empty pages to the pool now (pool_prime), e.g. to hold a
    /// reserve that later gets never have to wait for. False if the back
    /// end could not provide them all.
    pub fn prime(&'static self, pages: u64, flags: PoolFlags) -> bool {
        self.register();
        for _ in 0..pages {
            match self.new_page(flags) {
                Some(hdr) => self.with(|p| self.add_page(p, hdr)),
                None => return false,
            }
        }
        true
    }

    /// Free empty pages beyond the low-water mark; only those idle for at
    /// least `min_idle` ticks. Returns the number of pages freed.
    fn free_empty_pages(&self, min_idle: u64) -> u64 {
        let now = apic::ticks();
        let mut freed = 0;
        loop {
            // One page at a time: the page goes back outside the pool lock.
            let victim = self.with(|p| {
                if p.lists.empty.len() as u64 <= p.low_water {
                    return None;
                }
                let hdr = p
                    .lists
                    .empty
                    .iter(&Headers)
                    .find(|&h| now.saturating_sub(read_hdr(h).empty_since) >= min_idle)?;
                Some(self.unlink_page(p, hdr))
            });
            match victim {
                Some((page, hdr)) => {
                    self.release_page(page, hdr);
                    freed += 1;
                }
                None => return freed,
            }
        }
    }

    /// Free empty pages idle longer than the pool's idle time, beyond the
    /// low-water mark (pool_reclaim). Returns the pages freed.
    pub fn reclaim(&self) -> u64 {
        let idle = self.with(|p| p.idle_ticks);
        self.free_empty_pages(idle)
    }

    /// Free every empty page beyond the low-water mark, however recently it
    /// emptied (pool_drain). Returns the pages freed.
    pub fn drain(&self) -> u64 {
        self.free_empty_pages(0)
    }

    /// A copy of the counters, with the list lengths.
    pub fn stats(&self) -> PoolStats {
        self.with(|p| PoolStats {
            empty_pages: p.lists.empty.len() as u64,
            partial_pages: p.lists.partial.len() as u64,
            full_pages: p.lists.full.len() as u64,
            ..p.stats
        })
    }

    /// Which list the page holding `item` is on (for tests).
    pub fn list_of(&self, item: NonNull<u8>) -> PageList {
        self.with(|p| {
            let hdr = self.header_of(p, item.as_ptr() as usize);
            list_for(read_hdr(hdr).used, self.items_per_page)
        })
    }

    /// Check the pool: lists consistent, every page on the list its use
    /// count says, counts add up, the tree holds exactly the pages.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        self.with(|p| {
            p.lists.check(&Headers)?;
            let mut pages = 0u64;
            let mut used = 0u64;
            for (which, list) in [
                (PageList::Empty, &p.lists.empty),
                (PageList::Partial, &p.lists.partial),
                (PageList::Full, &p.lists.full),
            ] {
                for h in list.iter(&Headers) {
                    let hd = read_hdr(h);
                    if list_for(hd.used, self.items_per_page) != which {
                        return Err("pool page on the wrong list");
                    }
                    let mut free = 0;
                    let mut f = hd.free;
                    while f != 0 {
                        free += 1;
                        f = read_link(f);
                    }
                    if free + hd.used != self.items_per_page {
                        return Err("pool page free list disagrees with its use count");
                    }
                    pages += 1;
                    used += hd.used as u64;
                }
            }
            if pages != p.stats.pages || used != p.stats.in_use {
                return Err("pool counters disagree with its pages");
            }
            if self.offpage {
                p.tree.check(&mut Headers)?;
                if p.tree.len() as u64 != pages {
                    return Err("pool splay tree does not hold every page");
                }
            }
            Ok(())
        })
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}
