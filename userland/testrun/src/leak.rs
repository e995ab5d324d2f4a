//! The suite-wide leak check on Ferrite, through the kernel's private
//! system call 1001: argument 0 takes a snapshot of free pages, kernel
//! heap and pool items, argument 1 compares with it (0 if back to the
//! snapshot, else how far off; the kernel logs the detail per pool).
//!
//! The snapshot must not see this process change, or its own result
//! lists and heap would count as leaks. So the suite runs in a child:
//!
//!   1. warm up: make the calls used below once, touch the stack deeper
//!      than they go, so none of them allocates later;
//!   2. take the snapshot;
//!   3. clone with CLONE_VFORK (a copy-on-write fork whose parent sleeps
//!      until the child execs): the child execs this program again with
//!      `FTEST_TALLY_FD` naming a pipe, runs every program and writes its
//!      counts to the pipe (`worker_fd`, `send_tally`). Once the child has
//!      exec'd, every page and amap of this process is its own again, so
//!      the parent's next writes copy nothing;
//!   4. read the counts into a stack buffer, reap the child;
//!   5. compare, retrying briefly: orphans killed at the end of the last
//!      check may still be on their way to being reaped by init.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use crate::tally::Tally;

/// Ferrite's leak-snapshot system call.
const SYS_FERRITE_LEAKCHECK: libc::c_long = 1001;
const TAKE_SNAPSHOT: libc::c_long = 0;
const COMPARE: libc::c_long = 1;

/// The environment variable that makes testrun the worker half.
const TALLY_FD_VAR: &str = "FTEST_TALLY_FD";

/// The worker's descriptor for the counts (the pipe's write end is moved
/// there in the child, so the environment can be made before the pipe).
const WORKER_FD: i32 = 100;

/// How many times, and how far apart, the comparison is tried.
const COMPARE_TRIES: u32 = 5;
const COMPARE_GAP: Duration = Duration::from_millis(100);

/// The descriptor to send the counts to, when this process is the worker.
pub fn worker_fd() -> Option<i32> {
    std::env::var(TALLY_FD_VAR).ok()?.parse().ok()
}

/// The worker's counts, as 12 bytes.
pub fn send_tally(fd: i32, t: &Tally) {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&t.passed.to_le_bytes());
    b[4..8].copy_from_slice(&t.failed.to_le_bytes());
    b[8..12].copy_from_slice(&t.skipped.to_le_bytes());
    ftest::proc::write_all(fd, &b);
}

/// Runs the suite in a worker child between a snapshot and a comparison
/// (see the module comment): the worker's counts and the verdict.
pub fn bracket() -> (Tally, Result<(), String>) {
    match bracket_inner() {
        Ok((tally, verdict)) => (tally, verdict),
        Err(e) => (Tally::default(), Err(e)),
    }
}

