//! What the system says about itself: uname (its name and version) and
//! sysinfo (uptime, memory, thread count), as Linux reports them.
//!
//! This module owns the identity strings; the figures sysinfo reports come
//! from their owners (`time`, `uvm::physmem`, the scheduler) and are only
//! read here.
//!
//! The system name is "Ferrite", which user programs (the userland tests)
//! use to know where they run; the release is the kernel crate's version,
//! a number as musl and Rust expect it to be. The host name cannot be set
//! (sethostname is not implemented), so it is fixed.

use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::kern::time::clock::NSEC_PER_SEC;
use crate::kern::ucopy::copyout_plain;
use crate::pmap::direct::PAGE_SIZE;
use crate::uvm::physmem;
use ferrite_abi::{Sysinfo, Utsname, uts_field};

pub const SYSNAME: &str = "Ferrite";
pub const NODENAME: &str = "ferrite";
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");
pub const VERSION: &str = concat!("#1 Ferrite ", env!("CARGO_PKG_VERSION"));
pub const MACHINE: &str = "x86_64";
/// Linux's name for "no NIS domain".
pub const DOMAINNAME: &str = "(none)";

/// The system's `struct new_utsname`.
pub fn utsname() -> Utsname {
    Utsname {
        sysname: uts_field(SYSNAME),
        nodename: uts_field(NODENAME),
        release: uts_field(RELEASE),
        version: uts_field(VERSION),
        machine: uts_field(MACHINE),
        domainname: uts_field(DOMAINNAME),
    }
}

/// uname(buf).
pub fn sys_uname(ctx: &mut SyscallCtx<'_>) -> SysResult {
    copyout_plain(ctx.arg(0), &utsname())?;
    Ok(0)
}

/// The system's `struct sysinfo`: memory in bytes (`mem_unit` 1, as
/// Linux reports on 64-bit machines), uptime in whole seconds rounded up
/// (as Linux does), `procs` the number of threads (Linux's nr_threads,
/// kernel threads included). No load average is kept and there is no
/// swap: those are zero.
pub fn sysinfo() -> Sysinfo {
    let up = crate::kern::time::uptime_ns();
    let mem = physmem::stats();
    Sysinfo {
        uptime: up.div_ceil(NSEC_PER_SEC) as i64,
        totalram: mem.managed() * PAGE_SIZE,
        freeram: mem.free() * PAGE_SIZE,
        procs: crate::kern::sched::sched::nlwps().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Sysinfo::default()
    }
}

/// sysinfo(info).
pub fn sys_sysinfo(ctx: &mut SyscallCtx<'_>) -> SysResult {
    copyout_plain(ctx.arg(0), &sysinfo())?;
    Ok(0)
}

/// The system-information calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(nr::SYS_uname, "uname", sys_uname, [Arg::Hex]),
        crate::sys!(nr::SYS_sysinfo, "sysinfo", sys_sysinfo, [Arg::Hex]),
    ]
};
