//! `mmap_munmap [M...]`: the cost of mmap + munmap of one 4 KiB anonymous
//! page (never touched) with M other one-page mappings present, each
//! followed by a PROT_NONE page so that none merge (M = 0 20 2000 20000
//! unless given); one line `bench: mmap_munmap_m<M> | <ticks per op>` each.

use ubench::{die, last_error, per_op, report};

const PAGE: usize = 4096;
const WARMUP: u32 = 100;
const ITERS: u32 = 2000;
const DEFAULT_MS: [usize; 4] = [0, 20, 2000, 20000];

fn mmap(prot: i32) -> *mut libc::c_void {
    // SAFETY: a fresh anonymous page the kernel places.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        die(&format!("mmap: {}", last_error()));
    }
    p
}

pub fn main() {
    let ms: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|_| die(&format!("bad M {a:?}"))))
        .collect();
    let ms = if ms.is_empty() {
        DEFAULT_MS.to_vec()
    } else {
        ms
    };
    let mut others: Vec<*mut libc::c_void> = Vec::new();
    for m in ms {
        while others.len() < 2 * m {
            others.push(mmap(libc::PROT_READ | libc::PROT_WRITE));
            others.push(mmap(libc::PROT_NONE));
        }
        let ticks = per_op(WARMUP, ITERS, || {
            let p = mmap(libc::PROT_READ | libc::PROT_WRITE);
            // SAFETY: the page just mapped.
            if unsafe { libc::munmap(p, PAGE) } != 0 {
                die(&format!("munmap: {}", last_error()));
            }
        });
        report(&format!("mmap_munmap_m{m}"), ticks);
    }
    for p in others {
        // SAFETY: our pages.
        unsafe { libc::munmap(p, PAGE) };
    }
}
