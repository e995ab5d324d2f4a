//! Open files on vnodes (NetBSD's vfs_vnops.c: vn_read, vn_write,
//! vn_seek, vn_ioctl, and getdents): what a description's read, write,
//! lseek, ioctl and getdents64 do when it is open on a file, directory or
//! device.
//!
//! - Regular files move the description's offset under its lock (so a
//!   shared description moves it atomically); O_APPEND writes at the end
//!   and leaves the offset there; pread/pwrite use their own offset.
//! - Directories cannot be read or written (EISDIR); getdents64 reads
//!   their entries from the offset, which is a readdir cookie.
//! - Devices get the I/O without the offset lock (a terminal read may
//!   sleep for long); a terminal cannot seek (ESPIPE); the memory devices
//!   seek to 0 whatever is asked, as Linux's do.
//!
//! This file keeps no state: the description (`kern::file::File`) and the
//! vnode do.

use super::vnode::{DirEntry, VType, VnodeRef};
use crate::fs::uio::Uio;
use crate::kern::file::File;
use crate::uvm::copy;
use alloc::vec::Vec;
use ferrite_abi::fcntl::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
use ferrite_abi::{Errno, write_dirent64};

/// The largest kernel buffer getdents64 fills per call.
const DIRENT_BUF: usize = 16 * 1024;

/// read(2), readv(2) (at the file offset) and pread64(2) (at `at`).
pub fn read(f: &File, v: &VnodeRef, uio: &mut Uio<'_>, at: Option<i64>) -> Result<usize, Errno> {
    let flags = f.io_flags();
    match v.vtype() {
        VType::Dir => Err(Errno::EISDIR),
        VType::Chr => v.ops().read(at.unwrap_or(0) as u64, uio, flags),
        VType::Reg | VType::Lnk => match at {
            Some(off) => v.ops().read(off as u64, uio, flags),
            None => {
                let mut pos = f.offset();
                let n = v.ops().read(*pos, uio, flags)?;
                *pos += n as u64;
                Ok(n)
            }
        },
    }
}

/// write(2), writev(2) and pwrite64(2).
pub fn write(f: &File, v: &VnodeRef, uio: &mut Uio<'_>, at: Option<i64>) -> Result<usize, Errno> {
    let flags = f.io_flags();
    match v.vtype() {
        VType::Dir => Err(Errno::EISDIR),
        VType::Chr => v
            .ops()
            .write(at.unwrap_or(0) as u64, uio, flags)
            .map(|(n, _)| n),
        VType::Reg | VType::Lnk => match at {
            // (Linux: pwrite on an O_APPEND description appends too.)
            Some(off) => v.ops().write(off as u64, uio, flags).map(|(n, _)| n),
            None => {
                let mut pos = f.offset();
                let (n, end) = v.ops().write(*pos, uio, flags)?;
                *pos = end;
                Ok(n)
            }
        },
    }
}

/// lseek(2).
pub fn seek(f: &File, v: &VnodeRef, off: i64, whence: i32) -> Result<u64, Errno> {
    if !v.ops().seekable() {
        return Err(Errno::ESPIPE);
    }
    if !(SEEK_SET..=SEEK_HOLE).contains(&whence) {
        return Err(Errno::EINVAL);
    }
    let mut pos = f.offset();
    if v.vtype() == VType::Chr {
        *pos = 0;
        return Ok(0);
    }
    let size = v.getattr().st_size;
    let new = match whence {
        SEEK_SET => Some(off),
        SEEK_CUR => (*pos as i64).checked_add(off),
        SEEK_END if v.is_dir() => return Err(Errno::EINVAL),
        SEEK_END => size.checked_add(off),
        SEEK_DATA | SEEK_HOLE if v.is_dir() => return Err(Errno::EINVAL),
        // The whole file is data; the only hole is at the end.
        SEEK_DATA | SEEK_HOLE => {
            if off < 0 || off >= size {
                return Err(Errno::ENXIO);
            }
            Some(if whence == SEEK_DATA { off } else { size })
        }
        _ => None,
    };
    match new {
        Some(n) if n >= 0 => {
            *pos = n as u64;
            Ok(n as u64)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// ioctl(2) on a vnode: a device's own; FIONREAD on a regular file (the
/// bytes from the offset to the end); ENOTTY for the rest.
pub fn ioctl(f: &File, v: &VnodeRef, cmd: u32, arg: u64) -> Result<usize, Errno> {
    match v.vtype() {
        VType::Chr => v.ops().ioctl(cmd, arg),
        VType::Reg if cmd == ferrite_abi::ioctl::FIONREAD => {
            let size = v.getattr().st_size;
            let pos = *f.offset() as i64;
            let n = size.saturating_sub(pos).clamp(0, i32::MAX as i64) as i32;
            copy::copyout(arg, &n.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// Fill `buf` with `linux_dirent64` records from the directory's cookie
/// `cookie` on; returns (bytes used, next cookie, true if an entry did
/// not fit).
pub fn read_dirents(
    v: &VnodeRef,
    cookie: u64,
    buf: &mut [u8],
) -> Result<(usize, u64, bool), Errno> {
    let mut used = 0;
    let mut refused = false;
    let next = v.readdir(cookie, &mut |e: &DirEntry<'_>| match write_dirent64(
        &mut buf[used..],
        e.ino,
        e.next as i64,
        e.vtype.dtype(),
        e.name,
    ) {
        Some(n) => {
            used += n;
            true
        }
        None => {
            refused = true;
            false
        }
    })?;
    Ok((used, next, refused))
}

/// getdents64(2): entries from the offset into the user buffer at `addr`
/// of `count` bytes; returns the bytes written (0 at the end). EINVAL if
/// not even one entry fits.
pub fn getdents(f: &File, v: &VnodeRef, addr: u64, count: usize) -> Result<usize, Errno> {
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    copy::check_range(addr, count).map_err(|_| Errno::EFAULT)?;
    let cap = count.min(DIRENT_BUF);
    let mut buf = Vec::new();
    buf.try_reserve_exact(cap).map_err(|_| Errno::ENOMEM)?;
    buf.resize(cap, 0);
    let mut pos = f.offset();
    let (used, next, refused) = read_dirents(v, *pos, &mut buf)?;
    if used == 0 && refused {
        return Err(Errno::EINVAL);
    }
    copy::copyout(addr, &buf[..used]).map_err(|_| Errno::EFAULT)?;
    *pos = next;
    Ok(used)
}
