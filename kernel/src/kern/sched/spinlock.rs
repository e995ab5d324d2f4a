//! Interrupt-safe spin locks (NetBSD's spin mutexes): for data shared with
//! interrupt handlers and for short critical sections. Taking one disables
//! interrupts on this CPU (restored when the guard goes) and counts it in
//! the per-CPU "spin locks held", which the sleep path checks: a thread
//! must never sleep while holding a spin lock.
//!
//! Each lock has a name for diagnostics. With one CPU a spin lock found
//! held can only be held by this CPU, so instead of spinning forever the
//! kernel panics naming the lock (a recursive acquisition is a bug).
//!
//! The scheduler's own lock is special (it is handed from one thread to the
//! next across a switch) and lives in `sched`.

use crate::arch::x86_64::percpu::{self, MAX_CPUS};
use core::ops::{Deref, DerefMut};
use x86_64::instructions::interrupts;

pub struct SpinLock<T> {
    name: &'static str,
    inner: spin::Mutex<T>,
}

pub struct SpinGuard<'a, T> {
    guard: Option<spin::MutexGuard<'a, T>>,
    irq_on: bool,
}

impl<T> SpinLock<T> {
    pub const fn new(name: &'static str, value: T) -> Self {
        SpinLock {
            name,
            inner: spin::Mutex::new(value),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Take the lock with interrupts disabled.
    pub fn lock(&self) -> SpinGuard<'_, T> {
        let irq_on = interrupts::are_enabled();
        interrupts::disable();
        let guard = match self.inner.try_lock() {
            Some(g) => g,
            None if MAX_CPUS == 1 => {
                panic!("spin lock `{}` taken while already held", self.name)
            }
            None => self.inner.lock(),
        };
        if let Some(cpu) = percpu::try_this_cpu() {
            cpu.spin_enter();
        }
        SpinGuard {
            guard: Some(guard),
            irq_on,
        }
    }

    /// Take the lock if it is free.
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        let irq_on = interrupts::are_enabled();
        interrupts::disable();
        match self.inner.try_lock() {
            Some(guard) => {
                if let Some(cpu) = percpu::try_this_cpu() {
                    cpu.spin_enter();
                }
                Some(SpinGuard {
                    guard: Some(guard),
                    irq_on,
                })
            }
            None => {
                if irq_on {
                    interrupts::enable();
                }
                None
            }
        }
    }

    /// True if the lock is held (diagnostics only: it may change at once).
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("live guard")
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("live guard")
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if let Some(cpu) = percpu::try_this_cpu() {
            cpu.spin_exit();
        }
        if self.irq_on {
            interrupts::enable();
        }
    }
}
