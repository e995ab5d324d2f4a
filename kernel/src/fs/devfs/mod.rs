//! devfs: the device file system mounted at `/dev`. Its root directory
//! holds a fixed set of character devices with Linux's device numbers:
//!
//! | name | device | major:minor |
//! |---|---|---|
//! | `console` | the serial console terminal (`console.rs`, `tty.rs`) | 5:1 |
//! | `tty` | the controlling terminal: the console again | 5:0 |
//! | `null`, `zero`, `full` | memory devices (`mem.rs`) | 1:3, 1:5, 1:7 |
//! | `random`, `urandom` | pseudo-random bytes (`mem.rs`) | 1:8, 1:9 |
//!
//! The directory cannot be changed (creating or removing in it is EPERM,
//! as for a read-only device directory). This file owns the directory;
//! each device is its own file.

pub mod console;
pub mod mem;
pub mod tty;
mod tty_tests;

use super::mount;
use super::vnode::{DirEntry, VType, Vnode, VnodeOps, VnodeRef};
use alloc::boxed::Box;
use alloc::sync::Weak;
use alloc::vec::Vec;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};
use mem::{MemDev, MemKind};

/// The attributes of a character device with permissions `perm`.
pub(crate) fn chr_stat(perm: u32, rdev: u64) -> Stat {
    Stat {
        st_nlink: 1,
        st_mode: mode::S_IFCHR | perm,
        st_rdev: rdev,
        st_blksize: 4096,
        ..Stat::default()
    }
}

/// The devfs root directory.
struct DevDir {
    entries: Vec<(&'static [u8], VnodeRef)>,
    /// Itself (its own `..` when not mounted).
    me: Weak<Vnode>,
}

impl VnodeOps for DevDir {
    fn getattr(&self) -> Stat {
        Stat {
            st_nlink: 2,
            st_mode: 0o755,
            st_size: ((self.entries.len() + 2) * 20) as i64,
            st_blksize: 4096,
            ..Stat::default()
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        if name == b".." {
            return self.me.upgrade().ok_or(Errno::ENOENT);
        }
        self.entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .ok_or(Errno::ENOENT)
    }

    fn create(&self, _: &VnodeRef, name: &[u8], _: u32) -> Result<VnodeRef, Errno> {
        self.refuse(name)
    }

    fn mkdir(&self, _: &VnodeRef, name: &[u8], _: u32) -> Result<VnodeRef, Errno> {
        self.refuse(name)
    }

    fn symlink(&self, _: &VnodeRef, name: &[u8], _: &[u8]) -> Result<VnodeRef, Errno> {
        self.refuse(name)
    }

    fn link(&self, name: &[u8], _: &VnodeRef) -> Result<(), Errno> {
        self.refuse(name).map(|_| ())
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.lookup(name).and(Err(Errno::EPERM))
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.lookup(name).and(Err(Errno::ENOTDIR))
    }

    fn rename(
        &self,
        _: &VnodeRef,
        from: &[u8],
        _: &VnodeRef,
        _: &[u8],
        _: bool,
    ) -> Result<(), Errno> {
        self.lookup(from).and(Err(Errno::EPERM))
    }

    fn readdir(
        &self,
        cookie: u64,
        sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> Result<u64, Errno> {
        let me = self.me.upgrade().ok_or(Errno::ENOENT)?;
        let mut c = cookie;
        loop {
            let e = match c {
                0 => DirEntry {
                    ino: me.ino(),
                    vtype: VType::Dir,
                    name: b".",
                    next: 1,
                },
                1 => DirEntry {
                    ino: me.covered().map_or(me.ino(), |v| v.ino()),
                    vtype: VType::Dir,
                    name: b"..",
                    next: 2,
                },
                _ => match self.entries.get((c - 2) as usize) {
                    Some((name, v)) => DirEntry {
                        ino: v.ino(),
                        vtype: v.vtype(),
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

impl DevDir {
    /// Creating a name: EEXIST for a device that exists, else EPERM.
    fn refuse(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        match self.lookup(name) {
            Ok(_) => Err(Errno::EEXIST),
            Err(_) => Err(Errno::EPERM),
        }
    }
}

/// A new devfs instance; returns its root directory. The console's input
/// handler is registered with the first one.
pub fn new() -> VnodeRef {
    console::attach();
    let dev = mount::alloc_dev();
    let md = mount::makedev;
    // (name, memory device or None for a terminal, device number), in
    // name order; inode numbers follow from 2 (the directory is 1).
    let table: [(&'static [u8], Option<MemKind>, u64); 7] = [
        (b"console", None, md(5, 1)),
        (b"full", Some(MemKind::Full), md(1, 7)),
        (b"null", Some(MemKind::Null), md(1, 3)),
        (b"random", Some(MemKind::Random), md(1, 8)),
        (b"tty", None, md(5, 0)),
        (b"urandom", Some(MemKind::Random), md(1, 9)),
        (b"zero", Some(MemKind::Zero), md(1, 5)),
    ];
    let mut entries: Vec<(&'static [u8], VnodeRef)> = Vec::with_capacity(table.len());
    for (i, (name, kind, rdev)) in table.into_iter().enumerate() {
        let node: Box<dyn VnodeOps> = match kind {
            Some(k) => Box::new(MemDev::new(k, rdev)),
            None => Box::new(console::ConsoleDev::new(rdev)),
        };
        entries.push((name, Vnode::new(VType::Chr, dev, i as u64 + 2, node)));
    }
    Vnode::new_cyclic(VType::Dir, dev, 1, |me| {
        Box::new(DevDir {
            entries,
            me: me.clone(),
        })
    })
}
