//! Ferrite's private system calls, numbered above Linux's range so no
//! Linux program calls them by accident (on Linux they return ENOSYS):
//!
//! | number | call |
//! |---|---|
//! | 1099 | `ferrite_ktest(op, arg)`: hooks the in-kernel tests use from ring 3 |
//!
//! Each affects only the calling thread.

use super::{Errno, SysResult, SyscallCtx};

/// Test hooks (see `op`).
pub const SYS_FERRITE_KTEST: u64 = 1099;

/// Ferrite's private calls.
pub const SYSCALLS: super::table::SysList = &[crate::sys!(
    SYS_FERRITE_KTEST,
    "ferrite_ktest",
    sys_ferrite_ktest,
    [super::trace::Arg::Int, super::trace::Arg::Hex]
)];

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
