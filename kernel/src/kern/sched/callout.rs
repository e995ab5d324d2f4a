//! Callouts (NetBSD's kern_timeout.c): functions to run after a number of
//! clock ticks, kept on a hashed timing wheel.
//!
//! The wheel has `WHEEL_SIZE` buckets; a callout due at tick `t` sits in
//! bucket `t % WHEEL_SIZE`, so scheduling and stopping are O(1). Each
//! clock tick (`tick`, from the timer interrupt) walks the buckets of the
//! ticks that passed and runs the callouts that are due; a callout due a
//! whole turn or more later stays in its bucket until its turn. Callouts
//! due at the same tick run in the order they were scheduled.
//!
//! A `Callout` owns a slot in the wheel's table for its whole life
//! (allocated by `new`, which may fail: scheduling never allocates, so it
//! can be done anywhere, interrupt handlers included). The function runs in
//! the timer interrupt with interrupts off and no lock held: it must be
//! short and must not sleep (waking a thread is the usual job). It gets the
//! argument given at creation, typically an id it looks up, never a
//! pointer that may be stale.

use super::spinlock::SpinLock;
use crate::arch::x86_64::apic;
use crate::kern::error::{KResult, KernError};
use alloc::vec::Vec;
use ferrite_ilist::{List, ListStore};

/// Buckets of the wheel (a power of two).
pub const WHEEL_SIZE: usize = 256;

/// A callout's function.
pub type CalloutFn = fn(usize);

struct Entry {
    func: CalloutFn,
    arg: usize,
    /// Tick at which it is due (valid while pending).
    due: u64,
    pending: bool,
    in_use: bool,
    next: Option<u32>,
    prev: Option<u32>,
}

struct Links<'a>(&'a mut Vec<Entry>);

impl ListStore for Links<'_> {
    type Handle = u32;
    fn next(&self, h: u32) -> Option<u32> {
        self.0[h as usize].next
    }
    fn prev(&self, h: u32) -> Option<u32> {
        self.0[h as usize].prev
    }
    fn set_next(&mut self, h: u32, v: Option<u32>) {
        self.0[h as usize].next = v;
    }
    fn set_prev(&mut self, h: u32, v: Option<u32>) {
        self.0[h as usize].prev = v;
    }
}

struct Wheel {
    entries: Vec<Entry>,
    /// Unused entries (linked through the same links).
    free: List<u32>,
    buckets: [List<u32>; WHEEL_SIZE],
    /// The last tick whose bucket was processed.
    done_tick: u64,
    pending: usize,
}

static WHEEL: SpinLock<Wheel> = SpinLock::new(
    "callout",
    Wheel {
        entries: Vec::new(),
        free: List::new(),
        buckets: [const { List::new() }; WHEEL_SIZE],
        done_tick: 0,
        pending: 0,
    },
);

fn noop(_: usize) {}

/// A callout: call `func(arg)` when scheduled time comes.
pub struct Callout {
    slot: u32,
}

impl Callout {
    /// A callout (not scheduled). Fails only when no memory is left.
    pub fn new(func: CalloutFn, arg: usize) -> KResult<Callout> {
        let mut guard = WHEEL.lock();
        let w = &mut *guard;
        let slot = match w.free.pop_front(&mut Links(&mut w.entries)) {
            Some(s) => s,
            None => {
                w.entries.try_reserve(1).map_err(|_| KernError::NoMem)?;
                w.entries.push(Entry {
                    func: noop,
                    arg: 0,
                    due: 0,
                    pending: false,
                    in_use: false,
                    next: None,
                    prev: None,
                });
                (w.entries.len() - 1) as u32
            }
        };
        let e = &mut w.entries[slot as usize];
        e.func = func;
        e.arg = arg;
        e.pending = false;
        e.in_use = true;
        Ok(Callout { slot })
    }

    /// Run the function `ticks` clock ticks from now (at least one); a
    /// pending callout is moved.
    pub fn schedule(&self, ticks: u64) {
        self.schedule_at(apic::ticks() + ticks.max(1));
    }

    /// Run the function at clock tick `due` (the next tick if that passed).
    pub fn schedule_at(&self, due: u64) {
        let mut w = WHEEL.lock();
        let due = due.max(w.done_tick + 1);
        w.unlink(self.slot);
        let e = &mut w.entries[self.slot as usize];
        e.due = due;
        e.pending = true;
        let b = (due as usize) % WHEEL_SIZE;
        let Wheel {
            entries, buckets, ..
        } = &mut *w;
        buckets[b].push_back(&mut Links(entries), self.slot);
        w.pending += 1;
    }

    /// Cancel; true if it was pending (it will not run).
    pub fn stop(&self) -> bool {
        WHEEL.lock().unlink(self.slot)
    }

    pub fn is_pending(&self) -> bool {
        WHEEL.lock().entries[self.slot as usize].pending
    }
}

impl Drop for Callout {
    fn drop(&mut self) {
        let mut w = WHEEL.lock();
        w.unlink(self.slot);
        w.entries[self.slot as usize].in_use = false;
        let Wheel { entries, free, .. } = &mut *w;
        free.push_back(&mut Links(entries), self.slot);
    }
}

impl Wheel {
    /// Take a pending entry off its bucket; true if it was pending.
    fn unlink(&mut self, slot: u32) -> bool {
        let e = &self.entries[slot as usize];
        if !e.pending {
            return false;
        }
        let b = (e.due as usize) % WHEEL_SIZE;
        let Wheel {
            entries, buckets, ..
        } = self;
        buckets[b].remove(&mut Links(entries), slot);
        self.entries[slot as usize].pending = false;
        self.pending -= 1;
        true
    }
}

/// How many due callouts one pass collects before running them.
const BATCH: usize = 32;

/// The clock's share: run every callout due by tick `now`.
pub fn tick(now: u64) {
    loop {
        let mut batch: [(CalloutFn, usize); BATCH] = [(noop, 0); BATCH];
        let mut n = 0;
        let mut more = false;
        {
            let mut w = WHEEL.lock();
            'ticks: while w.done_tick < now {
                let t = w.done_tick + 1;
                let b = (t as usize) % WHEEL_SIZE;
                let mut cur = w.buckets[b].head();
                while let Some(h) = cur {
                    cur = w.entries[h as usize].next;
                    if w.entries[h as usize].due > t {
                        continue; // a later turn of the wheel
                    }
                    if n == BATCH {
                        more = true;
                        break 'ticks;
                    }
                    w.unlink(h);
                    let e = &w.entries[h as usize];
                    batch[n] = (e.func, e.arg);
                    n += 1;
                }
                w.done_tick = t;
            }
        }
        for &(f, arg) in &batch[..n] {
            f(arg);
        }
        if !more {
            break;
        }
    }
}

/// Make room for `n` callouts.
pub(super) fn reserve(n: usize) {
    let _ = WHEEL.lock().entries.try_reserve(n);
}

/// Callouts pending now (tests, statistics).
pub fn pending() -> usize {
    WHEEL.lock().pending
}

/// Callout slots allocated (live `Callout`s).
pub fn allocated() -> usize {
    WHEEL.lock().entries.iter().filter(|e| e.in_use).count()
}
