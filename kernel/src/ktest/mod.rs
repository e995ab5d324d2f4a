//! ktest, the in-kernel test framework.
//!
//! Tests are registered anywhere with `#[ktest]` (see `ferrite-macros`) into
//! the `KTESTS` distributed slice. In test mode the kernel sorts them by path
//! (`module::name`, crate prefix dropped), keeps those whose path contains the
//! filter, starts at index `ktest.skip`, and runs each one:
//!
//! ```text
//! test uvm::physmem::tests::alloc_single ... ok (48211 cycles)
//! ```
//!
//! Around every test a leak check compares free pages and heap usage before
//! and after. A per-test watchdog on the timer tick stops a hung test. A panic
//! inside a test prints `FAILED` and the report, then the kernel powers off;
//! the host runner boots again and resumes after that test (a test marked
//! `should_panic` prints `ok (panicked as expected)` instead).

#![deny(unsafe_code)]

pub mod leak;
#[cfg(feature = "ktest-selftest")]
mod selftest;
mod tests;
pub mod user;

use crate::arch::x86_64::{apic, qemu, trap, tsc};
use crate::dev::console::{self, TestLine};
use crate::kprintln;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_cmdline::Options;
use spin::Mutex;

pub use ferrite_macros::ktest;

/// One registered test.
pub struct KTest {
    pub module: &'static str,
    pub name: &'static str,
    pub func: fn() -> Result<(), String>,
    pub should_panic: bool,
    pub leak_check: bool,
    /// Per-test watchdog in milliseconds (0: the command line's default).
    pub timeout_ms: u64,
}

impl KTest {
    fn line(&self) -> TestLine {
        TestLine {
            module: self.module,
            name: self.name,
        }
    }

    /// `module::name` without the crate prefix.
    pub fn path(&self) -> String {
        let module = self.module.strip_prefix("ferrite::").unwrap_or(self.module);
        format!("{module}::{}", self.name)
    }
}

#[linkme::distributed_slice]
pub static KTESTS: [KTest];

/// What a test function may return.
pub trait IntoTestResult {
    fn into_test_result(self) -> Result<(), String>;
}

impl IntoTestResult for () {
    fn into_test_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Debug> IntoTestResult for Result<(), E> {
    fn into_test_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// The test running now.
#[derive(Clone, Copy)]
struct Current {
    index: usize,
    test: &'static KTest,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);
/// Timer tick at which the running test is declared hung (0: disarmed).
static DEADLINE_TICK: AtomicU64 = AtomicU64::new(0);
static DEADLINE_MS: AtomicU64 = AtomicU64::new(0);

/// The sorted, filtered list of tests.
pub fn selected(filter: Option<&str>) -> Vec<&'static KTest> {
    let mut tests: Vec<&'static KTest> = KTESTS.iter().collect();
    tests.sort_by_cached_key(|t| t.path());
    tests.retain(|t| filter.is_none_or(|f| t.path().contains(f)));
    tests
}

/// Run the suite as the command line says, then power off.
pub fn run(opts: &Options) -> ! {
    trap::set_tick_hook(watchdog_tick);
    let tests = selected(opts.ktest_filter.as_deref());
    kprintln!(
        "ktest: {} tests match, starting at #{}",
        tests.len(),
        opts.ktest_skip
    );
    let (mut passed, mut failed) = (0usize, 0usize);
    for (index, test) in tests.iter().enumerate().skip(opts.ktest_skip) {
        if run_one(index, test, opts.ktest_timeout_ms) {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    kprintln!("ktest: finished, {passed} passed, {failed} failed");
    qemu::exit(if failed == 0 {
        qemu::ExitCode::Success
    } else {
        qemu::ExitCode::Failure
    })
}

fn arm_watchdog(timeout_ms: u64) {
    let hz = apic::timer_hz().max(1) as u64;
    let ticks = (timeout_ms * hz).div_ceil(1000).max(2);
    DEADLINE_MS.store(timeout_ms, Ordering::SeqCst);
    DEADLINE_TICK.store(apic::ticks() + ticks, Ordering::SeqCst);
}

fn disarm_watchdog() {
    DEADLINE_TICK.store(0, Ordering::SeqCst);
}

/// Timer hook: stop a test that ran past its deadline, reporting where it was.
fn watchdog_tick(frame: &trap::TrapFrame) {
    let deadline = DEADLINE_TICK.load(Ordering::SeqCst);
    if deadline != 0 && apic::ticks() >= deadline {
        disarm_watchdog();
        let ms = DEADLINE_MS.load(Ordering::SeqCst);
        trap::fatal(
            frame,
            format_args!("test timed out after {ms} ms (ktest watchdog)"),
        );
    }
}

/// Run one test; true if it passed.
fn run_one(index: usize, test: &'static KTest, default_timeout_ms: u64) -> bool {
    console::begin_test_line(test.line());
    let before = leak::snapshot();
    *CURRENT.lock() = Some(Current { index, test });
    arm_watchdog(if test.timeout_ms != 0 {
        test.timeout_ms
    } else {
        default_timeout_ms
    });
    let t0 = tsc::read();
    let result = (test.func)();
    let cycles = tsc::read() - t0;
    disarm_watchdog();
    *CURRENT.lock() = None;

    let outcome = match result {
        Err(msg) => Err(format!("test returned an error: {msg}")),
        Ok(()) if test.should_panic => Err(String::from("test did not panic (should_panic)")),
        Ok(()) if test.leak_check => {
            leak::compare(&before, &leak::snapshot()).map_err(|l| format!("{l}"))
        }
        Ok(()) => Ok(()),
    };
    match outcome {
        Ok(()) => {
            console::finish_test_line(format_args!("ok ({cycles} cycles)"));
            true
        }
        Err(msg) => {
            console::finish_test_line(format_args!("FAILED"));
            kprintln!("  {msg}");
            false
        }
    }
}

/// How the panic path should treat a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanicVerdict {
    /// Not inside a test.
    NotInTest,
    /// A test failed by panicking (its index).
    TestFailed(usize),
    /// A `should_panic` test panicked, as it should (its index).
    Expected(usize),
}

/// Called first by the panic path: closes the running test's line.
pub fn on_panic() -> PanicVerdict {
    disarm_watchdog();
    let current = CURRENT.try_lock().and_then(|c| *c);
    let Some(Current { index, test }) = current else {
        return PanicVerdict::NotInTest;
    };
    if test.should_panic {
        console::panic_finish_test_line(test.line(), format_args!("ok (panicked as expected)"));
        PanicVerdict::Expected(index)
    } else {
        console::panic_finish_test_line(test.line(), format_args!("FAILED"));
        PanicVerdict::TestFailed(index)
    }
}

/// Called last by the panic path: tell the runner where to resume, power off.
pub fn after_panic(verdict: PanicVerdict) -> ! {
    console::with_panic_console(|out| {
        let _ = match verdict {
            PanicVerdict::Expected(i) => writeln!(out, "ktest: resume after #{i}"),
            PanicVerdict::TestFailed(i) => writeln!(out, "ktest: aborted in #{i}"),
            PanicVerdict::NotInTest => Ok(()),
        };
    });
    qemu::exit(qemu::ExitCode::Failure)
}
