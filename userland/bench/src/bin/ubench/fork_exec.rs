//! `fork_exec [PROGRAM]`: the cost of fork + execve of a minimal program
//! (default `/bin/bench/exit0`) + waitpid, one line
//! `bench: fork_exec | <ticks per op>`.

use std::ffi::CString;

use ubench::{die, fork_child, per_op, reap, report};

const DEFAULT_PROGRAM: &str = "/bin/bench/exit0";
const WARMUP: u32 = 10;
const ITERS: u32 = 100;

pub fn main() {
    let program = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_PROGRAM.to_string());
    let path = CString::new(program.clone()).unwrap_or_else(|_| die("NUL in the path"));
    let argv = [path.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    let ticks = per_op(WARMUP, ITERS, || {
        reap(fork_child(|| {
            // SAFETY: NULL-terminated vectors of live C strings.
            unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            eprintln!("bench: error: execve {program}: {}", ubench::last_error());
            127
        }))
    });
    report("fork_exec", ticks);
}
