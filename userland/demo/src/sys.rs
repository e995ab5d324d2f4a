//! The system calls the sections share: fork into a closure, wait, map
//! and unmap, and catching SIGSEGV so that a faulting access is reported
//! (its si_addr and si_code) and then repaired, so the access completes.

use std::io::Write as _;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::PAGE;

/// A failed system call: what was called and the errno.
pub fn fail(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Forks; the child runs `body` and exits with its status (without
/// running exit handlers; standard output is flushed first).
pub fn spawn(body: impl FnOnce() -> i32) -> Result<libc::pid_t, String> {
    let _ = std::io::stdout().flush();
    // SAFETY: the demo is single-threaded; the child runs `body` and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(fail("fork"));
    }
    if pid == 0 {
        let code = body();
        let _ = std::io::stdout().flush();
        // SAFETY: leaves the child.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

/// Waits for `pid` to change state; returns the wait status.
pub fn wait(pid: libc::pid_t) -> Result<i32, String> {
    let mut status = 0;
    loop {
        // SAFETY: a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(status);
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(fail("waitpid"));
        }
    }
}

/// Waits for `pid` to exit; an error unless it exited with status 0.
pub fn reap(pid: libc::pid_t) -> Result<(), String> {
    let status = wait(pid)?;
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else {
        Err(format!("child {pid} ended with wait status {status:#x}"))
    }
}

/// mmap with an address of the kernel's choice.
pub fn map(len: usize, prot: i32, flags: i32, fd: i32) -> Result<usize, String> {
    // SAFETY: a new mapping where the kernel chooses; nothing is replaced.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) };
    if p == libc::MAP_FAILED {
        return Err(fail("mmap"));
    }
    Ok(p as usize)
}

/// Private anonymous read-write memory.
pub fn map_anon(pages: usize) -> Result<usize, String> {
    map(
        pages * PAGE,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
    )
}

/// One private anonymous read-write page in an entry of its own (between
/// two PROT_NONE guard pages, so the kernel cannot merge it with the
/// neighbouring memory the program allocates): its `/proc/self/uvm` line
/// shows that page alone. Returns the page; unmap `page - PAGE` for
/// `3 * PAGE` when done.
pub fn map_isolated() -> Result<usize, String> {
    let guard = map(
        3 * PAGE,
        libc::PROT_NONE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
    )?;
    let page = guard + PAGE;
    // SAFETY: replaces the middle page of the reservation just made.
    let p = unsafe {
        libc::mmap(
            page as *mut libc::c_void,
            PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(fail("mmap(MAP_FIXED)"));
    }
    Ok(page)
}

pub fn unmap(addr: usize, len: usize) -> Result<(), String> {
    // SAFETY: the callers unmap only mappings of their own that nothing
    // refers to any more.
    if unsafe { libc::munmap(addr as *mut libc::c_void, len) } != 0 {
        return Err(fail("munmap"));
    }
    Ok(())
}

/// SIGSEGV's si_code values (the libc crate lacks them for musl).
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;

/// The last SIGSEGV's si_addr and si_code (0: none since the last take).
static FAULT_ADDR: AtomicUsize = AtomicUsize::new(0);
static FAULT_CODE: AtomicI32 = AtomicI32::new(0);

/// The SIGSEGV handler: records the fault, then repairs it so that the
/// access is retried and completes: a hole (SEGV_MAPERR) gets a new
/// anonymous page, a protection fault (SEGV_ACCERR) makes the page
/// writable.
extern "C" fn on_segv(_sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (addr, code) = unsafe { ((*info).si_addr() as usize, (*info).si_code) };
    FAULT_ADDR.store(addr, Ordering::SeqCst);
    FAULT_CODE.store(code, Ordering::SeqCst);
    let page = (addr & !(PAGE - 1)) as *mut libc::c_void;
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    // SAFETY: mmap and mprotect are async-signal-safe system calls on the
    // page the program itself touched (a hole or its own mapping).
    unsafe {
        if code == SEGV_MAPERR {
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
            if libc::mmap(page, PAGE, rw, flags, -1, 0) == libc::MAP_FAILED {
                libc::_exit(99);
            }
        } else if libc::mprotect(page, PAGE, rw) != 0 {
            libc::_exit(99);
        }
    }
}

/// Installs the SIGSEGV handler.
pub fn catch_segv() -> Result<(), String> {
    // SAFETY: an all-zero sigaction is valid; the fields are set below.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_segv as *const () as usize;
    sa.sa_flags = libc::SA_SIGINFO;
    // SAFETY: a valid sigaction; the handler only uses async-signal-safe calls.
    if unsafe { libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut()) } != 0 {
        return Err(fail("sigaction(SIGSEGV)"));
    }
    Ok(())
}

/// Writes `value` at `addr`; returns the SIGSEGV it raised, if any:
/// (si_addr, si_code).
pub fn poke(addr: usize, value: u8) -> Option<(usize, i32)> {
    FAULT_CODE.store(0, Ordering::SeqCst);
    // SAFETY: `addr` is in a mapping of the caller's or in a hole it made;
    // a fault is repaired by on_segv and the write retried.
    unsafe { std::ptr::write_volatile(addr as *mut u8, value) };
    match FAULT_CODE.swap(0, Ordering::SeqCst) {
        0 => None,
        code => Some((FAULT_ADDR.load(Ordering::SeqCst), code)),
    }
}

/// The name of a SIGSEGV si_code.
pub fn segv_code(code: i32) -> &'static str {
    match code {
        SEGV_MAPERR => "SEGV_MAPERR",
        SEGV_ACCERR => "SEGV_ACCERR",
        _ => "?",
    }
}
