//! Path lookup (NetBSD's vfs_lookup.c, namei): turning a path into a
//! vnode, or into the directory that holds its last component (for the
//! calls that create, remove or rename).
//!
//! The walk, one component at a time:
//!
//! 1. An absolute path starts at the root, a relative one at the start
//!    directory (the process's current directory, or an `*at` call's
//!    directory). Empty paths are ENOENT; a path of PATH_MAX bytes or
//!    more (NUL included) or a component longer than NAME_MAX is
//!    ENAMETOOLONG. Repeated slashes count as one.
//! 2. Each component must be looked up in a directory (ENOTDIR if the
//!    walk stands on anything else). `.` stays; `..` at the root stays at
//!    the root; `..` at the root of a mounted file system first steps
//!    back to the directory it covers, then up. A component that names a
//!    directory with a file system mounted on it continues in the mounted
//!    root (crossing mount points both ways).
//! 3. A symbolic link met before the last component, or as the last
//!    component when the caller follows links (or the path ends with a
//!    slash), is replaced by its target: the target is spliced in front of
//!    the rest of the path and the walk continues, from the root if the
//!    target is absolute, else from the directory holding the link. More
//!    than MAXSYMLINKS links in one lookup is ELOOP (this also ends
//!    loops).
//! 4. A trailing slash demands a directory (ENOTDIR otherwise).
//!
//! Lookups hold no lock across components: each step takes a reference on
//! the next vnode (so a concurrent rename or unlink can change which file
//! a path names, never leave the walk on freed memory).
//!
//! This file owns no vnode state and never creates or removes anything.

use super::vnode::{self, NAME_MAX, PATH_MAX, VnodeRef};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use ferrite_abi::Errno;

/// Symbolic links one lookup may follow (Linux's MAXSYMLINKS).
pub const MAXSYMLINKS: u32 = 40;

/// The last component of a path, for the calls that act on a name in a
/// directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Last {
    /// An ordinary name.
    Name(Vec<u8>),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// No component at all: the path is `/` (or only slashes).
    Root,
}

/// What `lookup_parent` returns: the directory and the name in it.
#[derive(Clone, Debug)]
pub struct Parent {
    pub dir: VnodeRef,
    pub last: Last,
    /// The path ended with a slash after its last component.
    pub trailing_slash: bool,
}

enum Want {
    Node { follow_last: bool },
    Parent,
}

enum Found {
    Node(VnodeRef),
    Parent(Parent),
}

/// Look `path` up relative to the current process's directory (`/` for a
/// kernel thread), following a symbolic link in the last component if
/// `follow_last`.
pub fn lookup(path: &[u8], follow_last: bool) -> Result<VnodeRef, Errno> {
    let (root, cwd) = current_dirs();
    lookup_from(&root, &cwd, path, follow_last)
}

/// Look `path` up relative to `start` (an `*at` call's directory).
pub fn lookup_at(start: &VnodeRef, path: &[u8], follow_last: bool) -> Result<VnodeRef, Errno> {
    lookup_from(&super::root(), start, path, follow_last)
}

/// The directory holding the last component of `path` (relative to
/// `start`), and that component.
pub fn lookup_parent_at(start: &VnodeRef, path: &[u8]) -> Result<Parent, Errno> {
    parent_from(&super::root(), start, path)
}

/// The root and current directory lookups start from.
pub fn current_dirs() -> (VnodeRef, VnodeRef) {
    let root = super::root();
    let cwd = match crate::kern::proc::curproc_opt() {
        Some(p) => p.cwd(),
        None => root.clone(),
    };
    (root, cwd)
}

/// Look `path` up in the tree whose root is `root`, relative paths from
/// `start`.
pub fn lookup_from(
    root: &VnodeRef,
    start: &VnodeRef,
    path: &[u8],
    follow_last: bool,
) -> Result<VnodeRef, Errno> {
    match walk(root, start, path, Want::Node { follow_last })? {
        Found::Node(v) => Ok(v),
        Found::Parent(_) => unreachable!("walk for a node found a parent"),
    }
}

/// `lookup_parent_at` in the tree whose root is `root`.
pub fn parent_from(root: &VnodeRef, start: &VnodeRef, path: &[u8]) -> Result<Parent, Errno> {
    match walk(root, start, path, Want::Parent)? {
        Found::Parent(p) => Ok(p),
        Found::Node(_) => unreachable!("walk for a parent found a node"),
    }
}

/// Follow mount points down: the root of what is mounted on `v`.
fn cross_down(mut v: VnodeRef) -> VnodeRef {
    while let Some(m) = v.mounted_here() {
        v = m;
    }
    v
}

/// `..` of `dir`, not above `root`, crossing mount points up.
fn dotdot(root: &VnodeRef, dir: &VnodeRef) -> Result<VnodeRef, Errno> {
    let mut d = dir.clone();
    loop {
        if vnode::same(&d, root) {
            return Ok(d);
        }
        match d.covered() {
            Some(c) => d = c,
            None => break,
        }
    }
    Ok(cross_down(d.lookup(b"..")?))
}

fn walk(root: &VnodeRef, start: &VnodeRef, path: &[u8], want: Want) -> Result<Found, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut follow_last = matches!(want, Want::Node { follow_last: true });
    let mut buf: Cow<'_, [u8]> = Cow::Borrowed(path);
    let mut pos = 0;
    let mut links = 0;
    let mut dir = if path[0] == b'/' {
        root.clone()
    } else {
        start.clone()
    };
    loop {
        while pos < buf.len() && buf[pos] == b'/' {
            pos += 1;
        }
        if pos == buf.len() {
            // No component (the path is slashes): the walk ends where it
            // stands, a directory.
            return Ok(match want {
                Want::Node { .. } => Found::Node(dir),
                Want::Parent => Found::Parent(Parent {
                    dir,
                    last: Last::Root,
                    trailing_slash: false,
                }),
            });
        }
        let begin = pos;
        while pos < buf.len() && buf[pos] != b'/' {
            pos += 1;
        }
        let name = &buf[begin..pos];
        let is_last = buf[pos..].iter().all(|&c| c == b'/');
        let trailing_slash = is_last && pos < buf.len();
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if is_last && matches!(want, Want::Parent) {
            let last = match name {
                b"." => Last::Dot,
                b".." => Last::DotDot,
                n => Last::Name(n.to_vec()),
            };
            return Ok(Found::Parent(Parent {
                dir,
                last,
                trailing_slash,
            }));
        }
        let next = match name {
            b"." => dir.clone(),
            b".." => dotdot(root, &dir)?,
            n => cross_down(dir.lookup(n)?),
        };
        if next.is_symlink() && (!is_last || follow_last || trailing_slash) {
            links += 1;
            if links > MAXSYMLINKS {
                return Err(Errno::ELOOP);
            }
            let target = next.readlink()?;
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            let rest = &buf[pos..];
            if target.len() + rest.len() >= PATH_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            let mut spliced = Vec::new();
            spliced
                .try_reserve_exact(target.len() + rest.len())
                .map_err(|_| Errno::ENOMEM)?;
            spliced.extend_from_slice(&target);
            spliced.extend_from_slice(rest);
            if is_last {
                // The link was followed as the last component: so are the
                // links its target ends in.
                follow_last = true;
            }
            if target[0] == b'/' {
                dir = root.clone();
            }
            buf = Cow::Owned(spliced);
            pos = 0;
            continue;
        }
        if is_last {
            if trailing_slash && !next.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            return Ok(Found::Node(next));
        }
        dir = next;
    }
}
