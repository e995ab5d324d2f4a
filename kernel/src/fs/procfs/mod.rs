//! procfs: the read-only process file system mounted at `/proc` (Linux's
//! fs/proc, NetBSD's miscfs/procfs), whose files are generated from the
//! live kernel state when they are read.
//!
//! ```text
//! /proc/meminfo            memory totals, Linux's format        (meminfo.rs)
//! /proc/vmstat             `name value` counters, Linux's names plus
//!                          UVM's (faults by case, copies, forks) (vmstat.rs)
//! /proc/self               -> the caller's PID                  (link.rs)
//! /proc/<pid>/             one directory per process, zombies too (piddir.rs)
//!             maps         the map entries, Linux's format      (maps.rs)
//!             uvm          the map entries with UVM's detail    (maps.rs)
//!             stat statm status cmdline comm                    (pidstat.rs)
//!             exe          -> the program's path                (link.rs)
//! /proc/ferrite/pools      the pool table (vmstat -m)           (kmem.rs)
//! /proc/ferrite/malloc     the malloc types (vmstat -m)         (kmem.rs)
//! /proc/ferrite/uvmexp     every UVM counter (vmstat -s)        (vmstat.rs)
//! ```
//!
//! Nodes are made on lookup and carry no state of the system (a process's
//! files carry its PID and start time, `ProcId`), so a vnode can never
//! outlive or disagree with what it shows: a reaped process's directory
//! is gone (ENOENT), and files still open on it read ESRCH. Files are made
//! anew by each lookup (each open keeps its own text); a directory in use
//! is found again (`ProcFs::dir`), so a current directory in /proc has a
//! path. Directories
//! are `root.rs` (the top level and `/proc/ferrite`) and `piddir.rs`;
//! files are `file.rs` (generated text) and `link.rs`.
//!
//! Nothing can be created, removed or renamed here; the errors are the
//! ones Linux gives a root process (ENOENT to create a name, EEXIST if it
//! exists, EPERM to remove or replace an entry). Opening a file for
//! writing succeeds (everything runs as root), writing fails (`file.rs`).
//!
//! Inode numbers: the root 1, the fixed entries from 2, a process's
//! directory and files `PID_INO_BASE | pid << 5 | index`.

pub mod file;
mod kmem;
pub mod link;
mod maps;
mod meminfo;
mod piddir;
mod pidstat;
mod procfs_tests;
pub mod root;
pub mod text;
mod vmstat;

use super::mount;
use super::vnode::{Vnode, VnodeRef};
use crate::kern::proc::Pid;
use crate::kern::sched::spinlock::SpinLock;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

/// Inode numbers of process entries start here.
pub const PID_INO_BASE: u64 = 1 << 40;

/// A process's entry `index` (0: its directory).
pub fn pid_ino(pid: Pid, index: usize) -> u64 {
    PID_INO_BASE | (pid as u64) << 5 | index as u64
}

/// One procfs instance: what its nodes share.
pub struct ProcFs {
    pub dev: u64,
    /// The root directory (`..` of a process directory).
    root: Weak<Vnode>,
    /// The directories (other than the root) in use, one per inode, so
    /// that a lookup gives back the vnode a current directory holds
    /// (getcwd finds a directory's name by comparing vnodes). A directory
    /// vnode that goes prunes the dead entries.
    dirs: SpinLock<Vec<(u64, Weak<Vnode>)>>,
}

impl ProcFs {
    /// The root directory, while the instance exists.
    pub fn root(&self) -> Option<VnodeRef> {
        self.root.upgrade()
    }

    /// The directory vnode with inode `ino` if one is in use and `valid`
    /// accepts it, else a new one from `make`, remembered in its place.
    pub fn dir(
        &self,
        ino: u64,
        valid: impl Fn(&VnodeRef) -> bool,
        make: impl FnOnce() -> VnodeRef,
    ) -> VnodeRef {
        // Upgraded under the lock, looked at and (if refused) dropped
        // outside it: dropping a directory vnode takes the lock.
        let found = {
            let dirs = self.dirs.lock();
            dirs.iter()
                .find(|(i, _)| *i == ino)
                .and_then(|(_, w)| w.upgrade())
        };
        if let Some(v) = found
            && valid(&v)
        {
            return v;
        }
        let v = make();
        let mut dirs = self.dirs.lock();
        dirs.retain(|(_, w)| w.strong_count() > 0);
        match dirs.iter_mut().find(|(i, _)| *i == ino) {
            Some(slot) => slot.1 = Arc::downgrade(&v),
            None => {
                if dirs.try_reserve(1).is_ok() {
                    dirs.push((ino, Arc::downgrade(&v)));
                }
            }
        }
        v
    }

    /// A directory vnode is going: forget the entries of those gone (and
    /// give the table's memory back once it is empty).
    pub fn forget_dead(&self) {
        let mut dirs = self.dirs.lock();
        dirs.retain(|(_, w)| w.strong_count() > 0);
        if dirs.is_empty() {
            *dirs = Vec::new();
        }
    }

    /// Directories remembered (tests).
    pub fn cached_dirs(&self) -> usize {
        self.dirs.lock().len()
    }
}

/// A new procfs instance; returns its root directory.
pub fn new() -> VnodeRef {
    let dev = mount::alloc_dev();
    Vnode::new_cyclic(super::vnode::VType::Dir, dev, 1, |me| {
        let fs = Arc::new(ProcFs {
            dev,
            root: me.clone(),
            dirs: SpinLock::new("procfs-dirs", Vec::new()),
        });
        Box::new(root::RootDir::new(fs))
    })
}
