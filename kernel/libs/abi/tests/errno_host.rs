//! The errno table against the host kernel's behaviour: each case makes a
//! raw system call (no C library in between, so the return is the kernel's
//! own `-errno`) that the Linux man pages say fails one way, and decodes
//! the return with `Errno::from_ret`. A wrong number in the table, or a
//! wrong sign or range in `from_ret`, names the wrong error here.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use ferrite_abi::Errno;

/// A raw `syscall` with up to four arguments; the kernel's return value.
fn raw(nr: i64, a: [u64; 4]) -> i64 {
    let ret: i64;
    // SAFETY: every case below passes arguments the kernel validates (bad
    // pointers are never dereferenced in user space; the kernel reports
    // EFAULT); the syscall instruction clobbers rcx and r11 only.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// A pipe's two ends (closed when the test process ends).
fn pipe() -> (u64, u64) {
    let mut fds = [0i32; 2];
    let r = raw(libc::SYS_pipe2, [fds.as_mut_ptr() as u64, 0, 0, 0]);
    assert_eq!(r, 0, "pipe2");
    (fds[0] as u64, fds[1] as u64)
}

fn path(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `openat(AT_FDCWD, p, flags)`.
fn open(p: &[u8], flags: i32) -> i64 {
    raw(
        libc::SYS_openat,
        [libc::AT_FDCWD as u64, p.as_ptr() as u64, flags as u64, 0],
    )
}

#[test]
fn failing_system_calls_decode_to_the_errors_the_man_pages_name() {
    let (rd, wr) = pipe();
    let mut cases: Vec<(&str, i64, Errno)> = vec![
        (
            "close(-1)",
            raw(libc::SYS_close, [u64::MAX, 0, 0, 0]),
            Errno::EBADF,
        ),
        ("unknown call", raw(100_000, [0; 4]), Errno::ENOSYS),
        (
            "open of a missing file",
            open(&path("/nonexistent-ferrite-errno-check"), libc::O_RDONLY),
            Errno::ENOENT,
        ),
        (
            "open through a regular file",
            open(&path("/proc/self/exe/x"), libc::O_RDONLY),
            Errno::ENOTDIR,
        ),
        (
            "open of a 300-byte name",
            open(&path(&format!("/{}", "n".repeat(300))), libc::O_RDONLY),
            Errno::ENAMETOOLONG,
        ),
        (
            "mkdir of /",
            raw(
                libc::SYS_mkdirat,
                [libc::AT_FDCWD as u64, path("/").as_ptr() as u64, 0o755, 0],
            ),
            Errno::EEXIST,
        ),
        (
            "zero-length mmap",
            raw(
                libc::SYS_mmap,
                [
                    0,
                    0,
                    libc::PROT_READ as u64,
                    (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64,
                ],
            ),
            Errno::EINVAL,
        ),
        (
            "lseek on a pipe",
            raw(libc::SYS_lseek, [rd, 0, 0, 0]),
            Errno::ESPIPE,
        ),
        (
            "TCGETS on a pipe",
            raw(libc::SYS_ioctl, [rd, libc::TCGETS, 0x1000, 0]),
            Errno::ENOTTY,
        ),
        (
            "write to a read end",
            raw(libc::SYS_write, [rd, path("x").as_ptr() as u64, 1, 0]),
            Errno::EBADF,
        ),
        (
            "wait4 with no such child",
            raw(libc::SYS_wait4, [i32::MAX as u64, 0, 0, 0]),
            Errno::ECHILD,
        ),
        (
            "kill of a free pid",
            raw(libc::SYS_kill, [(i32::MAX - 1) as u64, 0, 0, 0]),
            Errno::ESRCH,
        ),
        (
            "clock_gettime of a bad clock",
            raw(libc::SYS_clock_gettime, [1000, 0x1000, 0, 0]),
            Errno::EINVAL,
        ),
    ];
    // EFAULT: the kernel copies out into a bad pointer.
    assert_eq!(
        raw(libc::SYS_write, [wr, path("x").as_ptr() as u64, 1, 0]),
        1
    );
    cases.push((
        "read into a bad pointer",
        raw(libc::SYS_read, [rd, 8, 1, 0]),
        Errno::EFAULT,
    ));
    // EISDIR: read(2) of a directory.
    let dir = open(&path("/"), libc::O_RDONLY | libc::O_DIRECTORY);
    assert!(dir >= 0, "open /: {dir}");
    let mut buf = [0u8; 8];
    cases.push((
        "read of a directory",
        raw(libc::SYS_read, [dir as u64, buf.as_mut_ptr() as u64, 8, 0]),
        Errno::EISDIR,
    ));
    // EAGAIN: a non-blocking read of an empty pipe.
    let (erd, _ewr) = pipe();
    raw(
        libc::SYS_fcntl,
        [erd, libc::F_SETFL as u64, libc::O_NONBLOCK as u64, 0],
    );
    cases.push((
        "non-blocking read of an empty pipe",
        raw(libc::SYS_read, [erd, buf.as_mut_ptr() as u64, 8, 0]),
        Errno::EAGAIN,
    ));
    // EPIPE: a write with no reader left (Rust's runtime ignores SIGPIPE).
    let (prd, pwr) = pipe();
    raw(libc::SYS_close, [prd, 0, 0, 0]);
    cases.push((
        "write with no reader",
        raw(libc::SYS_write, [pwr, buf.as_ptr() as u64, 1, 0]),
        Errno::EPIPE,
    ));

    for (what, ret, want) in cases {
        assert_eq!(
            Errno::from_ret(ret),
            Some(want),
            "{what}: the kernel returned {ret}"
        );
        assert_eq!(
            want.to_ret(),
            ret,
            "{what}: {want:?} encodes to the kernel's return"
        );
    }
}
