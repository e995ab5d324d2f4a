//! The kernel's clocks: time since boot from the TSC, the wall clock as an
//! offset from it, their coarse (tick-granular) variants, and the CPU-time
//! clocks; and the mapping from Linux clock IDs to them.
//!
//! This module owns the clock state (the TSC-to-nanosecond factor, the
//! wall-clock offset, the timezone `settimeofday` stores) and nothing else:
//! it reads the TSC and the RTC through `arch`, never programs a timer and
//! never sleeps.
//!
//! Time since boot. The TSC counts at a constant rate (`tsc::hz()`,
//! calibrated against the PIT when the APIC timer starts; under QEMU's
//! `-icount` it counts instructions, which is the guest's notion of time
//! there), from `tsc::mark_boot()` at kernel entry. Cycles become
//! nanoseconds through a 32.32 fixed-point factor, `ns = cycles * mult >>
//! 32` with `mult = 10^9 * 2^32 / hz`: one multiplication, no division, and
//! a function of the cycle count that never decreases. The last value
//! handed out is kept (`LAST_NS`) and never undercut, so the clock cannot go
//! back even if a later CPU's TSC lags (one CPU today).
//!
//! Wall clock. `init` reads the RTC once and stores `REALTIME_BASE_NS`, the
//! wall-clock time at boot (RTC time minus the time since boot at the read):
//! CLOCK_REALTIME is that base plus the time since boot, so it advances
//! exactly as CLOCK_MONOTONIC does. `clock_settime` moves the base. The RTC
//! counts whole seconds, so the wall clock is within a second of the RTC's.
//!
//! Coarse clocks round down to the clock tick (Linux's `*_COARSE` report
//! the time of the last tick, at tick resolution).
//!
//! CPU time. Ferrite does not yet charge run time to threads (that needs a
//! hook in the scheduler's switch), so the CPU-time clocks are coarse upper
//! bounds: the time since boot. They advance while a thread runs and never
//! by more than the wall clock, which is what programs check; they also
//! advance while it sleeps, which a real CPU clock would not.

use crate::arch::x86_64::{apic, rtc, tsc};
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use ferrite_abi::Timespec;
use ferrite_abi::clock as c;

pub const NSEC_PER_SEC: u64 = 1_000_000_000;

/// `cycles * MULT >> 32` is nanoseconds (0: not computed yet).
static MULT: AtomicU64 = AtomicU64::new(0);
/// The largest time since boot handed out so far.
static LAST_NS: AtomicU64 = AtomicU64::new(0);
/// CLOCK_REALTIME at boot, in nanoseconds since the epoch.
static REALTIME_BASE_NS: AtomicI64 = AtomicI64::new(0);
/// The timezone of settimeofday (minutes west of Greenwich, DST type).
static TZ_MINUTESWEST: AtomicI32 = AtomicI32::new(0);
static TZ_DSTTIME: AtomicI32 = AtomicI32::new(0);

/// The fixed-point factor, computed once the TSC is calibrated.
fn mult() -> u64 {
    let m = MULT.load(Ordering::Relaxed);
    if m != 0 {
        return m;
    }
    let hz = tsc::hz();
    if hz == 0 {
        return 0;
    }
    let m = (((NSEC_PER_SEC as u128) << 32) / hz as u128).min(u64::MAX as u128) as u64;
    MULT.store(m, Ordering::Relaxed);
    m
}

/// Nanoseconds of `cycles` TSC cycles.
pub fn cycles_to_ns(cycles: u64) -> u64 {
    ((cycles as u128 * mult() as u128) >> 32).min(u64::MAX as u128) as u64
}

/// Nanoseconds since boot (CLOCK_MONOTONIC): never less than a value
/// returned before. 0 until the TSC is calibrated.
pub fn uptime_ns() -> u64 {
    let now = cycles_to_ns(tsc::since_boot());
    let prev = LAST_NS.fetch_max(now, Ordering::Relaxed);
    now.max(prev)
}

/// Nanoseconds of one clock tick.
pub fn tick_ns() -> u64 {
    NSEC_PER_SEC / apic::timer_hz().max(1) as u64
}

/// CLOCK_REALTIME in nanoseconds since the epoch.
pub fn realtime_ns() -> i64 {
    REALTIME_BASE_NS
        .load(Ordering::Relaxed)
        .saturating_add(uptime_ns() as i64)
}

/// Why the wall clock cannot be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTimeError {
    /// The new time lies before the boot (it would make the time at boot
    /// negative: Linux refuses with EINVAL too).
    BeforeBoot,
}

/// Set CLOCK_REALTIME to `ns` since the epoch.
pub fn set_realtime_ns(ns: i64) -> Result<(), SetTimeError> {
    let up = uptime_ns() as i64;
    if ns < up {
        return Err(SetTimeError::BeforeBoot);
    }
    REALTIME_BASE_NS.store(ns - up, Ordering::Relaxed);
    Ok(())
}

/// The stored timezone `(minuteswest, dsttime)`.
pub fn timezone() -> (i32, i32) {
    (
        TZ_MINUTESWEST.load(Ordering::Relaxed),
        TZ_DSTTIME.load(Ordering::Relaxed),
    )
}

pub fn set_timezone(minuteswest: i32, dsttime: i32) {
    TZ_MINUTESWEST.store(minuteswest, Ordering::Relaxed);
    TZ_DSTTIME.store(dsttime, Ordering::Relaxed);
}

