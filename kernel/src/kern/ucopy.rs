//! ABI structures across the user boundary: `copyin`/`copyout` of the
//! `ferrite_abi` plain structures (timespec, rlimit, rusage, utsname, ...)
//! for system-call handlers, with a bad address reported as EFAULT.
//!
//! This module owns only the conversion between a structure and its C byte
//! image at a user address; the checks on the address and the fault
//! handling are `uvm::copy`'s.

use crate::uvm::copy;
use ferrite_abi::{Errno, Plain};

/// The largest structure these helpers move (`struct new_utsname`, 390
/// bytes, is the largest user today).
const MAX_SIZE: usize = 512;

/// Copy the C image of `v` to user address `uaddr`.
pub fn copyout_plain<T: Plain>(uaddr: u64, v: &T) -> Result<(), Errno> {
    const { assert!(T::SIZE <= MAX_SIZE) };
    let mut b = [0u8; MAX_SIZE];
    v.put(&mut b);
    copy::copyout(uaddr, &b[..T::SIZE]).map_err(|_| Errno::EFAULT)
}

/// Read a structure from its C image at user address `uaddr`.
pub fn copyin_plain<T: Plain>(uaddr: u64) -> Result<T, Errno> {
    const { assert!(T::SIZE <= MAX_SIZE) };
    let mut b = [0u8; MAX_SIZE];
    copy::copyin(&mut b[..T::SIZE], uaddr).map_err(|_| Errno::EFAULT)?;
    Ok(T::get(&b))
}
