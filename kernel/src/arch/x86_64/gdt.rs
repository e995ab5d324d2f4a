//! The global descriptor table and the task-state segment. The TSS carries
//! the interrupt stack table: double fault, NMI and machine check run on their
//! own stacks, so a kernel stack overflow is reported instead of escalating to
//! a triple fault. Its `rsp0` is the running thread's kernel stack top (set
//! on every thread switch): traps from user mode land there.
//!
//! Segment order (fixed by SYSCALL/SYSRET, see `syscall`): null, kernel
//! code, kernel data, user data, user code, TSS.

use super::stack::{
    IST_COUNT, IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, IST_STACK_SIZE, IstStack,
};
use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::segmentation::SegmentSelector;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;

/// The IST stacks. Only the CPU writes them (through the TSS); Rust code only
/// takes their addresses, so no reference to them is ever formed.
static mut IST_STACKS: [IstStack; IST_COUNT] = [const { IstStack([0; IST_STACK_SIZE]) }; IST_COUNT];

/// Selectors of the kernel's segments.
#[derive(Debug, Clone, Copy)]
struct Selectors {
    kernel_code: SegmentSelector,
    kernel_data: SegmentSelector,
    tss: SegmentSelector,
}

/// Selectors, as the CPU sees them (user ones with RPL 3).
pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;

/// The TSS. The CPU reads it; the kernel writes only `rsp0` after load
/// (through `set_rsp0`), never forming a reference that outlives the write.
static mut TSS: TaskStateSegment = TaskStateSegment::new();
static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();
static IST_RANGES: Once<[(u64, u64); IST_COUNT]> = Once::new();

/// `[bottom, top)` of each IST stack.
pub fn ist_stacks() -> &'static [(u64, u64)] {
    IST_RANGES.get().map(|r| &r[..]).unwrap_or(&[])
}

fn ist_range(index: usize) -> (u64, u64) {
    let bottom = (&raw const IST_STACKS) as u64 + (index * IST_STACK_SIZE) as u64;
    (bottom, bottom + IST_STACK_SIZE as u64)
}

/// Build and load the GDT and TSS and reload the segment registers.
pub fn init() {
    let ranges = IST_RANGES.call_once(|| [ist_range(0), ist_range(1), ist_range(2)]);
    let tss_ptr = &raw mut TSS;
    for (slot, idx) in [IST_DOUBLE_FAULT, IST_NMI, IST_MACHINE_CHECK]
        .into_iter()
        .enumerate()
    {
        // SAFETY: init runs once, on the boot CPU, before the TSS is loaded.
        unsafe { (*tss_ptr).interrupt_stack_table[idx as usize] = VirtAddr::new(ranges[slot].1) };
    }
    // SAFETY: the TSS is a static that lives forever; the descriptor only
    // records its address (the CPU reads it through the GDT).
    let tss: &'static TaskStateSegment = unsafe { &*tss_ptr };
    let (gdt, sel) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        // User data then user code, in the order SYSRET expects.
        gdt.append(Descriptor::user_data_segment());
        gdt.append(Descriptor::user_code_segment());
        let tss = gdt.append(Descriptor::tss_segment(tss));
        let sel = Selectors {
            kernel_code,
            kernel_data,
            tss,
        };
        debug_assert_eq!(kernel_code.0, KERNEL_CS);
        debug_assert_eq!(kernel_data.0, KERNEL_DS);
        (gdt, sel)
    });
    gdt.load();
    // SAFETY: the selectors come from the GDT just loaded and describe valid
    // 64-bit kernel code/data segments and an available TSS.
    unsafe {
        CS::set_reg(sel.kernel_code);
        SS::set_reg(sel.kernel_data);
        DS::set_reg(sel.kernel_data);
        ES::set_reg(sel.kernel_data);
        load_tss(sel.tss);
    }
}

/// Set the stack the CPU switches to on a trap from user mode (TSS.rsp0).
pub fn set_rsp0(top: u64) {
    // SAFETY: a single aligned 8-byte store into the static TSS; the CPU
    // reads rsp0 only when it takes a trap from user mode, which cannot
    // happen on this CPU while it runs this kernel code.
    unsafe {
        (&raw mut TSS)
            .cast::<u8>()
            .add(4)
            .cast::<u64>()
            .write_unaligned(top)
    };
}
