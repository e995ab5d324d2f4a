//! Kernel stacks of threads (NetBSD's uarea), the kernel map's first real
//! client: each stack is a range of kernel virtual space taken from the
//! kernel map, whose lowest page stays unmapped as a guard (an overflow
//! faults there and is reported naming the thread) and whose other pages
//! are wired physical pages entered with `pmap_kenter_pa`.
//!
//! Freed stacks are kept in a small cache (their pages stay mapped), so a
//! fork+exit cycle does not pay for kernel-map and page-table work; the
//! leak check counts cached stack pages as available.
//!
//! This is an audited primitive: it reads and writes the user trap frame at
//! the top of a stack it owns.

#![allow(unsafe_code)]

use super::spinlock::SpinLock;
use crate::arch::x86_64::switch::{Md, ThreadEntry};
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::usermode;
use crate::kern::error::KResult;
use crate::pmap::{self, MemAttr, VmProt};
use crate::uvm::map::{self, MapRequest};
use crate::uvm::page::PageUse;
use crate::uvm::{Paddr, Vaddr, physmem};
use alloc::vec::Vec;

/// Pages of stack (the guard page comes on top of these).
pub const KSTACK_PAGES: usize = 4;
const PAGE: u64 = 4096;
/// Bytes of kernel virtual space per stack: guard page + stack.
const KSTACK_SPAN: u64 = (KSTACK_PAGES as u64 + 1) * PAGE;
/// Stacks kept for reuse.
const CACHE_MAX: usize = 64;

/// A thread's kernel stack.
pub struct KStack {
    /// Start of the range: the guard page.
    base: Vaddr,
    pages: [Paddr; KSTACK_PAGES],
}

static CACHE: SpinLock<Vec<KStack>> = SpinLock::new("kstack-cache", Vec::new());

impl KStack {
    /// A stack from the cache, or a new one.
    pub fn alloc() -> KResult<KStack> {
        if let Some(s) = CACHE.lock().pop() {
            return Ok(s);
        }
        Self::alloc_new()
    }

    fn alloc_new() -> KResult<KStack> {
        let mut req = MapRequest::anon(KSTACK_SPAN, VmProt::READ | VmProt::WRITE);
        req.merge = false;
        let base = map::kernel_map().map(req)?;
        let mut pages = [0; KSTACK_PAGES];
        let mut done = 0;
        let mut result = Ok(());
        for (i, slot) in pages.iter_mut().enumerate() {
            let pa = match physmem::alloc_page(PageUse::Kernel) {
                Ok(pa) => pa,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let va = base + PAGE * (i as u64 + 1);
            if let Err(e) =
                pmap::kenter_pa(va, pa, VmProt::READ | VmProt::WRITE, MemAttr::WriteBack)
            {
                physmem::free_page(pa);
                result = Err(e);
                break;
            }
            *slot = pa;
            done += 1;
        }
        let stack = KStack { base, pages };
        if let Err(e) = result {
            stack.destroy(done);
            return Err(e);
        }
        Ok(stack)
    }

    /// `[bottom, top)`: the usable stack, above the guard page.
    pub fn range(&self) -> (u64, u64) {
        (self.base + PAGE, self.base + KSTACK_SPAN)
    }

    /// The guard page, `[start, end)`.
    pub fn guard(&self) -> (u64, u64) {
        (self.base, self.base + PAGE)
    }

    fn frame_ptr(&self) -> *mut TrapFrame {
        usermode::user_frame_at(self.range().1) as *mut TrapFrame
    }

    /// Store the user frame at the top of this stack. The caller ensures
    /// the thread is not in the middle of using it (not running, or the
    /// current thread itself, whose frame is at rest while in the kernel).
    pub fn store_user_frame(&self, f: TrapFrame) {
        // The caller's rule above keeps the write from racing with the
        // CPU's own pushes.
        // SAFETY: the top 176 bytes of a stack this value owns and keeps mapped; frames are plain data.
        unsafe { self.frame_ptr().write(f) }
    }

    /// A copy of the user frame at the top of this stack.
    pub fn load_user_frame(&self) -> TrapFrame {
        // SAFETY: as in store_user_frame.
        unsafe { self.frame_ptr().read() }
    }

    /// Lay out the first switch frame of a new thread whose stack this is,
    /// below `top` (the stack top, or the user frame at the top): the first
    /// switch to the thread runs `entry`.
    pub fn prepare_first_switch(&self, md: &Md, top: u64, entry: ThreadEntry) {
        let (bottom, stack_top) = self.range();
        assert!(
            top > bottom + 1024 && top <= stack_top,
            "switch frame outside the stack"
        );
        // SAFETY: the stack is this value's, mapped, and its thread has not
        // run yet; the frame goes just below `top`, inside the stack.
        unsafe { crate::arch::x86_64::switch::prepare_stack(md, top, entry, 0) }
    }

    /// Unmap the first `mapped` pages, free them, give the range back.
    fn destroy(self, mapped: usize) {
        for i in 0..mapped {
            let va = self.base + PAGE * (i as u64 + 1);
            pmap::kremove(va, PAGE);
        }
        pmap::update();
        for pa in &self.pages[..mapped] {
            physmem::free_page(*pa);
        }
        map::kernel_map()
            .unmap_collect(self.base, self.base + KSTACK_SPAN)
            .expect("kernel stack range vanished from the kernel map");
        core::mem::forget(self);
    }
}

impl Drop for KStack {
    /// Back to the cache; destroyed only when the cache is full and this
    /// context may sleep (the kernel map's lock is a sleep lock), else
    /// cached anyway (the next `alloc` takes it).
    fn drop(&mut self) {
        let me = KStack {
            base: self.base,
            pages: self.pages,
        };
        let may_sleep = super::may_sleep();
        let mut cache = CACHE.lock();
        if (cache.len() < CACHE_MAX || !may_sleep) && cache.try_reserve(1).is_ok() {
            cache.push(me);
            return;
        }
        drop(cache);
        me.destroy(KSTACK_PAGES);
    }
}

/// Make room in the cache.
pub(super) fn reserve() {
    let _ = CACHE.lock().try_reserve(CACHE_MAX);
}

/// Pages held by cached stacks (the leak check counts them as available).
pub fn cached_pages() -> u64 {
    (CACHE.lock().len() * KSTACK_PAGES) as u64
}

/// Free every cached stack (tests, memory pressure).
pub fn drain_cache() -> usize {
    let stacks: Vec<KStack> = core::mem::take(&mut *CACHE.lock());
    let n = stacks.len();
    for s in stacks {
        s.destroy(KSTACK_PAGES);
    }
    n
}
