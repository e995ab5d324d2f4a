//! `user::sigjob`: job control and signals between processes. Stop
//! signals stop the whole process and SIGCONT continues it; the parent
//! sees both through wait4 (WUNTRACED, WCONTINUED, Linux's status words)
//! and waitid, and through SIGCHLD with the right si_code unless
//! SA_NOCLDSTOP or SA_NOCLDWAIT say otherwise. Stop signals and SIGCONT
//! cancel each other while pending. Signals reach a process group, or
//! every process but init and the sender; dispositions, the mask and the
//! alternate stack survive fork (pending signals do not), and exec resets
//! caught signals but keeps ignored ones, the mask and pending signals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ftest::proc::{WaitStatus, in_child, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, helpers, on_ferrite, sys};
use utests::clock::{mono, sleep_ms};
use utests::fd::{close, pipe, read_exact, read_some, read_to_end, write_all};
use utests::mem::{Mapping, PAGE};
use utests::sigctx::{
    self, KSigaction, Log, SA_RESTORER, bit, code, current_mask, getpid, install, kill, kill_self,
    sigaltstack, sigprocmask,
};

const CHECKS: &[ftest::Check] = checks![
    sigstop_and_sigcont_are_reported_by_wait4,
    every_stop_signal_stops_and_waitid_reports_it,
    stopped_process_does_not_run_until_continued,
    stopped_process_keeps_sigterm_pending_until_continued,
    sigkill_ends_a_stopped_process_with_cld_killed,
    sigchld_reports_exit_kill_stop_and_continue,
    sa_nocldstop_silences_stops_and_continues,
    sa_nocldwait_reaps_children_but_still_signals,
    caught_sigcont_runs_its_handler_after_continuing,
    caught_stop_signal_does_not_stop,
    pending_stop_and_continue_signals_cancel_each_other,
    kill_to_a_group_reaches_every_members_handler,
    kill_minus_1_spares_init_and_the_caller,
    fork_child_inherits_actions_mask_and_altstack_but_no_pending,
    exec_resets_caught_keeps_ignored_mask_and_pending,
];

const HELPERS: &[ftest::Helper] = helpers![show_sigstate];

pub fn main() {
    ftest::main_with_helpers("sigjob", CHECKS, HELPERS)
}

/// waitpid(pid, options), retrying EINTR: (pid returned, status).
fn wait_opts(pid: libc::pid_t, options: i32) -> Result<(libc::pid_t, i32), String> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, options) };
        if r == -1 && ftest::errno() == libc::EINTR {
            continue;
        }
        sys(r as i64, "waitpid")?;
        return Ok((r, status));
    }
}

/// waitid(P_PID, pid, options): (si_code, si_status, si_pid).
fn waitid(pid: libc::pid_t, options: i32) -> Result<(i32, i32, i32), String> {
    let mut si = [0u8; 128];
    loop {
        // SAFETY: a 128-byte siginfo buffer; no rusage.
        let r = unsafe {
            libc::syscall(
                libc::SYS_waitid,
                libc::P_PID,
                pid,
                si.as_mut_ptr(),
                options,
                0usize,
            )
        };
        if r == -1 && ftest::errno() == libc::EINTR {
            continue;
        }
        sys(r, "waitid")?;
        let i = sigctx::Info::from_bytes(&si);
        return Ok((i.head().2, i.status(), i.pid()));
    }
}

/// A child blocked reading a pipe; it exits 0 if it reads one byte `x`
/// (the read restarts across stops), 1 otherwise. Returns (pid, write end).
fn reader_child() -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        match read_some(rd, &mut b) {
            Ok(1) if b[0] == b'x' => 0,
            _ => 1,
        }
    })?;
    close(rd);
    Ok((pid, wr))
}

/// Wait-status words (Linux's encoding).
fn stopped_word(sig: i32) -> i32 {
    (sig << 8) | 0x7f
}
const CONTINUED_WORD: i32 = 0xffff;

