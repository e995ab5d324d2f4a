//! The userland suite driver (pure: no processes, no clocks).
//!
//! One boot in `mode=user` runs `/init /bin/testrun [FILTER]`; the runner
//! feeds the serial lines here and says how the boot ended. The driver
//! counts the `test user::... ... ok | FAILED | skipped` lines, and at the
//! end decides whether the run was complete:
//!
//! - a kernel panic stops the suite (there is no reboot-and-resume as for
//!   the kernel suite: a panic in ring 3 code paths is a kernel bug to fix
//!   first); the check that was running counts as failed, named if its
//!   `test <path> ... ` line had started, else as the one after the last
//!   result;
//! - a silent or overlong boot that the runner killed counts the same way;
//! - otherwise the suite is complete when testrun printed its last line
//!   (`user: P passed, F failed, S skipped`, which must agree with the
//!   lines counted) and the kernel reported `/init`'s exit; a non-zero
//!   exit without any FAILED line, or no report at all, is one more
//!   failure, so that a run that did not really happen never looks green.

use crate::ktest::BootEnd;
use crate::protocol::{self, Event, InitExit, Outcome};

/// What a user check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    Skipped,
}

/// One check and its verdict, in output order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub path: String,
    pub verdict: Verdict,
}

/// Counts for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserSummary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The end of the run: what to print, the counts, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Lines for the console (synthetic FAILED lines, explanations).
    pub messages: Vec<String>,
    pub summary: UserSummary,
    /// No check matched the filter (testrun reported 0 checks).
    pub no_match: bool,
    /// Complete, at least one check ran or was skipped, none failed.
    pub success: bool,
}

/// The init exit, owned (the event borrows the line).
#[derive(Debug, Clone, PartialEq, Eq)]
enum InitEnd {
    Status(u8),
    Signal(u8, String),
}

/// The driver; see the module documentation.
#[derive(Debug, Default)]
pub struct UserSuite {
    checks: Vec<CheckRecord>,
    /// `test <path> ... ` printed, result not yet.
    current: Option<String>,
    /// testrun's own totals line.
    reported: Option<UserSummary>,
    init: Option<InitEnd>,
    panicked: bool,
    /// Any serial output at all (to tell "never booted" from "no /init").
    lines: usize,
}

/// Only lines of user checks count (never the kernel's own tests).
fn is_user_path(path: &str) -> bool {
    path.starts_with("user::")
}

impl UserSuite {
    pub fn new() -> Self {
        Self::default()
    }

    /// A complete serial line. `true` = the suite made progress (restart
    /// the silence timer).
    pub fn on_line(&mut self, line: &str) -> bool {
        self.lines += 1;
        match protocol::parse_line(line) {
            Event::TestStarted { path } if is_user_path(path) => {
                self.current = Some(path.to_string());
            }
            Event::TestPanicked { path } => {
                if is_user_path(path) {
                    self.current = Some(path.to_string());
                }
                self.panicked = true;
            }
            Event::TestResult { path, outcome } if is_user_path(path) => {
                let verdict = match outcome {
                    Outcome::Failed => Verdict::Failed,
                    Outcome::Skipped => Verdict::Skipped,
                    Outcome::Passed { .. } | Outcome::PanickedAsExpected => Verdict::Passed,
                };
                self.current = None;
                self.checks.push(CheckRecord {
                    path: path.to_string(),
                    verdict,
                });
            }
            Event::UserFinished {
                passed,
                failed,
                skipped,
            } => {
                self.reported = Some(UserSummary {
                    passed,
                    failed,
                    skipped,
                });
            }
            Event::InitExit(e) => {
                self.init = Some(match e {
                    InitExit::Status(n) => InitEnd::Status(n),
                    InitExit::Signal { number, name } => InitEnd::Signal(number, name.to_string()),
                });
            }
            Event::Panic => self.panicked = true,
            _ => {}
        }
        true
    }

