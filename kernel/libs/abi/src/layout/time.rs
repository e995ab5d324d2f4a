//! Time structures: `timespec`, `timeval`, `timezone`, `itimerval`,
//! `itimerspec` and `tms` (x86_64: `time_t`, `suseconds_t`, `long` and
//! `clock_t` are all 64-bit).

use super::plain_struct;

plain_struct! {
    /// `struct timespec` (nanosleep, clock_gettime, utimensat, ...).
    pub struct Timespec [16] {
        pub tv_sec: i64,
        pub tv_nsec: i64,
    }
}

plain_struct! {
    /// `struct timeval` (gettimeofday, select, rusage, itimerval).
    pub struct Timeval [16] {
        pub tv_sec: i64,
        pub tv_usec: i64,
    }
}

plain_struct! {
    /// `struct timezone` (gettimeofday's obsolete second argument).
    pub struct Timezone [8] {
        pub tz_minuteswest: i32,
        pub tz_dsttime: i32,
    }
}

plain_struct! {
    /// `struct itimerval` (setitimer, getitimer).
    pub struct ItimerVal [32] {
        pub it_interval: Timeval,
        pub it_value: Timeval,
    }
}

plain_struct! {
    /// `struct itimerspec` (timer_settime, timerfd_settime).
    pub struct Itimerspec [32] {
        pub it_interval: Timespec,
        pub it_value: Timespec,
    }
}

plain_struct! {
    /// `struct tms` (times): clock ticks of user and system time of the
    /// process and of its waited-for children.
    pub struct Tms [32] {
        pub tms_utime: i64,
        pub tms_stime: i64,
        pub tms_cutime: i64,
        pub tms_cstime: i64,
    }
}

impl Timespec {
    /// `tv_nsec` is a valid nanosecond count (0..1e9), as the kernel checks
    /// before using a user timespec.
    pub fn is_valid(&self) -> bool {
        (0..1_000_000_000).contains(&self.tv_nsec) && self.tv_sec >= 0
    }
}

impl Timeval {
    /// `tv_usec` is a valid microsecond count (0..1e6).
    pub fn is_valid(&self) -> bool {
        (0..1_000_000).contains(&self.tv_usec) && self.tv_sec >= 0
    }
}
