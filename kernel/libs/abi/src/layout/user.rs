//! Register sets as ptrace and core dumps see them (sys/user.h):
//! `user_regs_struct` (PTRACE_GETREGS, NT_PRSTATUS) and
//! `user_fpregs_struct` (PTRACE_GETFPREGS, NT_PRFPREG: the FXSAVE image).

use super::plain_struct;

plain_struct! {
    /// `struct user_regs_struct`: 27 registers in the kernel's `pt_regs`
    /// order, then the segment bases and selectors.
    pub struct UserRegsStruct [216] {
        pub r15: u64,
        pub r14: u64,
        pub r13: u64,
        pub r12: u64,
        pub rbp: u64,
        pub rbx: u64,
        pub r11: u64,
        pub r10: u64,
        pub r9: u64,
        pub r8: u64,
        pub rax: u64,
        pub rcx: u64,
        pub rdx: u64,
        pub rsi: u64,
        pub rdi: u64,
        pub orig_rax: u64,
        pub rip: u64,
        pub cs: u64,
        pub eflags: u64,
        pub rsp: u64,
        pub ss: u64,
        pub fs_base: u64,
        pub gs_base: u64,
        pub ds: u64,
        pub es: u64,
        pub fs: u64,
        pub gs: u64,
    }
}

plain_struct! {
    /// `struct user_fpregs_struct`: the 512-byte FXSAVE area.
    pub struct UserFpregsStruct [512] {
        pub cwd: u16,
        pub swd: u16,
        pub ftw: u16,
        pub fop: u16,
        pub rip: u64,
        pub rdp: u64,
        pub mxcsr: u32,
        pub mxcr_mask: u32,
        /// 8 x87 registers, 16 bytes each.
        pub st_space: [u32; 32],
        /// 16 XMM registers, 16 bytes each.
        pub xmm_space: [u32; 64],
        pub padding: [u32; 24],
    }
}
