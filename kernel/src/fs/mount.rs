//! The mount table (NetBSD's vfs_mount.c): which file system is mounted
//! where, and the device numbers (`st_dev`) that tell file systems apart.
//!
//! Mounting links two vnodes: the covered directory records the mounted
//! root (`v_mountedhere`) and the root records the directory it covers, so
//! `namei` crosses a mount point both ways without looking at this table.
//! The table itself (a fixed array: mounting never allocates) lists the
//! mounts for whoever wants to see them (`/proc/mounts` later) and keeps
//! each mounted root alive. Now: the RAM file system at `/`, devfs at
//! `/dev` and procfs at `/proc`.
//!
//! This file never walks paths and never looks inside a file system.

use super::vnode::{self, VnodeRef};
use crate::kern::sched::spinlock::SpinLock;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::Errno;

/// The most file systems mounted at once.
pub const NMOUNT: usize = 16;

/// One mounted file system.
#[derive(Clone)]
pub struct MountRec {
    pub fstype: &'static str,
    pub dev: u64,
    /// The file system's root.
    pub root: VnodeRef,
    /// The directory it covers (None for `/`).
    pub covered: Option<VnodeRef>,
}

static TABLE: SpinLock<[Option<MountRec>; NMOUNT]> =
    SpinLock::new("mounttab", [const { None }; NMOUNT]);

/// Anonymous device numbers (Linux gives tmpfs and friends major 0).
static NEXT_MINOR: AtomicU64 = AtomicU64::new(1);

/// A device number for a new file system instance.
pub fn alloc_dev() -> u64 {
    makedev(0, NEXT_MINOR.fetch_add(1, Ordering::Relaxed))
}

/// Linux's `makedev` (the `dev_t` encoding user space decodes).
pub const fn makedev(major: u64, minor: u64) -> u64 {
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

fn record(rec: MountRec) -> Result<(), Errno> {
    let mut t = TABLE.lock();
    match t.iter_mut().find(|s| s.is_none()) {
        Some(slot) => {
            *slot = Some(rec);
            Ok(())
        }
        None => Err(Errno::ENOMEM),
    }
}

/// Record the root file system (the one with nothing under it).
pub fn mount_root(root: &VnodeRef, fstype: &'static str) -> Result<(), Errno> {
    record(MountRec {
        fstype,
        dev: root.dev(),
        root: root.clone(),
        covered: None,
    })
}

/// Mount the file system whose root is `root` on directory `covered`.
/// ENOTDIR unless both are directories, EBUSY if something is mounted
/// there already or `root` is mounted elsewhere.
pub fn mount(covered: &VnodeRef, root: &VnodeRef, fstype: &'static str) -> Result<(), Errno> {
    if !covered.is_dir() || !root.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if root.covered().is_some() {
        return Err(Errno::EBUSY);
    }
    covered.set_mounted(root)?;
    let r = record(MountRec {
        fstype,
        dev: root.dev(),
        root: root.clone(),
        covered: Some(covered.clone()),
    });
    if r.is_err() {
        drop(covered.clear_mounted());
    }
    r
}

/// Unmount what is mounted on `covered` (EINVAL if nothing is). The
/// file system goes away with its last reference.
pub fn unmount(covered: &VnodeRef) -> Result<(), Errno> {
    let root = covered.clear_mounted().ok_or(Errno::EINVAL)?;
    let rec = {
        let mut t = TABLE.lock();
        t.iter_mut()
            .find(|s| s.as_ref().is_some_and(|r| vnode::same(&r.root, &root)))
            .and_then(|s| s.take())
    };
    drop(rec);
    Ok(())
}

/// The mounts, in mount order (a copy).
pub fn list() -> alloc::vec::Vec<MountRec> {
    // Copy under the lock (no allocation there), collect outside.
    let copy = TABLE.lock().clone();
    copy.into_iter().flatten().collect()
}
