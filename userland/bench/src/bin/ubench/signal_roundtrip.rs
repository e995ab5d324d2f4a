//! `signal_roundtrip`: the delivery of a caught signal to the process
//! itself: kill(getpid(), SIGUSR1) through the raw system call, the
//! kernel writes the handler's frame on the way out, the (empty) handler
//! runs and returns through the C library's restorer into rt_sigreturn.
//! One line `bench: signal_roundtrip | <ticks per op>`.

use std::sync::atomic::{AtomicU64, Ordering};

use ubench::{die, last_error, per_op, report};

const WARMUP: u32 = 500;
const ITERS: u32 = 10_000;

static RUNS: AtomicU64 = AtomicU64::new(0);

extern "C" fn handler(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    RUNS.fetch_add(1, Ordering::Relaxed);
}

pub fn main() {
    // SAFETY: a zeroed sigaction with a valid three-argument handler.
    let r = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut())
    };
    if r != 0 {
        die(&format!("sigaction: {}", last_error()));
    }
    // SAFETY: no preconditions.
    let me = unsafe { libc::getpid() };
    let ticks = per_op(WARMUP, ITERS, || {
        // SAFETY: signals ourselves; the handler only counts.
        unsafe { libc::syscall(libc::SYS_kill, me, libc::SIGUSR1) };
    });
    let runs = RUNS.load(Ordering::Relaxed);
    if runs != u64::from(WARMUP + ITERS) {
        die(&format!("the handler ran {runs} times"));
    }
    report("signal_roundtrip", ticks);
}
