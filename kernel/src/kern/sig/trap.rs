//! Traps become signals (NetBSD's trapsignal, Linux's force_sig_fault):
//! a user-mode exception the kernel does not resolve is turned into the
//! signal and si_code Linux uses for it, forced on the thread that
//! trapped. Forced: if the thread blocks the signal or ignores it, the
//! action reverts to the default (so a program cannot spin on a fault it
//! hides). The trap's vector, error code and (for a page fault) address
//! are kept as the thread's trap record, which the handler's sigcontext
//! reports (trapno, err, cr2).

use super::{SigAction, SigInfo, TrapRecord, post_lwp};
use crate::arch::x86_64::trap::{FaultCause, TrapFrame, TrapKind};
use crate::arch::x86_64::usermode::USER_END;
use ferrite_abi::sicode;
use ferrite_abi::signal as s;

/// The page-fault error code's protection bit.
const PF_PROT: u64 = 1;

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

/// A user-mode trap the VM could not resolve (`frame` holds the vector
/// and error code): the signal is forced on the thread (acted on before
/// it returns to user mode). A thread without a process (the kernel's
/// ring-3 tests) ends at once with the signal in its exit status, with
/// one log line.
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
    {
        let mut st = l.sig.inner.lock();
        let mut rec = TrapRecord {
            trapno: frame.vector,
            err: frame.error_code,
            cr2: st.trap.cr2,
        };
        if let TrapKind::PageFault { addr, .. } = kind {
            rec.cr2 = addr;
            // As Linux: a user access to a kernel address looks like a
            // protection fault (nothing about kernel mappings shows).
            if addr >= USER_END {
                rec.err |= PF_PROT;
            }
        }
        st.trap = rec;
    }
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
            addr,
            ..SigInfo::NONE
        },
    );
}