    /// The current unterminated line: a `test user::<path> ... ` prefix
    /// names the running check. `true` = progress.
    pub fn on_partial(&mut self, partial: &str) -> bool {
        match protocol::partial_test_start(partial) {
            Some(path) if is_user_path(path) && self.current.as_deref() != Some(path) => {
                self.current = Some(path.to_string());
                true
            }
            _ => false,
        }
    }

    /// The check that was running, for messages.
    fn running(&self) -> String {
        match (&self.current, self.checks.last()) {
            (Some(path), _) => path.clone(),
            (None, Some(last)) => format!("the check after {}", last.path),
            (None, None) => "the first check".to_string(),
        }
    }

    fn fail(&mut self, messages: &mut Vec<String>, path: String, why: &str) {
        messages.push(format!("test {path} ... FAILED ({why})"));
        self.checks.push(CheckRecord {
            path,
            verdict: Verdict::Failed,
        });
    }

    pub fn summary(&self) -> UserSummary {
        let count = |v| self.checks.iter().filter(|c| c.verdict == v).count();
        UserSummary {
            passed: count(Verdict::Passed),
            failed: count(Verdict::Failed),
            skipped: count(Verdict::Skipped),
        }
    }

    /// Paths of the failed checks, in output order.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| c.verdict == Verdict::Failed)
            .map(|c| c.path.as_str())
            .collect()
    }

    /// The boot is over. Decides the outcome (see the module docs).
    pub fn finish(&mut self, end: BootEnd, filter: Option<&str>) -> Report {
        let mut messages = Vec::new();
        let running = self.running();
        let synthetic = self
            .current
            .take()
            .unwrap_or_else(|| "user::(unknown check)".to_string());
        let mut complete = false;

        if self.panicked {
            messages.push(format!(
                "user: the kernel panicked while running {running}; the user suite stops here"
            ));
            self.fail(&mut messages, synthetic, "kernel panic");
        } else if let BootEnd::TestTimeout { .. } | BootEnd::BootTimeout { .. } = end {
            let why = end.describe();
            messages.push(format!("user: {why} while running {running}"));
            self.fail(&mut messages, synthetic, &why);
        } else {
            match (&self.init, self.reported) {
                (None, _) if self.checks.is_empty() => {
                    let why = if self.lines == 0 {
                        "the kernel printed nothing".to_string()
                    } else {
                        "the kernel did not report that /init ran".to_string()
                    };
                    messages.push(format!(
                        "user: {why} (mode=user; {}); no check ran",
                        end.describe()
                    ));
                    self.fail(&mut messages, "user::(init)".into(), "init did not run");
                }
                (None, _) => {
                    messages.push(format!(
                        "user: the kernel stopped without reporting /init's exit ({}), \
                         after {running}",
                        end.describe()
                    ));
                    self.fail(&mut messages, synthetic, "kernel stopped");
                }
                (Some(InitEnd::Signal(n, name)), _) => {
                    let why = format!("testrun killed by signal {n} ({name})");
                    messages.push(format!("user: {why} while running {running}"));
                    self.fail(&mut messages, "user::testrun::(program)".into(), &why);
                }
                (Some(InitEnd::Status(n)), None) => {
                    let why = format!("testrun exited with status {n} without its summary line");
                    messages.push(format!("user: {why}"));
                    self.fail(&mut messages, "user::testrun::(program)".into(), &why);
                }
                (Some(InitEnd::Status(n)), Some(reported)) => {
                    let n = *n;
                    let counted = self.summary();
                    if counted != reported {
                        let why = format!(
                            "testrun reported {} passed, {} failed, {} skipped but the runner \
                             counted {} passed, {} failed, {} skipped (garbled output?)",
                            reported.passed,
                            reported.failed,
                            reported.skipped,
                            counted.passed,
                            counted.failed,
                            counted.skipped
                        );
                        messages.push(format!("user: {why}"));
                        self.fail(
                            &mut messages,
                            "user::testrun::(summary)".into(),
                            "counts differ",
                        );
                    } else if n != 0 && counted.failed == 0 {
                        let why = format!("testrun exited with status {n} but no check failed");
                        messages.push(format!("user: {why}"));
                        self.fail(&mut messages, "user::testrun::(program)".into(), &why);
                    } else {
                        complete = true;
                    }
                }
            }
        }

        let summary = self.summary();
        let no_match = complete && summary == UserSummary::default();
        if no_match {
            messages.push(match filter {
                Some(f) => format!("user: no check matches filter \"{f}\""),
                None => "user: the userland suite has no checks".to_string(),
            });
        }
        Report {
            messages,
            summary,
            no_match,
            success: complete && !no_match && summary.failed == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::QemuExit;

    const OFF: BootEnd = BootEnd::Exited(QemuExit::Success);

    fn feed(lines: &[&str]) -> UserSuite {
        let mut s = UserSuite::new();
        for l in lines {
            s.on_line(l);
        }
        s
    }

    fn counts(r: &Report) -> (usize, usize, usize) {
        (r.summary.passed, r.summary.failed, r.summary.skipped)
    }

    #[test]
    fn complete_green_run() {
        let mut s = feed(&[
            "ferrite: image offset 0x1000",
            "test user::fork::exit_status_0 ... ok",
            "test user::fork::orphan_ppid_is_1 ... skipped (Ferrite only)",
            "some program output",
            "test user::pipe::eof ... ok",
            "user: 2 passed, 0 failed, 1 skipped",
            "ferrite: init exited with status 0",
        ]);
        let r = s.finish(OFF, None);
        assert_eq!(counts(&r), (2, 0, 1));
        assert!(r.success && !r.no_match);
        assert!(r.messages.is_empty(), "{:?}", r.messages);
    }

    #[test]
    fn failures_are_counted_and_listed() {
        let mut s = feed(&[
            "test user::fork::a ... ok",
            "test user::fork::b ... FAILED",
            "  tests/fork.rs:10: expected 7, got 8",
            "test user::badptr::(program) ... FAILED (killed by signal 11 (SIGSEGV))",
            "user: 1 passed, 2 failed, 0 skipped",
            "init: /bin/testrun exited with status 1",
            "ferrite: init exited with status 1",
        ]);
        let r = s.finish(OFF, None);
        assert_eq!(counts(&r), (1, 2, 0));
        assert!(!r.success);
        assert!(r.messages.is_empty(), "{:?}", r.messages);
        assert_eq!(
            s.failed_checks(),
            ["user::fork::b", "user::badptr::(program)"]
        );
    }

    #[test]
    fn kernel_test_lines_do_not_count() {
        let mut s = feed(&[
            "test mm::frame::alloc ... ok (10 cycles)",
            "test user::a::b ... ok",
            "user: 1 passed, 0 failed, 0 skipped",
            "ferrite: init exited with status 0",
        ]);
        let r = s.finish(OFF, None);
        assert_eq!(counts(&r), (1, 0, 0));
        assert!(r.success);
    }

    #[test]
    fn panic_names_the_started_check_and_stops() {
        let mut s = feed(&["test user::fork::a ... ok"]);
        assert!(s.on_partial("test user::fork::b ... "));
        assert!(
            !s.on_partial("test user::fork::b ... "),
            "same check, no news"
        );
        for l in [
            "panicked at kernel/src/uvm/fault.rs:1:2:",
            "boom",
            "backtrace:",
            "  #0 0xffff800000001000",
        ] {
            s.on_line(l);
        }
        let r = s.finish(BootEnd::Exited(QemuExit::Failure), None);
        assert_eq!(counts(&r), (1, 1, 0));
        assert!(!r.success);
        assert_eq!(
            r.messages,
            [
                "user: the kernel panicked while running user::fork::b; the user suite stops here",
                "test user::fork::b ... FAILED (kernel panic)",
            ]
        );
    }

    #[test]
    fn panic_glued_to_a_started_line() {
        let mut s = feed(&[
            "test user::fork::a ... ok",
            "test user::fork::b ... panicked at kernel/src/kern/fork.rs:1:1:",
            "boom",
        ]);
        let r = s.finish(BootEnd::Exited(QemuExit::Failure), None);
        assert_eq!(counts(&r), (1, 1, 0));
        assert_eq!(s.failed_checks(), ["user::fork::b"]);
    }

    #[test]
    fn panic_without_a_started_line_names_the_previous_check() {
        let mut s = feed(&[
            "test user::fork::a ... ok",
            "panicked at 0xffff800000001000 (trap 14):",
        ]);
        let r = s.finish(BootEnd::Exited(QemuExit::Failure), None);
        assert!(
            r.messages[0].contains("while running the check after user::fork::a"),
            "{:?}",
            r.messages
        );
        assert_eq!(s.failed_checks(), ["user::(unknown check)"]);
    }

    #[test]
    fn silence_timeout_fails_the_running_check() {
        let mut s = feed(&["test user::fork::a ... ok"]);
        let r = s.finish(BootEnd::TestTimeout { secs: 660 }, None);
        assert_eq!(counts(&r), (1, 1, 0));
        assert!(
            r.messages[0].contains("no test progress for 660 s"),
            "{:?}",
            r.messages
        );
        assert!(!r.success);
    }

    #[test]
    fn kernel_that_cannot_run_init_is_a_failure() {
        // Today's kernel: rejects mode=user and powers off with failure.
        let mut s = feed(&[
            "ferrite: bad kernel command line `mode=user -- /bin/testrun`: invalid mode `user`",
        ]);
        let r = s.finish(BootEnd::Exited(QemuExit::Failure), None);
        assert_eq!(counts(&r), (0, 1, 0));
        assert!(!r.success && !r.no_match);
        assert!(
            r.messages[0].contains("did not report that /init ran"),
            "{:?}",
            r.messages
        );
        let mut silent = UserSuite::new();
        let r = silent.finish(BootEnd::Exited(QemuExit::Reset), None);
        assert!(
            r.messages[0].contains("printed nothing"),
            "{:?}",
            r.messages
        );
    }

    #[test]
    fn incomplete_runs_are_failures() {
        // Powered off mid-suite without an init report.
        let mut s = feed(&["test user::a::x ... ok"]);
        let r = s.finish(OFF, None);
        assert_eq!(counts(&r), (1, 1, 0));
        assert!(!r.success);
        // testrun died of a signal.
        let mut s = feed(&[
            "test user::a::x ... ok",
            "ferrite: init killed by signal 11 (SIGSEGV)",
        ]);
        let r = s.finish(OFF, None);
        assert!(r.messages[0].contains("killed by signal 11 (SIGSEGV)"));
        assert!(!r.success);
        // Exit status 0 but no summary line.
        let mut s = feed(&[
            "test user::a::x ... ok",
            "ferrite: init exited with status 0",
        ]);
        assert!(!s.finish(OFF, None).success);
        // Non-zero exit without a FAILED line.
        let mut s = feed(&[
            "test user::a::x ... ok",
            "user: 1 passed, 0 failed, 0 skipped",
            "ferrite: init exited with status 3",
        ]);
        let r = s.finish(OFF, None);
        assert_eq!(counts(&r), (1, 1, 0));
        assert!(r.messages[0].contains("status 3 but no check failed"));
    }

    #[test]
    fn counts_must_agree_with_testrun() {
        let mut s = feed(&[
            "test user::a::x ... ok",
            "user: 2 passed, 0 failed, 0 skipped",
            "ferrite: init exited with status 0",
        ]);
        let r = s.finish(OFF, None);
        assert!(!r.success);
        assert!(
            r.messages[0].contains("counted 1 passed"),
            "{:?}",
            r.messages
        );
    }

    #[test]
    fn no_match() {
        let mut s = feed(&[
            "user: 0 passed, 0 failed, 0 skipped",
            "ferrite: init exited with status 0",
        ]);
        let r = s.finish(OFF, Some("nothing"));
        assert!(r.no_match && !r.success);
        assert_eq!(r.messages, ["user: no check matches filter \"nothing\""]);
        assert_eq!(counts(&r), (0, 0, 0));
    }
}
