//! process_vm_readv / process_vm_writev: copy between the caller's memory
//! and another process's, over the same path as ptrace's PEEK/POKE (map
//! extraction of the other process's range into the kernel map,
//! `uvm::io`), a page at a time through a one-page kernel buffer; the
//! caller's side is an ordinary copyin/copyout (which may fault).
//!
//! Linux's rules: `flags` must be 0 and each iovec count at most
//! UIO_MAXIOV (EINVAL); a bad iovec array is EFAULT; no such process is
//! ESRCH (a zombie has no memory: ESRCH too). The target's current
//! protection applies (no writing into its read-only text, unlike
//! PTRACE_POKETEXT). The transfer goes through the remote iovecs in order and stops at the first address that cannot
//! be read or written, or when the local iovecs are full: the call returns
//! the bytes transferred, or EFAULT if that is none. The tracee need not
//! be traced or stopped (a debugger or profiler reads a running process;
//! every process here has the same credentials).

use crate::fs::uio::UIO_MAXIOV;
use crate::kern::error::KernError;
use crate::kern::proc::ptable;
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use crate::uvm::io::{Dir, Prot, uvm_io_with};
use crate::uvm::vmspace::Vmspace;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ferrite_abi::{Errno, Iovec, Plain};

/// process_vm_readv(pid, local_iov, liovcnt, remote_iov, riovcnt, flags)
pub fn sys_process_vm_readv(ctx: &mut SyscallCtx<'_>) -> SysResult {
    process_vm(ctx, Dir::Read)
}

/// process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags)
pub fn sys_process_vm_writev(ctx: &mut SyscallCtx<'_>) -> SysResult {
    process_vm(ctx, Dir::Write)
}

/// Copy in an iovec array of `cnt` entries.
fn copyin_iovecs(addr: u64, cnt: u64) -> Result<Vec<Iovec>, Errno> {
    if cnt > UIO_MAXIOV as u64 {
        return Err(Errno::EINVAL);
    }
    let cnt = cnt as usize;
    let mut v = Vec::new();
    v.try_reserve_exact(cnt).map_err(|_| Errno::ENOMEM)?;
    let mut b = [0u8; Iovec::SIZE];
    for i in 0..cnt {
        copy::copyin(&mut b, addr + (i * Iovec::SIZE) as u64).map_err(|_| Errno::EFAULT)?;
        v.push(Iovec::get(&b));
    }
    // The total must fit in ssize_t.
    let mut total: u64 = 0;
    for iov in &v {
        total = total
            .checked_add(iov.iov_len)
            .filter(|t| *t <= isize::MAX as u64)
            .ok_or(Errno::EINVAL)?;
    }
    Ok(v)
}

/// The address space of process `pid`.
fn vmspace_of(pid: i32) -> Result<Arc<Vmspace>, Errno> {
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let p = ptable::lock().find(pid as u32).ok_or(Errno::ESRCH)?;
    let l = p.lwp().ok_or(Errno::ESRCH)?;
    l.vmspace().ok_or(Errno::ESRCH)
}

/// A position in the caller's iovecs.
struct Cursor<'a> {
    iovs: &'a [Iovec],
    index: usize,
    offset: u64,
}

impl Cursor<'_> {
    /// The next contiguous local range, at most `max` bytes (None: full).
    fn next(&mut self, max: usize) -> Option<(u64, usize)> {
        while let Some(iov) = self.iovs.get(self.index) {
            let left = iov.iov_len - self.offset;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = left.min(max as u64) as usize;
            let at = iov.iov_base + self.offset;
            self.offset += n as u64;
            return Some((at, n));
        }
        None
    }
}

fn process_vm(ctx: &mut SyscallCtx<'_>, dir: Dir) -> SysResult {
    let (pid, lvec, lcnt, rvec, rcnt, flags) = (
        ctx.arg(0) as i32,
        ctx.arg(1),
        ctx.arg(2),
        ctx.arg(3),
        ctx.arg(4),
        ctx.arg(5),
    );
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let local = copyin_iovecs(lvec, lcnt)?;
    let remote = copyin_iovecs(rvec, rcnt)?;
    let vs = vmspace_of(pid)?;
    let room: u64 = local.iter().map(|v| v.iov_len).sum();
    let mut cursor = Cursor {
        iovs: &local,
        index: 0,
        offset: 0,
    };
    let mut done: u64 = 0;
    let mut failed = false;
    for r in &remote {
        let len = r.iov_len.min(room - done) as usize;
        if len == 0 {
            continue;
        }
        // Each piece (at most a page) is split over the local iovecs.
        let (mut passed, mut last, mut local_fault) = (0usize, 0usize, false);
        let result = uvm_io_with(&vs, r.iov_base, len, dir, Prot::Current, |_, piece| {
            let mut at = 0;
            while at < piece.len() {
                let Some((addr, n)) = cursor.next(piece.len() - at) else {
                    local_fault = true;
                    return Err(KernError::Fault);
                };
                let chunk = &mut piece[at..at + n];
                let r = match dir {
                    Dir::Read => copy::copyout(addr, chunk),
                    Dir::Write => copy::copyin(chunk, addr),
                };
                if r.is_err() {
                    local_fault = true;
                    return r;
                }
                at += n;
            }
            passed += piece.len();
            last = piece.len();
            Ok(())
        });
        done += match result {
            Ok(()) => len,
            // A read's pieces were all copied out; a write's last piece
            // was not written if the remote side failed after it.
            Err(_) if dir == Dir::Read || local_fault => passed,
            Err(_) => passed - last,
        } as u64;
        if result.is_err() {
            failed = true;
            break;
        }
    }
    if done == 0 && failed {
        return Err(Errno::EFAULT);
    }
    Ok(done as usize)
}
