//! `user::badptr`: every pointer argument of the system calls Ferrite
//! implements, given bad addresses (NULL, a kernel address, the two
//! non-canonical addresses, a just-unmapped page, a PROT_NONE page and,
//! where the kernel writes, a read-only page): the call must fail with
//! exactly what Linux answers (EFAULT nearly everywhere) and the process
//! must live on. Arguments where NULL means "none" are tried without NULL.
//! One check per pointer argument; its failure lists every address that
//! misbehaved.

use std::ffi::CStr;

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::badaddr::{
    BadAddrs, Dir, KERNEL_ADDR, NONCANONICAL_HIGH, NONCANONICAL_LOW, each_bad, each_bad_but_null,
};
use utests::fd::{TmpPath, close, pipe, write_all};
use utests::mem::{Mapping, PAGE, unmapped_page};

use Dir::{In, Out};
use libc::EFAULT;

const CHECKS: &[ftest::Check] = checks![
    read_bad_buffer_is_efault,
    read_from_pipe_bad_buffer_is_efault,
    write_bad_buffer_is_efault,
    write_to_pipe_bad_buffer_is_efault,
    readv_bad_iovec_array_is_efault,
    readv_bad_iov_base_is_efault,
    writev_bad_iovec_array_is_efault,
    writev_bad_iov_base_is_efault,
    pread64_bad_buffer_is_efault,
    pwrite64_bad_buffer_is_efault,
    open_bad_path_is_efault,
    openat_bad_path_is_efault,
    stat_bad_path_is_efault,
    stat_bad_buffer_is_efault,
    lstat_bad_path_is_efault,
    lstat_bad_buffer_is_efault,
    fstat_bad_buffer_is_efault,
    newfstatat_bad_path_is_efault,
    newfstatat_bad_buffer_is_efault,
    getdents64_bad_buffer_is_efault,
    mkdir_bad_path_is_efault,
    unlink_bad_path_is_efault,
    unlinkat_bad_path_is_efault,
    rename_bad_old_path_is_efault,
    rename_bad_new_path_is_efault,
    readlink_bad_path_is_efault,
    getcwd_bad_buffer_is_efault,
    chdir_bad_path_is_efault,
    access_bad_path_is_efault,
    faccessat_bad_path_is_efault,
    ioctl_tcgets_bad_buffer_is_efault,
    ioctl_tiocgwinsz_bad_buffer_is_efault,
    poll_bad_fds_is_efault,
    ppoll_bad_fds_is_efault,
    ppoll_bad_timeout_is_efault,
    ppoll_bad_sigmask_is_efault,
    pipe_bad_array_is_efault,
    pipe2_bad_array_is_efault,
    execve_bad_path_is_efault,
    execve_bad_argv_is_efault,
    execve_bad_argv_string_is_efault,
    execve_bad_envp_is_efault,
    wait4_bad_status_is_efault_and_reaps,
    wait4_bad_rusage_is_efault,
    waitid_bad_info_is_efault,
    rt_sigaction_bad_act_is_efault,
    rt_sigaction_bad_oldact_is_efault,
    rt_sigprocmask_bad_set_is_efault,
    rt_sigprocmask_bad_oldset_is_efault,
    sigaltstack_bad_new_is_efault,
    sigaltstack_bad_old_is_efault,
    set_tid_address_accepts_any_address,
    arch_prctl_get_fs_bad_pointer_is_efault,
    arch_prctl_set_fs_outside_user_space_is_eperm,
    uname_bad_buffer_is_efault,
    getrandom_bad_buffer_is_efault,
    clock_gettime_bad_buffer_is_efault,
    clock_getres_bad_buffer_is_efault,
    gettimeofday_bad_buffer_is_efault,
    time_bad_pointer_is_efault,
    nanosleep_bad_request_is_efault,
    clock_nanosleep_bad_request_is_efault,
    getrlimit_bad_buffer_is_efault,
    setrlimit_bad_buffer_is_efault,
    prlimit64_bad_new_is_efault,
    prlimit64_bad_old_is_efault,
    times_bad_buffer_is_efault,
    getrusage_bad_buffer_is_efault,
    sysinfo_bad_buffer_is_efault,
    mmap_fixed_at_bad_addresses_fails,
    munmap_and_mprotect_of_bad_addresses_fail,
    brk_to_bad_addresses_keeps_the_break,
];

