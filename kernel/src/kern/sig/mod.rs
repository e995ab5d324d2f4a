//! Signals (NetBSD's kern_sig.c): dispositions, masks, pending sets,
//! sending, and acting on them on the way back to user mode.
//!
//! State. A process has its dispositions (`SigAction` per signal) and the
//! signals sent to the process as a whole, behind its `sig` spin lock (a
//! timer may post a signal from the clock interrupt). A thread has its
//! blocked mask, the signals sent to it alone (tkill, traps), its
//! alternate stack (`altstack`) and the last trap that raised a signal
//! (`LwpSig`). Pending signals carry records of who sent them and why
//! (`pending`: one instance of a standard signal, every instance of a
//! real-time one).
//!
//! Sending (`post`): a signal the target ignores is dropped at once
//! (unless the thread blocks it: the disposition may change before it is
//! unblocked); otherwise it is added to the pending set, and if the thread
//! does not block it, the thread is made to notice: its `interrupt_pending`
//! flag is set (checked on every return to user mode) and an
//! interruptible sleep it is in ends (system calls return EINTR or
//! restart). SIGKILL cannot be caught, blocked or ignored.
//!
//! Acting (`deliver`): on the way back to user mode the deliverable
//! signals are taken one by one; default actions terminate, stop or do
//! nothing, and caught signals get a handler frame each (a later one
//! nested on top of an earlier one, as on Linux).
//!
//! Traps (`trap`) become signals forced on the thread; job control
//! (`jobctl`) stops and continues processes and tells their parents.

pub mod altstack;
mod deliver;
pub mod itimer;
mod jobctl;
pub mod pending;
pub mod sys;
mod trap;

mod tests;

pub use deliver::{build_frame, deliver_pending, finish_return, sigreturn};
pub use trap::{signal_for, trapsignal};

use crate::kern::proc::Proc;
use crate::kern::sched::lwp::Lwp;
use crate::kern::sched::sleepq;
use crate::kern::sched::spinlock::SpinLock;
use altstack::AltStack;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use ferrite_abi::sicode;
use ferrite_abi::signal::{self as s, DefaultAction, SigSet};
use pending::{Added, LWP_QUEUE, PROC_QUEUE, Pending};

/// Signals 1..=64.
pub const NSIG: usize = 64;

/// What a process does with a signal (the kernel's `struct sigaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigAction {
    /// `SIG_DFL` (0), `SIG_IGN` (1) or a handler address.
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    /// Blocked while the handler runs.
    pub mask: SigSet,
}

impl SigAction {
    pub const DEFAULT: SigAction = SigAction {
        handler: s::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: SigSet::EMPTY,
    };

    pub fn is_default(&self) -> bool {
        self.handler == s::SIG_DFL
    }

    pub fn is_ignore(&self) -> bool {
        self.handler == s::SIG_IGN
    }
}

/// Who sent a signal, and why (the fields of a `siginfo_t` that matter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    /// Child status (SIGCHLD), or errno.
    pub status: i32,
    /// Fault address, or sigqueue value.
    pub addr: u64,
}

impl SigInfo {
    /// An empty slot (signal 0).
    pub const NONE: SigInfo = SigInfo {
        signo: 0,
        code: 0,
        pid: 0,
        uid: 0,
        status: 0,
        addr: 0,
    };

    /// Sent by `kill` from process `pid`.
    pub fn user(signo: i32, pid: u32) -> SigInfo {
        SigInfo {
            signo,
            code: sicode::SI_USER,
            pid,
            ..Self::NONE
        }
    }

    /// The same with another si_code.
    pub fn with_code(mut self, code: i32) -> SigInfo {
        self.code = code;
        self
    }

    /// Raised by the kernel itself.
    pub fn kernel(signo: i32) -> SigInfo {
        SigInfo {
            signo,
            code: sicode::SI_KERNEL,
            ..Self::NONE
        }
    }

    /// As a full Linux `siginfo_t`: the union member follows the signal
    /// and the code (a fault's address only for the fault codes; a
    /// kernel-raised trap such as int3 has the kill form, pid and uid 0).
    pub fn to_abi(self) -> ferrite_abi::Siginfo {
        use ferrite_abi::Siginfo;
        let fault_code = self.code > 0 && self.code != sicode::SI_KERNEL;
        match self.signo {
            s::SIGCHLD if fault_code => {
                Siginfo::child(self.code, self.pid as i32, self.uid, self.status, 0, 0)
            }
            s::SIGSEGV | s::SIGBUS | s::SIGILL | s::SIGFPE | s::SIGTRAP if fault_code => {
                Siginfo::fault(self.signo, self.code, self.addr)
            }
            _ if self.code == sicode::SI_QUEUE || self.code == sicode::SI_TIMER => {
                Siginfo::rt(self.signo, self.code, self.pid as i32, self.uid, self.addr)
            }
            _ => Siginfo::kill(self.signo, self.code, self.pid as i32, self.uid),
        }
    }
}

/// A process's signal state.
pub struct SigState {
    pub actions: [SigAction; NSIG],
    /// Signals sent to the process.
    pub pending: Pending<PROC_QUEUE>,
}

