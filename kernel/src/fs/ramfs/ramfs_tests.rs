//! ktests of the RAM file system on private instances: files over memory
//! objects, link counts, unlink while in use, rename's rules, rmdir,
//! readdir positions, truncate, and the initramfs unpacker.

use crate::fs::initramfs;
use crate::fs::namei;
use crate::fs::vnode::{self, DirEntry, VnodeRef};
use crate::ktest::ktest;
use crate::uvm::object;
use crate::uvm::page::{PageOwner, PageUse};
use crate::uvm::physmem;
use alloc::vec;
use alloc::vec::Vec;
use ferrite_abi::{Errno, mode};

fn look(root: &VnodeRef, path: &[u8]) -> Result<VnodeRef, Errno> {
    namei::lookup_from(root, root, path, false)
}

/// Every name in `dir` (readdir from the start), `.` and `..` included.
fn names(dir: &VnodeRef) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    dir.readdir(0, &mut |e: &DirEntry<'_>| {
        out.push(e.name.to_vec());
        true
    })?;
    Ok(out)
}

fn nlink(v: &VnodeRef) -> u64 {
    v.getattr().st_nlink
}

#[ktest]
fn a_file_is_created_written_and_read_back() -> Result<(), Errno> {
    let root = super::new(0o755);
    let f = root.create(b"f", 0o640)?;
    let st = f.getattr();
    assert_eq!(st.st_mode, mode::S_IFREG | 0o640);
    assert_eq!((st.st_size, st.st_nlink), (0, 1));
    assert_eq!(root.create(b"f", 0o600).unwrap_err(), Errno::EEXIST);
    // Across a page boundary, and sparse.
    let data: Vec<u8> = (0..6000u32).map(|i| (i * 7) as u8).collect();
    assert_eq!(f.write(100, &data)?, 6000);
    assert_eq!(f.getattr().st_size, 6100);
    let mut back = vec![0xaau8; 6200];
    assert_eq!(
        f.read(0, &mut back)?,
        6100,
        "a read stops at the end of file"
    );
    assert!(
        back[..100].iter().all(|&b| b == 0),
        "the hole reads as zeroes"
    );
    assert_eq!(&back[100..6100], &data[..]);
    assert_eq!(f.read(6100, &mut back)?, 0);
    assert_eq!(f.write(20_000, b"end")?, 3);
    assert_eq!(f.getattr().st_size, 20_003);
    assert_eq!(
        f.getattr().st_blocks,
        3 * 8,
        "pages 0, 1 and 4 are resident"
    );
    Ok(())
}

#[ktest]
fn a_files_bytes_are_its_objects_pages() -> Result<(), Errno> {
    let root = super::new(0o755);
    let f = root.create(b"prog", 0o755)?;
    f.write(0, &[0x5au8; 4096 + 10])?;
    let obj = f.object().expect("a regular file has an object");
    assert_eq!(object::size(obj), 4106);
    let pa = object::lookup_page(obj, 4096).expect("the second page is resident");
    assert_eq!(
        physmem::owner_of(pa),
        Some(PageOwner::Object {
            object: obj,
            offset: 4096
        })
    );
    // Bytes written through the object are what the file reads.
    object::write(obj, 4100, b"xyz").map_err(|_| Errno::ENOMEM)?;
    let mut b = [0u8; 6];
    f.read(4098, &mut b)?;
    assert_eq!(&b, b"\x5a\x5axyz\x5a");
    assert!(root.object().is_none() && root.symlink(b"l", b"prog")?.object().is_none());
    Ok(())
}

#[ktest]
fn an_unlinked_file_stays_usable_until_its_last_reference() -> Result<(), Errno> {
    let root = super::new(0o755);
    let object_pages = || physmem::stats().count(PageUse::Object);
    let before = object_pages();
    let f = root.create(b"tmpfile", 0o600)?;
    f.write(0, &[1u8; 3 * 4096])?;
    root.unlink(b"tmpfile")?;
    assert_eq!(look(&root, b"tmpfile").unwrap_err(), Errno::ENOENT);
    assert_eq!(nlink(&f), 0);
    // Still readable and writable through the reference.
    f.write(3 * 4096, b"more")?;
    let mut b = [0u8; 4];
    assert_eq!(f.read(3 * 4096, &mut b)?, 4);
    assert_eq!(&b, b"more");
    assert_eq!(object_pages(), before + 4, "4 pages in use");
    drop(f);
    assert_eq!(
        object_pages(),
        before,
        "the pages went with the last reference"
    );
    assert_eq!(root.unlink(b"tmpfile").unwrap_err(), Errno::ENOENT);
    Ok(())
}