fn sigstop_and_sigcont_are_reported_by_wait4() -> CheckResult {
    let (pid, wr) = reader_child()?;
    sleep_ms(20);
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    let (r, st) = wait_opts(pid, libc::WUNTRACED)?;
    ensure_eq!(
        (r, st),
        (pid, stopped_word(libc::SIGSTOP)),
        "wait4(WUNTRACED)"
    );
    check!(libc::WIFSTOPPED(st) && libc::WSTOPSIG(st) == libc::SIGSTOP);
    // Reported once.
    let (r, _) = wait_opts(pid, libc::WUNTRACED | libc::WNOHANG)?;
    ensure_eq!(r, 0, "the stop reported twice");
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    let (r, st) = wait_opts(pid, libc::WCONTINUED)?;
    ensure_eq!((r, st), (pid, CONTINUED_WORD), "wait4(WCONTINUED)");
    check!(libc::WIFCONTINUED(st));
    // The read it was blocked in goes on as if nothing happened.
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn every_stop_signal_stops_and_waitid_reports_it() -> CheckResult {
    let (pid, wr) = reader_child()?;
    for sig in [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        sys(kill(pid, sig), "kill")?;
        let got = waitid(pid, libc::WSTOPPED)?;
        ensure_eq!(
            got,
            (code::CLD_STOPPED, sig, pid),
            "waitid(WSTOPPED) after {sig}"
        );
        sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
        let got = waitid(pid, libc::WCONTINUED)?;
        ensure_eq!(
            got,
            (code::CLD_CONTINUED, libc::SIGCONT, pid),
            "waitid(WCONTINUED)"
        );
    }
    write_all(wr, b"x")?;
    close(wr);
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn stopped_process_does_not_run_until_continued() -> CheckResult {
    let shared = Mapping::shared(PAGE)?;
    let counter = shared.addr as *mut u64;
    let c = counter as usize;
    let pid = spawn(move || {
        let p = c as *mut u64;
        loop {
            // SAFETY: the shared page outlives the child.
            unsafe { std::ptr::write_volatile(p, std::ptr::read_volatile(p) + 1) };
        }
    })?;
    // SAFETY: the shared page, read by us while the child writes it.
    let read = || unsafe { std::ptr::read_volatile(counter) };
    let start = mono()?;
    while read() == 0 && mono()? - start < Duration::from_secs(5) {
        sleep_ms(1);
    }
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    wait_opts(pid, libc::WUNTRACED)?;
    let frozen = read();
    sleep_ms(50);
    ensure_eq!(read(), frozen, "the counter moved while stopped");
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    let start = mono()?;
    while read() == frozen && mono()? - start < Duration::from_secs(5) {
        sleep_ms(1);
    }
    check!(read() > frozen, "the counter did not move after SIGCONT");
    sys(kill(pid, libc::SIGKILL), "kill")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    Ok(())
}

fn stopped_process_keeps_sigterm_pending_until_continued() -> CheckResult {
    let (pid, wr) = reader_child()?;
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    wait_opts(pid, libc::WUNTRACED)?;
    sys(kill(pid, libc::SIGTERM), "kill(SIGTERM)")?;
    sleep_ms(50);
    let (r, _) = wait_opts(pid, libc::WNOHANG)?;
    ensure_eq!(r, 0, "a stopped process died of SIGTERM");
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGTERM));
    close(wr);
    Ok(())
}

/// SIGCHLD records: code << 40 | status << 32 | pid.
static CHLD: Log = Log::new();

extern "C" fn on_sigchld(_: i32, si: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    let code = si.head().2 as u64 & 0xff;
    let status = si.status() as u64 & 0xff;
    CHLD.push((code << 40) | (status << 32) | si.pid() as u32 as u64);
}

fn chld(code: i32, status: i32, pid: libc::pid_t) -> u64 {
    ((code as u64) << 40) | ((status as u64) << 32) | pid as u32 as u64
}

/// Waits (up to 5 s) until the SIGCHLD log has `n` records.
fn await_chld(n: usize) -> Result<Vec<u64>, String> {
    let start = mono()?;
    while CHLD.items().len() < n && mono()? - start < Duration::from_secs(5) {
        sleep_ms(1);
    }
    Ok(CHLD.items())
}

