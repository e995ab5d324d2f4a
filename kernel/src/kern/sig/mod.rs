//! Signals (NetBSD's kern_sig.c): dispositions, masks, pending sets,
//! sending, and acting on them on the way back to user mode.
//!
//! State. A process has its dispositions (`SigAction` per signal) and the
//! signals sent to the process as a whole, behind its `sig` spin lock (a
//! timer may post a signal from the clock interrupt). A thread has its
//! blocked mask, the signals sent to it alone (tkill, traps), and its
//! alternate stack (`LwpSig`). A pending signal carries a small record of
//! who sent it and why (`SigInfo`), kept for the standard signals (one
//! instance each) in a few inline slots.
//!
//! Sending (`post`): a signal the target ignores is dropped at once
//! (unless the thread blocks it: the disposition may change before it is
//! unblocked); otherwise it is added to the pending set, and if the thread
//! does not block it, the thread is made to notice: its `interrupt_pending`
//! flag is set (checked on every return to user mode) and an
//! interruptible sleep it is in ends (system calls return EINTR or
//! restart). SIGKILL cannot be caught, blocked or ignored.
//!
//! Acting (`deliver_pending`, from `userret`): the lowest deliverable
//! signal is taken; ignored ones vanish; the default action terminates
//! (the wait status says which signal; "core" signals set the core flag,
//! though no core file is written) or is ignored; a caught signal runs its
//! handler (`sendsig`: the Linux signal frame on the user stack).
//!
//! Traps (`trapsignal`) are signals forced on the thread: if it blocks or
//! ignores them, the disposition reverts to the default (Linux's
//! force_sig), so a program cannot spin on a fault it hides.

pub mod sys;

use crate::arch::x86_64::trap::{FaultCause, TrapFrame, TrapKind};
use crate::kern::proc::Proc;
use crate::kern::sched::lwp::Lwp;
use crate::kern::sched::spinlock::SpinLock;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::sicode;
use ferrite_abi::signal::{self as s, DefaultAction, SigSet};
use ferrite_abi::{StackT, WaitStatus};

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
    /// Sent by `kill` from process `pid`.
    pub fn user(signo: i32, pid: u32) -> SigInfo {
        SigInfo {
            signo,
            code: sicode::SI_USER,
            pid,
            uid: 0,
            status: 0,
            addr: 0,
        }
    }

    /// Raised by the kernel itself.
    pub fn kernel(signo: i32) -> SigInfo {
        SigInfo {
            signo,
            code: sicode::SI_KERNEL,
            pid: 0,
            uid: 0,
            status: 0,
            addr: 0,
        }
    }

    /// As a full Linux `siginfo_t`.
    pub fn to_abi(&self) -> ferrite_abi::Siginfo {
        use ferrite_abi::Siginfo;
        match self.signo {
            s::SIGCHLD => Siginfo::child(self.code, self.pid as i32, self.uid, self.status, 0, 0),
            s::SIGSEGV | s::SIGBUS | s::SIGILL | s::SIGFPE | s::SIGTRAP
                if self.code > 0 =>
            {
                Siginfo::fault(self.signo, self.code, self.addr)
            }
            _ if self.code == sicode::SI_QUEUE || self.code == sicode::SI_TIMER => {
                Siginfo::rt(self.signo, self.code, self.pid as i32, self.uid, self.addr)
            }
            _ => Siginfo::kill(self.signo, self.code, self.pid as i32, self.uid),
        }
    }
}

/// Pending-signal records kept inline (one per pending standard signal).
const INFO_SLOTS: usize = 6;

/// A pending set with its records.
#[derive(Clone, Copy)]
pub struct Pending {
    pub set: SigSet,
    infos: [Option<SigInfo>; INFO_SLOTS],
}

impl Pending {
    pub const fn new() -> Pending {
        Pending {
            set: SigSet::EMPTY,
            infos: [None; INFO_SLOTS],
        }
    }

    fn add(&mut self, info: SigInfo) {
        if self.set.contains(info.signo) {
            return; // standard signals do not queue: one instance
        }
        self.set.add(info.signo);
        if let Some(slot) = self.infos.iter_mut().find(|i| i.is_none()) {
            *slot = Some(info);
        }
    }

    /// Take `sig` off the set with its record (a generic one if none was kept).
    fn take(&mut self, sig: i32) -> SigInfo {
        self.set.remove(sig);
        for slot in self.infos.iter_mut() {
            if slot.is_some_and(|i| i.signo == sig) {
                return slot.take().expect("checked");
            }
        }
        SigInfo::kernel(sig)
    }

    fn discard(&mut self, set: SigSet) {
        for sig in set.intersection(self.set).iter() {
            self.take(sig);
        }
    }
}

impl Default for Pending {
    fn default() -> Self {
        Self::new()
    }
}

