//! `/proc/<pid>`: one directory per process (zombies included, as on
//! Linux), holding the process's files. The directory names its process
//! by PID and start time (`ProcId`); once that process is reaped the
//! directory has no entries (ENOENT) and its files read ESRCH.

use super::file::{GenFile, ProcGen, Source, attrs};
use super::link::{LinkKind, ProcLink};
use super::root::{refuse_new, refuse_rename};
use super::{ProcFs, maps, pid_ino, pidstat};
use crate::fs::vnode::{DirEntry, VType, Vnode, VnodeOps, VnodeRef};
use crate::kern::proc::procinfo::{self, ProcId};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};

/// What an entry of a process directory is.
#[derive(Clone, Copy)]
enum Kind {
    File(ProcGen),
    Exe,
}

/// The entries, in name order; an entry's inode is `pid_ino(pid, i + 1)`.
static FILES: &[(&[u8], Kind)] = &[
    (b"cmdline", Kind::File(pidstat::cmdline)),
    (b"comm", Kind::File(pidstat::comm)),
    (b"exe", Kind::Exe),
    (b"maps", Kind::File(maps::maps)),
    (b"stat", Kind::File(pidstat::stat)),
    (b"statm", Kind::File(pidstat::statm)),
    (b"status", Kind::File(pidstat::status)),
    (b"uvm", Kind::File(maps::uvm)),
];

/// A process directory.
pub struct PidDir {
    fs: Arc<ProcFs>,
    id: ProcId,
}

/// The directory vnode of process `id` (the one in use, if any).
pub fn new(fs: &Arc<ProcFs>, id: ProcId) -> VnodeRef {
    let ino = pid_ino(id.pid, 0);
    fs.dir(
        ino,
        |v| {
            v.ops()
                .as_any()
                .downcast_ref::<PidDir>()
                .is_some_and(|d| d.id == id)
        },
        || {
            Vnode::new(
                VType::Dir,
                fs.dev,
                ino,
                Box::new(PidDir { fs: fs.clone(), id }),
            )
        },
    )
}

impl Drop for PidDir {
    fn drop(&mut self) {
        self.fs.forget_dead();
    }
}

impl PidDir {
    /// ENOENT once the process is gone.
    fn alive(&self) -> Result<(), Errno> {
        match procinfo::id_of(self.id.pid) {
            Some(id) if id == self.id => Ok(()),
            _ => Err(Errno::ENOENT),
        }
    }
}

impl VnodeOps for PidDir {
    fn getattr(&self) -> Stat {
        attrs(mode::S_IFDIR, 0o555, 2)
    }

    fn lookup(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        if name == b".." {
            return self.fs.root().ok_or(Errno::ENOENT);
        }
        self.alive()?;
        let (i, (_, kind)) = FILES
            .iter()
            .enumerate()
            .find(|(_, (n, _))| *n == name)
            .ok_or(Errno::ENOENT)?;
        let ino = pid_ino(self.id.pid, i + 1);
        Ok(match *kind {
            Kind::File(g) => Vnode::new(
                VType::Reg,
                self.fs.dev,
                ino,
                Box::new(GenFile::new(Source::Proc(self.id, g))),
            ),
            Kind::Exe => Vnode::new(
                VType::Lnk,
                self.fs.dev,
                ino,
                Box::new(ProcLink {
                    kind: LinkKind::Exe(self.id),
                }),
            ),
        })
    }

    fn create(&self, _: &VnodeRef, name: &[u8], _: u32) -> Result<VnodeRef, Errno> {
        Err(refuse_new(self.lookup(name).is_ok()))
    }

    fn mkdir(&self, _: &VnodeRef, name: &[u8], _: u32) -> Result<VnodeRef, Errno> {
        Err(refuse_new(self.lookup(name).is_ok()))
    }

    fn symlink(&self, _: &VnodeRef, name: &[u8], _: &[u8]) -> Result<VnodeRef, Errno> {
        Err(refuse_new(self.lookup(name).is_ok()))
    }

    fn link(&self, name: &[u8], _: &VnodeRef) -> Result<(), Errno> {
        Err(refuse_new(self.lookup(name).is_ok()))
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.lookup(name).and(Err(Errno::EPERM))
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.lookup(name).and(Err(Errno::EPERM))
    }

    fn rename(
        &self,
        _: &VnodeRef,
        from: &[u8],
        to_dir: &VnodeRef,
        to: &[u8],
        _: bool,
    ) -> Result<(), Errno> {
        refuse_rename(self.lookup(from).is_ok(), to_dir, to)
    }

    fn readdir(
        &self,
        cookie: u64,
        sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> Result<u64, Errno> {
        self.alive()?;
        let mut c = cookie;
        loop {
            let e = match c {
                0 => DirEntry {
                    ino: pid_ino(self.id.pid, 0),
                    vtype: VType::Dir,
                    name: b".",
                    next: 1,
                },
                1 => DirEntry {
                    ino: self.fs.root().map_or(1, |r| r.ino()),
                    vtype: VType::Dir,
                    name: b"..",
                    next: 2,
                },
                _ => match FILES.get((c - 2) as usize) {
                    Some((name, kind)) => DirEntry {
                        ino: pid_ino(self.id.pid, (c - 1) as usize),
                        vtype: match kind {
                            Kind::File(_) => VType::Reg,
                            Kind::Exe => VType::Lnk,
                        },
                        name,
                        next: c + 1,
                    },
                    None => return Ok(c),
                },
            };
            if !sink(&e) {
                return Ok(c);
            }
            c += 1;
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
