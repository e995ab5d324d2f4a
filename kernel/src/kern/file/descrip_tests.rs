//! ktests of descriptor tables and open file descriptions: lowest free
//! descriptor, limits, dup2 over open descriptors, close-on-exec, fork
//! sharing offsets and flags, and a description's reads, writes, seeks
//! and directory reads (on private RAM file systems).

use super::descrip::FdTable;
use super::file::{File, FileKind, FileRef};
use super::pipe::pipe_files;
use crate::fs::ramfs;
use crate::fs::uio::Uio;
use crate::fs::vfs_vnops;
use crate::fs::vnode::VnodeRef;
use crate::ktest::ktest;
use alloc::sync::Arc;
use alloc::vec::Vec;
use ferrite_abi::fcntl::*;
use ferrite_abi::{Errno, read_dirent64};

fn on(v: &VnodeRef, flags: i32) -> FileRef {
    File::new(FileKind::Vnode(v.clone()), flags)
}

fn write(f: &FileRef, data: &[u8]) -> Result<usize, Errno> {
    f.write(&mut Uio::kernel_write(data))
}

fn read(f: &FileRef, n: usize) -> Result<Vec<u8>, Errno> {
    let mut b = alloc::vec![0u8; n];
    let got = f.read(&mut Uio::kernel_read(&mut b))?;
    b.truncate(got);
    Ok(b)
}

#[ktest]
fn the_lowest_free_descriptor_is_allocated_below_the_limit() -> Result<(), Errno> {
    let mut t = FdTable::new();
    let (r, w) = pipe_files(false);
    assert_eq!(t.alloc(r.clone(), false, 0, 64)?, 0);
    assert_eq!(t.alloc(w.clone(), false, 0, 64)?, 1);
    assert_eq!(t.alloc(r.clone(), false, 0, 64)?, 2);
    assert!(Arc::ptr_eq(&t.close(1)?, &w));
    assert_eq!(t.get(1).unwrap_err(), Errno::EBADF);
    assert_eq!(
        t.alloc(w.clone(), false, 0, 64)?,
        1,
        "the hole is reused first"
    );
    assert_eq!(
        t.alloc(w.clone(), false, 10, 64)?,
        10,
        "at or above a minimum"
    );
    assert_eq!(t.alloc(w.clone(), false, 0, 64)?, 3);
    assert_eq!(t.alloc(w.clone(), false, 0, 4).unwrap_err(), Errno::EMFILE);
    assert_eq!(
        t.alloc(w.clone(), false, 64, 64).unwrap_err(),
        Errno::EMFILE
    );
    assert_eq!(t.close(7).unwrap_err(), Errno::EBADF);
    assert_eq!(t.close(-1).unwrap_err(), Errno::EBADF);
    assert_eq!(t.get(1 << 30).unwrap_err(), Errno::EBADF);
    assert_eq!(t.count(), 5);
    t.close_all();
    assert_eq!(t.count(), 0);
    assert_eq!(
        Arc::strong_count(&w),
        1,
        "the table let go of every reference"
    );
    Ok(())
}

#[ktest]
fn dup2_replaces_what_is_at_the_target() -> Result<(), Errno> {
    let mut t = FdTable::new();
    let (r, w) = pipe_files(false);
    t.alloc(r.clone(), false, 0, 16)?;
    t.alloc(w.clone(), true, 0, 16)?;
    // Onto an open descriptor: the old description comes back to close.
    let old = t.install(1, r.clone(), false, 16)?;
    assert!(old.is_some_and(|o| Arc::ptr_eq(&o, &w)));
    assert!(Arc::ptr_eq(&t.get(1)?, &r));
    assert!(!t.cloexec(1)?, "dup2 clears close-on-exec");
    // Onto itself: the same description stays.
    let same = t.install(0, t.get(0)?, false, 16)?;
    assert!(same.is_some_and(|s| Arc::ptr_eq(&s, &r)));
    assert!(Arc::ptr_eq(&t.get(0)?, &r));
    // Far out, and past the limit.
    assert_eq!(t.install(12, w.clone(), false, 16)?.map(|_| ()), None);
    assert!(Arc::ptr_eq(&t.get(12)?, &w));
    assert_eq!(
        t.install(16, w.clone(), false, 16).unwrap_err(),
        Errno::EBADF
    );
    assert_eq!(
        t.install(-3, w.clone(), false, 16).unwrap_err(),
        Errno::EBADF
    );
    Ok(())
}

#[ktest]
fn exec_closes_only_the_close_on_exec_descriptors() -> Result<(), Errno> {
    let mut t = FdTable::new();
    let (r, w) = pipe_files(false);
    t.alloc(r.clone(), false, 0, 16)?;
    t.alloc(w.clone(), true, 0, 16)?;
    t.alloc(r.clone(), false, 0, 16)?;
    t.set_cloexec(2, true)?;
    t.set_cloexec(0, true)?;
    t.set_cloexec(0, false)?;
    assert_eq!(t.set_cloexec(5, true).unwrap_err(), Errno::EBADF);
    t.close_on_exec();
    assert!(t.get(0).is_ok());
    assert_eq!(t.get(1).unwrap_err(), Errno::EBADF);
    assert_eq!(t.get(2).unwrap_err(), Errno::EBADF);
    assert_eq!(t.alloc(w, false, 0, 16)?, 1, "freed slots are found again");
    Ok(())
}