pub fn main() {
    ftest::main("badptr", CHECKS)
}

/// A raw system call with every argument passed as a full 64-bit word.
fn sc(nr: libc::c_long, args: &[usize]) -> i64 {
    let a = |i: usize| args.get(i).copied().unwrap_or(0);
    // SAFETY: the kernel validates every argument; the checks pass bad
    // addresses on purpose and only ever valid memory of their own besides.
    unsafe { libc::syscall(nr, a(0), a(1), a(2), a(3), a(4), a(5)) }
}

fn p(s: &CStr) -> usize {
    s.as_ptr() as usize
}

fn fdu(fd: i32) -> usize {
    fd as usize
}

/// A scratch file holding 64 KiB, open read-write at offset 0.
fn data_file() -> Result<(TmpPath, i32), String> {
    let t = utests::fd::make_file("data", &[0x61; 64 * 1024], 0o644)?;
    let fd = utests::fd::open(&t.c, libc::O_RDWR)?;
    Ok((t, fd))
}

/// A pipe with 64 bytes waiting in it.
fn loaded_pipe() -> Result<(i32, i32), String> {
    let (rd, wr) = pipe()?;
    write_all(wr, &[0x62; 64])?;
    Ok((rd, wr))
}

fn console() -> Result<i32, String> {
    // SAFETY: a valid path.
    sys(
        unsafe {
            libc::open(
                c"/dev/console".as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        },
        "open(/dev/console)",
    )
}

// ---- read and write ----

fn read_bad_buffer_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(Out, "read(file, BAD, 16)", EFAULT, |a| {
        sc(libc::SYS_read, &[fdu(fd), a, 16])
    })
}

fn read_from_pipe_bad_buffer_is_efault() -> CheckResult {
    let (rd, _wr) = loaded_pipe()?;
    each_bad(Out, "read(pipe, BAD, 16)", EFAULT, |a| {
        sc(libc::SYS_read, &[fdu(rd), a, 16])
    })
}

fn write_bad_buffer_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(In, "write(file, BAD, 16)", EFAULT, |a| {
        sc(libc::SYS_write, &[fdu(fd), a, 16])
    })
}

fn write_to_pipe_bad_buffer_is_efault() -> CheckResult {
    let (_rd, wr) = pipe()?;
    each_bad(In, "write(pipe, BAD, 16)", EFAULT, |a| {
        sc(libc::SYS_write, &[fdu(wr), a, 16])
    })
}

fn readv_bad_iovec_array_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(In, "readv(file, BAD, 1)", EFAULT, |a| {
        sc(libc::SYS_readv, &[fdu(fd), a, 1])
    })
}

fn readv_bad_iov_base_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(Out, "readv(file, [{BAD, 16}], 1)", EFAULT, |a| {
        let iov = [libc::iovec {
            iov_base: a as *mut _,
            iov_len: 16,
        }];
        sc(libc::SYS_readv, &[fdu(fd), iov.as_ptr() as usize, 1])
    })
}

fn writev_bad_iovec_array_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(In, "writev(file, BAD, 1)", EFAULT, |a| {
        sc(libc::SYS_writev, &[fdu(fd), a, 1])
    })
}

fn writev_bad_iov_base_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(In, "writev(file, [{BAD, 16}], 1)", EFAULT, |a| {
        let iov = [libc::iovec {
            iov_base: a as *mut _,
            iov_len: 16,
        }];
        sc(libc::SYS_writev, &[fdu(fd), iov.as_ptr() as usize, 1])
    })
}

fn pread64_bad_buffer_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(Out, "pread64(file, BAD, 16, 100)", EFAULT, |a| {
        sc(libc::SYS_pread64, &[fdu(fd), a, 16, 100])
    })
}

fn pwrite64_bad_buffer_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(In, "pwrite64(file, BAD, 16, 100)", EFAULT, |a| {
        sc(libc::SYS_pwrite64, &[fdu(fd), a, 16, 100])
    })
}

// ---- paths and file metadata ----

fn open_bad_path_is_efault() -> CheckResult {
    each_bad(In, "open(BAD, O_RDONLY)", EFAULT, |a| {
        sc(libc::SYS_open, &[a, 0])
    })
}

