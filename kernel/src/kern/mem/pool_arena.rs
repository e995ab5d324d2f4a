//! Pool arenas: items of a pool reached through copyable handles, for
//! structures whose nodes link to each other (the vm_map's splay tree of
//! entries). An arena owns the items it allocated; a handle names one item
//! and carries a generation, checked on every access, so a stale or
//! foreign handle is caught (a panic) instead of touching another object.
//!
//! This is the audited primitive that lets the VM layer keep linked
//! structures in pool memory without `unsafe` of its own.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool::{Pool, PoolFlags};
use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

/// An item as stored: whose it is, which incarnation, and the value.
#[repr(C)]
pub struct Slot<T> {
    owner: u64,
    generation: u64,
    value: T,
}

/// Size and alignment of a pool item that holds one `T` (for pool statics).
pub const fn slot_layout<T>() -> (usize, usize) {
    (
        core::mem::size_of::<Slot<T>>(),
        core::mem::align_of::<Slot<T>>(),
    )
}

/// Declare a pool for an arena of `T`: `arena_pool!(NAME, T, "name");`
#[macro_export]
macro_rules! arena_pool {
    ($vis:vis $ident:ident, $t:ty, $name:expr) => {
        $vis static $ident: $crate::kern::mem::pool::Pool = $crate::kern::mem::pool::Pool::new(
            $name,
            $crate::kern::mem::pool_arena::slot_layout::<$t>().0,
            $crate::kern::mem::pool_arena::slot_layout::<$t>().1,
            &$crate::kern::mem::pool_allocator::KMEM_ALLOCATOR,
        );
    };
}

/// A handle on an arena item.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle {
    addr: NonNull<u8>,
    generation: u64,
}

// SAFETY: a handle is only a name; every access goes through the arena,
// which checks it and is itself guarded by its owner's lock.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

impl Handle {
    /// The allocation's generation: unique to it among all arenas' items
    /// ever allocated (a name for viewers such as /proc).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Handle({:#x}#{})",
            self.addr.as_ptr() as usize,
            self.generation
        )
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// The items of one owner, allocated from `pool`.
pub struct PoolArena<T: 'static> {
    pool: &'static Pool,
    id: u64,
    live: usize,
    _marker: PhantomData<T>,
}

// SAFETY: the arena owns its items like a Vec<T> would.
unsafe impl<T: Send> Send for PoolArena<T> {}

impl<T> PoolArena<T> {
    /// An empty arena over `pool`, which must have been declared for `T`
    /// (with `arena_pool!`).
    pub fn new(pool: &'static Pool) -> Self {
        assert_eq!(
            pool.size(),
            slot_layout::<T>().0,
            "pool {} is not sized for this arena",
            pool.name()
        );
        PoolArena {
            pool,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            live: 0,
            _marker: PhantomData,
        }
    }

    /// Items allocated and not freed.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Store `value` in a new item; `None` if the pool has no memory.
    pub fn alloc(&mut self, value: T, flags: PoolFlags) -> Option<Handle> {
        let item = self.pool.get(flags & !PoolFlags::ZERO)?;
        let generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            owner: self.id,
            generation,
            value,
        };
        // SAFETY: the item is fresh and sized/aligned for a Slot<T> (checked
        // against the pool in `new`).
        unsafe { item.cast::<Slot<T>>().as_ptr().write(slot) };
        self.live += 1;
        Some(Handle {
            addr: item,
            generation,
        })
    }

    fn slot(&self, h: Handle) -> NonNull<Slot<T>> {
        let p = h.addr.cast::<Slot<T>>();
        // Handles are only made by `alloc`, so `p` points into a pool page.
        // SAFETY: that is direct-mapped RAM, always readable; the header is
        // checked before the slot is trusted.
        let (owner, generation) = unsafe { ((*p.as_ptr()).owner, (*p.as_ptr()).generation) };
        assert!(
            owner == self.id && generation == h.generation,
            "pool arena {}: stale or foreign handle {h:?}",
            self.pool.name()
        );
        p
    }

    pub fn get(&self, h: Handle) -> &T {
        // SAFETY: the slot is live and ours (checked); &self keeps it alive
        // and unmodified for the borrow.
        unsafe { &(*self.slot(h).as_ptr()).value }
    }

    pub fn get_mut(&mut self, h: Handle) -> &mut T {
        // SAFETY: as in get; &mut self makes the access exclusive.
        unsafe { &mut (*self.slot(h).as_ptr()).value }
    }

    /// Free the item, returning its value.
    pub fn free(&mut self, h: Handle) -> T {
        let p = self.slot(h);
        // SAFETY: the slot is live and ours; the value is moved out once and
        // the slot is marked dead before the item goes back to the pool.
        let value = unsafe {
            let value = core::ptr::read(&(*p.as_ptr()).value);
            (*p.as_ptr()).owner = 0;
            self.pool.put(h.addr);
            value
        };
        self.live -= 1;
        value
    }
}

impl<T> Drop for PoolArena<T> {
    fn drop(&mut self) {
        assert_eq!(
            self.live,
            0,
            "pool arena {} dropped with {} live items",
            self.pool.name(),
            self.live
        );
    }
}