impl SigState {
    /// Every signal at its default.
    pub fn new() -> SigState {
        SigState {
            actions: [SigAction::DEFAULT; NSIG],
            pending: Pending::new(),
        }
    }

    /// A forked child's: the same dispositions, nothing pending.
    pub fn fork_copy(&self) -> SigState {
        SigState {
            actions: self.actions,
            pending: Pending::new(),
        }
    }

    /// At exec: caught signals go back to the default, ignored ones stay
    /// ignored; every action loses its flags, restorer and mask (Linux's
    /// flush_signal_handlers). Pending signals are kept.
    pub fn exec_reset(&mut self) {
        for a in self.actions.iter_mut() {
            let handler = if a.is_ignore() {
                s::SIG_IGN
            } else {
                s::SIG_DFL
            };
            *a = SigAction {
                handler,
                ..SigAction::DEFAULT
            };
        }
    }

    pub fn action(&self, sig: i32) -> SigAction {
        self.actions[sig as usize - 1]
    }
}

impl Default for SigState {
    fn default() -> Self {
        Self::new()
    }
}

/// The last trap that raised a signal for a thread: what a signal frame
/// reports in sigcontext's trapno, err and cr2 (Linux keeps the same
/// per-thread values, stale for signals that are not traps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapRecord {
    pub trapno: u64,
    pub err: u64,
    pub cr2: u64,
}

/// A thread's signal state.
pub struct LwpSig {
    /// Blocked signals.
    pub mask: AtomicU64,
    /// The mask rt_sigsuspend replaced, restored after the handler (or on
    /// the way out if none ran); `u64::MAX` when unset.
    saved_mask: AtomicU64,
    /// Signals sent to this thread alone (tkill, traps), the alternate
    /// stack and the last trap, under one small lock.
    pub inner: SpinLock<LwpSigInner>,
}

pub struct LwpSigInner {
    pub pending: Pending<LWP_QUEUE>,
    pub altstack: AltStack,
    pub trap: TrapRecord,
}

impl LwpSig {
    pub fn new() -> LwpSig {
        LwpSig {
            mask: AtomicU64::new(0),
            saved_mask: AtomicU64::new(u64::MAX),
            inner: SpinLock::new(
                "lwp-sig",
                LwpSigInner {
                    pending: Pending::new(),
                    altstack: AltStack::NONE,
                    trap: TrapRecord::default(),
                },
            ),
        }
    }

    pub fn mask(&self) -> SigSet {
        SigSet(self.mask.load(Ordering::Relaxed))
    }

    /// Set the blocked mask (SIGKILL and SIGSTOP are never blocked).
    pub fn set_mask(&self, m: SigSet) {
        self.mask.store(m.blockable().bits(), Ordering::Relaxed);
    }

    /// Remember the mask to restore after a handler (rt_sigsuspend).
    pub fn save_mask(&self, m: SigSet) {
        self.saved_mask.store(m.bits(), Ordering::Relaxed);
    }

    /// Take the remembered mask, if any.
    pub fn take_saved_mask(&self) -> Option<SigSet> {
        let v = self.saved_mask.swap(u64::MAX, Ordering::Relaxed);
        (v != u64::MAX).then_some(SigSet(v))
    }

    /// At exec: no alternate stack (mask and pending signals are kept).
    pub fn exec_reset(&self) {
        self.inner.lock().altstack = AltStack::NONE;
    }
}

impl Default for LwpSig {
    fn default() -> Self {
        Self::new()
    }
}

/// True if `sig` sent to a process with `act` would do nothing at all.
fn ignored(sig: i32, act: &SigAction) -> bool {
    if sig == s::SIGKILL || sig == s::SIGSTOP {
        return false;
    }
    act.is_ignore()
        || (act.is_default() && matches!(s::default_action(sig), Some(DefaultAction::Ign)))
}

/// Recompute whether `l` must look at its signals before returning to user
/// mode, and wake it from an interruptible sleep if so.
fn notify(p: &Proc, l: &Lwp) {
    let mask = l.sig.mask();
    let pending = p
        .sig
        .lock()
        .pending
        .set
        .union(l.sig.inner.lock().pending.set);
    let deliverable = !pending.difference(mask).is_empty() || pending.contains(s::SIGKILL);
    if deliverable {
        crate::kern::sched::lwp::interrupt(l);
    }
}

/// Send `info.signo` to process `p` (kill). Signal 0 only checks.
pub fn post(p: &Proc, info: SigInfo) {
    let _ = post_checked(p, info);
}

