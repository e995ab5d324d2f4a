//! `sigsegv_roundtrip`: a caught fault, as garbage collectors and
//! user-level pagers take them: a write to a PROT_NONE page faults, the
//! SIGSEGV handler makes the page readable and writable with mprotect and
//! returns, the write is retried and completes; then the page is
//! protected again (mprotect) for the next round. One line
//! `bench: sigsegv_roundtrip | <ticks per op>`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ubench::{die, last_error, per_op, report};

const WARMUP: u32 = 200;
const ITERS: u32 = 5_000;
const PAGE: usize = 4096;

static PAGE_ADDR: AtomicUsize = AtomicUsize::new(0);
static FAULTS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_segv(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    FAULTS.fetch_add(1, Ordering::Relaxed);
    let page = PAGE_ADDR.load(Ordering::Relaxed) as *mut libc::c_void;
    // SAFETY: our own mapping; mprotect is async-signal-safe.
    unsafe { libc::mprotect(page, PAGE, libc::PROT_READ | libc::PROT_WRITE) };
}

pub fn main() {
    // SAFETY: a fresh private anonymous mapping, no access.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if page == libc::MAP_FAILED {
        die(&format!("mmap: {}", last_error()));
    }
    PAGE_ADDR.store(page as usize, Ordering::Relaxed);
    // SAFETY: a zeroed sigaction with a valid three-argument handler.
    let r = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_segv as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut())
    };
    if r != 0 {
        die(&format!("sigaction: {}", last_error()));
    }
    let p = page.cast::<u64>();
    let mut n = 0u64;
    let ticks = per_op(WARMUP, ITERS, || {
        n += 1;
        // SAFETY: the page is ours; the write faults and the handler
        // opens it; then it is closed again.
        unsafe {
            std::ptr::write_volatile(p, n);
            libc::mprotect(page, PAGE, libc::PROT_NONE);
        }
    });
    let faults = FAULTS.load(Ordering::Relaxed);
    if faults != u64::from(WARMUP + ITERS) {
        die(&format!("{faults} faults for {} writes", WARMUP + ITERS));
    }
    report("sigsegv_roundtrip", ticks);
}
