//! Reference-counted pool objects: an `ArcPool<T>` hands out `PoolArc<T>`,
//! a shared handle (like `Arc<T>`) whose object lives in a named pool, so
//! threads and processes show up in `vmstat -m` under their own names and
//! are carved from pool pages rather than the general heap.
//!
//! This is an audited primitive: its `unsafe` is confined to the reference
//! count protocol (the last handle drops the value and returns the item).

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool::{Pool, PoolFlags};
use super::pool_allocator::KMEM_ALLOCATOR;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering, fence};

/// The item stored: the count, then the value.
#[repr(C)]
pub struct ArcInner<T> {
    refs: AtomicUsize,
    value: T,
}

/// A pool of reference-counted `T`s.
pub struct ArcPool<T> {
    pool: Pool,
    _marker: PhantomData<T>,
}

// SAFETY: the pool hands each item to one PoolArc family; the pool's own
// state is behind its lock. Sharing PoolArc<T> requires T: Send + Sync.
unsafe impl<T> Sync for ArcPool<T> {}

impl<T> ArcPool<T> {
    pub const fn new(name: &'static str) -> Self {
        ArcPool {
            pool: Pool::new(
                name,
                core::mem::size_of::<ArcInner<T>>(),
                core::mem::align_of::<ArcInner<T>>(),
                &KMEM_ALLOCATOR,
            ),
            _marker: PhantomData,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A new object with one reference; `None` (value dropped) if no memory.
    pub fn get(&'static self, value: T, flags: PoolFlags) -> Option<PoolArc<T>> {
        let item = self
            .pool
            .get(flags & !PoolFlags::ZERO)?
            .cast::<ArcInner<T>>();
        // SAFETY: the item is fresh, sized and aligned for ArcInner<T>.
        unsafe {
            item.as_ptr().write(ArcInner {
                refs: AtomicUsize::new(1),
                value,
            })
        };
        Some(PoolArc { item, pool: self })
    }
}

/// A counted handle on a pool object.
pub struct PoolArc<T: 'static> {
    item: NonNull<ArcInner<T>>,
    pool: &'static ArcPool<T>,
}

// SAFETY: like Arc<T>: the value is shared between handles on any thread.
unsafe impl<T: Send + Sync> Send for PoolArc<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for PoolArc<T> {}

impl<T> PoolArc<T> {
    fn inner(&self) -> &ArcInner<T> {
        // SAFETY: the item stays allocated while any handle exists.
        unsafe { self.item.as_ref() }
    }

    /// The object's address (for identity and for per-CPU "current" slots).
    pub fn as_ptr(this: &Self) -> *const T {
        &this.inner().value as *const T
    }

    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.item == b.item
    }

    /// References now (for tests and statistics).
    pub fn strong_count(this: &Self) -> usize {
        this.inner().refs.load(Ordering::Relaxed)
    }
}

impl<T> Clone for PoolArc<T> {
    fn clone(&self) -> Self {
        self.inner().refs.fetch_add(1, Ordering::Relaxed);
        PoolArc {
            item: self.item,
            pool: self.pool,
        }
    }
}

impl<T> Deref for PoolArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T> Drop for PoolArc<T> {
    fn drop(&mut self) {
        if self.inner().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last handle: nothing else can reach the item;
        // the value is dropped once and the item returned to its pool.
        unsafe {
            core::ptr::drop_in_place(self.item.as_ptr());
            self.pool.pool.put(self.item.cast());
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PoolArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
