//! The ktest driver state machine (pure: no processes, no clocks).
//!
//! The runner feeds it the serial lines of each boot and tells it how the
//! boot ended; the driver keeps the per-test results (indexed by position
//! in the kernel's filtered, sorted test list), decides where the next boot
//! must start (`ktest.skip`), and when the test timer must be restarted.
//!
//! Rules:
//! - a test that started but has no result when the boot ends counts as
//!   FAILED, and the next boot starts after it;
//! - `ktest: aborted in #i` / `ktest: resume after #i` make the next boot
//!   start at `i + 1`;
//! - a boot with no new test started and no new result is "idle"; two idle
//!   boots in a row stop the run with [`DriverError::NoProgress`];
//! - the suite is done when every one of the N tests has a result (or the
//!   kernel said `ktest: finished`, in which case missing ones fail).

use std::collections::BTreeMap;
use std::fmt;

use crate::protocol::{self, Event, Outcome};
use crate::qemu::QemuExit;

/// How a boot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootEnd {
    /// QEMU exited by itself.
    Exited(QemuExit),
    /// The per-test host timeout fired; the runner killed QEMU.
    TestTimeout { secs: u64 },
    /// The whole-boot timeout (`--timeout`) fired; the runner killed QEMU.
    BootTimeout { secs: u64 },
}

impl BootEnd {
    pub fn describe(self) -> String {
        match self {
            BootEnd::Exited(e) => e.describe(),
            BootEnd::TestTimeout { secs } => {
                format!("no test progress for {secs} s, killed by runner")
            }
            BootEnd::BootTimeout { secs } => {
                format!("whole-boot timeout of {secs} s hit, killed by runner")
            }
        }
    }
}

/// What to do after a boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Boot again with `ktest.skip = skip`.
    Reboot { skip: usize },
    /// Every test has a result.
    Done,
    /// The kernel reported that no test matches the filter.
    NoTests,
}

/// Result of [`Driver::end_boot`]: messages for the user, and what next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub messages: Vec<String>,
    pub next: Next,
}

/// Conditions that stop the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverError {
    /// Two consecutive boots neither started nor finished a test.
    NoProgress { skip: usize, reason: String },
    /// The kernel reported a different test count than in an earlier boot.
    CountChanged { before: usize, now: usize },
    /// The kernel did not start where `ktest.skip` asked it to.
    WrongStart { expected: usize, actual: usize },
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::NoProgress { skip, reason } => write!(
                f,
                "the kernel made no test progress in two boots in a row (starting at test #{skip}; \
                 last boot: {reason}); giving up"
            ),
            DriverError::CountChanged { before, now } => write!(
                f,
                "the kernel reported {now} matching tests after reporting {before} earlier; \
                 was the kernel rebuilt during the run?"
            ),
            DriverError::WrongStart { expected, actual } => write!(
                f,
                "asked the kernel to start at test #{expected} (ktest.skip) but it started at \
                 #{actual}; does the kernel parse ktest.skip?"
            ),
        }
    }
}

/// One recorded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    pub path: String,
    pub passed: bool,
}

/// Counts for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    /// N, if the kernel ever reported it.
    pub total: Option<usize>,
}

impl Summary {
    /// All N tests ran and none failed.
    pub fn success(&self) -> bool {
        self.failed == 0 && self.total.is_some_and(|n| n > 0 && self.passed == n)
    }
}

#[derive(Debug, Default)]
struct Boot {
    /// The skip this boot was started with.
    requested: usize,
    /// Index the next result belongs to.
    next_index: usize,
    /// Started test without result: (index, path).
    current: Option<(usize, String)>,
    progressed: bool,
    finished: bool,
    /// Start of the next boot per `aborted in` / `resume after`.
    resume_at: Option<usize>,
}

