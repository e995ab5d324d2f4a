//! Running a test program's checks: the command line, one isolated child per
//! check, time limits, and the verdicts.
//!
//! Algorithm (per check):
//!   1. make a close-on-exec pipe for the failure reason; flush stdout;
//!   2. fork; the child puts itself in a new process group (setpgid(0, 0);
//!      the parent does the same for it, whichever runs first), runs the
//!      check, writes `Err(reason)` into the pipe and exits 1, or exits 0;
//!      a panic hook also writes the panic message before the abort;
//!   3. the parent polls waitpid(WNOHANG) with a short, growing nanosleep
//!      (1/8 ms doubling to 8 ms), draining the reason pipe as it goes; when
//!      the time limit passes it kills the whole group with SIGKILL and reaps
//!      the child;
//!   4. whatever the outcome, it kills what is left of the group (children
//!      the check forked and left behind), then judges: exit 0 is a pass;
//!      anything else is a failure with the reason, the status, or both.

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::check::{Check, Helper};
use crate::errno::{errname, errno};
use crate::platform::{self, on_ferrite};
use crate::proc::{WaitStatus, exit_now, pipe_cloexec, write_all};
use crate::report::{Outcome, emit, result_text};

/// Environment variable that makes a test program exit at once with status
/// [`PROBE_EXIT_STATUS`]. Checks that expect an execve of this program to
/// fail set it, so a wrongly successful exec ends quickly and visibly
/// instead of running the whole program again.
pub const PROBE_ENV: &str = "FTEST_EXEC_PROBE";
/// Exit status of a program started with [`PROBE_ENV`] set.
pub const PROBE_EXIT_STATUS: i32 = 99;

/// Write end of the current check's reason pipe, in the check child only.
static REASON_FD: AtomicI32 = AtomicI32::new(-1);

/// Called in processes a check forks: their panics must not be taken for
/// the check's own reason.
pub(crate) fn forget_reason_fd() {
    REASON_FD.store(-1, Ordering::Relaxed);
}

/// Exits at once with [`PROBE_EXIT_STATUS`] if [`PROBE_ENV`] is set. Every
/// test program does this first thing (through [`main`]); a multi-call
/// binary does it before choosing a program, so a probe exec ends quickly
/// even when it names no program.
pub fn exit_if_probe() {
    if std::env::var_os(PROBE_ENV).is_some() {
        exit_now(PROBE_EXIT_STATUS);
    }
}

/// Runs the program's checks according to the command line and exits.
pub fn main(prog: &str, checks: &[Check]) -> ! {
    main_with_helpers(prog, checks, &[])
}

/// As [`main`], with helper entries reachable through `--helper NAME ARGS...`.
pub fn main_with_helpers(prog: &str, checks: &[Check], helpers: &[Helper]) -> ! {
    let args: Vec<String> = std::env::args().collect();
    platform::init(prog, args.first().map(String::as_str));
    exit_if_probe();
    let usage = format!("usage: {prog} [FILTER] | --list | --helper NAME ARGS...\n");
    match args.get(1).map(String::as_str) {
        Some("--list") => {
            let names: String = checks
                .iter()
                .map(|c| format!("{}\n", full_name(prog, c)))
                .collect();
            emit(&names);
            exit_now(0);
        }
        Some("--helper") => {
            let name = args.get(2).map_or("", String::as_str);
            match helpers.iter().find(|h| h.name == name) {
                Some(helper) => {
                    let code = (helper.run)(&args[3..]);
                    let _ = std::io::stdout().flush();
                    exit_now(code);
                }
                None => {
                    write_all(2, format!("{prog}: no helper named {name:?}\n").as_bytes());
                    exit_now(2);
                }
            }
        }
        Some(opt) if opt.starts_with("--") || args.len() > 2 => {
            write_all(2, usage.as_bytes());
            exit_now(2);
        }
        filter => {
            let failed = run_checks(prog, checks, filter.unwrap_or(""));
            exit_now(if failed == 0 { 0 } else { 1 });
        }
    }
}

fn full_name(prog: &str, check: &Check) -> String {
    format!("user::{prog}::{}", check.name)
}

/// Runs the checks whose full name contains `filter`; returns the number
/// that failed.
fn run_checks(prog: &str, checks: &[Check], filter: &str) -> usize {
    let mut failed = 0;
    for check in checks {
        let name = full_name(prog, check);
        if !name.contains(filter) {
            continue;
        }
        let outcome = if check.ferrite_only && !on_ferrite() {
            Outcome::Skipped
        } else {
            run_isolated(check)
        };
        if matches!(outcome, Outcome::Failed(_)) {
            failed += 1;
        }
        emit(&result_text(&name, &outcome));
    }
    failed
}

