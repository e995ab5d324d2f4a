//! copyin / copyout / copyinstr: moving data between the kernel and the
//! current thread's user address space.
//!
//! Every user range is checked first to lie entirely in the user half
//! (canonical, no wrap-around); a kernel or non-canonical address is EFAULT
//! without any access. The copy itself runs in `arch::usercopy` with SMAP
//! open only for its duration; a page fault during it goes through the UVM
//! fault routine (so copying to an untouched zero-fill page works and
//! copy-on-write is honoured), and a fault the VM cannot resolve (nothing
//! mapped, PROT_NONE, a write to read-only memory) ends the copy with
//! EFAULT: never a kernel fault.

use crate::arch::x86_64::usercopy::{self, StrCopy};
use crate::arch::x86_64::usermode::USER_END;
use crate::kern::error::{KResult, KernError};

/// Check that `[addr, addr + len)` lies in the user half.
pub fn check_range(addr: u64, len: usize) -> KResult<()> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(KernError::Fault),
    }
}

/// Copy `dst.len()` bytes from user address `src`.
pub fn copyin(dst: &mut [u8], src: u64) -> KResult<()> {
    check_range(src, dst.len())?;
    if dst.is_empty() {
        return Ok(());
    }
    usercopy::copy_from_user(dst, src).map_err(|_| KernError::Fault)
}

/// Copy `src` to user address `dst`.
pub fn copyout(dst: u64, src: &[u8]) -> KResult<()> {
    check_range(dst, src.len())?;
    if src.is_empty() {
        return Ok(());
    }
    usercopy::copy_to_user(dst, src).map_err(|_| KernError::Fault)
}

/// Read a u64 at user address `addr`.
pub fn copyin_u64(addr: u64) -> KResult<u64> {
    let mut b = [0u8; 8];
    copyin(&mut b, addr)?;
    Ok(u64::from_le_bytes(b))
}

/// Write a u64 at user address `addr`.
pub fn copyout_u64(addr: u64, v: u64) -> KResult<()> {
    copyout(addr, &v.to_le_bytes())
}

/// Read one byte at user address `addr`.
pub fn copyin_u8(addr: u64) -> KResult<u8> {
    let mut b = [0u8; 1];
    copyin(&mut b, addr)?;
    Ok(b[0])
}

/// Write one byte at user address `addr`.
pub fn copyout_u8(addr: u64, v: u8) -> KResult<()> {
    copyout(addr, &[v])
}

/// Why a string copy failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrError {
    /// Bad address (EFAULT).
    Fault,
    /// No NUL within the buffer (the caller picks ENAMETOOLONG or E2BIG).
    TooLong,
}

/// Copy a NUL-terminated string from user address `src` into `buf` (NUL
/// included); returns its length without the NUL.
pub fn copyinstr(src: u64, buf: &mut [u8]) -> Result<usize, StrError> {
    if src >= USER_END {
        return Err(StrError::Fault);
    }
    // Never read past the user half: shorten the window near its end.
    let room = (USER_END - src).min(buf.len() as u64) as usize;
    let window = &mut buf[..room];
    match usercopy::copy_str_from_user(window, src) {
        StrCopy::Len(n) => Ok(n),
        StrCopy::TooLong if room < buf.len() => Err(StrError::Fault),
        StrCopy::TooLong => Err(StrError::TooLong),
        StrCopy::Fault => Err(StrError::Fault),
    }
}
