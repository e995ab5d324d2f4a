//! `user::file`: files and directories under /tmp through the raw system
//! calls. Creating, reading, writing, removing; open flags (O_EXCL,
//! O_TRUNC, O_APPEND, O_DIRECTORY); offsets (lseek, pread/pwrite, shared
//! through dup); descriptor calls (dup, dup2, dup3, fcntl); directories
//! (mkdir, getdents64, rename, unlink/unlinkat); stat in its four forms;
//! ftruncate; readlink and access; and the errors of each.

use std::collections::BTreeSet;
use std::ffi::{CStr, CString};

use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::fd::{TmpPath, close, read_exact, read_some, write_all};

const CHECKS: &[ftest::Check] = checks![
    create_write_read_unlink,
    unlinked_open_file_keeps_its_data,
    open_and_openat_system_calls,
    o_excl_on_an_existing_file_is_eexist,
    o_trunc_empties_the_file,
    o_append_writes_at_the_end,
    open_errors,
    lseek_set_cur_end_and_holes,
    pread_pwrite_leave_the_offset_alone,
    readv_writev_gather_and_scatter,
    one_mib_file_round_trip,
    read_at_end_of_file_returns_0,
    dup_shares_the_offset,
    dup2_and_dup3,
    descriptors_are_allocated_lowest_first,
    close_twice_is_ebadf,
    fcntl_descriptor_and_status_flags,
    getdents64_lists_created_entries,
    mkdir_and_removal_errors,
    rename_moves_and_replaces,
    stat_fstat_lstat_newfstatat_agree,
    ftruncate_grows_with_zeros_and_shrinks,
    readlink_of_a_non_symlink_is_einval,
    access_and_faccessat,
    relative_paths_follow_chdir_and_fchdir,
    ioctl_tcgets_on_a_file_is_enotty,
];

pub fn main() {
    ftest::main("file", CHECKS)
}

// ---- raw calls ----

fn sc_open(path: &CStr, flags: i32, mode: u32) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_open, path.as_ptr(), flags, mode) }
}

fn sc_openat(dirfd: i32, path: &CStr, flags: i32, mode: u32) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_openat, dirfd, path.as_ptr(), flags, mode) }
}

/// Opens (raw open), failing the check on error.
fn open(path: &CStr, flags: i32, mode: u32) -> Result<i32, String> {
    Ok(sys(sc_open(path, flags | libc::O_CLOEXEC, mode), "open")? as i32)
}

fn lseek(fd: i32, off: i64, whence: i32) -> i64 {
    // SAFETY: plain integers.
    unsafe { libc::syscall(libc::SYS_lseek, fd, off, whence) }
}

fn fstat(fd: i32) -> Result<libc::stat, String> {
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_fstat, fd, &mut st) },
        "fstat",
    )?;
    Ok(st)
}

fn stat(path: &CStr) -> Result<libc::stat, String> {
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated; st is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_stat, path.as_ptr(), &mut st) },
        "stat",
    )?;
    Ok(st)
}

fn mkdir(path: &CStr, mode: u32) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_mkdir, path.as_ptr(), mode) }
}

fn unlinkat(dirfd: i32, path: &CStr, flags: i32) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_unlinkat, dirfd, path.as_ptr(), flags) }
}

fn unlink(path: &CStr) -> i64 {
    // SAFETY: a valid path.
    unsafe { libc::syscall(libc::SYS_unlink, path.as_ptr()) }
}

fn rename(from: &CStr, to: &CStr) -> i64 {
    // SAFETY: valid paths.
    unsafe { libc::syscall(libc::SYS_rename, from.as_ptr(), to.as_ptr()) }
}

fn contents(path: &CStr) -> Result<Vec<u8>, String> {
    let fd = open(path, libc::O_RDONLY, 0)?;
    let r = utests::fd::read_to_end(fd);
    close(fd);
    r
}

/// A scratch file holding `data`, opened read-write: (path, fd).
fn scratch(tag: &str, data: &[u8]) -> Result<(TmpPath, i32), String> {
    let t = TmpPath::new(tag);
    let fd = open(&t.c, libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, 0o644)?;
    write_all(fd, data)?;
    sys(lseek(fd, 0, libc::SEEK_SET), "lseek")?;
    Ok((t, fd))
}

/// A scratch directory.
fn scratch_dir(tag: &str) -> Result<TmpPath, String> {
    let t = TmpPath::new(tag);
    sys(mkdir(&t.c, 0o755), "mkdir")?;
    Ok(t)
}

// ---- checks ----

fn create_write_read_unlink() -> CheckResult {
    let t = TmpPath::new("basic");
    let fd = open(&t.c, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o644)?;
    write_all(fd, b"hello, file")?;
    ensure_eq!(lseek(fd, 0, libc::SEEK_SET), 0);
    let mut buf = [0u8; 11];
    read_exact(fd, &mut buf)?;
    ensure_eq!(&buf, b"hello, file");
    close(fd);
    ensure_eq!(
        contents(&t.c)?,
        b"hello, file",
        "contents through a new descriptor"
    );
    sys(unlink(&t.c), "unlink")?;
    expect_errno(
        sc_open(&t.c, libc::O_RDONLY, 0),
        libc::ENOENT,
        "open after unlink",
    )?;
    expect_errno(unlink(&t.c), libc::ENOENT, "unlink twice")
}

