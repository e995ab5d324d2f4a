//! `user::sendfile`: sendfile(2) from a file into a pipe and into another
//! file, at the file offset (which advances) and at an explicit offset
//! (updated, the file offset left alone), stopping at end of file, and
//! its errors (BusyBox's `cat` and `cp` use it).

use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::fd::{TmpPath, close, make_file, open, pipe, read_exact, read_to_end};

const CHECKS: &[ftest::Check] = checks![
    at_the_file_offset_into_a_pipe,
    at_an_explicit_offset_the_file_offset_stays,
    file_to_file_then_end_of_file,
    errors,
];

pub fn main() {
    ftest::main("sendfile", CHECKS)
}

/// 10000 bytes that differ from place to place.
fn pattern() -> Vec<u8> {
    (0..10_000u32).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// sendfile through the raw system call.
fn sendfile(out: i32, input: i32, off: Option<&mut i64>, count: usize) -> i64 {
    let p = off.map_or(std::ptr::null_mut(), |o| o as *mut i64);
    // SAFETY: p is NULL or a valid i64.
    unsafe { libc::syscall(libc::SYS_sendfile, out, input, p, count) }
}

fn lseek_cur(fd: i32) -> Result<i64, String> {
    // SAFETY: lseek on our descriptor.
    sys(unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }, "lseek")
}

fn at_the_file_offset_into_a_pipe() -> CheckResult {
    let data = pattern();
    let f = make_file("sendfile-a", &data, 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let (rd, wr) = pipe()?;
    // SAFETY: lseek on our descriptor.
    sys(unsafe { libc::lseek(fd, 100, libc::SEEK_SET) }, "lseek")?;
    let n = sys(sendfile(wr, fd, None, 5000), "sendfile")?;
    ensure_eq!(n, 5000);
    let mut got = vec![0u8; 5000];
    read_exact(rd, &mut got)?;
    check!(got == data[100..5100], "the pipe holds bytes 100..5100");
    ensure_eq!(lseek_cur(fd)?, 5100);
    close(rd);
    close(wr);
    close(fd);
    Ok(())
}

fn at_an_explicit_offset_the_file_offset_stays() -> CheckResult {
    let data = pattern();
    let f = make_file("sendfile-b", &data, 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let (rd, wr) = pipe()?;
    let mut off = 9000i64;
    // Only 1000 bytes are left before the end of the file.
    let n = sys(sendfile(wr, fd, Some(&mut off), 5000), "sendfile")?;
    ensure_eq!(n, 1000);
    ensure_eq!(off, 10_000);
    ensure_eq!(lseek_cur(fd)?, 0);
    close(wr);
    check!(read_to_end(rd)? == data[9000..], "the pipe holds the tail");
    close(rd);
    close(fd);
    Ok(())
}

fn file_to_file_then_end_of_file() -> CheckResult {
    let data = pattern();
    let src = make_file("sendfile-src", &data, 0o644)?;
    let dst = TmpPath::new("sendfile-dst");
    let input = open(&src.c, libc::O_RDONLY)?;
    let out = open(&dst.c, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC)?;
    let n = sys(sendfile(out, input, None, 1 << 20), "sendfile")?;
    ensure_eq!(n, 10_000);
    // At end of file: 0.
    ensure_eq!(sys(sendfile(out, input, None, 100), "sendfile at EOF")?, 0);
    close(out);
    let back = open(&dst.c, libc::O_RDONLY)?;
    check!(read_to_end(back)? == data, "the copy equals the source");
    close(back);
    close(input);
    Ok(())
}

fn errors() -> CheckResult {
    let f = make_file("sendfile-e", b"abc", 0o644)?;
    let rdonly = open(&f.c, libc::O_RDONLY)?;
    let (rd, wr) = pipe()?;
    expect_errno(sendfile(wr, -1, None, 1), libc::EBADF, "bad in_fd")?;
    expect_errno(sendfile(-1, rdonly, None, 1), libc::EBADF, "bad out_fd")?;
    expect_errno(
        sendfile(rdonly, rdonly, None, 1),
        libc::EBADF,
        "out_fd read-only",
    )?;
    expect_errno(sendfile(wr, wr, None, 1), libc::EBADF, "in_fd write-only")?;
    expect_errno(sendfile(wr, rd, None, 1), libc::EINVAL, "in_fd a pipe")?;
    let mut neg = -1i64;
    expect_errno(
        sendfile(wr, rdonly, Some(&mut neg), 1),
        libc::EINVAL,
        "negative offset",
    )?;
    let app = TmpPath::new("sendfile-app");
    let append = open(&app.c, libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND)?;
    expect_errno(
        sendfile(append, rdonly, None, 1),
        libc::EINVAL,
        "O_APPEND out_fd",
    )?;
    // An address in the first page, never mapped.
    let bad: usize = 8;
    // SAFETY: the kernel must refuse the unmapped address, not touch it.
    let r = unsafe { libc::syscall(libc::SYS_sendfile, wr, rdonly, bad, 1usize) };
    expect_errno(r, libc::EFAULT, "offset at an unmapped address")?;
    for fd in [rdonly, rd, wr, append] {
        close(fd);
    }
    Ok(())
}
