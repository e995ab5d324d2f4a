//! The legacy 8259 PIC pair. Ferrite uses the local APIC, so the PICs are
//! remapped away from the exception vectors (to 0x20..0x2f, where their
//! spurious interrupts are harmless) and fully masked.

use super::trap::PIC_BASE_VECTOR;
use x86_64::instructions::port::Port;

fn outb(port: u16, value: u8) {
    let mut p = Port::<u8>::new(port);
    // SAFETY: ports 0x20/0x21/0xa0/0xa1 belong to the 8259 PICs, which only
    // this module programs, with the standard initialisation sequence.
    unsafe { p.write(value) };
}

/// Remap both PICs to vectors 0x20..0x2f and mask every line.
pub fn remap_and_mask() {
    const ICW1_INIT_ICW4: u8 = 0x11;
    const ICW4_8086: u8 = 0x01;
    outb(0x20, ICW1_INIT_ICW4);
    outb(0xa0, ICW1_INIT_ICW4);
    outb(0x21, PIC_BASE_VECTOR);
    outb(0xa1, PIC_BASE_VECTOR + 8);
    outb(0x21, 4); // slave on IRQ2
    outb(0xa1, 2); // slave identity
    outb(0x21, ICW4_8086);
    outb(0xa1, ICW4_8086);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}
