//! The file-system calls that work on names (NetBSD's vfs_syscalls.c):
//! open/openat/creat, mkdir(at), rmdir, unlink(at), rename(at, at2),
//! link(at), symlink(at), readlink(at), truncate/ftruncate, access/
//! faccessat/faccessat2, umask, lseek, getdents64, fsync/fdatasync.
//!
//! Paths come in through `copyin_path` (EFAULT, ENAMETOOLONG at PATH_MAX)
//! and are looked up from the process's current directory or an `*at`
//! call's directory descriptor (`start_dir`: AT_FDCWD, EBADF, ENOTDIR;
//! ignored for an absolute path). The errors follow Linux, including
//! its order where a call can fail several ways. New files and
//! directories get `mode & ~umask`.
//!
//! Not done: O_TMPFILE (EOPNOTSUPP); creating through a dangling symbolic
//! link with O_CREAT (ENOENT here; Linux creates the target).

use super::namei::{self, Last, Parent};
use super::vfs_vnops;
use super::vnode::{PATH_MAX, VnodeRef, amode};
use crate::kern::file::sys_descrip::{getfile, install_file};
use crate::kern::file::{File, FileKind};
use crate::kern::proc::curproc;
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy::{self, StrError};
use alloc::vec::Vec;
use ferrite_abi::Errno;
use ferrite_abi::fcntl::*;

/// Copy a path in from user memory (without its NUL; may be empty).
pub fn copyin_path(addr: u64) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(PATH_MAX).map_err(|_| Errno::ENOMEM)?;
    buf.resize(PATH_MAX, 0);
    match copy::copyinstr(addr, &mut buf) {
        Ok(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        Err(StrError::TooLong) => Err(Errno::ENAMETOOLONG),
        Err(StrError::Fault) => Err(Errno::EFAULT),
    }
}