fn unlinked_open_file_keeps_its_data() -> CheckResult {
    let (t, fd) = scratch("orphan", &[0x3c; 3 * 4096 + 17])?;
    sys(unlink(&t.c), "unlink")?;
    let mut buf = vec![0u8; 3 * 4096 + 17];
    read_exact(fd, &mut buf)?;
    check!(
        buf.iter().all(|&b| b == 0x3c),
        "data of an unlinked file changed"
    );
    write_all(fd, b"more")?;
    ensure_eq!(
        fstat(fd)?.st_size,
        3 * 4096 + 21,
        "size of the unlinked file"
    );
    ensure_eq!(fstat(fd)?.st_nlink, 0, "link count of the unlinked file");
    Ok(())
}

fn open_and_openat_system_calls() -> CheckResult {
    let d = scratch_dir("dir")?;
    let name = c"inside";
    let dfd = open(&d.c, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    let fd = sys(
        sc_openat(
            dfd,
            name,
            libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
            0o600,
        ),
        "openat(dirfd)",
    )?;
    write_all(fd as i32, b"at")?;
    close(fd as i32);
    ensure_eq!(
        contents(&d.join("inside"))?,
        b"at",
        "openat(dirfd, name) made dir/inside"
    );
    let fd = sys(
        sc_openat(libc::AT_FDCWD, &d.join("inside"), libc::O_RDONLY, 0),
        "openat(AT_FDCWD)",
    )?;
    close(fd as i32);
    sys(unlinkat(dfd, name, 0), "unlinkat(dirfd, name)")?;
    expect_errno(
        sc_openat(dfd, name, libc::O_RDONLY, 0),
        libc::ENOENT,
        "openat after unlinkat",
    )?;
    // A relative path with a descriptor that is not a directory.
    let (_f, ffd) = scratch("notdir", b"x")?;
    expect_errno(
        sc_openat(ffd, name, libc::O_RDONLY, 0),
        libc::ENOTDIR,
        "openat(file fd, name)",
    )?;
    expect_errno(
        sc_openat(9999, name, libc::O_RDONLY, 0),
        libc::EBADF,
        "openat(bad fd, name)",
    )
}

fn o_excl_on_an_existing_file_is_eexist() -> CheckResult {
    let (t, _fd) = scratch("excl", b"x")?;
    let r = sc_open(&t.c, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, 0o644);
    expect_errno(
        r,
        libc::EEXIST,
        "open(O_CREAT | O_EXCL) of an existing file",
    )?;
    ensure_eq!(contents(&t.c)?, b"x", "the existing file was touched");
    Ok(())
}

fn o_trunc_empties_the_file() -> CheckResult {
    let (t, _fd) = scratch("trunc", &[7; 10000])?;
    let fd = open(&t.c, libc::O_WRONLY | libc::O_TRUNC, 0)?;
    ensure_eq!(fstat(fd)?.st_size, 0);
    write_all(fd, b"ab")?;
    ensure_eq!(contents(&t.c)?, b"ab", "no old bytes come back");
    Ok(())
}

fn o_append_writes_at_the_end() -> CheckResult {
    let (t, _fd) = scratch("append", b"start")?;
    let fd = open(&t.c, libc::O_RDWR | libc::O_APPEND, 0)?;
    sys(lseek(fd, 0, libc::SEEK_SET), "lseek")?;
    write_all(fd, b"+one")?;
    ensure_eq!(
        lseek(fd, 0, libc::SEEK_CUR),
        9,
        "offset after an appending write"
    );
    sys(lseek(fd, 1, libc::SEEK_SET), "lseek")?;
    write_all(fd, b"+two")?;
    ensure_eq!(contents(&t.c)?, b"start+one+two");
    Ok(())
}

fn open_errors() -> CheckResult {
    let (f, fd) = scratch("errs", b"x")?;
    let d = scratch_dir("errsdir")?;
    let missing = TmpPath::new("missing");
    expect_errno(
        sc_open(&missing.c, libc::O_RDONLY, 0),
        libc::ENOENT,
        "open(missing)",
    )?;
    expect_errno(
        sc_open(&f.c, libc::O_RDONLY | libc::O_DIRECTORY, 0),
        libc::ENOTDIR,
        "open(file, O_DIRECTORY)",
    )?;
    let through = CString::new(format!("{}/x", f.path)).unwrap();
    expect_errno(
        sc_open(&through, libc::O_RDONLY, 0),
        libc::ENOTDIR,
        "open(file/x)",
    )?;
    expect_errno(
        sc_open(&d.c, libc::O_WRONLY, 0),
        libc::EISDIR,
        "open(dir, O_WRONLY)",
    )?;
    expect_errno(
        sc_open(&d.c, libc::O_RDWR, 0),
        libc::EISDIR,
        "open(dir, O_RDWR)",
    )?;
    expect_errno(sc_open(c"", libc::O_RDONLY, 0), libc::ENOENT, "open(\"\")")?;
    let ro = open(&f.c, libc::O_RDONLY, 0)?;
    // SAFETY: the buffer is valid for a 1-byte read.
    let r = unsafe { libc::write(ro, b"y".as_ptr().cast(), 1) };
    expect_errno(r, libc::EBADF, "write to an O_RDONLY descriptor")?;
    let wo = open(&f.c, libc::O_WRONLY, 0)?;
    let mut b = [0u8; 1];
    // SAFETY: b is valid for a 1-byte write.
    let r = unsafe { libc::read(wo, b.as_mut_ptr().cast(), 1) };
    expect_errno(r, libc::EBADF, "read from an O_WRONLY descriptor")?;
    // SAFETY: b is valid for a 1-byte write.
    let r = unsafe { libc::read(d_fd(&d)?, b.as_mut_ptr().cast(), 1) };
    expect_errno(r, libc::EISDIR, "read from a directory")?;
    close(fd);
    Ok(())
}

fn d_fd(d: &TmpPath) -> Result<i32, String> {
    open(&d.c, libc::O_RDONLY | libc::O_DIRECTORY, 0)
}

fn lseek_set_cur_end_and_holes() -> CheckResult {
    let (_t, fd) = scratch("seek", b"0123456789")?;
    ensure_eq!(lseek(fd, 3, libc::SEEK_SET), 3);
    ensure_eq!(lseek(fd, 2, libc::SEEK_CUR), 5);
    let mut b = [0u8; 1];
    read_exact(fd, &mut b)?;
    ensure_eq!(b[0], b'5', "byte at offset 5");
    ensure_eq!(lseek(fd, -1, libc::SEEK_END), 9);
    ensure_eq!(
        lseek(fd, 0, libc::SEEK_CUR),
        9,
        "SEEK_CUR 0 reports the offset"
    );
    expect_errno(lseek(fd, -1, libc::SEEK_SET), libc::EINVAL, "lseek to -1")?;
    expect_errno(
        lseek(fd, -20, libc::SEEK_CUR),
        libc::EINVAL,
        "lseek before 0",
    )?;
    expect_errno(lseek(fd, 0, 7), libc::EINVAL, "lseek whence 7")?;
    expect_errno(
        lseek(9999, 0, libc::SEEK_SET),
        libc::EBADF,
        "lseek on a bad fd",
    )?;
    // Past the end: a hole that reads as zeros.
    ensure_eq!(lseek(fd, 5000, libc::SEEK_SET), 5000);
    write_all(fd, b"x")?;
    ensure_eq!(fstat(fd)?.st_size, 5001);
    let mut buf = vec![0xffu8; 4990];
    ensure_eq!(lseek(fd, 10, libc::SEEK_SET), 10);
    read_exact(fd, &mut buf)?;
    check!(
        buf.iter().all(|&b| b == 0),
        "the hole does not read as zeros"
    );
    Ok(())
}

fn pread_pwrite_leave_the_offset_alone() -> CheckResult {
    let (_t, fd) = scratch("pread", b"abcdefghij")?;
    ensure_eq!(lseek(fd, 2, libc::SEEK_SET), 2);
    let mut b = [0u8; 3];
    // SAFETY: b is valid for writes of 3 bytes.
    let r = unsafe { libc::syscall(libc::SYS_pread64, fd, b.as_mut_ptr(), 3usize, 6i64) };
    ensure_eq!(r, 3);
    ensure_eq!(&b, b"ghi");
    // SAFETY: the literal is valid for reads of 2 bytes.
    let r = unsafe { libc::syscall(libc::SYS_pwrite64, fd, b"XY".as_ptr(), 2usize, 8i64) };
    ensure_eq!(r, 2);
    ensure_eq!(lseek(fd, 0, libc::SEEK_CUR), 2, "offset after pread/pwrite");
    // pwrite beyond the end extends the file.
    // SAFETY: the literal is valid for a 1-byte read.
    let r = unsafe { libc::syscall(libc::SYS_pwrite64, fd, b"Z".as_ptr(), 1usize, 12i64) };
    ensure_eq!(r, 1);
    // SAFETY: b is valid for writes of 3 bytes.
    let r = unsafe { libc::syscall(libc::SYS_pread64, fd, b.as_mut_ptr(), 3usize, 11i64) };
    ensure_eq!((r, b), (2, [0, b'Z', b'i']), "pread across the end");
    // SAFETY: b is valid for writes of 3 bytes; the offset is refused.
    let r = unsafe { libc::syscall(libc::SYS_pread64, fd, b.as_mut_ptr(), 3usize, -1i64) };
    expect_errno(r, libc::EINVAL, "pread at a negative offset")?;
    let mut all = [0u8; 13];
    ensure_eq!(lseek(fd, 0, libc::SEEK_SET), 0);
    read_exact(fd, &mut all)?;
    ensure_eq!(&all, b"abcdefghXY\0\0Z", "the whole file");
    Ok(())
}

fn readv_writev_gather_and_scatter() -> CheckResult {
    let (_t, fd) = scratch("iov", b"")?;
    let parts: [&[u8]; 3] = [b"one", b"", b"three"];
    let iov: Vec<libc::iovec> = parts
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut _,
            iov_len: p.len(),
        })
        .collect();
    // SAFETY: iovecs over live buffers.
    let r = unsafe { libc::syscall(libc::SYS_writev, fd, iov.as_ptr(), 3i64) };
    ensure_eq!(r, 8, "writev of 3+0+5 bytes");
    ensure_eq!(lseek(fd, 0, libc::SEEK_SET), 0);
    let (mut a, mut b) = ([0u8; 2], [0u8; 10]);
    let iov = [
        libc::iovec {
            iov_base: a.as_mut_ptr().cast(),
            iov_len: 2,
        },
        libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: 10,
        },
    ];
    // SAFETY: the two iovecs cover exactly a and b, which are live and unborrowed.
    let r = unsafe { libc::syscall(libc::SYS_readv, fd, iov.as_ptr(), 2i64) };
    ensure_eq!(r, 8, "readv of an 8-byte file into 2+10");
    ensure_eq!((&a, &b[..6]), (b"on", b"ethree".as_slice()));
    // SAFETY: the iovecs are valid as above; the count is refused.
    let r = unsafe { libc::syscall(libc::SYS_readv, fd, iov.as_ptr(), -1i64) };
    expect_errno(r, libc::EINVAL, "readv with a negative count")
}

