//! The interrupt descriptor table: all 32 exceptions, the APIC timer and
//! spurious vectors, and the (masked) legacy PIC's spurious vectors. Double
//! fault, NMI and machine check run on their own IST stacks.

use super::stack::{IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI};
use super::trap::{self, stubs};
use spin::Once;
use x86_64::VirtAddr;
use x86_64::structures::idt::InterruptDescriptorTable;

static IDT: Once<InterruptDescriptorTable> = Once::new();

fn addr(stub: extern "C" fn()) -> VirtAddr {
    VirtAddr::new(stub as usize as u64)
}

fn build() -> InterruptDescriptorTable {
    let mut idt = InterruptDescriptorTable::new();
    let raw = raw_entries(&mut idt);
    for (vector, stub) in stubs::EXCEPTIONS.iter().enumerate() {
        // Every stub saves the full register state, calls the dispatcher and
        // returns with iretq.
        // SAFETY: the stub matches the error-code convention of its vector.
        let options = unsafe { raw[vector].set_handler_addr(addr(*stub)) };
        let ist = match vector {
            2 => Some(IST_NMI),
            8 => Some(IST_DOUBLE_FAULT),
            18 => Some(IST_MACHINE_CHECK),
            _ => None,
        };
        if let Some(index) = ist {
            // SAFETY: the IST slot is set up in the TSS by gdt::init with a
            // dedicated stack that no other vector uses.
            unsafe { options.set_stack_index(index) };
        }
        // `int3` and `into` may be executed by user programs (they become
        // SIGTRAP / SIGSEGV); every other gate is for the CPU only.
        if vector == 3 || vector == 4 {
            options.set_privilege_level(x86_64::PrivilegeLevel::Ring3);
        }
    }
    let others: [(u8, extern "C" fn()); 4] = [
        (trap::PIC_BASE_VECTOR + 7, stubs::pic_master_spurious),
        (trap::PIC_BASE_VECTOR + 15, stubs::pic_slave_spurious),
        (trap::TIMER_VECTOR, stubs::apic_timer),
        (trap::SPURIOUS_VECTOR, stubs::apic_spurious),
    ];
    for (vector, stub) in others {
        // SAFETY: as above; these vectors push no error code.
        unsafe { idt[vector].set_handler_addr(addr(stub)) };
    }
    idt
}

/// The 32 exception entries as one array of untyped entries, so they can be
/// filled in a loop with raw stub addresses.
fn raw_entries(
    idt: &mut InterruptDescriptorTable,
) -> &mut [x86_64::structures::idt::Entry<x86_64::structures::idt::HandlerFunc>; 32] {
    let ptr = idt as *mut InterruptDescriptorTable
        as *mut [x86_64::structures::idt::Entry<x86_64::structures::idt::HandlerFunc>; 32];
    // The IDT is a repr(C) array of 256 gate descriptors and Entry<F> has the
    // same layout whatever F is; the borrow of `idt` covers the view.
    // SAFETY: so its first 32 entries can be viewed as one array of Entry.
    unsafe { &mut *ptr }
}

/// Build the IDT once and load it.
pub fn init() {
    IDT.call_once(build).load();
}
