//! `syscall_null`: the round trip of a system call that does nothing
//! (getppid through `libc::syscall`), one line
//! `bench: syscall_null | <ticks per op>`.

use ubench::{per_op, report};

const WARMUP: u32 = 1000;
const ITERS: u32 = 20_000;

pub fn main() {
    let ticks = per_op(WARMUP, ITERS, || {
        // SAFETY: getppid has no arguments and no effect.
        std::hint::black_box(unsafe { libc::syscall(libc::SYS_getppid) });
    });
    report("syscall_null", ticks);
}
