//! Acting on signals on the way back to user mode (NetBSD's postsig and
//! sendsig, Linux's get_signal and setup_rt_frame) and coming back from a
//! handler (rt_sigreturn).
//!
//! Algorithm (`deliver_pending`, from `userret` with interrupts on):
//!   1. take the next deliverable signal: SIGKILL first, then the
//!      synchronous ones (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE,
//!      SIGSYS), then the lowest number; signals sent to the thread before
//!      those sent to the process;
//!   2. an ignored one vanishes; a default action terminates (the wait
//!      status says which signal; "core" signals set the core flag, though
//!      no core file is written), stops the process (`jobctl`) or does
//!      nothing; then back to 1;
//!   3. a caught one: an interrupted system call restarts or returns
//!      EINTR (`syscall_restart`), and the handler's frame is written
//!      (`sendsig`). If another signal is deliverable under the handler's
//!      mask, `userret` comes back here and its frame goes on top: the
//!      last one set up runs first, as on Linux.
//!
//! The frame (`build_frame`, `sendsig`): the Linux x86_64 `rt_sigframe`
//! (the restorer as return address, the ucontext with every register, the
//! trap record, the old mask and the alternate stack, the siginfo) and
//! the FXSAVE image above it, 128 bytes below the interrupted stack
//! pointer (the red zone), or at the top of the alternate stack for a
//! SA_ONSTACK handler not already on it. The handler starts with
//! rdi = signal, rsi = &info, rdx = &uc, rax = 0, DF, TF and RF clear and a
//! clean FPU state, and the mask: the current one, its sa_mask and the
//! signal itself unless SA_NODEFER. A frame that cannot be written (bad
//! stack, alternate stack overflow, no SA_RESTORER) costs the process a
//! forced SIGSEGV.
//!
//! rt_sigreturn reads the frame back (`arch::sigframe::frame_of` applies
//! Linux's rules to a changed context), the FPU image (none: a clean FPU;
//! reserved MXCSR bits or an unreadable image: SIGSEGV), the mask and the
//! alternate stack.

use super::{LwpSig, SigAction, SigInfo, TrapRecord, jobctl, notify, post_lwp};
use crate::arch::x86_64::trap::TrapFrame;
use crate::kern::proc::Proc;
use crate::kern::sched::lwp::Lwp;
use core::sync::atomic::Ordering;
use ferrite_abi::layout::sigframe::{
    RED_ZONE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS, sigframe_layout,
};
use ferrite_abi::signal::{self as s, DefaultAction, SigSet};
use ferrite_abi::{Errno, RtSigframe, StackT, UContext, WaitStatus};

/// Size of the FPU image in a frame (the FXSAVE layout).
const FPSTATE_SIZE: u64 = 512;

/// Signals taken before the others: the ones a trap raises.
const SYNCHRONOUS: SigSet = SigSet(
    (1 << (s::SIGSEGV - 1))
        | (1 << (s::SIGBUS - 1))
        | (1 << (s::SIGILL - 1))
        | (1 << (s::SIGTRAP - 1))
        | (1 << (s::SIGFPE - 1))
        | (1 << (s::SIGSYS - 1)),
);

/// The signal of `set` to take first, if any (step 1).
fn first_deliverable(set: SigSet, mask: SigSet) -> Option<i32> {
    if set.contains(s::SIGKILL) {
        return Some(s::SIGKILL);
    }
    let open = set.difference(mask);
    let sync = open.intersection(SYNCHRONOUS);
    if sync.is_empty() {
        open.first()
    } else {
        sync.first()
    }
}

/// Take the next deliverable signal of the current thread with its
/// action. A stop signal about to take its default action forgets any
/// earlier continue, under the same lock SIGCONT is sent under, so that
/// a SIGCONT sent from now on ends the coming stop (see `jobctl`).
fn next_signal(p: &Proc, l: &Lwp) -> Option<(SigInfo, SigAction)> {
    let mask = l.sig.mask();
    let mut ps = p.sig.lock();
    let mut ls = l.sig.inner.lock();
    let info = if let Some(sig) = first_deliverable(ls.pending.set, mask) {
        ls.pending.take(sig)
    } else if let Some(sig) = first_deliverable(ps.pending.set, mask) {
        ps.pending.take(sig)
    } else {
        return None;
    };
    let act = ps.action(info.signo);
    if SigSet::STOP.contains(info.signo) && act.is_default() {
        crate::kern::sched::lwp::forget_continue(l);
    }
    Some((info, act))
}