fn show(log: &[u64]) -> String {
    log.iter()
        .map(|w| {
            format!(
                "(code {} status {} pid {})",
                w >> 40,
                (w >> 32) & 0xff,
                w & 0xffff_ffff
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn sigkill_ends_a_stopped_process_with_cld_killed() -> CheckResult {
    install(libc::SIGCHLD, on_sigchld, libc::SA_RESTART, &[])?;
    let (pid, wr) = reader_child()?;
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    wait_opts(pid, libc::WUNTRACED)?;
    await_chld(1)?;
    sys(kill(pid, libc::SIGKILL), "kill(SIGKILL)")?;
    let log = await_chld(2)?;
    ensure_eq!(
        log,
        vec![
            chld(code::CLD_STOPPED, libc::SIGSTOP, pid),
            chld(code::CLD_KILLED, libc::SIGKILL, pid)
        ],
        "SIGCHLD records: {}",
        show(&log)
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    close(wr);
    Ok(())
}

fn sigchld_reports_exit_kill_stop_and_continue() -> CheckResult {
    install(libc::SIGCHLD, on_sigchld, libc::SA_RESTART, &[])?;
    let a = spawn(|| 7)?;
    await_chld(1)?;
    ensure_eq!(wait_pid(a)?, WaitStatus::Exited(7));
    let (b, wb) = reader_child()?;
    sys(kill(b, libc::SIGTERM), "kill(SIGTERM)")?;
    await_chld(2)?;
    ensure_eq!(wait_pid(b)?, WaitStatus::Signaled(libc::SIGTERM));
    let (c, wc) = reader_child()?;
    sys(kill(c, libc::SIGTSTP), "kill(SIGTSTP)")?;
    await_chld(3)?;
    sys(kill(c, libc::SIGCONT), "kill(SIGCONT)")?;
    let log = await_chld(4)?;
    ensure_eq!(
        log,
        vec![
            chld(code::CLD_EXITED, 7, a),
            chld(code::CLD_KILLED, libc::SIGTERM, b),
            chld(code::CLD_STOPPED, libc::SIGTSTP, c),
            chld(code::CLD_CONTINUED, libc::SIGCONT, c),
        ],
        "SIGCHLD records: {}",
        show(&log)
    );
    write_all(wc, b"x")?;
    ensure_eq!(wait_pid(c)?, WaitStatus::Exited(0));
    close(wb);
    close(wc);
    Ok(())
}

fn sa_nocldstop_silences_stops_and_continues() -> CheckResult {
    install(
        libc::SIGCHLD,
        on_sigchld,
        libc::SA_RESTART | libc::SA_NOCLDSTOP,
        &[],
    )?;
    let (pid, wr) = reader_child()?;
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    let (_, st) = wait_opts(pid, libc::WUNTRACED)?;
    ensure_eq!(st, stopped_word(libc::SIGSTOP), "the stop happened");
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    let (_, st) = wait_opts(pid, libc::WCONTINUED)?;
    ensure_eq!(st, CONTINUED_WORD, "the continue happened");
    sleep_ms(30);
    ensure_eq!(CHLD.items(), vec![], "SIGCHLD for a stop or continue");
    write_all(wr, b"x")?;
    let log = await_chld(1)?;
    ensure_eq!(
        log,
        vec![chld(code::CLD_EXITED, 0, pid)],
        "the exit still signals"
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    close(wr);
    Ok(())
}

fn sa_nocldwait_reaps_children_but_still_signals() -> CheckResult {
    install(
        libc::SIGCHLD,
        on_sigchld,
        libc::SA_RESTART | libc::SA_NOCLDWAIT,
        &[],
    )?;
    let pid = spawn(|| 3)?;
    let log = await_chld(1)?;
    ensure_eq!(log, vec![chld(code::CLD_EXITED, 3, pid)], "SIGCHLD records");
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(-1, &mut status, 0) };
    expect_errno(
        r as i64,
        libc::ECHILD,
        "wait after an SA_NOCLDWAIT child exited",
    )?;
    expect_errno(kill(pid, 0), libc::ESRCH, "the child is gone")
}

static PIPE_OUT: AtomicU64 = AtomicU64::new(0);

/// Writes the first letter of its signal's role to the pipe.
extern "C" fn tell(sig: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let b: &[u8] = match sig {
        libc::SIGCONT => b"c",
        libc::SIGTSTP => b"t",
        _ => b"?",
    };
    // SAFETY: write is async-signal-safe; one byte of a static.
    unsafe { libc::write(PIPE_OUT.load(Ordering::SeqCst) as i32, b.as_ptr().cast(), 1) };
}

/// A child that installs `tell` for `sig`, says "r", then pauses forever.
/// Returns (pid, read end).
fn telling_child(sig: i32) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(rd);
        PIPE_OUT.store(wr as u64, Ordering::SeqCst);
        if install(sig, tell, libc::SA_RESTART, &[]).is_err() {
            return 2;
        }
        let _ = write_all(wr, b"r");
        loop {
            // SAFETY: pause has no arguments.
            unsafe { libc::pause() };
        }
    })?;
    close(wr);
    let mut b = [0u8; 1];
    read_exact(rd, &mut b)?;
    ensure_eq!(b[0], b'r', "the child's ready byte");
    Ok((pid, rd))
}

fn caught_sigcont_runs_its_handler_after_continuing() -> CheckResult {
    let (pid, rd) = telling_child(libc::SIGCONT)?;
    sys(kill(pid, libc::SIGSTOP), "kill(SIGSTOP)")?;
    wait_opts(pid, libc::WUNTRACED)?;
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    let mut b = [0u8; 1];
    read_exact(rd, &mut b)?;
    ensure_eq!(b[0], b'c', "the SIGCONT handler ran");
    let (r, st) = wait_opts(pid, libc::WCONTINUED)?;
    ensure_eq!((r, st), (pid, CONTINUED_WORD));
    sys(kill(pid, libc::SIGKILL), "kill")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    close(rd);
    Ok(())
}

fn caught_stop_signal_does_not_stop() -> CheckResult {
    let (pid, rd) = telling_child(libc::SIGTSTP)?;
    sys(kill(pid, libc::SIGTSTP), "kill(SIGTSTP)")?;
    let mut b = [0u8; 1];
    read_exact(rd, &mut b)?;
    ensure_eq!(b[0], b't', "the SIGTSTP handler ran");
    sleep_ms(20);
    let (r, _) = wait_opts(pid, libc::WUNTRACED | libc::WNOHANG)?;
    ensure_eq!(r, 0, "the child stopped");
    sys(kill(pid, libc::SIGKILL), "kill")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    close(rd);
    Ok(())
}

fn pending_stop_and_continue_signals_cancel_each_other() -> CheckResult {
    // The child blocks SIGTSTP and SIGCONT and reports its pending set on
    // request ('p'), until told to quit ('q').
    let (cmd_rd, cmd_wr) = pipe()?;
    let (rep_rd, rep_wr) = pipe()?;
    let pid = spawn(move || {
        close(cmd_wr);
        close(rep_rd);
        if sigprocmask(
            libc::SIG_BLOCK,
            Some(bit(libc::SIGTSTP) | bit(libc::SIGCONT)),
        )
        .is_err()
        {
            return 2;
        }
        let _ = write_all(rep_wr, b"r");
        let mut b = [0u8; 1];
        loop {
            match read_some(cmd_rd, &mut b) {
                Ok(1) if b[0] == b'p' => {
                    let _ = write_all(rep_wr, &sigctx::pending().to_le_bytes());
                }
                Ok(1) if b[0] == b'q' => return 0,
                _ => return 3,
            }
        }
    })?;
    close(cmd_rd);
    close(rep_wr);
    let mut r = [0u8; 1];
    read_exact(rep_rd, &mut r)?;
    let ask = || -> Result<u64, String> {
        write_all(cmd_wr, b"p")?;
        let mut w = [0u8; 8];
        read_exact(rep_rd, &mut w)?;
        Ok(u64::from_le_bytes(w))
    };
    let (tstp, cont) = (bit(libc::SIGTSTP), bit(libc::SIGCONT));
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    ensure_eq!(ask()?, cont, "after SIGCONT");
    sys(kill(pid, libc::SIGTSTP), "kill(SIGTSTP)")?;
    ensure_eq!(ask()?, tstp, "SIGTSTP discards the pending SIGCONT");
    sys(kill(pid, libc::SIGCONT), "kill(SIGCONT)")?;
    ensure_eq!(ask()?, cont, "SIGCONT discards the pending SIGTSTP");
    let (w, _) = wait_opts(pid, libc::WUNTRACED | libc::WNOHANG)?;
    ensure_eq!(w, 0, "the child stopped");
    write_all(cmd_wr, b"q")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(0));
    close(cmd_wr);
    close(rep_rd);
    Ok(())
}

/// Records of `report`: pid << 32 | si_pid.
static REPORT_FD: AtomicU64 = AtomicU64::new(0);

extern "C" fn report(_: i32, si: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    let (_, _, code) = si.head();
    let rec = [
        getpid() as u32 as u64,
        si.pid() as u32 as u64,
        code as u32 as u64,
    ];
    let mut bytes = [0u8; 24];
    for (i, v) in rec.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    // SAFETY: write is async-signal-safe.
    unsafe {
        libc::write(
            REPORT_FD.load(Ordering::SeqCst) as i32,
            bytes.as_ptr().cast(),
            24,
        )
    };
}

/// A child with `report` installed for `sig` that joins process group
/// `pgid` (0: a new one) and then waits for signals forever; it says
/// "r" on `ready` first.
fn reporting_child(
    sig: i32,
    pgid: libc::pid_t,
    rep: i32,
    ready: i32,
) -> Result<libc::pid_t, String> {
    spawn(move || {
        REPORT_FD.store(rep as u64, Ordering::SeqCst);
        if install(sig, report, libc::SA_RESTART, &[]).is_err() {
            return 2;
        }
        // SAFETY: moving ourselves into a group of our session.
        unsafe { libc::setpgid(0, pgid) };
        let _ = write_all(ready, b"r");
        loop {
            // SAFETY: no arguments.
            unsafe { libc::pause() };
        }
    })
}

/// Reads 24-byte records until `n` arrived: (pid, si_pid, si_code).
fn read_reports(fd: i32, n: usize) -> Result<Vec<(u64, u64, i32)>, String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let mut b = [0u8; 24];
        read_exact(fd, &mut b)?;
        let w = |i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8"));
        out.push((w(0), w(1), w(2) as u32 as i32));
    }
    out.sort();
    Ok(out)
}

