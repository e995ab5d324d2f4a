//! Benchmark output, as pure functions: the `bench:` result lines and the
//! account of one benchmark boot ([`RunLog`]).
//!
//! Lines recognised (the same on Ferrite and Linux, except where noted):
//! ```text
//! bench: <name> | <integer>[ <unit>]         a figure (in-kernel ones carry a unit)
//! benchrun: running <program>                the runner started a program
//! benchrun: <program> FAILED (<why>)         it ended badly
//! benchrun: done, <ran> ran, <failed> failed the runner's last line
//! ferrite: init exited with status <n>       Ferrite: /init ended (then power-off)
//! ferrite: init killed by signal <n> (<SIG>)
//! init: exit status <n>                      Linux: /init is about to power off
//! panicked at ... / Kernel panic - not syncing: ...   a kernel panic
//! ```
//!
//! A boot is complete when the runner printed its `done` line and init's
//! end was reported; anything else (a panic, a timeout, a power-off
//! without the `done` line) is a problem named in [`RunOutcome::problems`],
//! with the program that was running.

use std::collections::BTreeSet;

use crate::ktest::BootEnd;
use crate::linux;
use crate::protocol::{self, Event, InitExit};

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub name: String,
    pub value: u64,
    /// The unit the in-kernel benchmarks print (`cycles`); `None` for the
    /// userland ones (guest instructions, or bytes for memory figures).
    pub unit: Option<String>,
}

/// Parses `bench: <name> | <integer>[ <unit>]`; `None` for anything else
/// (including the kernel's `bench: starting ...` and `bench: done`).
pub fn parse_figure(line: &str) -> Option<Figure> {
    let rest = line.trim_end().strip_prefix("bench: ")?;
    let (name, value) = rest.rsplit_once(" | ")?;
    let name = name.trim();
    let mut words = value.split_whitespace();
    let number = words.next()?.parse().ok()?;
    let unit = words.next().map(str::to_string);
    if name.is_empty() || words.next().is_some() {
        return None;
    }
    Some(Figure {
        name: name.to_string(),
        value: number,
        unit,
    })
}

/// The runner's own lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunnerLine<'a> {
    Running(&'a str),
    Failed { program: &'a str, why: &'a str },
    Done { ran: usize, failed: usize },
}

/// Parses a `benchrun: ...` line.
pub fn parse_runner_line(line: &str) -> Option<RunnerLine<'_>> {
    let rest = line.trim_end().strip_prefix("benchrun: ")?;
    if let Some(program) = rest.strip_prefix("running ") {
        return Some(RunnerLine::Running(program.trim()));
    }
    if let Some(counts) = rest.strip_prefix("done, ") {
        let (ran, failed) = counts.split_once(" ran, ")?;
        let failed = failed.strip_suffix(" failed")?;
        return Some(RunnerLine::Done {
            ran: ran.parse().ok()?,
            failed: failed.parse().ok()?,
        });
    }
    let (program, why) = rest.split_once(" FAILED (")?;
    Some(RunnerLine::Failed {
        program,
        why: why.strip_suffix(')').unwrap_or(why),
    })
}

/// How init ended, as reported on the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitEnd {
    Status(u8),
    Signal(u8, String),
}

/// `init: exit status N`, printed by init as PID 1 on Linux.
fn parse_linux_init_exit(line: &str) -> Option<u8> {
    line.trim_end()
        .strip_prefix("init: exit status ")?
        .parse()
        .ok()
}

/// The account of one benchmark boot (pure: fed lines, then the end).
#[derive(Debug, Default)]
pub struct RunLog {
    figures: Vec<Figure>,
    /// The program the runner started last and has not finished.
    running: Option<String>,
    failures: Vec<(String, String)>,
    done: Option<(usize, usize)>,
    init: Option<InitEnd>,
    panicked: bool,
}

/// The verdict on a boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// Every figure, in output order.
    pub figures: Vec<Figure>,
    /// What went wrong, one sentence each (empty: a clean run).
    pub problems: Vec<String>,
}

