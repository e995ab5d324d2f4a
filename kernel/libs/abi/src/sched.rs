//! clone(2)/clone3/unshare flags (include/uapi/linux/sched.h). In clone's
//! `flags` the low byte (`CSIGNAL`) is the signal sent to the parent when
//! the child exits; `CLONE_NEWTIME` shares that byte and is only valid for
//! clone3 and unshare.

use core::fmt;

use crate::flagfmt::{Flags, names};

/// Mask of the exit signal in clone's flags.
pub const CSIGNAL: u64 = 0x0000_00ff;
/// New time namespace (clone3/unshare only).
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
/// Share the address space.
pub const CLONE_VM: u64 = 0x0000_0100;
/// Share the filesystem information (root, cwd, umask).
pub const CLONE_FS: u64 = 0x0000_0200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x0000_0400;
/// Share the signal handlers.
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
/// Return a pidfd.
pub const CLONE_PIDFD: u64 = 0x0000_1000;
/// Trace the child too if the parent is traced.
pub const CLONE_PTRACE: u64 = 0x0000_2000;
/// Suspend the parent until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x0000_4000;
/// The child's parent is the caller's parent.
pub const CLONE_PARENT: u64 = 0x0000_8000;
/// Same thread group (a thread).
pub const CLONE_THREAD: u64 = 0x0001_0000;
/// New mount namespace.
pub const CLONE_NEWNS: u64 = 0x0002_0000;
/// Share System V semaphore undo lists.
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
/// Set the TLS (FS base) of the child.
pub const CLONE_SETTLS: u64 = 0x0008_0000;
/// Store the child's TID in the parent's memory.
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
/// Clear the child's TID in its memory at exit and wake a futex there.
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
/// Ignored.
pub const CLONE_DETACHED: u64 = 0x0040_0000;
/// The tracer cannot force CLONE_PTRACE.
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
/// Store the child's TID in the child's memory.
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// New cgroup namespace.
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
/// New UTS namespace.
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
/// New IPC namespace.
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
/// New user namespace.
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
/// New PID namespace.
pub const CLONE_NEWPID: u64 = 0x2000_0000;
/// New network namespace.
pub const CLONE_NEWNET: u64 = 0x4000_0000;
/// Share the I/O context.
pub const CLONE_IO: u64 = 0x8000_0000;
/// clone3: reset the child's handlers to default.
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// clone3: start the child in the given cgroup.
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

const CLONE_NAMES: &[(u64, &str)] = names!(u64;
    CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK,
    CLONE_PARENT, CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID,
    CLONE_CHILD_CLEARTID, CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP,
    CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_IO,
    CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP);

/// clone's flags as strace prints them: the flags, then the exit signal
/// (`CLONE_VM|CLONE_VFORK|SIGCHLD`); `0` when both are empty.
#[derive(Clone, Copy, Debug)]
pub struct CloneFlags(pub u64);

impl fmt::Display for CloneFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sig = (self.0 & CSIGNAL) as i32;
        let flags = Flags::new(self.0 & !CSIGNAL, CLONE_NAMES, "");
        let wrote = flags.write_parts(f, false)?;
        if sig != 0 {
            if wrote {
                f.write_str("|")?;
            }
            match crate::signal::signal_name(sig) {
                Some(n) => f.write_str(n)?,
                None => write!(f, "{sig}")?,
            }
        } else if !wrote {
            f.write_str("0")?;
        }
        Ok(())
    }
}

/// clone's flags, e.g. `CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|
/// CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|
/// CLONE_CHILD_CLEARTID`.
pub fn fmt_clone_flags(flags: u64) -> CloneFlags {
    CloneFlags(flags)
}
