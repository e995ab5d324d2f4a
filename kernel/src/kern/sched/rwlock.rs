//! Sleepable reader-writer locks (NetBSD's rwlock(9)): many readers or one
//! writer, for long-held locks such as a vm_map's (faults read-lock the
//! map, map changes write-lock it). Waiters sleep; a waiting writer holds
//! off new readers, so writers are not starved by a stream of faults.
//!
//! Built like `Mutex`: a `spin::RwLock` used only through `try_read` /
//! `try_write`, counters of waiting readers and writers, and the sleep
//! queue of the lock's address. Never taken in interrupt handlers.

use super::sleepq;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering, fence};

pub struct RwLock<T> {
    name: &'static str,
    inner: spin::RwLock<T>,
    /// Threads sleeping for the lock (readers and writers).
    waiters: AtomicU32,
    /// Writers waiting (new readers defer to them).
    writers_waiting: AtomicU32,
    /// Times a lock had to sleep (statistics).
    pub contended: AtomicU32,
}

pub struct ReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    guard: Option<spin::RwLockReadGuard<'a, T>>,
}

pub struct WriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    guard: Option<spin::RwLockWriteGuard<'a, T>>,
}

impl<T> RwLock<T> {
    pub const fn new(name: &'static str, value: T) -> Self {
        RwLock {
            name,
            inner: spin::RwLock::new(value),
            waiters: AtomicU32::new(0),
            writers_waiting: AtomicU32::new(0),
            contended: AtomicU32::new(0),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn chan(&self) -> usize {
        sleepq::chan(self)
    }

    /// Take the lock shared.
    pub fn read(&self) -> ReadGuard<'_, T> {
        loop {
            if self.writers_waiting.load(Ordering::SeqCst) == 0
                && let Some(g) = self.inner.try_read()
            {
                return ReadGuard {
                    lock: self,
                    guard: Some(g),
                };
            }
            self.sleep(false);
        }
    }

    /// Take the lock exclusively.
    pub fn write(&self) -> WriteGuard<'_, T> {
        loop {
            if let Some(g) = self.try_write() {
                return g;
            }
            self.writers_waiting.fetch_add(1, Ordering::SeqCst);
            self.sleep(true);
            self.writers_waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Take the lock exclusively if it is free.
    pub fn try_write(&self) -> Option<WriteGuard<'_, T>> {
        self.inner.try_write().map(|g| WriteGuard {
            lock: self,
            guard: Some(g),
        })
    }

    fn sleep(&self, writer: bool) {
        self.contended.fetch_add(1, Ordering::Relaxed);
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let r = sleepq::sleep_until(self.chan(), false, None, || {
            if writer {
                self.inner.reader_count() == 0 && self.inner.writer_count() == 0
            } else {
                self.inner.writer_count() == 0 && self.writers_waiting.load(Ordering::SeqCst) == 0
            }
        });
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        r.expect("uninterruptible sleep without timeout cannot fail");
    }

    fn released(&self) {
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            sleepq::wakeup(self.chan());
        }
    }

    /// True if anyone holds the lock (diagnostics).
    pub fn is_locked(&self) -> bool {
        self.inner.reader_count() > 0 || self.inner.writer_count() > 0
    }
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("live guard")
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.lock.released();
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("live guard")
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("live guard")
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.lock.released();
    }
}
