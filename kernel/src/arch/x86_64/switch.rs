//! The machine-dependent thread switch (NetBSD's `cpu_switchto`): save the
//! callee-saved registers and RFLAGS of the running thread on its own stack,
//! record its stack pointer, load the next thread's stack pointer and pop
//! its registers. Everything else a thread owns on this CPU (FPU state, FS
//! and GS bases, TSS.rsp0, the page tables) is switched by `switch_to`
//! around that core, each only when it differs.
//!
//! A new thread's stack is prepared (`prepare_stack`) so that the first
//! switch to it "returns" into `thread_start`, which calls the thread's
//! entry function with its argument.

use super::{fpu, percpu};
use core::sync::atomic::{AtomicU64, Ordering};

/// Machine-dependent state of a thread (NetBSD's `struct pcb`).
pub struct Md {
    /// Saved stack pointer while the thread is switched out.
    rsp: AtomicU64,
    /// User TLS bases (FS, GS).
    pub fs_base: AtomicU64,
    pub gs_base: AtomicU64,
    /// FPU/SSE registers while switched out.
    pub fpu: fpu::FpuState,
}

impl Md {
    pub const fn new() -> Md {
        Md {
            rsp: AtomicU64::new(0),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            fpu: fpu::FpuState::new(),
        }
    }
}

impl Default for Md {
    fn default() -> Self {
        Self::new()
    }
}

/// Entry function of a new thread: called with interrupts off and the
/// scheduler lock held (it must release them), and never returns.
pub type ThreadEntry = extern "C" fn(arg: usize) -> !;

/// The words `cpu_switch` pops, lowest address first.
#[repr(C)]
struct SwitchFrame {
    rflags: u64,
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    rbx: u64,
    rbp: u64,
    ret: u64,
}

/// Lay out a new thread's stack below `top` so the first switch to it runs
/// `entry(arg)` through `thread_start`. Returns nothing: the saved stack
/// pointer is stored in `md`.
///
/// # Safety
/// `[top - 128, top)` must be writable memory the caller owns (the new
/// thread's kernel stack, not yet running).
pub unsafe fn prepare_stack(md: &Md, top: u64, entry: ThreadEntry, arg: usize) {
    // Keep 16-byte alignment as the ABI wants at the `call` in thread_start
    // (rsp after the final `ret` is top - 16, and thread_start pushes nothing
    // before its call: rsp % 16 == 0 at the call, 8 at the callee's entry).
    let frame_at = top - 16 - core::mem::size_of::<SwitchFrame>() as u64;
    let frame = SwitchFrame {
        rflags: 0x2, // IF clear: the thread starts inside the scheduler lock
        r15: 0,
        r14: 0,
        r13: arg as u64,
        r12: entry as usize as u64,
        rbx: 0,
        rbp: 0, // ends the frame-pointer chain
        ret: thread_start as *const () as usize as u64,
    };
    // SAFETY: the caller owns [top - 128, top); the frame is 64 bytes below
    // top - 16 and 8-byte aligned.
    unsafe { (frame_at as *mut SwitchFrame).write(frame) };
    // A zero return address above the frame ends backtraces cleanly.
    // SAFETY: as above.
    unsafe { ((top - 16) as *mut [u64; 2]).write([0, 0]) };
    md.rsp.store(frame_at, Ordering::Relaxed);
}

/// First code of every new thread: move the entry and argument the stack
/// preparation left in r12/r13 into place and call the entry.
#[unsafe(naked)]
extern "C" fn thread_start() -> ! {
    core::arch::naked_asm!("mov rdi, r13", "call r12", "ud2");
}

/// Save the callee-saved registers and RFLAGS on the current stack, store
/// rsp in `*save`, load `load` and pop the next thread's registers.
#[unsafe(naked)]
unsafe extern "C" fn cpu_switch(save: *const AtomicU64, load: u64) {
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "pushfq",
        "mov [rdi], rsp",
        "mov rsp, rsi",
        "popfq",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    );
}

/// What the scheduler tells `switch_to` about the two threads.
pub struct SwitchArgs<'a> {
    pub from: &'a Md,
    pub to: &'a Md,
    /// Kernel stack of the next thread, `[bottom, top)`.
    pub to_stack: (u64, u64),
}

/// Switch from the running thread to another: FPU state, TLS bases, kernel
/// stack for traps, then the registers and stack. Returns when some thread
/// switches back to `from`. Interrupts must be off (the scheduler lock is
/// held across the switch and released by whoever runs next).
pub fn switch_to(a: SwitchArgs<'_>) {
    debug_assert!(
        !x86_64::instructions::interrupts::are_enabled(),
        "thread switch with interrupts on"
    );
    let cpu = percpu::this_cpu();
    fpu::save(&a.from.fpu);
    fpu::restore(&a.to.fpu);
    let (fs_old, fs_new) = (
        a.from.fs_base.load(Ordering::Relaxed),
        a.to.fs_base.load(Ordering::Relaxed),
    );
    if fs_old != fs_new {
        percpu::set_fs_base(fs_new);
    }
    // The user GS base lives in IA32_KERNEL_GS_BASE while in the kernel.
    let (gs_old, gs_new) = (
        a.from.gs_base.load(Ordering::Relaxed),
        a.to.gs_base.load(Ordering::Relaxed),
    );
    if gs_old != gs_new {
        percpu::set_user_gs_base(gs_new);
    }
    cpu.set_kernel_stack(a.to_stack.0, a.to_stack.1);
    let load = a.to.rsp.load(Ordering::Relaxed);
    debug_assert!(load != 0, "switch to a thread with no saved stack");
    // SAFETY: `load` was stored by cpu_switch or prepare_stack for a thread
    // that is not running; `from.rsp` belongs to the running thread.
    unsafe { cpu_switch(&a.from.rsp, load) };
}
