//! `fork_exit [K...]`: the cost of fork + _exit + waitpid, alone and with
//! K idle children alive (K = 0 16 64 256 1024 unless given), one line
//! `bench: fork_exit K=<k> | <ticks per op>` each; and the free memory an
//! idle child costs (`bench: idle_child_memory | <bytes>`: sysinfo's free
//! memory before and after growing to K=256 idle children, divided by the
//! number created in that step).
//!
//! Idle children block in read(2) on a pipe whose write end the benchmark
//! keeps open and never writes; they are killed and reaped at the end.

use ubench::{die, fork_child, last_error, per_op, reap, report};

const WARMUP: u32 = 20;
const ITERS: u32 = 200;
const DEFAULT_KS: [usize; 5] = [0, 16, 64, 256, 1024];
/// The idle-child count the memory figure is taken at.
const MEMORY_K: usize = 256;

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
    let (rd, wr) = pipe();
    let mut idle: Vec<libc::pid_t> = Vec::new();
    for k in ks {
        if k < idle.len() {
            kill_all(&mut idle);
        }
        let free_before = free_bytes();
        let added = k - idle.len();
        while idle.len() < k {
            idle.push(fork_child(|| {
                let mut b = [0u8; 1];
                // SAFETY: blocks forever (nobody writes); killed at the end.
                unsafe { libc::read(rd, b.as_mut_ptr().cast(), 1) };
                0
            }));
        }
        if k == MEMORY_K && added > 0 {
            // Let the children reach read(2) before measuring.
            std::thread::sleep(std::time::Duration::from_millis(200));
            let used = free_before.saturating_sub(free_bytes());
            report("idle_child_memory", used / added as u64);
        }
        let ticks = per_op(WARMUP, ITERS, || reap(fork_child(|| 0)));
        report(&format!("fork_exit K={k}"), ticks);
    }
    kill_all(&mut idle);
    // SAFETY: closing our pipe.
    unsafe {
        libc::close(rd);
        libc::close(wr);
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

/// Free memory in bytes (sysinfo).
fn free_bytes() -> u64 {
    // SAFETY: si is a valid out-pointer.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
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