impl RunOutcome {
    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl RunLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// One complete console line. Returns the figure it carried, if any.
    pub fn on_line(&mut self, line: &str) -> Option<&Figure> {
        if let Some(f) = parse_figure(line) {
            self.figures.push(f);
            return self.figures.last();
        }
        match parse_runner_line(line) {
            Some(RunnerLine::Running(p)) => self.running = Some(p.to_string()),
            Some(RunnerLine::Failed { program, why }) => {
                self.failures.push((program.to_string(), why.to_string()));
                self.running = None;
            }
            Some(RunnerLine::Done { ran, failed }) => {
                self.done = Some((ran, failed));
                self.running = None;
            }
            None => {}
        }
        if let Some(n) = parse_linux_init_exit(line) {
            self.init = Some(InitEnd::Status(n));
        }
        if linux::is_panic_line(line) {
            self.panicked = true;
        }
        match protocol::parse_line(line) {
            Event::Panic => self.panicked = true,
            Event::InitExit(InitExit::Status(n)) => self.init = Some(InitEnd::Status(n)),
            Event::InitExit(InitExit::Signal { number, name }) => {
                self.init = Some(InitEnd::Signal(number, name.to_string()));
            }
            _ => {}
        }
        None
    }

    /// The boot ended (`end`); `kernel` names it in messages.
    pub fn finish(self, end: BootEnd, kernel: &str) -> RunOutcome {
        let mut problems = Vec::new();
        let during = match &self.running {
            Some(p) => format!(" while {p} was running"),
            None => String::new(),
        };
        for (program, why) in &self.failures {
            problems.push(format!("{kernel}: {program} failed ({why})"));
        }
        let mut seen = BTreeSet::new();
        for f in &self.figures {
            if !seen.insert(f.name.as_str()) {
                problems.push(format!(
                    "{kernel}: the figure `{}` was printed twice",
                    f.name
                ));
            }
        }
        if self.panicked {
            problems.push(format!("{kernel}: the kernel panicked{during}"));
        } else if let BootEnd::TestTimeout { .. } | BootEnd::BootTimeout { .. } = end {
            problems.push(format!("{kernel}: {}{during}", end.describe()));
        } else {
            match (self.done, &self.init) {
                (None, _) => problems.push(format!(
                    "{kernel}: the benchmark runner never finished{during} ({})",
                    end.describe()
                )),
                (Some((_, failed)), _) if failed != self.failures.len() => {
                    problems.push(format!(
                        "{kernel}: the runner counted {failed} failures but printed {}",
                        self.failures.len()
                    ));
                }
                (Some(_), None) => problems.push(format!(
                    "{kernel}: init's end was not reported ({})",
                    end.describe()
                )),
                (Some(_), Some(InitEnd::Signal(n, name))) => {
                    problems.push(format!("{kernel}: init was killed by signal {n} ({name})"));
                }
                (Some(_), Some(InitEnd::Status(_))) => {}
            }
        }
        RunOutcome {
            figures: self.figures,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::QemuExit;

    fn fig(name: &str, value: u64) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit: None,
        }
    }

    #[test]
    fn figures() {
        assert_eq!(
            parse_figure("bench: syscall_null | 412"),
            Some(fig("syscall_null", 412))
        );
        assert_eq!(
            parse_figure("bench: fork_exit K=1024 | 115855\r"),
            Some(fig("fork_exit K=1024", 115_855))
        );
        assert_eq!(
            parse_figure("bench: pool get+put, on-page header, 1 page | 366 cycles"),
            Some(Figure {
                name: "pool get+put, on-page header, 1 page".into(),
                value: 366,
                unit: Some("cycles".into())
            })
        );
        // A name may contain ` | `-free punctuation; the value is after the last bar.
        assert_eq!(parse_figure("bench: a|b | 7").unwrap().name, "a|b");
        for not in [
            "bench: starting (TSC counts guest instructions under -icount)",
            "bench: done",
            "bench: x | ",
            "bench: x | -3",
            "bench: x | 12 cycles extra",
            "bench:  | 3",
            "xbench: x | 3",
            "bench: error: fork: Resource temporarily unavailable",
        ] {
            assert_eq!(parse_figure(not), None, "{not}");
        }
    }

