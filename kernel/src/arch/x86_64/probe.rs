//! Fault-recovering memory probes: read, write or execute at an address and
//! get the page fault back as an error instead of a kernel panic. Used by
//! the tests that prove the MMU protections work (NX, SMAP, SMEP, write
//! protection) and by the pmap tests.
//!
//! The probe routines live in `usercopy` with the copy routines: their
//! faulting instructions are in its recovery table, and the page-fault
//! handler resumes them with the fault's error code and address in the
//! returned register pair. Nothing global is armed, so probes are safe
//! from any thread.

use super::trap::PageFaultCode;
use super::usercopy::{self, FAULT_BIT, ProbeResult};

/// A page fault caught by a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub addr: u64,
    pub code: PageFaultCode,
}

fn result(r: ProbeResult) -> Result<u64, Fault> {
    if r.rax & FAULT_BIT != 0 {
        Err(Fault {
            addr: r.rdx,
            code: PageFaultCode(r.rax & !FAULT_BIT),
        })
    } else {
        Ok(r.rax)
    }
}

/// Read one byte at `addr`, or the fault it raised.
pub fn read_u8(addr: u64) -> Result<u8, Fault> {
    result(usercopy::probe_read(addr)).map(|v| v as u8)
}

/// Write one byte at `addr`, or return the fault it raised.
///
/// # Safety
/// If `addr` is mapped writable the byte is really written: the caller must
/// own the memory there (or expect the write to fault).
pub unsafe fn write_u8(addr: u64, value: u8) -> Result<(), Fault> {
    // SAFETY: per this function's contract.
    result(unsafe { usercopy::probe_write(addr, value) }).map(|_| ())
}

/// Call the code at `addr` (which must be a bare `ret` if it runs at all),
/// or return the fault the instruction fetch raised.
///
/// # Safety
/// If `addr` is executable, whatever is there runs: the caller must have put
/// a `ret` instruction (0xc3) there.
pub unsafe fn exec(addr: u64) -> Result<(), Fault> {
    // SAFETY: per this function's contract.
    result(unsafe { usercopy::probe_exec(addr) }).map(|_| ())
}
