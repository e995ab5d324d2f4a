//! `user::signal`: signals without handlers. Default actions (terminate on
//! SIGKILL, SIGTERM, SIGUSR1; the faults SIGSEGV, SIGILL, SIGFPE; ignore
//! SIGCHLD), SIG_IGN, blocking and pending, who kill(2) reaches (a pid, our
//! group, another group), tkill/tgkill, and the rules of rt_sigaction,
//! rt_sigprocmask and sigaltstack. No check relies on a handler running.

use std::time::Duration;

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::clock::{mono, sleep_ms, timespec};
use utests::fd::{close, pipe, read_some};
use utests::sig;

const CHECKS: &[ftest::Check] = checks![
    sigkill_ends_a_process_blocked_in_pipe_read,
    sigterm_default_action_terminates,
    sigusr1_default_action_terminates,
    write_to_address_8_is_sigsegv,
    ud2_is_sigill,
    integer_division_by_zero_is_sigfpe,
    hlt_in_user_mode_is_sigsegv,
    sigchld_is_ignored_by_default,
    sigchld_set_to_sig_ign_reaps_children_itself,
    ignored_signal_is_discarded,
    blocked_signal_stays_pending_until_unblocked,
    pending_signals_are_not_inherited_by_fork_but_the_mask_is,
    kill_0_reaches_our_whole_group_only,
    kill_minus_pgid_reaches_that_group_only,
    kill_with_signal_0_probes_existence,
    kill_errors_einval_and_esrch,
    tkill_and_tgkill_reach_the_thread,
    sigkill_and_sigstop_cannot_be_caught_or_ignored,
    rt_sigaction_returns_the_old_action,
    rt_sigprocmask_block_unblock_setmask,
    sigkill_and_sigstop_cannot_be_blocked,
    sigaltstack_set_query_and_errors,
];

pub fn main() {
    ftest::main("signal", CHECKS)
}

/// A child blocked in read(2) on a pipe nobody writes; `prepare` runs in
/// it first. Returns (pid, write end kept open by us).
fn blocked_child(prepare: fn()) -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        prepare();
        let mut b = [0u8; 1];
        let _ = read_some(rd, &mut b);
        100
    })?;
    close(rd);
    Ok((pid, wr))
}

fn kill(pid: libc::pid_t, signo: i32) -> i64 {
    // SAFETY: raw kill; the checks only signal their own processes.
    unsafe { libc::syscall(libc::SYS_kill, pid, signo) }
}

fn getpid() -> libc::pid_t {
    // SAFETY: no preconditions.
    unsafe { libc::getpid() }
}

fn nothing() {}

/// Kills a blocked child with `signo` and expects it to die of it.
fn blocked_child_dies_of(signo: i32) -> CheckResult {
    let (pid, wr) = blocked_child(nothing)?;
    sleep_ms(20);
    sys(kill(pid, signo), "kill")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(signo));
    close(wr);
    Ok(())
}

fn sigkill_ends_a_process_blocked_in_pipe_read() -> CheckResult {
    blocked_child_dies_of(libc::SIGKILL)
}

fn sigterm_default_action_terminates() -> CheckResult {
    blocked_child_dies_of(libc::SIGTERM)
}

fn sigusr1_default_action_terminates() -> CheckResult {
    blocked_child_dies_of(libc::SIGUSR1)
}

