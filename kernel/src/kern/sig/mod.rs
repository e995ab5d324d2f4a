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
//!
//! Handlers (`sendsig`): the Linux x86_64 signal frame (`rt_sigframe`:
//! the restorer as return address, the ucontext with every register, the
//! old mask and the alternate stack, the siginfo, the FXSAVE image) goes on
//! the user stack, or on the alternate stack with SA_ONSTACK; the handler
//! starts with rdi = signal, rsi = &info, rdx = &uc and a clean FPU state.
//! rt_sigreturn restores all of it, refusing a forged context.
//!
//! System calls interrupted by a signal return ERESTARTSYS (or another
//! restart code); on the way out it becomes EINTR when a handler runs
//! without SA_RESTART, and otherwise the call is restarted (rip moved back
//! over the `syscall`, rax = the number again).
//!
//! Job control: a stop signal's default action stops the process (its
//! thread leaves the CPU, its parent hears of it through wait and SIGCHLD
//! with CLD_STOPPED unless SA_NOCLDSTOP); SIGCONT (and SIGKILL) continue it
//! (CLD_CONTINUED); a stop discards pending SIGCONT and vice versa.

pub mod itimer;
pub mod sys;

use crate::arch::x86_64::trap::{FaultCause, TrapFrame, TrapKind};
use crate::kern::proc::Proc;
use crate::kern::sched::lwp::Lwp;
use crate::kern::sched::sleepq;
use crate::kern::sched::spinlock::SpinLock;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use ferrite_abi::sicode;
use ferrite_abi::signal::{self as s, DefaultAction, SigSet};
use ferrite_abi::{Errno, StackT, WaitStatus};

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
            s::SIGSEGV | s::SIGBUS | s::SIGILL | s::SIGFPE | s::SIGTRAP if self.code > 0 => {
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
    /// The mask rt_sigsuspend replaced, restored after the handler (or on
    /// the way out if none ran); `u64::MAX` when unset.
    saved_mask: AtomicU64,
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
            saved_mask: AtomicU64::new(u64::MAX),
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

    /// Remember the mask to restore after a handler (rt_sigsuspend).
    pub fn save_mask(&self, m: SigSet) {
        self.saved_mask.store(m.bits(), Ordering::Relaxed);
    }

    /// Take the remembered mask, if any.
    pub fn take_saved_mask(&self) -> Option<SigSet> {
        let v = self.saved_mask.swap(u64::MAX, Ordering::Relaxed);
        (v != u64::MAX).then_some(SigSet(v))
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
    let sig = info.signo;
    if sig == 0 {
        return;
    }
    let Some(l) = p.lwp() else {
        return; // a zombie: nothing to do
    };
    {
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
        let act = st.action(sig);
        let blocked = l.sig.mask().contains(sig);
        if ignored(sig, &act) && !blocked && !crate::kern::ptrace::is_traced(p) {
            drop(st);
            if sig == s::SIGCONT {
                continue_proc(p, &l);
            }
            return;
        }
        st.pending.add(info);
    }
    if sig == s::SIGCONT || sig == s::SIGKILL {
        continue_proc(p, &l);
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
/// interrupts on). Returns when none is left (a handler's frame may have
/// been set up); may not return at all (the process is terminated).
pub fn deliver_pending(frame: &mut TrapFrame) {
    let l = crate::kern::sched::curlwp();
    let Some(p) = l.proc() else {
        l.interrupt_pending.store(false, Ordering::SeqCst);
        return;
    };
    l.interrupt_pending.store(false, Ordering::SeqCst);
    crate::kern::ptrace::pending_stop(p, l, frame);
    while let Some((info, act)) = next_signal(p, l) {
        let Some((info, act)) = crate::kern::ptrace::signal_stop(p, l, frame, info, act) else {
            continue;
        };
        let sig = info.signo;
        if sig != s::SIGKILL && !act.is_default() {
            if act.is_ignore() {
                continue;
            }
            // A handler: restart or EINTR for an interrupted system call,
            // then the frame. One handler per return to user mode (the
            // next signal, if any, is taken after it returns or nests).
            syscall_restart(frame, Some(&act));
            sendsig(p, l, frame, info, act);
            return;
        }
        match s::default_action(sig) {
            Some(DefaultAction::Ign) | Some(DefaultAction::Cont) => continue,
            Some(DefaultAction::Stop) => {
                if !crate::kern::ptrace::group_stop(p, l, frame, sig) {
                    stop_self(p, sig);
                }
                continue;
            }
            Some(DefaultAction::Core) => crate::kern::proc::exit::exit1(WaitStatus::Signaled {
                sig: sig as u8,
                core: true,
            }),
            _ => crate::kern::proc::exit::exit1(WaitStatus::Signaled {
                sig: sig as u8,
                core: false,
            }),
        }
    }
}

/// What happens to a system call interrupted (rax = a restart code) when
/// the thread returns to user mode: with a handler (`act`), EINTR unless
/// SA_RESTART (ERESTARTNOINTR always restarts, ERESTARTNOHAND and
/// ERESTART_RESTARTBLOCK never); without one, the call restarts.
pub fn syscall_restart(frame: &mut TrapFrame, act: Option<&SigAction>) {
    if !frame.is_syscall() {
        return;
    }
    let Some(code) = Errno::from_ret(frame.rax as i64).filter(|e| e.is_restart()) else {
        return;
    };
    let restart = match (code, act) {
        (Errno::ERESTARTNOINTR, _) => true,
        (_, None) => code != Errno::ERESTART_RESTARTBLOCK,
        (Errno::ERESTARTSYS, Some(a)) => a.flags & s::SA_RESTART != 0,
        _ => false,
    };
    if restart {
        frame.rax = frame.error_code; // the system-call number (orig_rax)
        frame.rip -= 2; // back over `syscall`
        frame.rcx = frame.rip;
    } else {
        frame.rax = Errno::EINTR.to_ret() as u64;
    }
}

/// Set up the handler's frame for `info` on the user stack.
fn sendsig(p: &Proc, l: &Lwp, frame: &mut TrapFrame, info: SigInfo, act: SigAction) {
    use crate::arch::x86_64::{fpu, sigframe};
    use ferrite_abi::layout::sigframe::{UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, sigframe_layout};
    let sig = info.signo;
    // The mask to restore: the one rt_sigsuspend replaced, or the current.
    let oldmask = l.sig.take_saved_mask().unwrap_or(l.sig.mask());
    let (alt, on_alt) = {
        let st = l.sig.inner.lock();
        let a = st.altstack;
        let on = a.ss_flags & s::SS_DISABLE == 0 && frame.rsp.wrapping_sub(a.ss_sp) < a.ss_size;
        (a, on)
    };
    let use_alt = act.flags & s::SA_ONSTACK != 0 && alt.ss_flags & s::SS_DISABLE == 0 && !on_alt;
    let sp = if use_alt {
        alt.ss_sp + alt.ss_size
    } else {
        frame
            .rsp
            .wrapping_sub(ferrite_abi::layout::sigframe::RED_ZONE)
    };
    let Some(layout) = sigframe_layout(sp, 512) else {
        return force_segv(p, l);
    };
    // The FPU state as the program left it.
    fpu::save(&l.md.fpu);
    let fx = l.md.fpu.with(|a| *a.fxsave_image());
    let (trapno, err, cr2) = match info.signo {
        s::SIGSEGV | s::SIGBUS if info.code > 0 => (14, 0, info.addr),
        _ => (0, 0, 0),
    };
    let mut stack = alt;
    if on_alt || use_alt {
        stack.ss_flags |= s::SS_ONSTACK;
    }
    let rt = ferrite_abi::RtSigframe {
        pretcode: act.restorer,
        uc: ferrite_abi::UContext {
            uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
            uc_link: 0,
            uc_stack: stack,
            uc_mcontext: sigframe::context_of(
                frame,
                trapno,
                err,
                cr2,
                oldmask.bits(),
                layout.fpstate,
            ),
            uc_sigmask: oldmask.bits(),
        },
        info: info.to_abi(),
    };
    let ok = crate::uvm::copy::copyout(layout.fpstate, &fx).is_ok()
        && crate::uvm::copy::copyout(layout.frame, &rt.to_bytes()).is_ok();
    if !ok || act.flags & s::SA_RESTORER == 0 {
        return force_segv(p, l);
    }
    // The handler runs with its mask added (and the signal itself unless
    // SA_NODEFER), on a clean FPU state.
    let mut mask = oldmask.union(act.mask);
    if act.flags & s::SA_NODEFER == 0 {
        mask.add(sig);
    }
    l.sig.set_mask(mask);
    if act.flags & s::SA_RESETHAND != 0 {
        p.sig.lock().actions[sig as usize - 1] = SigAction::DEFAULT;
    }
    if use_alt && alt.ss_flags & s::SS_AUTODISARM != 0 {
        l.sig.inner.lock().altstack.ss_flags = s::SS_DISABLE;
    }
    fpu::reset_current();
    frame.rdi = sig as u64;
    frame.rsi = layout.frame + 8 + ferrite_abi::UContext::SIZE as u64;
    frame.rdx = layout.frame + 8;
    frame.rax = 0;
    frame.rip = act.handler;
    frame.rsp = layout.frame;
    frame.rcx = frame.rip;
    // DF and TF off, as Linux starts handlers.
    frame.rflags &= !((1 << 10) | (1 << 8));
    frame.r11 = frame.rflags;
    frame.vector = 0;
}

/// A frame could not be written: the process dies of SIGSEGV (forced:
/// the default action, whatever the program set).
fn force_segv(p: &Proc, l: &Lwp) {
    p.sig.lock().actions[s::SIGSEGV as usize - 1] = SigAction::DEFAULT;
    let mut m = l.sig.mask();
    m.remove(s::SIGSEGV);
    l.sig.set_mask(m);
    post_lwp(p, l, SigInfo::kernel(s::SIGSEGV));
}

/// rt_sigreturn: restore the context of the frame at `frame.rsp - 8`
/// (the handler's `ret` popped the restorer address). Returns the
/// restored rax; a forged or unreadable frame kills the process.
pub fn sigreturn(frame: &mut TrapFrame) -> u64 {
    use crate::arch::x86_64::{fpu, sigframe};
    let l = crate::kern::sched::curlwp();
    let Some(p) = l.proc() else {
        return Errno::ENOSYS.to_ret() as u64;
    };
    let at = frame.rsp.wrapping_sub(8);
    let mut b = [0u8; ferrite_abi::RtSigframe::SIZE];
    if crate::uvm::copy::copyin(&mut b, at).is_err() {
        force_segv(p, l);
        return frame.rax;
    }
    let rt = ferrite_abi::RtSigframe::from_bytes(&b);
    let sc = rt.uc.uc_mcontext;
    let restored = match sigframe::frame_of(&sc) {
        Ok(f) => f,
        Err(why) => {
            log::info!(
                "pid {}: rt_sigreturn with a forged context ({why:?}): SIGSEGV",
                p.pid()
            );
            force_segv(p, l);
            return frame.rax;
        }
    };
    if sc.fpstate != 0 {
        let mut fx = [0u8; 512];
        if crate::uvm::copy::copyin(&mut fx, sc.fpstate).is_err() {
            force_segv(p, l);
            return frame.rax;
        }
        l.md.fpu.with_mut(|a| a.set_fxsave_image(&fx));
        fpu::restore(&l.md.fpu);
    }
    l.sig.set_mask(SigSet(rt.uc.uc_sigmask));
    // The alternate stack as the context says (sigaltstack rules apply).
    let st = rt.uc.uc_stack;
    if st.ss_flags & s::SS_DISABLE != 0 || st.ss_size as usize >= s::MINSIGSTKSZ {
        let mut inner = l.sig.inner.lock();
        let on = inner.altstack.ss_flags & s::SS_DISABLE == 0
            && restored.rsp.wrapping_sub(inner.altstack.ss_sp) < inner.altstack.ss_size;
        if !on {
            inner.altstack = StackT {
                ss_flags: st.ss_flags & (s::SS_DISABLE | s::SS_AUTODISARM),
                ..st
            };
        }
    }
    *frame = restored;
    notify(p, l);
    frame.rax
}

/// The default action of a stop signal: the process stops until SIGCONT
/// or SIGKILL; its parent hears of it.
fn stop_self(p: &Proc, sig: i32) {
    use crate::kern::proc::ptable::{self, Event};
    let pid = p.pid();
    let parent = {
        let mut t = ptable::lock();
        let Some(slot) = t.get_mut(pid) else {
            return;
        };
        slot.event = Event::Stopped(sig);
        let parent = slot.parent;
        t.find(parent)
    };
    if let Some(pp) = &parent {
        let nocldstop = pp.sig.lock().action(s::SIGCHLD).flags & s::SA_NOCLDSTOP != 0;
        if !nocldstop {
            post(
                pp,
                SigInfo {
                    signo: s::SIGCHLD,
                    code: sicode::CLD_STOPPED,
                    pid,
                    uid: 0,
                    status: sig,
                    addr: 0,
                },
            );
        }
        crate::kern::sched::sleepq::wakeup(pp.wait_chan());
    }
    drop(parent);
    crate::kern::sched::lwp::stop_current();
}

/// SIGCONT (or SIGKILL) arrived for a stopped process: run it again and
/// tell its parent.
fn continue_proc(p: &Proc, l: &Lwp) {
    use crate::kern::proc::ptable::{self, Event};
    if crate::kern::ptrace::hold_continue(p, l) {
        return;
    }
    if !crate::kern::sched::lwp::continue_thread(l) {
        return;
    }
    let pid = p.pid();
    let parent = {
        let mut t = ptable::lock();
        let Some(slot) = t.get_mut(pid) else {
            return;
        };
        slot.event = Event::Continued;
        let parent = slot.parent;
        t.find(parent)
    };
    if let Some(pp) = &parent {
        let nocldstop = pp.sig.lock().action(s::SIGCHLD).flags & s::SA_NOCLDSTOP != 0;
        if !nocldstop {
            post(
                pp,
                SigInfo {
                    signo: s::SIGCHLD,
                    code: sicode::CLD_CONTINUED,
                    pid,
                    uid: 0,
                    status: s::SIGCONT,
                    addr: 0,
                },
            );
        }
        crate::kern::sched::sleepq::wakeup(pp.wait_chan());
    }
}

/// Last work before returning to user mode from a system call when no
/// handler ran: an interrupted call restarts, and a mask rt_sigsuspend
/// replaced comes back.
pub fn finish_return(frame: &mut TrapFrame) {
    let l = crate::kern::sched::curlwp();
    if l.sig.saved_mask.load(Ordering::Relaxed) != u64::MAX
        && let Some(m) = l.sig.take_saved_mask()
    {
        l.sig.set_mask(m);
    }
    // Restart codes are -512..=-516: anything else returns as it is.
    if (frame.rax as i64) <= -512 && (frame.rax as i64) >= -516 {
        syscall_restart(frame, None);
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
