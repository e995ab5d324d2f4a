//! The process side of `test --user`: one boot in `mode=user` whose
//! `/init` runs `/bin/testrun [FILTER]`, its serial output pumped through
//! the [`Console`] and the [`UserSuite`] driver, under the silence timeout
//! (`--test-timeout`) and the whole-boot timeout (`--timeout`); then the
//! failure list, the summary lines and `--summary FILE`.
//!
//! Unlike the kernel suite there is no reboot-and-resume: a kernel panic
//! or a hang ends the run (see [`crate::usuite`]).

use std::time::{Duration, Instant};

use crate::cli::Options;
use crate::console::Console;
use crate::error::{Error, Result};
use crate::ktest::BootEnd;
use crate::protocol::{KernelCmdline, Mode};
use crate::qemu::Output;
use crate::runner::{check_qemu_started, prepare, spawn};
use crate::usuite::{Report, UserSuite};

/// Where testrun is packed (from `--userland DIR/testrun`).
pub const TESTRUN: &str = "/bin/testrun";

/// `/init`'s arguments for the suite (pure).
pub fn init_args(filter: Option<&str>) -> Vec<String> {
    let mut args = vec![TESTRUN.to_string()];
    args.extend(filter.map(str::to_string));
    args
}

/// The `--summary FILE` contents (pure).
pub fn summary_file(report: &Report) -> String {
    let s = report.summary;
    format!(
        "passed={}\nfailed={}\nskipped={}\n",
        s.passed, s.failed, s.skipped
    )
}

/// `ferrite-boot test --user`. Returns the exit code.
pub fn run(opts: &Options) -> Result<u8> {
    let machine = prepare(opts)?;
    if !machine
        .initramfs
        .as_ref()
        .is_some_and(|i| i.contains(TESTRUN))
    {
        return Err(Error::usage(format!(
            "the initramfs has no {TESTRUN}: --userland DIR must hold the `testrun` binary \
             (build the userland crates first)"
        )));
    }
    let args = init_args(opts.filter.as_deref());
    let cmdline = KernelCmdline {
        mode: Mode::User,
        log: opts.log.as_deref(),
        filter: None,
        skip: None,
        test_timeout_ms: None,
        verbose: opts.verbose,
        extra: &opts.cmdline_extra,
        init_args: &args,
    }
    .render();

    let mut console = Console::new(std::io::stdout(), &opts.kernel);
    let mut suite = UserSuite::new();
    let silence = Duration::from_secs(opts.test_timeout());
    let mut session = spawn(&machine, opts, cmdline)?;
    let start = Instant::now();
    let boot_deadline = opts.timeout_secs.map(|s| start + Duration::from_secs(s));
    let mut anchor = start;
    let end = loop {
        let deadline = boot_deadline.map_or(anchor + silence, |b| b.min(anchor + silence));
        let progress = match session.next(deadline)? {
            Some(Output::Line(l)) => {
                console.line(&l);
                suite.on_line(&l)
            }
            Some(Output::Partial(p)) => {
                console.partial(&p);
                suite.on_partial(&p)
            }
            Some(Output::Exited(e)) => {
                check_qemu_started(&session, e)?;
                break BootEnd::Exited(e);
            }
            None => {
                session.kill();
                break match (boot_deadline, opts.timeout_secs) {
                    (Some(b), Some(secs)) if Instant::now() >= b => BootEnd::BootTimeout { secs },
                    _ => BootEnd::TestTimeout {
                        secs: opts.test_timeout(),
                    },
                };
            }
        };
        if progress {
            anchor = Instant::now();
        }
    };
    drop(session);
    console.end_partial();

    let report = suite.finish(end, opts.filter.as_deref());
    for m in &report.messages {
        console.message(m);
    }
    let failed = suite.failed_checks();
    if !failed.is_empty() {
        console.message("user: failed checks:");
        for path in &failed {
            console.message(&format!("    {path}"));
        }
    }
    if let Some(file) = &opts.summary {
        std::fs::write(file, summary_file(&report))
            .map_err(|e| Error::io(format!("writing the summary to {}", file.display()), e))?;
    }
    let s = report.summary;
    console.message(&format!(
        "user suite (Ferrite): {} passed, {} failed, {} skipped",
        s.passed, s.failed, s.skipped
    ));
    console.message(&format!("{} passed, {} failed", s.passed, s.failed));
    Ok(if report.success { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ktest::BootEnd;
    use crate::qemu::QemuExit;

    #[test]
    fn testrun_arguments() {
        assert_eq!(init_args(None), ["/bin/testrun"]);
        assert_eq!(init_args(Some("fork")), ["/bin/testrun", "fork"]);
        // They reach the kernel as `-- /bin/testrun fork`.
        let args = init_args(Some("user::pipe"));
        let line = KernelCmdline {
            mode: Mode::User,
            log: None,
            filter: None,
            skip: None,
            test_timeout_ms: None,
            verbose: false,
            extra: &[],
            init_args: &args,
        }
        .render();
        assert_eq!(line, "mode=user -- /bin/testrun user::pipe");
    }

    #[test]
    fn summary_file_format() {
        let mut s = UserSuite::new();
        for l in [
            "test user::a::x ... ok",
            "test user::a::y ... FAILED",
            "test user::a::z ... skipped (Ferrite only)",
            "user: 1 passed, 1 failed, 1 skipped",
            "ferrite: init exited with status 1",
        ] {
            s.on_line(l);
        }
        let r = s.finish(BootEnd::Exited(QemuExit::Success), None);
        assert_eq!(summary_file(&r), "passed=1\nfailed=1\nskipped=1\n");
    }
}
