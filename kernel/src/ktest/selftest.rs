//! Deliberately failing tests (feature `ktest-selftest`, never in the normal
//! suite). The host-side runner self-test boots a kernel built with them and
//! checks that each is reported FAILED and that the run goes on afterwards.

use super::ktest;
use crate::uvm::page::PageUse;
use crate::uvm::physmem;

#[ktest]
fn a_passes_before() {}

#[ktest]
fn b_panics() {
    panic!("selftest: deliberate panic");
}

#[ktest]
fn c_fails_an_assertion() {
    assert_eq!(1 + 1, 3, "selftest: deliberate assertion failure");
}

#[ktest]
fn d_leaks_a_page() {
    let _ = physmem::alloc_page(PageUse::Kernel).unwrap();
}

#[ktest(timeout_ms = 500)]
fn e_hangs() {
    loop {
        core::hint::spin_loop();
    }
}

/// Interrupts off: the kernel watchdog cannot fire; the host runner's
/// per-test timeout must kill QEMU and resume after this test.
#[ktest]
fn e_hangs_with_interrupts_off() {
    x86_64::instructions::interrupts::disable();
    loop {
        core::hint::spin_loop();
    }
}

#[ktest]
fn f_returns_an_error() -> Result<(), &'static str> {
    Err("selftest: deliberate error")
}

#[ktest(should_panic)]
fn g_should_panic_but_does_not() {}

#[ktest]
fn h_passes_after() {}
