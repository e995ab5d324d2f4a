//! QEMU's `isa-debug-exit` device (I/O port 0xf4): the kernel powers the
//! machine off with a status the host runner reads as QEMU's exit code
//! (`(value << 1) | 1`: 0x10 → 33 success, 0x11 → 35 failure).

use x86_64::instructions::port::Port;

const DEBUG_EXIT_PORT: u16 = 0xf4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    Success = 0x10,
    Failure = 0x11,
}

/// Power off QEMU with `code`. Never returns (halts if the device is absent).
pub fn exit(code: ExitCode) -> ! {
    let mut port = Port::<u32>::new(DEBUG_EXIT_PORT);
    // SAFETY: port 0xf4 is QEMU's isa-debug-exit device, which the runner
    // always attaches; writing to it only terminates the virtual machine.
    unsafe { port.write(code as u32) };
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
