//! The machine part of signal delivery: the Linux x86_64 signal context
//! (`struct sigcontext` inside `ucontext`) made from a trap frame, and a
//! trap frame made back from one at rt_sigreturn.
//!
//! rt_sigreturn takes a context the program may have changed, so it
//! applies Linux's rules (arch/x86/kernel/signal_64.c, restore_sigcontext):
//! - the selectors get RPL 3; a code selector other than the user's, or a
//!   stack selector other than the user's when the context asks for a
//!   strict restore (`UC_STRICT_RESTORE_SS`, set on every frame the kernel
//!   builds), is a forged context. Without the strict flag a bad stack
//!   selector is replaced by the user's (old programs build contexts with
//!   garbage there). Linux lets the `iretq` fault and sends SIGSEGV; here
//!   the context is refused, with the same outcome;
//! - only the flags a program may change (`FIX_EFLAGS`: CF, PF, AF, ZF,
//!   SF, TF, DF, OF, AC, RF) are taken from the context; the rest (IF,
//!   IOPL, NT, VM, ...) keep their current values: a program cannot give
//!   itself I/O privilege or turn interrupts off this way;
//! - a rip outside the canonical user half is a forged context (Linux's
//!   `iretq` or instruction fetch would fault: SIGSEGV either way).

use super::gdt::{USER_CS, USER_DS};
use super::trap::TrapFrame;
use super::usermode::{self, BadFrame};
use ferrite_abi::SigContext;
use ferrite_abi::layout::sigframe::UC_STRICT_RESTORE_SS;

/// The flags rt_sigreturn takes from a context: CF, PF, AF, ZF, SF, TF,
/// DF, OF, AC, RF.
pub const FIX_EFLAGS: u64 =
    0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | (1 << 18) | (1 << 16);

/// The signal context of the interrupted user state `f`, with the trap
/// that raised the signal (`trapno`, `err`, `cr2`), the old mask and the
/// address of the FPU image.
pub fn context_of(
    f: &TrapFrame,
    trapno: u64,
    err: u64,
    cr2: u64,
    oldmask: u64,
    fpstate: u64,
) -> SigContext {
    SigContext {
        r8: f.r8,
        r9: f.r9,
        r10: f.r10,
        r11: f.r11,
        r12: f.r12,
        r13: f.r13,
        r14: f.r14,
        r15: f.r15,
        rdi: f.rdi,
        rsi: f.rsi,
        rbp: f.rbp,
        rbx: f.rbx,
        rdx: f.rdx,
        rax: f.rax,
        rcx: f.rcx,
        rsp: f.rsp,
        rip: f.rip,
        eflags: f.rflags,
        cs: f.cs as u16,
        gs: 0,
        fs: 0,
        ss: f.ss as u16,
        err,
        trapno,
        oldmask,
        cr2,
        fpstate,
        reserved1: [0; 8],
    }
}

/// The user state saved in `sc` (from a ucontext with `uc_flags`), as a
/// frame to return through, for a thread whose current flags are
/// `cur_rflags`. Not a system-call frame any more: the program resumes
/// where the signal interrupted it. Errors name what was forged.
pub fn frame_of(sc: &SigContext, uc_flags: u64, cur_rflags: u64) -> Result<TrapFrame, BadFrame> {
    let cs = u64::from(sc.cs | 3);
    if cs != USER_CS as u64 {
        return Err(BadFrame::Selectors);
    }
    let mut ss = u64::from(sc.ss | 3);
    if ss != USER_DS as u64 {
        if uc_flags & UC_STRICT_RESTORE_SS != 0 {
            return Err(BadFrame::Selectors);
        }
        ss = USER_DS as u64;
    }
    let rflags = usermode::sanitize_rflags((cur_rflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS));
    let f = TrapFrame {
        r15: sc.r15,
        r14: sc.r14,
        r13: sc.r13,
        r12: sc.r12,
        r11: sc.r11,
        r10: sc.r10,
        r9: sc.r9,
        r8: sc.r8,
        rbp: sc.rbp,
        rdi: sc.rdi,
        rsi: sc.rsi,
        rdx: sc.rdx,
        rcx: sc.rcx,
        rbx: sc.rbx,
        rax: sc.rax,
        vector: 0,
        error_code: u64::MAX,
        rip: sc.rip,
        cs,
        rflags,
        rsp: sc.rsp,
        ss,
    };
    usermode::check_user_frame(&f)?;
    Ok(f)
}

/// The user code and stack selectors (for frames the kernel makes).
pub fn user_selectors() -> (u64, u64) {
    (USER_CS as u64, USER_DS as u64)
}
