//! Ferrite's private system calls, numbered above Linux's range so no
//! Linux program calls them by accident (on Linux they return ENOSYS):
//!
//! | number | call |
//! |---|---|
//! | 1001 | `ferrite_leakcheck(op)`: 0 takes a snapshot of the memory counters (free pages, kmem, pool items), 1 compares with it: 0 if every counter is back, else how far off (the kernel logs the detail); 2 and 3 do the same with a second snapshot, for one check inside the suite |
//! | 1099 | `ferrite_ktest(op, arg)`: hooks the in-kernel tests use from ring 3 |
//!
//! The user suite's runner brackets the whole suite with the leak check;
//! `ferrite_ktest` affects only the calling thread.

use super::{Errno, SysResult, SyscallCtx};
use crate::kern::mem::pool_registry;
use crate::kern::sched::mutex::Mutex;
use crate::kern::sched::spinlock::SpinLock;
use crate::ktest::leak::{self, Snapshot};
use alloc::vec::Vec;

/// The leak check (see the module comment).
pub const SYS_FERRITE_LEAKCHECK: u64 = 1001;
/// Test hooks (see `op`).
pub const SYS_FERRITE_KTEST: u64 = 1099;

/// Ferrite's private calls.
pub const SYSCALLS: super::table::SysList = &[
    crate::sys!(
        SYS_FERRITE_LEAKCHECK,
        "ferrite_leakcheck",
        sys_ferrite_leakcheck,
        [super::trace::Arg::Int]
    ),
    crate::sys!(
        SYS_FERRITE_KTEST,
        "ferrite_ktest",
        sys_ferrite_ktest,
        [super::trace::Arg::Int, super::trace::Arg::Hex]
    ),
];

/// The snapshot `ferrite_leakcheck(0)` took (and 2's).
static LEAK_SNAPSHOT: SpinLock<Option<Snapshot>> = SpinLock::new("leak-snapshot", None);
static CHECK_SNAPSHOT: SpinLock<Option<Snapshot>> = SpinLock::new("leak-snapshot2", None);
/// Items in use per pool at the snapshot (to name the pools that differ).
static LEAK_POOLS: Mutex<Vec<(&'static str, u64)>> = Mutex::new("leak-pools", Vec::new());
static CHECK_POOLS: Mutex<Vec<(&'static str, u64)>> = Mutex::new("leak-pools2", Vec::new());

fn pools_in_use() -> Vec<(&'static str, u64)> {
    pool_registry::pools()
        .map(|p| (p.name(), p.stats().in_use))
        .collect()
}

pub fn sys_ferrite_leakcheck(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (snap, pools) = match ctx.arg(0) {
        0 | 1 => (&LEAK_SNAPSHOT, &LEAK_POOLS),
        2 | 3 => (&CHECK_SNAPSHOT, &CHECK_POOLS),
        _ => return Err(Errno::EINVAL),
    };
    match ctx.arg(0) {
        0 | 2 => {
            *pools.lock() = pools_in_use();
            let now = leak::snapshot();
            *snap.lock() = Some(now);
            log::info!("leak check: snapshot taken: {now:?}");
            Ok(0)
        }
        _ => {
            let before = (*snap.lock()).ok_or(Errno::EINVAL)?;
            let after = leak::snapshot();
            match leak::compare(&before, &after) {
                Ok(()) => {
                    if ctx.arg(0) == 3 {
                        // A check's snapshot is done with: its pool list
                        // (made inside the suite's bracket) goes.
                        *snap.lock() = None;
                        *pools.lock() = Vec::new();
                    }
                    Ok(0)
                }
                Err(l) => {
                    log::warn!("{l}");
                    let pools = pools.lock();
                    for (name, now) in pools_in_use() {
                        let then = pools.iter().find(|b| b.0 == name).map_or(0, |b| b.1);
                        if then != now {
                            log::warn!("leak check: pool {name}: {then} -> {now} items in use");
                        }
                    }
                    drop(pools);
                    let off = |a: u64, b: u64| a.abs_diff(b);
                    Ok(off(before.available_pages, after.available_pages)
                        .max(off(before.pool_items, after.pool_items))
                        .max(off(
                            before.heap_allocations as u64,
                            after.heap_allocations as u64,
                        ))
                        .max(1) as usize)
                }
            }
        }
    }
}

/// `ferrite_ktest` operations.
pub mod op {
    /// Return `arg` unchanged (a null call with a value).
    pub const ECHO: u64 = 0;
    /// Return to user mode at `arg` (rip and rcx both set), so the exit
    /// path must choose between sysretq and iretq on that address.
    pub const RETURN_TO: u64 = 1;
    /// Sleep (interruptibly) for `arg` milliseconds; EINTR if interrupted.
    pub const SLEEP_MS: u64 = 2;
}

pub fn sys_ferrite_ktest(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let arg = ctx.arg(1);
    match ctx.arg(0) {
        op::ECHO => Ok(arg as usize),
        op::RETURN_TO => {
            ctx.frame.rip = arg;
            ctx.frame.rcx = arg;
            Ok(0)
        }
        op::SLEEP_MS => {
            let ticks = crate::kern::sched::sleepq::ms_to_ticks(arg);
            let chan = crate::kern::sched::sleepq::chan(&SYS_FERRITE_KTEST);
            match crate::kern::sched::sleepq::sleep(chan, true, Some(ticks)) {
                Err(crate::kern::sched::sleepq::SleepError::Interrupted) => Err(Errno::EINTR),
                _ => Ok(0),
            }
        }
        _ => Err(Errno::EINVAL),
    }
}
