//! Per-CPU data (NetBSD's `struct cpu_info`), reached through the GS
//! segment base: while the CPU runs kernel code, GS.base holds the address
//! of this CPU's `PerCpu`, whose first word is that same address, so
//! `mov rax, gs:[0]` finds it without knowing which CPU this is. User code
//! runs with its own GS.base; every entry from user mode (`syscall`,
//! interrupts, exceptions) executes `swapgs` to get the kernel's back, and
//! every return to user mode swaps again.
//!
//! The first words are read and written by the assembly entry paths at
//! fixed offsets (`OFF_*`); the rest are counters the machine-independent
//! layers keep per CPU (spin locks held, preemption disabled, reschedule
//! requested, the running thread). Everything is atomic, so a `&PerCpu`
//! can be used from interrupt handlers; only this CPU ever writes its own
//! structure.
//!
//! This module owns the GS bases (`IA32_GS_BASE`, `IA32_KERNEL_GS_BASE`)
//! in kernel mode; the user's GS base is the thread's, switched by `switch`.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use x86_64::registers::model_specific::Msr;

/// CPUs the kernel supports (one today; the structures are per CPU so a
/// second can be added without changing their users).
pub const MAX_CPUS: usize = 1;

const IA32_GS_BASE: u32 = 0xc000_0101;
const IA32_KERNEL_GS_BASE: u32 = 0xc000_0102;

/// Offsets used by the assembly entry paths.
pub const OFF_SELF: usize = 0;
pub const OFF_KERNEL_RSP: usize = 8;
pub const OFF_USER_RSP: usize = 16;

#[repr(C, align(64))]
pub struct PerCpu {
    /// Offset 0: the address of this structure.
    self_addr: AtomicU64,
    /// Offset 8: top of the running thread's kernel stack (TSS.rsp0 too):
    /// the `syscall` entry switches to it.
    kernel_rsp: AtomicU64,
    /// Offset 16: the user's rsp, saved by the `syscall` entry.
    user_rsp: AtomicU64,
    /// This CPU's index.
    id: AtomicUsize,
    /// The running thread (an opaque address owned by `kern::sched`).
    curlwp: AtomicUsize,
    /// Bounds of the running thread's kernel stack (for backtraces).
    kstack_bottom: AtomicU64,
    kstack_top: AtomicU64,
    /// Spin locks held by this CPU (a thread holding one must not sleep).
    spin_held: AtomicU32,
    /// Preemption disabled (a nesting count).
    preempt_off: AtomicU32,
    /// Hardware interrupts being handled (0: thread context, where
    /// sleeping is allowed; exceptions such as page faults do not count).
    intr_depth: AtomicU32,
    /// The scheduler asks the running thread to give up the CPU at the next
    /// safe point.
    want_resched: AtomicBool,
}

impl PerCpu {
    const fn new() -> Self {
        PerCpu {
            self_addr: AtomicU64::new(0),
            kernel_rsp: AtomicU64::new(0),
            user_rsp: AtomicU64::new(0),
            id: AtomicUsize::new(0),
            curlwp: AtomicUsize::new(0),
            kstack_bottom: AtomicU64::new(0),
            kstack_top: AtomicU64::new(0),
            spin_held: AtomicU32::new(0),
            preempt_off: AtomicU32::new(0),
            intr_depth: AtomicU32::new(0),
            want_resched: AtomicBool::new(false),
        }
    }

    pub fn id(&self) -> usize {
        self.id.load(Ordering::Relaxed)
    }

    pub fn curlwp(&self) -> usize {
        self.curlwp.load(Ordering::Relaxed)
    }

    pub fn set_curlwp(&self, lwp: usize) {
        self.curlwp.store(lwp, Ordering::Relaxed);
    }

    /// Make `[bottom, top)` the running thread's kernel stack: traps from
    /// user mode and system calls land at `top`.
    pub fn set_kernel_stack(&self, bottom: u64, top: u64) {
        self.kstack_bottom.store(bottom, Ordering::Relaxed);
        self.kstack_top.store(top, Ordering::Relaxed);
        self.kernel_rsp.store(top, Ordering::Relaxed);
        super::gdt::set_rsp0(top);
    }

    /// The running thread's kernel stack, `(bottom, top)` (zeros before
    /// the first thread switch: the boot stack is known to `stack`).
    pub fn kernel_stack(&self) -> (u64, u64) {
        (
            self.kstack_bottom.load(Ordering::Relaxed),
            self.kstack_top.load(Ordering::Relaxed),
        )
    }

