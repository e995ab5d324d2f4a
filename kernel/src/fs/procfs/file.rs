//! A procfs file: a read-only regular file whose text is generated from
//! the live kernel state (Linux's seq_file, in its simplest form).
//!
//! Reading: a read at offset 0 generates the text anew and keeps it; a
//! read further on continues in the kept text (generating it first if
//! there is none), so a program reading a long file in pieces sees one
//! consistent picture, and seeking back to 0 shows a fresh one. Each
//! lookup makes a new vnode, so the kept text belongs to one open file
//! (and the descriptions shared with it by dup and fork, which share its
//! offset too). Like Linux's, the file's size is 0.
//!
//! Writing fails as on Linux: EIO for the system-wide files (`meminfo`,
//! `vmstat`: no write operation behind a proc entry), EINVAL for a
//! process's files. Truncating succeeds and does nothing (Linux too, for
//! root). A process's file whose process has been reaped reads ESRCH; a
//! zombie's maps and command line are empty.

use super::text::Text;
use crate::fs::uio::{IoFlags, Uio};
use crate::fs::vnode::VnodeOps;
use crate::kern::proc::procinfo::{self, ProcId, ProcView};
use crate::kern::sched::mutex::Mutex;
use alloc::vec::Vec;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};

/// Writes the text of a system-wide file.
pub type GlobalGen = fn(&mut Text) -> Result<(), Errno>;
/// Writes the text of a process's file.
pub type ProcGen = fn(&ProcView, &mut Text) -> Result<(), Errno>;

/// Where a file's text comes from.
#[derive(Clone, Copy)]
pub enum Source {
    Global(GlobalGen),
    Proc(ProcId, ProcGen),
}

/// A generated file.
pub struct GenFile {
    source: Source,
    /// The text of the last read at offset 0.
    kept: Mutex<Option<Vec<u8>>>,
}

impl GenFile {
    pub fn new(source: Source) -> GenFile {
        GenFile {
            source,
            kept: Mutex::new("procfs-text", None),
        }
    }

    /// The file's text now.
    pub fn generate(&self) -> Result<Vec<u8>, Errno> {
        let mut t = Text::new();
        match self.source {
            Source::Global(g) => g(&mut t)?,
            Source::Proc(id, g) => g(&procinfo::view_of(id)?, &mut t)?,
        }
        t.finish()
    }
}

/// The attributes of a procfs file, link or directory.
pub fn attrs(ifmt: u32, perm: u32, nlink: u64) -> Stat {
    let now = crate::fs::clock::now();
    Stat {
        st_nlink: nlink,
        st_mode: ifmt | perm,
        st_blksize: 1024,
        st_atime: now.tv_sec,
        st_atime_nsec: now.tv_nsec,
        st_mtime: now.tv_sec,
        st_mtime_nsec: now.tv_nsec,
        st_ctime: now.tv_sec,
        st_ctime_nsec: now.tv_nsec,
        ..Stat::default()
    }
}

impl VnodeOps for GenFile {
    fn getattr(&self) -> Stat {
        attrs(mode::S_IFREG, 0o444, 1)
    }

    fn read(&self, off: u64, uio: &mut Uio<'_>, _flags: IoFlags) -> Result<usize, Errno> {
        let mut kept = self.kept.lock();
        if off == 0 || kept.is_none() {
            *kept = Some(self.generate()?);
        }
        let text = kept.as_deref().unwrap_or(&[]);
        match usize::try_from(off) {
            Ok(off) if off < text.len() => uio.move_out(&text[off..]),
            _ => Ok(0),
        }
    }

    fn write(&self, _off: u64, _uio: &mut Uio<'_>, _flags: IoFlags) -> Result<(usize, u64), Errno> {
        Err(match self.source {
            Source::Global(_) => Errno::EIO,
            Source::Proc(..) => Errno::EINVAL,
        })
    }

    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
