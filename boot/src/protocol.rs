//! The host <-> kernel protocol, as pure functions:
//! - parsing the serial console lines the kernel (and the userland suite
//!   runner) prints into [`Event`]s;
//! - building the kernel command line passed through fw_cfg
//!   (`opt/ferrite/cmdline`), which the kernel parses with
//!   `ferrite-cmdline` (the tests here check that it does).
//!
//! Lines recognised (after the line reader stripped `\n` / `\r\n`):
//! ```text
//! ferrite: image offset 0x<hex>              (anywhere in the line)
//! backtrace:
//!   #<n> 0x<hex>                             (frame lines, only inside a backtrace block)
//! panicked at <location>:                    (a kernel panic; also `panic while panicking: ...`)
//! test <path> ... panicked at <location>:     (a panic glued to a started test line)
//! ktest: <N> tests match, starting at #<K>
//! test <path> ...                            (test started; result follows later)
//! test <path> ... ok (<c> cycles) | ok (panicked as expected) | FAILED...
//! test user::<path> ... ok | FAILED | skipped (Ferrite only)   (userland checks)
//! ktest: finished, <p> passed, <f> failed
//! ktest: aborted in #<i>
//! ktest: resume after #<i>
//! user: <p> passed, <f> failed, <s> skipped  (testrun's last line)
//! ferrite: init exited with status <n>       (then the kernel powers off)
//! ferrite: init killed by signal <n> (<SIGNAME>)
//! ```

pub use ferrite_cmdline::Mode;

/// Outcome of one test as printed by the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `ok (<c> cycles)` (cycles if the kernel printed them).
    Passed { cycles: Option<u64> },
    /// `ok (panicked as expected)`: a `should_panic` test.
    PanickedAsExpected,
    /// `FAILED...`
    Failed,
    /// `skipped...`: a userland check that does not apply here (e.g. a
    /// Ferrite-only check on Linux). Neither passed nor failed.
    Skipped,
}

impl Outcome {
    /// Not failed (a skip counts as "not failed" for the kernel suite,
    /// which never skips; the user suite counts skips separately).
    pub fn passed(self) -> bool {
        !matches!(self, Outcome::Failed)
    }
}

/// How `/init` ended, as the kernel reports it before powering off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitExit<'a> {
    /// `ferrite: init exited with status N`.
    Status(u8),
    /// `ferrite: init killed by signal N (SIGNAME)`; N is 1..=127.
    Signal { number: u8, name: &'a str },
}

impl InitExit<'_> {
    /// The exit status `ferrite-boot run` returns: N, or 128 + N for a
    /// signal (as a shell reports a child killed by a signal).
    pub fn exit_code(self) -> u8 {
        match self {
            InitExit::Status(n) => n,
            InitExit::Signal { number, .. } => 128 + number,
        }
    }
}

