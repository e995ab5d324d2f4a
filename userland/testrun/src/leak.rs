//! The suite-wide leak check on Ferrite, through the kernel's private
//! system call 1001: argument 0 takes a snapshot of free pages and pool
//! items, argument 1 compares with it (0 if back to the snapshot, else the
//! number of pages or items missing; the kernel logs the detail).
//!
//! The comparison is retried briefly: orphans killed at the end of the last
//! check may still be on their way to being reaped by init.

use std::time::Duration;

/// Ferrite's leak-snapshot system call.
const SYS_FERRITE_LEAKCHECK: libc::c_long = 1001;
const TAKE_SNAPSHOT: libc::c_long = 0;
const COMPARE: libc::c_long = 1;

/// How many times, and how far apart, the comparison is tried.
const COMPARE_TRIES: u32 = 5;
const COMPARE_GAP: Duration = Duration::from_millis(100);

/// Takes the snapshot.
pub fn snapshot() -> Result<(), String> {
    // SAFETY: a Ferrite system call with an integer argument.
    let r = unsafe { libc::syscall(SYS_FERRITE_LEAKCHECK, TAKE_SNAPSHOT) };
    if r == 0 {
        Ok(())
    } else {
        Err(format!(
            "syscall(1001, 0) returned {r} ({})",
            ftest::errname(ftest::errno())
        ))
    }
}

/// Compares with the snapshot: Ok, or the reason for the FAILED line.
pub fn compare() -> Result<(), String> {
    let mut last = 0;
    for attempt in 0..COMPARE_TRIES {
        if attempt > 0 {
            std::thread::sleep(COMPARE_GAP);
        }
        // SAFETY: a Ferrite system call with an integer argument.
        last = unsafe { libc::syscall(SYS_FERRITE_LEAKCHECK, COMPARE) };
        if last == 0 {
            return Ok(());
        }
        if last < 0 {
            return Err(format!(
                "syscall(1001, 1) failed: {}",
                ftest::errname(ftest::errno())
            ));
        }
    }
    Err(format!(
        "{last} pages or pool items not back after the suite (the kernel log has the detail)"
    ))
}
