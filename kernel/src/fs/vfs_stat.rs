//! The stat family (NetBSD's vfs_syscalls.c stat calls, Linux's
//! fs/stat.c): stat, lstat, fstat and newfstatat, copying the kernel's
//! `struct stat` (the x86_64 layout of `ferrite_abi::Stat`) out.
//!
//! newfstatat takes AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (an empty path
//! means the directory descriptor itself, AT_FDCWD the current directory;
//! a NULL path counts as empty then, as on recent Linux) and
//! AT_NO_AUTOMOUNT (nothing automounts here); any other flag is EINVAL.

use super::vfs_syscalls::{copyin_path, lookup_at, start_dir};
use crate::kern::file::sys_descrip::getfile;
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use ferrite_abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW};
use ferrite_abi::{Errno, Stat};

fn copyout_stat(addr: u64, st: &Stat) -> SysResult {
    copy::copyout(addr, &st.to_bytes()).map_err(|_| Errno::EFAULT)?;
    Ok(0)
}

/// fstatat after the arguments are checked.
fn do_fstatat(dirfd: i32, path_addr: u64, buf: u64, flags: i32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = if path_addr == 0 && flags & AT_EMPTY_PATH != 0 {
        alloc::vec::Vec::new()
    } else {
        copyin_path(path_addr)?
    };
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == AT_FDCWD {
            return copyout_stat(buf, &start_dir(dirfd, &path)?.getattr());
        }
        return copyout_stat(buf, &getfile(dirfd)?.stat());
    }
    let v = lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    copyout_stat(buf, &v.getattr())
}

pub fn sys_stat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_fstatat(AT_FDCWD, ctx.arg(0), ctx.arg(1), 0)
}

pub fn sys_lstat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_fstatat(AT_FDCWD, ctx.arg(0), ctx.arg(1), AT_SYMLINK_NOFOLLOW)
}

pub fn sys_fstat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let st = getfile(ctx.arg(0) as i32)?.stat();
    copyout_stat(ctx.arg(1), &st)
}

pub fn sys_newfstatat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_fstatat(ctx.arg(0) as i32, ctx.arg(1), ctx.arg(2), ctx.arg(3) as i32)
}

/// The stat calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(nr::SYS_stat, "stat", sys_stat, [Arg::Str, Arg::Hex]),
        crate::sys!(nr::SYS_fstat, "fstat", sys_fstat, [Arg::Fd, Arg::Hex]),
        crate::sys!(nr::SYS_lstat, "lstat", sys_lstat, [Arg::Str, Arg::Hex]),
        crate::sys!(
            nr::SYS_newfstatat,
            "newfstatat",
            sys_newfstatat,
            [Arg::Fd, Arg::Str, Arg::Hex, Arg::Hex]
        ),
    ]
};