/// A child that restores the fault signals' default actions, runs `fault`
/// and must die of `signo` in it.
fn faulting_child(fault: fn(), signo: i32) -> CheckResult {
    let pid = spawn(move || {
        sig::default_fault_signals();
        fault();
        100
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(signo));
    Ok(())
}

fn write_to_address_8_is_sigsegv() -> CheckResult {
    faulting_child(
        // SAFETY: the store to unmapped address 8 faults on purpose, in a
        // child that dies of it; no memory is written.
        || unsafe {
            std::arch::asm!("mov byte ptr [{0}], 1", in(reg) 8usize, options(nostack));
        },
        libc::SIGSEGV,
    )
}

fn ud2_is_sigill() -> CheckResult {
    faulting_child(
        // SAFETY: ud2 touches no memory or register; the child dies of it.
        || unsafe {
            std::arch::asm!("ud2", options(nostack));
        },
        libc::SIGILL,
    )
}

fn integer_division_by_zero_is_sigfpe() -> CheckResult {
    faulting_child(
        // SAFETY: div by a register holding 0 (#DE) kills the child; eax
        // and edx are declared clobbered.
        || unsafe {
            std::arch::asm!(
                "div {0:e}",
                in(reg) 0u32,
                inout("eax") 1u32 => _,
                inout("edx") 0u32 => _,
                options(nostack),
            );
        },
        libc::SIGFPE,
    )
}

fn hlt_in_user_mode_is_sigsegv() -> CheckResult {
    // A privileged instruction: #GP, delivered as SIGSEGV (musl's
    // last-resort crash relies on it).
    faulting_child(
        // SAFETY: hlt touches no memory or register; the child dies of it.
        || unsafe {
            std::arch::asm!("hlt", options(nostack));
        },
        libc::SIGSEGV,
    )
}

fn sigchld_is_ignored_by_default() -> CheckResult {
    check!(
        sig::disposition(libc::SIGCHLD) == libc::SIG_DFL,
        "SIGCHLD is not at its default"
    );
    let pid = spawn(|| 5)?;
    // The child's SIGCHLD arrives during the sleep: no death, no EINTR.
    let ts = timespec(Duration::from_millis(100));
    let start = mono()?;
    // SAFETY: valid timespec; no remainder wanted.
    let r = unsafe {
        libc::syscall(
            libc::SYS_nanosleep,
            &ts,
            std::ptr::null_mut::<libc::timespec>(),
        )
    };
    let slept = mono()? - start;
    ensure_eq!(r, 0, "nanosleep while a child exits");
    check!(
        slept >= Duration::from_millis(100),
        "nanosleep cut short: {slept:?}"
    );
    // Default (not SIG_IGN): the child is kept for wait.
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(5));
    Ok(())
}

fn sigchld_set_to_sig_ign_reaps_children_itself() -> CheckResult {
    sig::ignore(libc::SIGCHLD);
    let a = spawn(|| 1)?;
    let b = spawn(|| {
        sleep_ms(30);
        2
    })?;
    // wait blocks until every child is gone, then fails: nothing to report.
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::syscall(libc::SYS_wait4, -1, &mut status, 0, 0usize) };
    expect_errno(r, libc::ECHILD, "wait4(-1) with SIGCHLD ignored")?;
    ensure_eq!((kill(a, 0), kill(b, 0)), (-1, -1), "children gone");
    Ok(())
}

fn ignored_signal_is_discarded() -> CheckResult {
    sig::ignore(libc::SIGTERM);
    sys(kill(getpid(), libc::SIGTERM), "kill(self, SIGTERM)")?;
    // Not even pending: restoring the default action does not kill us.
    sig::set_default(libc::SIGTERM);
    sleep_ms(10);
    Ok(())
}

fn blocked_signal_stays_pending_until_unblocked() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(rd);
        sig::set_default(libc::SIGTERM);
        sig::block(libc::SIGTERM);
        // SAFETY: signals ourselves.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
        sleep_ms(20);
        // Still alive: tell the parent, then unblock and die.
        let _ = utests::fd::write_all(wr, b"alive");
        sig::unblock(libc::SIGTERM);
        sleep_ms(1000);
        100
    })?;
    close(wr);
    let mut buf = [0u8; 8];
    let n = read_some(rd, &mut buf)?;
    ensure_eq!(
        &buf[..n],
        b"alive",
        "the child died while SIGTERM was blocked"
    );
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Signaled(libc::SIGTERM),
        "after unblocking"
    );
    Ok(())
}