/// One interpreted serial line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// `ferrite: image offset 0x...`: runtime address = ELF address + offset.
    ImageOffset(u64),
    /// `backtrace:` starts a block of frame lines.
    BacktraceStart,
    /// `  #<n> 0x<addr>` (only meaningful inside a backtrace block).
    Frame { index: usize, addr: u64 },
    /// `ktest: <N> tests match, starting at #<K>`.
    SuiteStart { count: usize, start: usize },
    /// `test <path> ... ` with no result yet.
    TestStarted { path: &'a str },
    /// `test <path> ... ok...` / `FAILED...`.
    TestResult { path: &'a str, outcome: Outcome },
    /// `test <path> ... panicked at ...`: the kernel panicked while the
    /// test's line was open (the panic message continued it).
    TestPanicked { path: &'a str },
    /// `ktest: finished, <p> passed, <f> failed`.
    Finished { passed: usize, failed: usize },
    /// `ktest: aborted in #<i>` (a test panicked; the kernel stops).
    Aborted { index: usize },
    /// `ktest: resume after #<i>` (a should_panic test panicked; the kernel stops).
    ResumeAfter { index: usize },
    /// `panicked at ...` / `panic while panicking: ...`: the kernel panicked.
    Panic,
    /// `user: <p> passed, <f> failed, <s> skipped` (the userland suite's end).
    UserFinished {
        passed: usize,
        failed: usize,
        skipped: usize,
    },
    /// `ferrite: init exited with status N` / `... killed by signal N (NAME)`.
    InitExit(InitExit<'a>),
    /// Anything else.
    Other,
}

/// Interprets one complete serial line.
pub fn parse_line(line: &str) -> Event<'_> {
    if let Some(ev) = parse_test_line(line) {
        return ev;
    }
    if let Some(rest) = line.strip_prefix("ktest: ") {
        return parse_ktest(rest.trim_end()).unwrap_or(Event::Other);
    }
    if let Some(rest) = line.strip_prefix("user: ") {
        return parse_user_finished(rest.trim_end()).unwrap_or(Event::Other);
    }
    if let Some(rest) = line.strip_prefix(INIT_PREFIX) {
        return parse_init_exit(rest.trim_end()).map_or(Event::Other, Event::InitExit);
    }
    if line.starts_with("panicked at ") || line.starts_with("panic while panicking") {
        return Event::Panic;
    }
    if line.trim() == "backtrace:" {
        return Event::BacktraceStart;
    }
    if let Some(frame) = parse_frame(line) {
        return frame;
    }
    if let Some(pos) = line.find(IMAGE_OFFSET) {
        let hex = line[pos + IMAGE_OFFSET.len()..].trim();
        if let Some(offset) = parse_hex(hex) {
            return Event::ImageOffset(offset);
        }
    }
    Event::Other
}

const IMAGE_OFFSET: &str = "ferrite: image offset ";

/// For an unterminated line (the kernel printed `test <path> ... ` and is
/// now running the test): the test path, if the partial line is exactly
/// such a prefix.
pub fn partial_test_start(partial: &str) -> Option<&str> {
    match parse_test_line(partial)? {
        Event::TestStarted { path } => Some(path),
        _ => None,
    }
}

fn parse_test_line(line: &str) -> Option<Event<'_>> {
    let rest = line.strip_prefix("test ")?;
    let (path, after) = rest.split_once(" ...")?;
    if path.is_empty() || path.contains(char::is_whitespace) {
        return None;
    }
    let result = after.trim();
    if let Some(ok) = result.strip_prefix("ok") {
        let ok = ok.trim();
        let outcome = if ok.contains("panicked as expected") {
            Outcome::PanickedAsExpected
        } else {
            let cycles = ok
                .strip_prefix('(')
                .and_then(|s| s.split_whitespace().next())
                .and_then(|n| n.parse().ok());
            Outcome::Passed { cycles }
        };
        Some(Event::TestResult { path, outcome })
    } else if result.starts_with("FAILED") {
        Some(Event::TestResult {
            path,
            outcome: Outcome::Failed,
        })
    } else if result.starts_with("skipped") {
        Some(Event::TestResult {
            path,
            outcome: Outcome::Skipped,
        })
    } else if result.starts_with("panicked at ") {
        Some(Event::TestPanicked { path })
    } else {
        // Empty, or something unexpected glued to the line: the test has
        // started and its result is still to come.
        Some(Event::TestStarted { path })
    }
}

fn parse_ktest(rest: &str) -> Option<Event<'static>> {
    if let Some(s) = rest.strip_prefix("finished, ") {
        // "<p> passed, <f> failed"
        let (p, f) = s.split_once(" passed, ")?;
        let f = f.strip_suffix(" failed")?;
        return Some(Event::Finished {
            passed: p.trim().parse().ok()?,
            failed: f.trim().parse().ok()?,
        });
    }
    if let Some(s) = rest.strip_prefix("aborted in #") {
        return Some(Event::Aborted {
            index: s.trim().parse().ok()?,
        });
    }
    if let Some(s) = rest.strip_prefix("resume after #") {
        return Some(Event::ResumeAfter {
            index: s.trim().parse().ok()?,
        });
    }
    // "<N> tests match, starting at #<K>" (also accept "1 test matches").
    let (n, tail) = rest.split_once(' ')?;
    let count = n.parse().ok()?;
    let start = tail
        .strip_prefix("tests match, starting at #")
        .or_else(|| tail.strip_prefix("test matches, starting at #"))?;
    Some(Event::SuiteStart {
        count,
        start: start.trim().parse().ok()?,
    })
}

const INIT_PREFIX: &str = "ferrite: init ";

/// `exited with status N` | `killed by signal N (NAME)`.
fn parse_init_exit(rest: &str) -> Option<InitExit<'_>> {
    if let Some(n) = rest.strip_prefix("exited with status ") {
        return n.parse().ok().map(InitExit::Status);
    }
    let s = rest.strip_prefix("killed by signal ")?;
    let (n, name) = s.split_once(' ')?;
    let number: u8 = n.parse().ok().filter(|n| (1..=127).contains(n))?;
    let name = name.strip_prefix('(')?.strip_suffix(')')?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some(InitExit::Signal { number, name })
}

