//! The system-call table (NetBSD's syscalls.master): Linux x86_64 numbers
//! to handlers, with how to print each argument when tracing. Handlers
//! live with the subsystem they belong to; this file only lists them.

use super::trace::Arg;
use super::{SysResult, SyscallCtx};
use ferrite_abi::syscall as nr;

/// One implemented system call.
pub struct SysEnt {
    pub name: &'static str,
    pub handler: fn(&mut SyscallCtx<'_>) -> SysResult,
    /// How to print the arguments (their number is the slice's length).
    pub args: &'static [Arg],
}

/// Table size: every Linux number fits, and Ferrite's private calls
/// (`ferrite::FIRST`..) too.
pub const NSYSENT: usize = 1100;

macro_rules! ent {
    ($name:expr, $h:expr, [$($a:expr),*]) => {
        Some(SysEnt { name: $name, handler: $h, args: &[$($a),*] })
    };
}

static TABLE: [Option<SysEnt>; NSYSENT] = {
    let mut t = [const { None }; NSYSENT];
    use crate::kern::sched::sched as s;
    use crate::kern::sched::lwp;
    use super::ferrite as f;
    t[nr::SYS_sched_yield as usize] = ent!("sched_yield", s::sys_sched_yield, []);
    t[nr::SYS_getpid as usize] = ent!("getpid", lwp::sys_gettid, []);
    t[nr::SYS_gettid as usize] = ent!("gettid", lwp::sys_gettid, []);
    t[nr::SYS_getppid as usize] = ent!("getppid", lwp::sys_getppid, []);
    t[nr::SYS_exit as usize] = ent!("exit", lwp::sys_exit, [Arg::Int]);
    t[nr::SYS_exit_group as usize] = ent!("exit_group", lwp::sys_exit, [Arg::Int]);
    t[f::SYS_FERRITE_KTEST as usize] = ent!("ferrite_ktest", f::sys_ferrite_ktest, [Arg::Int, Arg::Hex]);
    t
};

/// The entry for `nr`, if implemented.
pub fn lookup(nr: u64) -> Option<&'static SysEnt> {
    TABLE.get(nr as usize).and_then(|e| e.as_ref())
}
