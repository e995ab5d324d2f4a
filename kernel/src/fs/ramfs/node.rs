//! A RAM file system node (tmpfs_node): the attributes of one file,
//! directory or symbolic link and what it holds (a directory's entries
//! and parent, a regular file's memory object, a link's target), and the
//! `VnodeOps` that hand each operation to `dirops` or `file`.
//!
//! A node lives as long as its vnode: a directory entry, an open file or
//! a current directory keeps it; the last reference frees it and, for a
//! regular file, its memory object and pages.

use super::RamFs;
use super::dir::DirTable;
use super::dirops;
use super::file::RamFile;
use crate::fs::clock;
use crate::fs::uio::{IoFlags, Uio};
use crate::fs::vnode::{DirEntry, VType, Vnode, VnodeOps, VnodeRef};
use crate::kern::sched::mutex::Mutex;
use crate::kern::sched::spinlock::SpinLock;
use crate::uvm::object::ObjRef;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use ferrite_abi::{Errno, Stat, Timespec};

/// Linux tmpfs counts each directory entry as this many bytes of size.
const BOGO_DIRENT_SIZE: u64 = 20;

/// The attributes of a node (under a spin lock: a leaf lock).
#[derive(Clone, Copy, Debug)]
pub(super) struct Attr {
    /// Permission bits (07777).
    pub perm: u32,
    pub nlink: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Attr {
    fn new(perm: u32, nlink: u32) -> Attr {
        let t = clock::now();
        Attr {
            perm: perm & 0o7777,
            nlink,
            atime: t,
            mtime: t,
            ctime: t,
        }
    }

    /// A change to the contents: modification and change times.
    pub fn modified(&mut self) {
        let t = clock::now();
        self.mtime = t;
        self.ctime = t;
    }
}

/// A directory's entries and parent.
pub(super) struct DirData {
    pub entries: DirTable,
    /// The directory holding this one (itself for the root): weak, as
    /// the parent holds its children.
    pub parent: Weak<Vnode>,
}

pub(super) enum Body {
    Dir(Mutex<DirData>),
    File(RamFile),
    Symlink(Box<[u8]>),
}

/// A RAM file system node.
pub struct RamNode {
    pub(super) fs: Arc<RamFs>,
    pub(super) ino: u64,
    pub(super) attr: SpinLock<Attr>,
    pub(super) body: Body,
}

impl RamNode {
    pub(super) fn dir(&self) -> Option<&Mutex<DirData>> {
        match &self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    pub(super) fn nlink(&self) -> u32 {
        self.attr.lock().nlink
    }

    /// The RAM file system node behind `v`, if it is one.
    pub(super) fn of(v: &VnodeRef) -> Option<&RamNode> {
        v.ops().as_any().downcast_ref::<RamNode>()
    }
}

/// Make a node and its vnode.
pub(super) fn new_vnode(
    fs: &Arc<RamFs>,
    vtype: VType,
    perm: u32,
    nlink: u32,
    body: Body,
) -> VnodeRef {
    let ino = fs.alloc_ino();
    let node = RamNode {
        fs: fs.clone(),
        ino,
        attr: SpinLock::new("ramfs-attr", Attr::new(perm, nlink)),
        body,
    };
    Vnode::new(vtype, fs.dev, ino, Box::new(node))
}

/// A new directory node whose parent is `parent`.
pub(super) fn new_dir(fs: &Arc<RamFs>, perm: u32, parent: Weak<Vnode>) -> VnodeRef {
    let body = Body::Dir(Mutex::new(
        "ramfs-dir",
        DirData {
            entries: DirTable::new(),
            parent,
        },
    ));
    new_vnode(fs, VType::Dir, perm, 2, body)
}

/// The root directory of a new file system (its own parent).
pub(super) fn new_root(fs: &Arc<RamFs>, perm: u32) -> VnodeRef {
    let root = new_dir(fs, perm, Weak::new());
    if let Some(d) = RamNode::of(&root).and_then(|n| n.dir()) {
        d.lock().parent = Arc::downgrade(&root);
    }
    root
}

impl VnodeOps for RamNode {
    fn getattr(&self) -> Stat {
        let a = *self.attr.lock();
        let (size, blocks) = match &self.body {
            Body::Dir(d) => {
                let n = d.lock().entries.len() as u64;
                ((n + 2) * BOGO_DIRENT_SIZE, 0)
            }
            Body::File(f) => (f.size(), f.resident_pages() * 8),
            Body::Symlink(t) => (t.len() as u64, 0),
        };
        Stat {
            st_nlink: a.nlink as u64,
            st_mode: a.perm,
            st_size: size as i64,
            st_blksize: 4096,
            st_blocks: blocks as i64,
            st_atime: a.atime.tv_sec,
            st_atime_nsec: a.atime.tv_nsec,
            st_mtime: a.mtime.tv_sec,
            st_mtime_nsec: a.mtime.tv_nsec,
            st_ctime: a.ctime.tv_sec,
            st_ctime_nsec: a.ctime.tv_nsec,
            ..Stat::default()
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        dirops::lookup(self, name)
    }

    fn create(&self, dir: &VnodeRef, name: &[u8], perm: u32) -> Result<VnodeRef, Errno> {
        dirops::create(self, dir, name, |fs| {
            let file = RamFile::new()?;
            Ok(new_vnode(fs, VType::Reg, perm, 1, Body::File(file)))
        })
    }

    fn mkdir(&self, dir: &VnodeRef, name: &[u8], perm: u32) -> Result<VnodeRef, Errno> {
        dirops::create(self, dir, name, |fs| {
            Ok(new_dir(fs, perm, Arc::downgrade(dir)))
        })
    }

    fn symlink(&self, dir: &VnodeRef, name: &[u8], target: &[u8]) -> Result<VnodeRef, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        dirops::create(self, dir, name, |fs| {
            let mut t = Vec::new();
            t.try_reserve_exact(target.len())
                .map_err(|_| Errno::ENOMEM)?;
            t.extend_from_slice(target);
            Ok(new_vnode(
                fs,
                VType::Lnk,
                0o777,
                1,
                Body::Symlink(t.into_boxed_slice()),
            ))
        })
    }