/// A path that must not be empty (ENOENT).
fn path_arg(addr: u64) -> Result<Vec<u8>, Errno> {
    let p = copyin_path(addr)?;
    if p.is_empty() {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

/// The directory a relative `path` of an `*at` call starts from.
pub fn start_dir(dirfd: i32, path: &[u8]) -> Result<VnodeRef, Errno> {
    let (root, cwd) = namei::current_dirs();
    if path.first() == Some(&b'/') {
        return Ok(root);
    }
    if dirfd == AT_FDCWD {
        return Ok(cwd);
    }
    let f = getfile(dirfd)?;
    match f.vnode() {
        Some(v) if v.is_dir() => Ok(v.clone()),
        _ => Err(Errno::ENOTDIR),
    }
}

/// Look `path` up for an `*at` call.
pub fn lookup_at(dirfd: i32, path: &[u8], follow: bool) -> Result<VnodeRef, Errno> {
    let start = start_dir(dirfd, path)?;
    namei::lookup_at(&start, path, follow)
}

fn parent_at(dirfd: i32, path: &[u8]) -> Result<Parent, Errno> {
    let start = start_dir(dirfd, path)?;
    namei::lookup_parent_at(&start, path)
}

fn umask() -> u32 {
    curproc().umask()
}

/// The vnode open(2) opens: looked up, or with O_CREAT made if missing
/// (O_EXCL: EEXIST if not), following a symbolic link in the last
/// component unless O_NOFOLLOW. Unknown flags are ignored, as on Linux.
fn open_vnode(dirfd: i32, path: &[u8], flags: i32, mode: u32) -> Result<VnodeRef, Errno> {
    let follow = flags & O_NOFOLLOW == 0;
    if flags & O_CREAT == 0 {
        return lookup_at(dirfd, path, follow);
    }
    let excl = flags & O_EXCL != 0;
    let p = parent_at(dirfd, path)?;
    let name = match p.last {
        Last::Name(n) => n,
        // The path names a directory.
        _ => return Err(if excl { Errno::EEXIST } else { Errno::EISDIR }),
    };
    loop {
        match p.dir.lookup(&name) {
            Ok(v) => {
                if excl {
                    return Err(Errno::EEXIST);
                }
                if v.is_symlink() {
                    if !follow {
                        return Err(Errno::ELOOP);
                    }
                    return lookup_at(dirfd, path, true);
                }
                if p.trailing_slash && !v.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                return Ok(v);
            }
            Err(Errno::ENOENT) => {
                if p.trailing_slash {
                    return Err(Errno::EISDIR);
                }
                match p.dir.create(&name, mode & 0o7777 & !umask()) {
                    Ok(v) => return Ok(v),
                    // Another thread made it meanwhile: open that one.
                    Err(Errno::EEXIST) if !excl => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// openat(2) after the path is in.
pub fn do_open(dirfd: i32, path: &[u8], flags: i32, mode: u32) -> Result<usize, Errno> {
    if flags & __O_TMPFILE != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        return Err(Errno::EINVAL);
    }
    let v = open_vnode(dirfd, path, flags, mode)?;
    let acc = flags & O_ACCMODE;
    let writes = acc == O_WRONLY || acc == O_RDWR || flags & O_TRUNC != 0;
    if v.is_symlink() && flags & O_PATH == 0 {
        return Err(Errno::ELOOP);
    }
    if flags & O_DIRECTORY != 0 && !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if v.is_dir() && (writes || flags & O_CREAT != 0) && flags & O_PATH == 0 {
        return Err(Errno::EISDIR);
    }
    if flags & O_TRUNC != 0 && v.is_regular() && flags & O_PATH == 0 {
        v.truncate(0)?;
    }
    // O_PATH: a description that neither reads nor writes.
    let kept = if flags & O_PATH != 0 {
        (flags & !O_ACCMODE) | O_ACCMODE
    } else {
        flags
    };
    let file = File::new(FileKind::Vnode(v), kept);
    install_file(file, flags & O_CLOEXEC != 0).map(|fd| fd as usize)
}

pub fn sys_open(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_open(AT_FDCWD, &path, ctx.arg(1) as i32, ctx.arg(2) as u32)
}

pub fn sys_openat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(1))?;
    do_open(
        ctx.arg(0) as i32,
        &path,
        ctx.arg(2) as i32,
        ctx.arg(3) as u32,
    )
}

pub fn sys_creat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_open(
        AT_FDCWD,
        &path,
        O_CREAT | O_WRONLY | O_TRUNC,
        ctx.arg(1) as u32,
    )
}

fn do_mkdir(dirfd: i32, path: &[u8], mode: u32) -> SysResult {
    let p = parent_at(dirfd, path)?;
    match p.last {
        Last::Name(n) => p.dir.mkdir(&n, mode & 0o1777 & !umask()).map(|_| 0),
        _ => Err(Errno::EEXIST),
    }
}

pub fn sys_mkdir(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_mkdir(AT_FDCWD, &path, ctx.arg(1) as u32)
}

pub fn sys_mkdirat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(1))?;
    do_mkdir(ctx.arg(0) as i32, &path, ctx.arg(2) as u32)
}

fn do_rmdir(dirfd: i32, path: &[u8]) -> SysResult {
    let p = parent_at(dirfd, path)?;
    match p.last {
        Last::Name(n) => p.dir.rmdir(&n).map(|_| 0),
        Last::Dot => Err(Errno::EINVAL),
        Last::DotDot => Err(Errno::ENOTEMPTY),
        Last::Root => Err(Errno::EBUSY),
    }
}

fn do_unlink(dirfd: i32, path: &[u8]) -> SysResult {
    let p = parent_at(dirfd, path)?;
    match p.last {
        Last::Name(n) => {
            if p.trailing_slash {
                // "name/": a directory is EISDIR, anything else ENOTDIR.
                let v = p.dir.lookup(&n)?;
                return Err(if v.is_dir() {
                    Errno::EISDIR
                } else {
                    Errno::ENOTDIR
                });
            }
            p.dir.unlink(&n).map(|_| 0)
        }
        _ => Err(Errno::EISDIR),
    }
}

pub fn sys_rmdir(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_rmdir(AT_FDCWD, &path)
}

pub fn sys_unlink(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_unlink(AT_FDCWD, &path)
}

pub fn sys_unlinkat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(2) as i32;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(ctx.arg(1))?;
    if flags & AT_REMOVEDIR != 0 {
        do_rmdir(ctx.arg(0) as i32, &path)
    } else {
        do_unlink(ctx.arg(0) as i32, &path)
    }
}

/// renameat2's flags.
const RENAME_NOREPLACE: u32 = 1;

fn do_rename(olddfd: i32, old: &[u8], newdfd: i32, new: &[u8], flags: u32) -> SysResult {
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(Errno::EINVAL);
    }
    let noreplace = flags & RENAME_NOREPLACE != 0;
    let from = parent_at(olddfd, old)?;
    let to = parent_at(newdfd, new)?;
    let Last::Name(from_name) = &from.last else {
        return Err(Errno::EBUSY);
    };
    let Last::Name(to_name) = &to.last else {
        return Err(if noreplace {
            Errno::EEXIST
        } else {
            Errno::EBUSY
        });
    };
    let src = from.dir.lookup(from_name)?;
    if (from.trailing_slash || to.trailing_slash) && !src.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if src.mounted_here().is_some() {
        return Err(Errno::EBUSY);
    }
    if let Ok(dst) = to.dir.lookup(to_name)
        && dst.mounted_here().is_some()
    {
        return Err(Errno::EBUSY);
    }
    from.dir
        .rename(from_name, &to.dir, to_name, noreplace)
        .map(|_| 0)
}