/// Act on the current thread's deliverable signals (see the module
/// comment). Returns when none is left or after setting up a handler's
/// frame; does not return if the process is terminated.
pub fn deliver_pending(frame: &mut TrapFrame) {
    let l = crate::kern::sched::curlwp();
    l.interrupt_pending.store(false, Ordering::SeqCst);
    let Some(p) = l.proc() else {
        return;
    };
    crate::kern::ptrace::pending_stop(p, l, frame);
    while let Some((info, act)) = next_signal(p, l) {
        // A tracee stops first; its tracer may cancel or change the signal.
        let Some((info, act)) = crate::kern::ptrace::signal_stop(p, l, frame, info, act) else {
            continue;
        };
        let sig = info.signo;
        if sig != s::SIGKILL && !act.is_default() {
            if act.is_ignore() {
                continue;
            }
            syscall_restart(frame, Some(&act));
            sendsig(p, l, frame, info, act);
            return;
        }
        match s::default_action(sig) {
            Some(DefaultAction::Ign) | Some(DefaultAction::Cont) => continue,
            Some(DefaultAction::Stop) => {
                if !crate::kern::ptrace::group_stop(p, l, frame, sig) {
                    jobctl::stop_self(p, sig);
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

/// The `rt_sigframe` for a handler of `info` interrupting `frame`: the
/// registers, the trap record, `oldmask` (the mask to return to), the
/// alternate stack as set (`stack`), the FPU image's address and the
/// siginfo. Pure: `sendsig` writes the result, the ktests read it.
pub fn build_frame(
    frame: &TrapFrame,
    info: &SigInfo,
    act: &SigAction,
    oldmask: SigSet,
    stack: StackT,
    trap: TrapRecord,
    fpstate: u64,
) -> RtSigframe {
    use crate::arch::x86_64::sigframe;
    RtSigframe {
        pretcode: act.restorer,
        uc: UContext {
            uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
            uc_link: 0,
            uc_stack: stack,
            uc_mcontext: sigframe::context_of(
                frame,
                trap.trapno,
                trap.err,
                trap.cr2,
                oldmask.bits(),
                fpstate,
            ),
            uc_sigmask: oldmask.bits(),
        },
        info: info.to_abi(),
    }
}

/// Set up the handler's frame for `info` (see the module comment).
fn sendsig(p: &Proc, l: &Lwp, frame: &mut TrapFrame, info: SigInfo, act: SigAction) {
    use crate::arch::x86_64::fpu;
    let sig = info.signo;
    if act.flags & s::SA_RESTORER == 0 {
        // x86_64 has no kernel-provided return trampoline.
        return force_segv(p, l);
    }
    let mask = l.sig.mask();
    // The mask to return to: the one rt_sigsuspend replaced, or this one.
    let oldmask = l.sig.peek_saved_mask().unwrap_or(mask);
    let (alt, trap) = {
        let st = l.sig.inner.lock();
        (st.altstack, st.trap)
    };
    let below_red_zone = frame.rsp.wrapping_sub(RED_ZONE);
    let (start, switched) = alt.frame_start(below_red_zone, act.flags & s::SA_ONSTACK != 0);
    let nested = alt.is_on(frame.rsp);
    let Some(layout) = sigframe_layout(start, FPSTATE_SIZE) else {
        return force_segv(p, l);
    };
    if (nested || switched) && !alt.contains(layout.frame) {
        log::debug!("pid {}: alternate signal stack overflow", p.pid());
        return force_segv(p, l);
    }
    // The FPU state as the program left it.
    fpu::save(&l.md.fpu);
    let fx = l.md.fpu.with(|a| *a.fxsave_image());
    let rt = build_frame(frame, &info, &act, oldmask, alt.0, trap, layout.fpstate);
    let ok = crate::uvm::copy::copyout(layout.fpstate, &fx).is_ok()
        && crate::uvm::copy::copyout(layout.frame, &rt.to_bytes()).is_ok();
    if !ok {
        return force_segv(p, l);
    }
    // Delivered: the handler's mask, the one-shot and autodisarm rules.
    let mut handler_mask = mask.union(act.mask);
    if act.flags & s::SA_NODEFER == 0 {
        handler_mask.add(sig);
    }
    l.sig.set_mask(handler_mask);
    let _ = l.sig.take_saved_mask();
    if act.flags & s::SA_RESETHAND != 0 {
        // Only the handler goes: flags and mask stay (as Linux).
        p.sig.lock().actions[sig as usize - 1].handler = s::SIG_DFL;
    }
    l.sig.inner.lock().altstack.delivered();
    fpu::reset_current();
    let (cs, ss) = crate::arch::x86_64::sigframe::user_selectors();
    frame.rdi = sig as u64;
    frame.rsi = layout.frame + 8 + UContext::SIZE as u64;
    frame.rdx = layout.frame + 8;
    frame.rax = 0;
    frame.rip = act.handler;
    frame.rsp = layout.frame;
    frame.rcx = frame.rip;
    frame.cs = cs;
    frame.ss = ss;
    // DF, TF and RF off, as Linux starts handlers.
    frame.rflags &= !((1 << 10) | (1 << 8) | (1 << 16));
    frame.r11 = frame.rflags;
    frame.vector = 0;
    // Another deliverable signal gets its frame on top before the return.
    notify(p, l);
}

/// A frame could not be written or read back: the process dies of
/// SIGSEGV (forced: the default action, whatever the program set).
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
    let mut b = [0u8; RtSigframe::SIZE];
    if crate::uvm::copy::copyin(&mut b, at).is_err() {
        force_segv(p, l);
        return frame.rax;
    }
    let rt = RtSigframe::from_bytes(&b);
    let sc = rt.uc.uc_mcontext;
    let restored = match sigframe::frame_of(&sc, rt.uc.uc_flags, frame.rflags) {
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
    if sc.fpstate == 0 {
        // No FPU image: the program continues with a clean FPU (Linux's
        // fpu__clear_user_states).
        fpu::reset_current();
    } else {
        let mut fx = [0u8; FPSTATE_SIZE as usize];
        if crate::uvm::copy::copyin(&mut fx, sc.fpstate).is_err() {
            force_segv(p, l);
            return frame.rax;
        }
        let mxcsr = u32::from_le_bytes([fx[24], fx[25], fx[26], fx[27]]);
        if mxcsr & !fpu::MXCSR_MASK != 0 {
            log::info!(
                "pid {}: rt_sigreturn with reserved MXCSR bits ({mxcsr:#x}): SIGSEGV",
                p.pid()
            );
            force_segv(p, l);
            return frame.rax;
        }
        l.md.fpu.with_mut(|a| a.set_fxsave_image(&fx));
        fpu::restore(&l.md.fpu);
    }
    l.sig.set_mask(SigSet(rt.uc.uc_sigmask));
    // The alternate stack as the context says (sigaltstack's rules apply;
    // an error leaves it as it is).
    let _ = l
        .sig
        .inner
        .lock()
        .altstack
        .set(rt.uc.uc_stack, restored.rsp);
    *frame = restored;
    notify(p, l);
    frame.rax
}

/// Last work before returning to user mode when no handler ran: an
/// interrupted system call restarts, and a mask rt_sigsuspend replaced
/// comes back.
pub fn finish_return(frame: &mut TrapFrame) {
    let l = crate::kern::sched::curlwp();
    if l.sig.peek_saved_mask().is_some()
        && let Some(m) = l.sig.take_saved_mask()
    {
        l.sig.set_mask(m);
    }
    // Restart codes are -512..=-516: anything else returns as it is.
    if (frame.rax as i64) <= -512 && (frame.rax as i64) >= -516 {
        syscall_restart(frame, None);
    }
}

impl LwpSig {
    /// The mask rt_sigsuspend replaced, if any, left in place.
    fn peek_saved_mask(&self) -> Option<SigSet> {
        let v = self.saved_mask.load(Ordering::Relaxed);
        (v != u64::MAX).then_some(SigSet(v))
    }
}
