//! I/O descriptors (NetBSD's struct uio and subr_uio.c's uiomove): where
//! the bytes of a read or write go to or come from, so that file systems,
//! devices and pipes move data the same way whether the other end is a
//! kernel buffer (the initramfs unpacker, exec, the tests) or a program's
//! memory (one buffer for read/write, an iovec array for readv/writev).
//!
//! A user vector is checked when it is built: each segment must lie in the
//! user half (EFAULT otherwise, as Linux's access_ok), at most UIO_MAXIOV
//! segments, and the total is capped at Linux's MAX_RW_COUNT. The copies
//! themselves go through `uvm::copy` (faults resolved by UVM, EFAULT when
//! nothing is there). A fault after some bytes moved ends the transfer
//! short: the call returns what it moved, as Linux does; a fault before
//! any byte moved is EFAULT.
//!
//! This file owns no file state and never sleeps except in the user copies.

use crate::uvm::copy;
use alloc::vec::Vec;
use ferrite_abi::{Errno, Iovec};

/// The most segments readv/writev take (UIO_MAXIOV).
pub const UIO_MAXIOV: usize = 1024;
/// The most bytes one call moves (Linux's MAX_RW_COUNT: INT_MAX rounded
/// down to a page).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// How an operation should behave (NetBSD's ioflag).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoFlags {
    /// Do not sleep: EAGAIN instead (O_NONBLOCK).
    pub nonblock: bool,
    /// Write at the end of the file (O_APPEND).
    pub append: bool,
}

/// Which way the bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// A read: from the file into the buffer.
    Read,
    /// A write: from the buffer into the file.
    Write,
}

enum Buf<'a> {
    Fill(&'a mut [u8]),
    Take(&'a [u8]),
    /// One user buffer (read, write: no allocation).
    UserOne(Iovec),
    User(Vec<Iovec>),
}

/// An I/O in progress.
pub struct Uio<'a> {
    buf: Buf<'a>,
    dir: Dir,
    /// Current segment and offset in it (user vectors).
    seg: usize,
    seg_off: usize,
    /// Bytes moved so far, and still to move.
    done: usize,
    resid: usize,
    /// A user copy faulted: the transfer stops here.
    faulted: bool,
}

