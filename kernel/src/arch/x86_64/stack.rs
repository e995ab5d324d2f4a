//! Kernel stacks the CPU may be running on: the boot stack (with the
//! bootloader's guard page below it), the running thread's kernel stack
//! (with its guard page below it, see `kern::sched::kstack`) and the IST
//! stacks for double fault, NMI and machine check. The backtrace walker
//! only follows frame pointers that point into one of these, so it can
//! never fault while reporting a fault.

use core::sync::atomic::{AtomicU64, Ordering};

/// Size of each IST stack.
pub const IST_STACK_SIZE: usize = 16 * 1024;

/// The interrupt stack table slots used by the TSS.
pub const IST_DOUBLE_FAULT: u16 = 0;
pub const IST_NMI: u16 = 1;
pub const IST_MACHINE_CHECK: u16 = 2;
pub const IST_COUNT: usize = 3;

#[repr(C, align(16))]
pub struct IstStack(pub [u8; IST_STACK_SIZE]);

static BOOT_STACK_BOTTOM: AtomicU64 = AtomicU64::new(0);
static BOOT_STACK_LEN: AtomicU64 = AtomicU64::new(0);

/// Remember where the boot stack lives (from the bootloader's boot info).
pub fn register_boot_stack(bottom: u64, len: u64) {
    BOOT_STACK_BOTTOM.store(bottom, Ordering::Relaxed);
    BOOT_STACK_LEN.store(len, Ordering::Relaxed);
}

/// The boot stack as `[bottom, top)`.
pub fn boot_stack() -> (u64, u64) {
    let bottom = BOOT_STACK_BOTTOM.load(Ordering::Relaxed);
    (bottom, bottom + BOOT_STACK_LEN.load(Ordering::Relaxed))
}

/// The unmapped guard page directly below the boot stack, as `[start, end)`.
pub fn boot_stack_guard() -> (u64, u64) {
    let (bottom, _) = boot_stack();
    (bottom - 4096, bottom)
}

/// True if `[addr, addr + len)` lies inside one known kernel stack.
pub fn contains(addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    let (bottom, top) = boot_stack();
    if addr >= bottom && end <= top {
        return true;
    }
    if let Some(cpu) = super::percpu::try_this_cpu() {
        let (bottom, top) = cpu.kernel_stack();
        if bottom != 0 && addr >= bottom && end <= top {
            return true;
        }
    }
    super::gdt::ist_stacks()
        .iter()
        .any(|&(lo, hi)| addr >= lo && end <= hi)
}

/// The guard page below the running thread's kernel stack, if a thread
/// stack (not the boot stack) is in use.
pub fn thread_stack_guard() -> Option<(u64, u64)> {
    let (bottom, _) = super::percpu::try_this_cpu()?.kernel_stack();
    (bottom != 0 && bottom != boot_stack().0).then(|| (bottom - 4096, bottom))
}
