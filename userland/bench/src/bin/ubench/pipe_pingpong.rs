//! `pipe_pingpong`: one byte sent to a child over one pipe and back over
//! another, one line `bench: pipe_pingpong | <ticks per round trip>`
//! (two context switches and four pipe operations each).

use ubench::{die, fork_child, last_error, per_op, reap, report};

const WARMUP: u32 = 100;
const ITERS: u32 = 2000;

pub fn main() {
    let (to_child_rd, to_child_wr) = pipe();
    let (to_parent_rd, to_parent_wr) = pipe();
    let child = fork_child(|| {
        // SAFETY: closing the ends the child does not use.
        unsafe {
            libc::close(to_child_wr);
            libc::close(to_parent_rd);
        }
        let mut b = [0u8; 1];
        // Echo until the parent closes its end.
        while read1(to_child_rd, &mut b) {
            if !write1(to_parent_wr, &b) {
                return 1;
            }
        }
        0
    });
    // SAFETY: closing the ends the parent does not use.
    unsafe {
        libc::close(to_child_rd);
        libc::close(to_parent_wr);
    }
    let ticks = per_op(WARMUP, ITERS, || {
        let mut b = [0x5au8];
        if !write1(to_child_wr, &b) || !read1(to_parent_rd, &mut b) {
            die(&format!("ping-pong broke: {}", last_error()));
        }
    });
    // SAFETY: closing our end ends the child's loop.
    unsafe { libc::close(to_child_wr) };
    reap(child);
    report("pipe_pingpong", ticks);
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        die(&format!("pipe: {}", last_error()));
    }
    (fds[0], fds[1])
}

fn read1(fd: i32, b: &mut [u8; 1]) -> bool {
    // SAFETY: b is valid for one byte.
    unsafe { libc::read(fd, b.as_mut_ptr().cast(), 1) == 1 }
}

fn write1(fd: i32, b: &[u8; 1]) -> bool {
    // SAFETY: b is valid for one byte.
    unsafe { libc::write(fd, b.as_ptr().cast(), 1) == 1 }
}