/// The driver. See the module documentation.
#[derive(Debug)]
pub struct Driver {
    total: Option<usize>,
    results: BTreeMap<usize, TestRecord>,
    next_skip: usize,
    idle_boots: u32,
    boot: Boot,
}

impl Default for Driver {
    fn default() -> Self {
        Self::new()
    }
}

impl Driver {
    pub fn new() -> Self {
        Self {
            total: None,
            results: BTreeMap::new(),
            next_skip: 0,
            idle_boots: 0,
            boot: Boot::default(),
        }
    }

    /// Starts bookkeeping for a new boot; returns its `ktest.skip`.
    pub fn start_boot(&mut self) -> usize {
        self.boot = Boot {
            requested: self.next_skip,
            next_index: self.next_skip,
            ..Boot::default()
        };
        self.next_skip
    }

    /// A complete serial line. `Ok(true)` = restart the test timer.
    pub fn on_line(&mut self, line: &str) -> Result<bool, DriverError> {
        match protocol::parse_line(line) {
            Event::SuiteStart { count, start } => {
                if let Some(before) = self.total.filter(|&b| b != count) {
                    return Err(DriverError::CountChanged { before, now: count });
                }
                if start != self.boot.requested {
                    return Err(DriverError::WrongStart {
                        expected: self.boot.requested,
                        actual: start,
                    });
                }
                self.total = Some(count);
                self.boot.next_index = start;
                Ok(true)
            }
            // A panic glued to the test line: the test started (the panic
            // itself is reported by `aborted in` and the boot's end).
            Event::TestStarted { path } | Event::TestPanicked { path } => {
                Ok(self.test_started(path))
            }
            Event::TestResult { path, outcome } => {
                self.test_result(path, outcome);
                Ok(true)
            }
            Event::Finished { .. } => {
                self.boot.finished = true;
                Ok(false)
            }
            Event::Aborted { index } | Event::ResumeAfter { index } => {
                self.boot.resume_at = Some(index + 1);
                Ok(false)
            }
            // Before the first test, any output counts as a sign of life.
            _ => Ok(!self.boot.progressed),
        }
    }

    /// True once a test of this boot has started or reported.
    pub fn boot_progressed(&self) -> bool {
        self.boot.progressed
    }

    /// The current unterminated line. `true` = restart the test timer.
    pub fn on_partial(&mut self, partial: &str) -> bool {
        match protocol::partial_test_start(partial) {
            Some(path) => self.test_started(path),
            None => false,
        }
    }

    fn test_started(&mut self, path: &str) -> bool {
        if self.boot.current.as_ref().is_some_and(|(_, p)| p == path) {
            // Re-printed after log lines: same test.
            return false;
        }
        self.boot.current = Some((self.boot.next_index, path.to_string()));
        self.boot.progressed = true;
        true
    }

    fn test_result(&mut self, path: &str, outcome: Outcome) {
        let index = match self.boot.current.take() {
            Some((i, p)) if p == path => i,
            _ => self.boot.next_index,
        };
        self.results.insert(
            index,
            TestRecord {
                path: path.to_string(),
                passed: outcome.passed(),
            },
        );
        self.boot.next_index = index + 1;
        self.boot.progressed = true;
    }

