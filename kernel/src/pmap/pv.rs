//! pv entries: the reverse map from a managed physical page to every
//! (pmap, va) that maps it, so `page_protect` and the referenced/modified
//! queries can reach all mappings of a page.
//!
//! Entries come from their own pool (`pvpl`), whose pages come straight
//! from the page allocator, never from the VM layer (which may itself need
//! pmap operations). A page's entries form a singly linked list starting at
//! its `PageMd::pv_head`; an entry is named by its address.

use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::{Pool, PoolFlags};
use crate::kern::mem::pool_allocator::KMEM_ALLOCATOR;
use core::ptr::NonNull;

/// An entry's name: its address (`NIL`: none).
pub type PvId = usize;
pub const NIL: PvId = 0;

/// One mapping of a page.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PvEntry {
    pub va: u64,
    /// The pmap's id.
    pub pmap: u32,
    /// Next entry of the same page.
    pub next: PvId,
}

static PV_POOL: Pool = Pool::new("pvpl", core::mem::size_of::<PvEntry>(), 8, &KMEM_ALLOCATOR);

/// Read entry `id`.
pub fn get(id: PvId) -> PvEntry {
    // SAFETY: `id` is a live entry allocated by `alloc` (the pmap lock,
    // held by every caller, keeps it from being freed meanwhile).
    unsafe { core::ptr::read(id as *const PvEntry) }
}

/// Change the `next` link of entry `id`.
pub fn set_next(id: PvId, next: PvId) {
    let mut e = get(id);
    e.next = next;
    // SAFETY: as in `get`; the pmap lock makes the write exclusive.
    unsafe { core::ptr::write(id as *mut PvEntry, e) };
}

/// Allocate an entry holding `e`. `can_fail`: NOWAIT, and `NoMem` when no
/// page can be had; otherwise the pool may drain caches and retry.
pub fn alloc(e: PvEntry, can_fail: bool) -> KResult<PvId> {
    let flags = if can_fail {
        PoolFlags::NOWAIT
    } else {
        PoolFlags::WAITOK
    };
    let item = PV_POOL.get(flags).ok_or(KernError::NoMem)?;
    let id = item.as_ptr() as PvId;
    // SAFETY: the item is fresh, sized and aligned for a PvEntry, ours.
    unsafe { core::ptr::write(id as *mut PvEntry, e) };
    Ok(id)
}

/// Free entry `id`.
pub fn free(id: PvId) {
    // SAFETY: `id` came from `alloc` and its list no longer refers to it.
    unsafe { PV_POOL.put(NonNull::new(id as *mut u8).expect("null pv entry")) };
}

/// The pool the entries come from (statistics).
pub fn pool() -> &'static Pool {
    &PV_POOL
}
