//! The current directory (NetBSD's vfs_getcwd.c and the chdir calls):
//! getcwd, chdir and fchdir.
//!
//! getcwd finds the path of a directory by walking up: at each step the
//! directory's name is searched in its parent (`..`) by inode number, and
//! the root of a mounted file system first steps back to the directory it
//! covers. A directory that was removed has no path (ENOENT); a buffer too
//! small for the path and its NUL is ERANGE; the call returns the length
//! with the NUL, as Linux's system call does.

use super::namei;
use super::vnode::{self, DirEntry, PATH_MAX, VnodeRef};
use crate::kern::file::sys_descrip::getfile;
use crate::kern::proc::curproc;
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use alloc::vec::Vec;
use ferrite_abi::Errno;

/// The name of `child` in directory `dir`.
fn name_in(dir: &VnodeRef, child: &VnodeRef) -> Result<Vec<u8>, Errno> {
    let mut found: Option<Vec<u8>> = None;
    let mut cookie = 0;
    loop {
        let mut progressed = false;
        let next = dir.readdir(cookie, &mut |e: &DirEntry<'_>| {
            progressed = true;
            if e.ino == child.ino() && e.name != b"." && e.name != b".." {
                let mut n = Vec::new();
                if n.try_reserve_exact(e.name.len()).is_ok() {
                    n.extend_from_slice(e.name);
                    found = Some(n);
                }
                return false;
            }
            true
        })?;
        if let Some(n) = found.take() {
            // Inode numbers could repeat across file systems: make sure.
            if dir.lookup(&n).is_ok_and(|v| vnode::same(&v, child)) {
                return Ok(n);
            }
            cookie = next + 1;
            continue;
        }
        if !progressed || next == cookie {
            return Err(Errno::ENOENT);
        }
        cookie = next;
    }
}

/// The absolute path of directory `dir` in the tree under `root`.
pub fn path_of(root: &VnodeRef, dir: &VnodeRef) -> Result<Vec<u8>, Errno> {
    if dir.getattr().st_nlink == 0 {
        return Err(Errno::ENOENT);
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut total = 0;
    let mut cur = dir.clone();
    while !vnode::same(&cur, root) {
        if let Some(covered) = cur.covered() {
            cur = covered;
            continue;
        }
        let parent = cur.lookup(b"..")?;
        if vnode::same(&parent, &cur) {
            // A file system root that is not mounted under `root`.
            return Err(Errno::ENOENT);
        }
        let n = name_in(&parent, &cur)?;
        total += n.len() + 1;
        if total >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        names.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        names.push(n);
        cur = parent;
    }
    let mut path = Vec::new();
    path.try_reserve_exact(total.max(1))
        .map_err(|_| Errno::ENOMEM)?;
    if names.is_empty() {
        path.push(b'/');
    }
    for n in names.iter().rev() {
        path.push(b'/');
        path.extend_from_slice(n);
    }
    Ok(path)
}

pub fn sys_getcwd(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (buf, size) = (ctx.arg(0), ctx.arg(1) as usize);
    let (root, cwd) = namei::current_dirs();
    let mut path = path_of(&root, &cwd)?;
    if path.len() + 1 > size {
        return Err(Errno::ERANGE);
    }
    path.push(0);
    copy::copyout(buf, &path).map_err(|_| Errno::EFAULT)?;
    Ok(path.len())
}

fn set_cwd(v: VnodeRef) -> SysResult {
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    curproc().set_cwd(v);
    Ok(0)
}

pub fn sys_chdir(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let path = super::vfs_syscalls::copyin_path(ctx.arg(0))?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    set_cwd(namei::lookup(&path, true)?)
}

pub fn sys_fchdir(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let f = getfile(ctx.arg(0) as i32)?;
    let v = f.vnode().ok_or(Errno::ENOTDIR)?.clone();
    set_cwd(v)
}

/// The current-directory calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(nr::SYS_getcwd, "getcwd", sys_getcwd, [Arg::Hex, Arg::Int]),
        crate::sys!(nr::SYS_chdir, "chdir", sys_chdir, [Arg::Str]),
        crate::sys!(nr::SYS_fchdir, "fchdir", sys_fchdir, [Arg::Fd]),
    ]
};