fn openat_bad_path_is_efault() -> CheckResult {
    let cwd = libc::AT_FDCWD as usize;
    each_bad(In, "openat(AT_FDCWD, BAD, O_RDONLY)", EFAULT, |a| {
        sc(libc::SYS_openat, &[cwd, a, 0])
    })
}

fn stat_bad_path_is_efault() -> CheckResult {
    let mut st = [0u8; 256];
    let buf = st.as_mut_ptr() as usize;
    each_bad(In, "stat(BAD, &st)", EFAULT, |a| {
        sc(libc::SYS_stat, &[a, buf])
    })
}

fn stat_bad_buffer_is_efault() -> CheckResult {
    let (t, _fd) = data_file()?;
    each_bad(Out, "stat(file, BAD)", EFAULT, |a| {
        sc(libc::SYS_stat, &[p(&t.c), a])
    })
}

fn lstat_bad_path_is_efault() -> CheckResult {
    let mut st = [0u8; 256];
    let buf = st.as_mut_ptr() as usize;
    each_bad(In, "lstat(BAD, &st)", EFAULT, |a| {
        sc(libc::SYS_lstat, &[a, buf])
    })
}

fn lstat_bad_buffer_is_efault() -> CheckResult {
    let (t, _fd) = data_file()?;
    each_bad(Out, "lstat(file, BAD)", EFAULT, |a| {
        sc(libc::SYS_lstat, &[p(&t.c), a])
    })
}

fn fstat_bad_buffer_is_efault() -> CheckResult {
    let (_t, fd) = data_file()?;
    each_bad(Out, "fstat(file, BAD)", EFAULT, |a| {
        sc(libc::SYS_fstat, &[fdu(fd), a])
    })
}

fn newfstatat_bad_path_is_efault() -> CheckResult {
    let mut st = [0u8; 256];
    let buf = st.as_mut_ptr() as usize;
    let cwd = libc::AT_FDCWD as usize;
    each_bad(In, "newfstatat(AT_FDCWD, BAD, &st, 0)", EFAULT, |a| {
        sc(libc::SYS_newfstatat, &[cwd, a, buf, 0])
    })
}

fn newfstatat_bad_buffer_is_efault() -> CheckResult {
    let (t, _fd) = data_file()?;
    let cwd = libc::AT_FDCWD as usize;
    each_bad(Out, "newfstatat(AT_FDCWD, file, BAD, 0)", EFAULT, |a| {
        sc(libc::SYS_newfstatat, &[cwd, p(&t.c), a, 0])
    })
}

fn getdents64_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "getdents64(/tmp, BAD, 4096)", EFAULT, |a| {
        let Ok(fd) = utests::fd::open(c"/tmp", libc::O_RDONLY | libc::O_DIRECTORY) else {
            return -2;
        };
        let r = sc(libc::SYS_getdents64, &[fdu(fd), a, 4096]);
        let e = ftest::errno();
        close(fd);
        // SAFETY: put back the errno of the call being checked.
        unsafe { *libc::__errno_location() = e };
        r
    })
}

fn mkdir_bad_path_is_efault() -> CheckResult {
    each_bad(In, "mkdir(BAD, 0755)", EFAULT, |a| {
        sc(libc::SYS_mkdir, &[a, 0o755])
    })
}

fn unlink_bad_path_is_efault() -> CheckResult {
    each_bad(In, "unlink(BAD)", EFAULT, |a| sc(libc::SYS_unlink, &[a]))
}

fn unlinkat_bad_path_is_efault() -> CheckResult {
    let cwd = libc::AT_FDCWD as usize;
    each_bad(In, "unlinkat(AT_FDCWD, BAD, 0)", EFAULT, |a| {
        sc(libc::SYS_unlinkat, &[cwd, a, 0])
    })?;
    each_bad(In, "unlinkat(AT_FDCWD, BAD, AT_REMOVEDIR)", EFAULT, |a| {
        sc(libc::SYS_unlinkat, &[cwd, a, libc::AT_REMOVEDIR as usize])
    })
}

fn rename_bad_old_path_is_efault() -> CheckResult {
    let to = TmpPath::new("to");
    each_bad(In, "rename(BAD, new)", EFAULT, |a| {
        sc(libc::SYS_rename, &[a, p(&to.c)])
    })
}