/// Runs one check in a forked child in its own process group (see the
/// module comment for the algorithm).
fn run_isolated(check: &Check) -> Outcome {
    let (rd, wr) = match pipe_cloexec() {
        Ok(fds) => fds,
        Err(e) => return Outcome::Failed(format!("harness: {e}")),
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: single-threaded program; the child runs the check and exits.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        let e = errno();
        // SAFETY: fork failed, so both pipe ends are ours alone and unused.
        unsafe {
            libc::close(rd);
            libc::close(wr);
        }
        return Outcome::Failed(format!("harness: fork failed: {}", errname(e)));
    }
    if pid == 0 {
        run_in_child(check, rd, wr);
    }
    // SAFETY: plain calls on our own descriptors and our own child.
    unsafe {
        libc::setpgid(pid, pid);
        libc::close(wr);
        libc::fcntl(rd, libc::F_SETFL, libc::O_NONBLOCK);
    }
    let mut reason = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(u64::from(check.timeout_secs));
    let mut nap = Duration::from_micros(125);
    let mut status = 0;
    let timed_out = loop {
        drain(rd, &mut reason);
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break false;
        }
        if r == -1 && errno() != libc::EINTR {
            let e = errno();
            // SAFETY: rd is our read end, not used after this return.
            unsafe { libc::close(rd) };
            return Outcome::Failed(format!("harness: waitpid failed: {}", errname(e)));
        }
        if Instant::now() >= deadline {
            // SAFETY: the child and its group are ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            break true;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(8));
    };
    drain(rd, &mut reason);
    // SAFETY: kills stragglers the check left in its process group.
    unsafe {
        libc::close(rd);
        libc::kill(-pid, libc::SIGKILL);
    }
    judge(check, timed_out, WaitStatus::from_raw(status), &reason)
}

/// The check child: new process group, panic hook, run, report, exit.
fn run_in_child(check: &Check, rd: i32, wr: i32) -> ! {
    // SAFETY: setpgid and close on our own process and descriptor.
    unsafe {
        libc::setpgid(0, 0);
        libc::close(rd);
    }
    REASON_FD.store(wr, Ordering::Relaxed);
    std::panic::set_hook(Box::new(|info| {
        let text = format!("{info}\n");
        let fd = REASON_FD.load(Ordering::Relaxed);
        if fd >= 0 {
            write_all(fd, text.as_bytes());
        } else {
            write_all(2, text.as_bytes());
        }
    }));
    let code = match (check.run)() {
        Ok(()) => 0,
        Err(reason) => {
            write_all(wr, reason.as_bytes());
            1
        }
    };
    let _ = std::io::stdout().flush();
    exit_now(code)
}

/// Reads what is available on the non-blocking reason pipe.
fn drain(fd: i32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 1024];
    loop {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// The verdict from how the child ended and what it said.
fn judge(check: &Check, timed_out: bool, status: WaitStatus, reason: &[u8]) -> Outcome {
    let reason = String::from_utf8_lossy(reason).trim_end().to_string();
    let with_reason = |what: String| {
        if reason.is_empty() {
            what
        } else {
            format!("{reason}\n({what})")
        }
    };
    if timed_out {
        return Outcome::Failed(with_reason(format!(
            "timed out after {} s",
            check.timeout_secs
        )));
    }
    match status {
        WaitStatus::Exited(0) if reason.is_empty() => Outcome::Passed,
        WaitStatus::Exited(1) if !reason.is_empty() => Outcome::Failed(reason),
        WaitStatus::Exited(code) if reason.is_empty() => {
            Outcome::Failed(format!("exited with status {code} without giving a reason"))
        }
        other => Outcome::Failed(with_reason(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Result<(), String> {
        Ok(())
    }

    fn check() -> Check {
        Check::new("c", ok).timeout(3)
    }

    #[test]
    fn judges_every_way_a_child_ends() {
        let c = check();
        assert_eq!(
            judge(&c, false, WaitStatus::Exited(0), b""),
            Outcome::Passed
        );
        assert_eq!(
            judge(&c, false, WaitStatus::Exited(1), b"x.rs:3: bad\n"),
            Outcome::Failed("x.rs:3: bad".into())
        );
        assert_eq!(
            judge(&c, false, WaitStatus::Exited(3), b""),
            Outcome::Failed("exited with status 3 without giving a reason".into())
        );
        assert_eq!(
            judge(&c, false, WaitStatus::Signaled(11), b""),
            Outcome::Failed("killed by signal 11 (SIGSEGV)".into())
        );
        assert_eq!(
            judge(
                &c,
                false,
                WaitStatus::Signaled(6),
                b"panicked at x.rs:1:1:\nboom"
            ),
            Outcome::Failed("panicked at x.rs:1:1:\nboom\n(killed by signal 6 (SIGABRT))".into())
        );
        assert_eq!(
            judge(&c, true, WaitStatus::Signaled(9), b""),
            Outcome::Failed("timed out after 3 s".into())
        );
    }

    fn fails() -> Result<(), String> {
        Err("nope".into())
    }

    fn crashes() -> Result<(), String> {
        // SAFETY: deliberately ends this (forked) process by a signal.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::raise(libc::SIGTERM);
        }
        Ok(())
    }

    fn hangs() -> Result<(), String> {
        loop {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn leaves_a_child() -> Result<(), String> {
        crate::proc::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(50));
            }
        })?;
        Ok(())
    }

    // The isolation itself, on the host: each way of ending becomes a
    // verdict, a hanging check is killed at its time limit, and a child a
    // check leaves behind dies with its process group.
    #[test]
    fn isolates_checks_in_children() {
        assert_eq!(run_isolated(&Check::new("ok", ok)), Outcome::Passed);
        assert_eq!(
            run_isolated(&Check::new("fails", fails)),
            Outcome::Failed("nope".into())
        );
        assert_eq!(
            run_isolated(&Check::new("crashes", crashes)),
            Outcome::Failed("killed by signal 15 (SIGTERM)".into())
        );
        let start = Instant::now();
        assert_eq!(
            run_isolated(&Check::new("hangs", hangs).timeout(1)),
            Outcome::Failed("timed out after 1 s".into())
        );
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(
            run_isolated(&Check::new("leaves", leaves_a_child)),
            Outcome::Passed
        );
    }
}