/// Read the RTC and set the wall clock from it. Call once the TSC is
/// calibrated (after the timer starts). Returns what the RTC said.
pub fn init() -> Option<rtc::RtcTime> {
    let t = rtc::read();
    let up = uptime_ns() as i64;
    let secs = match t {
        Some(t) => super::civil::unix_seconds(
            t.year as i64,
            t.month as u32,
            t.day as u32,
            t.hour as u32,
            t.minute as u32,
            t.second as u32,
        ),
        None => 0,
    };
    REALTIME_BASE_NS.store(secs * NSEC_PER_SEC as i64 - up, Ordering::Relaxed);
    t
}

/// The clocks Ferrite keeps, as Linux clock IDs name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_TAI (no TAI offset is
    /// ever set, so TAI equals UTC, as on Linux by default).
    Realtime,
    RealtimeCoarse,
    /// CLOCK_MONOTONIC, _RAW, CLOCK_BOOTTIME, _ALARM (no suspend, no NTP
    /// slewing: all the same clock).
    Monotonic,
    MonotonicCoarse,
    /// CPU time of the calling process.
    ProcessCpu,
    /// CPU time of the calling thread.
    ThreadCpu,
}

/// Why a clock ID is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadClock {
    /// Not a clock (EINVAL).
    Unknown,
}

/// The clock a Linux clock ID names. Negative IDs are the CPU-time clocks
/// of a given process or thread (`MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)`
/// = `(~pid << 3) | 2`, bit 2 for a thread); only the caller's own (pid 0
/// or its pid) exist here.
pub fn clock_of(id: i32, own_pid: Option<u32>) -> Result<Clock, BadClock> {
    const CPUCLOCK_PERTHREAD: i32 = 4;
    const CPUCLOCK_WHICH_MASK: i32 = 3;
    const CPUCLOCK_SCHED: i32 = 2;
    const CLOCKFD: i32 = 3;
    if id < 0 {
        // Dynamic clocks: CPU clocks, or (low bits 3) a clock by fd.
        if id & 7 == (CPUCLOCK_PERTHREAD | CLOCKFD) {
            return Err(BadClock::Unknown);
        }
        let which = id & CPUCLOCK_WHICH_MASK;
        if which > CPUCLOCK_SCHED {
            return Err(BadClock::Unknown);
        }
        let pid = !(id >> 3) as u32;
        if pid != 0 && Some(pid) != own_pid {
            return Err(BadClock::Unknown);
        }
        return Ok(if id & CPUCLOCK_PERTHREAD != 0 {
            Clock::ThreadCpu
        } else {
            Clock::ProcessCpu
        });
    }
    Ok(match id {
        c::CLOCK_REALTIME | c::CLOCK_REALTIME_ALARM | c::CLOCK_TAI => Clock::Realtime,
        c::CLOCK_REALTIME_COARSE => Clock::RealtimeCoarse,
        c::CLOCK_MONOTONIC
        | c::CLOCK_MONOTONIC_RAW
        | c::CLOCK_BOOTTIME
        | c::CLOCK_BOOTTIME_ALARM => Clock::Monotonic,
        c::CLOCK_MONOTONIC_COARSE => Clock::MonotonicCoarse,
        c::CLOCK_PROCESS_CPUTIME_ID => Clock::ProcessCpu,
        c::CLOCK_THREAD_CPUTIME_ID => Clock::ThreadCpu,
        _ => return Err(BadClock::Unknown),
    })
}

/// The clock ID's sleep support (clock_nanosleep): Linux sleeps only on
/// the clocks with timers (realtime, monotonic, boottime, TAI, the alarm
/// clocks and process CPU time); the raw and coarse clocks refuse with
/// EOPNOTSUPP and a thread's CPU clock with EINVAL.
pub fn can_sleep_on(id: i32) -> bool {
    !matches!(
        id,
        c::CLOCK_MONOTONIC_RAW | c::CLOCK_REALTIME_COARSE | c::CLOCK_MONOTONIC_COARSE
    )
}

/// CPU time of the calling thread or process, in nanoseconds (see the
/// module comment: a coarse upper bound, the time since boot).
pub fn cputime_ns() -> u64 {
    uptime_ns()
}

/// Read `clock` in nanoseconds (signed: the wall clock's epoch).
pub fn now_ns(clock: Clock) -> i64 {
    match clock {
        Clock::Realtime => realtime_ns(),
        Clock::RealtimeCoarse => {
            let t = realtime_ns();
            t - t.rem_euclid(tick_ns() as i64)
        }
        Clock::Monotonic => uptime_ns() as i64,
        Clock::MonotonicCoarse => {
            let t = uptime_ns();
            (t - t % tick_ns()) as i64
        }
        Clock::ProcessCpu | Clock::ThreadCpu => cputime_ns() as i64,
    }
}

/// The resolution of `clock` in nanoseconds: 1 for the TSC clocks, the
/// tick for the coarse ones.
pub fn resolution_ns(clock: Clock) -> u64 {
    match clock {
        Clock::RealtimeCoarse | Clock::MonotonicCoarse => tick_ns(),
        _ => 1,
    }
}

/// A nanosecond count as a timespec (floor division: negative times have
/// a non-negative tv_nsec, as POSIX wants).
pub fn ns_to_timespec(ns: i64) -> Timespec {
    Timespec {
        tv_sec: ns.div_euclid(NSEC_PER_SEC as i64),
        tv_nsec: ns.rem_euclid(NSEC_PER_SEC as i64),
    }
}

/// A valid timespec (tv_sec >= 0, 0 <= tv_nsec < 10^9) as nanoseconds,
/// saturating at i64::MAX (about 292 years).
pub fn timespec_to_ns(ts: &Timespec) -> i64 {
    ts.tv_sec
        .saturating_mul(NSEC_PER_SEC as i64)
        .saturating_add(ts.tv_nsec)
}
