//! A RAM file system regular file: its bytes are the pages of its memory
//! object, an anonymous object (pages zero-filled on first touch, owned by
//! the object, freed with it), and its size is the object's size. So exec
//! maps the very pages a write filled, every process running one program
//! shares its text, and a page past the end of file is no page at all.
//!
//! The data lock (a sleepable mutex: the copies may fault and sleep) is
//! held around everything that reads, writes or resizes the pages, so a
//! truncate never runs under a read or write, and an append finds an end
//! of file no other write is moving (the object layer's rule for callers).
//!
//! User copies go one user page at a time: a fault then means nothing of
//! that piece moved, so a transfer cut short by a bad address reports
//! exactly the bytes that did move, as Linux does.

use super::node::Attr;
use crate::fs::uio::{Seg, Uio};
use crate::kern::sched::mutex::Mutex;
use crate::kern::sched::spinlock::SpinLock;
use crate::uvm::object::{self, ObjRef};
use ferrite_abi::Errno;

const PAGE: u64 = 4096;

/// The largest file (Linux's MAX_LFS_FILESIZE).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

pub(super) struct RamFile {
    obj: ObjRef,
    lock: Mutex<()>,
}

/// The part of a user segment up to the end of its first user page.
fn user_piece(addr: u64, len: usize) -> usize {
    len.min((PAGE - addr % PAGE) as usize)
}

impl RamFile {
    pub fn new() -> Result<RamFile, Errno> {
        Ok(RamFile {
            obj: object::aobj_create(0).map_err(|_| Errno::ENOMEM)?,
            lock: Mutex::new("ramfs-file", ()),
        })
    }

    pub fn object(&self) -> ObjRef {
        self.obj
    }

    pub fn size(&self) -> u64 {
        object::size(self.obj)
    }

    pub fn resident_pages(&self) -> u64 {
        object::resident(self.obj) as u64
    }

    /// Read from `off` into `uio`, up to the end of file.
    pub fn read(&self, off: u64, uio: &mut Uio<'_>) -> Result<usize, Errno> {
        let _g = self.lock.lock();
        let size = self.size();
        if off >= size {
            return Ok(0);
        }
        let mut left = (size - off).min(uio.resid() as u64) as usize;
        let mut pos = off;
        let mut moved = 0;
        while left > 0 {
            let r = match uio.segment(left) {
                None => break,
                Some(Seg::Fill(b)) => {
                    object::read(self.obj, pos, b);
                    Ok(b.len())
                }
                Some(Seg::User(addr, n)) => {
                    let n = user_piece(addr, n);
                    object::copyout(self.obj, pos, addr, n).map(|_| n)
                }
                Some(Seg::Take(_)) => unreachable!("read into a write buffer"),
            };
            match r {
                Ok(n) => {
                    uio.advance(n);
                    pos += n as u64;
                    left -= n;
                    moved += n;
                }
                Err(_) => {
                    uio.fault_result()?;
                    break;
                }
            }
        }
        Ok(moved)
    }

    /// Write `uio` at `off` (at the end with `append`); returns the bytes
    /// written and the offset after them.
    pub fn write(
        &self,
        attr: &SpinLock<Attr>,
        off: u64,
        uio: &mut Uio<'_>,
        append: bool,
    ) -> Result<(usize, u64), Errno> {
        let _g = self.lock.lock();
        let start = if append { self.size() } else { off };
        let want = uio.resid() as u64;
        if want == 0 {
            return Ok((0, start));
        }
        // Linux: EFBIG when the write starts at or past the limit, else a
        // short write up to it.
        if start >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut left = want.min(MAX_FILE_SIZE - start) as usize;
        let mut pos = start;
        let mut moved = 0;
        let mut err = None;
        while left > 0 {
            let r = match uio.segment(left) {
                None => break,
                Some(Seg::Take(b)) => object::write(self.obj, pos, b)
                    .map(|_| b.len())
                    .map_err(|_| Errno::ENOMEM),
                Some(Seg::User(addr, n)) => {
                    let n = user_piece(addr, n);
                    object::copyin(self.obj, pos, addr, n)
                        .map(|_| n)
                        .map_err(|e| match e {
                            crate::kern::error::KernError::Fault => Errno::EFAULT,
                            _ => Errno::ENOMEM,
                        })
                }
                Some(Seg::Fill(_)) => unreachable!("write from a read buffer"),
            };
            match r {
                Ok(n) => {
                    uio.advance(n);
                    pos += n as u64;
                    left -= n;
                    moved += n;
                }
                Err(Errno::EFAULT) => {
                    if uio.fault_result().is_err() {
                        err = Some(Errno::EFAULT);
                    }
                    break;
                }
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        if moved > 0 {
            attr.lock().modified();
        }
        match err {
            Some(e) if moved == 0 => Err(e),
            _ => Ok((moved, pos)),
        }
    }

    /// Set the size (ftruncate): growing adds zeroes, shrinking drops the
    /// bytes (and the pages) past the end.
    pub fn truncate(&self, attr: &SpinLock<Attr>, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let _g = self.lock.lock();
        object::set_size(self.obj, size).map_err(|_| Errno::ENOMEM)?;
        attr.lock().modified();
        Ok(())
    }
}

impl Drop for RamFile {
    fn drop(&mut self) {
        object::drop_ref(self.obj);
    }
}
