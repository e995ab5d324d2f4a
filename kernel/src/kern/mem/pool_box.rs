//! Typed pools: a `TypedPool<T>` hands out `PoolBox<T>`, an owning handle
//! that drops its value and returns the item to the pool when it goes, so
//! code using pools needs no `unsafe`.

#![allow(unsafe_code)] // an audited primitive (see the module comment)

use super::pool::{Pool, PoolFlags};
use super::pool_allocator::KMEM_ALLOCATOR;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

/// A pool of `T`s.
pub struct TypedPool<T> {
    pool: Pool,
    _marker: PhantomData<T>,
}

// SAFETY: the pool hands each item to one owner (a PoolBox); the pool's own
// state is behind its lock. Sending a PoolBox<T> requires T: Send below.
unsafe impl<T> Sync for TypedPool<T> {}

impl<T> TypedPool<T> {
    /// A pool named `name` for items of type T (pages from kmem).
    pub const fn new(name: &'static str) -> Self {
        TypedPool {
            pool: Pool::new(
                name,
                core::mem::size_of::<T>(),
                core::mem::align_of::<T>(),
                &KMEM_ALLOCATOR,
            ),
            _marker: PhantomData,
        }
    }

    /// The untyped pool underneath (statistics, water marks, drain).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Move `value` into a new item. `None` (and `value` dropped) if no
    /// memory could be had.
    pub fn get(&'static self, value: T, flags: PoolFlags) -> Option<PoolBox<T>> {
        let item = self.pool.get(flags & !PoolFlags::ZERO)?.cast::<T>();
        // SAFETY: the item is fresh, sized and aligned for T (the pool's
        // geometry comes from size_of/align_of::<T>), and owned by us.
        unsafe { item.as_ptr().write(value) };
        Some(PoolBox { item, pool: self })
    }
}

/// An owning handle on one item of a `TypedPool<T>`.
pub struct PoolBox<T: 'static> {
    item: NonNull<T>,
    pool: &'static TypedPool<T>,
}

// SAFETY: a PoolBox owns its T exclusively, like Box<T>.
unsafe impl<T: Send> Send for PoolBox<T> {}
// SAFETY: shared access only hands out &T, like Box<T>.
unsafe impl<T: Sync> Sync for PoolBox<T> {}

impl<T> PoolBox<T> {
    /// Take the value out, returning the item to the pool.
    pub fn into_inner(self) -> T {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: the item holds an initialised T that nothing else reads;
        // it is returned to the pool right after and `self` is never dropped.
        let value = unsafe { this.item.as_ptr().read() };
        // SAFETY: the item came from this pool and is no longer used.
        unsafe { this.pool.pool.put(this.item.cast()) };
        value
    }
}

impl<T> Deref for PoolBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the item holds an initialised T owned by this handle.
        unsafe { self.item.as_ref() }
    }
}

impl<T> DerefMut for PoolBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in deref; &mut self makes the access exclusive.
        unsafe { self.item.as_mut() }
    }
}

impl<T> Drop for PoolBox<T> {
    fn drop(&mut self) {
        // SAFETY: the item holds an initialised T that is dropped exactly
        // once here, then returned to the pool it came from.
        unsafe {
            core::ptr::drop_in_place(self.item.as_ptr());
            self.pool.pool.put(self.item.cast());
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PoolBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