fn rename_bad_new_path_is_efault() -> CheckResult {
    let (t, _fd) = data_file()?;
    each_bad(In, "rename(file, BAD)", EFAULT, |a| {
        sc(libc::SYS_rename, &[p(&t.c), a])
    })?;
    check!(
        utests::fd::open(&t.c, libc::O_RDONLY).is_ok(),
        "the file is gone after failed renames"
    );
    Ok(())
}

fn readlink_bad_path_is_efault() -> CheckResult {
    // (The buffer is only written for a symbolic link, which Ferrite's
    // system calls cannot create: not checked.)
    let mut buf = [0u8; 64];
    let b = buf.as_mut_ptr() as usize;
    each_bad(In, "readlink(BAD, buf, 64)", EFAULT, |a| {
        sc(libc::SYS_readlink, &[a, b, 64])
    })
}

fn getcwd_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "getcwd(BAD, 4096)", EFAULT, |a| {
        sc(libc::SYS_getcwd, &[a, 4096])
    })
}

fn chdir_bad_path_is_efault() -> CheckResult {
    each_bad(In, "chdir(BAD)", EFAULT, |a| sc(libc::SYS_chdir, &[a]))
}

fn access_bad_path_is_efault() -> CheckResult {
    each_bad(In, "access(BAD, F_OK)", EFAULT, |a| {
        sc(libc::SYS_access, &[a, 0])
    })
}

fn faccessat_bad_path_is_efault() -> CheckResult {
    let cwd = libc::AT_FDCWD as usize;
    each_bad(In, "faccessat(AT_FDCWD, BAD, F_OK)", EFAULT, |a| {
        sc(libc::SYS_faccessat, &[cwd, a, 0])
    })
}

fn ioctl_tcgets_bad_buffer_is_efault() -> CheckResult {
    let fd = console()?;
    each_bad(Out, "ioctl(console, TCGETS, BAD)", EFAULT, |a| {
        sc(libc::SYS_ioctl, &[fdu(fd), libc::TCGETS as usize, a])
    })
}

fn ioctl_tiocgwinsz_bad_buffer_is_efault() -> CheckResult {
    let fd = console()?;
    each_bad(Out, "ioctl(console, TIOCGWINSZ, BAD)", EFAULT, |a| {
        sc(libc::SYS_ioctl, &[fdu(fd), libc::TIOCGWINSZ as usize, a])
    })
}

// ---- poll and pipes ----

fn poll_bad_fds_is_efault() -> CheckResult {
    // The kernel reads the array and writes revents back: a read-only page
    // fails too.
    each_bad(Out, "poll(BAD, 1, 0)", EFAULT, |a| {
        sc(libc::SYS_poll, &[a, 1, 0])
    })
}

fn ppoll_bad_fds_is_efault() -> CheckResult {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let t = &ts as *const _ as usize;
    each_bad(Out, "ppoll(BAD, 1, &0s, NULL, 8)", EFAULT, |a| {
        sc(libc::SYS_ppoll, &[a, 1, t, 0, 8])
    })
}

fn ppoll_bad_timeout_is_efault() -> CheckResult {
    let (rd, _wr) = pipe()?;
    let mut pfd = libc::pollfd {
        fd: rd,
        events: libc::POLLIN,
        revents: 0,
    };
    let f = &mut pfd as *mut _ as usize;
    each_bad_but_null(In, "ppoll(fds, 1, BAD, NULL, 8)", EFAULT, |a| {
        sc(libc::SYS_ppoll, &[f, 1, a, 0, 8])
    })
}

fn ppoll_bad_sigmask_is_efault() -> CheckResult {
    let (rd, _wr) = pipe()?;
    let mut pfd = libc::pollfd {
        fd: rd,
        events: libc::POLLIN,
        revents: 0,
    };
    let f = &mut pfd as *mut _ as usize;
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let t = &ts as *const _ as usize;
    each_bad_but_null(In, "ppoll(fds, 1, &0s, BAD, 8)", EFAULT, |a| {
        sc(libc::SYS_ppoll, &[f, 1, t, a, 8])
    })
}

