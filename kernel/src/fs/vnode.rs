//! Vnodes (NetBSD's vfs_vnode.c and sys/vnode.h): the file-system
//! independent handle on a file, directory, symbolic link or device, and
//! the operations vector every file system implements behind it.
//!
//! A vnode is shared through counted references (`VnodeRef`, an `Arc`):
//! directories hold their children, open files and current directories
//! hold what they use, and a vnode (with its file's pages) goes away with
//! its last reference, so a file unlinked while open stays usable until
//! its last descriptor closes.
//!
//! This file owns the vnode structure (type, device and inode numbers
//! fixed at creation; the mount links of `mount.rs`), the operations trait
//! (`VnodeOps`, implemented by `ramfs` and `devfs`) with Linux errno values
//! as the defaults for operations a type does not support, and the small
//! checks every caller wants (`access`). It never looks into a file
//! system's private node and never walks paths (`namei` does).
//!
//! Locking: each file system protects its own nodes (see `ramfs`); the
//! vnode's own fields are either fixed or under short spin locks (the
//! mount links), never held across an operation.

use crate::fs::uio::{IoFlags, Uio};
use crate::kern::sched::spinlock::SpinLock;
use crate::uvm::object::ObjRef;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use ferrite_abi::{Errno, Stat, mode};

/// A counted reference to a vnode.
pub type VnodeRef = Arc<Vnode>;

/// The longest path a system call takes, NUL included (Linux's PATH_MAX).
pub const PATH_MAX: usize = 4096;
/// The longest name of one directory entry (NAME_MAX).
pub const NAME_MAX: usize = 255;

/// What a vnode is (its `S_IFMT` type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VType {
    Reg,
    Dir,
    Lnk,
    Chr,
}

impl VType {
    /// The `S_IFMT` bits.
    pub const fn ifmt(self) -> u32 {
        match self {
            VType::Reg => mode::S_IFREG,
            VType::Dir => mode::S_IFDIR,
            VType::Lnk => mode::S_IFLNK,
            VType::Chr => mode::S_IFCHR,
        }
    }

    /// The `d_type` of a directory entry.
    pub const fn dtype(self) -> u8 {
        mode::dt_from_mode(self.ifmt())
    }
}

/// One directory entry as `readdir` hands it out.
#[derive(Clone, Copy, Debug)]
pub struct DirEntry<'a> {
    pub ino: u64,
    pub vtype: VType,
    pub name: &'a [u8],
    /// The cookie that resumes reading after this entry (`d_off`).
    pub next: u64,
}

/// `access` modes (R_OK, W_OK, X_OK; F_OK is 0).
pub mod amode {
    pub const R_OK: u32 = 4;
    pub const W_OK: u32 = 2;
    pub const X_OK: u32 = 1;
}

/// The operations of a file system's node (NetBSD's vnodeops). Every
/// method has the Linux error a type that does not support it gives, so a
/// file system implements only what its nodes do. Directory operations get
/// the directory's own reference (`dir`) when they link a new node to it.
pub trait VnodeOps: Send + Sync + Any {
    /// The node's attributes (`st_dev` and `st_ino` are filled in by the
    /// vnode layer).
    fn getattr(&self) -> Stat;