#[ktest]
fn a_forked_table_shares_descriptions_offsets_and_flags() -> Result<(), Errno> {
    let root = ramfs::new(0o755);
    let v = root.create(b"f", 0o644)?;
    let mut parent = FdTable::new();
    let fd = parent.alloc(on(&v, O_RDWR), true, 0, 16)?;
    let child = parent.fork().map_err(|_| Errno::ENOMEM)?;
    assert!(child.cloexec(fd)?, "close-on-exec is copied");
    let (pf, cf) = (parent.get(fd)?, child.get(fd)?);
    assert!(Arc::ptr_eq(&pf, &cf), "one description");
    assert_eq!(write(&pf, b"hello")?, 5);
    assert_eq!(read(&cf, 10)?, b"", "the child's offset moved too");
    assert_eq!(cf.seek(0, SEEK_SET)?, 0);
    assert_eq!(read(&pf, 10)?, b"hello", "and back");
    cf.set_status_flags(O_APPEND);
    assert_ne!(pf.flags() & O_APPEND, 0, "status flags are shared");
    // Closing in one table leaves the other's descriptor open.
    drop(parent);
    assert_eq!(read(&child.get(fd)?, 1)?, b"");
    Ok(())
}

#[ktest]
fn descriptions_keep_offsets_and_honour_append_and_access_modes() -> Result<(), Errno> {
    let root = ramfs::new(0o755);
    let v = root.create(b"f", 0o644)?;
    v.write(0, b"abc")?;
    let ap = on(&v, O_WRONLY | O_APPEND);
    assert_eq!(write(&ap, b"de")?, 2);
    assert_eq!(*ap.offset(), 5, "after an append the offset is the end");
    ap.seek(1, SEEK_SET)?;
    write(&ap, b"X")?;
    let rd = on(&v, O_RDONLY);
    assert_eq!(read(&rd, 16)?, b"abcdeX", "O_APPEND ignores the offset");
    assert_eq!(read(&ap, 1).unwrap_err(), Errno::EBADF);
    assert_eq!(write(&rd, b"no").unwrap_err(), Errno::EBADF);
    let mut b = [0u8; 8];
    assert_eq!(rd.pread(&mut Uio::kernel_read(&mut b), 2)?, 4);
    assert_eq!(&b[..4], b"cdeX");
    assert_eq!(*rd.offset(), 6, "pread leaves the offset alone");
    assert_eq!(rd.seek(-1, SEEK_END)?, 5);
    assert_eq!(rd.seek(2, SEEK_CUR)?, 7);
    assert_eq!(read(&rd, 4)?, b"", "past the end reads nothing");
    assert_eq!(rd.seek(-8, SEEK_CUR).unwrap_err(), Errno::EINVAL);
    assert_eq!(rd.seek(0, 9).unwrap_err(), Errno::EINVAL);
    assert_eq!(rd.seek(2, SEEK_DATA)?, 2);
    assert_eq!(rd.seek(2, SEEK_HOLE)?, 6);
    assert_eq!(rd.seek(6, SEEK_DATA).unwrap_err(), Errno::ENXIO);
    assert_eq!(rd.seek(i64::MAX, SEEK_SET)?, i64::MAX as u64);
    assert_eq!(rd.seek(1, SEEK_CUR).unwrap_err(), Errno::EINVAL, "overflow");
    // F_GETFL: the access mode and status flags, creation flags gone.
    let f = on(
        &v,
        O_RDWR | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_APPEND,
    );
    assert_eq!(f.flags(), O_RDWR | O_APPEND | O_LARGEFILE);
    f.set_status_flags(O_NONBLOCK | O_WRONLY | O_TRUNC);
    assert_eq!(
        f.flags(),
        O_RDWR | O_NONBLOCK | O_LARGEFILE,
        "F_SETFL changes status flags only"
    );
    // A pipe cannot seek.
    let (r, _w) = pipe_files(false);
    assert_eq!(r.seek(0, SEEK_SET).unwrap_err(), Errno::ESPIPE);
    assert_eq!(
        r.pread(&mut Uio::kernel_read(&mut b), 0).unwrap_err(),
        Errno::ESPIPE
    );
    Ok(())
}

#[ktest]
fn a_directory_reads_as_dirents_in_pieces() -> Result<(), Errno> {
    let root = ramfs::new(0o755);
    let mut want: Vec<Vec<u8>> = alloc::vec![b".".to_vec(), b"..".to_vec()];
    for i in 0..20 {
        let name = alloc::format!("entry-number-{i}");
        root.create(name.as_bytes(), 0o644)?;
        want.push(name.into_bytes());
    }
    let d = on(&root, O_RDONLY | O_DIRECTORY);
    assert_eq!(read(&d, 8).unwrap_err(), Errno::EISDIR);
    // Read with a small buffer, the way getdents64 is called in a loop.
    let mut got = Vec::new();
    let mut buf = [0u8; 100];
    loop {
        let cookie = *d.offset();
        let (used, next, _) = vfs_vnops::read_dirents(&root, cookie, &mut buf)?;
        if used == 0 {
            break;
        }
        *d.offset() = next;
        let mut at = 0;
        while at < used {
            let (ino, _off, reclen, _ty, name) = read_dirent64(&buf[at..used]).expect("a record");
            assert_ne!(ino, 0);
            got.push(name.to_vec());
            at += reclen as usize;
        }
    }
    assert_eq!(got, want);
    // A buffer too small for one record.
    let (used, _, refused) = vfs_vnops::read_dirents(&root, 0, &mut buf[..10])?;
    assert!(used == 0 && refused);
    Ok(())
}
