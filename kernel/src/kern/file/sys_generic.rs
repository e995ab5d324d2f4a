//! The generic I/O system calls (NetBSD's sys_generic.c): read, write,
//! readv, writev, pread64, pwrite64 and ioctl, on any open file.
//!
//! Each builds an I/O descriptor over the caller's buffer (a buffer
//! outside the user half is EFAULT before anything moves; readv/writev
//! take at most UIO_MAXIOV segments, EINVAL beyond, and a negative
//! segment length is EINVAL), finds the description (EBADF) and lets it
//! move the bytes. A transfer cut short by a fault returns what moved.
//!
//! ioctl handles the requests that concern the descriptor or the
//! description rather than the file: FIONBIO (O_NONBLOCK), FIOCLEX and
//! FIONCLEX (close-on-exec); the rest goes to the file (a terminal's
//! ioctls, FIONREAD), ENOTTY where it means nothing.

use super::sys_descrip::getfile;
use crate::fs::uio::{Dir, UIO_MAXIOV, Uio};
use crate::kern::proc::curproc;
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use alloc::vec::Vec;
use ferrite_abi::ioctl::{FIOCLEX, FIONBIO, FIONCLEX};
use ferrite_abi::{Errno, Iovec, Plain};

/// Copy in an iovec array of `cnt` entries (EINVAL above UIO_MAXIOV).
fn copyin_iovec(addr: u64, cnt: u64) -> Result<Vec<Iovec>, Errno> {
    if cnt > UIO_MAXIOV as u64 {
        return Err(Errno::EINVAL);
    }
    let cnt = cnt as usize;
    let mut bytes = [0u8; 16 * 64];
    let mut v = Vec::new();
    v.try_reserve_exact(cnt).map_err(|_| Errno::ENOMEM)?;
    let mut done = 0;
    while done < cnt {
        let n = (cnt - done).min(64);
        let b = &mut bytes[..n * Iovec::SIZE];
        copy::copyin(b, addr + (done * Iovec::SIZE) as u64).map_err(|_| Errno::EFAULT)?;
        v.extend(b.chunks_exact(Iovec::SIZE).map(Iovec::get));
        done += n;
    }
    Ok(v)
}

/// The offset argument of pread/pwrite (EINVAL if negative).
fn offset_arg(v: u64) -> Result<i64, Errno> {
    let off = v as i64;
    if off < 0 { Err(Errno::EINVAL) } else { Ok(off) }
}

/// The description behind `fd`, which must be open for `dir` (Linux's
/// order: EBADF before any check of the buffer).
fn file_for(fd: u64, dir: Dir) -> Result<super::file::FileRef, Errno> {
    let f = getfile(fd as i32)?;
    check_mode(&f, dir)?;
    Ok(f)
}

/// EBADF unless `f` is open for `dir`.
fn check_mode(f: &super::file::File, dir: Dir) -> Result<(), Errno> {
    let ok = match dir {
        Dir::Read => f.readable(),
        Dir::Write => f.writable(),
    };
    if ok { Ok(()) } else { Err(Errno::EBADF) }
}

fn rw(ctx: &SyscallCtx<'_>, dir: Dir) -> SysResult {
    let f = file_for(ctx.arg(0), dir)?;
    let mut uio = Uio::user(dir, ctx.arg(1), ctx.arg(2) as usize)?;
    match dir {
        Dir::Read => f.read(&mut uio),
        Dir::Write => f.write(&mut uio),
    }
}

fn rwv(ctx: &SyscallCtx<'_>, dir: Dir) -> SysResult {
    let f = file_for(ctx.arg(0), dir)?;
    let iov = copyin_iovec(ctx.arg(1), ctx.arg(2))?;
    let mut uio = Uio::user_vec(dir, iov)?;
    match dir {
        Dir::Read => f.read(&mut uio),
        Dir::Write => f.write(&mut uio),
    }
}

fn prw(ctx: &SyscallCtx<'_>, dir: Dir) -> SysResult {
    let off = offset_arg(ctx.arg(3))?;
    let f = getfile(ctx.arg(0) as i32)?;
    f.check_positional()?;
    check_mode(&f, dir)?;
    let mut uio = Uio::user(dir, ctx.arg(1), ctx.arg(2) as usize)?;
    match dir {
        Dir::Read => f.pread(&mut uio, off),
        Dir::Write => f.pwrite(&mut uio, off),
    }
}

pub fn sys_read(ctx: &mut SyscallCtx<'_>) -> SysResult {
    rw(ctx, Dir::Read)
}

pub fn sys_write(ctx: &mut SyscallCtx<'_>) -> SysResult {
    rw(ctx, Dir::Write)
}

pub fn sys_readv(ctx: &mut SyscallCtx<'_>) -> SysResult {
    rwv(ctx, Dir::Read)
}

pub fn sys_writev(ctx: &mut SyscallCtx<'_>) -> SysResult {
    rwv(ctx, Dir::Write)
}

pub fn sys_pread64(ctx: &mut SyscallCtx<'_>) -> SysResult {
    prw(ctx, Dir::Read)
}

pub fn sys_pwrite64(ctx: &mut SyscallCtx<'_>) -> SysResult {
    prw(ctx, Dir::Write)
}

pub fn sys_ioctl(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (fd, cmd, arg) = (ctx.arg(0) as i32, ctx.arg(1) as u32, ctx.arg(2));
    match cmd {
        FIOCLEX | FIONCLEX => curproc()
            .files
            .lock()
            .set_cloexec(fd, cmd == FIOCLEX)
            .map(|_| 0),
        FIONBIO => {
            let f = getfile(fd)?;
            let mut b = [0u8; 4];
            copy::copyin(&mut b, arg).map_err(|_| Errno::EFAULT)?;
            let on = i32::from_le_bytes(b) != 0;
            let nb = ferrite_abi::fcntl::O_NONBLOCK;
            let fl = f.flags();
            f.set_status_flags(if on { fl | nb } else { fl & !nb });
            Ok(0)
        }
        _ => getfile(fd)?.ioctl(cmd, arg),
    }
}

/// The generic I/O system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[
        crate::sys!(
            nr::SYS_read,
            "read",
            sys_read,
            [Arg::Fd, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_write,
            "write",
            sys_write,
            [Arg::Fd, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_readv,
            "readv",
            sys_readv,
            [Arg::Fd, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_writev,
            "writev",
            sys_writev,
            [Arg::Fd, Arg::Hex, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_pread64,
            "pread64",
            sys_pread64,
            [Arg::Fd, Arg::Hex, Arg::Int, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_pwrite64,
            "pwrite64",
            sys_pwrite64,
            [Arg::Fd, Arg::Hex, Arg::Int, Arg::Int]
        ),
        crate::sys!(
            nr::SYS_ioctl,
            "ioctl",
            sys_ioctl,
            [Arg::Fd, Arg::Hex, Arg::Hex]
        ),
    ]
};