fn kill_to_a_group_reaches_every_members_handler() -> CheckResult {
    let (rep_rd, rep_wr) = pipe()?;
    let (ready_rd, ready_wr) = pipe()?;
    let a = reporting_child(libc::SIGUSR1, 0, rep_wr, ready_wr)?;
    // SAFETY: our child, into a new group.
    unsafe { libc::setpgid(a, a) };
    let b = reporting_child(libc::SIGUSR1, a, rep_wr, ready_wr)?;
    // SAFETY: our child, into an existing group of our session.
    unsafe { libc::setpgid(b, a) };
    let outsider = reporting_child(libc::SIGUSR1, getpid(), rep_wr, ready_wr)?;
    let mut r = [0u8; 3];
    read_exact(ready_rd, &mut r)?;
    sys(kill(-a, libc::SIGUSR1), "kill(-pgid, SIGUSR1)")?;
    let got = read_reports(rep_rd, 2)?;
    let me = getpid() as u64;
    let mut want = vec![(a as u64, me, libc::SI_USER), (b as u64, me, libc::SI_USER)];
    want.sort();
    ensure_eq!(got, want, "(member, si_pid, si_code) records");
    // The outsider heard nothing: its record would be next.
    // SAFETY: fcntl on our own descriptor.
    unsafe { libc::fcntl(rep_rd, libc::F_SETFL, libc::O_NONBLOCK) };
    sleep_ms(20);
    let mut extra = [0u8; 24];
    // SAFETY: extra is valid for writes of 24 bytes.
    let n = unsafe { libc::read(rep_rd, extra.as_mut_ptr().cast(), 24) };
    ensure_eq!(n, -1, "a process outside the group was signalled");
    for p in [a, b, outsider] {
        kill(p, libc::SIGKILL);
        wait_pid(p)?;
    }
    for fd in [rep_rd, rep_wr, ready_rd, ready_wr] {
        close(fd);
    }
    Ok(())
}

