//! The identity system calls (NetBSD's kern_prot.c and friends): process
//! and thread IDs, process groups and sessions, credentials (everything
//! runs as root: the set* calls accept the current values), the TLS bases
//! (arch_prctl) and set_tid_address.

use super::proc::{Pid, curproc, curproc_opt};
use super::ptable::{self, PState};
use crate::arch::x86_64::{percpu, usermode};
use crate::kern::sched::curlwp;
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy;
use core::sync::atomic::Ordering;
use ferrite_abi::arch_prctl as ap;
use ferrite_abi::syscall as nr;

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(nr::SYS_getpid, "getpid", sys_getpid, []),
    crate::sys!(nr::SYS_getppid, "getppid", sys_getppid, []),
    crate::sys!(nr::SYS_gettid, "gettid", sys_gettid, []),
    crate::sys!(
        nr::SYS_set_tid_address,
        "set_tid_address",
        sys_set_tid_address,
        [Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_arch_prctl,
        "arch_prctl",
        sys_arch_prctl,
        [Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_setpgid,
        "setpgid",
        sys_setpgid,
        [Arg::Int, Arg::Int]
    ),
    crate::sys!(nr::SYS_getpgid, "getpgid", sys_getpgid, [Arg::Int]),
    crate::sys!(nr::SYS_getpgrp, "getpgrp", sys_getpgrp, []),
    crate::sys!(nr::SYS_setsid, "setsid", sys_setsid, []),
    crate::sys!(nr::SYS_getsid, "getsid", sys_getsid, [Arg::Int]),
    crate::sys!(nr::SYS_getuid, "getuid", sys_zero, []),
    crate::sys!(nr::SYS_geteuid, "geteuid", sys_zero, []),
    crate::sys!(nr::SYS_getgid, "getgid", sys_zero, []),
    crate::sys!(nr::SYS_getegid, "getegid", sys_zero, []),
    crate::sys!(
        nr::SYS_getgroups,
        "getgroups",
        sys_getgroups,
        [Arg::Int, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_setgroups,
        "setgroups",
        sys_setgroups,
        [Arg::Int, Arg::Hex]
    ),
    crate::sys!(nr::SYS_setuid, "setuid", sys_set_id1, [Arg::Int]),
    crate::sys!(nr::SYS_setgid, "setgid", sys_set_id1, [Arg::Int]),
    crate::sys!(
        nr::SYS_setreuid,
        "setreuid",
        sys_set_id2,
        [Arg::Int, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_setregid,
        "setregid",
        sys_set_id2,
        [Arg::Int, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_setresuid,
        "setresuid",
        sys_set_id3,
        [Arg::Int, Arg::Int, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_setresgid,
        "setresgid",
        sys_set_id3,
        [Arg::Int, Arg::Int, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_getresuid,
        "getresuid",
        sys_getres,
        [Arg::Hex, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_getresgid,
        "getresgid",
        sys_getres,
        [Arg::Hex, Arg::Hex, Arg::Hex]
    ),
];

/// The caller's PID (for a thread of the kernel's ring-3 tests, which has
/// no process, its thread number).
fn my_pid() -> Pid {
    match curproc_opt() {
        Some(p) => p.pid(),
        None => curlwp().id().index() + 1,
    }
}

/// getpid(2).
pub fn sys_getpid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(my_pid() as usize)
}

/// gettid(2): one thread per process, so the PID.
pub fn sys_gettid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(my_pid() as usize)
}

/// getppid(2).
pub fn sys_getppid(_: &mut SyscallCtx<'_>) -> SysResult {
    let Some(p) = curproc_opt() else {
        return Ok(0);
    };
    // The process's copy of its table link: no table lock on this path.
    Ok(p.ppid() as usize)
}

/// set_tid_address(tidptr): remember it (cleared at exit); returns the tid.
pub fn sys_set_tid_address(ctx: &mut SyscallCtx<'_>) -> SysResult {
    curlwp()
        .clear_child_tid
        .store(ctx.arg(0), Ordering::Relaxed);
    Ok(my_pid() as usize)
}

/// arch_prctl(code, addr): the FS and GS bases of the thread (user TLS).
pub fn sys_arch_prctl(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (code, addr) = (ctx.arg(0) as i32, ctx.arg(1));
    let l = curlwp();
    match code {
        ap::ARCH_SET_FS | ap::ARCH_SET_GS => {
            if !usermode::is_user_addr(addr) {
                return Err(Errno::EPERM);
            }
            if code == ap::ARCH_SET_FS {
                l.md.fs_base.store(addr, Ordering::Relaxed);
                percpu::set_fs_base(addr);
            } else {
                l.md.gs_base.store(addr, Ordering::Relaxed);
                percpu::set_user_gs_base(addr);
            }
            Ok(0)
        }
        ap::ARCH_GET_FS | ap::ARCH_GET_GS => {
            let v = if code == ap::ARCH_GET_FS {
                l.md.fs_base.load(Ordering::Relaxed)
            } else {
                l.md.gs_base.load(Ordering::Relaxed)
            };
            copy::copyout_u64(addr, v).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// setpgid(pid, pgid), with POSIX's rules: the caller or one of its
/// children, in the caller's session, not a session leader, into a group
/// of the same session (or a new one named after the process).
pub fn sys_setpgid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (pid, pgid) = (ctx.arg(0) as i32, ctx.arg(1) as i32);
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = curproc().pid();
    let pid = if pid == 0 { me } else { pid as Pid };
    let pgid = if pgid == 0 { pid } else { pgid as Pid };
    let mut t = ptable::lock();
    let my_sid = t.get(me).ok_or(Errno::ESRCH)?.sid;
    let target = t.get(pid).ok_or(Errno::ESRCH)?;
    if pid != me && target.parent != me {
        return Err(Errno::ESRCH);
    }
    if target.state == PState::Zombie {
        return Err(Errno::ESRCH);
    }
    if target.sid != my_sid {
        return Err(Errno::EPERM);
    }
    if target.sid == pid {
        return Err(Errno::EPERM); // a session leader
    }
    if pgid != pid && !t.pgrp_in_session(pgid, my_sid) {
        return Err(Errno::EPERM);
    }
    t.set_pgrp(pid, pgid)?;
    Ok(0)
}

fn target_of(pid: i32) -> Result<Pid, Errno> {
    match pid {
        0 => Ok(curproc().pid()),
        p if p > 0 => Ok(p as Pid),
        _ => Err(Errno::ESRCH),
    }
}

/// getpgid(pid).
pub fn sys_getpgid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let pid = target_of(ctx.arg(0) as i32)?;
    ptable::lock()
        .get(pid)
        .map(|s| s.pgid as usize)
        .ok_or(Errno::ESRCH)
}

/// getpgrp(2).
pub fn sys_getpgrp(_: &mut SyscallCtx<'_>) -> SysResult {
    let pid = curproc().pid();
    ptable::lock()
        .get(pid)
        .map(|s| s.pgid as usize)
        .ok_or(Errno::ESRCH)
}

/// setsid(2): a new session and group led by the caller (EPERM for a group
/// leader).
pub fn sys_setsid(_: &mut SyscallCtx<'_>) -> SysResult {
    let pid = curproc().pid();
    let mut t = ptable::lock();
    if t.get(pid).is_some_and(|s| s.pgid == pid) || t.pgrp_exists(pid) {
        return Err(Errno::EPERM);
    }
    t.new_session(pid)?;
    Ok(pid as usize)
}

/// getsid(pid).
pub fn sys_getsid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let pid = target_of(ctx.arg(0) as i32)?;
    ptable::lock()
        .get(pid)
        .map(|s| s.sid as usize)
        .ok_or(Errno::ESRCH)
}

/// getuid & co.: root.
pub fn sys_zero(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(0)
}

/// getgroups(size, list): no supplementary groups.
pub fn sys_getgroups(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if (ctx.arg(0) as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// setgroups(size, list): only the empty list (the current one).
pub fn sys_setgroups(ctx: &mut SyscallCtx<'_>) -> SysResult {
    match ctx.arg(0) as i64 {
        0 => Ok(0),
        n if !(0..=65536).contains(&n) => Err(Errno::EINVAL),
        _ => Err(Errno::EPERM),
    }
}

/// An ID argument that keeps the current value: root's 0, or -1.
fn keeps(v: u64) -> bool {
    v as u32 == 0 || v as u32 == u32::MAX
}

/// setuid(uid) / setgid(gid): only the current value, 0.
pub fn sys_set_id1(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(0) as u32 == 0 {
        Ok(0)
    } else {
        Err(Errno::EPERM)
    }
}

/// setreuid / setregid.
pub fn sys_set_id2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if keeps(ctx.arg(0)) && keeps(ctx.arg(1)) {
        Ok(0)
    } else {
        Err(Errno::EPERM)
    }
}

/// setresuid / setresgid.
pub fn sys_set_id3(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if keeps(ctx.arg(0)) && keeps(ctx.arg(1)) && keeps(ctx.arg(2)) {
        Ok(0)
    } else {
        Err(Errno::EPERM)
    }
}

/// getresuid / getresgid: all three are 0.
pub fn sys_getres(ctx: &mut SyscallCtx<'_>) -> SysResult {
    for i in 0..3 {
        copy::copyout(ctx.arg(i), &0u32.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
    }
    Ok(0)
}