fn pending_signals_are_not_inherited_by_fork_but_the_mask_is() -> CheckResult {
    // P blocks SIGUSR1 and sends it to itself; its child C must inherit the
    // mask but not the pending signal (C unblocks and lives); then P
    // unblocks and dies of it.
    let (rd, wr) = pipe()?;
    let p = spawn(move || {
        close(rd);
        sig::set_default(libc::SIGUSR1);
        sig::block(libc::SIGUSR1);
        // SAFETY: signals ourselves.
        unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) };
        let c = spawn(|| {
            if !sig::is_blocked(libc::SIGUSR1) {
                return 2;
            }
            sig::unblock(libc::SIGUSR1);
            sleep_ms(10);
            0
        });
        let verdict = match c.and_then(wait_pid) {
            Ok(st) => st.to_string(),
            Err(e) => e,
        };
        let _ = utests::fd::write_all(wr, verdict.as_bytes());
        close(wr);
        sig::unblock(libc::SIGUSR1);
        sleep_ms(1000);
        100
    })?;
    close(wr);
    let verdict = String::from_utf8_lossy(&utests::fd::read_to_end(rd)?).into_owned();
    ensure_eq!(
        verdict,
        WaitStatus::Exited(0).to_string(),
        "the child of a process with SIGUSR1 pending"
    );
    ensure_eq!(
        wait_pid(p)?,
        WaitStatus::Signaled(libc::SIGUSR1),
        "the process itself, after unblocking"
    );
    Ok(())
}

/// How `pids` ended, waiting for each.
fn statuses(pids: &[libc::pid_t]) -> Result<Vec<WaitStatus>, String> {
    pids.iter().map(|&p| wait_pid(p)).collect()
}

fn kill_0_reaches_our_whole_group_only() -> CheckResult {
    let mut kept = Vec::new();
    let mut members = Vec::new();
    for _ in 0..3 {
        let (pid, wr) = blocked_child(nothing)?;
        members.push(pid);
        kept.push(wr);
    }
    // SAFETY: setpgid(0, 0) takes no pointers; it moves only the child.
    let (outsider, wr) = blocked_child(|| unsafe {
        libc::setpgid(0, 0);
    })?;
    kept.push(wr);
    // SAFETY: our child; both sides set it, whichever runs first.
    unsafe { libc::setpgid(outsider, outsider) };
    sig::ignore(libc::SIGTERM);
    sys(kill(0, libc::SIGTERM), "kill(0, SIGTERM)")?;
    ensure_eq!(
        statuses(&members)?,
        vec![WaitStatus::Signaled(libc::SIGTERM); 3]
    );
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(outsider, &mut status, libc::WNOHANG) };
    ensure_eq!(r, 0, "the child in another group was reached");
    sys(kill(outsider, libc::SIGKILL), "kill")?;
    ensure_eq!(wait_pid(outsider)?, WaitStatus::Signaled(libc::SIGKILL));
    Ok(())
}

fn kill_minus_pgid_reaches_that_group_only() -> CheckResult {
    // SAFETY: setpgid(0, 0) takes no pointers; it moves only the child.
    let (leader, w0) = blocked_child(|| unsafe {
        libc::setpgid(0, 0);
    })?;
    // SAFETY: our child.
    sys(unsafe { libc::setpgid(leader, leader) }, "setpgid(leader)")?;
    let mut group = vec![leader];
    let mut kept = vec![w0];
    for _ in 0..2 {
        let (rd, wr) = pipe()?;
        let pid = spawn(move || {
            // SAFETY: joining the existing group.
            unsafe { libc::setpgid(0, leader) };
            let mut b = [0u8; 1];
            let _ = read_some(rd, &mut b);
            100
        })?;
        close(rd);
        // SAFETY: our child, into an existing group of our session.
        sys(unsafe { libc::setpgid(pid, leader) }, "setpgid(member)")?;
        group.push(pid);
        kept.push(wr);
    }
    let (ours, wr) = blocked_child(nothing)?;
    kept.push(wr);
    sys(kill(-leader, libc::SIGTERM), "kill(-pgid, SIGTERM)")?;
    ensure_eq!(
        statuses(&group)?,
        vec![WaitStatus::Signaled(libc::SIGTERM); 3]
    );
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(ours, &mut status, libc::WNOHANG) };
    ensure_eq!(r, 0, "a child outside the group was reached");
    let r = kill(-leader, libc::SIGTERM);
    expect_errno(r, libc::ESRCH, "kill(-pgid) of an empty group")
}