    /// The entry `name` of this directory (`..` included; `.` is handled
    /// by `namei`).
    fn lookup(&self, _name: &[u8]) -> Result<VnodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Create a regular file `name` with permissions `perm`; EEXIST if the
    /// name is taken.
    fn create(&self, _dir: &VnodeRef, _name: &[u8], _perm: u32) -> Result<VnodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Create a directory.
    fn mkdir(&self, _dir: &VnodeRef, _name: &[u8], _perm: u32) -> Result<VnodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Create a symbolic link to `target`.
    fn symlink(&self, _dir: &VnodeRef, _name: &[u8], _target: &[u8]) -> Result<VnodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Add a name for the existing non-directory `node` (a hard link).
    fn link(&self, _name: &[u8], _node: &VnodeRef) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Remove the non-directory entry `name`.
    fn unlink(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Remove the empty directory `name`.
    fn rmdir(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Move entry `from` of this directory to `to` in `to_dir` (same file
    /// system: the caller checked), replacing what is there as rename(2)
    /// allows; with `noreplace`, EEXIST instead.
    fn rename(
        &self,
        _dir: &VnodeRef,
        _from: &[u8],
        _to_dir: &VnodeRef,
        _to: &[u8],
        _noreplace: bool,
    ) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// The target of a symbolic link.
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// Read from byte `off` into `uio`; returns the bytes moved.
    fn read(&self, _off: u64, _uio: &mut Uio<'_>, _flags: IoFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Write `uio` at byte `off` (at the end of file with `flags.append`);
    /// returns the bytes moved and the offset after them.
    fn write(&self, _off: u64, _uio: &mut Uio<'_>, _flags: IoFlags) -> Result<(usize, u64), Errno> {
        Err(Errno::EINVAL)
    }

    /// Set a regular file's size.
    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// Hand the entries from `cookie` on to `sink` until it returns false
    /// (the caller's buffer is full) or the directory ends; returns the
    /// cookie to resume from.
    fn readdir(
        &self,
        _cookie: u64,
        _sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> Result<u64, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// The memory object holding a regular file's pages.
    fn object(&self) -> Option<ObjRef> {
        None
    }

    /// True for a device whose mappings are anonymous memory
    /// (`/dev/zero`: mmap of it gives zero-filled private or shared
    /// memory, as on Linux and the BSDs).
    fn maps_anonymous(&self) -> bool {
        false
    }

    /// A device's ioctl; ENOTTY for everything else.
    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }

    /// Poll readiness for `events` (files are always ready).
    fn poll(&self, events: i16) -> i16 {
        use ferrite_abi::poll::*;
        events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
    }

    /// True if the file has positions (lseek, pread, pwrite); a terminal
    /// has none (ESPIPE).
    fn seekable(&self) -> bool {
        true
    }

    /// The node as `Any`, for a file system to find its own nodes again
    /// (rename between two of its directories).
    fn as_any(&self) -> &dyn Any;
}

/// A vnode: what the file is, where it lives, and its file system's node.
pub struct Vnode {
    vtype: VType,
    dev: u64,
    ino: u64,
    ops: Box<dyn VnodeOps>,
    /// The root of the file system mounted on this directory
    /// (v_mountedhere), if any.
    mounted_here: SpinLock<Option<VnodeRef>>,
    /// For the root of a mounted file system: the directory it covers
    /// (mnt_vnodecovered), weak because the covered tree holds the mount.
    covered: SpinLock<Option<Weak<Vnode>>>,
}

impl core::fmt::Debug for Vnode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "vnode {:?} dev {} ino {}",
            self.vtype, self.dev, self.ino
        )
    }
}

impl Vnode {
    /// A new vnode of type `vtype` for file-system node `ops`.
    pub fn new(vtype: VType, dev: u64, ino: u64, ops: Box<dyn VnodeOps>) -> VnodeRef {
        Arc::new(Vnode {
            vtype,
            dev,
            ino,
            ops,
            mounted_here: SpinLock::new("v_mountedhere", None),
            covered: SpinLock::new("v_covered", None),
        })
    }

    /// A new vnode whose node needs a weak reference to the vnode itself
    /// (a directory that is its own `..`).
    pub fn new_cyclic(
        vtype: VType,
        dev: u64,
        ino: u64,
        make: impl FnOnce(&Weak<Vnode>) -> Box<dyn VnodeOps>,
    ) -> VnodeRef {
        Arc::new_cyclic(|w| Vnode {
            vtype,
            dev,
            ino,
            ops: make(w),
            mounted_here: SpinLock::new("v_mountedhere", None),
            covered: SpinLock::new("v_covered", None),
        })
    }

    pub fn vtype(&self) -> VType {
        self.vtype
    }

    pub fn dev(&self) -> u64 {
        self.dev
    }

    pub fn ino(&self) -> u64 {
        self.ino
    }

    pub fn is_dir(&self) -> bool {
        self.vtype == VType::Dir
    }

    pub fn is_regular(&self) -> bool {
        self.vtype == VType::Reg
    }

    pub fn is_symlink(&self) -> bool {
        self.vtype == VType::Lnk
    }

    /// The file system's node.
    pub fn ops(&self) -> &dyn VnodeOps {
        &*self.ops
    }

    /// The attributes as stat(2) reports them.
    pub fn getattr(&self) -> Stat {
        let mut st = self.ops.getattr();
        st.st_dev = self.dev;
        st.st_ino = self.ino;
        st.st_mode = (st.st_mode & !mode::S_IFMT) | self.vtype.ifmt();
        st
    }

