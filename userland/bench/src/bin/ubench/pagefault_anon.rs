//! `pagefault_anon`: the cost of anonymous memory brought in by faults:
//! mmap 64 MiB of private anonymous memory, write one byte per page (each
//! write a zero-fill fault), munmap; one line
//! `bench: pagefault_anon | <ticks per page>` (the whole cycle divided by
//! the 16,384 pages), and `bench: anon_write_resident | <ticks per page>`
//! for the same writes to pages already in (the loop alone).

use ubench::{die, last_error, report, tsc};

const LEN: usize = 64 << 20;
const PAGE: usize = 4096;
const ROUNDS: u64 = 3;

fn map() -> *mut u8 {
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
    p.cast()
}

/// One byte per page.
fn touch(p: *mut u8) {
    for off in (0..LEN).step_by(PAGE) {
        // SAFETY: inside the mapping.
        unsafe { std::ptr::write_volatile(p.add(off), 1) };
    }
}

fn unmap(p: *mut u8) {
    // SAFETY: our mapping.
    if unsafe { libc::munmap(p.cast(), LEN) } != 0 {
        die(&format!("munmap: {}", last_error()));
    }
}

pub fn main() {
    let pages = (LEN / PAGE) as u64;
    // A warm-up round (page tables, pools), then the measured ones.
    let p = map();
    touch(p);
    unmap(p);
    let start = tsc();
    for _ in 0..ROUNDS {
        let p = map();
        touch(p);
        unmap(p);
    }
    report("pagefault_anon", (tsc() - start) / (ROUNDS * pages));
    let p = map();
    touch(p);
    let start = tsc();
    for _ in 0..ROUNDS {
        touch(p);
    }
    report("anon_write_resident", (tsc() - start) / (ROUNDS * pages));
    unmap(p);
}