fn kill_with_signal_0_probes_existence() -> CheckResult {
    let (pid, wr) = blocked_child(nothing)?;
    ensure_eq!(kill(pid, 0), 0, "kill(live child, 0)");
    close(wr);
    // Exited but not reaped: a zombie still exists.
    sleep_ms(50);
    ensure_eq!(kill(pid, 0), 0, "kill(zombie, 0)");
    wait_pid(pid)?;
    expect_errno(kill(pid, 0), libc::ESRCH, "kill(reaped child, 0)")?;
    ensure_eq!(kill(getpid(), 0), 0, "kill(self, 0)");
    Ok(())
}

fn kill_errors_einval_and_esrch() -> CheckResult {
    expect_errno(kill(getpid(), 65), libc::EINVAL, "kill(self, 65)")?;
    expect_errno(kill(getpid(), -1), libc::EINVAL, "kill(self, -1)")?;
    // pid_max is at most 2^22 on Linux; this one never exists.
    expect_errno(
        kill(0x3fff_fff0, libc::SIGTERM),
        libc::ESRCH,
        "kill(no such pid)",
    )
}

fn tkill_and_tgkill_reach_the_thread() -> CheckResult {
    let pid = spawn(|| {
        sig::set_default(libc::SIGTERM);
        // SAFETY: signals our own thread.
        unsafe {
            let (p, t) = (libc::getpid(), libc::gettid());
            libc::syscall(libc::SYS_tgkill, p, t, libc::SIGTERM);
        }
        sleep_ms(1000);
        100
    })?;
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Signaled(libc::SIGTERM),
        "tgkill(self)"
    );
    let pid = spawn(|| {
        // SAFETY: tkill takes no pointers; it kills our own thread.
        unsafe { libc::syscall(libc::SYS_tkill, libc::gettid(), libc::SIGKILL) };
        sleep_ms(1000);
        100
    })?;
    ensure_eq!(
        wait_pid(pid)?,
        WaitStatus::Signaled(libc::SIGKILL),
        "tkill(self)"
    );
    // SAFETY: getpid and gettid take no arguments.
    let (me, tid) = unsafe { (libc::getpid(), libc::gettid()) };
    // SAFETY: signal 0 only probes our own thread.
    ensure_eq!(
        unsafe { libc::syscall(libc::SYS_tkill, tid, 0) },
        0,
        "tkill(self, 0)"
    );
    // SAFETY: signal 0 only probes our own thread.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, me, tid, 0) };
    ensure_eq!(r, 0, "tgkill(self, 0)");
    // SAFETY: signal 0 to a thread group that does not hold our thread.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, me + 0x3fff_0000, tid, 0) };
    expect_errno(r, libc::ESRCH, "tgkill with the wrong thread group")?;
    // SAFETY: signal 0 to thread 0, which is refused.
    let r = unsafe { libc::syscall(libc::SYS_tkill, 0, 0) };
    expect_errno(r, libc::EINVAL, "tkill(0)")
}

/// The kernel's struct sigaction on x86_64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct KSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Raw rt_sigaction(signo, act, old, 8).
fn rt_sigaction(signo: i32, act: Option<&KSigaction>, old: Option<&mut KSigaction>) -> i64 {
    let act = act.map_or(std::ptr::null(), |a| a as *const KSigaction);
    let old = old.map_or(std::ptr::null_mut(), |o| o as *mut KSigaction);
    // SAFETY: valid or NULL pointers to kernel-layout structs.
    unsafe { libc::syscall(libc::SYS_rt_sigaction, signo, act, old, 8usize) }
}