/// `post`, failing with EAGAIN (and sending nothing) when a real-time
/// signal with a value finds no room for its record (rt_sigqueueinfo).
pub fn post_checked(p: &Proc, info: SigInfo) -> Result<(), ferrite_abi::Errno> {
    let sig = info.signo;
    if sig == 0 {
        return Ok(());
    }
    let Some(l) = p.lwp() else {
        return Ok(()); // a zombie: nothing to do
    };
    // A tracee in a ptrace stop stays there on SIGCONT (not on SIGKILL).
    let held = sig == s::SIGCONT && crate::kern::ptrace::in_trace_stop(p);
    let woke = {
        let mut st = p.sig.lock();
        // A stop discards pending continues, a continue pending stops.
        if SigSet::STOP.contains(sig) {
            st.pending.discard(SigSet::single(s::SIGCONT));
            l.sig
                .inner
                .lock()
                .pending
                .discard(SigSet::single(s::SIGCONT));
            crate::kern::sched::lwp::forget_continue(&l);
        } else if sig == s::SIGCONT {
            st.pending.discard(SigSet::STOP);
            l.sig.inner.lock().pending.discard(SigSet::STOP);
        }
        // SIGCONT and SIGKILL resume a stopped process whatever else
        // happens to them (under this lock, so that a stop signal taken
        // meanwhile sees the continue: see jobctl).
        let woke = (sig == s::SIGKILL || (sig == s::SIGCONT && !held))
            && crate::kern::sched::lwp::continue_thread(&l);
        let act = st.action(sig);
        let blocked = l.sig.mask().contains(sig);
        // A tracer sees even ignored signals (signal-delivery-stop).
        if !ignored(sig, &act) || blocked || crate::kern::ptrace::is_traced(p) {
            if sig >= s::SIGRTMIN && info.code < 0 && !st.pending.has_room() {
                return Err(ferrite_abi::Errno::EAGAIN);
            }
            let _: Added = st.pending.add(info);
        }
        woke
    };
    if woke && sig == s::SIGCONT {
        jobctl::report_continue(p);
    }
    notify(p, &l);
    Ok(())
}

/// Send a signal to one thread (tkill, tgkill, traps).
pub fn post_lwp(p: &Proc, l: &Lwp, info: SigInfo) {
    if info.signo == 0 {
        return;
    }
    {
        let act = p.sig.lock().action(info.signo);
        if ignored(info.signo, &act)
            && !l.sig.mask().contains(info.signo)
            && !crate::kern::ptrace::is_traced(p)
        {
            return;
        }
        l.sig.inner.lock().pending.add(info);
    }
    notify(p, l);
}

/// Block `mask` instead of the current thread's mask until its system
/// call returns (rt_sigsuspend, ppoll): the old mask comes back on the
/// return (`finish_return`), or, when a signal broke the call, after that
/// signal's handler (its frame saves the old mask).
pub fn set_temporary_mask(mask: SigSet) {
    let l = crate::kern::sched::curlwp();
    l.sig.save_mask(l.sig.mask());
    l.sig.set_mask(mask);
    if let Some(p) = l.proc() {
        notify(p, l);
    }
}

/// Send a kernel-raised signal to the current process (SIGPIPE, ...).
pub fn send_to_curproc(sig: i32) {
    if let Some(p) = crate::kern::proc::curproc_opt() {
        post(p, SigInfo::kernel(sig));
    }
}

/// Terminal signals typed but not yet sent: a bit per signal number.
static TTY_PENDING: AtomicU64 = AtomicU64::new(0);
/// The foreground group they go to.
static TTY_PGRP: AtomicU32 = AtomicU32::new(0);

/// A terminal key wants `sig` (SIGINT, SIGTSTP, SIGQUIT) sent to the
/// terminal's foreground process group `pgid`.
///
/// Called from the clock interrupt (console input is polled there), where
/// walking a process group (which allocates) is not allowed: the signal
/// is recorded and the `ttysig` thread sends it.
pub fn tty_signal(pgid: u32, sig: i32) {
    if !(1..64).contains(&sig) {
        return;
    }
    TTY_PGRP.store(pgid, Ordering::Relaxed);
    TTY_PENDING.fetch_or(1 << sig, Ordering::Release);
    sleepq::wakeup(sleepq::chan(&TTY_PENDING));
}

/// The `ttysig` thread: sends the terminal signals `tty_signal` recorded.
fn ttysig_main(_: usize) {
    loop {
        let chan = sleepq::chan(&TTY_PENDING);
        let _ = sleepq::sleep_until(chan, false, None, || {
            TTY_PENDING.load(Ordering::Acquire) != 0
        });
        let bits = TTY_PENDING.swap(0, Ordering::Acquire);
        let pgid = TTY_PGRP.load(Ordering::Relaxed);
        for sig in 1..64 {
            if bits & (1 << sig) != 0 {
                sys::kill_pgrp(pgid, SigInfo::kernel(sig));
            }
        }
    }
}

/// Start the `ttysig` thread (boot, before the first process).
pub fn init() {
    if let Err(e) = crate::kern::sched::lwp::kthread_create("ttysig", ttysig_main, 0) {
        log::error!("sig: no ttysig thread ({e:?}): terminal keys will not signal");
    }
}

/// True if the current thread has signal work before returning to user
/// mode (the fast check `userret` makes on every return).
pub fn work_pending() -> bool {
    let l = crate::kern::sched::curlwp();
    l.interrupt_pending.load(Ordering::Relaxed) && l.proc().is_some()
}