#[ktest]
fn link_counts_follow_names_and_subdirectories() -> Result<(), Errno> {
    let root = super::new(0o755);
    assert_eq!(nlink(&root), 2);
    let d = root.mkdir(b"d", 0o755)?;
    assert_eq!((nlink(&root), nlink(&d)), (3, 2));
    d.mkdir(b"sub", 0o755)?;
    assert_eq!(nlink(&d), 3);
    let f = d.create(b"f", 0o644)?;
    root.link(b"hard", &f)?;
    assert_eq!(nlink(&f), 2);
    assert!(vnode::same(&look(&root, b"hard")?, &f));
    assert_eq!(
        root.link(b"d2", &d).unwrap_err(),
        Errno::EPERM,
        "no hard links to directories"
    );
    assert_eq!(root.link(b"hard", &f).unwrap_err(), Errno::EEXIST);
    d.unlink(b"f")?;
    assert_eq!(nlink(&f), 1);
    d.rmdir(b"sub")?;
    assert_eq!(nlink(&d), 2);
    // Another file system's file cannot be linked.
    let other = super::new(0o755);
    let g = other.create(b"g", 0o644)?;
    assert_eq!(root.link(b"g", &g).unwrap_err(), Errno::EXDEV);
    Ok(())
}

#[ktest]
fn unlink_and_rmdir_refuse_the_wrong_kind_and_full_directories() -> Result<(), Errno> {
    let root = super::new(0o755);
    let d = root.mkdir(b"d", 0o755)?;
    d.create(b"f", 0o644)?;
    assert_eq!(root.unlink(b"d").unwrap_err(), Errno::EISDIR);
    assert_eq!(d.rmdir(b"f").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(root.rmdir(b"d").unwrap_err(), Errno::ENOTEMPTY);
    assert_eq!(root.rmdir(b"none").unwrap_err(), Errno::ENOENT);
    d.unlink(b"f")?;
    root.rmdir(b"d")?;
    // The removed directory (still referenced) takes no new entries, finds
    // nothing and cannot be read, but its `..` still leads home.
    assert_eq!(nlink(&d), 0);
    assert_eq!(d.create(b"x", 0o644).unwrap_err(), Errno::ENOENT);
    assert_eq!(d.lookup(b"f").unwrap_err(), Errno::ENOENT);
    assert_eq!(names(&d).unwrap_err(), Errno::ENOENT);
    assert!(vnode::same(&d.lookup(b"..")?, &root));
    assert_eq!(nlink(&root), 2);
    Ok(())
}

#[ktest]
fn rename_moves_replaces_and_refuses_as_linux_does() -> Result<(), Errno> {
    let root = super::new(0o755);
    let a = root.mkdir(b"a", 0o755)?;
    let b = root.mkdir(b"b", 0o755)?;
    let f = a.create(b"f", 0o644)?;
    let g = b.create(b"g", 0o644)?;
    // A file over a file: the old target loses its name.
    a.rename(b"f", &b, b"g", false)?;
    assert!(vnode::same(&look(&root, b"b/g")?, &f));
    assert_eq!(look(&root, b"a/f").unwrap_err(), Errno::ENOENT);
    assert_eq!(nlink(&g), 0);
    // Renaming onto another name of the same file does nothing.
    b.link(b"g2", &f)?;
    b.rename(b"g", &b, b"g2", false)?;
    assert!(look(&root, b"b/g").is_ok() && look(&root, b"b/g2").is_ok());
    // noreplace.
    assert_eq!(
        b.rename(b"g", &root, b"a", true).unwrap_err(),
        Errno::EEXIST
    );
    // Kinds must match.
    assert_eq!(
        b.rename(b"g", &root, b"a", false).unwrap_err(),
        Errno::EISDIR
    );
    assert_eq!(
        root.rename(b"a", &b, b"g", false).unwrap_err(),
        Errno::ENOTDIR
    );
    // A directory moves with its `..` and the link counts.
    let sub = a.mkdir(b"sub", 0o755)?;
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    a.rename(b"sub", &b, b"sub", false)?;
    assert_eq!((nlink(&a), nlink(&b)), (2, 3));
    assert!(vnode::same(&sub.lookup(b"..")?, &b));
    // Not into itself or below itself.
    assert_eq!(
        root.rename(b"b", &sub, b"x", false).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        b.rename(b"sub", &sub, b"x", false).unwrap_err(),
        Errno::EINVAL
    );
    // Over a directory: only an empty one.
    sub.create(b"x", 0o644)?;
    root.mkdir(b"empty", 0o755)?;
    assert_eq!(
        root.rename(b"a", &b, b"sub", false).unwrap_err(),
        Errno::ENOTEMPTY
    );
    root.rename(b"empty", &b, b"sub2", false)?;
    assert_eq!(
        b.rename(b"sub", &sub, b"..", false).unwrap_err(),
        Errno::EBUSY
    );
    assert_eq!(
        root.rename(b"missing", &b, b"x", false).unwrap_err(),
        Errno::ENOENT
    );
    // Across file systems.
    let other = super::new(0o755);
    assert_eq!(
        root.rename(b"a", &other, b"a", false).unwrap_err(),
        Errno::EXDEV
    );
    Ok(())
}

#[ktest]
fn readdir_positions_survive_changes_in_between() -> Result<(), Errno> {
    let root = super::new(0o755);
    for n in [&b"a"[..], b"b", b"c", b"d"] {
        root.create(n, 0o644)?;
    }
    assert_eq!(names(&root)?, [&b"."[..], b"..", b"a", b"b", b"c", b"d"]);
    // Read three entries, change the directory, resume.
    let mut first = Vec::new();
    let resume = root.readdir(0, &mut |e: &DirEntry<'_>| {
        if first.len() == 3 {
            return false;
        }
        first.push(e.name.to_vec());
        true
    })?;
    assert_eq!(first, [&b"."[..], b"..", b"a"]);
    root.unlink(b"a")?;
    root.unlink(b"c")?;
    root.create(b"e", 0o644)?;
    let mut rest = Vec::new();
    let end = root.readdir(resume, &mut |e: &DirEntry<'_>| {
        rest.push(e.name.to_vec());
        true
    })?;
    assert_eq!(
        rest,
        [&b"b"[..], b"d", b"e"],
        "nothing repeated, removed entries gone, new at the end"
    );
    // At the end, nothing more.
    let mut more = 0;
    root.readdir(end, &mut |_| {
        more += 1;
        true
    })?;
    assert_eq!(more, 0);
    // The inode numbers and types are the nodes'.
    let f = root.lookup(b"b")?;
    root.readdir(0, &mut |e: &DirEntry<'_>| {
        if e.name == b"b" {
            assert_eq!(e.ino, f.ino());
            assert_eq!(e.vtype, f.vtype());
        }
        if e.name == b"." {
            assert_eq!(e.ino, root.ino());
        }
        true
    })?;
    assert_eq!(f.readdir(0, &mut |_| true).unwrap_err(), Errno::ENOTDIR);
    Ok(())
}