fn one_mib_file_round_trip() -> CheckResult {
    let (t, fd) = scratch("big", b"")?;
    let data: Vec<u8> = (0..1usize << 20)
        .map(|i| (i * 31 + i / 4096) as u8)
        .collect();
    // Unaligned pieces, so writes straddle page boundaries.
    for chunk in data.chunks(12345) {
        write_all(fd, chunk)?;
    }
    close(fd);
    ensure_eq!(stat(&t.c)?.st_size, 1 << 20);
    let back = contents(&t.c)?;
    ensure_eq!(back.len(), data.len());
    check!(
        back == data,
        "1 MiB read back differs from what was written"
    );
    Ok(())
}

fn read_at_end_of_file_returns_0() -> CheckResult {
    let (_t, fd) = scratch("eof", b"abc")?;
    let mut b = [0u8; 8];
    ensure_eq!(read_some(fd, &mut b)?, 3);
    ensure_eq!(read_some(fd, &mut b)?, 0);
    ensure_eq!(lseek(fd, 100, libc::SEEK_SET), 100);
    ensure_eq!(read_some(fd, &mut b)?, 0, "read past the end");
    Ok(())
}

fn dup_shares_the_offset() -> CheckResult {
    let (_t, fd) = scratch("dup", b"abcdef")?;
    // SAFETY: dup of our descriptor.
    let d = sys(unsafe { libc::syscall(libc::SYS_dup, fd) }, "dup")? as i32;
    check!(d != fd);
    let mut b = [0u8; 2];
    read_exact(fd, &mut b)?;
    read_exact(d, &mut b)?;
    ensure_eq!(&b, b"cd", "the duplicate reads on from the shared offset");
    ensure_eq!(lseek(fd, 0, libc::SEEK_CUR), 4);
    // SAFETY: F_GETFD query.
    ensure_eq!(
        unsafe { libc::fcntl(d, libc::F_GETFD) },
        0,
        "dup clears FD_CLOEXEC"
    );
    // SAFETY: dup takes no pointer; 9999 is not open.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_dup, 9999) },
        libc::EBADF,
        "dup(bad fd)",
    )
}