    #[test]
    fn runner_lines() {
        assert_eq!(
            parse_runner_line("benchrun: running fork_exit"),
            Some(RunnerLine::Running("fork_exit"))
        );
        assert_eq!(
            parse_runner_line("benchrun: pipe_pingpong FAILED (killed by signal 11 (SIGSEGV))"),
            Some(RunnerLine::Failed {
                program: "pipe_pingpong",
                why: "killed by signal 11 (SIGSEGV)"
            })
        );
        assert_eq!(
            parse_runner_line("benchrun: done, 4 ran, 1 failed"),
            Some(RunnerLine::Done { ran: 4, failed: 1 })
        );
        assert_eq!(parse_runner_line("benchrun: done, x ran, 1 failed"), None);
        assert_eq!(parse_runner_line("bench: a | 1"), None);
    }

    const OFF: BootEnd = BootEnd::Exited(QemuExit::Success);

    fn feed(lines: &[&str]) -> RunLog {
        let mut log = RunLog::new();
        for l in lines {
            log.on_line(l);
        }
        log
    }

    #[test]
    fn clean_ferrite_run() {
        let log = feed(&[
            "[    0.1] info  ferrite: command line: `mode=user -- /bin/benchrun`",
            "benchrun: running fork_exec",
            "bench: fork_exec | 250000",
            "benchrun: running syscall_null",
            "bench: syscall_null | 400",
            "benchrun: done, 2 ran, 0 failed",
            "ferrite: init exited with status 0",
        ]);
        let out = log.finish(OFF, "Ferrite");
        assert!(out.clean(), "{:?}", out.problems);
        assert_eq!(
            out.figures,
            [fig("fork_exec", 250_000), fig("syscall_null", 400)]
        );
    }

    #[test]
    fn clean_linux_run_and_a_failing_program() {
        let log = feed(&[
            "benchrun: running a",
            "bench: a | 1",
            "benchrun: running b",
            "bench: error: fork: Cannot allocate memory",
            "benchrun: b FAILED (exit status 1)",
            "benchrun: done, 2 ran, 1 failed",
            "init: /bin/benchrun exited with status 1",
            "init: exit status 1",
            "reboot: Power down",
        ]);
        let out = log.finish(BootEnd::Exited(QemuExit::Reset), "Linux");
        assert_eq!(out.figures, [fig("a", 1)]);
        assert_eq!(out.problems, ["Linux: b failed (exit status 1)"]);
    }

    #[test]
    fn panics_timeouts_and_silent_ends_name_the_program() {
        let out = feed(&[
            "benchrun: running fork_exit",
            "panicked at kernel/src/x.rs:1:1:",
        ])
        .finish(BootEnd::Exited(QemuExit::Failure), "Ferrite");
        assert_eq!(
            out.problems,
            ["Ferrite: the kernel panicked while fork_exit was running"]
        );
        let out = feed(&[
            "benchrun: running fork_exit",
            "[ 9.1] Kernel panic - not syncing: Out of memory and no killable processes...",
        ])
        .finish(BootEnd::Exited(QemuExit::Reset), "Linux");
        assert_eq!(
            out.problems,
            ["Linux: the kernel panicked while fork_exit was running"]
        );
        let out = feed(&["benchrun: running fork_exit"])
            .finish(BootEnd::BootTimeout { secs: 60 }, "Ferrite");
        assert_eq!(
            out.problems,
            [
                "Ferrite: whole-boot timeout of 60 s hit, killed by runner while fork_exit was running"
            ]
        );
        let out = feed(&["bench: a | 1"]).finish(OFF, "Ferrite");
        assert!(
            out.problems[0].contains("never finished"),
            "{:?}",
            out.problems
        );
        let out = feed(&["benchrun: done, 0 ran, 0 failed"]).finish(OFF, "Linux");
        assert!(
            out.problems[0].contains("init's end was not reported"),
            "{:?}",
            out.problems
        );
        let out = feed(&[
            "benchrun: done, 0 ran, 0 failed",
            "ferrite: init killed by signal 9 (SIGKILL)",
        ])
        .finish(OFF, "Ferrite");
        assert_eq!(
            out.problems,
            ["Ferrite: init was killed by signal 9 (SIGKILL)"]
        );
    }

    #[test]
    fn miscounted_and_duplicate_figures_are_problems() {
        let out = feed(&[
            "bench: a | 1",
            "bench: a | 2",
            "benchrun: done, 1 ran, 1 failed",
            "init: exit status 1",
        ])
        .finish(OFF, "Linux");
        assert_eq!(
            out.problems,
            [
                "Linux: the figure `a` was printed twice",
                "Linux: the runner counted 1 failures but printed 0"
            ]
        );
    }
}
