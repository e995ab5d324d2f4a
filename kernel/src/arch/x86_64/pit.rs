//! The 8254 programmable interval timer, used only as a reference clock to
//! calibrate the local APIC timer and the TSC (channel 2, gated by port 0x61,
//! so no interrupt is involved).

use x86_64::instructions::port::Port;

/// The PIT's input clock.
pub const PIT_HZ: u64 = 1_193_182;

fn outb(port: u16, value: u8) {
    let mut p = Port::<u8>::new(port);
    // SAFETY: ports 0x42/0x43/0x61 are the PIT channel 2 data and command
    // ports and the PC speaker/gate port; only calibration uses them.
    unsafe { p.write(value) };
}

fn inb(port: u16) -> u8 {
    let mut p = Port::<u8>::new(port);
    // SAFETY: as above; reading port 0x61 has no side effect.
    unsafe { p.read() }
}

/// Busy-wait for `ticks` PIT ticks (at most 65535) using channel 2 in
/// one-shot mode, calling nothing else meanwhile.
pub fn wait_ticks(ticks: u16) {
    // Gate on, speaker off.
    let gate = (inb(0x61) & !0x02) | 0x01;
    outb(0x61, gate);
    // Channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary.
    outb(0x43, 0b1011_0000);
    outb(0x42, (ticks & 0xff) as u8);
    outb(0x42, (ticks >> 8) as u8);
    // Restart the count by toggling the gate.
    outb(0x61, gate & !0x01);
    outb(0x61, gate | 0x01);
    // OUT2 (bit 5) goes high when the count reaches zero.
    while inb(0x61) & 0x20 == 0 {
        core::hint::spin_loop();
    }
}
