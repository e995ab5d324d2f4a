//! Open file descriptions (NetBSD's struct file, kern_descrip.c's fileops
//! dispatch): what `open`, `pipe` and `dup` share. Descriptors made by
//! dup, dup2, fcntl(F_DUPFD) and fork refer to one description, so they
//! share its offset and status flags; close-on-exec belongs to the
//! descriptor, not here (`descrip.rs`).
//!
//! A description is either a vnode (a file, directory or device, opened
//! through the file system: its operations are `fs::vfs_vnops`) or one end
//! of a pipe (`pipe.rs`). Each operation checks the access mode first
//! (EBADF for a read on a write-only description and the like), then
//! dispatches on the kind.
//!
//! The offset lives under a sleepable lock that a read, write or seek of
//! a regular file or directory holds for its whole length (Linux's
//! f_pos_lock), so descriptions shared between processes move their
//! offset atomically. Status flags are an atomic word.

use super::pipe::PipeEnd;
use crate::fs::uio::{IoFlags, Uio};
use crate::fs::vfs_vnops;
use crate::fs::vnode::VnodeRef;
use crate::kern::sched::mutex::{Mutex, MutexGuard};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicI32, Ordering};
use ferrite_abi::fcntl::*;
use ferrite_abi::{Errno, Stat};

/// A counted reference to an open file description.
pub type FileRef = Arc<File>;

/// What the description is open on.
pub enum FileKind {
    Vnode(VnodeRef),
    Pipe(PipeEnd),
}

/// The status flags F_SETFL may change.
pub const SETFL_MASK: i32 = O_APPEND | O_NONBLOCK;

/// The open flags a description keeps (what F_GETFL reports besides the
/// access mode): Linux keeps all but the creation flags.
const KEPT_FLAGS: i32 = O_APPEND
    | O_NONBLOCK
    | O_DSYNC
    | O_DIRECT
    | O_LARGEFILE
    | O_DIRECTORY
    | O_NOFOLLOW
    | O_NOATIME
    | O_PATH
    | __O_SYNC;

/// An open file description.
pub struct File {
    kind: FileKind,
    /// Access mode and status flags, as F_GETFL reports them.
    flags: AtomicI32,
    /// The file offset (regular files and directories).
    offset: Mutex<u64>,
}

impl core::fmt::Debug for File {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.kind {
            FileKind::Vnode(v) => write!(f, "file on {v:?}"),
            FileKind::Pipe(p) => write!(f, "file on {p:?}"),
        }
    }
}

impl File {
    /// A description of `kind` opened with `flags` (open(2)'s flags: the
    /// creation flags are dropped, the rest kept).
    pub fn new(kind: FileKind, flags: i32) -> FileRef {
        let mut kept = (flags & O_ACCMODE) | (flags & KEPT_FLAGS);
        if matches!(kind, FileKind::Vnode(_)) {
            // Linux forces O_LARGEFILE on 64-bit.
            kept |= O_LARGEFILE;
        }
        Arc::new(File {
            kind,
            flags: AtomicI32::new(kept),
            offset: Mutex::new("f_pos", 0),
        })
    }

    /// The vnode, for a description open on one.
    pub fn vnode(&self) -> Option<&VnodeRef> {
        match &self.kind {
            FileKind::Vnode(v) => Some(v),
            FileKind::Pipe(_) => None,
        }
    }

    /// The pipe end, for a description open on one.
    pub fn pipe(&self) -> Option<&PipeEnd> {
        match &self.kind {
            FileKind::Pipe(p) => Some(p),
            FileKind::Vnode(_) => None,
        }
    }

    /// F_GETFL.
    pub fn flags(&self) -> i32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// F_SETFL: only the status flags change.
    pub fn set_status_flags(&self, new: i32) {
        let _ = self
            .flags
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some((old & !SETFL_MASK) | (new & SETFL_MASK))
            });
    }

    pub fn readable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    /// The flags an operation runs with.
    pub fn io_flags(&self) -> IoFlags {
        let f = self.flags();
        IoFlags {
            nonblock: f & O_NONBLOCK != 0,
            append: f & O_APPEND != 0,
        }
    }

    /// The offset, locked for the length of an operation.
    pub fn offset(&self) -> MutexGuard<'_, u64> {
        self.offset.lock()
    }

    /// read(2) / readv(2) at the file offset.
    pub fn read(&self, uio: &mut Uio<'_>) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.kind {
            FileKind::Vnode(v) => vfs_vnops::read(self, v, uio, None),
            FileKind::Pipe(p) => p.read(uio, self.io_flags().nonblock),
        }
    }

    /// write(2) / writev(2) at the file offset (the end with O_APPEND).
    pub fn write(&self, uio: &mut Uio<'_>) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.kind {
            FileKind::Vnode(v) => vfs_vnops::write(self, v, uio, None),
            FileKind::Pipe(p) => p.write(uio, self.io_flags().nonblock),
        }
    }

    /// ESPIPE unless the file takes pread/pwrite (pipes and terminals do
    /// not).
    pub fn check_positional(&self) -> Result<(), Errno> {
        match &self.kind {
            FileKind::Vnode(v) if v.ops().seekable() => Ok(()),
            _ => Err(Errno::ESPIPE),
        }
    }

    /// pread64(2): at `off`, the file offset unchanged.
    pub fn pread(&self, uio: &mut Uio<'_>, off: i64) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.kind {
            FileKind::Vnode(v) => {
                self.check_positional()?;
                vfs_vnops::read(self, v, uio, Some(off))
            }
            FileKind::Pipe(_) => Err(Errno::ESPIPE),
        }
    }

    /// pwrite64(2).
    pub fn pwrite(&self, uio: &mut Uio<'_>, off: i64) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.kind {
            FileKind::Vnode(v) => {
                self.check_positional()?;
                vfs_vnops::write(self, v, uio, Some(off))
            }
            FileKind::Pipe(_) => Err(Errno::ESPIPE),
        }
    }

    /// lseek(2); returns the new offset.
    pub fn seek(&self, off: i64, whence: i32) -> Result<u64, Errno> {
        match &self.kind {
            FileKind::Vnode(v) => vfs_vnops::seek(self, v, off, whence),
            FileKind::Pipe(_) => Err(Errno::ESPIPE),
        }
    }

    /// fstat(2).
    pub fn stat(&self) -> Stat {
        match &self.kind {
            FileKind::Vnode(v) => v.getattr(),
            FileKind::Pipe(p) => p.stat(),
        }
    }

    /// ioctl(2) requests a description answers (FIONBIO and FIONCLEX /
    /// FIOCLEX are the caller's: they touch the flags and the descriptor).
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match &self.kind {
            FileKind::Vnode(v) => vfs_vnops::ioctl(self, v, cmd, arg),
            FileKind::Pipe(p) => p.ioctl(cmd, arg),
        }
    }

    /// Readiness for poll(2): the subset of `events` (plus POLLERR and
    /// POLLHUP, always reported) that holds now.
    pub fn poll(&self, events: i16) -> i16 {
        use ferrite_abi::poll::{POLLERR, POLLHUP};
        let want = events | POLLERR | POLLHUP;
        match &self.kind {
            FileKind::Vnode(v) => v.ops().poll(want),
            FileKind::Pipe(p) => p.poll(want),
        }
    }
}
