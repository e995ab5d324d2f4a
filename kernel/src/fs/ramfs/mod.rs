//! The RAM file system (NetBSD's tmpfs, Linux's ramfs/tmpfs): files,
//! directories and symbolic links that live only in memory. It holds the
//! unpacked initramfs at `/` (and so `/tmp`).
//!
//! - `node`: the file-system node behind each vnode (attributes and what
//!   the node holds) and its `VnodeOps`;
//! - `dirops`: the name-space operations (lookup, create, link, unlink,
//!   rename, readdir);
//! - `dir`: a directory's entry table;
//! - `file`: a regular file's data in its memory object.
//!
//! Locking (what may be held while taking what):
//! - a directory's entry lock (a sleepable mutex) is held only for one
//!   operation on that directory; an operation that needs two or more
//!   directory locks (rename, rmdir) first takes the file system's
//!   name-space lock (`RamFs::ns`), so such operations are serialised and
//!   no two threads ever wait for each other's directory locks;
//! - a regular file's data lock is never held with a directory lock;
//! - the attribute spin locks are leaves.

mod dir;
mod dirops;
mod file;
mod node;
mod ramfs_tests;

use crate::fs::mount;
use crate::fs::vnode::VnodeRef;
use crate::kern::sched::mutex::Mutex;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

/// One RAM file system instance (what a mount of it shares).
pub struct RamFs {
    dev: u64,
    next_ino: AtomicU64,
    /// The name-space lock: held by operations on two or more directories.
    ns: Mutex<()>,
}

impl RamFs {
    fn alloc_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }
}

/// A new, empty RAM file system; returns its root directory (mode
/// `perm`, inode 1).
pub fn new(perm: u32) -> VnodeRef {
    let fs = Arc::new(RamFs {
        dev: mount::alloc_dev(),
        next_ino: AtomicU64::new(1),
        ns: Mutex::new("ramfs-ns", ()),
    });
    node::new_root(&fs, perm)
}
