//! Resource usage: getrusage and times.
//!
//! This module owns only what these calls report; it counts nothing itself.
//! What Ferrite counts today: the CPU time of `time::clock` (a coarse upper
//! bound, the time since boot: run time is not yet charged per thread) and
//! each thread's voluntary context switches (`Lwp::nswitch`, the sleeps
//! that gave up the CPU). Everything else (system time, page faults, the
//! children's totals, which need exit to add a reaped child's usage to its
//! parent) is reported as zero, which Linux also does for the fields it
//! does not maintain.

use crate::kern::sched::curlwp;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::kern::time::clock::{self, NSEC_PER_SEC};
use crate::kern::ucopy::copyout_plain;
use core::sync::atomic::Ordering;
use ferrite_abi::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
use ferrite_abi::{Rusage, Timeval, Tms};

/// Clock ticks per second of `times` (Linux's USER_HZ, AT_CLKTCK).
pub const USER_HZ: u64 = 100;

fn ns_to_timeval(ns: u64) -> Timeval {
    Timeval {
        tv_sec: (ns / NSEC_PER_SEC) as i64,
        tv_usec: (ns % NSEC_PER_SEC / 1000) as i64,
    }
}

/// Nanoseconds as `clock_t` ticks of USER_HZ.
pub fn ns_to_clock_t(ns: u64) -> i64 {
    (ns / (NSEC_PER_SEC / USER_HZ)) as i64
}

/// The usage `who` names (RUSAGE_SELF, _THREAD, _CHILDREN); None for
/// another value.
pub fn rusage(who: i32) -> Option<Rusage> {
    match who {
        RUSAGE_SELF | RUSAGE_THREAD => Some(Rusage {
            ru_utime: ns_to_timeval(clock::cputime_ns()),
            ru_nvcsw: curlwp().nswitch.load(Ordering::Relaxed) as i64,
            ..Rusage::default()
        }),
        RUSAGE_CHILDREN => Some(Rusage::default()),
        _ => None,
    }
}

/// getrusage(who, usage): EINVAL for an unknown `who`, EFAULT for a bad
/// buffer.
pub fn sys_getrusage(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let ru = rusage(ctx.arg(0) as i32).ok_or(Errno::EINVAL)?;
    copyout_plain(ctx.arg(1), &ru)?;
    Ok(0)
}

/// times(buf): the process's and its children's CPU time in USER_HZ ticks
/// (if `buf` is not NULL), and the ticks since boot as the result.
pub fn sys_times(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(0) != 0 {
        let t = Tms {
            tms_utime: ns_to_clock_t(clock::cputime_ns()),
            ..Tms::default()
        };
        copyout_plain(ctx.arg(0), &t)?;
    }
    Ok(ns_to_clock_t(clock::uptime_ns()) as usize)
}
