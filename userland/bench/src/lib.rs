//! Shared pieces of the benchmarks (`src/bin/ubench/*`): reading the time
//! stamp counter, timing a loop, and the one-line report the host tool
//! parses:
//!
//! ```text
//! bench: <name> | <integer>
//! ```
//!
//! Under QEMU with `-icount shift=0` the TSC counts guest instructions, so
//! the figures are instructions per operation there (and cycles on real
//! hardware). Nothing here forks or knows what is measured.

/// The time stamp counter.
pub fn tsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86_64.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}

/// Runs `op` `warmup` times, then `iters` times under the TSC; returns
/// ticks per operation (rounded down).
pub fn per_op(warmup: u32, iters: u32, mut op: impl FnMut()) -> u64 {
    for _ in 0..warmup {
        op();
    }
    let start = tsc();
    for _ in 0..iters {
        op();
    }
    (tsc() - start) / u64::from(iters.max(1))
}

/// Prints one figure in the host tool's format (one write).
pub fn report(name: &str, value: u64) {
    let line = format!("bench: {name} | {value}\n");
    // SAFETY: line is valid for its length.
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
}

/// Prints a message and exits 1: a benchmark that cannot run its
/// operation has no figure to give.
pub fn die(msg: &str) -> ! {
    eprintln!("bench: error: {msg}");
    std::process::exit(1)
}

/// The errno of the last failed call, by name.
pub fn last_error() -> String {
    std::io::Error::last_os_error().to_string()
}

/// Forks; in the child runs `child` and exits with its status through
/// _exit. Dies on failure.
pub fn fork_child(child: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: single-threaded; the child leaves through _exit.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        die(&format!("fork: {}", last_error()));
    }
    if pid == 0 {
        let code = child();
        // SAFETY: _exit takes only a status; it ends the forked child at once.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Waits for `pid`; dies unless it exited 0.
pub fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        die(&format!(
            "child {pid}: waitpid returned {r}, status {status:#x}"
        ));
    }
}