/// kill(-1, SIGURG) from a child of ours, with two bystanders (and on
/// Linux a PID-namespace init) holding handlers that report. SIGURG is
/// ignored by default, so the rest of the system (on Ferrite: the test
/// runner too) is unaffected.
fn kill_all_scenario(rep: i32, ready_rd: i32, ready_wr: i32, init: bool) -> i32 {
    let run = || -> Result<i32, String> {
        REPORT_FD.store(rep as u64, Ordering::SeqCst);
        if init {
            // Linux: this process is the namespace's init, and must be
            // spared; it would report if it were not.
            install(libc::SIGURG, report, libc::SA_RESTART, &[])?;
        }
        // SAFETY: no preconditions.
        let group = unsafe { libc::getpgrp() };
        let a = reporting_child(libc::SIGURG, group, rep, ready_wr)?;
        let b = reporting_child(libc::SIGURG, group, rep, ready_wr)?;
        let mut r = [0u8; 2];
        read_exact(ready_rd, &mut r)?;
        let caller = spawn(move || {
            REPORT_FD.store(rep as u64, Ordering::SeqCst);
            if install(libc::SIGURG, report, libc::SA_RESTART, &[]).is_err() {
                return 2;
            }
            if kill(-1, libc::SIGURG) != 0 {
                return 3;
            }
            sleep_ms(50);
            0
        })?;
        let st = wait_pid(caller)?;
        sleep_ms(50);
        for p in [a, b] {
            kill(p, libc::SIGKILL);
            wait_pid(p)?;
        }
        Ok(match st {
            WaitStatus::Exited(c) => c,
            _ => 4,
        })
    };
    run().unwrap_or(5)
}

