//! Unpacking the initial RAM file system (Linux's init/initramfs.c): the
//! bootloader's ramdisk is a newc cpio archive (`ferrite-cpio` reads it),
//! and each member becomes a node of the RAM file system at `/`.
//!
//! - Directories are made with their permissions (one that exists already
//!   is kept); missing parents are made 0755 (an archive written by our
//!   own tool lists parents first, so this is only robustness).
//! - Regular files are created with their permissions and their data
//!   written into their memory object; a name that exists is replaced.
//!   Hard links (members sharing an inode number with a link count above
//!   one: newc stores the data with the last of them) become links to one
//!   node.
//! - Symbolic links are made with their target.
//! - Device nodes, FIFOs and sockets are skipped with a log line (devfs
//!   provides `/dev`).
//!
//! A malformed archive stops the unpacking at the bad member, with a log
//! line; what came before stays. Nothing here panics on any input.

use super::namei::{self, Last};
use super::vnode::VnodeRef;
use alloc::collections::BTreeMap;
use ferrite_abi::Errno;
use ferrite_cpio::{Entry, FileType};

/// What was unpacked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub dirs: usize,
    pub files: usize,
    pub symlinks: usize,
    pub links: usize,
    pub skipped: usize,
    pub bytes: u64,
    /// The archive was malformed (unpacking stopped early).
    pub malformed: bool,
}

/// The directory holding `name` (made, with its parents, if missing) and
/// the last component.
fn parent_of(root: &VnodeRef, name: &[u8]) -> Result<(VnodeRef, alloc::vec::Vec<u8>), Errno> {
    let p = namei::parent_from(root, root, name)?;
    let Last::Name(last) = p.last else {
        return Err(Errno::EINVAL);
    };
    Ok((p.dir, last))
}

/// `mkdir -p` of `path` under `root`.
fn make_dirs(root: &VnodeRef, path: &[u8]) -> Result<(), Errno> {
    let mut end = 0;
    while end < path.len() {
        let next = path[end..]
            .iter()
            .position(|&c| c == b'/')
            .map_or(path.len(), |i| end + i);
        let prefix = &path[..next];
        if !prefix.is_empty() && namei::lookup_from(root, root, prefix, true).is_err() {
            let (dir, last) = parent_of(root, prefix)?;
            match dir.mkdir(&last, 0o755) {
                Ok(_) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e),
            }
        }
        end = next + 1;
    }
    Ok(())
}

/// The directory for `e`, its parents made if missing.
fn parent_for(root: &VnodeRef, e: &Entry<'_>) -> Result<(VnodeRef, alloc::vec::Vec<u8>), Errno> {
    match parent_of(root, e.name) {
        Err(Errno::ENOENT) => {
            if let Some(slash) = e.name.iter().rposition(|&c| c == b'/') {
                make_dirs(root, &e.name[..slash])?;
            }
            parent_of(root, e.name)
        }
        r => r,
    }
}

/// Unpack one member.
fn unpack_one(
    root: &VnodeRef,
    e: &Entry<'_>,
    links: &mut BTreeMap<u32, VnodeRef>,
    sum: &mut Summary,
) -> Result<(), Errno> {
    match e.file_type() {
        FileType::Directory => {
            let (dir, last) = parent_for(root, e)?;
            match dir.mkdir(&last, e.permissions()) {
                Ok(_) => {}
                Err(Errno::EEXIST) if dir.lookup(&last)?.is_dir() => {}
                Err(err) => return Err(err),
            }
            sum.dirs += 1;
        }
        FileType::Regular => {
            let (dir, last) = parent_for(root, e)?;
            let hard = e.nlink > 1;
            let node = match links.get(&e.ino) {
                Some(v) if hard => {
                    let v = v.clone();
                    if dir.lookup(&last).is_ok() {
                        dir.unlink(&last)?;
                    }
                    dir.link(&last, &v)?;
                    sum.links += 1;
                    v
                }
                _ => {
                    if dir.lookup(&last).is_ok() {
                        dir.unlink(&last)?;
                    }
                    let v = dir.create(&last, e.permissions())?;
                    if hard {
                        links.insert(e.ino, v.clone());
                    }
                    sum.files += 1;
                    v
                }
            };
            if !e.data.is_empty() {
                node.truncate(0)?;
                let n = node.write(0, e.data)?;
                if n != e.data.len() {
                    return Err(Errno::EIO);
                }
                sum.bytes += n as u64;
            }
        }
        FileType::Symlink => {
            let (dir, last) = parent_for(root, e)?;
            dir.symlink(&last, e.data)?;
            sum.symlinks += 1;
        }
        _ => {
            log::info!(
                "initramfs: skipping `{}` (mode {:#o}: not a file, directory or link)",
                alloc::string::String::from_utf8_lossy(e.name),
                e.mode
            );
            sum.skipped += 1;
        }
    }
    Ok(())
}

/// Unpack `archive` into the tree under `root`.
pub fn unpack(root: &VnodeRef, archive: &[u8]) -> Summary {
    let mut sum = Summary::default();
    let mut links = BTreeMap::new();
    for item in ferrite_cpio::entries(archive) {
        let e = match item {
            Ok(e) => e,
            Err(err) => {
                log::error!("initramfs: {err}; unpacking stops here");
                sum.malformed = true;
                break;
            }
        };
        if e.name.is_empty() {
            continue; // the archive root: `/` exists
        }
        if let Err(err) = unpack_one(root, &e, &mut links, &mut sum) {
            log::warn!(
                "initramfs: cannot unpack `{}`: {}",
                alloc::string::String::from_utf8_lossy(e.name),
                err.description()
            );
            sum.skipped += 1;
        }
    }
    sum
}