/// Open descriptors, to see that failed pipe calls leak none.
fn open_fds() -> usize {
    // SAFETY: F_GETFD only queries.
    (0..256)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1)
        .count()
}

fn pipe_bad_array_is_efault() -> CheckResult {
    let before = open_fds();
    each_bad(Out, "pipe(BAD)", EFAULT, |a| sc(libc::SYS_pipe, &[a]))?;
    ensure_eq!(
        open_fds(),
        before,
        "descriptors open after the failed pipe calls"
    );
    Ok(())
}

fn pipe2_bad_array_is_efault() -> CheckResult {
    let before = open_fds();
    each_bad(Out, "pipe2(BAD, O_CLOEXEC)", EFAULT, |a| {
        sc(libc::SYS_pipe2, &[a, libc::O_CLOEXEC as usize])
    })?;
    ensure_eq!(
        open_fds(),
        before,
        "descriptors open after the failed pipe2 calls"
    );
    Ok(())
}

// ---- exec ----

/// Argument and environment vectors for execve of this program that make
/// a wrongly successful exec exit with status 99 at once.
struct ExecArgs {
    path: std::ffi::CString,
    probe: std::ffi::CString,
}

impl ExecArgs {
    fn new() -> ExecArgs {
        ExecArgs {
            path: std::ffi::CString::new(ftest::self_path()).unwrap(),
            probe: std::ffi::CString::new(format!("{}=1", ftest::PROBE_ENV)).unwrap(),
        }
    }
}

fn execve_bad_path_is_efault() -> CheckResult {
    let x = ExecArgs::new();
    let argv = [x.path.as_ptr(), std::ptr::null()];
    let envp = [x.probe.as_ptr(), std::ptr::null()];
    each_bad(In, "execve(BAD, argv, envp)", EFAULT, |a| {
        sc(
            libc::SYS_execve,
            &[a, argv.as_ptr() as usize, envp.as_ptr() as usize],
        )
    })
}

fn execve_bad_argv_is_efault() -> CheckResult {
    // NULL argv is accepted by Linux (as an empty vector): not tried.
    let x = ExecArgs::new();
    let envp = [x.probe.as_ptr(), std::ptr::null()];
    each_bad_but_null(In, "execve(path, BAD, envp)", EFAULT, |a| {
        sc(libc::SYS_execve, &[p(&x.path), a, envp.as_ptr() as usize])
    })
}

fn execve_bad_argv_string_is_efault() -> CheckResult {
    let x = ExecArgs::new();
    let envp = [x.probe.as_ptr(), std::ptr::null()];
    // NULL here ends the vector: not a bad string.
    each_bad_but_null(In, "execve(path, [path, BAD, NULL], envp)", EFAULT, |a| {
        let argv = [x.path.as_ptr() as usize, a, 0];
        sc(
            libc::SYS_execve,
            &[p(&x.path), argv.as_ptr() as usize, envp.as_ptr() as usize],
        )
    })
}

fn execve_bad_envp_is_efault() -> CheckResult {
    let x = ExecArgs::new();
    let helper = std::ffi::CString::new("--helper").unwrap();
    let probe = std::ffi::CString::new("exit-99").unwrap();
    // A wrongly successful exec runs the (missing) helper "exit-99": status 2.
    let argv = [
        x.path.as_ptr(),
        helper.as_ptr(),
        probe.as_ptr(),
        std::ptr::null(),
    ];
    each_bad_but_null(In, "execve(path, argv, BAD)", EFAULT, |a| {
        sc(libc::SYS_execve, &[p(&x.path), argv.as_ptr() as usize, a])
    })?;
    each_bad_but_null(In, "execve(path, argv, [BAD, NULL])", EFAULT, |a| {
        let envp = [a, 0];
        sc(
            libc::SYS_execve,
            &[p(&x.path), argv.as_ptr() as usize, envp.as_ptr() as usize],
        )
    })
}

// ---- wait ----

