//! procfs's fixed directories: the root (its fixed entries, then one
//! directory per process) and `/proc/ferrite`, each a table of names.
//!
//! Reading the root lists `.`, `..`, the fixed entries, then the PIDs in
//! increasing order. Cookies: 0 and 1 for the dot entries, 2 + i for
//! fixed entry i, then `PIDS_COOKIE + pid` for a PID, so a listing
//! resumed after processes came and went continues at the next PID
//! instead of repeating or skipping one.
//!
//! A name is looked up among the fixed entries, then as a PID: decimal,
//! without sign or leading zero (Linux's rule: `/proc/0001` is ENOENT).
//! This file also holds the refusals every procfs directory shares.

use super::ProcFs;
use super::file::{GenFile, GlobalGen, Source, attrs};
use super::link::{LinkKind, ProcLink};
use super::{kmem, meminfo, piddir, vmstat};
use crate::fs::vnode::{DirEntry, VType, Vnode, VnodeOps, VnodeRef};
use crate::kern::proc::Pid;
use crate::kern::proc::procinfo;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};

/// A fixed entry.
pub enum Entry {
    /// A generated file.
    File(GlobalGen),
    /// `self`.
    SelfLink,
    /// A directory with these entries.
    Dir(&'static [(&'static [u8], u64, Entry)]),
}

/// `/proc/ferrite`: Ferrite's own files (name, inode, entry).
static FERRITE: &[(&[u8], u64, Entry)] = &[
    (b"malloc", 16, Entry::File(kmem::malloc)),
    (b"pools", 17, Entry::File(kmem::pools)),
    (b"uvmexp", 18, Entry::File(vmstat::uvmexp)),
];

/// The root's fixed entries.
static TOP: &[(&[u8], u64, Entry)] = &[
    (b"ferrite", 2, Entry::Dir(FERRITE)),
    (b"meminfo", 3, Entry::File(meminfo::generate)),
    (b"self", 4, Entry::SelfLink),
    (b"vmstat", 5, Entry::File(vmstat::generate)),
];

/// Where the PIDs' cookies start (past every fixed entry).
const PIDS_COOKIE: u64 = 64;

/// A table directory.
pub struct RootDir {
    fs: Arc<ProcFs>,
    table: &'static [(&'static [u8], u64, Entry)],
    ino: u64,
    /// The root: lists the processes too.
    is_root: bool,
}

impl RootDir {
    /// The root directory of instance `fs`.
    pub fn new(fs: Arc<ProcFs>) -> RootDir {
        RootDir {
            fs,
            table: TOP,
            ino: 1,
            is_root: true,
        }
    }

    /// The vnode of fixed entry `e`.
    fn make(&self, ino: u64, e: &'static Entry) -> VnodeRef {
        let dev = self.fs.dev;
        match e {
            Entry::File(g) => Vnode::new(
                VType::Reg,
                dev,
                ino,
                Box::new(GenFile::new(Source::Global(*g))),
            ),
            Entry::SelfLink => Vnode::new(
                VType::Lnk,
                dev,
                ino,
                Box::new(ProcLink {
                    kind: LinkKind::SelfPid,
                }),
            ),
            Entry::Dir(t) => self.fs.dir(
                ino,
                |_| true,
                || {
                    Vnode::new(
                        VType::Dir,
                        dev,
                        ino,
                        Box::new(RootDir {
                            fs: self.fs.clone(),
                            table: t,
                            ino,
                            is_root: false,
                        }),
                    )
                },
            ),
        }
    }

    /// The instance (tests).
    pub(super) fn fs(&self) -> &Arc<ProcFs> {
        &self.fs
    }

    fn root(&self) -> Result<VnodeRef, Errno> {
        self.fs.root().ok_or(Errno::ENOENT)
    }
}

impl Drop for RootDir {
    fn drop(&mut self) {
        if !self.is_root {
            self.fs.forget_dead();
        }
    }
}