fn dup2_and_dup3() -> CheckResult {
    let (_a, fa) = scratch("dup2a", b"AAAA")?;
    let (_b, fb) = scratch("dup2b", b"BBBB")?;
    // SAFETY: descriptor calls on our descriptors and free numbers.
    unsafe {
        ensure_eq!(
            libc::syscall(libc::SYS_dup2, fa, fa),
            i64::from(fa),
            "dup2(fd, fd)"
        );
        ensure_eq!(
            libc::syscall(libc::SYS_dup2, fa, fb),
            i64::from(fb),
            "dup2 onto an open fd"
        );
        let mut c = [0u8; 1];
        read_exact(fb, &mut c)?;
        ensure_eq!(c[0], b'A', "the target now refers to the first file");
        ensure_eq!(libc::syscall(libc::SYS_dup2, fa, 100), 100);
        ensure_eq!(libc::fcntl(100, libc::F_GETFD), 0);
        expect_errno(
            libc::syscall(libc::SYS_dup2, 9999, 101),
            libc::EBADF,
            "dup2(bad, 101)",
        )?;
        expect_errno(
            libc::syscall(libc::SYS_dup3, fa, fa, 0),
            libc::EINVAL,
            "dup3(fd, fd)",
        )?;
        ensure_eq!(libc::syscall(libc::SYS_dup3, fa, 102, libc::O_CLOEXEC), 102);
        ensure_eq!(
            libc::fcntl(102, libc::F_GETFD),
            libc::FD_CLOEXEC,
            "dup3(O_CLOEXEC)"
        );
        expect_errno(
            libc::syscall(libc::SYS_dup3, fa, 103, libc::O_APPEND),
            libc::EINVAL,
            "dup3(O_APPEND)",
        )?;
        let r = libc::syscall(libc::SYS_dup2, fa, 1 << 30);
        expect_errno(r, libc::EBADF, "dup2 onto a number above the limit")?;
    }
    Ok(())
}