fn wait4_bad_status_is_efault_and_reaps() -> CheckResult {
    // Linux reaps the child first and then fails to store its status: the
    // status is lost and the child is gone.
    let mut wrong = Vec::new();
    each_bad_but_null(Out, "wait4(child, BAD, 0, NULL)", EFAULT, |a| {
        let Ok(pid) = spawn(|| 3) else { return -2 };
        let r = sc(libc::SYS_wait4, &[pid as usize, a, 0, 0]);
        let e = ftest::errno();
        let again = sc(
            libc::SYS_wait4,
            &[pid as usize, 0, libc::WNOHANG as usize, 0],
        );
        if !(again == -1 && ftest::errno() == libc::ECHILD) {
            wrong.push(format!(
                "child {pid} still waitable after wait4 with a bad status"
            ));
            let _ = wait_pid(pid);
        }
        // SAFETY: put back the errno of the call being checked.
        unsafe { *libc::__errno_location() = e };
        r
    })?;
    check!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

fn wait4_bad_rusage_is_efault() -> CheckResult {
    each_bad_but_null(Out, "wait4(child, &status, 0, BAD)", EFAULT, |a| {
        let Ok(pid) = spawn(|| 3) else { return -2 };
        let mut status = 0i32;
        let r = sc(
            libc::SYS_wait4,
            &[pid as usize, &mut status as *mut _ as usize, 0, a],
        );
        let e = ftest::errno();
        let _ = sc(libc::SYS_wait4, &[pid as usize, 0, 0, 0]);
        // SAFETY: put back the errno of the call being checked.
        unsafe { *libc::__errno_location() = e };
        r
    })
}

fn waitid_bad_info_is_efault() -> CheckResult {
    // NULL info is accepted by Linux: not tried.
    each_bad_but_null(Out, "waitid(P_PID, child, BAD, WEXITED)", EFAULT, |a| {
        let Ok(pid) = spawn(|| 3) else { return -2 };
        let r = sc(
            libc::SYS_waitid,
            &[
                libc::P_PID as usize,
                pid as usize,
                a,
                libc::WEXITED as usize,
                0,
            ],
        );
        let e = ftest::errno();
        let _ = sc(libc::SYS_wait4, &[pid as usize, 0, 0, 0]);
        // SAFETY: put back the errno of the call being checked.
        unsafe { *libc::__errno_location() = e };
        r
    })
}

// ---- signals ----

fn rt_sigaction_bad_act_is_efault() -> CheckResult {
    let sig = libc::SIGUSR1 as usize;
    each_bad_but_null(In, "rt_sigaction(SIGUSR1, BAD, NULL, 8)", EFAULT, |a| {
        sc(libc::SYS_rt_sigaction, &[sig, a, 0, 8])
    })
}

fn rt_sigaction_bad_oldact_is_efault() -> CheckResult {
    let sig = libc::SIGUSR1 as usize;
    each_bad_but_null(Out, "rt_sigaction(SIGUSR1, NULL, BAD, 8)", EFAULT, |a| {
        sc(libc::SYS_rt_sigaction, &[sig, 0, a, 8])
    })
}

fn rt_sigprocmask_bad_set_is_efault() -> CheckResult {
    each_bad_but_null(In, "rt_sigprocmask(SIG_BLOCK, BAD, NULL, 8)", EFAULT, |a| {
        sc(
            libc::SYS_rt_sigprocmask,
            &[libc::SIG_BLOCK as usize, a, 0, 8],
        )
    })
}

fn rt_sigprocmask_bad_oldset_is_efault() -> CheckResult {
    each_bad_but_null(
        Out,
        "rt_sigprocmask(SIG_BLOCK, NULL, BAD, 8)",
        EFAULT,
        |a| {
            sc(
                libc::SYS_rt_sigprocmask,
                &[libc::SIG_BLOCK as usize, 0, a, 8],
            )
        },
    )
}

fn sigaltstack_bad_new_is_efault() -> CheckResult {
    each_bad_but_null(In, "sigaltstack(BAD, NULL)", EFAULT, |a| {
        sc(libc::SYS_sigaltstack, &[a, 0])
    })
}

fn sigaltstack_bad_old_is_efault() -> CheckResult {
    each_bad_but_null(Out, "sigaltstack(NULL, BAD)", EFAULT, |a| {
        sc(libc::SYS_sigaltstack, &[0, a])
    })
}

// ---- process and thread ----

fn set_tid_address_accepts_any_address() -> CheckResult {
    // The kernel only records the address (it writes there at exit and
    // ignores a failure): every call returns the tid.
    // SAFETY: no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    let addrs = BadAddrs::new(Out)?;
    for bad in &addrs.list {
        let r = sc(libc::SYS_set_tid_address, &[bad.addr]);
        ensure_eq!(r, tid, "set_tid_address({})", bad.label);
    }
    // The process then exits normally (in a child, to see it).
    let pid = spawn(|| {
        sc(libc::SYS_set_tid_address, &[KERNEL_ADDR]);
        7
    })?;
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(7),
        "exit with a kernel clear-tid address"
    );
    Ok(())
}

