//! `user::sighandler`: signals caught by handlers. What a handler is given
//! (signal number, siginfo, ucontext, where the frame lies), the masks
//! around it (its own signal and sa_mask blocked, the old mask back after
//! it), pending signals (one instance of a standard signal, every instance
//! of a real-time one), the action flags (SA_RESETHAND, SA_NODEFER,
//! SA_RESTART, SA_ONSTACK), the alternate stack, and waiting for signals
//! (pause, rt_sigsuspend, rt_sigtimedwait, alarm and ITIMER_REAL).
//!
//! Handlers record what they see in statics (each check runs in a fresh
//! forked child, so they start at zero) and the check compares afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::clock::{mono, sleep_ms, timespec};
use utests::fd::{close, pipe, write_all};
use utests::sigctx::{
    self, Counter, Log, SA_RESTORER, bit, current_mask, install, install_raw, kill, kill_self,
    sigaltstack, sigprocmask,
};

const CHECKS: &[ftest::Check] = checks![
    handler_gets_signo_code_pid_and_uid_from_kill,
    handler_gets_the_senders_pid_from_another_process,
    handler_gets_si_tkill_from_tgkill,
    sigqueueinfo_value_reaches_the_handler,
    sigqueueinfo_cannot_forge_kernel_codes_for_others,
    rt_sigaction_drops_flag_bits_it_does_not_know,
    signal_calls_fault_on_bad_pointers,
    handler_arguments_point_into_a_frame_below_the_red_zone,
    handler_runs_with_its_signal_and_sa_mask_blocked,
    ucontext_holds_the_interrupted_mask,
    blocked_signal_is_delivered_once_on_unblock,
    standard_signal_keeps_the_first_siginfo,
    realtime_signal_queues_every_instance_in_order,
    pending_signals_all_run_before_the_unblock_returns,
    sigpending_shows_blocked_pending_signals_only,
    sa_resethand_runs_the_handler_once,
    sa_nodefer_lets_the_handler_nest,
    without_sa_nodefer_the_signal_waits_for_the_handler,
    sa_restart_restarts_a_blocking_pipe_read,
    without_sa_restart_a_blocking_read_returns_eintr,
    nanosleep_returns_eintr_even_with_sa_restart,
    ignored_signals_do_not_interrupt_a_blocking_read,
    pause_returns_eintr_after_the_handler,
    alarm_fires_and_interrupts_pause,
    alarm_returns_the_seconds_left_and_0_cancels,
    setitimer_real_fires_periodically_until_disarmed,
    getitimer_reports_the_time_left_and_the_interval,
    sigsuspend_waits_with_its_mask_then_restores_the_old,
    sigsuspend_returns_at_once_for_a_pending_signal,
    sigtimedwait_takes_a_blocked_signal_with_its_info,
    sigtimedwait_wakes_for_a_signal_sent_later,
    sigtimedwait_times_out_with_eagain,
    handler_runs_on_the_alternate_stack_with_sa_onstack,
    without_sa_onstack_the_handler_stays_on_the_stack,
    nested_handler_stays_on_the_alternate_stack,
    sigaltstack_cannot_change_while_on_it,
    ss_autodisarm_disarms_the_stack_while_a_handler_runs,
];

pub fn main() {
    ftest::main("sighandler", CHECKS)
}

// ---- handlers and what they record ----

static COUNT: Counter = Counter::new();
static LOG: Log = Log::new();
/// signo, code, pid, uid, value of the last delivery.
static LAST: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
/// The blocked mask inside the handler.
static MASK_IN: AtomicU64 = AtomicU64::new(0);
/// uc_sigmask and sigcontext.oldmask of the last delivery.
static UC_MASK: AtomicU64 = AtomicU64::new(0);
static UC_OLDMASK: AtomicU64 = AtomicU64::new(0);
/// The handler's ucontext address.
static UC_ADDR: AtomicU64 = AtomicU64::new(0);

fn store(a: &AtomicU64, v: u64) {
    a.store(v, Ordering::SeqCst)
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::SeqCst)
}

/// Records everything about the delivery.
extern "C" fn record(sig: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    let (signo, _, code) = si.head();
    store(&LAST[0], signo as u64);
    store(&LAST[1], code as i64 as u64);
    store(&LAST[2], si.pid() as u64);
    store(&LAST[3], u64::from(si.uid()));
    store(&LAST[4], si.value());
    store(&MASK_IN, current_mask());
    // SAFETY: the kernel's ucontext argument, used within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    store(&UC_MASK, ctx.uc_sigmask);
    store(&UC_OLDMASK, ctx.mc.oldmask);
    store(&UC_ADDR, uc as u64);
    LOG.push(((sig as u64) << 32) | (si.value() & 0xffff_ffff));
    COUNT.bump();
}

/// Only counts.
extern "C" fn count(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    COUNT.bump();
}

fn last() -> (i32, i32, i32, u32, u64) {
    (
        load(&LAST[0]) as i32,
        load(&LAST[1]) as i32,
        load(&LAST[2]) as i32,
        load(&LAST[3]) as u32,
        load(&LAST[4]),
    )
}

fn getuid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::getuid() }
}

fn getppid() -> libc::pid_t {
    // SAFETY: no preconditions.
    unsafe { libc::getppid() }
}

