//! A tiny ring-3 harness for ktests: an address space with one page of
//! hand-assembled code at 0x400000, one data page at 0x500000 and a small
//! stack, run as a user thread until it exits. The thread's exit status is
//! in the wait encoding: `code << 8` after exit(2), the signal number when
//! a trap killed it.
//!
//! Machine code is written as bytes with the instruction in a comment; the
//! helpers below cover the common pieces (system calls, exit).

use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::usermode;
use crate::kern::error::KResult;
use crate::kern::sched::lwp;
use crate::uvm::VmProt;
use crate::uvm::copy;
use crate::uvm::map::MapRequest;
use crate::uvm::vmspace::{PAGE, Vmspace, default_layout};
use alloc::sync::Arc;
use alloc::vec::Vec;

pub const CODE: u64 = 0x40_0000;
pub const DATA: u64 = 0x50_0000;
pub const STACK_PAGES: u64 = 4;

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);

/// A user program ready to run (possibly several times).
pub struct UserProg {
    pub vs: Arc<Vmspace>,
    pub stack_top: u64,
}

/// Bytes of `mov eax, imm32`.
pub fn mov_eax(v: u32) -> [u8; 5] {
    let b = v.to_le_bytes();
    [0xb8, b[0], b[1], b[2], b[3]]
}

/// Bytes of `mov edi, imm32`.
pub fn mov_edi(v: u32) -> [u8; 5] {
    let b = v.to_le_bytes();
    [0xbf, b[0], b[1], b[2], b[3]]
}

/// Bytes of `mov esi, imm32`.
pub fn mov_esi(v: u32) -> [u8; 5] {
    let b = v.to_le_bytes();
    [0xbe, b[0], b[1], b[2], b[3]]
}

/// Bytes of `mov rsi, imm64`.
pub fn mov_rsi64(v: u64) -> [u8; 10] {
    let mut out = [0u8; 10];
    out[0] = 0x48;
    out[1] = 0xbe;
    out[2..].copy_from_slice(&v.to_le_bytes());
    out
}

pub const SYSCALL: [u8; 2] = [0x0f, 0x05];
/// `mov edi, eax`
pub const MOV_EDI_EAX: [u8; 2] = [0x89, 0xc7];
/// `mov eax, 60; syscall`: exit(edi).
pub const EXIT_EDI: [u8; 7] = [0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05];

/// Concatenate code pieces.
pub fn code(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

impl UserProg {
    /// An address space holding `text` at `CODE` (read/execute), a data page
    /// at `DATA` and a stack below the layout's stack top.
    pub fn new(text: &[u8]) -> KResult<UserProg> {
        assert!(
            text.len() <= PAGE as usize,
            "test program larger than a page"
        );
        let vs = Vmspace::new(default_layout())?;
        vs.map(MapRequest::anon(PAGE, RW).at(CODE))?;
        vs.map(MapRequest::anon(PAGE, RW).at(DATA))?;
        let stack_top = default_layout().stack_top;
        vs.map(MapRequest::anon(STACK_PAGES * PAGE, RW).at(stack_top - STACK_PAGES * PAGE))?;
        vs.activate();
        let r = copy::copyout(CODE, text);
        Vmspace::deactivate();
        r?;
        vs.protect(CODE, CODE + PAGE, VmProt::READ | VmProt::EXECUTE)?;
        Ok(UserProg { vs, stack_top })
    }

    /// Run the program in a new user thread whose registers `setup` may
    /// set (rdi, rsi, ...); returns the thread's exit status.
    pub fn run(&self, setup: impl FnOnce(&mut TrapFrame)) -> KResult<i32> {
        let mut f = usermode::initial_frame(CODE, self.stack_top - 64);
        setup(&mut f);
        let l = lwp::uthread_create("utest", self.vs.clone(), f)?;
        Ok(lwp::join(l))
    }

    /// Start the program without waiting (returns the thread to join).
    pub fn start(&self, setup: impl FnOnce(&mut TrapFrame)) -> KResult<lwp::LwpRef> {
        let mut f = usermode::initial_frame(CODE, self.stack_top - 64);
        setup(&mut f);
        lwp::uthread_create("utest", self.vs.clone(), f)
    }

    /// Run the program as a process (PID, signals, fork), with no parent:
    /// the test reaps it. Returns its PID and wait status.
    pub fn run_proc(&self, setup: impl FnOnce(&mut TrapFrame)) -> KResult<(u32, i32)> {
        let (pid, l) = self.start_proc(setup)?;
        let status = lwp::join(l);
        reap_orphan(pid);
        Ok((pid, status))
    }

    /// Start the program as a process with no parent; the caller joins the
    /// thread and calls `reap_orphan`.
    pub fn start_proc(&self, setup: impl FnOnce(&mut TrapFrame)) -> KResult<(u32, lwp::LwpRef)> {
        use crate::kern::proc::{proc::Proc, ptable};
        let p = Proc::new_for_tests().ok_or(crate::kern::error::KernError::NoMem)?;
        let pid = ptable::lock()
            .insert(&p, 0, None, None)
            .map_err(|_| crate::kern::error::KernError::NoMem)?;
        let mut f = usermode::initial_frame(CODE, self.stack_top - 64);
        setup(&mut f);
        let l = lwp::uthread_prepare("uproc", self.vs.clone(), f, Some(p.clone()))?;
        *p.lwp_slot().lock() = Some(l.clone());
        lwp::start_thread(&l);
        Ok((pid, l))
    }

    /// Read a u64 the program left in its data page.
    pub fn data_u64(&self, offset: u64) -> u64 {
        self.vs.activate();
        let v = copy::copyin_u64(DATA + offset);
        Vmspace::deactivate();
        v.expect("data page readable")
    }
}

/// The exit status of exit(code).
pub fn exited(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// Take a parentless test process (a zombie, its thread joined) out of
/// the process table.
pub fn reap_orphan(pid: u32) {
    use crate::kern::proc::ptable;
    let p = ptable::lock().remove(pid);
    if let Some(p) = p {
        drop(p.lwp_slot().lock().take());
    }
}