fn bracket_inner() -> Result<(Tally, Result<(), String>), String> {
    // Everything the parent needs after the snapshot, made before it.
    let exe = std::env::args_os()
        .next()
        .ok_or("no argv[0] to run the worker from")?;
    let exe = CString::new(exe.as_bytes()).map_err(|_| "argv[0] holds a NUL")?;
    let mut env: Vec<CString> = std::env::vars_os()
        .filter(|(k, _)| k != TALLY_FD_VAR)
        .map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).expect("environment strings hold no NUL")
        })
        .collect();
    env.push(CString::new(format!("{TALLY_FD_VAR}={WORKER_FD}")).expect("no NUL"));
    let argv = [exe.as_ptr(), std::ptr::null()];
    let mut envp: Vec<*const libc::c_char> = env.iter().map(|c| c.as_ptr()).collect();
    envp.push(std::ptr::null());

    warm_up();
    // SAFETY: a Ferrite system call with an integer argument.
    let r = unsafe { libc::syscall(SYS_FERRITE_LEAKCHECK, TAKE_SNAPSHOT) };
    if r != 0 {
        return Err(format!(
            "syscall(1001, 0) returned {r} ({})",
            ftest::errname(ftest::errno())
        ));
    }
    // The pipe is made after the snapshot (and gone before the
    // comparison), so its kernel memory balances out.
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid 2-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", ftest::errname(ftest::errno())));
    }
    let (rd, wr) = (fds[0], fds[1]);
    let pid = spawn_worker(&exe, &argv, &envp, wr);
    // SAFETY: closing our copy of the write end.
    unsafe { libc::close(wr) };
    if pid < 0 {
        return Err(format!("clone: {}", ftest::errname(ftest::errno())));
    }
    let mut buf = [0u8; 12];
    let got = read_full(rd, &mut buf);
    // SAFETY: closing the read end; waitpid with a valid out-pointer.
    let status = unsafe {
        libc::close(rd);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 && ftest::errno() == libc::EINTR {}
        status
    };
    let verdict = compare();
    if got != buf.len() {
        return Err(format!(
            "the worker testrun ended without its counts (wait status {status:#x})"
        ));
    }
    let word = |i: usize| u32::from_le_bytes(buf[i..i + 4].try_into().expect("4 bytes"));
    let tally = Tally {
        passed: word(0),
        failed: word(4),
        skipped: word(8),
    };
    Ok((tally, verdict))
}

/// Makes, once, every call the parent makes between the snapshot and the
/// comparison, and touches its stack well below what they use.
#[inline(never)]
fn warm_up() {
    let mut deep = [0u8; 64 * 1024];
    std::hint::black_box(&mut deep);
    // SAFETY: a Ferrite system call with an integer argument (no snapshot
    // yet: an error, which is fine), and a wait that finds nothing.
    unsafe {
        libc::syscall(SYS_FERRITE_LEAKCHECK, COMPARE);
        let mut status = 0;
        libc::waitpid(-1, &mut status, libc::WNOHANG);
    }
    std::thread::sleep(Duration::from_millis(1));
}

/// clone(CLONE_VFORK | SIGCHLD): a copy-on-write child that execs the
/// worker with the pipe's write end `wr` as `WORKER_FD`; this process
/// sleeps until it has. Returns the child's PID, or
/// -1.
fn spawn_worker(
    exe: &CString,
    argv: &[*const libc::c_char; 2],
    envp: &[*const libc::c_char],
    wr: i32,
) -> libc::pid_t {
    // SAFETY: without CLONE_VM the child has its own copy of memory (like
    // fork) and calls only execve and _exit, on pointers made before.
    unsafe {
        let pid = libc::syscall(
            libc::SYS_clone,
            libc::CLONE_VFORK | libc::SIGCHLD,
            0usize,
            0usize,
            0usize,
            0usize,
        );
        if pid == 0 {
            // dup2 clears close-on-exec on the copy.
            libc::dup2(wr, WORKER_FD);
            libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
        pid as libc::pid_t
    }
}

/// Reads until `buf` is full or end of file; the bytes read.
fn read_full(fd: i32, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: reading into the unread part of `buf`.
        let n = unsafe { libc::read(fd, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        if n > 0 {
            got += n as usize;
        } else if n == 0 || ftest::errno() != libc::EINTR {
            break;
        }
    }
    got
}

/// Compares with the snapshot: Ok, or the reason for the FAILED line.
fn compare() -> Result<(), String> {
    let mut last = 0;
    for attempt in 0..COMPARE_TRIES {
        if attempt > 0 {
            std::thread::sleep(COMPARE_GAP);
        }
        // SAFETY: a Ferrite system call with an integer argument.
        last = unsafe { libc::syscall(SYS_FERRITE_LEAKCHECK, COMPARE) };
        if last == 0 {
            return Ok(());
        }
        if last < 0 {
            return Err(format!(
                "syscall(1001, 1) failed: {}",
                ftest::errname(ftest::errno())
            ));
        }
    }
    Err(format!(
        "{last} pages or pool items not back after the suite (the kernel log has the detail)"
    ))
}
