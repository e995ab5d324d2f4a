//! The descriptor system calls (NetBSD's sys_descrip.c): close, dup,
//! dup2, dup3 and fcntl, with Linux's errors:
//!
//! - close: EBADF for a descriptor not open;
//! - dup2(fd, fd) returns fd if it is open (EBADF if not); dup3(fd, fd)
//!   is EINVAL, and dup3 takes only O_CLOEXEC (EINVAL otherwise); a
//!   target at or above RLIMIT_NOFILE is EBADF;
//! - fcntl: F_DUPFD / F_DUPFD_CLOEXEC (lowest free at or above the
//!   argument; EINVAL if the argument is at or above the limit),
//!   F_GETFD / F_SETFD (FD_CLOEXEC), F_GETFL / F_SETFL (O_APPEND and
//!   O_NONBLOCK change, the rest of the argument is ignored); EINVAL for
//!   other commands.
//!
//! Also the helpers every file call uses: `getfile` (the description
//! behind a descriptor of the current process) and `nofile_limit`.

use super::file::FileRef;
use crate::kern::proc::{Proc, curproc};
use crate::kern::syscall::{SysResult, SyscallCtx};
use ferrite_abi::Errno;
use ferrite_abi::fcntl::*;
use ferrite_abi::resource::RLIMIT_NOFILE;

/// The descriptor limit of `p` (RLIMIT_NOFILE's soft limit, capped to
/// what fits a descriptor).
pub fn nofile_limit(p: &Proc) -> usize {
    p.rlimit(RLIMIT_NOFILE).rlim_cur.min(i32::MAX as u64) as usize
}

/// The description behind descriptor `fd` of the current process.
pub fn getfile(fd: i32) -> Result<FileRef, Errno> {
    curproc().files.lock().get(fd)
}

/// Install `file` at the lowest free descriptor of the current process.
pub fn install_file(file: FileRef, cloexec: bool) -> Result<i32, Errno> {
    let p = curproc();
    let limit = nofile_limit(p);
    p.files.lock().alloc(file, cloexec, 0, limit)
}

pub fn sys_close(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let f = curproc().files.lock().close(ctx.arg(0) as i32)?;
    // The last reference goes outside the table lock.
    drop(f);
    Ok(0)
}

pub fn sys_dup(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let p = curproc();
    let limit = nofile_limit(p);
    let mut t = p.files.lock();
    let f = t.get(ctx.arg(0) as i32)?;
    t.alloc(f, false, 0, limit).map(|fd| fd as usize)
}

fn do_dup3(old: i32, new: i32, cloexec: bool) -> SysResult {
    let p = curproc();
    let limit = nofile_limit(p);
    let mut t = p.files.lock();
    let f = t.get(old)?;
    let replaced = t.install(new, f, cloexec, limit)?;
    drop(t);
    drop(replaced);
    Ok(new as usize)
}

pub fn sys_dup2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (old, new) = (ctx.arg(0) as i32, ctx.arg(1) as i32);
    if old == new {
        return getfile(old).map(|_| new as usize);
    }
    do_dup3(old, new, false)
}

pub fn sys_dup3(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (old, new, flags) = (ctx.arg(0) as i32, ctx.arg(1) as i32, ctx.arg(2) as i32);
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    do_dup3(old, new, flags & O_CLOEXEC != 0)
}

pub fn sys_fcntl(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (fd, cmd, arg) = (ctx.arg(0) as i32, ctx.arg(1) as i32, ctx.arg(2));
    let p = curproc();
    let limit = nofile_limit(p);
    let mut t = p.files.lock();
    let f = t.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = arg as i32;
            if min < 0 || min as usize >= limit {
                return Err(Errno::EINVAL);
            }
            t.alloc(f, cmd == F_DUPFD_CLOEXEC, min as usize, limit)
                .map(|fd| fd as usize)
        }
        F_GETFD => Ok(if t.cloexec(fd)? {
            FD_CLOEXEC as usize
        } else {
            0
        }),
        F_SETFD => t.set_cloexec(fd, arg as i32 & FD_CLOEXEC != 0).map(|_| 0),
        F_GETFL => Ok(f.flags() as u32 as usize),
        F_SETFL => {
            f.set_status_flags(arg as i32);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The descriptor system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(nr::SYS_close, "close", sys_close, [Arg::Fd]),
        crate::sys!(nr::SYS_dup, "dup", sys_dup, [Arg::Fd]),
        crate::sys!(nr::SYS_dup2, "dup2", sys_dup2, [Arg::Fd, Arg::Fd]),
        crate::sys!(
            nr::SYS_dup3,
            "dup3",
            sys_dup3,
            [Arg::Fd, Arg::Fd, Arg::OpenFlags]
        ),
        crate::sys!(
            nr::SYS_fcntl,
            "fcntl",
            sys_fcntl,
            [Arg::Fd, Arg::Int, Arg::Hex]
        ),
    ]
};