/// A child that sleeps `ms`, then sends `sig` to its parent, then (if
/// `then_write` is a descriptor) writes one byte `x` to it after another
/// `ms`.
fn signal_parent_later(ms: u64, sig: i32, then_write: Option<i32>) -> Result<libc::pid_t, String> {
    spawn(move || {
        sleep_ms(ms);
        kill(getppid(), sig);
        if let Some(fd) = then_write {
            sleep_ms(ms);
            let _ = write_all(fd, b"x");
        }
        0
    })
}

// ---- siginfo ----

fn handler_gets_signo_code_pid_and_uid_from_kill() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill(self, SIGUSR1)")?;
    // A signal to ourselves is delivered before kill returns.
    ensure_eq!(COUNT.get(), 1, "handler runs before kill returns");
    let (signo, code, pid, uid, _) = last();
    ensure_eq!(
        (signo, code, pid, uid),
        (libc::SIGUSR1, libc::SI_USER, sigctx::getpid(), getuid()),
        "si_signo, si_code, si_pid, si_uid"
    );
    Ok(())
}

fn handler_gets_the_senders_pid_from_another_process() -> CheckResult {
    install(libc::SIGUSR2, record, 0, &[])?;
    let child = spawn(|| {
        kill(getppid(), libc::SIGUSR2);
        0
    })?;
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    ensure_eq!(COUNT.get(), 1, "the handler ran (during waitpid)");
    let (signo, code, pid, _, _) = last();
    ensure_eq!((signo, code, pid), (libc::SIGUSR2, libc::SI_USER, child));
    Ok(())
}

fn handler_gets_si_tkill_from_tgkill() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[])?;
    // SAFETY: signals our own thread.
    let r = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            sigctx::getpid(),
            sigctx::gettid(),
            libc::SIGUSR1,
        )
    };
    sys(r, "tgkill(self)")?;
    ensure_eq!(COUNT.get(), 1);
    let (signo, code, pid, _, _) = last();
    ensure_eq!(
        (signo, code, pid),
        (libc::SIGUSR1, libc::SI_TKILL, sigctx::getpid())
    );
    Ok(())
}

/// rt_sigqueueinfo(self, sig) with SI_QUEUE and `value`.
fn queue_to_self(sig: i32, value: u64) -> i64 {
    let mut si = [0u8; 128];
    si[0..4].copy_from_slice(&sig.to_le_bytes());
    si[8..12].copy_from_slice(&libc::SI_QUEUE.to_le_bytes());
    si[16..20].copy_from_slice(&sigctx::getpid().to_le_bytes());
    si[20..24].copy_from_slice(&getuid().to_le_bytes());
    si[24..32].copy_from_slice(&value.to_le_bytes());
    // SAFETY: a 128-byte siginfo image.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigqueueinfo,
            sigctx::getpid(),
            sig,
            si.as_ptr(),
        )
    }
}

fn sigqueueinfo_value_reaches_the_handler() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[])?;
    sys(
        queue_to_self(libc::SIGUSR1, 0x1234_5678_9abc),
        "rt_sigqueueinfo",
    )?;
    ensure_eq!(COUNT.get(), 1);
    let (signo, code, pid, _, value) = last();
    ensure_eq!(
        (signo, code, pid, value),
        (
            libc::SIGUSR1,
            libc::SI_QUEUE,
            sigctx::getpid(),
            0x1234_5678_9abc
        )
    );
    Ok(())
}

fn sigqueueinfo_cannot_forge_kernel_codes_for_others() -> CheckResult {
    let (rd, wr) = pipe()?;
    let child = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        // SAFETY: b is valid.
        unsafe { libc::read(rd, b.as_mut_ptr().cast(), 1) };
        0
    })?;
    close(rd);
    for code in [libc::SI_USER, libc::SI_KERNEL, libc::SI_TKILL, 1] {
        let mut si = [0u8; 128];
        si[0..4].copy_from_slice(&libc::SIGUSR1.to_le_bytes());
        si[8..12].copy_from_slice(&code.to_le_bytes());
        // SAFETY: a 128-byte siginfo image.
        let r =
            unsafe { libc::syscall(libc::SYS_rt_sigqueueinfo, child, libc::SIGUSR1, si.as_ptr()) };
        expect_errno(
            r,
            libc::EPERM,
            &format!("rt_sigqueueinfo with si_code {code}"),
        )?;
    }
    close(wr);
    ensure_eq!(
        wait_pid(child)?,
        WaitStatus::Exited(0),
        "the child was not signalled"
    );
    Ok(())
}

fn rt_sigaction_drops_flag_bits_it_does_not_know() -> CheckResult {
    // SA_UNSUPPORTED (0x400) is how programs probe: a kernel that keeps it
    // would claim to know every bit.
    let flags = libc::SA_RESTART as u64 | 0x400 | 0x0100_0000;
    let act = sigctx::KSigaction {
        handler: libc::SIG_IGN,
        flags,
        ..Default::default()
    };
    sys(
        sigctx::rt_sigaction(libc::SIGUSR1, Some(&act), None),
        "rt_sigaction",
    )?;
    ensure_eq!(
        sigctx::action_of(libc::SIGUSR1)?.flags,
        libc::SA_RESTART as u64,
        "flags read back"
    );
    Ok(())
}