pub fn sys_rename(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let old = path_arg(ctx.arg(0))?;
    let new = path_arg(ctx.arg(1))?;
    do_rename(AT_FDCWD, &old, AT_FDCWD, &new, 0)
}

pub fn sys_renameat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let old = path_arg(ctx.arg(1))?;
    let new = path_arg(ctx.arg(3))?;
    do_rename(ctx.arg(0) as i32, &old, ctx.arg(2) as i32, &new, 0)
}

pub fn sys_renameat2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let old = path_arg(ctx.arg(1))?;
    let new = path_arg(ctx.arg(3))?;
    do_rename(
        ctx.arg(0) as i32,
        &old,
        ctx.arg(2) as i32,
        &new,
        ctx.arg(4) as u32,
    )
}

fn do_link(olddfd: i32, old: &[u8], newdfd: i32, new: &[u8], flags: i32) -> SysResult {
    let src = lookup_at(olddfd, old, flags & AT_SYMLINK_FOLLOW != 0)?;
    if src.is_dir() {
        return Err(Errno::EPERM);
    }
    let p = parent_at(newdfd, new)?;
    match p.last {
        Last::Name(n) if !p.trailing_slash => p.dir.link(&n, &src).map(|_| 0),
        Last::Name(n) => match p.dir.lookup(&n) {
            Ok(_) => Err(Errno::EEXIST),
            Err(_) => Err(Errno::ENOENT),
        },
        _ => Err(Errno::EEXIST),
    }
}

pub fn sys_link(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let old = path_arg(ctx.arg(0))?;
    let new = path_arg(ctx.arg(1))?;
    do_link(AT_FDCWD, &old, AT_FDCWD, &new, 0)
}

pub fn sys_linkat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(4) as i32;
    if flags & !AT_SYMLINK_FOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let old = path_arg(ctx.arg(1))?;
    let new = path_arg(ctx.arg(3))?;
    do_link(ctx.arg(0) as i32, &old, ctx.arg(2) as i32, &new, flags)
}

fn do_symlink(target: &[u8], dirfd: i32, path: &[u8]) -> SysResult {
    let p = parent_at(dirfd, path)?;
    match p.last {
        Last::Name(n) => p.dir.symlink(&n, target).map(|_| 0),
        _ => Err(Errno::EEXIST),
    }
}

pub fn sys_symlink(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let target = path_arg(ctx.arg(0))?;
    let path = path_arg(ctx.arg(1))?;
    do_symlink(&target, AT_FDCWD, &path)
}

pub fn sys_symlinkat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let target = path_arg(ctx.arg(0))?;
    let path = path_arg(ctx.arg(2))?;
    do_symlink(&target, ctx.arg(1) as i32, &path)
}

fn do_readlink(dirfd: i32, path: &[u8], buf: u64, size: u64) -> SysResult {
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let v = lookup_at(dirfd, path, false)?;
    let target = v.readlink()?;
    let n = target.len().min(size as i32 as usize);
    copy::copyout(buf, &target[..n]).map_err(|_| Errno::EFAULT)?;
    Ok(n)
}

pub fn sys_readlink(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    do_readlink(AT_FDCWD, &path, ctx.arg(1), ctx.arg(2))
}

pub fn sys_readlinkat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(1))?;
    do_readlink(ctx.arg(0) as i32, &path, ctx.arg(2), ctx.arg(3))
}