fn descriptors_are_allocated_lowest_first() -> CheckResult {
    let (t, _fd) = scratch("lowest", b"")?;
    let a = open(&t.c, libc::O_RDONLY, 0)?;
    let b = open(&t.c, libc::O_RDONLY, 0)?;
    let c = open(&t.c, libc::O_RDONLY, 0)?;
    check!(a < b && b < c, "descriptors {a} {b} {c} are not increasing");
    close(a);
    close(b);
    ensure_eq!(
        open(&t.c, libc::O_RDONLY, 0)?,
        a,
        "the lowest free number is reused"
    );
    ensure_eq!(open(&t.c, libc::O_RDONLY, 0)?, b);
    Ok(())
}

fn close_twice_is_ebadf() -> CheckResult {
    let (_t, fd) = scratch("close", b"")?;
    // SAFETY: fd is our descriptor, not used after this.
    ensure_eq!(unsafe { libc::syscall(libc::SYS_close, fd) }, 0);
    // SAFETY: fd is stale now and nothing has reused its number.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_close, fd) },
        libc::EBADF,
        "second close",
    )?;
    // SAFETY: -1 is never a descriptor.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_close, -1) },
        libc::EBADF,
        "close(-1)",
    )
}

fn fcntl_descriptor_and_status_flags() -> CheckResult {
    let t = TmpPath::new("fcntl");
    let fd = sys(
        sc_open(&t.c, libc::O_RDWR | libc::O_CREAT | libc::O_APPEND, 0o644),
        "open",
    )? as i32;
    // SAFETY: every command used below takes an integer argument, no pointer.
    let fcntl = |cmd: i32, arg: i64| unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, arg) };
    ensure_eq!(fcntl(libc::F_GETFD, 0), 0);
    ensure_eq!(fcntl(libc::F_SETFD, i64::from(libc::FD_CLOEXEC)), 0);
    ensure_eq!(fcntl(libc::F_GETFD, 0), i64::from(libc::FD_CLOEXEC));
    ensure_eq!(fcntl(libc::F_SETFD, 0), 0);
    ensure_eq!(fcntl(libc::F_GETFD, 0), 0);
    // Linux reports O_LARGEFILE for every file opened by a 64-bit process.
    let fl = fcntl(libc::F_GETFL, 0);
    ensure_eq!(
        fl,
        i64::from(libc::O_RDWR | libc::O_APPEND | libc::O_LARGEFILE),
        "F_GETFL"
    );
    // F_SETFL changes O_APPEND and O_NONBLOCK, never the access mode.
    ensure_eq!(
        fcntl(libc::F_SETFL, i64::from(libc::O_NONBLOCK | libc::O_RDONLY)),
        0
    );
    let fl = fcntl(libc::F_GETFL, 0);
    ensure_eq!(
        fl,
        i64::from(libc::O_RDWR | libc::O_NONBLOCK | libc::O_LARGEFILE),
        "F_GETFL after F_SETFL"
    );
    let d = fcntl(libc::F_DUPFD_CLOEXEC, 20);
    check!(d >= 20, "F_DUPFD_CLOEXEC(20) gave {d}");
    // SAFETY: query of the new descriptor.
    ensure_eq!(
        unsafe { libc::fcntl(d as i32, libc::F_GETFD) },
        libc::FD_CLOEXEC
    );
    let d2 = fcntl(libc::F_DUPFD, d);
    ensure_eq!(
        d2,
        d + 1,
        "F_DUPFD takes the lowest free number at or above the argument"
    );
    expect_errno(
        fcntl(9999, 0),
        libc::EINVAL,
        "fcntl with an unknown command",
    )?;
    // SAFETY: F_GETFD takes no pointer; 9999 is not open.
    let r = unsafe { libc::syscall(libc::SYS_fcntl, 9999, libc::F_GETFD, 0) };
    expect_errno(r, libc::EBADF, "fcntl(bad fd)")
}

/// Every entry of a directory through getdents64 with a `bufsize` buffer:
/// (name, d_type).
fn list_dir(fd: i32, bufsize: usize) -> Result<BTreeSet<(String, u8)>, String> {
    let mut out = BTreeSet::new();
    let mut buf = vec![0u8; bufsize];
    loop {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        let n = sys(n, "getdents64")? as usize;
        if n == 0 {
            return Ok(out);
        }
        let mut at = 0;
        while at < n {
            // struct linux_dirent64: ino u64, off i64, reclen u16, type u8, name.
            let reclen = usize::from(u16::from_le_bytes([buf[at + 16], buf[at + 17]]));
            check!(
                reclen >= 20 && at + reclen <= n && reclen.is_multiple_of(8),
                "bad d_reclen {reclen} at {at}"
            );
            let d_type = buf[at + 18];
            let name = &buf[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&c| c == 0).unwrap_or(name.len())];
            out.insert((String::from_utf8_lossy(name).into_owned(), d_type));
            at += reclen;
        }
    }
}