fn signal_calls_fault_on_bad_pointers() -> CheckResult {
    let bad = 8usize;
    // SAFETY: every pointer below is invalid on purpose; the kernel must
    // refuse them.
    unsafe {
        let r = libc::syscall(libc::SYS_rt_sigaction, libc::SIGUSR1, bad, 0usize, 8usize);
        expect_errno(r, libc::EFAULT, "rt_sigaction(act = 8)")?;
        let r = libc::syscall(libc::SYS_rt_sigaction, libc::SIGUSR1, 0usize, bad, 8usize);
        expect_errno(r, libc::EFAULT, "rt_sigaction(oldact = 8)")?;
        let r = libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            bad,
            0usize,
            8usize,
        );
        expect_errno(r, libc::EFAULT, "rt_sigprocmask(set = 8)")?;
        let r = libc::syscall(libc::SYS_sigaltstack, bad, 0usize);
        expect_errno(r, libc::EFAULT, "sigaltstack(ss = 8)")?;
        let r = libc::syscall(libc::SYS_sigaltstack, 0usize, bad);
        expect_errno(r, libc::EFAULT, "sigaltstack(old = 8)")?;
        let r = libc::syscall(libc::SYS_rt_sigtimedwait, bad, 0usize, 0usize, 8usize);
        expect_errno(r, libc::EFAULT, "rt_sigtimedwait(set = 8)")?;
        let r = libc::syscall(
            libc::SYS_rt_sigqueueinfo,
            sigctx::getpid(),
            libc::SIGUSR1,
            bad,
        );
        expect_errno(r, libc::EFAULT, "rt_sigqueueinfo(info = 8)")?;
    }
    ensure_eq!(current_mask(), 0, "the mask is untouched");
    Ok(())
}

// ---- the frame ----

/// What the entry of [`entry_probe`] saw: rsp, rdi, rsi, rdx, [rsp],
/// the interrupted rsp (uc.rsp) and the FPU image pointer (uc.fpstate).
static ENTRY: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

/// A handler that records its registers at entry, before any prologue.
#[unsafe(naked)]
extern "C" fn entry_probe(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    core::arch::naked_asm!(
        "mov [rip + {e}], rsp",
        "mov [rip + {e} + 8], rdi",
        "mov [rip + {e} + 16], rsi",
        "mov [rip + {e} + 24], rdx",
        "mov rax, [rsp]",
        "mov [rip + {e} + 32], rax",
        "mov rax, [rdx + 160]",
        "mov [rip + {e} + 40], rax",
        "mov rax, [rdx + 224]",
        "mov [rip + {e} + 48], rax",
        "ret",
        e = sym ENTRY,
    );
}

fn handler_arguments_point_into_a_frame_below_the_red_zone() -> CheckResult {
    let flags = (libc::SA_SIGINFO as u64) | SA_RESTORER;
    sys(
        install_raw(libc::SIGUSR1, entry_probe as *const () as usize, flags, 0),
        "rt_sigaction",
    )?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let e: Vec<u64> = ENTRY.iter().map(load).collect();
    let (rsp, rdi, rsi, rdx, ret, sp, fp) = (e[0], e[1], e[2], e[3], e[4], e[5], e[6]);
    check!(rsp != 0, "the handler did not run");
    ensure_eq!(rdi, libc::SIGUSR1 as u64, "rdi = the signal");
    ensure_eq!(
        ret,
        sigctx::restore_rt as *const () as u64,
        "return address = sa_restorer"
    );
    // struct rt_sigframe { pretcode; ucontext (304 bytes); siginfo }.
    ensure_eq!(rdx, rsp + 8, "rdx = &uc, right above the return address");
    ensure_eq!(rsi, rdx + 304, "rsi = &info, right after the ucontext");
    ensure_eq!(
        (rsp + 8) % 16,
        0,
        "rsp + 8 is 16-byte aligned, as after a call"
    );
    check!(
        fp != 0 && fp % 64 == 0,
        "fpstate {fp:#x} is 64-byte aligned"
    );
    check!(
        fp >= rsi + 128,
        "fpstate {fp:#x} lies above the siginfo at {rsi:#x}"
    );
    check!(
        fp + 512 <= sp - 128,
        "the frame (FPU image up to {:#x}) is below the red zone of rsp {sp:#x}",
        fp + 512
    );
    Ok(())
}

fn handler_runs_with_its_signal_and_sa_mask_blocked() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[libc::SIGUSR2, libc::SIGALRM])?;
    sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGHUP)))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(COUNT.get(), 1);
    ensure_eq!(
        load(&MASK_IN),
        bit(libc::SIGHUP) | bit(libc::SIGUSR1) | bit(libc::SIGUSR2) | bit(libc::SIGALRM),
        "mask inside the handler"
    );
    ensure_eq!(current_mask(), bit(libc::SIGHUP), "mask after the handler");
    Ok(())
}

fn ucontext_holds_the_interrupted_mask() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[libc::SIGUSR2])?;
    let before = bit(libc::SIGTERM) | bit(40);
    sigprocmask(libc::SIG_SETMASK, Some(before))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(load(&UC_MASK), before, "uc_sigmask");
    ensure_eq!(load(&UC_OLDMASK), before, "uc_mcontext.oldmask");
    Ok(())
}

// ---- pending signals ----

