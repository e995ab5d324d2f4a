//! Signals. For now: what the machine layer reports about user-mode traps
//! becomes a fatal signal for the thread (default action: terminate), with
//! one log line naming the trap, the address and the rip. Dispositions,
//! handlers and delivery come with processes and POSIX signals.

use crate::arch::x86_64::trap::{FaultCause, TrapFrame, TrapKind};
use ferrite_abi::signal as sig;

/// The signal and a description for a user-mode trap (Linux's mapping).
pub fn signal_for(kind: TrapKind) -> (i32, &'static str) {
    match kind {
        TrapKind::DivideError => (sig::SIGFPE, "divide error"),
        TrapKind::Debug => (sig::SIGTRAP, "debug trap"),
        TrapKind::Breakpoint => (sig::SIGTRAP, "breakpoint"),
        TrapKind::InvalidOpcode => (sig::SIGILL, "invalid opcode"),
        TrapKind::GeneralProtection => (sig::SIGSEGV, "general protection fault"),
        TrapKind::StackSegment => (sig::SIGBUS, "segment fault"),
        TrapKind::Alignment => (sig::SIGBUS, "alignment check"),
        TrapKind::FloatingPoint => (sig::SIGFPE, "floating-point exception"),
        TrapKind::PageFault { cause, .. } => match cause {
            FaultCause::Unmapped => (sig::SIGSEGV, "page fault (no mapping)"),
            FaultCause::Protection => (sig::SIGSEGV, "page fault (protection)"),
            FaultCause::NoMemory => (sig::SIGKILL, "page fault (out of memory)"),
            FaultCause::Io => (sig::SIGBUS, "page fault (pager error)"),
        },
        TrapKind::Other(_) => (sig::SIGSEGV, "exception"),
    }
}

/// A user-mode trap the kernel could not resolve: end the thread with the
/// signal in its exit status (the wait-status encoding of "killed by").
pub fn trapsignal(frame: &mut TrapFrame, kind: TrapKind) {
    let (signo, what) = signal_for(kind);
    let l = super::sched::curlwp();
    let addr = match kind {
        TrapKind::PageFault { addr, .. } => addr,
        _ => frame.rip,
    };
    log::warn!(
        "{:?}: {} at address {:#x}, rip {:#x}: killed by {}",
        l,
        what,
        addr,
        frame.rip,
        sig::signal_name(signo).unwrap_or("signal")
    );
    x86_64::instructions::interrupts::enable();
    super::sched::lwp::exit(signo)
}

/// True if the current thread has signal work before returning to user
/// mode.
pub fn work_pending() -> bool {
    false
}

/// Act on pending signals (none yet).
pub fn deliver_pending(_frame: &mut TrapFrame) {}
