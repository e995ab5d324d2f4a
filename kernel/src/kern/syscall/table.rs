//! The system-call table (NetBSD's syscalls.master): Linux x86_64 numbers
//! to handlers, with how to print each argument when tracing.
//!
//! Handlers live with the subsystem they belong to; each subsystem lists
//! its calls in a `SYSCALLS` slice of `(number, SysEnt)` pairs, and this
//! file merges the lists into one array indexed by number, at compile time
//! (a number listed twice stops the build).

use super::trace::Arg;
use super::{SysResult, SyscallCtx};

/// One implemented system call.
#[derive(Clone, Copy)]
pub struct SysEnt {
    pub name: &'static str,
    pub handler: fn(&mut SyscallCtx<'_>) -> SysResult,
    /// How to print the arguments (their number is the slice's length).
    pub args: &'static [Arg],
}

/// A subsystem's list of calls.
pub type SysList = &'static [(u64, SysEnt)];

/// Build a `(number, SysEnt)` pair: `sys!(nr, "name", handler, [Arg, ...])`.
#[macro_export]
macro_rules! sys {
    ($nr:expr, $name:expr, $h:expr, [$($a:expr),*]) => {
        ($nr as u64, $crate::kern::syscall::table::SysEnt {
            name: $name,
            handler: $h,
            args: &[$($a),*],
        })
    };
}

/// Table size: every Linux number fits, and Ferrite's private calls
/// (`ferrite::FIRST`..) too.
pub const NSYSENT: usize = 1100;

/// Every subsystem's list.
const LISTS: &[SysList] = &[
    crate::kern::sched::sched::SYSCALLS,
    crate::kern::proc::exec::SYSCALLS,
    crate::kern::proc::exit::SYSCALLS,
    crate::kern::proc::fork::SYSCALLS,
    crate::kern::proc::sys_id::SYSCALLS,
    crate::kern::proc::cap::SYSCALLS,
    crate::kern::ptrace::SYSCALLS,
    crate::kern::sig::sys::SYSCALLS,
    super::ferrite::SYSCALLS,
    crate::kern::time::SYSCALLS,
    crate::kern::random::SYSCALLS,
    crate::kern::resource::SYSCALLS,
    crate::kern::sys_misc::SYSCALLS,
    crate::kern::file::sys_descrip::SYSCALLS,
    crate::kern::file::sys_generic::SYSCALLS,
    crate::kern::file::pipe::SYSCALLS,
    crate::kern::file::poll::SYSCALLS,
    crate::kern::file::sendfile::SYSCALLS,
    crate::fs::vfs_syscalls::SYSCALLS,
    crate::fs::vfs_stat::SYSCALLS,
    crate::fs::vfs_getcwd::SYSCALLS,
    crate::uvm::mmap::SYSCALLS,
];

const fn build(lists: &[SysList]) -> [Option<SysEnt>; NSYSENT] {
    let mut t = [None; NSYSENT];
    let mut i = 0;
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            let (nr, e) = lists[i][j];
            assert!((nr as usize) < NSYSENT, "system call number out of range");
            assert!(t[nr as usize].is_none(), "system call listed twice");
            t[nr as usize] = Some(e);
            j += 1;
        }
        i += 1;
    }
    t
}

static TABLE: [Option<SysEnt>; NSYSENT] = build(LISTS);

/// The entry for `nr`, if implemented.
pub fn lookup(nr: u64) -> Option<&'static SysEnt> {
    TABLE.get(nr as usize).and_then(|e| e.as_ref())
}

/// Implemented calls (for tests and the ENOSYS report).
pub fn implemented() -> impl Iterator<Item = (u64, &'static SysEnt)> {
    TABLE
        .iter()
        .enumerate()
        .filter_map(|(n, e)| e.as_ref().map(|e| (n as u64, e)))
}
