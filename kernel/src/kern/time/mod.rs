//! Time (NetBSD's kern_time.c and kern_tc.c, much reduced): the kernel's
//! clocks and the time system calls.
//!
//! - `clock`: time since boot from the TSC, the wall clock (the RTC at
//!   boot plus the time since), coarse and CPU-time clocks, Linux clock IDs.
//! - `civil`: calendar dates to seconds since the epoch.
//! - `calls`: clock_gettime, clock_getres, clock_settime, gettimeofday,
//!   settimeofday, time.
//! - `sleep`: timed sleeps for the kernel (`sleep_until`, `sleep_ns`) and
//!   nanosleep, clock_nanosleep.
//!
//! For the rest of the kernel: `uptime_ns()` (CLOCK_MONOTONIC),
//! `realtime_ns()` (CLOCK_REALTIME), `sleep::sleep_until(Deadline, ..)`.
//! Timers that deliver signals (alarm, setitimer, timer_create) are not
//! here yet.

pub mod calls;
pub mod civil;
pub mod clock;
pub mod sleep;
mod tests;

pub use clock::{realtime_ns, uptime_ns};

/// Set the wall clock from the RTC and log it. Call once, after the timer
/// is started (the TSC must be calibrated).
pub fn init() {
    let rtc = clock::init();
    let now = clock::realtime_ns().div_euclid(clock::NSEC_PER_SEC as i64);
    let (y, mo, d) = civil::civil_from_days(now.div_euclid(86_400));
    let s = now.rem_euclid(86_400);
    log::info!(
        "time: {y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} UTC{}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        if rtc.is_some() {
            " from the RTC"
        } else {
            " (no RTC answered: the epoch)"
        }
    );
}

/// The time system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(
            nr::SYS_clock_gettime,
            "clock_gettime",
            calls::sys_clock_gettime,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_clock_getres,
            "clock_getres",
            calls::sys_clock_getres,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_clock_settime,
            "clock_settime",
            calls::sys_clock_settime,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_gettimeofday,
            "gettimeofday",
            calls::sys_gettimeofday,
            [Arg::Hex, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_settimeofday,
            "settimeofday",
            calls::sys_settimeofday,
            [Arg::Hex, Arg::Hex]
        ),
        crate::sys!(nr::SYS_time, "time", calls::sys_time, [Arg::Hex]),
        crate::sys!(
            nr::SYS_nanosleep,
            "nanosleep",
            sleep::sys_nanosleep,
            [Arg::Hex, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_clock_nanosleep,
            "clock_nanosleep",
            sleep::sys_clock_nanosleep,
            [Arg::Int, Arg::Hex, Arg::Hex, Arg::Hex]
        ),
    ]
};
