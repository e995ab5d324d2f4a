//! Sleepable mutexes (NetBSD's adaptive mutexes, without the spinning):
//! for data held across operations that may sleep (page allocation, user
//! copies, I/O). A thread that finds the mutex held sleeps on it and is
//! woken when it is released. Never taken in interrupt handlers or with a
//! spin lock held (that would sleep in the wrong place: checked).
//!
//! The data sits in a `spin::Mutex` used only through `try_lock`, so the
//! lock itself is one atomic flag; a count of waiters lets the release skip
//! the wakeup when nobody sleeps. No lost wakeup: a waiter counts itself
//! and enqueues on the sleep queue before it looks at the flag again.

use super::sleepq;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering, fence};

pub struct Mutex<T> {
    name: &'static str,
    inner: spin::Mutex<T>,
    waiters: AtomicU32,
    /// The owning thread's address (diagnostics: recursion is a bug).
    owner: AtomicUsize,
    /// Times a lock had to sleep (statistics).
    pub contended: AtomicU32,
}

pub struct MutexGuard<'a, T> {
    lock: &'a Mutex<T>,
    guard: Option<spin::MutexGuard<'a, T>>,
}

fn me() -> usize {
    super::sched::curlwp() as *const _ as usize
}

impl<T> Mutex<T> {
    pub const fn new(name: &'static str, value: T) -> Self {
        Mutex {
            name,
            inner: spin::Mutex::new(value),
            waiters: AtomicU32::new(0),
            owner: AtomicUsize::new(0),
            contended: AtomicU32::new(0),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn chan(&self) -> usize {
        sleepq::chan(self)
    }

    /// Take the mutex, sleeping while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        loop {
            if let Some(g) = self.try_lock() {
                return g;
            }
            assert!(
                self.owner.load(Ordering::Relaxed) != me(),
                "mutex `{}` taken recursively",
                self.name
            );
            self.contended.fetch_add(1, Ordering::Relaxed);
            self.waiters.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            let r = sleepq::sleep_until(self.chan(), false, None, || !self.inner.is_locked());
            self.waiters.fetch_sub(1, Ordering::SeqCst);
            r.expect("uninterruptible sleep without timeout cannot fail");
        }
    }

    /// Take the mutex if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let g = self.inner.try_lock()?;
        if super::sched::started() {
            self.owner.store(me(), Ordering::Relaxed);
        }
        Some(MutexGuard {
            lock: self,
            guard: Some(g),
        })
    }

    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("live guard")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("live guard")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.owner.store(0, Ordering::Relaxed);
        drop(self.guard.take());
        fence(Ordering::SeqCst);
        if self.lock.waiters.load(Ordering::SeqCst) > 0 {
            sleepq::wakeup(self.lock.chan());
        }
    }
}
