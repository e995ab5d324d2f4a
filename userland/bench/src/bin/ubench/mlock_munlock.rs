//! `mlock_munlock_1m`: the cost of mlock + munlock of an already populated
//! 1 MiB private anonymous region; one line
//! `bench: mlock_munlock_1m | <ticks per pair>`.

use ubench::{die, last_error, per_op, report};

const LEN: usize = 1 << 20;
const PAGE: usize = 4096;

pub fn main() {
    // SAFETY: a fresh anonymous mapping the kernel places.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        die(&format!("mmap: {}", last_error()));
    }
    for off in (0..LEN).step_by(PAGE) {
        // SAFETY: inside the mapping.
        unsafe { std::ptr::write_volatile(p.cast::<u8>().add(off), 1) };
    }
    let ticks = per_op(10, 200, || {
        // SAFETY: our mapping.
        unsafe {
            if libc::mlock(p, LEN) != 0 {
                die(&format!("mlock: {}", last_error()));
            }
            if libc::munlock(p, LEN) != 0 {
                die(&format!("munlock: {}", last_error()));
            }
        }
    });
    report("mlock_munlock_1m", ticks);
    // SAFETY: our mapping.
    unsafe { libc::munmap(p, LEN) };
}