/// `<p> passed, <f> failed, <s> skipped`.
fn parse_user_finished(rest: &str) -> Option<Event<'static>> {
    let (p, rest) = rest.split_once(" passed, ")?;
    let (f, rest) = rest.split_once(" failed, ")?;
    let k = rest.strip_suffix(" skipped")?;
    Some(Event::UserFinished {
        passed: p.parse().ok()?,
        failed: f.parse().ok()?,
        skipped: k.parse().ok()?,
    })
}

fn parse_frame(line: &str) -> Option<Event<'static>> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (n, addr) = rest.split_once(' ')?;
    Some(Event::Frame {
        index: n.parse().ok()?,
        addr: parse_hex(addr.trim())?,
    })
}

fn parse_hex(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// The most the kernel reads of its command line (`MAX_CMDLINE` in
/// `kernel/src/arch/x86_64/fw_cfg.rs`).
pub const MAX_CMDLINE: usize = 4096;

/// Everything that goes onto the kernel command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelCmdline<'a> {
    pub mode: Mode,
    pub log: Option<&'a str>,
    pub filter: Option<&'a str>,
    /// `ktest.skip`: index (in the filtered, sorted list) to start at.
    pub skip: Option<usize>,
    /// `ktest.timeout` in milliseconds (in-kernel per-test watchdog).
    pub test_timeout_ms: Option<u64>,
    pub verbose: bool,
    pub extra: &'a [String],
    /// `/init`'s arguments, after `--` (quoted where needed).
    pub init_args: &'a [String],
}

impl KernelCmdline<'_> {
    /// The space-separated command line, e.g.
    /// `mode=test log=info ktest.skip=3 ktest.timeout=60000` or
    /// `mode=user -- /bin/testrun fork`.
    pub fn render(&self) -> String {
        let mut words = vec![format!("mode={}", self.mode)];
        if let Some(log) = self.log {
            words.push(format!("log={log}"));
        }
        if let Some(filter) = self.filter {
            words.push(format!("ktest.filter={filter}"));
        }
        if let Some(skip) = self.skip {
            words.push(format!("ktest.skip={skip}"));
        }
        if let Some(ms) = self.test_timeout_ms {
            words.push(format!("ktest.timeout={ms}"));
        }
        if self.verbose {
            words.push("verbose".to_string());
        }
        words.extend(self.extra.iter().cloned());
        if !self.init_args.is_empty() {
            words.push("--".to_string());
            words.extend(
                self.init_args
                    .iter()
                    .map(|a| ferrite_cmdline::quote_init_arg(a).into_owned()),
            );
        }
        words.join(" ")
    }
}

