//! The RAM file system's name-space operations (tmpfs_vnops.c's lookup,
//! create, link, remove, rmdir, rename, readdir), on a directory node.
//!
//! Rules kept here, as Linux keeps them:
//! - a removed directory (link count 0, still open or someone's current
//!   directory) finds nothing and accepts no new entry (ENOENT), but its
//!   `..` still leads to where it was while that exists;
//! - link counts: a file counts its names; a directory 2 plus its
//!   subdirectories (each subdirectory's `..`);
//! - unlink refuses directories (EISDIR), rmdir anything else (ENOTDIR),
//!   a non-empty directory (ENOTEMPTY) and a mount point (EBUSY);
//! - rename: the source must exist (ENOENT); a directory may not move
//!   into itself or below itself (EINVAL); it may replace only an empty
//!   directory (ENOTEMPTY, ENOTDIR for a non-directory) and a
//!   non-directory only a non-directory (EISDIR); renaming a file onto
//!   another name of itself does nothing.
//!
//! Locks: see `ramfs/mod.rs`. rmdir and rename hold the name-space lock
//! and then the directory locks they need, never one twice.

use super::RamFs;
use super::node::{DirData, RamNode};
use crate::fs::vnode::{self, DirEntry, VnodeRef};
use crate::kern::sched::mutex::MutexGuard;
use alloc::sync::Arc;
use ferrite_abi::Errno;

/// `name` must be a real entry name.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    match name {
        b"" => Err(Errno::ENOENT),
        b"." | b".." => Err(Errno::EEXIST),
        n if n.contains(&b'/') || n.contains(&0) => Err(Errno::EINVAL),
        n if n.len() > vnode::NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ => Ok(()),
    }
}

fn dir_of(node: &RamNode) -> Result<&crate::kern::sched::mutex::Mutex<DirData>, Errno> {
    node.dir().ok_or(Errno::ENOTDIR)
}

fn ram(v: &VnodeRef) -> &RamNode {
    RamNode::of(v).expect("a RAM file system vnode without its node")
}

pub(super) fn lookup(node: &RamNode, name: &[u8]) -> Result<VnodeRef, Errno> {
    let d = dir_of(node)?.lock();
    if name == b".." {
        return d.parent.upgrade().ok_or(Errno::ENOENT);
    }
    if node.nlink() == 0 {
        return Err(Errno::ENOENT);
    }
    d.entries.get(name).cloned().ok_or(Errno::ENOENT)
}

/// Link a node `make` builds under `name` (create, mkdir, symlink).
pub(super) fn create(
    node: &RamNode,
    _dir: &VnodeRef,
    name: &[u8],
    make: impl FnOnce(&Arc<RamFs>) -> Result<VnodeRef, Errno>,
) -> Result<VnodeRef, Errno> {
    check_name(name)?;
    let mut d = dir_of(node)?.lock();
    if node.nlink() == 0 {
        return Err(Errno::ENOENT);
    }
    if d.entries.get(name).is_some() {
        return Err(Errno::EEXIST);
    }
    let v = make(&node.fs)?;
    d.entries.insert(name, v.clone());
    let mut a = node.attr.lock();
    if v.is_dir() {
        a.nlink += 1;
    }
    a.modified();
    Ok(v)
}

pub(super) fn link(node: &RamNode, name: &[u8], target: &VnodeRef) -> Result<(), Errno> {
    check_name(name)?;
    let t = RamNode::of(target).ok_or(Errno::EXDEV)?;
    let mut d = dir_of(node)?.lock();
    if node.nlink() == 0 {
        return Err(Errno::ENOENT);
    }
    if d.entries.get(name).is_some() {
        return Err(Errno::EEXIST);
    }
    {
        let mut ta = t.attr.lock();
        if ta.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        ta.nlink += 1;
        ta.ctime = crate::fs::clock::now();
    }
    d.entries.insert(name, target.clone());
    node.attr.lock().modified();
    Ok(())
}

/// A name is going: one link less, and the change time.
fn drop_link(v: &VnodeRef) {
    let mut a = ram(v).attr.lock();
    a.nlink = a.nlink.saturating_sub(1);
    a.ctime = crate::fs::clock::now();
}

pub(super) fn unlink(node: &RamNode, name: &[u8]) -> Result<(), Errno> {
    if name == b"." || name == b".." {
        return Err(Errno::EISDIR);
    }
    let mut d = dir_of(node)?.lock();
    let v = d.entries.get(name).ok_or(Errno::ENOENT)?;
    if v.is_dir() {
        return Err(Errno::EISDIR);
    }
    let v = d.entries.remove(name).expect("entry just found");
    node.attr.lock().modified();
    drop(d);
    drop_link(&v);
    // The node lives on while open; its last reference frees it.
    drop(v);
    Ok(())
}

/// `v` (a directory) is empty and nothing is mounted on it.
fn check_removable(v: &VnodeRef, data: &DirData) -> Result<(), Errno> {
    if v.mounted_here().is_some() {
        return Err(Errno::EBUSY);
    }
    if !data.entries.is_empty() {
        return Err(Errno::ENOTEMPTY);
    }
    Ok(())
}

/// A directory was unlinked from `parent`: it is dead, and the parent
/// lost the subdirectory's `..` link.
fn kill_dir(parent: &RamNode, child: &VnodeRef) {
    {
        let mut a = ram(child).attr.lock();
        a.nlink = 0;
        a.ctime = crate::fs::clock::now();
    }
    let mut pa = parent.attr.lock();
    pa.nlink = pa.nlink.saturating_sub(1);
    pa.modified();
}

