//! Resource limits (`RLIMIT_*`, x86_64 uses the generic numbering),
//! `RLIM_INFINITY` and getrusage's `RUSAGE_*`.

use crate::flagfmt::{Named, names};

/// CPU time in seconds.
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size.
pub const RLIMIT_FSIZE: u32 = 1;
/// Data segment (brk and, since 4.7, private writable mappings).
pub const RLIMIT_DATA: u32 = 2;
/// Main stack size.
pub const RLIMIT_STACK: u32 = 3;
/// Core file size.
pub const RLIMIT_CORE: u32 = 4;
/// Resident set size (no effect).
pub const RLIMIT_RSS: u32 = 5;
/// Number of processes of the real user.
pub const RLIMIT_NPROC: u32 = 6;
/// Number of open files (one more than the largest descriptor).
pub const RLIMIT_NOFILE: u32 = 7;
/// Locked memory.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Address-space size.
pub const RLIMIT_AS: u32 = 9;
/// File locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Queued signals.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// POSIX message-queue bytes.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// Nice ceiling.
pub const RLIMIT_NICE: u32 = 13;
/// Real-time priority ceiling.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Real-time CPU time without blocking, in microseconds.
pub const RLIMIT_RTTIME: u32 = 15;
/// The number of limits.
pub const RLIM_NLIMITS: u32 = 16;
/// No limit.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// getrusage: the calling process.
pub const RUSAGE_SELF: i32 = 0;
/// getrusage: its waited-for children.
pub const RUSAGE_CHILDREN: i32 = -1;
/// getrusage: the calling thread.
pub const RUSAGE_THREAD: i32 = 1;

const RLIMIT_NAMES: &[(i64, &str)] = names!(i64;
    RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC,
    RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE,
    RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME);

/// A resource, e.g. `RLIMIT_NOFILE`.
pub fn fmt_rlimit_resource(resource: u32) -> Named {
    Named::new(resource as i64, RLIMIT_NAMES)
}

/// A limit value: `RLIM_INFINITY` or the number.
pub fn fmt_rlim(value: u64) -> Named {
    Named::with_names(
        value as i64,
        (value == RLIM_INFINITY).then_some("RLIM_INFINITY"),
    )
}