fn sigkill_and_sigstop_cannot_be_caught_or_ignored() -> CheckResult {
    let ign = KSigaction {
        handler: libc::SIG_IGN,
        ..Default::default()
    };
    for (s, name) in [(libc::SIGKILL, "SIGKILL"), (libc::SIGSTOP, "SIGSTOP")] {
        expect_errno(
            rt_sigaction(s, Some(&ign), None),
            libc::EINVAL,
            &format!("ignoring {name}"),
        )?;
        let mut old = KSigaction {
            handler: 7,
            ..Default::default()
        };
        ensure_eq!(rt_sigaction(s, None, Some(&mut old)), 0, "querying {name}");
        ensure_eq!(old.handler, libc::SIG_DFL, "{name}'s action");
    }
    expect_errno(rt_sigaction(0, Some(&ign), None), libc::EINVAL, "signal 0")?;
    expect_errno(
        rt_sigaction(65, Some(&ign), None),
        libc::EINVAL,
        "signal 65",
    )?;
    // SAFETY: a wrong sigsetsize on purpose.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigaction, libc::SIGTERM, &ign, 0usize, 4usize) };
    expect_errno(r, libc::EINVAL, "rt_sigaction with sigsetsize 4")
}

fn rt_sigaction_returns_the_old_action() -> CheckResult {
    let ign = KSigaction {
        handler: libc::SIG_IGN,
        flags: libc::SA_RESTART as u64,
        restorer: 0,
        mask: 1 << (libc::SIGUSR2 - 1),
    };
    ensure_eq!(rt_sigaction(libc::SIGUSR1, Some(&ign), None), 0);
    let dfl = KSigaction::default();
    let mut old = KSigaction {
        handler: 99,
        ..Default::default()
    };
    ensure_eq!(rt_sigaction(libc::SIGUSR1, Some(&dfl), Some(&mut old)), 0);
    ensure_eq!(old, ign, "the action set before comes back whole");
    let mut now = KSigaction {
        handler: 99,
        ..Default::default()
    };
    ensure_eq!(rt_sigaction(libc::SIGUSR1, None, Some(&mut now)), 0);
    ensure_eq!(now, dfl);
    Ok(())
}

/// Raw rt_sigprocmask(how, set, old, 8) on 64-bit masks.
fn sigprocmask(how: i32, set: Option<u64>) -> Result<u64, String> {
    let mut old = 0u64;
    let set = set.as_ref().map_or(std::ptr::null(), |s| s as *const u64);
    // SAFETY: valid or NULL pointers to 8-byte masks.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigprocmask, how, set, &mut old, 8usize) };
    sys(r, "rt_sigprocmask")?;
    Ok(old)
}

fn bit(s: i32) -> u64 {
    1 << (s - 1)
}

fn rt_sigprocmask_block_unblock_setmask() -> CheckResult {
    let start = sigprocmask(libc::SIG_SETMASK, Some(0))?;
    let _ = start;
    sigprocmask(
        libc::SIG_BLOCK,
        Some(bit(libc::SIGUSR1) | bit(libc::SIGUSR2)),
    )?;
    ensure_eq!(
        sigprocmask(libc::SIG_BLOCK, None)?,
        bit(libc::SIGUSR1) | bit(libc::SIGUSR2)
    );
    sigprocmask(libc::SIG_UNBLOCK, Some(bit(libc::SIGUSR1)))?;
    ensure_eq!(sigprocmask(libc::SIG_BLOCK, None)?, bit(libc::SIGUSR2));
    let old = sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGTERM)))?;
    ensure_eq!(old, bit(libc::SIGUSR2), "old mask from SIG_SETMASK");
    ensure_eq!(sigprocmask(libc::SIG_BLOCK, None)?, bit(libc::SIGTERM));
    let mut o = 0u64;
    let set = 0u64;
    // SAFETY: valid pointers; invalid `how` and size on purpose.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigprocmask, 7, &set, &mut o, 8usize) };
    expect_errno(r, libc::EINVAL, "rt_sigprocmask(how = 7)")?;
    // SAFETY: valid pointers; the sigsetsize 4 is refused on purpose.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &set,
            &mut o,
            4usize,
        )
    };
    expect_errno(r, libc::EINVAL, "rt_sigprocmask with sigsetsize 4")
}

