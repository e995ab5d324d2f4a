//! `fork_touch_4m` / `fork_touch_64m`: the cost of a fork after which the
//! child writes one byte per page of a 4 MiB (64 MiB) private region the
//! parent has written, then exits; the parent waits. One line
//! `bench: fork_touch_<size> | <ticks per fork>` (fork, the child's
//! copy-on-write faults, exit and wait).

use ubench::{die, fork_child, last_error, per_op, reap, report};

const PAGE: usize = 4096;

fn run(name: &str, len: usize, iters: u32) {
    // SAFETY: a fresh anonymous mapping the kernel places.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        die(&format!("mmap: {}", last_error()));
    }
    let p = p.cast::<u8>();
    let touch = |v: u8| {
        for off in (0..len).step_by(PAGE) {
            // SAFETY: inside the mapping.
            unsafe { std::ptr::write_volatile(p.add(off), v) };
        }
    };
    touch(1);
    let ticks = per_op(1, iters, || {
        reap(fork_child(|| {
            touch(2);
            0
        }))
    });
    report(name, ticks);
    // SAFETY: our mapping.
    unsafe { libc::munmap(p.cast(), len) };
}

pub fn main_4m() {
    run("fork_touch_4m", 4 << 20, 20);
}

pub fn main_64m() {
    run("fork_touch_64m", 64 << 20, 3);
}
