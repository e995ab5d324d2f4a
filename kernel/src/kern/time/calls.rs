//! The system calls that read and set the clocks: clock_gettime,
//! clock_getres, clock_settime, gettimeofday, settimeofday and time, with
//! Linux's argument checks and errno values.
//!
//! This module owns only the argument handling; the clocks are `clock`'s.
//! Credentials are fixed at root, so setting the clock is allowed (Linux
//! asks for CAP_SYS_TIME).

use super::clock::{self, Clock, NSEC_PER_SEC};
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::kern::ucopy::{copyin_plain, copyout_plain};
use ferrite_abi::{Timespec, Timeval, Timezone};

/// The clock named by a system call's clock-ID argument (an `int`).
fn clock_arg(arg: u64) -> Result<Clock, Errno> {
    let own_pid = crate::kern::proc::curproc_opt().map(|p| p.pid());
    clock::clock_of(arg as i32, own_pid).map_err(|_| Errno::EINVAL)
}

/// clock_gettime(clock, tp).
pub fn sys_clock_gettime(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let clk = clock_arg(ctx.arg(0))?;
    let ts = clock::ns_to_timespec(clock::now_ns(clk));
    copyout_plain(ctx.arg(1), &ts)?;
    Ok(0)
}

/// clock_getres(clock, res): `res` may be NULL (only the clock is checked).
pub fn sys_clock_getres(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let clk = clock_arg(ctx.arg(0))?;
    if ctx.arg(1) != 0 {
        let ts = clock::ns_to_timespec(clock::resolution_ns(clk) as i64);
        copyout_plain(ctx.arg(1), &ts)?;
    }
    Ok(0)
}

/// Set the wall clock to `ns`, with Linux's errors.
fn set_realtime(ns: i64) -> Result<(), Errno> {
    clock::set_realtime_ns(ns).map_err(|_| Errno::EINVAL)
}

/// clock_settime(clock, tp): only CLOCK_REALTIME can be set; any other
/// clock (valid or not) is EINVAL before `tp` is read, as on Linux.
pub fn sys_clock_settime(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(0) as i32 != ferrite_abi::clock::CLOCK_REALTIME {
        return Err(Errno::EINVAL);
    }
    let ts: Timespec = copyin_plain(ctx.arg(1))?;
    if !ts.is_valid() {
        return Err(Errno::EINVAL);
    }
    set_realtime(clock::timespec_to_ns(&ts))?;
    Ok(0)
}

/// gettimeofday(tv, tz): either may be NULL; `tz` gets the timezone
/// settimeofday stored (zeros unless one was set).
pub fn sys_gettimeofday(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(0) != 0 {
        let ns = clock::realtime_ns();
        let tv = Timeval {
            tv_sec: ns.div_euclid(NSEC_PER_SEC as i64),
            tv_usec: ns.rem_euclid(NSEC_PER_SEC as i64) / 1000,
        };
        copyout_plain(ctx.arg(0), &tv)?;
    }
    if ctx.arg(1) != 0 {
        let (minuteswest, dsttime) = clock::timezone();
        let tz = Timezone {
            tz_minuteswest: minuteswest,
            tz_dsttime: dsttime,
        };
        copyout_plain(ctx.arg(1), &tz)?;
    }
    Ok(0)
}

/// settimeofday(tv, tz): as Linux, `tv` is read (EFAULT) and checked
/// (EINVAL: tv_usec outside 0..10^6 or a negative tv_sec) before `tz` is
/// read; a timezone more than 15 hours from Greenwich is EINVAL; then the
/// timezone is stored and the clock set (EINVAL for a time before boot).
pub fn sys_settimeofday(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let tv: Option<Timeval> = match ctx.arg(0) {
        0 => None,
        a => Some(copyin_plain(a)?),
    };
    if tv.is_some_and(|tv| !tv.is_valid()) {
        return Err(Errno::EINVAL);
    }
    let tz: Option<Timezone> = match ctx.arg(1) {
        0 => None,
        a => Some(copyin_plain(a)?),
    };
    if let Some(tz) = tz {
        if !(-15 * 60..=15 * 60).contains(&tz.tz_minuteswest) {
            return Err(Errno::EINVAL);
        }
        clock::set_timezone(tz.tz_minuteswest, tz.tz_dsttime);
    }
    if let Some(tv) = tv {
        let ns = tv
            .tv_sec
            .saturating_mul(NSEC_PER_SEC as i64)
            .saturating_add(tv.tv_usec * 1000);
        set_realtime(ns)?;
    }
    Ok(0)
}

/// time(tloc): the seconds of CLOCK_REALTIME, also stored at `tloc` if it
/// is not NULL.
pub fn sys_time(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let secs = clock::realtime_ns().div_euclid(NSEC_PER_SEC as i64);
    if ctx.arg(0) != 0 {
        copyout_plain(ctx.arg(0), &secs)?;
    }
    Ok(secs as usize)
}