fn blocked_signal_is_delivered_once_on_unblock() -> CheckResult {
    install(libc::SIGUSR1, count, 0, &[])?;
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR1)))?;
    for _ in 0..3 {
        sys(kill_self(libc::SIGUSR1), "kill")?;
    }
    ensure_eq!(COUNT.get(), 0, "delivered while blocked");
    ensure_eq!(sigctx::pending(), bit(libc::SIGUSR1), "pending set");
    sigprocmask(libc::SIG_UNBLOCK, Some(bit(libc::SIGUSR1)))?;
    ensure_eq!(COUNT.get(), 1, "deliveries after unblocking three kills");
    ensure_eq!(sigctx::pending(), 0);
    Ok(())
}

fn standard_signal_keeps_the_first_siginfo() -> CheckResult {
    install(libc::SIGUSR2, record, 0, &[])?;
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR2)))?;
    sys(queue_to_self(libc::SIGUSR2, 111), "rt_sigqueueinfo")?;
    sys(queue_to_self(libc::SIGUSR2, 222), "rt_sigqueueinfo")?;
    sys(kill_self(libc::SIGUSR2), "kill")?;
    sigprocmask(libc::SIG_UNBLOCK, Some(bit(libc::SIGUSR2)))?;
    ensure_eq!(COUNT.get(), 1);
    let (_, code, _, _, value) = last();
    ensure_eq!((code, value), (libc::SI_QUEUE, 111), "the first instance");
    Ok(())
}

/// A real-time signal the C libraries leave alone (they use 32 to 34).
const RT: i32 = 40;

fn realtime_signal_queues_every_instance_in_order() -> CheckResult {
    install(RT, record, 0, &[])?;
    sigprocmask(libc::SIG_BLOCK, Some(bit(RT)))?;
    for v in [7, 8, 9] {
        sys(queue_to_self(RT, v), "rt_sigqueueinfo")?;
    }
    sys(kill_self(RT), "kill")?;
    ensure_eq!(sigctx::pending(), bit(RT));
    sigprocmask(libc::SIG_UNBLOCK, Some(bit(RT)))?;
    let sig = (RT as u64) << 32;
    ensure_eq!(
        LOG.items(),
        vec![sig | 7, sig | 8, sig | 9, sig],
        "every instance, oldest first"
    );
    ensure_eq!(sigctx::pending(), 0);
    Ok(())
}

fn pending_signals_all_run_before_the_unblock_returns() -> CheckResult {
    let set = bit(libc::SIGUSR1) | bit(libc::SIGUSR2) | bit(libc::SIGTERM);
    for s in [libc::SIGUSR1, libc::SIGUSR2, libc::SIGTERM] {
        install(s, record, 0, &[])?;
    }
    sigprocmask(libc::SIG_BLOCK, Some(set))?;
    for s in [libc::SIGTERM, libc::SIGUSR2, libc::SIGUSR1] {
        sys(kill_self(s), "kill")?;
    }
    sigprocmask(libc::SIG_UNBLOCK, Some(set))?;
    let order: Vec<u64> = LOG.items().iter().map(|w| w >> 32).collect();
    // The lowest is taken first and each next one's frame goes on top of
    // it before the return to user mode: the highest handler runs first.
    ensure_eq!(
        order,
        vec![
            libc::SIGTERM as u64,
            libc::SIGUSR2 as u64,
            libc::SIGUSR1 as u64
        ],
        "handlers in the order they ran"
    );
    Ok(())
}

fn sigpending_shows_blocked_pending_signals_only() -> CheckResult {
    sigctx::install(libc::SIGUSR1, count, 0, &[])?;
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR1) | bit(RT)))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    sys(kill_self(RT), "kill")?;
    ensure_eq!(sigctx::pending(), bit(libc::SIGUSR1) | bit(RT));
    // Ignoring a pending signal discards it.
    utests::sig::ignore(RT);
    ensure_eq!(sigctx::pending(), bit(libc::SIGUSR1));
    // A smaller set size copies that many bytes; a larger one is refused.
    let mut set = u64::MAX << 32;
    // SAFETY: valid pointer, 4 of its 8 bytes written.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut set, 4usize) };
    sys(r, "rt_sigpending with sigsetsize 4")?;
    ensure_eq!(set, (u64::MAX << 32) | bit(libc::SIGUSR1), "4 bytes copied");
    let mut big = [0u64; 2];
    // SAFETY: valid pointer to 16 bytes; the size is refused.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigpending, big.as_mut_ptr(), 16usize) };
    expect_errno(r, libc::EINVAL, "rt_sigpending with sigsetsize 16")?;
    // SAFETY: a raw syscall to unmapped address 8: the kernel fails with EFAULT.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigpending, 8usize, 8usize) };
    expect_errno(r, libc::EFAULT, "rt_sigpending to address 8")
}

// ---- action flags ----

fn sa_resethand_runs_the_handler_once() -> CheckResult {
    install(
        libc::SIGUSR1,
        record,
        libc::SA_RESETHAND | libc::SA_RESTART,
        &[libc::SIGHUP],
    )?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(COUNT.get(), 1);
    ensure_eq!(
        load(&MASK_IN),
        bit(libc::SIGUSR1) | bit(libc::SIGHUP),
        "mask inside a SA_RESETHAND handler"
    );
    // Only the handler went back to SIG_DFL; flags and mask stay.
    let a = sigctx::action_of(libc::SIGUSR1)?;
    ensure_eq!(a.handler, libc::SIG_DFL, "handler after one delivery");
    let want = (libc::SA_RESETHAND | libc::SA_RESTART | libc::SA_SIGINFO) as u32 as u64;
    ensure_eq!(
        a.flags & want,
        want,
        "flags after one delivery: {:#x}",
        a.flags
    );
    ensure_eq!(a.mask, bit(libc::SIGHUP), "sa_mask after one delivery");
    // The next one takes the default action.
    let pid = spawn(|| {
        kill_self(libc::SIGUSR1);
        0
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGUSR1));
    Ok(())
}

