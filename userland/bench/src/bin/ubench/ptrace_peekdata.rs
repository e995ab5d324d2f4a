//! `ptrace_peekdata`: PTRACE_PEEKDATA of one word of a stopped tracee
//! (the raw call, the word stored at `data`), one line
//! `bench: ptrace_peekdata | <ticks per op>`. Each peek extracts the
//! tracee's page into the kernel map and unmaps it again (uvm_io).

use ubench::{die, fork_child, last_error, per_op, reap, report};

const WARMUP: u32 = 100;
const ITERS: u32 = 2000;

const PTRACE_TRACEME: i64 = 0;
const PTRACE_PEEKDATA: i64 = 2;
const PTRACE_CONT: i64 = 7;

fn ptrace(req: i64, pid: libc::pid_t, addr: u64, data: u64) -> i64 {
    // SAFETY: the raw call with valid pointers (or none).
    unsafe { libc::syscall(libc::SYS_ptrace, req, pid as i64, addr, data) }
}

pub fn main() {
    let value = Box::new(0x1234_5678_9abc_def0u64);
    let addr = &*value as *const u64 as u64;
    let pid = fork_child(|| {
        if ptrace(PTRACE_TRACEME, 0, 0, 0) != 0 {
            return 1;
        }
        // SAFETY: stop ourselves until the tracer continues us.
        unsafe { libc::raise(libc::SIGSTOP) };
        0
    });
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid || !libc::WIFSTOPPED(status) {
        die("the tracee did not stop");
    }
    let mut word = 0u64;
    let out = &mut word as *mut u64 as u64;
    let ticks = per_op(WARMUP, ITERS, || {
        if ptrace(PTRACE_PEEKDATA, pid, addr, out) != 0 {
            die(&format!("PTRACE_PEEKDATA: {}", last_error()));
        }
    });
    if word != *value {
        die("PTRACE_PEEKDATA read a wrong value");
    }
    if ptrace(PTRACE_CONT, pid, 0, 0) != 0 {
        die(&format!("PTRACE_CONT: {}", last_error()));
    }
    reap(pid);
    report("ptrace_peekdata", ticks);
}
