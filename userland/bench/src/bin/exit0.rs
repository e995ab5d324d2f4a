//! `exit0`: exits with status 0 and does nothing else (packed as
//! `/bin/bench/exit0`, the program `fork_exec` runs). Built without the
//! standard library so the exec measures the kernel's work, not a large
//! program's start-up: the C runtime calls `main`, which returns 0.

#![no_std]
#![no_main]

// The C library: its start-up code (`__libc_start_main`) calls `main`.
// (The `libc` crate links it only inside the standard library's build.)
extern crate libc;

#[link(name = "c", kind = "static")]
unsafe extern "C" {}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: leaves the process at once.
    unsafe { libc::_exit(101) }
}

/// Called by the C runtime.
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    0
}