static DEPTH: Counter = Counter::new();
static MAX_DEPTH: Counter = Counter::new();

/// Re-raises its own signal once, from inside.
extern "C" fn reraise(sig: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let d = DEPTH.bump();
    if d > MAX_DEPTH.get() {
        MAX_DEPTH.set(d);
    }
    if COUNT.bump() == 1 {
        kill_self(sig);
        // With SA_NODEFER the nested run is over by now.
        LOG.push(COUNT.get());
    }
    DEPTH.set(DEPTH.get() - 1);
}

fn sa_nodefer_lets_the_handler_nest() -> CheckResult {
    install(libc::SIGUSR1, reraise, libc::SA_NODEFER, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(COUNT.get(), 2);
    ensure_eq!(MAX_DEPTH.get(), 2, "the handler nested");
    ensure_eq!(LOG.items(), vec![2], "the nested run ended inside kill");
    Ok(())
}

fn without_sa_nodefer_the_signal_waits_for_the_handler() -> CheckResult {
    install(libc::SIGUSR1, reraise, 0, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(COUNT.get(), 2, "delivered again after the handler returned");
    ensure_eq!(MAX_DEPTH.get(), 1, "the handler never nested");
    ensure_eq!(LOG.items(), vec![1], "still pending inside the handler");
    Ok(())
}

// ---- interrupted system calls ----

/// Blocks in read on a pipe a child writes to after signalling us;
/// returns (read's result, errno).
fn read_interrupted(flags: i32) -> Result<(i64, i32), String> {
    install(libc::SIGUSR1, count, flags, &[])?;
    let (rd, wr) = pipe()?;
    let child = signal_parent_later(50, libc::SIGUSR1, Some(wr))?;
    close(wr);
    let mut b = [0u8; 4];
    // SAFETY: b is valid for its length.
    let r = unsafe { libc::read(rd, b.as_mut_ptr().cast(), b.len()) } as i64;
    let e = ftest::errno();
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    close(rd);
    ensure_eq!(COUNT.get(), 1, "the handler ran");
    Ok((r, e))
}

fn sa_restart_restarts_a_blocking_pipe_read() -> CheckResult {
    let (r, e) = read_interrupted(libc::SA_RESTART)?;
    check!(r == 1, "read returned {r} ({})", ftest::errname(e));
    Ok(())
}

fn without_sa_restart_a_blocking_read_returns_eintr() -> CheckResult {
    let (r, e) = read_interrupted(0)?;
    ensure_eq!((r, ftest::errname(e)), (-1, "EINTR"));
    Ok(())
}

fn nanosleep_returns_eintr_even_with_sa_restart() -> CheckResult {
    install(libc::SIGUSR1, count, libc::SA_RESTART, &[])?;
    let child = signal_parent_later(50, libc::SIGUSR1, None)?;
    let req = timespec(Duration::from_secs(2));
    let mut rem = timespec(Duration::ZERO);
    // SAFETY: valid timespec pointers.
    let r = unsafe { libc::syscall(libc::SYS_nanosleep, &req, &mut rem) };
    expect_errno(r, libc::EINTR, "nanosleep interrupted by a handler")?;
    let left = utests::clock::to_duration(&rem);
    check!(
        left > Duration::from_millis(1000) && left < Duration::from_secs(2),
        "time left {left:?}"
    );
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    ensure_eq!(COUNT.get(), 1);
    Ok(())
}

fn ignored_signals_do_not_interrupt_a_blocking_read() -> CheckResult {
    // SIGCHLD and SIGURG are ignored by default, SIGUSR2 explicitly: none
    // of them breaks the read, which gets its byte.
    utests::sig::ignore(libc::SIGUSR2);
    let (rd, wr) = pipe()?;
    let quick = spawn(|| 0)?; // its SIGCHLD arrives during the read
    let child = spawn(move || {
        sleep_ms(30);
        kill(getppid(), libc::SIGURG);
        kill(getppid(), libc::SIGUSR2);
        sleep_ms(30);
        let _ = write_all(wr, b"y");
        0
    })?;
    close(wr);
    let mut b = [0u8; 1];
    // SAFETY: b is valid.
    let r = unsafe { libc::read(rd, b.as_mut_ptr().cast(), 1) };
    let e = ftest::errno();
    check!(r == 1, "read returned {r} ({})", ftest::errname(e));
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    ensure_eq!(wait_pid(quick)?, WaitStatus::Exited(0));
    close(rd);
    Ok(())
}

// ---- waiting for signals ----

fn pause_returns_eintr_after_the_handler() -> CheckResult {
    install(libc::SIGUSR2, count, libc::SA_RESTART, &[])?;
    let child = signal_parent_later(30, libc::SIGUSR2, None)?;
    // SAFETY: pause has no arguments.
    let r = unsafe { libc::syscall(libc::SYS_pause) };
    expect_errno(r, libc::EINTR, "pause")?;
    ensure_eq!(COUNT.get(), 1, "the handler ran before pause returned");
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    Ok(())
}

fn alarm(secs: u32) -> i64 {
    // SAFETY: plain system call.
    unsafe { libc::syscall(libc::SYS_alarm, secs) }
}

fn alarm_fires_and_interrupts_pause() -> CheckResult {
    install(libc::SIGALRM, record, 0, &[])?;
    let start = mono()?;
    ensure_eq!(alarm(1), 0, "no alarm was set");
    // SAFETY: as above.
    let r = unsafe { libc::syscall(libc::SYS_pause) };
    let took = mono()? - start;
    expect_errno(r, libc::EINTR, "pause")?;
    check!(
        took >= Duration::from_millis(990) && took < Duration::from_secs(3),
        "alarm(1) fired after {took:?}"
    );
    let (signo, code, _, _, _) = last();
    ensure_eq!((signo, code), (libc::SIGALRM, libc::SI_KERNEL));
    Ok(())
}

fn alarm_returns_the_seconds_left_and_0_cancels() -> CheckResult {
    install(libc::SIGALRM, count, 0, &[])?;
    ensure_eq!(alarm(10), 0);
    ensure_eq!(alarm(5), 10, "seconds left of alarm(10)");
    ensure_eq!(alarm(0), 5, "seconds left of alarm(5)");
    ensure_eq!(alarm(0), 0, "nothing left after cancelling");
    sleep_ms(20);
    ensure_eq!(COUNT.get(), 0);
    Ok(())
}

fn setitimer(which: i32, value: Duration, interval: Duration) -> Result<libc::itimerval, String> {
    let tv = |d: Duration| libc::timeval {
        tv_sec: d.as_secs() as i64,
        tv_usec: i64::from(d.subsec_micros()),
    };
    let new = libc::itimerval {
        it_interval: tv(interval),
        it_value: tv(value),
    };
    // SAFETY: itimerval is plain data.
    let mut old: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers.
    let r = unsafe { libc::syscall(libc::SYS_setitimer, which, &new, &mut old) };
    sys(r, "setitimer")?;
    Ok(old)
}

fn itv(t: &libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

fn setitimer_real_fires_periodically_until_disarmed() -> CheckResult {
    install(libc::SIGALRM, count, libc::SA_RESTART, &[])?;
    let start = mono()?;
    let period = Duration::from_millis(20);
    setitimer(libc::ITIMER_REAL, period, period)?;
    while COUNT.get() < 5 && mono()? - start < Duration::from_secs(5) {
        sleep_ms(5);
    }
    let took = mono()? - start;
    let old = setitimer(libc::ITIMER_REAL, Duration::ZERO, Duration::ZERO)?;
    check!(COUNT.get() >= 5, "{} expiries in {took:?}", COUNT.get());
    check!(took >= period * 5, "5 expiries of 20 ms after {took:?}");
    ensure_eq!(itv(&old.it_interval), period, "the old interval");
    let n = COUNT.get();
    sleep_ms(100);
    ensure_eq!(COUNT.get(), n, "expiries after disarming");
    Ok(())
}

fn getitimer_reports_the_time_left_and_the_interval() -> CheckResult {
    let old = setitimer(
        libc::ITIMER_REAL,
        Duration::from_secs(5),
        Duration::from_secs(1),
    )?;
    ensure_eq!(
        (itv(&old.it_value), itv(&old.it_interval)),
        (Duration::ZERO, Duration::ZERO)
    );
    sleep_ms(50);
    // SAFETY: itimerval is plain data, for which all-zero bytes are valid.
    let mut cur: libc::itimerval = unsafe { std::mem::zeroed() };
    // SAFETY: cur is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_getitimer, libc::ITIMER_REAL, &mut cur) },
        "getitimer",
    )?;
    let left = itv(&cur.it_value);
    check!(
        left > Duration::from_secs(4) && left < Duration::from_millis(4960),
        "time left {left:?}"
    );
    ensure_eq!(itv(&cur.it_interval), Duration::from_secs(1));
    // SAFETY: cur is a valid out-pointer; timer 7 is refused.
    let r = unsafe { libc::syscall(libc::SYS_getitimer, 7, &mut cur) };
    expect_errno(r, libc::EINVAL, "getitimer(7)")?;
    let bad = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        },
    };
    // SAFETY: bad is a valid itimerval to read; no old value is asked for.
    let r = unsafe { libc::syscall(libc::SYS_setitimer, libc::ITIMER_REAL, &bad, 0usize) };
    expect_errno(r, libc::EINVAL, "setitimer with tv_usec 1000000")
}