fn sigkill_and_sigstop_cannot_be_blocked() -> CheckResult {
    sigprocmask(libc::SIG_SETMASK, Some(u64::MAX))?;
    let mask = sigprocmask(libc::SIG_BLOCK, None)?;
    ensure_eq!(
        mask & (bit(libc::SIGKILL) | bit(libc::SIGSTOP)),
        0,
        "mask {mask:#x}"
    );
    check!(
        mask & bit(libc::SIGTERM) != 0,
        "the other signals were not blocked: {mask:#x}"
    );
    // And SIGKILL still kills a child that blocked everything.
    let (pid, wr) = blocked_child(|| {
        let all = u64::MAX;
        // SAFETY: blocking every signal in this child.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                &all,
                0usize,
                8usize,
            )
        };
    })?;
    sleep_ms(10);
    sys(kill(pid, libc::SIGKILL), "kill")?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGKILL));
    close(wr);
    Ok(())
}

fn sigaltstack_set_query_and_errors() -> CheckResult {
    let mut mem = vec![0u8; 16 * 1024];
    let new = libc::stack_t {
        ss_sp: mem.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: mem.len(),
    };
    // SAFETY: stack_t is plain data, for which all-zero bytes are valid.
    let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid stack_t pointers; mem outlives its use (disabled below).
    sys(
        unsafe { libc::syscall(libc::SYS_sigaltstack, &new, &mut old) },
        "sigaltstack(set)",
    )?;
    // SAFETY: stack_t is plain data, for which all-zero bytes are valid.
    let mut now: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: now is a valid out-pointer; no new stack is given.
    sys(
        unsafe { libc::syscall(libc::SYS_sigaltstack, 0usize, &mut now) },
        "sigaltstack(query)",
    )?;
    ensure_eq!(
        (now.ss_sp as usize, now.ss_size, now.ss_flags),
        (mem.as_ptr() as usize, mem.len(), 0)
    );
    let small = libc::stack_t {
        ss_sp: mem.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: 1024,
    };
    // SAFETY: small is a valid stack_t to read; it is refused as too small.
    let r = unsafe { libc::syscall(libc::SYS_sigaltstack, &small, 0usize) };
    expect_errno(r, libc::ENOMEM, "sigaltstack with a 1 KiB stack")?;
    let bad = libc::stack_t {
        ss_sp: mem.as_mut_ptr().cast(),
        ss_flags: 0x1234,
        ss_size: mem.len(),
    };
    // SAFETY: bad is a valid stack_t to read; it is refused for its flags.
    let r = unsafe { libc::syscall(libc::SYS_sigaltstack, &bad, 0usize) };
    expect_errno(r, libc::EINVAL, "sigaltstack with bad flags")?;
    let off = libc::stack_t {
        ss_sp: std::ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: off is a valid stack_t to read; it disables the stack.
    sys(
        unsafe { libc::syscall(libc::SYS_sigaltstack, &off, 0usize) },
        "sigaltstack(disable)",
    )?;
    // SAFETY: now is a valid out-pointer; no new stack is given.
    sys(
        unsafe { libc::syscall(libc::SYS_sigaltstack, 0usize, &mut now) },
        "sigaltstack(query)",
    )?;
    ensure_eq!(now.ss_flags, libc::SS_DISABLE, "flags after disabling");
    Ok(())
}
