//! Resources of a process (NetBSD's kern_resource.c): limits (`rlimit`:
//! getrlimit, setrlimit, prlimit64), usage (`usage`: getrusage, times) and
//! scheduling priority (`priority`: getpriority, setpriority).

pub mod priority;
pub mod rlimit;
mod tests;
pub mod usage;

/// The resource system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(
            nr::SYS_getrlimit,
            "getrlimit",
            rlimit::sys_getrlimit,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_setrlimit,
            "setrlimit",
            rlimit::sys_setrlimit,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_prlimit64,
            "prlimit64",
            rlimit::sys_prlimit64,
            [Arg::Int, Arg::Int, Arg::Hex, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_getrusage,
            "getrusage",
            usage::sys_getrusage,
            [Arg::Int, Arg::Hex]
        ),
        crate::sys!(nr::SYS_times, "times", usage::sys_times, [Arg::Hex]),
        crate::sys!(
            nr::SYS_getpriority,
            "getpriority",
            priority::sys_getpriority,
            [Arg::Int, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_setpriority,
            "setpriority",
            priority::sys_setpriority,
            [Arg::Int, Arg::Int, Arg::Int]
        ),
    ]
};
