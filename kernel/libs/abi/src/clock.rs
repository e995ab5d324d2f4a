//! Clock IDs (clock_gettime, clock_nanosleep, timer_create), the
//! `TIMER_ABSTIME` flag and interval-timer kinds (setitimer).

use crate::flagfmt::{Named, names};

/// Wall-clock time.
pub const CLOCK_REALTIME: i32 = 0;
/// Time since boot, not counting suspend; never jumps.
pub const CLOCK_MONOTONIC: i32 = 1;
/// CPU time of the process.
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
/// CPU time of the thread.
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// Monotonic time without NTP adjustment.
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// Fast, coarse CLOCK_REALTIME.
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// Fast, coarse CLOCK_MONOTONIC.
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// Monotonic time including suspend.
pub const CLOCK_BOOTTIME: i32 = 7;
/// CLOCK_REALTIME that wakes a suspended system.
pub const CLOCK_REALTIME_ALARM: i32 = 8;
/// CLOCK_BOOTTIME that wakes a suspended system.
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
/// International Atomic Time.
pub const CLOCK_TAI: i32 = 11;

/// clock_nanosleep/timer_settime: the time is absolute.
pub const TIMER_ABSTIME: i32 = 1;

/// setitimer: real time, SIGALRM.
pub const ITIMER_REAL: i32 = 0;
/// setitimer: user CPU time, SIGVTALRM.
pub const ITIMER_VIRTUAL: i32 = 1;
/// setitimer: user and system CPU time, SIGPROF.
pub const ITIMER_PROF: i32 = 2;

const CLOCK_NAMES: &[(i64, &str)] = names!(i64;
    CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
    CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
    CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI);

/// A clock ID, e.g. `CLOCK_MONOTONIC`.
pub fn fmt_clock_id(id: i32) -> Named {
    Named::new(id as i64, CLOCK_NAMES)
}

const ITIMER_NAMES: &[(i64, &str)] = names!(i64; ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF);

/// An interval-timer kind, e.g. `ITIMER_REAL`.
pub fn fmt_itimer_which(which: i32) -> Named {
    Named::new(which as i64, ITIMER_NAMES)
}
