//! The x86_64 signal frame: `struct sigcontext`
//! (arch/x86/include/uapi/asm/sigcontext.h), the kernel's
//! `struct ucontext` (include/uapi/asm-generic/ucontext.h) and
//! `struct rt_sigframe` (arch/x86/include/asm/sigframe.h), plus where
//! Linux places the frame and the FPU state on the user stack
//! (arch/x86/kernel/signal.c: `get_sigframe`).
//!
//! Frame, from low to high addresses: `pretcode` (the `sa_restorer`
//! address, the handler's return address), `uc`, `info`; the 64-byte
//! aligned XSAVE image (`uc.uc_mcontext.fpstate` points to it) lies above.

use super::plain_struct;
use super::siginfo::Siginfo;
use super::signal::StackT;

plain_struct! {
    /// `struct sigcontext` (64-bit), saved by signal delivery and restored
    /// by rt_sigreturn. The C library's `mcontext_t` has the same layout
    /// (its `gregs[]` are these registers in this order).
    pub struct SigContext [256] {
        pub r8: u64,
        pub r9: u64,
        pub r10: u64,
        pub r11: u64,
        pub r12: u64,
        pub r13: u64,
        pub r14: u64,
        pub r15: u64,
        pub rdi: u64,
        pub rsi: u64,
        pub rbp: u64,
        pub rbx: u64,
        pub rdx: u64,
        pub rax: u64,
        pub rcx: u64,
        pub rsp: u64,
        pub rip: u64,
        pub eflags: u64,
        pub cs: u16,
        pub gs: u16,
        pub fs: u16,
        /// `ss` (was `__pad0`); restored only with `UC_STRICT_RESTORE_SS`.
        pub ss: u16,
        pub err: u64,
        pub trapno: u64,
        /// The first word of the old signal mask.
        pub oldmask: u64,
        pub cr2: u64,
        /// User address of the FXSAVE/XSAVE image, 0 if none.
        pub fpstate: u64,
        pub reserved1: [u64; 8],
    }
}

plain_struct! {
    /// The kernel's `struct ucontext` (what a SA_SIGINFO handler's third
    /// argument points to; the C library's `ucontext_t` shares this prefix).
    pub struct UContext [304] {
        /// `UC_FP_XSTATE`, `UC_SIGCONTEXT_SS`, `UC_STRICT_RESTORE_SS`.
        pub uc_flags: u64,
        pub uc_link: u64,
        pub uc_stack: StackT,
        pub uc_mcontext: SigContext,
        /// The signal mask to restore (bit n-1 = signal n).
        pub uc_sigmask: u64,
    }
}

plain_struct! {
    /// `struct rt_sigframe` (64-bit): what `rsp` points to when the handler
    /// starts.
    pub struct RtSigframe [440] {
        /// The return address: `sa_restorer`.
        pub pretcode: u64,
        pub uc: UContext,
        pub info: Siginfo,
    }
}

/// `uc_flags`: the FPU state is an XSAVE image (with `_fpx_sw_bytes`).
pub const UC_FP_XSTATE: u64 = 0x1;
/// `uc_flags`: `uc_mcontext.ss` holds the saved SS.
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
/// `uc_flags`: rt_sigreturn restores SS exactly.
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// Bytes below the user stack pointer that signal delivery must not touch
/// (the System V x86_64 red zone).
pub const RED_ZONE: u64 = 128;

/// Where signal delivery puts things on the user stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigframeLayout {
    /// Address of the `RtSigframe` (the handler's `rsp`); `frame + 8` is
    /// 16-byte aligned, as after a `call`.
    pub frame: u64,
    /// Address of the FPU/XSAVE image (64-byte aligned), above the frame.
    pub fpstate: u64,
}

/// Lay out a signal frame below `sp`, Linux's way: `sp` is where the
/// frame may start growing down (the interrupted `rsp` minus
/// [`RED_ZONE`], or the top of the alternate signal stack when switching
/// to it). The FPU image of `fpstate_size` bytes goes first, 64-byte
/// aligned down; the frame below it, placed so that `frame + 8` is 16-byte
/// aligned. `None` if the arithmetic would wrap below 0.
pub fn sigframe_layout(sp: u64, fpstate_size: u64) -> Option<SigframeLayout> {
    let fpstate = sp.checked_sub(fpstate_size)? & !63;
    let frame = (fpstate.checked_sub(RtSigframe::SIZE as u64)? & !15).checked_sub(8)?;
    Some(SigframeLayout { frame, fpstate })
}
