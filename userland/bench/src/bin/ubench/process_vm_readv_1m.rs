//! `process_vm_readv_1m`: process_vm_readv of 1 MiB (resident pages) from
//! another process into one local buffer, one line
//! `bench: process_vm_readv_1m | <ticks per op>`.

use ubench::{die, fork_child, last_error, per_op, reap, report};

const LEN: usize = 1 << 20;
const WARMUP: u32 = 2;
const ITERS: u32 = 20;

pub fn main() {
    let src: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
    let addr = src.as_ptr() as usize;
    let mut pipe = [0i32; 2];
    // SAFETY: a two-element array.
    if unsafe { libc::pipe(pipe.as_mut_ptr()) } != 0 {
        die(&format!("pipe: {}", last_error()));
    }
    let pid = fork_child(|| {
        let mut b = [0u8; 1];
        // SAFETY: waits for the benchmark to end (the write end closes).
        unsafe {
            libc::close(pipe[1]);
            libc::read(pipe[0], b.as_mut_ptr().cast(), 1);
        }
        0
    });
    // SAFETY: the parent keeps the write end only.
    unsafe { libc::close(pipe[0]) };
    let mut dst = vec![0u8; LEN];
    let local = libc::iovec {
        iov_base: dst.as_mut_ptr().cast(),
        iov_len: LEN,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: LEN,
    };
    let ticks = per_op(WARMUP, ITERS, || {
        // SAFETY: valid iovecs over our buffer and the child's copy of src.
        let n = unsafe {
            libc::syscall(
                libc::SYS_process_vm_readv,
                pid as i64,
                &local as *const libc::iovec,
                1u64,
                &remote as *const libc::iovec,
                1u64,
                0u64,
            )
        };
        if n != LEN as i64 {
            die(&format!("process_vm_readv returned {n}: {}", last_error()));
        }
    });
    if dst != src {
        die("process_vm_readv read wrong bytes");
    }
    // SAFETY: closing our write end lets the child go.
    unsafe { libc::close(pipe[1]) };
    reap(pid);
    report("process_vm_readv_1m", ticks);
}
