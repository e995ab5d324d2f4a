//! Scheduling priority: getpriority and setpriority.
//!
//! This module owns the argument checks and the nice-value arithmetic of
//! these two calls. Ferrite's scheduler has no priorities and processes
//! keep no nice value yet, so every process has nice 0: getpriority
//! reports it in the raw system call's encoding (`20 - nice`, so 20), and
//! setpriority succeeds wherever Linux would (the caller is root, which
//! may set any nice value) without changing anything.
//!
//! Who is who: PRIO_PROCESS names a process by pid (0: the caller),
//! PRIO_PGRP a process group (0: the caller's), PRIO_USER a user id (0:
//! the caller's, which is root for every process). Only the caller can be
//! found by pid today (other processes cannot be looked up yet), and every
//! process belongs to root: any other pid, group or uid is ESRCH.

use crate::kern::proc::curproc_opt;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};

pub const PRIO_PROCESS: i32 = 0;
pub const PRIO_PGRP: i32 = 1;
pub const PRIO_USER: i32 = 2;

/// The range of nice values.
pub const MIN_NICE: i32 = -20;
pub const MAX_NICE: i32 = 19;

/// Check `which` and find whether `who` names anything: Ok if it names the
/// caller (or its group, or root).
fn lookup(which: i32, who: i32) -> Result<(), Errno> {
    let own_pid = curproc_opt().map(|p| p.pid());
    match which {
        PRIO_PROCESS if who == 0 || Some(who as u32) == own_pid => Ok(()),
        PRIO_PGRP if who == 0 => Ok(()),
        PRIO_USER if who == 0 => Ok(()),
        PRIO_PROCESS | PRIO_PGRP | PRIO_USER => Err(Errno::ESRCH),
        _ => Err(Errno::EINVAL),
    }
}

/// The nice value of what `which`/`who` names (always 0: see the module
/// comment).
fn nice_of(_which: i32, _who: i32) -> i32 {
    0
}

/// The raw getpriority result for a nice value (Linux's `nice_to_rlimit`).
pub fn nice_to_raw(nice: i32) -> i32 {
    MAX_NICE - nice + 1
}

/// getpriority(which, who): `20 - nice` (1..=40), never negative, so it
/// cannot be mistaken for an error.
pub fn sys_getpriority(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (which, who) = (ctx.arg(0) as i32, ctx.arg(1) as i32);
    lookup(which, who)?;
    Ok(nice_to_raw(nice_of(which, who)) as usize)
}

/// setpriority(which, who, nice): the value is clamped to -20..=19 as on
/// Linux; root may lower it, so nothing is refused but unknown targets.
pub fn sys_setpriority(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (which, who) = (ctx.arg(0) as i32, ctx.arg(1) as i32);
    let _nice = (ctx.arg(2) as i32).clamp(MIN_NICE, MAX_NICE);
    lookup(which, who)?;
    Ok(0)
}