/// A contiguous piece of the buffer (see `Uio::segment`).
pub enum Seg<'b> {
    /// User memory at this address, this many bytes.
    User(u64, usize),
    /// Kernel memory a read fills.
    Fill(&'b mut [u8]),
    /// Kernel memory a write takes from.
    Take(&'b [u8]),
}

impl<'a> Uio<'a> {
    /// A read into the kernel buffer `buf`.
    pub fn kernel_read(buf: &'a mut [u8]) -> Uio<'a> {
        let resid = buf.len();
        Uio::with(Buf::Fill(buf), Dir::Read, resid)
    }

    /// A write from the kernel buffer `buf`.
    pub fn kernel_write(buf: &'a [u8]) -> Uio<'a> {
        let resid = buf.len();
        Uio::with(Buf::Take(buf), Dir::Write, resid)
    }

    /// One user buffer of `len` bytes at `addr` (read/write: EFAULT if it
    /// does not lie in the user half, whatever its size).
    pub fn user(dir: Dir, addr: u64, len: usize) -> Result<Uio<'static>, Errno> {
        if len > 0 {
            copy::check_range(addr, len).map_err(|_| Errno::EFAULT)?;
        }
        let len = len.min(MAX_RW_COUNT);
        let iov = Iovec {
            iov_base: addr,
            iov_len: len as u64,
        };
        Ok(Uio::with(Buf::UserOne(iov), dir, len))
    }

    /// A user iovec array (already copied in): readv/writev.
    pub fn user_vec(dir: Dir, iov: Vec<Iovec>) -> Result<Uio<'static>, Errno> {
        if iov.len() > UIO_MAXIOV {
            return Err(Errno::EINVAL);
        }
        let mut total: usize = 0;
        let mut iov = iov;
        for v in iov.iter_mut() {
            if v.iov_len > isize::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            if v.iov_len > 0 {
                copy::check_range(v.iov_base, v.iov_len as usize).map_err(|_| Errno::EFAULT)?;
            }
            // Cap the total at MAX_RW_COUNT: later segments shrink.
            let len = (v.iov_len as usize).min(MAX_RW_COUNT - total);
            v.iov_len = len as u64;
            total += len;
        }
        Ok(Uio::with(Buf::User(iov), dir, total))
    }

    fn with(buf: Buf<'a>, dir: Dir, resid: usize) -> Uio<'a> {
        Uio {
            buf,
            dir,
            seg: 0,
            seg_off: 0,
            done: 0,
            resid: resid.min(MAX_RW_COUNT),
            faulted: false,
        }
    }

    /// Bytes still to move.
    pub fn resid(&self) -> usize {
        if self.faulted { 0 } else { self.resid }
    }

    /// True if a user copy faulted (the transfer ended short).
    pub fn faulted(&self) -> bool {
        self.faulted
    }

    /// The next contiguous piece of at most `max` bytes, without moving
    /// past it (`advance` does, once the bytes are moved).
    pub fn segment(&mut self, max: usize) -> Option<Seg<'_>> {
        if self.resid() == 0 || max == 0 {
            return None;
        }
        let done = self.done;
        let want = max.min(self.resid);
        let iov: &[Iovec] = match &mut self.buf {
            Buf::Fill(b) => return Some(Seg::Fill(&mut b[done..done + want])),
            Buf::Take(b) => return Some(Seg::Take(&b[done..done + want])),
            Buf::UserOne(v) => core::slice::from_ref(v),
            Buf::User(v) => v.as_slice(),
        };
        while self.seg < iov.len() && self.seg_off as u64 >= iov[self.seg].iov_len {
            self.seg += 1;
            self.seg_off = 0;
        }
        let v = iov.get(self.seg)?;
        let len = (v.iov_len as usize - self.seg_off).min(want);
        Some(Seg::User(v.iov_base + self.seg_off as u64, len))
    }

    /// Mark `n` bytes of the current segment as moved.
    pub fn advance(&mut self, n: usize) {
        debug_assert!(n <= self.resid);
        self.done += n;
        self.resid -= n;
        self.seg_off += n;
    }

    /// Record a fault: nothing more moves.
    pub fn fault(&mut self) {
        self.faulted = true;
    }

    /// The error for a fault: EFAULT if nothing moved, else the short
    /// count stands.
    pub fn fault_result(&mut self) -> Result<(), Errno> {
        self.fault();
        if self.done == 0 {
            Err(Errno::EFAULT)
        } else {
            Ok(())
        }
    }

    /// Copy `src` into the buffer (a read), as much as fits; returns the
    /// bytes moved (uiomove, kernel to buffer).
    pub fn move_out(&mut self, src: &[u8]) -> Result<usize, Errno> {
        debug_assert_eq!(self.dir, Dir::Read);
        let mut moved = 0;
        while moved < src.len() {
            let r = match self.segment(src.len() - moved) {
                None => break,
                Some(Seg::Fill(b)) => {
                    let n = b.len();
                    b.copy_from_slice(&src[moved..moved + n]);
                    Ok(n)
                }
                Some(Seg::User(addr, n)) => copy::copyout(addr, &src[moved..moved + n]).map(|_| n),
                Some(Seg::Take(_)) => unreachable!("move_out on a write"),
            };
            match r {
                Ok(n) => {
                    self.advance(n);
                    moved += n;
                }
                Err(_) => {
                    self.fault_result()?;
                    break;
                }
            }
        }
        Ok(moved)
    }

    /// Copy from the buffer into `dst` (a write), at most `dst.len()`
    /// bytes; returns the bytes moved (uiomove, buffer to kernel).
    pub fn move_in(&mut self, dst: &mut [u8]) -> Result<usize, Errno> {
        debug_assert_eq!(self.dir, Dir::Write);
        let mut moved = 0;
        while moved < dst.len() {
            let r = match self.segment(dst.len() - moved) {
                None => break,
                Some(Seg::Take(b)) => {
                    let n = b.len();
                    dst[moved..moved + n].copy_from_slice(b);
                    Ok(n)
                }
                Some(Seg::User(addr, n)) => {
                    copy::copyin(&mut dst[moved..moved + n], addr).map(|_| n)
                }
                Some(Seg::Fill(_)) => unreachable!("move_in on a read"),
            };
            match r {
                Ok(n) => {
                    self.advance(n);
                    moved += n;
                }
                Err(_) => {
                    self.fault_result()?;
                    break;
                }
            }
        }
        Ok(moved)
    }

    /// Skip `n` bytes of the buffer (a write to /dev/null moves nothing).
    pub fn skip(&mut self, n: usize) {
        let mut left = n.min(self.resid());
        while left > 0 {
            let step = match self.segment(left) {
                Some(Seg::User(_, len)) => len,
                Some(Seg::Fill(b)) => b.len(),
                Some(Seg::Take(b)) => b.len(),
                None => break,
            };
            self.advance(step);
            left -= step;
        }
    }
}
