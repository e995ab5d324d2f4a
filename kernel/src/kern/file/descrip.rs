//! A process's descriptor table (NetBSD's filedesc, kern_descrip.c):
//! small integers naming open file descriptions, with a close-on-exec
//! flag per descriptor.
//!
//! - A new descriptor is the lowest free one at or above a minimum (0 for
//!   open, pipe and dup; the argument of F_DUPFD); none below the limit
//!   (RLIMIT_NOFILE, given by the caller) is EMFILE. A hint remembers the
//!   lowest slot that may be free, so allocating after a close of a low
//!   descriptor finds it at once and filling the table in order does not
//!   rescan it.
//! - dup2/dup3 put a description at a chosen descriptor, replacing (and
//!   closing) what was there.
//! - fork copies the table: the child's descriptors refer to the same
//!   descriptions (shared offsets and status flags), close-on-exec flags
//!   kept.
//! - exec closes the close-on-exec descriptors; exit closes them all.
//!
//! The table is a vector of slots that grows to the highest descriptor in
//! use (never past the limit). It is not locked here: a process keeps it
//! under its sleepable `files` mutex. Operations that take a description
//! out of the table return it, so the caller can drop it (a last close
//! may sleep: a pipe end wakes its peer) after releasing that lock.

use super::file::{File, FileKind, FileRef};
use crate::kern::error::{KResult, KernError};
use alloc::vec::Vec;
use ferrite_abi::Errno;

/// One descriptor.
#[derive(Clone)]
struct Slot {
    file: FileRef,
    cloexec: bool,
}

/// The descriptor table of a process.
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    /// No descriptor below this one is free.
    free_hint: usize,
}

impl FdTable {
    /// An empty table.
    pub const fn new() -> FdTable {
        FdTable {
            slots: Vec::new(),
            free_hint: 0,
        }
    }

    /// Descriptors in use.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// The description behind `fd` (EBADF if none).
    pub fn get(&self, fd: i32) -> Result<FileRef, Errno> {
        self.slot(fd).map(|s| s.file.clone())
    }

    fn slot(&self, fd: i32) -> Result<&Slot, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(|s| s.as_ref())
            .ok_or(Errno::EBADF)
    }

    fn slot_mut(&mut self, fd: i32) -> Result<&mut Slot, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(|s| s.as_mut())
            .ok_or(Errno::EBADF)
    }

    /// Make room for descriptor `fd`.
    fn grow_to(&mut self, fd: usize) -> Result<(), Errno> {
        if fd >= self.slots.len() {
            let want = (fd + 1).next_power_of_two().max(8);
            self.slots
                .try_reserve_exact(want - self.slots.len())
                .map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(want, None);
        }
        Ok(())
    }

    /// Install `file` at the lowest free descriptor at or above `min`,
    /// below `limit`; returns it (EMFILE if none is free).
    pub fn alloc(
        &mut self,
        file: FileRef,
        cloexec: bool,
        min: usize,
        limit: usize,
    ) -> Result<i32, Errno> {
        let start = min.max(self.free_hint);
        let fd = (start..limit)
            .find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(Errno::EMFILE)?;
        let fd_i32 = i32::try_from(fd).map_err(|_| Errno::EMFILE)?;
        self.grow_to(fd)?;
        self.slots[fd] = Some(Slot { file, cloexec });
        if min <= self.free_hint {
            // Everything from the hint up to `fd` was in use.
            self.free_hint = fd + 1;
        }
        Ok(fd_i32)
    }

    /// Put `file` at descriptor `fd` (dup2/dup3), which must be below
    /// `limit` (EBADF otherwise); returns what was there.
    pub fn install(
        &mut self,
        fd: i32,
        file: FileRef,
        cloexec: bool,
        limit: usize,
    ) -> Result<Option<FileRef>, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        if i >= limit {
            return Err(Errno::EBADF);
        }
        self.grow_to(i)?;
        let old = self.slots[i].replace(Slot { file, cloexec });
        Ok(old.map(|s| s.file))
    }

    /// Close `fd`: returns its description for the caller to drop.
    pub fn close(&mut self, fd: i32) -> Result<FileRef, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let s = self
            .slots
            .get_mut(i)
            .and_then(|s| s.take())
            .ok_or(Errno::EBADF)?;
        self.free_hint = self.free_hint.min(i);
        Ok(s.file)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.slot(fd).map(|s| s.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        self.slot_mut(fd).map(|s| s.cloexec = on)
    }

    /// A copy for a forked child: the same open files, flags kept.
    pub fn fork(&self) -> KResult<FdTable> {
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(self.slots.len())
            .map_err(|_| KernError::NoMem)?;
        slots.extend(self.slots.iter().cloned());
        Ok(FdTable {
            slots,
            free_hint: self.free_hint,
        })
    }

    /// Close the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.as_ref().is_some_and(|s| s.cloexec) {
                *s = None;
                self.free_hint = self.free_hint.min(i);
            }
        }
    }

    /// Close every descriptor (exit).
    pub fn close_all(&mut self) {
        let slots = core::mem::take(&mut self.slots);
        self.free_hint = 0;
        drop(slots);
    }

    /// Open `/dev/console` for reading and writing as descriptors 0, 1
    /// and 2 (one description, as init's are), for the first process.
    pub fn install_console_stdio(&mut self) -> Result<(), Errno> {
        let v = crate::fs::namei::lookup(b"/dev/console", true)?;
        let file = File::new(FileKind::Vnode(v), ferrite_abi::fcntl::O_RDWR);
        for fd in 0..3 {
            let old = self.install(fd, file.clone(), false, 3)?;
            drop(old);
        }
        Ok(())
    }
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}
