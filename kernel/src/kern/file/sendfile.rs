//! sendfile(2): copy bytes from one open file to another inside the
//! kernel (Linux's do_sendfile), as BusyBox's `cat` and `cp` do first.
//!
//! `sendfile(out_fd, in_fd, offset, count)`:
//! - `in_fd` must be open for reading and `out_fd` for writing (EBADF);
//!   `in_fd` must be a seekable file (EINVAL for a pipe or a terminal, as
//!   Linux, whose pipes do not give their pages to a splice this way);
//!   an `out_fd` opened O_APPEND is EINVAL.
//! - With `offset` NULL the bytes are read at `in_fd`'s file offset,
//!   which advances by what was sent; otherwise at `*offset` (negative:
//!   EINVAL; not readable memory: EFAULT), which is updated and the file
//!   offset left alone.
//! - At most MAX_RW_COUNT bytes per call. The copy goes through a kernel
//!   buffer a chunk at a time; it stops at end of file or at a short
//!   write. An error after some bytes moved returns the count instead
//!   (the error shows on the next call), as read and write do.

use super::sys_descrip::getfile;
use crate::fs::uio::{MAX_RW_COUNT, Uio};
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::uvm::copy;
use alloc::vec::Vec;
use ferrite_abi::Errno;
use ferrite_abi::fcntl::O_APPEND;

/// Bytes moved per chunk.
const CHUNK: usize = 16 * 1024;

pub fn sys_sendfile(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (out_fd, in_fd, offp, count) = (
        ctx.arg(0) as i32,
        ctx.arg(1) as i32,
        ctx.arg(2),
        ctx.arg(3) as usize,
    );
    let input = getfile(in_fd)?;
    if !input.readable() {
        return Err(Errno::EBADF);
    }
    let output = getfile(out_fd)?;
    if !output.writable() {
        return Err(Errno::EBADF);
    }
    if input.check_positional().is_err() {
        return Err(Errno::EINVAL);
    }
    if output.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let start = if offp != 0 {
        let mut b = [0u8; 8];
        copy::copyin(&mut b, offp).map_err(|_| Errno::EFAULT)?;
        let off = i64::from_le_bytes(b);
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        off as u64
    } else {
        *input.offset()
    };
    let count = count.min(MAX_RW_COUNT);

    let mut buf = Vec::new();
    buf.try_reserve_exact(count.min(CHUNK))
        .map_err(|_| Errno::ENOMEM)?;
    buf.resize(count.min(CHUNK), 0);
    let mut pos = start;
    let mut sent = 0usize;
    let mut failure = None;
    while sent < count {
        let want = (count - sent).min(CHUNK);
        let got = match input.pread(&mut Uio::kernel_read(&mut buf[..want]), pos as i64) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        let put = match output.write(&mut Uio::kernel_write(&buf[..got])) {
            Ok(n) => n,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        pos += put as u64;
        sent += put;
        if put < got {
            break;
        }
    }
    if offp != 0 {
        copy::copyout(offp, &(pos as i64).to_le_bytes()).map_err(|_| Errno::EFAULT)?;
    } else {
        *input.offset() = pos;
    }
    match failure {
        Some(e) if sent == 0 => Err(e),
        _ => Ok(sent),
    }
}

/// sendfile.
pub const SYSCALLS: crate::kern::syscall::table::SysList = {
    use crate::kern::syscall::trace::Arg;
    use ferrite_abi::syscall as nr;
    &[crate::sys!(
        nr::SYS_sendfile,
        "sendfile",
        sys_sendfile,
        [Arg::Fd, Arg::Fd, Arg::Hex, Arg::Int]
    )]
};