fn getdents64_lists_created_entries() -> CheckResult {
    let d = scratch_dir("listing")?;
    for name in ["alpha", "beta", "a-much-longer-name-than-the-others"] {
        let fd = open(&d.join(name), libc::O_WRONLY | libc::O_CREAT, 0o644)?;
        close(fd);
    }
    sys(mkdir(&d.join("sub"), 0o755), "mkdir sub")?;
    let want: BTreeSet<(String, u8)> = [
        (".", libc::DT_DIR),
        ("..", libc::DT_DIR),
        ("alpha", libc::DT_REG),
        ("beta", libc::DT_REG),
        ("a-much-longer-name-than-the-others", libc::DT_REG),
        ("sub", libc::DT_DIR),
    ]
    .iter()
    .map(|(n, t)| (n.to_string(), *t))
    .collect();
    let fd = d_fd(&d)?;
    ensure_eq!(list_dir(fd, 4096)?, want, "entries with a 4 KiB buffer");
    // A small buffer takes several calls and loses nothing.
    let fd = d_fd(&d)?;
    ensure_eq!(list_dir(fd, 64)?, want, "entries with a 64-byte buffer");
    // A buffer too small for one entry.
    let fd = d_fd(&d)?;
    let mut tiny = [0u8; 8];
    // SAFETY: tiny is valid for its length.
    let r = unsafe { libc::syscall(libc::SYS_getdents64, fd, tiny.as_mut_ptr(), tiny.len()) };
    expect_errno(r, libc::EINVAL, "getdents64 with an 8-byte buffer")?;
    let (_f, ffd) = scratch("notadir", b"")?;
    // SAFETY: tiny is valid for its length.
    let r = unsafe { libc::syscall(libc::SYS_getdents64, ffd, tiny.as_mut_ptr(), tiny.len()) };
    expect_errno(r, libc::ENOTDIR, "getdents64 on a file")?;
    for name in ["alpha", "beta", "a-much-longer-name-than-the-others"] {
        unlink(&d.join(name));
    }
    sys(
        unlinkat(libc::AT_FDCWD, &d.join("sub"), libc::AT_REMOVEDIR),
        "rmdir sub",
    )?;
    Ok(())
}

fn mkdir_and_removal_errors() -> CheckResult {
    let d = scratch_dir("rmdirs")?;
    expect_errno(
        mkdir(&d.c, 0o755),
        libc::EEXIST,
        "mkdir of an existing directory",
    )?;
    let deep = CString::new(format!("{}/missing/child", d.path)).unwrap();
    expect_errno(
        mkdir(&deep, 0o755),
        libc::ENOENT,
        "mkdir under a missing parent",
    )?;
    let f = d.join("file");
    let fd = open(&f, libc::O_WRONLY | libc::O_CREAT, 0o644)?;
    close(fd);
    expect_errno(mkdir(&f, 0o755), libc::EEXIST, "mkdir over a file")?;
    expect_errno(
        unlinkat(libc::AT_FDCWD, &d.c, libc::AT_REMOVEDIR),
        libc::ENOTEMPTY,
        "rmdir of a non-empty directory",
    )?;
    expect_errno(unlink(&d.c), libc::EISDIR, "unlink of a directory")?;
    expect_errno(
        unlinkat(libc::AT_FDCWD, &f, libc::AT_REMOVEDIR),
        libc::ENOTDIR,
        "unlinkat(file, AT_REMOVEDIR)",
    )?;
    expect_errno(
        unlinkat(libc::AT_FDCWD, &f, 0x1234),
        libc::EINVAL,
        "unlinkat with bad flags",
    )?;
    sys(unlink(&f), "unlink file")?;
    sys(
        unlinkat(libc::AT_FDCWD, &d.c, libc::AT_REMOVEDIR),
        "rmdir of the emptied directory",
    )?;
    expect_errno(
        stat(&d.c).map_or(-1, |_| 0),
        libc::ENOENT,
        "stat of the removed directory",
    )
}