    pub fn spin_held(&self) -> u32 {
        self.spin_held.load(Ordering::Relaxed)
    }

    pub fn spin_enter(&self) {
        self.spin_held.fetch_add(1, Ordering::Relaxed);
    }

    pub fn spin_exit(&self) {
        let old = self.spin_held.fetch_sub(1, Ordering::Relaxed);
        debug_assert!(old > 0, "spin lock count underflow");
    }

    pub fn preempt_off(&self) -> u32 {
        self.preempt_off.load(Ordering::Relaxed)
    }

    /// Load a thread's own count (the scheduler, on a switch).
    pub fn set_preempt_off(&self, v: u32) {
        self.preempt_off.store(v, Ordering::Relaxed);
    }

    pub fn preempt_disable(&self) {
        self.preempt_off.fetch_add(1, Ordering::Relaxed);
    }

    pub fn preempt_enable(&self) {
        let old = self.preempt_off.fetch_sub(1, Ordering::Relaxed);
        debug_assert!(old > 0, "preemption count underflow");
    }

    pub fn intr_depth(&self) -> u32 {
        self.intr_depth.load(Ordering::Relaxed)
    }

    pub fn intr_enter(&self) {
        self.intr_depth.fetch_add(1, Ordering::Relaxed);
    }

    pub fn intr_exit(&self) {
        self.intr_depth.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn want_resched(&self) -> bool {
        self.want_resched.load(Ordering::Relaxed)
    }

    pub fn set_want_resched(&self, v: bool) {
        self.want_resched.store(v, Ordering::Relaxed);
    }
}

static CPUS: [PerCpu; MAX_CPUS] = [const { PerCpu::new() }; MAX_CPUS];
static READY: AtomicBool = AtomicBool::new(false);

/// Point GS at CPU `id`'s structure (boot CPU: 0). Interrupts must be off.
pub fn init(id: usize) {
    let cpu = &CPUS[id];
    let addr = cpu as *const PerCpu as u64;
    cpu.self_addr.store(addr, Ordering::Relaxed);
    cpu.id.store(id, Ordering::Relaxed);
    // SAFETY: writing the GS bases only changes what gs-relative accesses
    // reach; the kernel reaches per-CPU data only through `this_cpu`, and
    // user mode has not run yet (its GS base starts at 0).
    unsafe {
        Msr::new(IA32_GS_BASE).write(addr);
        Msr::new(IA32_KERNEL_GS_BASE).write(0);
    }
    READY.store(true, Ordering::Release);
}

/// This CPU's structure, or None this early in boot (for the panic path).
pub fn try_this_cpu() -> Option<&'static PerCpu> {
    READY.load(Ordering::Acquire).then(this_cpu)
}

/// This CPU's structure.
#[inline]
pub fn this_cpu() -> &'static PerCpu {
    let addr: u64;
    // SAFETY: in kernel mode GS.base points at this CPU's PerCpu, whose
    // first word is its own address (set by `init` before any use).
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) addr, options(nostack, readonly, preserves_flags))
    };
    debug_assert!(addr != 0, "per-CPU data used before percpu::init");
    // SAFETY: `addr` is the address of an element of the static `CPUS`.
    unsafe { &*(addr as *const PerCpu) }
}

/// The user's GS base (held in IA32_KERNEL_GS_BASE while in the kernel).
pub fn user_gs_base() -> u64 {
    // SAFETY: reading an MSR that exists on every x86_64 CPU.
    unsafe { Msr::new(IA32_KERNEL_GS_BASE).read() }
}

/// Set the user's GS base (effective at the next return to user mode).
pub fn set_user_gs_base(v: u64) {
    // SAFETY: the kernel's own GS base is IA32_GS_BASE while in the kernel;
    // this only changes what user mode will see after `swapgs`.
    unsafe { Msr::new(IA32_KERNEL_GS_BASE).write(v) }
}

const IA32_FS_BASE: u32 = 0xc000_0100;

/// The FS base (user TLS; the kernel never uses FS).
pub fn fs_base() -> u64 {
    // SAFETY: reading an MSR that exists on every x86_64 CPU.
    unsafe { Msr::new(IA32_FS_BASE).read() }
}

/// Set the FS base (user TLS; the kernel never uses FS).
pub fn set_fs_base(v: u64) {
    // SAFETY: the kernel does not use FS, so this only affects user mode.
    unsafe { Msr::new(IA32_FS_BASE).write(v) }
}