    /// The boot is over (QEMU exited or was killed). Decides what next.
    pub fn end_boot(&mut self, end: BootEnd) -> Result<Step, DriverError> {
        let mut messages = Vec::new();
        let reason = end.describe();

        if let Some((index, path)) = self.boot.current.take() {
            let note = match end {
                BootEnd::TestTimeout { secs } => {
                    format!("timed out after {secs} s, killed by runner")
                }
                _ => format!("kernel stopped: {reason}"),
            };
            messages.push(format!("test {path} ... FAILED ({note})"));
            self.results.insert(
                index,
                TestRecord {
                    path,
                    passed: false,
                },
            );
            self.boot.next_index = index + 1;
        } else if !self.boot.finished {
            let expected_stop =
                self.boot.resume_at.is_some() && end == BootEnd::Exited(QemuExit::Failure);
            if !expected_stop {
                messages.push(format!("ktest: kernel stopped outside a test: {reason}"));
            }
        }

        let Some(total) = self.total else {
            return self.idle(messages, reason);
        };
        if total == 0 {
            return Ok(Step {
                messages,
                next: Next::NoTests,
            });
        }

        let skip = self.boot.resume_at.unwrap_or(0).max(self.boot.next_index);
        if self.complete() {
            return Ok(Step {
                messages,
                next: Next::Done,
            });
        }
        if self.boot.finished || skip >= total {
            messages.extend(self.fill_missing("no result reported by the kernel"));
            return Ok(Step {
                messages,
                next: Next::Done,
            });
        }
        if !self.boot.progressed {
            return self.idle(messages, reason);
        }
        self.idle_boots = 0;
        self.next_skip = skip;
        messages.push(format!(
            "ktest: rebooting the kernel to continue at test #{skip}"
        ));
        Ok(Step {
            messages,
            next: Next::Reboot { skip },
        })
    }

    fn idle(&mut self, mut messages: Vec<String>, reason: String) -> Result<Step, DriverError> {
        self.idle_boots += 1;
        if self.idle_boots >= 2 {
            return Err(DriverError::NoProgress {
                skip: self.next_skip,
                reason,
            });
        }
        messages.push(format!(
            "ktest: boot made no test progress ({reason}); retrying once at test #{}",
            self.next_skip
        ));
        Ok(Step {
            messages,
            next: Next::Reboot {
                skip: self.next_skip,
            },
        })
    }

    fn complete(&self) -> bool {
        self.total
            .is_some_and(|n| (0..n).all(|i| self.results.contains_key(&i)))
    }