/// Checks that a rendered command line fits what the kernel reads.
pub fn check_cmdline_len(cmdline: &str) -> Result<(), String> {
    if cmdline.len() > MAX_CMDLINE {
        Err(format!(
            "the kernel command line is {} bytes long but the kernel reads at most {MAX_CMDLINE}; \
             shorten the program arguments or --cmdline-extra",
            cmdline.len()
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_offset() {
        assert_eq!(
            parse_line("ferrite: image offset 0xffff800000000000"),
            Event::ImageOffset(0xffff_8000_0000_0000)
        );
        // Tolerates a log prefix and CR leftovers.
        assert_eq!(
            parse_line("[0.001 INFO] ferrite: image offset 0x1000 "),
            Event::ImageOffset(0x1000)
        );
        assert_eq!(parse_line("ferrite: image offset zz"), Event::Other);
    }

    #[test]
    fn backtrace_lines() {
        assert_eq!(parse_line("backtrace:"), Event::BacktraceStart);
        assert_eq!(
            parse_line("  #0 0xffff80000001a2b4"),
            Event::Frame {
                index: 0,
                addr: 0xffff_8000_0001_a2b4
            }
        );
        assert_eq!(
            parse_line("  #12 0x0000000000001000"),
            Event::Frame {
                index: 12,
                addr: 0x1000
            }
        );
        assert_eq!(parse_line("  #x 0x10"), Event::Other);
        assert_eq!(parse_line("  #1 0x"), Event::Other);
        assert_eq!(parse_line("  #1 0x11112222333344445"), Event::Other);
    }

    #[test]
    fn suite_lines() {
        assert_eq!(
            parse_line("ktest: 42 tests match, starting at #7"),
            Event::SuiteStart {
                count: 42,
                start: 7
            }
        );
        assert_eq!(
            parse_line("ktest: 1 test matches, starting at #0"),
            Event::SuiteStart { count: 1, start: 0 }
        );
        assert_eq!(
            parse_line("ktest: finished, 40 passed, 2 failed"),
            Event::Finished {
                passed: 40,
                failed: 2
            }
        );
        assert_eq!(
            parse_line("ktest: aborted in #3"),
            Event::Aborted { index: 3 }
        );
        assert_eq!(
            parse_line("ktest: resume after #9"),
            Event::ResumeAfter { index: 9 }
        );
        assert_eq!(parse_line("ktest: something else"), Event::Other);
        assert_eq!(
            parse_line("ktest: finished, x passed, 1 failed"),
            Event::Other
        );
    }

    #[test]
    fn test_lines() {
        assert_eq!(
            parse_line("test mm::frame::alloc_free ... ok (1234 cycles)"),
            Event::TestResult {
                path: "mm::frame::alloc_free",
                outcome: Outcome::Passed { cycles: Some(1234) }
            }
        );
        assert_eq!(
            parse_line("test sync::poison ... ok (panicked as expected)"),
            Event::TestResult {
                path: "sync::poison",
                outcome: Outcome::PanickedAsExpected
            }
        );
        assert_eq!(
            parse_line("test a::b ... FAILED"),
            Event::TestResult {
                path: "a::b",
                outcome: Outcome::Failed
            }
        );
        assert_eq!(
            parse_line("test a::b ... ok"),
            Event::TestResult {
                path: "a::b",
                outcome: Outcome::Passed { cycles: None }
            }
        );
        // Started, result to come (line was terminated by a log line).
        assert_eq!(
            parse_line("test a::b ... "),
            Event::TestStarted { path: "a::b" }
        );
        assert_eq!(
            parse_line("test a::b ..."),
            Event::TestStarted { path: "a::b" }
        );
        assert_eq!(parse_line("testing stuff"), Event::Other);
        assert_eq!(parse_line("test  ... ok"), Event::Other);
    }

    #[test]
    fn user_check_lines() {
        assert_eq!(
            parse_line("test user::fork::exit_status_263_is_7 ... ok"),
            Event::TestResult {
                path: "user::fork::exit_status_263_is_7",
                outcome: Outcome::Passed { cycles: None }
            }
        );
        assert_eq!(
            parse_line("test user::fork::orphan_ppid_is_1 ... skipped (Ferrite only)"),
            Event::TestResult {
                path: "user::fork::orphan_ppid_is_1",
                outcome: Outcome::Skipped
            }
        );
        assert_eq!(
            parse_line("test user::badptr::(program) ... FAILED (killed by signal 11)"),
            Event::TestResult {
                path: "user::badptr::(program)",
                outcome: Outcome::Failed
            }
        );
        assert_eq!(
            parse_line("user: 60 passed, 2 failed, 3 skipped"),
            Event::UserFinished {
                passed: 60,
                failed: 2,
                skipped: 3
            }
        );
        assert_eq!(parse_line("user: 60 passed, 2 failed"), Event::Other);
        assert_eq!(
            parse_line("user: x passed, 2 failed, 3 skipped"),
            Event::Other
        );
        assert_eq!(parse_line("user: hello"), Event::Other);
    }

    #[test]
    fn panic_lines() {
        assert_eq!(
            parse_line("panicked at kernel/src/uvm/fault.rs:10:5:"),
            Event::Panic
        );
        assert_eq!(
            parse_line("panicked at 0xffff800000001000 (trap 14):"),
            Event::Panic
        );
        assert_eq!(parse_line("panic while panicking: boom"), Event::Panic);
        assert_eq!(
            parse_line("test user::fork::b ... panicked at kernel/src/kern/fork.rs:1:1:"),
            Event::TestPanicked {
                path: "user::fork::b"
            }
        );
        assert_eq!(parse_line("  (expected panic: boom)"), Event::Other);
        assert_eq!(parse_line("the task panicked at noon"), Event::Other);
    }

    #[test]
    fn init_exit_lines() {
        let init = |l| match parse_line(l) {
            Event::InitExit(e) => Some(e),
            _ => None,
        };
        assert_eq!(
            init("ferrite: init exited with status 0"),
            Some(InitExit::Status(0))
        );
        assert_eq!(
            init("ferrite: init exited with status 255\r"),
            Some(InitExit::Status(255))
        );
        assert_eq!(init("ferrite: init exited with status 256"), None);
        assert_eq!(init("ferrite: init exited with status -1"), None);
        assert_eq!(
            init("ferrite: init killed by signal 11 (SIGSEGV)"),
            Some(InitExit::Signal {
                number: 11,
                name: "SIGSEGV"
            })
        );
        assert_eq!(init("ferrite: init killed by signal 0 (SIGZERO)"), None);
        assert_eq!(init("ferrite: init killed by signal 128 (X)"), None);
        assert_eq!(init("ferrite: init killed by signal 9"), None);
        assert_eq!(init("ferrite: init killed by signal 9 ()"), None);
        assert_eq!(init("ferrite: init killed by signal 9 SIGKILL"), None);
        assert_eq!(init("[INFO] ferrite: init exited with status 0"), None);
        assert_eq!(init("init: /bin/x exited with status 3"), None);

        assert_eq!(InitExit::Status(3).exit_code(), 3);
        assert_eq!(
            InitExit::Signal {
                number: 9,
                name: "SIGKILL"
            }
            .exit_code(),
            137
        );
        assert_eq!(
            InitExit::Signal {
                number: 127,
                name: "X"
            }
            .exit_code(),
            255
        );
    }

    #[test]
    fn partial_lines() {
        assert_eq!(partial_test_start("test a::b ... "), Some("a::b"));
        assert_eq!(partial_test_start("test a::b ... ok (1"), None);
        assert_eq!(partial_test_start("test a::b .."), None);
        assert_eq!(partial_test_start("te"), None);
        assert_eq!(partial_test_start(""), None);
    }

    #[test]
    fn outcome_passed() {
        assert!(Outcome::Passed { cycles: None }.passed());
        assert!(Outcome::PanickedAsExpected.passed());
        assert!(!Outcome::Failed.passed());
    }

    #[test]
    fn cmdline_render() {
        let extra = vec!["foo=1".to_string(), "bar".to_string()];
        let c = KernelCmdline {
            mode: Mode::Test,
            log: Some("info,uvm::fault=trace"),
            filter: Some("mm::"),
            skip: Some(3),
            test_timeout_ms: Some(60_000),
            verbose: true,
            extra: &extra,
            init_args: &[],
        };
        assert_eq!(
            c.render(),
            "mode=test log=info,uvm::fault=trace ktest.filter=mm:: ktest.skip=3 \
             ktest.timeout=60000 verbose foo=1 bar"
        );
        let demo = KernelCmdline {
            mode: Mode::Demo,
            log: None,
            filter: None,
            skip: None,
            test_timeout_ms: None,
            verbose: false,
            extra: &[],
            init_args: &[],
        };
        assert_eq!(demo.render(), "mode=demo");
    }

    #[test]
    fn cmdline_with_init_args_parses_in_the_kernel() {
        let args: Vec<String> = ["/bin/sh", "-c", "echo \"a  b\" \\", "", "--"]
            .map(String::from)
            .to_vec();
        let extra = vec!["timer.hz=1000".to_string()];
        let c = KernelCmdline {
            mode: Mode::User,
            log: Some("warn"),
            filter: None,
            skip: None,
            test_timeout_ms: None,
            verbose: false,
            extra: &extra,
            init_args: &args,
        };
        let line = c.render();
        assert_eq!(
            line,
            r#"mode=user log=warn timer.hz=1000 -- /bin/sh -c "echo \"a  b\" \\" "" --"#
        );
        // What the kernel makes of it.
        let o = ferrite_cmdline::parse(&line).expect("the kernel must accept it");
        assert_eq!(o.mode, Mode::User);
        assert_eq!(o.timer_hz, 1000);
        assert_eq!(o.init_args, args);
        check_cmdline_len(&line).unwrap();

        // Every mode renders to what the kernel parses.
        for mode in Mode::ALL {
            let line = KernelCmdline { mode, ..c.clone() }.render();
            assert_eq!(ferrite_cmdline::parse(&line).unwrap().mode, mode);
        }
    }

    #[test]
    fn cmdline_length_limit() {
        let long = vec!["x".repeat(MAX_CMDLINE)];
        let c = KernelCmdline {
            mode: Mode::User,
            log: None,
            filter: None,
            skip: None,
            test_timeout_ms: None,
            verbose: false,
            extra: &[],
            init_args: &long,
        };
        let err = check_cmdline_len(&c.render()).unwrap_err();
        assert!(err.contains("at most 4096"), "{err}");
        assert!(check_cmdline_len(&"y".repeat(MAX_CMDLINE)).is_ok());
    }
}
