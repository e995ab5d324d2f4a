//! ktests of path lookup, on private RAM file system trees (so each test
//! builds and frees its own tree): `.` and `..`, symbolic links and their
//! loops, trailing slashes, name and path limits, mount points crossed
//! both ways, parent lookups, and getcwd's walk back up.

use super::namei::{self, Last};
use super::vnode::{self, VnodeRef};
use super::{mount, ramfs, vfs_getcwd};
use crate::ktest::ktest;
use alloc::vec;
use alloc::vec::Vec;
use ferrite_abi::Errno;

/// Look `path` up from `root` (relative paths too), following links.
fn look(root: &VnodeRef, path: &[u8]) -> Result<VnodeRef, Errno> {
    namei::lookup_from(root, root, path, true)
}

/// A tree: /a/b/c (directories), /a/f (a file), /top (a file).
fn sample() -> Result<VnodeRef, Errno> {
    let root = ramfs::new(0o755);
    let a = root.mkdir(b"a", 0o755)?;
    let b = a.mkdir(b"b", 0o755)?;
    b.mkdir(b"c", 0o755)?;
    a.create(b"f", 0o644)?;
    root.create(b"top", 0o644)?;
    Ok(root)
}

#[ktest]
fn absolute_and_relative_paths_with_dot_and_dotdot() -> Result<(), Errno> {
    let root = sample()?;
    let c = look(&root, b"/a/b/c")?;
    let a = look(&root, b"a")?;
    assert!(vnode::same(&look(&root, b"/a/./b/../b/c/")?, &c));
    assert!(
        vnode::same(&look(&root, b"//a///b//c")?, &c),
        "repeated slashes"
    );
    // Relative to another start directory.
    let b = namei::lookup_from(&root, &a, b"b", true)?;
    assert!(vnode::same(
        &namei::lookup_from(&root, &b, b"c/..", true)?,
        &b
    ));
    assert!(vnode::same(
        &namei::lookup_from(&root, &c, b"../../f", true)?,
        &look(&root, b"/a/f")?
    ));
    // `..` at the root stays there.
    assert!(vnode::same(&look(&root, b"/../../..")?, &root));
    assert!(vnode::same(&look(&root, b"/a/../..")?, &root));
    assert!(vnode::same(&look(&root, b"/")?, &root));
    Ok(())
}

