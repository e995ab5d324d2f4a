//! `si_code` values (include/uapi/asm-generic/siginfo.h): who sent a
//! signal, or why the kernel raised it. Values up to 0 and `SI_KERNEL`
//! mean the same for every signal; positive values depend on the signal
//! (1 is `SEGV_MAPERR` for SIGSEGV and `CLD_EXITED` for SIGCHLD).

use crate::flagfmt::{Named, names};
use crate::signal::{SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGIO, SIGSEGV, SIGTRAP};

/// Sent by kill().
pub const SI_USER: i32 = 0;
/// Sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// Sent by sigqueue().
pub const SI_QUEUE: i32 = -1;
/// A POSIX timer expired.
pub const SI_TIMER: i32 = -2;
/// A message arrived on an empty message queue.
pub const SI_MESGQ: i32 = -3;
/// Asynchronous I/O completed.
pub const SI_ASYNCIO: i32 = -4;
/// Queued SIGIO.
pub const SI_SIGIO: i32 = -5;
/// Sent by tkill() or tgkill().
pub const SI_TKILL: i32 = -6;
/// Sent by execve() killing subsidiary threads.
pub const SI_DETHREAD: i32 = -7;
/// Asynchronous name lookup completed.
pub const SI_ASYNCNL: i32 = -60;

/// SIGILL: illegal opcode.
pub const ILL_ILLOPC: i32 = 1;
/// SIGILL: illegal operand.
pub const ILL_ILLOPN: i32 = 2;
/// SIGILL: illegal addressing mode.
pub const ILL_ILLADR: i32 = 3;
/// SIGILL: illegal trap.
pub const ILL_ILLTRP: i32 = 4;
/// SIGILL: privileged opcode.
pub const ILL_PRVOPC: i32 = 5;
/// SIGILL: privileged register.
pub const ILL_PRVREG: i32 = 6;
/// SIGILL: coprocessor error.
pub const ILL_COPROC: i32 = 7;
/// SIGILL: internal stack error.
pub const ILL_BADSTK: i32 = 8;

/// SIGFPE: integer divide by zero.
pub const FPE_INTDIV: i32 = 1;
/// SIGFPE: integer overflow.
pub const FPE_INTOVF: i32 = 2;
/// SIGFPE: floating-point divide by zero.
pub const FPE_FLTDIV: i32 = 3;
/// SIGFPE: floating-point overflow.
pub const FPE_FLTOVF: i32 = 4;
/// SIGFPE: floating-point underflow.
pub const FPE_FLTUND: i32 = 5;
/// SIGFPE: floating-point inexact result.
pub const FPE_FLTRES: i32 = 6;
/// SIGFPE: floating-point invalid operation.
pub const FPE_FLTINV: i32 = 7;
/// SIGFPE: subscript out of range.
pub const FPE_FLTSUB: i32 = 8;

/// SIGSEGV: address not mapped.
pub const SEGV_MAPERR: i32 = 1;
/// SIGSEGV: invalid permissions for a mapped address.
pub const SEGV_ACCERR: i32 = 2;
/// SIGSEGV: bounds check failed.
pub const SEGV_BNDERR: i32 = 3;
/// SIGSEGV: protection key check failed.
pub const SEGV_PKUERR: i32 = 4;

/// SIGBUS: misaligned address.
pub const BUS_ADRALN: i32 = 1;
/// SIGBUS: nonexistent physical address (e.g. a file page past EOF).
pub const BUS_ADRERR: i32 = 2;
/// SIGBUS: object-specific hardware error.
pub const BUS_OBJERR: i32 = 3;
/// SIGBUS: machine check, action required.
pub const BUS_MCEERR_AR: i32 = 4;
/// SIGBUS: machine check, action optional.
pub const BUS_MCEERR_AO: i32 = 5;

/// SIGTRAP: breakpoint (int3).
pub const TRAP_BRKPT: i32 = 1;
/// SIGTRAP: single step.
pub const TRAP_TRACE: i32 = 2;
/// SIGTRAP: branch trap.
pub const TRAP_BRANCH: i32 = 3;
/// SIGTRAP: hardware breakpoint or watchpoint.
pub const TRAP_HWBKPT: i32 = 4;
/// SIGTRAP: undiagnosed trap.
pub const TRAP_UNK: i32 = 5;

/// SIGCHLD: child exited.
pub const CLD_EXITED: i32 = 1;
/// SIGCHLD: child killed by a signal.
pub const CLD_KILLED: i32 = 2;
/// SIGCHLD: child killed by a signal and dumped core.
pub const CLD_DUMPED: i32 = 3;
/// SIGCHLD: traced child stopped (ptrace stop).
pub const CLD_TRAPPED: i32 = 4;
/// SIGCHLD: child stopped by a signal.
pub const CLD_STOPPED: i32 = 5;
/// SIGCHLD: stopped child continued.
pub const CLD_CONTINUED: i32 = 6;

/// SIGIO: data input available.
pub const POLL_IN: i32 = 1;
/// SIGIO: output buffers available.
pub const POLL_OUT: i32 = 2;
/// SIGIO: input message available.
pub const POLL_MSG: i32 = 3;
/// SIGIO: I/O error.
pub const POLL_ERR: i32 = 4;
/// SIGIO: high-priority input available.
pub const POLL_PRI: i32 = 5;
/// SIGIO: device disconnected.
pub const POLL_HUP: i32 = 6;

const GENERIC: &[(i64, &str)] = names!(i64;
    SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL,
    SI_DETHREAD, SI_ASYNCNL);
const ILL: &[(i64, &str)] = names!(i64;
    ILL_ILLOPC, ILL_ILLOPN, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC,
    ILL_BADSTK);
const FPE: &[(i64, &str)] = names!(i64;
    FPE_INTDIV, FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV,
    FPE_FLTSUB);
const SEGV: &[(i64, &str)] = names!(i64; SEGV_MAPERR, SEGV_ACCERR, SEGV_BNDERR, SEGV_PKUERR);
const BUS: &[(i64, &str)] = names!(i64;
    BUS_ADRALN, BUS_ADRERR, BUS_OBJERR, BUS_MCEERR_AR, BUS_MCEERR_AO);
const TRAP: &[(i64, &str)] = names!(i64;
    TRAP_BRKPT, TRAP_TRACE, TRAP_BRANCH, TRAP_HWBKPT, TRAP_UNK);
const CLD: &[(i64, &str)] = names!(i64;
    CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED);
const POLL: &[(i64, &str)] = names!(i64; POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP);

/// `si_code` of signal `signo` by name: `SEGV_MAPERR`, `SI_USER`, ...
pub fn fmt_si_code(signo: i32, code: i32) -> Named {
    if code <= 0 || code == SI_KERNEL {
        return Named::new(code as i64, GENERIC);
    }
    let table = match signo {
        SIGILL => ILL,
        SIGFPE => FPE,
        SIGSEGV => SEGV,
        SIGBUS => BUS,
        SIGTRAP => TRAP,
        SIGCHLD => CLD,
        SIGIO => POLL,
        _ => &[],
    };
    Named::new(code as i64, table)
}
