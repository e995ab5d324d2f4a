//! The x86_64 machine layer: descriptor tables, traps and their entry paths,
//! the system-call entry, user mode, the thread switch and FPU state, per-CPU
//! data, the user copy routines, CPU feature setup, the local APIC timer and
//! the few PC platform devices the kernel needs early (serial port, fw_cfg,
//! PIT, 8259 PIC, QEMU's exit port).

pub mod apic;
pub mod backtrace;
pub mod boot;
pub mod cpu;
pub mod entry;
pub mod fpu;
pub mod fw_cfg;
pub mod gdt;
pub mod idt;
pub mod percpu;
pub mod pic;
pub mod pit;
pub mod probe;
pub mod prof;
pub mod qemu;
pub mod rdrand;
pub mod rtc;
pub mod serial;
pub mod sigframe;
pub mod stack;
pub mod switch;
pub mod syscall;
mod tests;
pub mod trap;
pub mod tsc;
pub mod usercopy;
pub mod usermode;

/// Bring up the boot CPU: per-CPU data (GS), GDT/TSS with IST stacks, the
/// IDT, the protection features (NX, SMEP, SMAP, WP), SSE for user mode,
/// the `syscall` MSRs and the legacy PIC masked. Interrupts stay off.
pub fn init_cpu(boot_stack_bottom: u64, boot_stack_len: u64) {
    stack::register_boot_stack(boot_stack_bottom, boot_stack_len);
    percpu::init(0);
    gdt::init();
    idt::init();
    pic::remap_and_mask();
    cpu::enable_protection();
    fpu::init();
    syscall::init();
}

/// Print what the CPU offers and what the kernel turned on.
pub fn report_cpu() {
    cpu::report();
}

/// Calibrate the local APIC timer against the PIT and start it ticking at `hz`,
/// then enable interrupts.
pub fn init_timer(hz: u32) {
    apic::init_timer(hz);
    ::x86_64::instructions::interrupts::enable();
}

/// Stop the CPU until the next interrupt.
pub fn wait_for_interrupt() {
    ::x86_64::instructions::hlt();
}
