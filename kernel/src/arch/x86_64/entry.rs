//! Kernel entry and exit paths in assembly: the common part of every trap
//! and interrupt stub, the `syscall` entry, and the two ways back to user
//! mode (`sysretq` when the saved state allows it, `iretq` otherwise).
//!
//! All of them build or consume the same `TrapFrame` (see `trap`): for a
//! trap or system call from user mode it sits at the top of the thread's
//! kernel stack, which is where signal delivery, ptrace, fork and exec find
//! the user's registers.
//!
//! Entry from user mode swaps GS to the kernel's per-CPU base (`swapgs`)
//! and every entry clears RFLAGS.AC (`clac`, when the CPU has SMAP), so
//! kernel code never runs with SMAP open by accident; exit swaps GS back
//! when it returns to user mode.
//!
//! `sysretq` is used only when the frame says it is safe (see
//! `syscall::sysret_allowed`): RCX/R11 equal to RIP/RFLAGS, standard user
//! selectors, a canonical user RIP (the SYSRET #GP pitfall: a
//! non-canonical RCX would fault in ring 0 on Intel CPUs) and no TF/RF.
//! Anything else goes through `iretq`. If `iretq` itself faults (a
//! non-canonical RIP put there by a bad frame), the #GP arrives in kernel
//! mode at `ferrite_iretq`; `trap` recognises that address and treats it as
//! a fault of the user program.

use super::percpu::{OFF_KERNEL_RSP, OFF_USER_RSP};

/// Vector number recorded in the frame of a system call.
pub const SYSCALL_VECTOR: u64 = 0x100;

core::arch::global_asm!(
    ".pushsection .text.ferrite_entry, \"ax\"",
    // Common trap path. On entry: [rsp] vector, error code, then the CPU's
    // frame (rip, cs, rflags, rsp, ss).
    ".globl ferrite_trap_common",
    "ferrite_trap_common:",
    "    test qword ptr [rsp + 24], 3",
    "    jz 1f",
    "    swapgs",
    "1:  cmp byte ptr [rip + {smap}], 0",
    "    je 2f",
    "    clac",
    "2:  push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
    "    push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
    "    mov rdi, rsp",
    "    cld",
    "    call {dispatch}",
    // Return through the frame at rsp (also the way a new user thread,
    // a forked child or an execed program enters user mode).
    ".globl ferrite_trap_return",
    "ferrite_trap_return:",
    "    pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
    "    pop rbp", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
    "    add rsp, 16",
    "    test qword ptr [rsp + 8], 3",
    "    jz 3f",
    "    swapgs",
    "3:",
    ".globl ferrite_iretq",
    "ferrite_iretq:",
    "    iretq",
    // The syscall entry (IA32_LSTAR). Interrupts are off (SFMASK), RCX =
    // user rip, R11 = user rflags, RSP = user rsp.
    ".globl ferrite_syscall_entry",
    "ferrite_syscall_entry:",
    "    swapgs",
    "    mov gs:[{user_rsp}], rsp",
    "    mov rsp, gs:[{kernel_rsp}]",
    "    push {user_ds}",
    "    push qword ptr gs:[{user_rsp}]",
    "    push r11",
    "    push {user_cs}",
    "    push rcx",
    "    push rax",              // error-code slot: the system-call number (orig_rax)
    "    push {syscall_vector}",
    "    push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi", "push rbp",
    "    push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
    "    mov rdi, rsp",
    "    call {syscall}",        // returns with interrupts off; al = sysret allowed
    "    test al, al",
    "    jz ferrite_trap_return",
    "    pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
    "    pop rbp", "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rbx", "pop rax",
    "    mov rsp, [rsp + 40]",   // the user's rsp (rcx = rip, r11 = rflags already)
    "    swapgs",
    "    sysretq",
    // fn return_to_user(frame) -> !: abandon the current kernel stack
    // position and leave through `frame` (interrupts must be off).
    ".globl ferrite_return_to_user",
    "ferrite_return_to_user:",
    "    mov rsp, rdi",
    "    jmp ferrite_trap_return",
    ".popsection",
    smap = sym super::usercopy::FERRITE_SMAP,
    dispatch = sym super::trap::trap_dispatch,
    syscall = sym super::syscall::syscall_entry_rust,
    user_rsp = const OFF_USER_RSP,
    kernel_rsp = const OFF_KERNEL_RSP,
    user_ds = const super::gdt::USER_DS as u64,
    user_cs = const super::gdt::USER_CS as u64,
    syscall_vector = const SYSCALL_VECTOR,
);

unsafe extern "C" {
    fn ferrite_return_to_user(frame: *const super::trap::TrapFrame) -> !;
    static ferrite_iretq: u8;
    static ferrite_syscall_entry: u8;
}

/// Address of the `iretq` that returns to user mode (for the bad-iret check).
pub fn iretq_addr() -> u64 {
    (&raw const ferrite_iretq) as u64
}

/// Address of the `syscall` entry point (for IA32_LSTAR).
pub fn syscall_entry_addr() -> u64 {
    (&raw const ferrite_syscall_entry) as u64
}

/// Leave the kernel through `frame`, the user frame at the top of the
/// current thread's kernel stack, discarding everything below it.
///
/// # Safety
/// `frame` must be the current thread's user trap frame (top of its kernel
/// stack), holding a state `trap` or `syscall` validated for user mode;
/// interrupts must be disabled; nothing on the stack below `frame` may be
/// needed again.
pub unsafe fn return_to_user(frame: *const super::trap::TrapFrame) -> ! {
    // SAFETY: per the contract.
    unsafe { ferrite_return_to_user(frame) }
}