#[ktest]
fn truncate_grows_with_zeroes_and_shrinks_dropping_pages() -> Result<(), Errno> {
    let root = super::new(0o755);
    let f = root.create(b"f", 0o644)?;
    f.write(0, &[7u8; 3 * 4096])?;
    let obj = f.object().expect("object");
    assert_eq!(object::resident(obj), 3);
    f.truncate(5000)?;
    assert_eq!(f.getattr().st_size, 5000);
    assert_eq!(object::resident(obj), 2, "the third page went");
    f.truncate(9000)?;
    let mut b = vec![1u8; 4000];
    assert_eq!(f.read(5000, &mut b)?, 4000);
    assert!(
        b.iter().all(|&x| x == 0),
        "the bytes past the old end read as zeroes"
    );
    let mut c = [0u8; 1];
    f.read(4999, &mut c)?;
    assert_eq!(c[0], 7);
    assert_eq!(root.truncate(0).unwrap_err(), Errno::EISDIR);
    Ok(())
}

/// One newc member, made by hand (the writer refuses what an unpacker
/// must still survive: missing parents, hard links).
fn newc(ino: u32, mode: u32, nlink: u32, name: &str, data: &[u8]) -> Vec<u8> {
    let mut h = alloc::format!(
        "070701{ino:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}",
        0,
        0,
        0
    );
    h += &alloc::format!("{:08x}{:08x}{:08x}{:08x}{:08x}", data.len(), 0, 0, 0, 0);
    h += &alloc::format!("{:08x}{:08x}", name.len() + 1, 0);
    let mut out = h.into_bytes();
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

#[ktest]
fn the_initramfs_is_unpacked_with_modes_links_and_data() -> Result<(), Errno> {
    let mut w = ferrite_cpio::Writer::new();
    w.dir("bin", 0o755).unwrap();
    w.file("bin/init", 0o755, b"\x7fELF...").unwrap();
    w.dir("etc", 0o755).unwrap();
    w.file("etc/motd", 0o600, b"hello\n").unwrap();
    w.symlink("sbin", "bin").unwrap();
    w.dir("tmp", 0o1777).unwrap();
    let archive = w.finish();
    let root = super::new(0o755);
    let s = initramfs::unpack(&root, &archive);
    assert!(!s.malformed);
    assert_eq!((s.dirs, s.files, s.symlinks, s.skipped), (3, 2, 1, 0));
    let init = namei::lookup_from(&root, &root, b"/sbin/init", true)?;
    assert_eq!(init.getattr().st_mode, mode::S_IFREG | 0o755);
    let mut b = [0u8; 16];
    let n = init.read(0, &mut b)?;
    assert_eq!(&b[..n], b"\x7fELF...");
    assert_eq!(init.access(1), Ok(()));
    let motd = look(&root, b"etc/motd")?;
    assert_eq!(motd.getattr().st_mode, mode::S_IFREG | 0o600);
    assert_eq!(
        motd.access(1).unwrap_err(),
        Errno::EACCES,
        "no x bit: not executable"
    );
    assert_eq!(
        look(&root, b"tmp")?.getattr().st_mode,
        mode::S_IFDIR | 0o1777
    );
    // A cut archive unpacks what came before the cut, and says so.
    let root2 = super::new(0o755);
    let s2 = initramfs::unpack(&root2, &archive[..archive.len() - 40]);
    assert!(s2.malformed);
    assert!(look(&root2, b"bin/init").is_ok());
    // Garbage is no archive at all.
    let s3 = initramfs::unpack(&root2, &[0x55; 200]);
    assert!(s3.malformed && s3.files == 0);
    Ok(())
}

#[ktest]
fn the_initramfs_unpacker_makes_missing_parents_and_hard_links() -> Result<(), Errno> {
    let mut a = Vec::new();
    a.extend(newc(1, 0o100_644, 1, "deep/er/file", b"abc"));
    // Two names of inode 7: newc stores the data with the last one.
    a.extend(newc(7, 0o100_755, 2, "deep/one", b""));
    a.extend(newc(7, 0o100_755, 2, "two", b"shared"));
    a.extend(newc(9, 0o020_600, 1, "console", b"")); // a device: skipped
    a.extend(newc(0, 0, 1, "TRAILER!!!", b""));
    let root = super::new(0o755);
    let s = initramfs::unpack(&root, &a);
    assert!(!s.malformed, "{s:?}");
    assert_eq!((s.files, s.links, s.skipped), (2, 1, 1));
    assert_eq!(
        look(&root, b"deep/er")?.getattr().st_mode,
        mode::S_IFDIR | 0o755
    );
    let one = look(&root, b"deep/one")?;
    assert!(vnode::same(&one, &look(&root, b"two")?));
    assert_eq!(nlink(&one), 2);
    let mut b = [0u8; 8];
    assert_eq!(one.read(0, &mut b)?, 6);
    assert_eq!(&b[..6], b"shared");
    assert_eq!(look(&root, b"console").unwrap_err(), Errno::ENOENT);
    Ok(())
}