    /// Check access `mode` (`amode` bits). Everything runs as root, so
    /// reading and writing are always allowed; executing needs an x bit
    /// on anything but a directory (Linux's rule for root).
    pub fn access(&self, mode: u32) -> Result<(), Errno> {
        if mode & amode::X_OK != 0 && !self.is_dir() && self.getattr().st_mode & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// True for `/dev/zero` (mmap gives anonymous memory).
    pub fn is_zero_device(&self) -> bool {
        self.ops().maps_anonymous()
    }

    /// The memory object holding a regular file's pages (exec and mmap
    /// map them).
    pub fn object(&self) -> Option<ObjRef> {
        self.ops.object()
    }

    /// Read into a kernel buffer from byte `off`; returns the bytes read
    /// (0 at end of file).
    pub fn read(&self, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.ops
            .read(off, &mut Uio::kernel_read(buf), IoFlags::default())
    }

    /// Write a kernel buffer at byte `off`; returns the bytes written.
    pub fn write(&self, off: u64, buf: &[u8]) -> Result<usize, Errno> {
        if self.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.ops
            .write(off, &mut Uio::kernel_write(buf), IoFlags::default())
            .map(|(n, _)| n)
    }

    /// The entry `name` of this directory, without crossing mount points
    /// (`namei` does that).
    pub fn lookup(&self, name: &[u8]) -> Result<VnodeRef, Errno> {
        if !self.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        self.ops.lookup(name)
    }

    pub fn create(self: &Arc<Self>, name: &[u8], perm: u32) -> Result<VnodeRef, Errno> {
        self.ops.create(self, name, perm)
    }

    pub fn mkdir(self: &Arc<Self>, name: &[u8], perm: u32) -> Result<VnodeRef, Errno> {
        self.ops.mkdir(self, name, perm)
    }

    pub fn symlink(self: &Arc<Self>, name: &[u8], target: &[u8]) -> Result<VnodeRef, Errno> {
        self.ops.symlink(self, name, target)
    }

    pub fn link(&self, name: &[u8], node: &VnodeRef) -> Result<(), Errno> {
        if node.is_dir() {
            return Err(Errno::EPERM);
        }
        if node.dev != self.dev {
            return Err(Errno::EXDEV);
        }
        self.ops.link(name, node)
    }

    pub fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.ops.unlink(name)
    }

    pub fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.ops.rmdir(name)
    }

    /// rename(2) within one file system (EXDEV across two).
    pub fn rename(
        self: &Arc<Self>,
        from: &[u8],
        to_dir: &VnodeRef,
        to: &[u8],
        noreplace: bool,
    ) -> Result<(), Errno> {
        if self.dev != to_dir.dev {
            return Err(Errno::EXDEV);
        }
        self.ops.rename(self, from, to_dir, to, noreplace)
    }

    pub fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.ops.readlink()
    }

    pub fn truncate(&self, size: u64) -> Result<(), Errno> {
        match self.vtype {
            VType::Reg => self.ops.truncate(size),
            VType::Dir => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn readdir(
        &self,
        cookie: u64,
        sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
    ) -> Result<u64, Errno> {
        self.ops.readdir(cookie, sink)
    }

    /// The root of the file system mounted here, if any.
    pub fn mounted_here(&self) -> Option<VnodeRef> {
        self.mounted_here.lock().clone()
    }

    /// The directory a mounted root covers (None for anything else, and
    /// for the root of the whole tree).
    pub fn covered(&self) -> Option<VnodeRef> {
        let w = self.covered.lock().clone();
        w.and_then(|w| w.upgrade())
    }

    /// Link a mounted root here (mount.rs); EBUSY if something is mounted.
    pub(super) fn set_mounted(self: &Arc<Self>, root: &VnodeRef) -> Result<(), Errno> {
        let mut m = self.mounted_here.lock();
        if m.is_some() {
            return Err(Errno::EBUSY);
        }
        *root.covered.lock() = Some(Arc::downgrade(self));
        *m = Some(root.clone());
        Ok(())
    }

    /// Undo `set_mounted`; returns the root that was mounted.
    pub(super) fn clear_mounted(&self) -> Option<VnodeRef> {
        let root = self.mounted_here.lock().take();
        if let Some(r) = &root {
            let old = r.covered.lock().take();
            drop(old);
        }
        root
    }
}

/// True if `a` and `b` are the same vnode.
pub fn same(a: &VnodeRef, b: &VnodeRef) -> bool {
    Arc::ptr_eq(a, b)
}