/// A process's signal state.
pub struct SigState {
    pub actions: [SigAction; NSIG],
    /// Signals sent to the process.
    pub pending: Pending,
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

    /// At exec: caught signals go back to the default, ignored stay
    /// ignored; pending signals are kept.
    pub fn exec_reset(&mut self) {
        for a in self.actions.iter_mut() {
            if !a.is_ignore() {
                *a = SigAction::DEFAULT;
            }
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

/// A thread's signal state.
pub struct LwpSig {
    /// Blocked signals.
    pub mask: AtomicU64,
    /// Signals sent to this thread alone (tkill, traps) and the alternate
    /// stack, under one small lock.
    pub inner: SpinLock<LwpSigInner>,
}

pub struct LwpSigInner {
    pub pending: Pending,
    pub altstack: StackT,
}

impl LwpSig {
    pub fn new() -> LwpSig {
        LwpSig {
            mask: AtomicU64::new(0),
            inner: SpinLock::new(
                "lwp-sig",
                LwpSigInner {
                    pending: Pending::new(),
                    altstack: StackT {
                        ss_sp: 0,
                        ss_flags: s::SS_DISABLE,
                        _pad: 0,
                        ss_size: 0,
                    },
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
        || (act.is_default()
            && matches!(s::default_action(sig), Some(DefaultAction::Ign)))
}

/// Recompute whether `l` must look at its signals before returning to user
/// mode, and wake it from an interruptible sleep if so.
fn notify(p: &Proc, l: &Lwp) {
    let mask = l.sig.mask();
    let pending = p.sig.lock().pending.set.union(l.sig.inner.lock().pending.set);
    let deliverable = !pending.difference(mask).is_empty() || pending.contains(s::SIGKILL);
    if deliverable {
        crate::kern::sched::lwp::interrupt(l);
    }
}

/// Send `info.signo` to process `p` (kill). Signal 0 only checks.
pub fn post(p: &Proc, info: SigInfo) {
    let sig = info.signo;
    if sig == 0 {
        return;
    }
    let Some(l) = p.lwp() else {
        return; // a zombie: nothing to do
    };
    {
        let mut st = p.sig.lock();
        let act = st.action(sig);
        if ignored(sig, &act) && !l.sig.mask().contains(sig) {
            return;
        }
        st.pending.add(info);
    }
    notify(p, &l);
}

/// Send a signal to one thread (tkill, tgkill, traps).
pub fn post_lwp(p: &Proc, l: &Lwp, info: SigInfo) {
    if info.signo == 0 {
        return;
    }
    {
        let act = p.sig.lock().action(info.signo);
        if ignored(info.signo, &act) && !l.sig.mask().contains(info.signo) {
            return;
        }
        l.sig.inner.lock().pending.add(info);
    }
    notify(p, l);
}

/// Send a kernel-raised signal to the current process (SIGPIPE, ...).
pub fn send_to_curproc(sig: i32) {
    if let Some(p) = crate::kern::proc::curproc_opt() {
        post(p, SigInfo::kernel(sig));
    }
}

/// A terminal key wants `sig` (SIGINT, SIGTSTP, SIGQUIT) sent to the
/// terminal's foreground process group.
pub fn tty_signal(pgid: u32, sig: i32) {
    sys::kill_pgrp(pgid, SigInfo::kernel(sig));
}

/// True if the current thread has signal work before returning to user
/// mode (the fast check `userret` makes on every return).
pub fn work_pending() -> bool {
    let l = crate::kern::sched::curlwp();
    l.interrupt_pending.load(Ordering::Relaxed) && l.proc().is_some()
}

/// Take the next deliverable signal of the current thread, if any:
/// thread-directed ones first, then the process's; SIGKILL before all.
fn next_signal(p: &Proc, l: &Lwp) -> Option<(SigInfo, SigAction)> {
    let mask = l.sig.mask();
    let mut ps = p.sig.lock();
    let mut ls = l.sig.inner.lock();
    let deliverable = |set: SigSet| {
        if set.contains(s::SIGKILL) {
            Some(s::SIGKILL)
        } else {
            set.difference(mask).first()
        }
    };
    let info = if let Some(sig) = deliverable(ls.pending.set) {
        ls.pending.take(sig)
    } else if let Some(sig) = deliverable(ps.pending.set) {
        ps.pending.take(sig)
    } else {
        return None;
    };
    Some((info, ps.action(info.signo)))
}

/// Act on the current thread's deliverable signals (from `userret`, with
/// interrupts on). Returns when none is left; may not return at all (the
/// process is terminated).
pub fn deliver_pending(frame: &mut TrapFrame) {
    let l = crate::kern::sched::curlwp();
    let Some(p) = l.proc() else {
        l.interrupt_pending.store(false, Ordering::SeqCst);
        return;
    };
    l.interrupt_pending.store(false, Ordering::SeqCst);
    while let Some((info, act)) = next_signal(p, l) {
        let sig = info.signo;
        if sig == s::SIGKILL || act.is_default() {
            match s::default_action(sig) {
                Some(DefaultAction::Ign) | Some(DefaultAction::Cont) => continue,
                Some(DefaultAction::Stop) => continue, // job control: see issue 11
                Some(DefaultAction::Core) => crate::kern::proc::exit::exit1(
                    WaitStatus::Signaled {
                        sig: sig as u8,
                        core: true,
                    },
                ),
                _ => crate::kern::proc::exit::exit1(WaitStatus::Signaled {
                    sig: sig as u8,
                    core: false,
                }),
            }
        }
        if act.is_ignore() {
            continue;
        }
        // A caught signal: its handler runs when signal frames exist; until
        // then the default action applies.
        let _ = frame;
        match s::default_action(sig) {
            Some(DefaultAction::Term) | Some(DefaultAction::Core) => {
                crate::kern::proc::exit::exit1(WaitStatus::Signaled {
                    sig: sig as u8,
                    core: false,
                })
            }
            _ => continue,
        }
    }
}

/// The signal and si_code for a user-mode trap (Linux's mapping), and a
/// description for the log.
pub fn signal_for(kind: TrapKind) -> (i32, i32, &'static str) {
    match kind {
        TrapKind::DivideError => (s::SIGFPE, sicode::FPE_INTDIV, "divide error"),
        TrapKind::Debug => (s::SIGTRAP, sicode::TRAP_TRACE, "debug trap"),
        TrapKind::Breakpoint => (s::SIGTRAP, sicode::SI_KERNEL, "breakpoint"),
        TrapKind::InvalidOpcode => (s::SIGILL, sicode::ILL_ILLOPN, "invalid opcode"),
        TrapKind::GeneralProtection => (s::SIGSEGV, sicode::SI_KERNEL, "general protection fault"),
        TrapKind::StackSegment => (s::SIGBUS, sicode::SI_KERNEL, "segment fault"),
        TrapKind::Alignment => (s::SIGBUS, sicode::BUS_ADRALN, "alignment check"),
        TrapKind::FloatingPoint => (s::SIGFPE, sicode::FPE_FLTINV, "floating-point exception"),
        TrapKind::PageFault { cause, .. } => match cause {
            FaultCause::Unmapped => (s::SIGSEGV, sicode::SEGV_MAPERR, "page fault (no mapping)"),
            FaultCause::Protection => (s::SIGSEGV, sicode::SEGV_ACCERR, "page fault (protection)"),
            FaultCause::NoMemory => (s::SIGKILL, sicode::SI_KERNEL, "page fault (out of memory)"),
            FaultCause::Io => (s::SIGBUS, sicode::BUS_ADRERR, "page fault (pager error)"),
        },
        TrapKind::Other(_) => (s::SIGSEGV, sicode::SI_KERNEL, "exception"),
    }
}

/// A user-mode trap the VM could not resolve: the signal is forced on the
/// thread (acted on before it returns to user mode). A thread without a
/// process (the kernel's ring-3 tests) ends at once with the signal in its
/// exit status, with one log line.
pub fn trapsignal(frame: &mut TrapFrame, kind: TrapKind) {
    let (signo, code, what) = signal_for(kind);
    let addr = match kind {
        TrapKind::PageFault { addr, .. } => addr,
        TrapKind::GeneralProtection | TrapKind::StackSegment => 0,
        _ => frame.rip,
    };
    let l = crate::kern::sched::curlwp();
    let Some(p) = l.proc() else {
        log::warn!(
            "{:?}: {} at address {:#x}, rip {:#x}: killed by {}",
            l,
            what,
            addr,
            frame.rip,
            s::signal_name(signo).unwrap_or("signal")
        );
        x86_64::instructions::interrupts::enable();
        crate::kern::sched::lwp::exit(signo)
    };
    log::debug!(
        "pid {}: {} at address {:#x}, rip {:#x}: {}",
        p.pid(),
        what,
        addr,
        frame.rip,
        s::signal_name(signo).unwrap_or("signal")
    );
    // Forced: a blocked or ignored trap signal reverts to the default.
    {
        let mut st = p.sig.lock();
        let idx = signo as usize - 1;
        if l.sig.mask().contains(signo) || st.actions[idx].is_ignore() {
            st.actions[idx] = SigAction::DEFAULT;
        }
    }
    let mut m = l.sig.mask();
    m.remove(signo);
    l.sig.set_mask(m);
    post_lwp(
        p,
        l,
        SigInfo {
            signo,
            code,
            pid: 0,
            uid: 0,
            status: 0,
            addr,
        },
    );
}