fn sigsuspend(mask: u64) -> (i64, i32) {
    // SAFETY: a valid 8-byte mask.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigsuspend, &mask, 8usize) };
    (r, ftest::errno())
}

fn sigsuspend_waits_with_its_mask_then_restores_the_old() -> CheckResult {
    install(libc::SIGUSR1, record, 0, &[])?;
    let old = bit(libc::SIGUSR1) | bit(libc::SIGHUP);
    sigprocmask(libc::SIG_SETMASK, Some(old))?;
    let child = signal_parent_later(30, libc::SIGUSR1, None)?;
    let (r, e) = sigsuspend(bit(libc::SIGUSR2));
    ensure_eq!((r, ftest::errname(e)), (-1, "EINTR"));
    ensure_eq!(COUNT.get(), 1);
    ensure_eq!(
        load(&MASK_IN),
        bit(libc::SIGUSR2) | bit(libc::SIGUSR1),
        "mask in the handler: sigsuspend's and the signal"
    );
    ensure_eq!(load(&UC_MASK), old, "the mask the handler returns to");
    ensure_eq!(current_mask(), old, "mask after sigsuspend");
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    Ok(())
}

fn sigsuspend_returns_at_once_for_a_pending_signal() -> CheckResult {
    install(libc::SIGUSR1, count, 0, &[])?;
    sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGUSR1)))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let start = mono()?;
    let (r, e) = sigsuspend(0);
    ensure_eq!((r, ftest::errname(e)), (-1, "EINTR"));
    check!(mono()? - start < Duration::from_secs(1), "it waited");
    ensure_eq!(COUNT.get(), 1);
    ensure_eq!(current_mask(), bit(libc::SIGUSR1));
    // SAFETY: a raw syscall reading unmapped address 8: the kernel fails with EFAULT.
    let r = unsafe { libc::syscall(libc::SYS_rt_sigsuspend, 8usize, 8usize) };
    expect_errno(r, libc::EFAULT, "rt_sigsuspend with a bad mask pointer")
}

