//! User mode: the frames a thread enters ring 3 with, and the rules every
//! user frame obeys before the kernel returns through it (after exec,
//! signal delivery, sigreturn or ptrace changed it):
//! - the user code and data selectors (RPL 3), never a kernel selector;
//! - RFLAGS with IF set and IOPL, NT, VM, VIF, VIP clear: the user can
//!   never run with interrupts off or with I/O privilege; the bits a
//!   program may set itself (arithmetic flags, DF, TF, AC, RF, ID) are
//!   kept;
//! - a rip in the canonical user half.
//!
//! A user frame lives at the top of the thread's kernel stack
//! (`user_frame_at`), where the trap and syscall entries put it.

use super::gdt::{USER_CS, USER_DS};
use super::trap::TrapFrame;

/// First address past the user half.
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// RFLAGS bit 1 is always set.
const RFLAGS_FIXED: u64 = 1 << 1;
const RFLAGS_IF: u64 = 1 << 9;
/// Bits a user program may control: CF, PF, AF, ZF, SF, TF, DF, OF, AC, RF, ID.
pub const RFLAGS_USER_MASK: u64 =
    0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | (1 << 18) | (1 << 16) | (1 << 21);

/// The RFLAGS a user frame gets from `v`: the user-controllable bits of
/// `v`, IF and the fixed bit set, everything privileged clear.
pub fn sanitize_rflags(v: u64) -> u64 {
    (v & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_FIXED
}

/// A frame that starts a program at `rip` with stack `rsp`: every general
/// register zero, interrupts on, the user selectors.
pub fn initial_frame(rip: u64, rsp: u64) -> TrapFrame {
    TrapFrame {
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi: 0,
        rsi: 0,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        vector: 0,
        error_code: 0,
        rip,
        cs: USER_CS as u64,
        rflags: RFLAGS_IF | RFLAGS_FIXED,
        rsp,
        ss: USER_DS as u64,
    }
}

/// True if `addr` is a canonical user-half address.
pub fn is_user_addr(addr: u64) -> bool {
    addr < USER_END
}

/// Why a frame cannot be returned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadFrame {
    Selectors,
    Rip,
    Flags,
}

/// Check a frame the kernel is about to adopt from user-supplied data
/// (sigreturn, ptrace SETREGS): user selectors, a canonical user rip and no
/// privileged RFLAGS bits. (`sanitize_rflags` would repair the flags; a
/// forged frame is refused instead, as Linux refuses bad selectors.)
pub fn check_user_frame(f: &TrapFrame) -> Result<(), BadFrame> {
    if f.cs != USER_CS as u64 || f.ss != USER_DS as u64 {
        return Err(BadFrame::Selectors);
    }
    if !is_user_addr(f.rip) {
        return Err(BadFrame::Rip);
    }
    if f.rflags & !(RFLAGS_USER_MASK | RFLAGS_IF | RFLAGS_FIXED) != 0 {
        return Err(BadFrame::Flags);
    }
    Ok(())
}

/// Where the user frame of a thread whose kernel stack ends at `top` lives.
pub fn user_frame_at(top: u64) -> u64 {
    top - core::mem::size_of::<TrapFrame>() as u64
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 176);

/// Leave for user mode through the current thread's user frame `f`: it is
/// written to its place at the top of the thread's kernel stack (the one
/// the per-CPU area records for the running thread) and the entry path's
/// return runs with interrupts off. The frame must carry user selectors
/// (checked: a kernel selector here would be a kernel bug).
pub fn leave_through_frame(f: &TrapFrame) -> ! {
    assert!(
        f.cs == USER_CS as u64 && f.ss == USER_DS as u64,
        "a user frame with selectors cs {:#x} ss {:#x}",
        f.cs,
        f.ss
    );
    x86_64::instructions::interrupts::disable();
    let (bottom, top) = super::percpu::this_cpu().kernel_stack();
    assert!(top > bottom, "leaving for user mode without a kernel stack");
    let at = user_frame_at(top) as *mut TrapFrame;
    // SAFETY: the running thread's own kernel stack, whose top 176 bytes
    // hold its user frame; interrupts are off, nothing below is needed.
    unsafe {
        at.write(*f);
        super::entry::return_to_user(at)
    }
}