fn kill_minus_1_spares_init_and_the_caller() -> CheckResult {
    let (rep_rd, rep_wr) = pipe()?;
    let (ready_rd, ready_wr) = pipe()?;
    // On Linux, in a new PID namespace whose init is `holder` (kill(-1)
    // there reaches only the namespace); on Ferrite, among all processes.
    let linux = !on_ferrite();
    if linux {
        // SAFETY: unshare affects the children we fork from now on.
        let r = unsafe { libc::unshare(libc::CLONE_NEWPID) };
        if r != 0 {
            // SAFETY: as above; the user namespace only grants the right to it.
            let r = unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWPID) };
            sys(r as i64, "unshare(CLONE_NEWPID)")?;
        }
    }
    let holder = spawn(move || {
        if linux && getpid() != 1 {
            return 9;
        }
        kill_all_scenario(rep_wr, ready_rd, ready_wr, linux)
    })?;
    close(rep_wr);
    ensure_eq!(wait_pid(holder)?, WaitStatus::Exited(0), "the scenario");
    let got = read_to_end(rep_rd)?;
    close(rep_rd);
    // Two records, from the bystanders (not from init, not from the caller).
    ensure_eq!(got.len(), 48, "reports: {} bytes", got.len());
    let recs: Vec<u64> = got
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8")))
        .collect();
    ensure_eq!(recs[1], recs[4], "both from the same sender");
    ensure_eq!(
        (recs[2] as u32 as i32, recs[5] as u32 as i32),
        (libc::SI_USER, libc::SI_USER)
    );
    check!(
        recs[0] != recs[1] && recs[3] != recs[1],
        "the caller signalled itself"
    );
    Ok(())
}

extern "C" fn count(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    COUNTED.fetch_add(1, Ordering::SeqCst);
}

static COUNTED: AtomicU64 = AtomicU64::new(0);