/// rt_sigtimedwait(set, info, timeout): (result, errno, siginfo).
fn sigtimedwait(set: u64, timeout: Option<Duration>) -> (i64, i32, [u8; 128]) {
    let mut si = [0u8; 128];
    let ts = timeout.map(timespec);
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: valid pointers (a NULL timeout waits forever).
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &set,
            si.as_mut_ptr(),
            tsp,
            8usize,
        )
    };
    (r, ftest::errno(), si)
}

fn word(si: &[u8; 128], off: usize) -> i32 {
    i32::from_le_bytes(si[off..off + 4].try_into().expect("4 bytes"))
}

fn sigtimedwait_takes_a_blocked_signal_with_its_info() -> CheckResult {
    install(libc::SIGUSR1, count, 0, &[])?;
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR1)))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let (r, _, si) = sigtimedwait(bit(libc::SIGUSR1), None);
    ensure_eq!(r, libc::SIGUSR1 as i64);
    ensure_eq!(
        (word(&si, 0), word(&si, 8), word(&si, 16)),
        (libc::SIGUSR1, libc::SI_USER, sigctx::getpid()),
        "si_signo, si_code, si_pid"
    );
    ensure_eq!(
        COUNT.get(),
        0,
        "the handler does not run for a taken signal"
    );
    ensure_eq!(sigctx::pending(), 0, "taken off the pending set");
    Ok(())
}

fn sigtimedwait_wakes_for_a_signal_sent_later() -> CheckResult {
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR2)))?;
    let child = signal_parent_later(30, libc::SIGUSR2, None)?;
    let (r, e, si) = sigtimedwait(bit(libc::SIGUSR2), Some(Duration::from_secs(10)));
    check!(
        r == libc::SIGUSR2 as i64,
        "returned {r} ({})",
        ftest::errname(e)
    );
    ensure_eq!(word(&si, 16), child, "si_pid");
    ensure_eq!(wait_pid(child)?, WaitStatus::Exited(0));
    Ok(())
}

fn sigtimedwait_times_out_with_eagain() -> CheckResult {
    sigprocmask(libc::SIG_BLOCK, Some(bit(libc::SIGUSR2)))?;
    let start = mono()?;
    let (r, e, _) = sigtimedwait(bit(libc::SIGUSR2), Some(Duration::from_millis(50)));
    let took = mono()? - start;
    ensure_eq!((r, ftest::errname(e)), (-1, "EAGAIN"));
    check!(took >= Duration::from_millis(50), "returned after {took:?}");
    let (r, e, _) = sigtimedwait(bit(libc::SIGUSR2), Some(Duration::ZERO));
    ensure_eq!(
        (r, ftest::errname(e)),
        (-1, "EAGAIN"),
        "a zero timeout polls"
    );
    Ok(())
}

// ---- the alternate stack ----

/// sigaltstack(NULL, &old) inside the handler: flags, sp, size.
static ALT_SEEN: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
/// uc_stack of the last delivery: sp, flags, size.
static UC_STACK: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
/// sigaltstack(new) inside the handler: result and errno.
static ALT_SET: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

extern "C" fn on_stack(sig: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let (_, old) = sigaltstack(None);
    store(&ALT_SEEN[0], old.ss_flags as u32 as u64);
    store(&ALT_SEEN[1], old.ss_sp as u64);
    store(&ALT_SEEN[2], old.ss_size as u64);
    // SAFETY: the kernel's ucontext, within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    store(&UC_STACK[0], ctx.uc_stack.ss_sp as u64);
    store(&UC_STACK[1], ctx.uc_stack.ss_flags as u32 as u64);
    store(&UC_STACK[2], ctx.uc_stack.ss_size as u64);
    let (r, _) = sigaltstack(Some((old.ss_sp as usize, 0, 16384)));
    store(&ALT_SET[0], r as u64);
    store(&ALT_SET[1], ftest::errno() as u64);
    LOG.push(uc as u64);
    if sig == libc::SIGUSR1 && COUNT.bump() == 1 {
        // The nested case: another signal from inside.
        if load(&NEST) != 0 {
            kill_self(libc::SIGUSR2);
        }
    }
    let _ = si;
}

static NEST: AtomicU64 = AtomicU64::new(0);

