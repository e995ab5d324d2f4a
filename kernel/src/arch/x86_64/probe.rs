//! Fault-recovering memory probes: read, write or execute at an address and
//! get the page fault back as an error instead of a kernel panic. Used by
//! tests that prove the MMU protections work (NX, SMAP, SMEP, write
//! protection), and the seed of copyin/copyout.
//!
//! Each probe is a tiny naked routine. While a probe is armed, the page-fault
//! handler recognises a fault raised by it (at the probe's instruction, or at
//! the target of an execute probe) and "returns" from the probe with a fault
//! marker in rax, recording the fault address and error code.

use super::trap::{PageFaultCode, TrapFrame};
use core::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The marker a faulting probe returns in rax.
const FAULTED: u64 = u64::MAX;

/// A page fault caught by a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub addr: u64,
    pub code: PageFaultCode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Armed {
    None = 0,
    Read = 1,
    Write = 2,
    Exec = 3,
}

static ARMED: AtomicU8 = AtomicU8::new(Armed::None as u8);
static EXEC_TARGET: AtomicU64 = AtomicU64::new(0);
static FAULT_ADDR: AtomicU64 = AtomicU64::new(0);
static FAULT_CODE: AtomicU64 = AtomicU64::new(0);

/// Length bound of the probe routines (their faulting instruction is first).
const PROBE_LEN: u64 = 16;

#[unsafe(naked)]
extern "C" fn probe_read_asm(_addr: u64) -> u64 {
    core::arch::naked_asm!("movzx eax, byte ptr [rdi]", "ret");
}

#[unsafe(naked)]
extern "C" fn probe_write_asm(_addr: u64, _value: u64) -> u64 {
    core::arch::naked_asm!("mov byte ptr [rdi], sil", "xor eax, eax", "ret");
}

#[unsafe(naked)]
extern "C" fn probe_exec_asm(_addr: u64) -> u64 {
    core::arch::naked_asm!("xor eax, eax", "call rdi", "ret");
}

fn arm(kind: Armed) {
    ARMED.store(kind as u8, Ordering::SeqCst);
}

fn disarm_and_check(rax: u64) -> Result<u64, Fault> {
    ARMED.store(Armed::None as u8, Ordering::SeqCst);
    if rax == FAULTED {
        Err(Fault {
            addr: FAULT_ADDR.load(Ordering::SeqCst),
            code: PageFaultCode(FAULT_CODE.load(Ordering::SeqCst)),
        })
    } else {
        Ok(rax)
    }
}

/// Read one byte at `addr`, or the fault it raised.
pub fn read_u8(addr: u64) -> Result<u8, Fault> {
    arm(Armed::Read);
    disarm_and_check(probe_read_asm(addr)).map(|v| v as u8)
}

/// Write one byte at `addr`, or return the fault it raised.
///
/// # Safety
/// If `addr` is mapped writable the byte is really written: the caller must
/// own the memory there (or expect the write to fault).
pub unsafe fn write_u8(addr: u64, value: u8) -> Result<(), Fault> {
    arm(Armed::Write);
    disarm_and_check(probe_write_asm(addr, value as u64)).map(|_| ())
}

/// Call the code at `addr` (which must be a bare `ret` if it runs at all),
/// or return the fault the instruction fetch raised.
///
/// # Safety
/// If `addr` is executable, whatever is there runs: the caller must have put
/// a `ret` instruction (0xc3) there.
pub unsafe fn exec(addr: u64) -> Result<(), Fault> {
    EXEC_TARGET.store(addr, Ordering::SeqCst);
    arm(Armed::Exec);
    disarm_and_check(probe_exec_asm(addr)).map(|_| ())
}

fn in_routine(rip: u64, routine: u64) -> bool {
    (routine..routine + PROBE_LEN).contains(&rip)
}

/// Called by the page-fault handler: if the fault was raised by an armed
/// probe, make the probe return `FAULTED` and report true.
pub fn recover(frame: &mut TrapFrame, cr2: u64, code: PageFaultCode) -> bool {
    let armed = ARMED.load(Ordering::SeqCst);
    let ours = match armed {
        a if a == Armed::Read as u8 => {
            in_routine(frame.rip, probe_read_asm as *const () as usize as u64)
        }
        a if a == Armed::Write as u8 => {
            in_routine(frame.rip, probe_write_asm as *const () as usize as u64)
        }
        a if a == Armed::Exec as u8 => {
            frame.rip == EXEC_TARGET.load(Ordering::SeqCst) && code.has(PageFaultCode::INSTRUCTION)
        }
        _ => false,
    };
    if !ours || !super::stack::contains(frame.rsp, 8) {
        return false;
    }
    FAULT_ADDR.store(cr2, Ordering::SeqCst);
    FAULT_CODE.store(code.0, Ordering::SeqCst);
    // The probe routines (and the execute target) have pushed nothing: the
    // return address is on top of the interrupted stack. Emulate `ret`.
    // SAFETY: rsp lies inside a known, mapped kernel stack (checked above).
    let ret = unsafe { core::ptr::read_volatile(frame.rsp as *const u64) };
    frame.rip = ret;
    frame.rsp += 8;
    frame.rax = FAULTED;
    true
}

/// First address past the user half.
const USER_END: u64 = 0x0000_8000_0000_0000;

/// Read one byte of user memory (copyin): SMAP is opened for the access and
/// a fault (after the VM fault routine had its chance) comes back as an error.
pub fn copyin_u8(va: u64) -> Result<u8, Fault> {
    if va >= USER_END {
        return Err(Fault {
            addr: va,
            code: PageFaultCode(PageFaultCode::USER),
        });
    }
    super::cpu::with_user_access(|| read_u8(va))
}

/// Write one byte of user memory (copyout); kernel addresses are refused.
pub fn copyout_u8(va: u64, value: u8) -> Result<(), Fault> {
    if va >= USER_END {
        return Err(Fault {
            addr: va,
            code: PageFaultCode(PageFaultCode::USER | PageFaultCode::WRITE),
        });
    }
    // SAFETY: the target is a user address; user memory never holds kernel
    // objects, so a write there cannot break kernel memory safety.
    super::cpu::with_user_access(|| unsafe { write_u8(va, value) })
}
