//! Sleeping for a time: the kernel's timed sleep (`sleep_until`) and the
//! `nanosleep` and `clock_nanosleep` system calls on top of it.
//!
//! This module owns the conversion of a deadline on one of the clocks into
//! clock ticks and the rule that a sleep lasts at least as long as asked;
//! the sleeping itself (sleep queues, the timeout callout, interruption by
//! a signal) is `sched::sleepq`'s.
//!
//! Algorithm. The clock interrupt is the only timer: a sleep of `t` ticks
//! ends at the `t`-th tick from now, which comes after between `t - 1` and
//! `t` tick periods (the current period has partly passed). So the sleeper
//! computes the time left on its clock, sleeps `ceil(left / tick)` ticks,
//! and on waking reads the clock again: if the deadline has not passed (the
//! partial first period, or a wakeup of the shared channel) it sleeps
//! again for what is left. The sleep is therefore never short, and at most
//! about one tick long. A deadline on the wall clock is re-read against the
//! wall clock at every wakeup, so setting the clock is noticed at the next
//! wakeup (Linux notices at once; nothing relies on the difference).
//!
//! An interruptible sleep broken by a signal returns the time left, which
//! `nanosleep` writes to its `rem` argument before failing with EINTR.

use super::clock::{self, Clock};
use crate::arch::x86_64::apic;
use crate::kern::sched::sleepq::{self, SleepError};
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::kern::ucopy::{copyin_plain, copyout_plain};
use ferrite_abi::Timespec;
use ferrite_abi::clock as c;

/// The channel timed sleeps wait on: no one wakes it, only timeouts and
/// signals end these sleeps.
static SLEEP_CHANNEL: u8 = 0;

/// The longest single sleep in ticks (a longer deadline is reached by
/// sleeping again): keeps tick arithmetic far from overflow.
const MAX_SLEEP_TICKS: u64 = 1 << 40;

/// When a sleep ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// When CLOCK_MONOTONIC reaches this many nanoseconds.
    Monotonic(u64),
    /// When CLOCK_REALTIME reaches this many nanoseconds since the epoch.
    Realtime(i64),
}

impl Deadline {
    /// `ns` from now, on the monotonic clock.
    pub fn after_ns(ns: u64) -> Deadline {
        Deadline::Monotonic(clock::uptime_ns().saturating_add(ns))
    }

    /// Nanoseconds left (0 once passed).
    pub fn remaining_ns(&self) -> u64 {
        match *self {
            Deadline::Monotonic(d) => d.saturating_sub(clock::uptime_ns()),
            Deadline::Realtime(d) => d.saturating_sub(clock::realtime_ns()).max(0) as u64,
        }
    }
}

/// A sleep broken by a signal, with the nanoseconds that were left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted {
    pub remaining_ns: u64,
}

/// Clock ticks covering `ns` (rounded up, at least 1, at most
/// `MAX_SLEEP_TICKS`).
fn ticks_for(ns: u64) -> u64 {
    let hz = apic::timer_hz().max(1) as u128;
    let t = (ns as u128 * hz).div_ceil(clock::NSEC_PER_SEC as u128);
    t.clamp(1, MAX_SLEEP_TICKS as u128) as u64
}

/// Sleep until `deadline` has passed (at least until then: see the module
/// comment). With `interruptible`, a signal ends the sleep early.
pub fn sleep_until(deadline: Deadline, interruptible: bool) -> Result<(), Interrupted> {
    loop {
        let left = deadline.remaining_ns();
        if left == 0 {
            return Ok(());
        }
        match sleepq::sleep(
            sleepq::chan(&SLEEP_CHANNEL),
            interruptible,
            Some(ticks_for(left)),
        ) {
            Err(SleepError::Interrupted) => {
                return Err(Interrupted {
                    remaining_ns: deadline.remaining_ns(),
                });
            }
            // A timeout or a stray wakeup: look at the clock again.
            Err(SleepError::TimedOut) | Ok(()) => {}
        }
    }
}

/// Sleep for `ns` nanoseconds (kernel threads; not interruptible).
pub fn sleep_ns(ns: u64) {
    let _ = sleep_until(Deadline::after_ns(ns), false);
}

/// Read and check a user timespec: EFAULT for a bad address, EINVAL for a
/// negative tv_sec or a tv_nsec outside 0..10^9.
fn read_request(uaddr: u64) -> Result<Timespec, Errno> {
    let ts: Timespec = copyin_plain(uaddr)?;
    if !ts.is_valid() {
        return Err(Errno::EINVAL);
    }
    Ok(ts)
}

/// Sleep until `deadline`; on a signal write the time left to `rem` (if
/// not 0) and fail with EINTR.
fn sleep_syscall(deadline: Deadline, rem: u64) -> SysResult {
    match sleep_until(deadline, true) {
        Ok(()) => Ok(0),
        Err(Interrupted { remaining_ns }) => {
            if rem != 0 {
                copyout_plain(rem, &clock::ns_to_timespec(remaining_ns as i64))?;
            }
            Err(Errno::EINTR)
        }
    }
}

/// nanosleep(req, rem): sleep for `*req` on CLOCK_MONOTONIC.
pub fn sys_nanosleep(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let req = read_request(ctx.arg(0))?;
    let ns = clock::timespec_to_ns(&req) as u64;
    sleep_syscall(Deadline::after_ns(ns), ctx.arg(1))
}

/// clock_nanosleep(clock, flags, req, rem): a relative sleep (flags 0) as
/// nanosleep; with TIMER_ABSTIME until `clock` reads `*req` (`rem` is never
/// written then). Flags other than TIMER_ABSTIME are ignored, as on Linux.
pub fn sys_clock_nanosleep(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let id = ctx.arg(0) as i32;
    let flags = ctx.arg(1) as i32;
    let own_pid = crate::kern::proc::curproc_opt().map(|p| p.pid());
    let clk = clock::clock_of(id, own_pid).map_err(|_| Errno::EINVAL)?;
    if clk == Clock::ThreadCpu {
        return Err(Errno::EINVAL);
    }
    if !clock::can_sleep_on(id) {
        return Err(Errno::EOPNOTSUPP);
    }
    let req = read_request(ctx.arg(2))?;
    let ns = clock::timespec_to_ns(&req);
    if flags & c::TIMER_ABSTIME == 0 {
        return sleep_syscall(Deadline::after_ns(ns as u64), ctx.arg(3));
    }
    let deadline = match clk {
        Clock::Realtime | Clock::RealtimeCoarse => Deadline::Realtime(ns),
        Clock::Monotonic | Clock::MonotonicCoarse => Deadline::Monotonic(ns as u64),
        // The CPU clock runs with the monotonic one (see `clock`): its
        // target is as far ahead as the monotonic clock's.
        Clock::ProcessCpu | Clock::ThreadCpu => {
            let ahead = (ns as u64).saturating_sub(clock::cputime_ns());
            Deadline::after_ns(ahead)
        }
    };
    sleep_syscall(deadline, 0)
}