fn fork_child_inherits_actions_mask_and_altstack_but_no_pending() -> CheckResult {
    install(libc::SIGUSR1, count, libc::SA_RESTART, &[libc::SIGHUP])?;
    let parent_action = sigctx::action_of(libc::SIGUSR1)?;
    sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGUSR2)))?;
    sys(kill_self(libc::SIGUSR2), "kill")?;
    let (sp, size) = sigctx::leak_stack(32 * 1024);
    sys(sigaltstack(Some((sp, 0, size))).0, "sigaltstack")?;
    in_child(move || {
        ensure_eq!(sigctx::pending(), 0, "pending in the child");
        ensure_eq!(current_mask(), bit(libc::SIGUSR2), "mask in the child");
        ensure_eq!(sigctx::action_of(libc::SIGUSR1)?, parent_action, "action");
        let (_, alt) = sigaltstack(None);
        ensure_eq!(
            (alt.ss_sp as usize, alt.ss_size, alt.ss_flags),
            (sp, size, 0)
        );
        sys(kill_self(libc::SIGUSR1), "kill")?;
        ensure_eq!(
            COUNTED.load(Ordering::SeqCst),
            1,
            "the inherited handler ran"
        );
        Ok(())
    })?;
    ensure_eq!(sigctx::pending(), bit(libc::SIGUSR2), "still pending here");
    Ok(())
}

/// Helper: prints the signal state this new program image started with.
fn show_sigstate(_: &[String]) -> i32 {
    let a = |s| sigctx::action_of(s).unwrap_or_default();
    let (usr1, usr2) = (a(libc::SIGUSR1), a(libc::SIGUSR2));
    let (_, alt) = sigaltstack(None);
    println!(
        "usr1 {:#x} {:#x} usr2 {:#x} {:#x} {:#x} mask {:#x} pending {:#x} alt {:#x} {:#x} {:#x}",
        usr1.handler,
        usr1.flags,
        usr2.handler,
        usr2.flags & !SA_RESTORER,
        usr2.mask,
        current_mask(),
        sigctx::pending(),
        alt.ss_flags,
        alt.ss_sp as usize,
        alt.ss_size
    );
    0
}

fn exec_resets_caught_keeps_ignored_mask_and_pending() -> CheckResult {
    let path = std::ffi::CString::new(ftest::self_path()).map_err(|e| e.to_string())?;
    let args = ftest::proc::cstrings(&[ftest::self_path(), "--helper", "show_sigstate"])?;
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let envp: [*const libc::c_char; 1] = [std::ptr::null()];
        let ign = KSigaction {
            handler: libc::SIG_IGN,
            flags: libc::SA_RESTART as u64,
            restorer: 0,
            mask: bit(libc::SIGHUP),
        };
        let ok = install(libc::SIGUSR1, count, libc::SA_RESTART, &[]).is_ok()
            && sigctx::rt_sigaction(libc::SIGUSR2, Some(&ign), None) == 0
            // Ignored fault signals keep std from installing its own
            // handlers and alternate stack in the new image.
            && sigctx::rt_sigaction(libc::SIGSEGV, Some(&ign), None) == 0
            && sigctx::rt_sigaction(libc::SIGBUS, Some(&ign), None) == 0
            && sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGTERM))).is_ok()
            && kill_self(libc::SIGTERM) == 0;
        let (sp, size) = sigctx::leak_stack(16 * 1024);
        sigaltstack(Some((sp, 0, size)));
        if !ok {
            return 2;
        }
        // SAFETY: descriptor juggling, then execve with NULL-terminated
        // arrays of live strings.
        unsafe {
            libc::dup2(wr, 1);
            libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
        }
        127
    })?;
    close(wr);
    let out = String::from_utf8_lossy(&read_to_end(rd)?).into_owned();
    close(rd);
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Exited(0),
        "the helper ({out:?})"
    );
    let term = bit(libc::SIGTERM);
    ensure_eq!(
        out,
        format!(
            "usr1 0x0 0x0 usr2 0x1 0x0 0x0 mask {term:#x} pending {term:#x} alt {:#x} 0x0 0x0\n",
            libc::SS_DISABLE
        ),
        "after exec: caught SIGUSR1 back to the default, ignored SIGUSR2 \
         still ignored (flags and mask cleared), mask and pending kept, \
         no alternate stack"
    );
    Ok(())
}
