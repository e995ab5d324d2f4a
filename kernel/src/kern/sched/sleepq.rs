//! Sleep queues (NetBSD's kern_sleepq.c, with tsleep/wakeup on top): a
//! thread sleeps on a wait channel (any address that names what it waits
//! for) until a `wakeup` of that channel, optionally with a timeout (a
//! callout), and, for an interruptible sleep, until a signal arrives.
//!
//! The queues are hashed by channel (`SLEEPQ_BUCKETS` lists in the
//! scheduler's state, under the scheduler lock); enqueue and dequeue are
//! O(1); waking a channel walks only its bucket.
//!
//! No lost wakeups. A sleeper first enqueues itself (`prepare`: from then
//! on a wakeup finds it), then checks its condition again, then switches
//! away (`block`). A wakeup that comes between the two finds the thread
//! still on its CPU and just marks it running, so `block` returns at once.
//! `sleep_until` packages the pattern. Preemption is off between `prepare`
//! and the end of `block` (a preempted sleeper must not be mistaken for a
//! sleeping one).
//!
//! Sleeping while holding a spin lock, with interrupts off, or in an
//! interrupt handler is a bug and panics (in builds with debug assertions).

use super::sched::{self, Stat, WakeReason};
use crate::arch::x86_64::{apic, percpu};
use x86_64::instructions::interrupts;

/// Why a sleep ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepError {
    /// An interruptible sleep was broken by a signal (EINTR/ERESTART).
    Interrupted,
    /// The timeout passed.
    TimedOut,
}

/// The wait channel of an object: its address.
pub fn chan<T: ?Sized>(x: &T) -> usize {
    x as *const T as *const u8 as usize
}

/// Panic if the current context may not sleep.
pub fn assert_may_sleep(what: &str) {
    if cfg!(debug_assertions) {
        let cpu = percpu::this_cpu();
        assert!(
            cpu.spin_held() == 0,
            "{what}: sleeping while holding a spin lock"
        );
        assert!(
            interrupts::are_enabled(),
            "{what}: sleeping with interrupts disabled"
        );
        assert!(
            cpu.intr_depth() == 0,
            "{what}: sleeping in an interrupt handler"
        );
    }
}

/// A thread between `prepare` and `block`/`cancel`.
#[must_use = "a prepared sleep must be blocked or cancelled"]
pub struct Ticket {
    idx: u32,
    seq: u64,
    interruptible: bool,
    timed: bool,
}

/// Enqueue the current thread on `wchan`'s sleep queue, marked sleeping;
/// with a `deadline` (a clock tick), arm its timeout.
pub fn prepare(wchan: usize, interruptible: bool, deadline: Option<u64>) -> Ticket {
    assert_may_sleep("sleepq::prepare");
    percpu::this_cpu().preempt_disable();
    let l = sched::curlwp();
    let idx = l.id().index();
    let mut g = sched::lock();
    let seq = g.next_seq();
    {
        let s = g.slot(idx);
        s.stat = Stat::Sleeping;
        s.interruptible = interruptible;
        s.wake = WakeReason::None;
        s.sleep_seq = seq;
        if deadline.is_some() {
            s.timeout_seq = seq;
        }
    }
    g.sleepq_insert(idx, wchan);
    drop(g);
    if let Some(d) = deadline {
        l.sleep_timer.schedule_at(d);
    }
    Ticket {
        idx,
        seq,
        interruptible,
        timed: deadline.is_some(),
    }
}

impl Ticket {
    /// The condition came true after all: leave the queue, keep running.
    pub fn cancel(self) {
        let mut g = sched::lock();
        if g.slot(self.idx).stat == Stat::Sleeping {
            g.sleepq_remove(self.idx);
        }
        g.slot(self.idx).stat = Stat::Onproc;
        drop(g);
        self.finish();
    }

    /// Switch away until woken. Ok for a wakeup; the error says why else.
    pub fn block(self) -> Result<(), SleepError> {
        let l = sched::curlwp();
        let mut g = sched::lock();
        if self.interruptible
            && l.interrupt_pending
                .load(core::sync::atomic::Ordering::SeqCst)
            && g.slot(self.idx).stat == Stat::Sleeping
        {
            g.sleepq_remove(self.idx);
            let s = g.slot(self.idx);
            s.stat = Stat::Onproc;
            s.wake = WakeReason::Signal;
        }
        if g.slot(self.idx).stat == Stat::Sleeping {
            l.nswitch
                .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            sched::mi_switch(g);
            g = sched::lock();
        }
        let why = g.slot(self.idx).wake;
        debug_assert_eq!(g.slot(self.idx).sleep_seq, self.seq);
        drop(g);
        self.finish();
        match why {
            WakeReason::Signal => Err(SleepError::Interrupted),
            WakeReason::Timeout => Err(SleepError::TimedOut),
            WakeReason::Wakeup | WakeReason::None => Ok(()),
        }
    }

    fn finish(self) {
        if self.timed {
            sched::curlwp().sleep_timer.stop();
        }
        percpu::this_cpu().preempt_enable();
    }
}

/// Sleep on `wchan` until `cond()` holds (checked before sleeping and after
/// every wakeup), for at most `timeout` clock ticks, interruptibly or not.
pub fn sleep_until(
    wchan: usize,
    interruptible: bool,
    timeout: Option<u64>,
    mut cond: impl FnMut() -> bool,
) -> Result<(), SleepError> {
    let deadline = timeout.map(|t| apic::ticks() + t.max(1));
    loop {
        if cond() {
            return Ok(());
        }
        let t = prepare(wchan, interruptible, deadline);
        if cond() {
            t.cancel();
            return Ok(());
        }
        t.block()?;
    }
}

/// Sleep on `wchan` once (until a wakeup, the timeout or a signal): the
/// caller re-checks what it waits for (tsleep).
pub fn sleep(wchan: usize, interruptible: bool, timeout: Option<u64>) -> Result<(), SleepError> {
    let deadline = timeout.map(|t| apic::ticks() + t.max(1));
    prepare(wchan, interruptible, deadline).block()
}

/// Wake every thread sleeping on `wchan`; returns how many.
pub fn wakeup(wchan: usize) -> usize {
    sched::lock().wake_channel(wchan, true, WakeReason::Wakeup)
}

/// Wake the thread that has slept longest on `wchan`; true if there was one.
pub fn wakeup_one(wchan: usize) -> bool {
    sched::lock().wake_channel(wchan, false, WakeReason::Wakeup) == 1
}

/// Clock ticks for `ms` milliseconds (rounded up).
pub fn ms_to_ticks(ms: u64) -> u64 {
    let hz = apic::timer_hz().max(1) as u64;
    (ms * hz).div_ceil(1000)
}