const ARCH_SET_FS: usize = 0x1002;
const ARCH_GET_FS: usize = 0x1003;

fn arch_prctl_get_fs_bad_pointer_is_efault() -> CheckResult {
    each_bad(Out, "arch_prctl(ARCH_GET_FS, BAD)", EFAULT, |a| {
        sc(libc::SYS_arch_prctl, &[ARCH_GET_FS, a])
    })
}

fn arch_prctl_set_fs_outside_user_space_is_eperm() -> CheckResult {
    // Not a pointer the kernel follows, but an address it must refuse to
    // load: anything at or above the end of user space.
    for addr in [KERNEL_ADDR, NONCANONICAL_LOW, NONCANONICAL_HIGH, usize::MAX] {
        let r = sc(libc::SYS_arch_prctl, &[ARCH_SET_FS, addr]);
        expect_errno(
            r,
            libc::EPERM,
            &format!("arch_prctl(ARCH_SET_FS, {addr:#x})"),
        )?;
    }
    Ok(())
}

fn uname_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "uname(BAD)", EFAULT, |a| sc(libc::SYS_uname, &[a]))
}

fn getrandom_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "getrandom(BAD, 16, 0)", EFAULT, |a| {
        sc(libc::SYS_getrandom, &[a, 16, 0])
    })
}

// ---- time ----

fn clock_gettime_bad_buffer_is_efault() -> CheckResult {
    let clock = libc::CLOCK_MONOTONIC as usize;
    each_bad(Out, "clock_gettime(CLOCK_MONOTONIC, BAD)", EFAULT, |a| {
        sc(libc::SYS_clock_gettime, &[clock, a])
    })
}

fn clock_getres_bad_buffer_is_efault() -> CheckResult {
    let clock = libc::CLOCK_MONOTONIC as usize;
    each_bad_but_null(Out, "clock_getres(CLOCK_MONOTONIC, BAD)", EFAULT, |a| {
        sc(libc::SYS_clock_getres, &[clock, a])
    })
}

fn gettimeofday_bad_buffer_is_efault() -> CheckResult {
    each_bad_but_null(Out, "gettimeofday(BAD, NULL)", EFAULT, |a| {
        sc(libc::SYS_gettimeofday, &[a, 0])
    })
}

fn time_bad_pointer_is_efault() -> CheckResult {
    each_bad_but_null(Out, "time(BAD)", EFAULT, |a| sc(libc::SYS_time, &[a]))
}

fn nanosleep_bad_request_is_efault() -> CheckResult {
    each_bad(In, "nanosleep(BAD, NULL)", EFAULT, |a| {
        sc(libc::SYS_nanosleep, &[a, 0])
    })
}

fn clock_nanosleep_bad_request_is_efault() -> CheckResult {
    let clock = libc::CLOCK_MONOTONIC as usize;
    each_bad(
        In,
        "clock_nanosleep(CLOCK_MONOTONIC, 0, BAD, NULL)",
        EFAULT,
        |a| sc(libc::SYS_clock_nanosleep, &[clock, 0, a, 0]),
    )
}

// ---- limits and accounting ----

fn getrlimit_bad_buffer_is_efault() -> CheckResult {
    let res = libc::RLIMIT_NOFILE as usize;
    each_bad(Out, "getrlimit(RLIMIT_NOFILE, BAD)", EFAULT, |a| {
        sc(libc::SYS_getrlimit, &[res, a])
    })
}

fn setrlimit_bad_buffer_is_efault() -> CheckResult {
    let res = libc::RLIMIT_NOFILE as usize;
    each_bad(In, "setrlimit(RLIMIT_NOFILE, BAD)", EFAULT, |a| {
        sc(libc::SYS_setrlimit, &[res, a])
    })
}

