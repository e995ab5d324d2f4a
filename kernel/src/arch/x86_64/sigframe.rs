//! The machine part of signal delivery: the Linux x86_64 signal context
//! (`struct sigcontext` inside `ucontext`) made from a trap frame, and a
//! trap frame made back from one at rt_sigreturn, which refuses contexts
//! that would return to user mode with kernel selectors, I/O privilege or
//! other privileged RFLAGS bits, or a non-canonical rip.

use super::gdt::{USER_CS, USER_DS};
use super::trap::TrapFrame;
use super::usermode::{self, BadFrame};
use ferrite_abi::SigContext;

/// The signal context of the interrupted user state `f`.
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

/// The user state saved in `sc`, as a frame to return through (not a
/// system-call frame any more: the program resumes where the signal
/// interrupted it). Kernel selectors, privileged flags or a rip outside the
/// user half make it a forged context.
pub fn frame_of(sc: &SigContext) -> Result<TrapFrame, BadFrame> {
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
        cs: sc.cs as u64,
        rflags: sc.eflags,
        rsp: sc.rsp,
        ss: sc.ss as u64,
    };
    usermode::check_user_frame(&f)?;
    Ok(f)
}

/// The user code and stack selectors (for frames the kernel makes).
pub fn user_selectors() -> (u64, u64) {
    (USER_CS as u64, USER_DS as u64)
}