pub fn sys_truncate(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = path_arg(ctx.arg(0))?;
    let len = ctx.arg(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let v = lookup_at(AT_FDCWD, &path, true)?;
    v.truncate(len as u64).map(|_| 0)
}

pub fn sys_ftruncate(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let len = ctx.arg(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let f = getfile(ctx.arg(0) as i32)?;
    match f.vnode() {
        Some(v) if v.is_regular() && f.writable() => v.truncate(len as u64).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}

fn do_access(dirfd: i32, path_addr: u64, mode: u32, flags: i32) -> SysResult {
    if mode & !(amode::R_OK | amode::W_OK | amode::X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = copyin_path(path_addr)?;
    let v = if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        start_dir(dirfd, &path)?
    } else {
        lookup_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    v.access(mode).map(|_| 0)
}

pub fn sys_access(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_access(AT_FDCWD, ctx.arg(0), ctx.arg(1) as u32, 0)
}

pub fn sys_faccessat(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_access(ctx.arg(0) as i32, ctx.arg(1), ctx.arg(2) as u32, 0)
}

pub fn sys_faccessat2(ctx: &mut SyscallCtx<'_>) -> SysResult {
    do_access(
        ctx.arg(0) as i32,
        ctx.arg(1),
        ctx.arg(2) as u32,
        ctx.arg(3) as i32,
    )
}

pub fn sys_umask(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(curproc().set_umask(ctx.arg(0) as u32 & 0o777) as usize)
}

pub fn sys_lseek(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let f = getfile(ctx.arg(0) as i32)?;
    f.seek(ctx.arg(1) as i64, ctx.arg(2) as i32)
        .map(|o| o as usize)
}

pub fn sys_getdents64(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let f = getfile(ctx.arg(0) as i32)?;
    let v = f.vnode().ok_or(Errno::ENOTDIR)?.clone();
    vfs_vnops::getdents(&f, &v, ctx.arg(1), ctx.arg(2) as u32 as usize)
}

/// fsync/fdatasync: RAM file systems have nothing to write back; EINVAL
/// for what cannot be synced (pipes, devices), as Linux.
pub fn sys_fsync(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let f = getfile(ctx.arg(0) as i32)?;
    match f.vnode() {
        Some(v) if v.is_regular() || v.is_dir() => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// The name-based file-system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(
            nr::SYS_open,
            "open",
            sys_open,
            [Arg::Str, Arg::OpenFlags, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_openat,
            "openat",
            sys_openat,
            [Arg::Fd, Arg::Str, Arg::OpenFlags, Arg::Hex]
        ),
        crate::sys!(nr::SYS_creat, "creat", sys_creat, [Arg::Str, Arg::Hex]),
        crate::sys!(nr::SYS_mkdir, "mkdir", sys_mkdir, [Arg::Str, Arg::Hex]),
        crate::sys!(
            nr::SYS_mkdirat,
            "mkdirat",
            sys_mkdirat,
            [Arg::Fd, Arg::Str, Arg::Hex]
        ),
        crate::sys!(nr::SYS_rmdir, "rmdir", sys_rmdir, [Arg::Str]),
        crate::sys!(nr::SYS_unlink, "unlink", sys_unlink, [Arg::Str]),
        crate::sys!(
            nr::SYS_unlinkat,
            "unlinkat",
            sys_unlinkat,
            [Arg::Fd, Arg::Str, Arg::Hex]
        ),
        crate::sys!(nr::SYS_rename, "rename", sys_rename, [Arg::Str, Arg::Str]),
        crate::sys!(
            nr::SYS_renameat,
            "renameat",
            sys_renameat,
            [Arg::Fd, Arg::Str, Arg::Fd, Arg::Str]
        ),
        crate::sys!(
            nr::SYS_renameat2,
            "renameat2",
            sys_renameat2,
            [Arg::Fd, Arg::Str, Arg::Fd, Arg::Str, Arg::Hex]
        ),
        crate::sys!(nr::SYS_link, "link", sys_link, [Arg::Str, Arg::Str]),
        crate::sys!(
            nr::SYS_linkat,
            "linkat",
            sys_linkat,
            [Arg::Fd, Arg::Str, Arg::Fd, Arg::Str, Arg::Hex]
        ),
        crate::sys!(
            nr::SYS_symlink,
            "symlink",
            sys_symlink,
            [Arg::Str, Arg::Str]
        ),
        crate::sys!(
            nr::SYS_symlinkat,
            "symlinkat",
            sys_symlinkat,
            [Arg::Str, Arg::Fd, Arg::Str]
        ),
        crate::sys!(
            nr::SYS_readlink,
            "readlink",
            sys_readlink,
            [Arg::Str, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_readlinkat,
            "readlinkat",
            sys_readlinkat,
            [Arg::Fd, Arg::Str, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_truncate,
            "truncate",
            sys_truncate,
            [Arg::Str, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_ftruncate,
            "ftruncate",
            sys_ftruncate,
            [Arg::Fd, Arg::Int]
        ),
        crate::sys!(nr::SYS_access, "access", sys_access, [Arg::Str, Arg::Int]),
        crate::sys!(
            nr::SYS_faccessat,
            "faccessat",
            sys_faccessat,
            [Arg::Fd, Arg::Str, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_faccessat2,
            "faccessat2",
            sys_faccessat2,
            [Arg::Fd, Arg::Str, Arg::Int, Arg::Hex]
        ),
        crate::sys!(nr::SYS_umask, "umask", sys_umask, [Arg::Hex]),
        crate::sys!(
            nr::SYS_lseek,
            "lseek",
            sys_lseek,
            [Arg::Fd, Arg::Int, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_getdents64,
            "getdents64",
            sys_getdents64,
            [Arg::Fd, Arg::Hex, Arg::Int]
        ),
        crate::sys!(nr::SYS_fsync, "fsync", sys_fsync, [Arg::Fd]),
        crate::sys!(nr::SYS_fdatasync, "fdatasync", sys_fsync, [Arg::Fd]),
    ]
};