fn prlimit64_bad_new_is_efault() -> CheckResult {
    let res = libc::RLIMIT_NOFILE as usize;
    each_bad_but_null(In, "prlimit64(0, RLIMIT_NOFILE, BAD, NULL)", EFAULT, |a| {
        sc(libc::SYS_prlimit64, &[0, res, a, 0])
    })
}

fn prlimit64_bad_old_is_efault() -> CheckResult {
    let res = libc::RLIMIT_NOFILE as usize;
    each_bad_but_null(Out, "prlimit64(0, RLIMIT_NOFILE, NULL, BAD)", EFAULT, |a| {
        sc(libc::SYS_prlimit64, &[0, res, 0, a])
    })
}

fn times_bad_buffer_is_efault() -> CheckResult {
    each_bad_but_null(Out, "times(BAD)", EFAULT, |a| sc(libc::SYS_times, &[a]))
}

fn getrusage_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "getrusage(RUSAGE_SELF, BAD)", EFAULT, |a| {
        sc(libc::SYS_getrusage, &[0, a])
    })
}

fn sysinfo_bad_buffer_is_efault() -> CheckResult {
    each_bad(Out, "sysinfo(BAD)", EFAULT, |a| sc(libc::SYS_sysinfo, &[a]))
}

// ---- address-space calls given addresses outside user space ----

fn mmap_fixed_at_bad_addresses_fails() -> CheckResult {
    let prot = (libc::PROT_READ | libc::PROT_WRITE) as usize;
    let flags = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED) as usize;
    let addrs = BadAddrs::new(In)?;
    let outside: Vec<_> = addrs
        .list
        .iter()
        .filter(|b| b.addr >= NONCANONICAL_LOW)
        .copied()
        .collect();
    for bad in outside {
        let r = sc(
            libc::SYS_mmap,
            &[bad.addr, PAGE, prot, flags, usize::MAX, 0],
        );
        expect_errno(
            r,
            libc::ENOMEM,
            &format!("mmap(MAP_FIXED at {})", bad.label),
        )?;
    }
    // The range would end past user space.
    let r = sc(
        libc::SYS_mmap,
        &[
            NONCANONICAL_LOW - PAGE,
            2 * PAGE,
            prot,
            flags,
            usize::MAX,
            0,
        ],
    );
    expect_errno(
        r,
        libc::ENOMEM,
        "mmap(MAP_FIXED straddling the end of user space)",
    )
}

fn munmap_and_mprotect_of_bad_addresses_fail() -> CheckResult {
    for addr in [KERNEL_ADDR, NONCANONICAL_LOW, NONCANONICAL_HIGH] {
        let r = sc(libc::SYS_munmap, &[addr, PAGE]);
        expect_errno(r, libc::EINVAL, &format!("munmap({addr:#x})"))?;
        let r = sc(libc::SYS_mprotect, &[addr, PAGE, libc::PROT_READ as usize]);
        expect_errno(r, libc::ENOMEM, &format!("mprotect({addr:#x})"))?;
    }
    let r = sc(
        libc::SYS_mprotect,
        &[unmapped_page()?, PAGE, libc::PROT_READ as usize],
    );
    expect_errno(r, libc::ENOMEM, "mprotect(just-unmapped page)")?;
    // munmap of a hole inside user space is fine.
    ensure_eq!(
        sc(libc::SYS_munmap, &[unmapped_page()?, PAGE]),
        0,
        "munmap(just-unmapped page)"
    );
    let none = Mapping::anon(PAGE, libc::PROT_NONE)?;
    ensure_eq!(
        sc(
            libc::SYS_mprotect,
            &[none.addr, PAGE, libc::PROT_READ as usize]
        ),
        0,
        "mprotect(PROT_NONE page)"
    );
    Ok(())
}

fn brk_to_bad_addresses_keeps_the_break() -> CheckResult {
    let start = sc(libc::SYS_brk, &[0]);
    for addr in [
        KERNEL_ADDR,
        NONCANONICAL_LOW,
        NONCANONICAL_HIGH,
        usize::MAX & !(PAGE - 1),
    ] {
        ensure_eq!(
            sc(libc::SYS_brk, &[addr]),
            start,
            "brk({addr:#x}) moved the break"
        );
    }
    Ok(())
}
