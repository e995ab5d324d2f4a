//! A ktest harness for system-call handlers: the test's kernel thread
//! borrows a scratch user address space (one data page at `DATA`, a
//! PROT_NONE page at `NOACCESS`) and calls handlers through the system-call
//! table with a made-up context, so a test reaches the handler exactly as
//! a program would (number, table entry, user pointers, copyin/copyout)
//! without writing machine code.
//!
//! Tests only: nothing in the kernel proper uses it. The thread has no
//! process, so handlers that need one answer as they do for a kernel
//! thread (e.g. ESRCH for the resource limits).

use crate::arch::x86_64::usermode;
use crate::kern::error::KResult;
use crate::kern::syscall::{SysResult, SyscallCtx, table};
use crate::ktest::user::{CODE, DATA as USER_DATA, UserProg};
use crate::uvm::VmProt;
use crate::uvm::copy;
use crate::uvm::map::MapRequest;
use crate::uvm::vmspace::{PAGE, Vmspace};
use ferrite_abi::Plain;

/// The scratch data page (read/write).
pub const DATA: u64 = USER_DATA;
/// A mapped page no access is allowed to.
pub const NOACCESS: u64 = 0x60_0000;

/// Addresses every pointer argument must refuse with EFAULT: NULL, a
/// kernel address, a non-canonical one, an unmapped user page and a
/// PROT_NONE page.
pub const BAD_POINTERS: [u64; 5] = [
    0,
    crate::DIRECT_MAP_BASE + 0x1000,
    0x8000_0000_0000_0000,
    0x7000_0000,
    NOACCESS,
];

/// The scratch address space, active on the calling thread while the
/// harness lives.
pub struct Harness {
    _prog: UserProg,
}

impl Harness {
    pub fn new() -> KResult<Harness> {
        let prog = UserProg::new(&[0xf4])?;
        prog.vs
            .map(MapRequest::anon(PAGE, VmProt::empty()).at(NOACCESS))?;
        prog.vs.activate();
        Ok(Harness { _prog: prog })
    }

    /// Call system call `nr` with `args` (missing ones are 0) through the
    /// table. Panics if the number is not implemented.
    pub fn sys(&self, nr: u64, args: &[u64]) -> SysResult {
        let e = table::lookup(nr).unwrap_or_else(|| panic!("system call {nr} not in the table"));
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        let mut frame = usermode::initial_frame(CODE, 0);
        let mut ctx = SyscallCtx {
            nr,
            args: a,
            frame: &mut frame,
        };
        (e.handler)(&mut ctx)
    }

    /// Read a structure at user address `addr`.
    pub fn read<T: Plain>(&self, addr: u64) -> T {
        let mut b = [0u8; 512];
        copy::copyin(&mut b[..T::SIZE], addr).expect("scratch page readable");
        T::get(&b)
    }

    /// Write a structure at user address `addr`.
    pub fn write<T: Plain>(&self, addr: u64, v: &T) {
        let mut b = [0u8; 512];
        v.put(&mut b);
        copy::copyout(addr, &b[..T::SIZE]).expect("scratch page writable");
    }

    /// Read `buf.len()` bytes at user address `addr`.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) {
        copy::copyin(buf, addr).expect("scratch page readable");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        Vmspace::deactivate();
    }
}