/// The PID a directory name stands for (decimal, no sign, no leading 0).
pub fn parse_pid(name: &[u8]) -> Option<Pid> {
    if name.is_empty() || name.len() > 10 || (name[0] == b'0') {
        return None;
    }
    let mut v: u64 = 0;
    for &c in name {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    Pid::try_from(v).ok()
}

fn vtype_of(e: &Entry) -> VType {
    match e {
        Entry::File(_) => VType::Reg,
        Entry::SelfLink => VType::Lnk,
        Entry::Dir(_) => VType::Dir,
    }
}

impl VnodeOps for RootDir {
    fn getattr(&self) -> Stat {
        attrs(mode::S_IFDIR, 0o555, 2)
    }

    fn lookup(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        if name == b".." {
            return self.root();
        }
        if let Some((_, ino, e)) = self.table.iter().find(|(n, _, _)| *n == name) {
            return Ok(self.make(*ino, e));
        }
        if self.is_root
            && let Some(id) = parse_pid(name).and_then(procinfo::id_of)
        {
            return Ok(piddir::new(&self.fs, id));
        }
        Err(Errno::ENOENT)
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
        let v = self.lookup(name)?;
        Err(if v.is_dir() {
            Errno::EPERM
        } else {
            Errno::ENOTDIR
        })
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
        let mut c = cookie;
        let dotdot_ino = match self.root() {
            Ok(r) if !self.is_root => r.ino(),
            Ok(r) => r.covered().map_or(self.ino, |v| v.ino()),
            Err(_) => self.ino,
        };
        // The dot entries and the fixed ones.
        while c < PIDS_COOKIE {
            let e: (&[u8], u64, VType) = match c {
                0 => (b".", self.ino, VType::Dir),
                1 => (b"..", dotdot_ino, VType::Dir),
                _ => match self.table.get((c - 2) as usize) {
                    Some((name, ino, e)) => (*name, *ino, vtype_of(e)),
                    None => {
                        c = PIDS_COOKIE;
                        break;
                    }
                },
            };
            let d = DirEntry {
                ino: e.1,
                vtype: e.2,
                name: e.0,
                next: c + 1,
            };
            if !sink(&d) {
                return Ok(c);
            }
            c += 1;
        }
        if !self.is_root {
            return Ok(c);
        }
        // The processes, from the PID the cookie names on.
        let first = c - PIDS_COOKIE;
        let mut name = [0u8; 10];
        for pid in procinfo::pids()? {
            if (pid as u64) < first {
                continue;
            }
            let n = decimal(pid, &mut name);
            let d = DirEntry {
                ino: super::pid_ino(pid, 0),
                vtype: VType::Dir,
                name: &name[..n],
                next: PIDS_COOKIE + pid as u64 + 1,
            };
            if !sink(&d) {
                return Ok(PIDS_COOKIE + pid as u64);
            }
            c = PIDS_COOKIE + pid as u64 + 1;
        }
        Ok(c)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `pid` in decimal into `buf`; returns the length.
fn decimal(pid: Pid, buf: &mut [u8; 10]) -> usize {
    let mut tmp = [0u8; 10];
    let mut n = 0;
    let mut v = pid;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in 0..n {
        buf[i] = tmp[n - 1 - i];
    }
    n
}

/// Making a name in a procfs directory: EEXIST if it exists, else ENOENT
/// (Linux's lookup of a new name in /proc fails before any create).
pub fn refuse_new(exists: bool) -> Errno {
    if exists { Errno::EEXIST } else { Errno::ENOENT }
}

/// rename in procfs: ENOENT for a missing source or a new target name,
/// EPERM to replace an existing entry.
pub fn refuse_rename(from_exists: bool, to_dir: &VnodeRef, to: &[u8]) -> Result<(), Errno> {
    if !from_exists {
        return Err(Errno::ENOENT);
    }
    Err(if to_dir.lookup(to).is_ok() {
        Errno::EPERM
    } else {
        Errno::ENOENT
    })
}