#[ktest]
fn missing_names_and_files_in_the_middle_of_a_path() -> Result<(), Errno> {
    let root = sample()?;
    assert_eq!(
        look(&root, b"").unwrap_err(),
        Errno::ENOENT,
        "an empty path"
    );
    assert_eq!(look(&root, b"/nope").unwrap_err(), Errno::ENOENT);
    assert_eq!(look(&root, b"/nope/x").unwrap_err(), Errno::ENOENT);
    assert_eq!(look(&root, b"/top/x").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(look(&root, b"/a/f/..").unwrap_err(), Errno::ENOTDIR);
    // A trailing slash needs a directory.
    assert_eq!(look(&root, b"/top/").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(look(&root, b"/a/f/.").unwrap_err(), Errno::ENOTDIR);
    assert!(look(&root, b"/a/b/").is_ok());
    Ok(())
}

#[ktest]
fn names_and_paths_over_the_limits_are_enametoolong() -> Result<(), Errno> {
    let root = sample()?;
    let long = vec![b'x'; 256];
    assert_eq!(look(&root, &long).unwrap_err(), Errno::ENAMETOOLONG);
    // 255 bytes is a legal name (it just does not exist).
    assert_eq!(look(&root, &long[..255]).unwrap_err(), Errno::ENOENT);
    assert_eq!(root.create(&long, 0o644).unwrap_err(), Errno::ENAMETOOLONG);
    // PATH_MAX (4096) bytes with the NUL: 4095 is the longest path.
    let mut path: Vec<u8> = Vec::new();
    while path.len() < 4096 {
        path.extend_from_slice(b"./");
    }
    assert_eq!(look(&root, &path[..4096]).unwrap_err(), Errno::ENAMETOOLONG);
    assert!(
        vnode::same(&look(&root, &path[..4094])?, &root),
        "4094 bytes of ./"
    );
    Ok(())
}

#[ktest]
fn symbolic_links_are_followed_except_a_last_one_when_asked() -> Result<(), Errno> {
    let root = sample()?;
    let a = look(&root, b"/a")?;
    a.symlink(b"rel", b"b/c")?; // relative to /a
    root.symlink(b"abs", b"/a/b")?;
    root.symlink(b"chain", b"abs/c")?;
    let c = look(&root, b"/a/b/c")?;
    assert!(vnode::same(&look(&root, b"/a/rel")?, &c));
    assert!(vnode::same(&look(&root, b"/abs/c")?, &c));
    assert!(vnode::same(&look(&root, b"/chain")?, &c));
    assert!(
        vnode::same(&look(&root, b"/abs/../f")?, &look(&root, b"/a/f")?),
        "`..` after a link is the target's"
    );
    // Not following the last component gives the link itself...
    let l = namei::lookup_from(&root, &root, b"/chain", false)?;
    assert!(l.is_symlink());
    assert_eq!(l.readlink()?, b"abs/c");
    // ...unless a trailing slash asks for the directory.
    assert!(vnode::same(
        &namei::lookup_from(&root, &root, b"/chain/", false)?,
        &c
    ));
    // A dangling link.
    root.symlink(b"dangling", b"/nope")?;
    assert_eq!(look(&root, b"/dangling").unwrap_err(), Errno::ENOENT);
    assert!(namei::lookup_from(&root, &root, b"/dangling", false)?.is_symlink());
    Ok(())
}

#[ktest]
fn symbolic_link_loops_end_with_eloop() -> Result<(), Errno> {
    let root = ramfs::new(0o755);
    root.symlink(b"self", b"self")?;
    root.symlink(b"ping", b"pong")?;
    root.symlink(b"pong", b"/ping")?;
    assert_eq!(look(&root, b"/self").unwrap_err(), Errno::ELOOP);
    assert_eq!(look(&root, b"/ping/x").unwrap_err(), Errno::ELOOP);
    // 40 links in a row resolve; 41 do not.
    let d = root.mkdir(b"d", 0o755)?;
    d.symlink(b"l0", b"/d")?;
    for i in 1..=40u32 {
        let name = alloc::format!("l{i}");
        let target = alloc::format!("l{}", i - 1);
        d.symlink(name.as_bytes(), target.as_bytes())?;
    }
    assert!(vnode::same(&look(&root, b"/d/l39")?, &d), "40 links");
    assert_eq!(
        look(&root, b"/d/l40").unwrap_err(),
        Errno::ELOOP,
        "41 links"
    );
    Ok(())
}

#[ktest]
fn parent_lookups_name_the_last_component() -> Result<(), Errno> {
    let root = sample()?;
    let b = look(&root, b"/a/b")?;
    let p = namei::parent_from(&root, &root, b"/a/b/new")?;
    assert!(vnode::same(&p.dir, &b));
    assert_eq!(p.last, Last::Name(b"new".to_vec()));
    assert!(!p.trailing_slash);
    let p = namei::parent_from(&root, &root, b"a/b/new//")?;
    assert!(p.trailing_slash);
    assert_eq!(namei::parent_from(&root, &root, b"/a/.")?.last, Last::Dot);
    assert_eq!(
        namei::parent_from(&root, &root, b"/a/..")?.last,
        Last::DotDot
    );
    assert_eq!(namei::parent_from(&root, &root, b"///")?.last, Last::Root);
    // The middle must exist and be directories.
    assert_eq!(
        namei::parent_from(&root, &root, b"/x/y").unwrap_err(),
        Errno::ENOENT
    );
    assert_eq!(
        namei::parent_from(&root, &root, b"/top/y").unwrap_err(),
        Errno::ENOTDIR
    );
    Ok(())
}

#[ktest]
fn mount_points_are_crossed_down_and_up() -> Result<(), Errno> {
    let root = sample()?;
    let b = look(&root, b"/a/b")?;
    let other = ramfs::new(0o700);
    other.create(b"inside", 0o600)?;
    mount::mount(&b, &other, "ramfs")?;
    // Down: /a/b is now the other file system's root.
    assert!(vnode::same(&look(&root, b"/a/b")?, &other));
    assert!(look(&root, b"/a/b/inside").is_ok());
    assert_eq!(
        look(&root, b"/a/b/c").unwrap_err(),
        Errno::ENOENT,
        "c is covered"
    );
    // Up: `..` of the mounted root is the covered directory's parent.
    let a = look(&root, b"/a")?;
    assert!(vnode::same(&look(&root, b"/a/b/..")?, &a));
    assert!(vnode::same(
        &namei::lookup_from(&root, &other, b"../f", true)?,
        &look(&root, b"/a/f")?
    ));
    assert_ne!(other.dev(), root.dev(), "two file systems, two devices");
    assert_eq!(vfs_getcwd::path_of(&root, &look(&root, b"/a/b")?)?, b"/a/b");
    // A second mount on the same place is refused; unmount uncovers.
    assert_eq!(
        mount::mount(&b, &ramfs::new(0o755), "ramfs").unwrap_err(),
        Errno::EBUSY
    );
    mount::unmount(&b)?;
    assert!(look(&root, b"/a/b/c").is_ok());
    assert_eq!(mount::unmount(&b).unwrap_err(), Errno::EINVAL);
    Ok(())
}

#[ktest]
fn getcwd_walks_back_up_and_refuses_removed_directories() -> Result<(), Errno> {
    let root = sample()?;
    assert_eq!(vfs_getcwd::path_of(&root, &root)?, b"/");
    let c = look(&root, b"/a/b/c")?;
    assert_eq!(vfs_getcwd::path_of(&root, &c)?, b"/a/b/c");
    // After a rename the path follows.
    let a = look(&root, b"/a")?;
    a.rename(b"b", &root, b"moved", false)?;
    assert_eq!(vfs_getcwd::path_of(&root, &c)?, b"/moved/c");
    // A removed directory has no path.
    look(&root, b"/moved")?.rmdir(b"c")?;
    assert_eq!(vfs_getcwd::path_of(&root, &c).unwrap_err(), Errno::ENOENT);
    Ok(())
}
