//! The COM1 16550 UART, the kernel's console device. Higher layers go through
//! `dev::console`, which adds locking policy and line bookkeeping.

use uart_16550::SerialPort;

const COM1: u16 = 0x3f8;

/// Create and initialise the COM1 port.
pub fn com1() -> SerialPort {
    // SAFETY: 0x3f8 is the standard COM1 base on PC platforms and QEMU; the
    // console owns it exclusively (created once, kept behind a lock).
    let mut port = unsafe { SerialPort::new(COM1) };
    port.init();
    port
}