fn inside(addr: u64, (base, size): (usize, usize)) -> bool {
    addr >= base as u64 && addr < (base + size) as u64
}

fn handler_runs_on_the_alternate_stack_with_sa_onstack() -> CheckResult {
    let stack = sigctx::leak_stack(64 * 1024);
    let (r, _) = sigaltstack(Some((stack.0, 0, stack.1)));
    sys(r, "sigaltstack")?;
    install(libc::SIGUSR1, on_stack, libc::SA_ONSTACK, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let uc = LOG.items();
    ensure_eq!(uc.len(), 1);
    check!(
        inside(uc[0], stack),
        "ucontext {:#x} outside the alternate stack {:#x}+{:#x}",
        uc[0],
        stack.0,
        stack.1
    );
    ensure_eq!(
        load(&ALT_SEEN[0]) as i32,
        libc::SS_ONSTACK,
        "sigaltstack's flags in the handler"
    );
    ensure_eq!(
        (
            load(&UC_STACK[0]),
            load(&UC_STACK[1]) as i32,
            load(&UC_STACK[2])
        ),
        (stack.0 as u64, 0, stack.1 as u64),
        "uc_stack: the stack as it was set"
    );
    let (_, now) = sigaltstack(None);
    ensure_eq!(now.ss_flags, 0, "flags after the handler");
    Ok(())
}

fn without_sa_onstack_the_handler_stays_on_the_stack() -> CheckResult {
    let stack = sigctx::leak_stack(64 * 1024);
    sys(sigaltstack(Some((stack.0, 0, stack.1))).0, "sigaltstack")?;
    install(libc::SIGUSR1, on_stack, 0, &[])?;
    let here = 0u64;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let uc = LOG.items();
    ensure_eq!(uc.len(), 1);
    check!(!inside(uc[0], stack), "ucontext on the alternate stack");
    let sp = &here as *const u64 as u64;
    check!(
        uc[0] < sp && sp - uc[0] < 64 * 1024,
        "ucontext {:#x} not just below our stack ({sp:#x})",
        uc[0]
    );
    ensure_eq!(load(&ALT_SEEN[0]), 0, "sigaltstack's flags in the handler");
    Ok(())
}

fn nested_handler_stays_on_the_alternate_stack() -> CheckResult {
    let stack = sigctx::leak_stack(64 * 1024);
    sys(sigaltstack(Some((stack.0, 0, stack.1))).0, "sigaltstack")?;
    install(libc::SIGUSR1, on_stack, libc::SA_ONSTACK, &[])?;
    install(libc::SIGUSR2, on_stack, libc::SA_ONSTACK, &[])?;
    NEST.store(1, Ordering::SeqCst);
    sys(kill_self(libc::SIGUSR1), "kill")?;
    // LOG: each handler logs its frame before the nested signal is sent.
    let uc = LOG.items();
    ensure_eq!(uc.len(), 2);
    let (outer, inner) = (uc[0], uc[1]);
    check!(
        inside(outer, stack) && inside(inner, stack),
        "frames {outer:#x} and {inner:#x}"
    );
    check!(
        inner < outer,
        "the nested frame {inner:#x} is not below the first {outer:#x}"
    );
    Ok(())
}

fn sigaltstack_cannot_change_while_on_it() -> CheckResult {
    let stack = sigctx::leak_stack(64 * 1024);
    sys(sigaltstack(Some((stack.0, 0, stack.1))).0, "sigaltstack")?;
    install(libc::SIGUSR1, on_stack, libc::SA_ONSTACK, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(
        (load(&ALT_SET[0]) as i64, load(&ALT_SET[1]) as i32),
        (-1, libc::EPERM),
        "sigaltstack(new) on the alternate stack"
    );
    let (_, now) = sigaltstack(None);
    ensure_eq!(
        (now.ss_sp as usize, now.ss_size),
        stack,
        "the stack is unchanged"
    );
    Ok(())
}

fn ss_autodisarm_disarms_the_stack_while_a_handler_runs() -> CheckResult {
    let stack = sigctx::leak_stack(64 * 1024);
    let (r, _) = sigaltstack(Some((stack.0, sigctx::SS_AUTODISARM, stack.1)));
    sys(r, "sigaltstack(SS_AUTODISARM)")?;
    install(libc::SIGUSR1, on_stack, libc::SA_ONSTACK, &[])?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    let uc = LOG.items();
    ensure_eq!(uc.len(), 1);
    check!(inside(uc[0], stack), "frame {:#x} not on the stack", uc[0]);
    ensure_eq!(
        (
            load(&ALT_SEEN[0]) as i32,
            load(&ALT_SEEN[1]),
            load(&ALT_SEEN[2])
        ),
        (libc::SS_DISABLE, 0, 0),
        "the stack inside the handler"
    );
    ensure_eq!(
        load(&UC_STACK[1]) as i32,
        sigctx::SS_AUTODISARM,
        "uc_stack's flags"
    );
    // The handler could set a stack (it was disarmed); sigreturn put the
    // saved one back.
    ensure_eq!(load(&ALT_SET[0]), 0, "sigaltstack(new) in the handler");
    let (_, now) = sigaltstack(None);
    ensure_eq!(
        (now.ss_sp as usize, now.ss_flags, now.ss_size),
        (stack.0, sigctx::SS_AUTODISARM, stack.1),
        "after the handler"
    );
    Ok(())
}