pub(super) fn rmdir(node: &RamNode, name: &[u8]) -> Result<(), Errno> {
    match name {
        b"." => return Err(Errno::EINVAL),
        b".." => return Err(Errno::ENOTEMPTY),
        _ => {}
    }
    let _ns = node.fs.ns.lock();
    let mut d = dir_of(node)?.lock();
    let child = d.entries.get(name).cloned().ok_or(Errno::ENOENT)?;
    let cd = ram(&child).dir().ok_or(Errno::ENOTDIR)?;
    {
        let c = cd.lock();
        check_removable(&child, &c)?;
    }
    d.entries.remove(name);
    drop(d);
    kill_dir(node, &child);
    Ok(())
}

pub(super) fn readdir(
    node: &RamNode,
    cookie: u64,
    sink: &mut dyn FnMut(&DirEntry<'_>) -> bool,
) -> Result<u64, Errno> {
    let d = dir_of(node)?.lock();
    let dotdot = d.parent.upgrade().map_or(node.ino, |p| p.ino());
    if node.nlink() == 0 {
        // A removed directory cannot be read (Linux: ENOENT).
        return Err(Errno::ENOENT);
    }
    Ok(d.entries.read(cookie, node.ino, dotdot, sink))
}

/// True if `ancestor` is `v` or a directory above it (walking parents;
/// the caller holds the name-space lock, so they do not change).
fn is_ancestor(ancestor: &VnodeRef, v: &VnodeRef) -> bool {
    let mut cur = v.clone();
    loop {
        if vnode::same(&cur, ancestor) {
            return true;
        }
        let parent = match RamNode::of(&cur).and_then(|n| n.dir()) {
            Some(d) => d.lock().parent.upgrade(),
            None => None,
        };
        match parent {
            Some(p) if !vnode::same(&p, &cur) => cur = p,
            _ => return false,
        }
    }
}

/// The locks of the source and target directories (one if they are the
/// same).
struct Locked<'a> {
    from: MutexGuard<'a, DirData>,
    to: Option<MutexGuard<'a, DirData>>,
}

impl Locked<'_> {
    fn to(&mut self) -> &mut DirData {
        match &mut self.to {
            Some(t) => t,
            None => &mut self.from,
        }
    }
}

pub(super) fn rename(
    node: &RamNode,
    dir: &VnodeRef,
    from: &[u8],
    to_dir: &VnodeRef,
    to: &[u8],
    noreplace: bool,
) -> Result<(), Errno> {
    check_name(from).map_err(|_| Errno::EBUSY)?;
    check_name(to).map_err(|_| Errno::EBUSY)?;
    let to_node = RamNode::of(to_dir).ok_or(Errno::EXDEV)?;
    if !Arc::ptr_eq(&node.fs, &to_node.fs) {
        return Err(Errno::EXDEV);
    }
    let to_lock = dir_of(to_node)?;
    let from_lock = dir_of(node)?;
    let same_dir = vnode::same(dir, to_dir);
    let _ns = node.fs.ns.lock();

    let src = from_lock
        .lock()
        .entries
        .get(from)
        .cloned()
        .ok_or(Errno::ENOENT)?;
    if src.is_dir() && is_ancestor(&src, to_dir) {
        return Err(Errno::EINVAL);
    }
    if node.nlink() == 0 || to_node.nlink() == 0 {
        return Err(Errno::ENOENT);
    }

    let mut l = Locked {
        from: from_lock.lock(),
        to: if same_dir { None } else { Some(to_lock.lock()) },
    };
    // (With the name-space lock held, no other rename or rmdir runs; an
    // unlink may have removed the source meanwhile.)
    let src = l.from.entries.get(from).cloned().ok_or(Errno::ENOENT)?;
    let dst = l.to().entries.get(to).cloned();
    if let Some(dst) = &dst {
        if vnode::same(dst, &src) {
            return Ok(());
        }
        if noreplace {
            return Err(Errno::EEXIST);
        }
        match (src.is_dir(), dst.is_dir()) {
            (true, true) => {
                if vnode::same(dst, dir) {
                    // The target is the source's own directory: not empty.
                    return Err(Errno::ENOTEMPTY);
                }
                let dd = ram(dst).dir().expect("a directory node");
                check_removable(dst, &dd.lock())?;
            }
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (false, false) => {}
        }
    }

    // Move the entry.
    l.from.entries.remove(from);
    match &dst {
        Some(_) => {
            l.to().entries.replace(to, src.clone());
        }
        None => l.to().entries.insert(to, src.clone()),
    }
    if src.is_dir() && !same_dir {
        ram(&src).dir().expect("a directory node").lock().parent = Arc::downgrade(to_dir);
    }
    drop(l);

    // Link counts and times.
    if let Some(dst) = &dst {
        if dst.is_dir() {
            kill_dir(to_node, dst);
        } else {
            drop_link(dst);
        }
    }
    if src.is_dir() && !same_dir {
        node.attr.lock().nlink -= 1;
        to_node.attr.lock().nlink += 1;
    }
    node.attr.lock().modified();
    to_node.attr.lock().modified();
    ram(&src).attr.lock().ctime = crate::fs::clock::now();
    Ok(())
}
