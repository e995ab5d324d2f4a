//! `fork_exit [K...]`: the cost of fork + _exit + waitpid with K idle
//! children alive (K = 0 unless given; the host tool's scaling boot passes
//! 0 16 64 256 1024 4096), one line `bench: fork_exit K=<k> | <ticks per op>`
//! each; and for every K > 0 the memory an idle child costs,
//! `bench: idle_child_memory K=<k> | <bytes>`: sysinfo's free memory
//! before the first idle child was made minus free memory with K idle
//! children, divided by K.
//!
//! Idle children block in read(2) on a pipe whose write end the benchmark
//! keeps open and never writes. Before blocking, each child writes one
//! byte to a second pipe; the benchmark reads one byte per child it made,
//! so every child has run to its read before memory is measured (a sleep
//! would depend on how long the kernel takes to run them all). The K
//! values must not decrease; the children are killed and reaped at the
//! end.

use ubench::{die, fork_child, last_error, per_op, reap, report};

const WARMUP: u32 = 20;
const ITERS: u32 = 200;
const DEFAULT_KS: [usize; 1] = [0];

pub fn main() {
    let ks: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|_| die(&format!("bad K {a:?}"))))
        .collect();
    let ks = if ks.is_empty() {
        DEFAULT_KS.to_vec()
    } else {
        ks
    };
    if ks.windows(2).any(|w| w[1] < w[0]) {
        die(&format!("the K values must not decrease: {ks:?}"));
    }
    let (idle_rd, idle_wr) = pipe();
    let (ready_rd, ready_wr) = pipe();
    let mut idle: Vec<libc::pid_t> = Vec::new();
    // Free memory with no idle child (taken when the first one is made,
    // after the K=0 loop, so that loop's own allocations are not counted).
    let mut free_base = None;
    for k in ks {
        if k > idle.len() {
            let base = *free_base.get_or_insert_with(free_bytes);
            let added = k - idle.len();
            while idle.len() < k {
                idle.push(fork_child(|| {
                    let mut b = [0u8; 1];
                    // SAFETY: b is valid for one byte; the read blocks
                    // forever (nobody writes), until the SIGKILL at the end.
                    unsafe {
                        libc::write(ready_wr, b.as_ptr().cast(), 1);
                        libc::read(idle_rd, b.as_mut_ptr().cast(), 1);
                    }
                    0
                }));
            }
            wait_ready(ready_rd, added);
            let used = base.saturating_sub(free_bytes());
            report(&format!("idle_child_memory K={k}"), used / k as u64);
        }
        let ticks = per_op(WARMUP, ITERS, || reap(fork_child(|| 0)));
        report(&format!("fork_exit K={k}"), ticks);
    }
    kill_all(&mut idle);
    // SAFETY: closing our pipes.
    unsafe {
        for fd in [idle_rd, idle_wr, ready_rd, ready_wr] {
            libc::close(fd);
        }
    }
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        die(&format!("pipe2: {}", last_error()));
    }
    (fds[0], fds[1])
}

/// Reads one byte per new idle child from the ready pipe.
fn wait_ready(fd: i32, mut count: usize) {
    let mut buf = [0u8; 512];
    while count > 0 {
        let want = count.min(buf.len());
        // SAFETY: buf is valid for `want` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), want) };
        match n {
            n if n > 0 => count -= n as usize,
            -1 if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            _ => die(&format!("waiting for the idle children: {}", last_error())),
        }
    }
}

/// Free memory in bytes (sysinfo).
fn free_bytes() -> u64 {
    // SAFETY: sysinfo is plain data, for which all-zero bytes are valid.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: si is a valid out-pointer.
    if unsafe { libc::sysinfo(&mut si) } != 0 {
        die(&format!("sysinfo: {}", last_error()));
    }
    si.freeram * u64::from(si.mem_unit)
}

fn kill_all(idle: &mut Vec<libc::pid_t>) {
    for &pid in idle.iter() {
        // SAFETY: our own children.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    for pid in idle.drain(..) {
        let mut status = 0;
        // SAFETY: status is a valid out-pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }
}