    fn link(&self, name: &[u8], node: &VnodeRef) -> Result<(), Errno> {
        dirops::link(self, name, node)
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        dirops::unlink(self, name)
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        dirops::rmdir(self, name)
    }

    fn rename(
        &self,
        dir: &VnodeRef,
        from: &[u8],
        to_dir: &VnodeRef,
        to: &[u8],
        noreplace: bool,
    ) -> Result<(), Errno> {
        dirops::rename(self, dir, from, to_dir, to, noreplace)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.body {
            Body::Symlink(t) => {
                let mut v = Vec::new();
                v.try_reserve_exact(t.len()).map_err(|_| Errno::ENOMEM)?;
                v.extend_from_slice(t);
                Ok(v)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn read(&self, off: u64, uio: &mut Uio<'_>, _flags: IoFlags) -> Result<usize, Errno> {
        match &self.body {
            Body::File(f) => f.read(off, uio),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    fn write(&self, off: u64, uio: &mut Uio<'_>, flags: IoFlags) -> Result<(usize, u64), Errno> {
        match &self.body {
            Body::File(f) => f.write(&self.attr, off, uio, flags.append),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    fn truncate(&self, size: u64) -> Result<(), Errno> {
        match &self.body {
            Body::File(f) => f.truncate(&self.attr, size),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    fn readdir(
        &self,
        cookie: u64,
        sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> Result<u64, Errno> {
        dirops::readdir(self, cookie, sink)
    }

    fn object(&self) -> Option<ObjRef> {
        match &self.body {
            Body::File(f) => Some(f.object()),
            _ => None,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