    /// Marks every test without a result as failed with `note`; returns
    /// the messages to print. Used when the kernel claims it finished and
    /// when the run is abandoned after a [`DriverError`].
    pub fn fill_missing(&mut self, note: &str) -> Vec<String> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        let mut messages = Vec::new();
        for i in 0..total {
            self.results.entry(i).or_insert_with(|| {
                let path = format!("#{i}");
                messages.push(format!("test {path} ... FAILED ({note})"));
                TestRecord {
                    path,
                    passed: false,
                }
            });
        }
        messages
    }

    pub fn summary(&self) -> Summary {
        let passed = self.results.values().filter(|r| r.passed).count();
        Summary {
            passed,
            failed: self.results.len() - passed,
            total: self.total,
        }
    }

    /// Paths of the failed tests, in suite order.
    pub fn failed_tests(&self) -> Vec<&str> {
        self.results
            .values()
            .filter(|r| !r.passed)
            .map(|r| r.path.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds one boot's lines; returns the driver's step.
    fn boot(
        d: &mut Driver,
        expected_skip: usize,
        lines: &[&str],
        end: BootEnd,
    ) -> Result<Step, DriverError> {
        assert_eq!(d.start_boot(), expected_skip);
        for l in lines {
            d.on_line(l)?;
        }
        d.end_boot(end)
    }

    const OK: BootEnd = BootEnd::Exited(QemuExit::Success);
    const FAIL: BootEnd = BootEnd::Exited(QemuExit::Failure);

    #[test]
    fn normal_run() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ferrite: image offset 0x1000",
                "ktest: 3 tests match, starting at #0",
                "test a ... ok (10 cycles)",
                "test b ... ",
                "[INFO] b logs something",
                "test b ... ok (20 cycles)",
                "test c ... ok (panicked as expected)",
                "ktest: finished, 3 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        assert!(step.messages.is_empty(), "{:?}", step.messages);
        let s = d.summary();
        assert_eq!((s.passed, s.failed, s.total), (3, 0, Some(3)));
        assert!(s.success());
    }

    #[test]
    fn panic_in_test_3_of_5_resumes_at_4() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 5 tests match, starting at #0",
                "test t1 ... ok (1 cycles)",
                "test t2 ... ok (1 cycles)",
                "test t3 ... FAILED",
                "panicked at kernel/src/x.rs:1:2:",
                "boom",
                "backtrace:",
                "  #0 0xffff800000001000",
                "ktest: aborted in #2",
            ],
            FAIL,
        )
        .unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 3 });
        let step = boot(
            &mut d,
            3,
            &[
                "ktest: 5 tests match, starting at #3",
                "test t4 ... ok (1 cycles)",
                "test t5 ... ok (1 cycles)",
                "ktest: finished, 2 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        let s = d.summary();
        assert_eq!((s.passed, s.failed), (4, 1));
        assert!(!s.success());
        assert_eq!(d.failed_tests(), ["t3"]);
    }

    #[test]
    fn panic_glued_to_the_test_line_fails_that_test() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 2 tests match, starting at #0",
                "test t1 ... panicked at kernel/src/x.rs:1:2:",
                "boom",
                "ktest: aborted in #0",
            ],
            FAIL,
        )
        .unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        assert_eq!(d.failed_tests(), ["t1"]);
    }

    #[test]
    fn should_panic_resumes_after_it() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 2 tests match, starting at #0",
                "test sp ... ok (panicked as expected)",
                "ktest: resume after #0",
            ],
            FAIL,
        )
        .unwrap();
        // Exit 35 after `resume after` is expected: no complaint.
        assert!(step.messages.iter().all(|m| !m.contains("outside a test")));
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        let step = boot(
            &mut d,
            1,
            &[
                "ktest: 2 tests match, starting at #1",
                "test z ... ok (3 cycles)",
                "ktest: finished, 1 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        assert!(d.summary().success());
    }

    #[test]
    fn should_panic_as_last_test_needs_no_reboot() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 1 tests match, starting at #0",
                "test sp ... ok (panicked as expected)",
                "ktest: resume after #0",
            ],
            FAIL,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        assert!(d.summary().success());
    }

    #[test]
    fn host_timeout_fails_the_running_test() {
        let mut d = Driver::new();
        d.start_boot();
        assert!(d.on_line("ktest: 3 tests match, starting at #0").unwrap());
        assert!(d.on_line("test a ... ok (1 cycles)").unwrap());
        // Partial line: the test started, no newline yet.
        assert!(d.on_partial("test hang ... "));
        assert!(!d.on_partial("test hang ... "));
        let step = d.end_boot(BootEnd::TestTimeout { secs: 7 }).unwrap();
        assert_eq!(
            step.messages[0],
            "test hang ... FAILED (timed out after 7 s, killed by runner)"
        );
        assert_eq!(step.next, Next::Reboot { skip: 2 });
        let step = boot(
            &mut d,
            2,
            &[
                "ktest: 3 tests match, starting at #2",
                "test c ... ok (1 cycles)",
                "ktest: finished, 1 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        assert_eq!(d.failed_tests(), ["hang"]);
        assert_eq!(d.summary().passed, 2);
    }

    #[test]
    fn triple_fault_inside_a_test() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &["ktest: 2 tests match, starting at #0", "test tf ... "],
            BootEnd::Exited(QemuExit::Reset),
        )
        .unwrap();
        assert_eq!(
            step.messages[0],
            "test tf ... FAILED (kernel stopped: kernel reset the machine (triple fault?))"
        );
        assert_eq!(step.next, Next::Reboot { skip: 1 });
    }

    #[test]
    fn no_progress_twice_is_an_error() {
        let mut d = Driver::new();
        // Boot hangs before the suite starts: retried once...
        let step = boot(
            &mut d,
            0,
            &["booting..."],
            BootEnd::TestTimeout { secs: 60 },
        )
        .unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 0 });
        // ...then given up.
        let err = boot(
            &mut d,
            0,
            &["booting..."],
            BootEnd::TestTimeout { secs: 60 },
        )
        .unwrap_err();
        assert!(
            matches!(err, DriverError::NoProgress { skip: 0, .. }),
            "{err}"
        );
        assert_eq!(d.summary().total, None);
    }

    #[test]
    fn no_progress_after_some_results_fills_the_rest_on_abandon() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 3 tests match, starting at #0",
                "test a ... ok (1 cycles)",
            ],
            BootEnd::Exited(QemuExit::Code(1)),
        )
        .unwrap();
        assert!(step.messages[0].contains("outside a test"));
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        let lines = ["ktest: 3 tests match, starting at #1"];
        let step = boot(&mut d, 1, &lines, FAIL).unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        let err = boot(&mut d, 1, &lines, FAIL).unwrap_err();
        assert!(matches!(err, DriverError::NoProgress { skip: 1, .. }));
        let msgs = d.fill_missing("not run");
        assert_eq!(
            msgs,
            [
                "test #1 ... FAILED (not run)",
                "test #2 ... FAILED (not run)"
            ]
        );
        let s = d.summary();
        assert_eq!((s.passed, s.failed), (1, 2));
    }

    #[test]
    fn progress_resets_the_idle_count() {
        let mut d = Driver::new();
        let start = ["ktest: 3 tests match, starting at #0"];
        assert_eq!(
            boot(&mut d, 0, &start, FAIL).unwrap().next,
            Next::Reboot { skip: 0 }
        );
        let step = boot(
            &mut d,
            0,
            &["ktest: 3 tests match, starting at #0", "test a ... "],
            FAIL,
        )
        .unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        // One idle boot after progress is allowed again.
        let step = boot(&mut d, 1, &["ktest: 3 tests match, starting at #1"], FAIL).unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 1 });
    }

    #[test]
    fn filter_matching_nothing() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 0 tests match, starting at #0",
                "ktest: finished, 0 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::NoTests);
        assert!(!d.summary().success());
    }

    #[test]
    fn finished_with_missing_results_fails_them() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 2 tests match, starting at #0",
                "test a ... ok (1 cycles)",
                "ktest: finished, 1 passed, 0 failed",
            ],
            OK,
        )
        .unwrap();
        assert_eq!(step.next, Next::Done);
        assert_eq!(
            step.messages,
            ["test #1 ... FAILED (no result reported by the kernel)"]
        );
        assert_eq!(d.summary().failed, 1);
    }

    #[test]
    fn kernel_ignoring_skip_or_changing_count_is_an_error() {
        let mut d = Driver::new();
        let step = boot(
            &mut d,
            0,
            &[
                "ktest: 3 tests match, starting at #0",
                "test a ... FAILED",
                "ktest: aborted in #0",
            ],
            FAIL,
        )
        .unwrap();
        assert_eq!(step.next, Next::Reboot { skip: 1 });
        d.start_boot();
        assert_eq!(
            d.on_line("ktest: 3 tests match, starting at #0"),
            Err(DriverError::WrongStart {
                expected: 1,
                actual: 0
            })
        );
        assert_eq!(
            d.on_line("ktest: 4 tests match, starting at #1"),
            Err(DriverError::CountChanged { before: 3, now: 4 })
        );
    }

    #[test]
    fn timer_resets() {
        let mut d = Driver::new();
        d.start_boot();
        // Before tests: any output resets the timer.
        assert!(d.on_line("some boot log").unwrap());
        assert!(d.on_line("ktest: 2 tests match, starting at #0").unwrap());
        assert!(d.on_line("test a ... ").unwrap());
        // While a test runs, its log lines do not.
        assert!(!d.on_line("[DEBUG] chatter").unwrap());
        assert!(!d.on_line("test a ... ").unwrap());
        assert!(d.on_line("test a ... ok (1 cycles)").unwrap());
    }
}