fn rename_moves_and_replaces() -> CheckResult {
    let d = scratch_dir("rename")?;
    let (a, b, c, sub, full) = (
        d.join("a"),
        d.join("b"),
        d.join("c"),
        d.join("sub"),
        d.join("full"),
    );
    for (p, data) in [(&a, b"AAA".as_slice()), (&c, b"CC".as_slice())] {
        let fd = open(p, libc::O_WRONLY | libc::O_CREAT, 0o644)?;
        write_all(fd, data)?;
        close(fd);
    }
    sys(rename(&a, &b), "rename a -> b")?;
    expect_errno(
        stat(&a).map_or(-1, |_| 0),
        libc::ENOENT,
        "the old name after rename",
    )?;
    ensure_eq!(contents(&b)?, b"AAA");
    sys(rename(&c, &b), "rename c -> b (replacing)")?;
    ensure_eq!(contents(&b)?, b"CC", "the replaced file");
    expect_errno(rename(&a, &c), libc::ENOENT, "rename of a missing file")?;
    sys(mkdir(&sub, 0o755), "mkdir sub")?;
    sys(mkdir(&full, 0o755), "mkdir full")?;
    let inner = CString::new(format!("{}/full/x", d.path)).unwrap();
    let fd = open(&inner, libc::O_WRONLY | libc::O_CREAT, 0o644)?;
    close(fd);
    expect_errno(
        rename(&b, &sub),
        libc::EISDIR,
        "rename of a file over a directory",
    )?;
    expect_errno(
        rename(&sub, &b),
        libc::ENOTDIR,
        "rename of a directory over a file",
    )?;
    expect_errno(
        rename(&sub, &full),
        libc::ENOTEMPTY,
        "rename over a non-empty directory",
    )?;
    let moved = d.join("moved");
    sys(rename(&sub, &moved), "rename of a directory")?;
    ensure_eq!(stat(&moved)?.st_mode & libc::S_IFMT, libc::S_IFDIR);
    for p in [&b, &inner] {
        unlink(p);
    }
    for p in [&moved, &full] {
        unlinkat(libc::AT_FDCWD, p, libc::AT_REMOVEDIR);
    }
    Ok(())
}

fn stat_fstat_lstat_newfstatat_agree() -> CheckResult {
    // SAFETY: umask has no preconditions.
    unsafe { libc::umask(0o022) };
    let (t, fd) = scratch("stat", &[1; 5000])?;
    let f = fstat(fd)?;
    ensure_eq!(f.st_size, 5000);
    ensure_eq!(f.st_mode, libc::S_IFREG | 0o644, "st_mode of a 0644 file");
    ensure_eq!(f.st_nlink, 1);
    let s = stat(&t.c)?;
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut l: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut at: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: t.c is NUL-terminated; l is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_lstat, t.c.as_ptr(), &mut l) },
        "lstat",
    )?;
    // SAFETY: t.c is NUL-terminated; at is a valid out-pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            libc::AT_FDCWD,
            t.c.as_ptr(),
            &mut at,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    sys(r, "newfstatat")?;
    for (name, o) in [("stat", &s), ("lstat", &l), ("newfstatat", &at)] {
        ensure_eq!(
            (o.st_dev, o.st_ino, o.st_mode, o.st_size, o.st_nlink),
            (f.st_dev, f.st_ino, f.st_mode, f.st_size, f.st_nlink),
            "{name} vs fstat"
        );
    }
    // SAFETY: stat is plain data, for which all-zero bytes are valid.
    let mut e: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: an empty NUL-terminated path; e is a valid out-pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            fd,
            c"".as_ptr(),
            &mut e,
            libc::AT_EMPTY_PATH,
        )
    };
    sys(r, "newfstatat(fd, \"\", AT_EMPTY_PATH)")?;
    ensure_eq!(e.st_ino, f.st_ino);
    let d = stat(c"/tmp")?;
    ensure_eq!(
        d.st_mode & libc::S_IFMT,
        libc::S_IFDIR,
        "/tmp is a directory"
    );
    let missing = TmpPath::new("missing");
    // SAFETY: missing.c is NUL-terminated; e is a valid out-pointer.
    let r = unsafe { libc::syscall(libc::SYS_stat, missing.c.as_ptr(), &mut e) };
    expect_errno(r, libc::ENOENT, "stat(missing)")?;
    // SAFETY: e is a valid out-pointer; 9999 is not open.
    let r = unsafe { libc::syscall(libc::SYS_fstat, 9999, &mut e) };
    expect_errno(r, libc::EBADF, "fstat(bad fd)")
}

fn ftruncate_grows_with_zeros_and_shrinks() -> CheckResult {
    let (t, fd) = scratch("ftrunc", &[9; 100])?;
    // SAFETY: ftruncate takes no pointers; fd is our scratch file.
    let ftruncate = |len: i64| unsafe { libc::syscall(libc::SYS_ftruncate, fd, len) };
    ensure_eq!(ftruncate(10), 0);
    ensure_eq!(fstat(fd)?.st_size, 10);
    ensure_eq!(ftruncate(8192 + 5), 0);
    let back = contents(&t.c)?;
    ensure_eq!(back.len(), 8197);
    check!(back[..10].iter().all(|&b| b == 9), "kept bytes changed");
    check!(
        back[10..].iter().all(|&b| b == 0),
        "truncated bytes came back after growing"
    );
    expect_errno(ftruncate(-1), libc::EINVAL, "ftruncate(-1)")?;
    let ro = open(&t.c, libc::O_RDONLY, 0)?;
    // SAFETY: ftruncate takes no pointers.
    let r = unsafe { libc::syscall(libc::SYS_ftruncate, ro, 0i64) };
    expect_errno(r, libc::EINVAL, "ftruncate of a read-only descriptor")?;
    let (rd, _wr) = utests::fd::pipe()?;
    // SAFETY: ftruncate takes no pointers.
    let r = unsafe { libc::syscall(libc::SYS_ftruncate, rd, 0i64) };
    expect_errno(r, libc::EINVAL, "ftruncate of a pipe")
}

fn readlink_of_a_non_symlink_is_einval() -> CheckResult {
    let (t, _fd) = scratch("readlink", b"x")?;
    let mut buf = [0u8; 64];
    // SAFETY: t.c is NUL-terminated; buf is valid for its length.
    let r = unsafe {
        libc::syscall(
            libc::SYS_readlink,
            t.c.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    expect_errno(r, libc::EINVAL, "readlink of a regular file")?;
    // SAFETY: a NUL-terminated path; buf is valid for its length.
    let r = unsafe {
        libc::syscall(
            libc::SYS_readlink,
            c"/tmp".as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    expect_errno(r, libc::EINVAL, "readlink of a directory")?;
    let missing = TmpPath::new("missing");
    // SAFETY: missing.c is NUL-terminated; buf is valid for its length.
    let r = unsafe {
        libc::syscall(
            libc::SYS_readlink,
            missing.c.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    expect_errno(r, libc::ENOENT, "readlink of a missing path")
}

fn access_and_faccessat() -> CheckResult {
    let (t, _fd) = scratch("access", b"x")?;
    let missing = TmpPath::new("missing");
    // SAFETY: valid paths.
    unsafe {
        ensure_eq!(libc::syscall(libc::SYS_access, t.c.as_ptr(), libc::F_OK), 0);
        ensure_eq!(
            libc::syscall(libc::SYS_access, t.c.as_ptr(), libc::R_OK | libc::W_OK),
            0
        );
        let r = libc::syscall(libc::SYS_access, missing.c.as_ptr(), libc::F_OK);
        expect_errno(r, libc::ENOENT, "access(missing)")?;
        ensure_eq!(
            libc::syscall(
                libc::SYS_faccessat,
                libc::AT_FDCWD,
                t.c.as_ptr(),
                libc::F_OK
            ),
            0
        );
        let r = libc::syscall(
            libc::SYS_faccessat,
            libc::AT_FDCWD,
            missing.c.as_ptr(),
            libc::F_OK,
        );
        expect_errno(r, libc::ENOENT, "faccessat(missing)")?;
        let r = libc::syscall(libc::SYS_access, t.c.as_ptr(), 0x40);
        expect_errno(r, libc::EINVAL, "access with a bad mode")?;
    }
    Ok(())
}

fn relative_paths_follow_chdir_and_fchdir() -> CheckResult {
    let d = scratch_dir("cwd")?;
    let fd = open(&d.join("here"), libc::O_WRONLY | libc::O_CREAT, 0o644)?;
    write_all(fd, b"rel")?;
    close(fd);
    // SAFETY: d.c is NUL-terminated; the check runs in its own process.
    sys(
        unsafe { libc::syscall(libc::SYS_chdir, d.c.as_ptr()) },
        "chdir",
    )?;
    ensure_eq!(contents(c"here")?, b"rel", "a relative path after chdir");
    ensure_eq!(contents(c"./here")?, b"rel");
    let up = open(c"..", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    // SAFETY: fchdir takes no pointers; the check runs in its own process.
    sys(unsafe { libc::syscall(libc::SYS_fchdir, up) }, "fchdir(..)")?;
    let name = d.path.rsplit('/').next().unwrap();
    let rel = CString::new(format!("{name}/here")).unwrap();
    ensure_eq!(contents(&rel)?, b"rel", "a relative path after fchdir");
    let (_f, ffd) = scratch("notdir", b"")?;
    // SAFETY: fchdir takes no pointers; a file is refused.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_fchdir, ffd) },
        libc::ENOTDIR,
        "fchdir(file)",
    )?;
    // SAFETY: _f.c is NUL-terminated; a file is refused.
    expect_errno(
        unsafe { libc::syscall(libc::SYS_chdir, _f.c.as_ptr()) },
        libc::ENOTDIR,
        "chdir(file)",
    )?;
    unlink(&d.join("here"));
    Ok(())
}

fn ioctl_tcgets_on_a_file_is_enotty() -> CheckResult {
    let (_t, fd) = scratch("ioctl", b"")?;
    let mut tio = [0u8; 64];
    let mut ws = [0u16; 4];
    // SAFETY: tio's 64 bytes hold the kernel's 36-byte termios.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, fd, libc::TCGETS, tio.as_mut_ptr()) };
    expect_errno(r, libc::ENOTTY, "ioctl(file, TCGETS)")?;
    // SAFETY: ws's 8 bytes hold a winsize.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, fd, libc::TIOCGWINSZ, ws.as_mut_ptr()) };
    expect_errno(r, libc::ENOTTY, "ioctl(file, TIOCGWINSZ)")?;
    let (rd, _wr) = utests::fd::pipe()?;
    // SAFETY: tio's 64 bytes hold the kernel's 36-byte termios.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, rd, libc::TCGETS, tio.as_mut_ptr()) };
    expect_errno(r, libc::ENOTTY, "ioctl(pipe, TCGETS)")?;
    // SAFETY: tio's 64 bytes hold the kernel's 36-byte termios.
    let r = unsafe { libc::syscall(libc::SYS_ioctl, 9999, libc::TCGETS, tio.as_mut_ptr()) };
    expect_errno(r, libc::EBADF, "ioctl(bad fd, TCGETS)")
}
