//! System calls: the dispatch from the `syscall` entry to the handlers, by
//! Linux x86_64 system-call number (`table`, the kernel's syscalls.master),
//! with Linux errno values: a handler returns `Result<usize, Errno>`, and
//! an error goes back to the program as `-errno` in rax.
//!
//! An unimplemented number returns ENOSYS and is logged once per number,
//! with its name, so a user sees at once what a program needs.
//!
//! Tracing: with `log=kern::syscall=trace` on the kernel command line (or
//! `--log info,kern::syscall=trace` from the runner) every call is printed
//! strace-style after it returns:
//! `[pid 3] mmap(0x0, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fffff7ff000`.

pub mod bench;
pub mod ferrite;
pub mod table;
mod tests;
pub mod trace;

use crate::arch::x86_64::trap::TrapFrame;
use core::sync::atomic::{AtomicU64, Ordering};
pub use ferrite_abi::Errno;

/// What a handler returns.
pub type SysResult = Result<usize, Errno>;

/// A system call in progress: its number, arguments and the caller's saved
/// registers (exec, fork and sigreturn change them).
pub struct SyscallCtx<'a> {
    pub nr: u64,
    pub args: [u64; 6],
    pub frame: &'a mut TrapFrame,
}

impl SyscallCtx<'_> {
    pub fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }
}

/// Calls handled (statistics).
pub static CALLS: AtomicU64 = AtomicU64::new(0);

/// Numbers already reported as unimplemented (a bit per number).
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

/// Log "unimplemented system call" once per number. True the first time.
fn report_enosys(nr: u64) -> bool {
    if nr >= 512 {
        return false;
    }
    let bit = 1u64 << (nr % 64);
    REPORTED[(nr / 64) as usize].fetch_or(bit, Ordering::Relaxed) & bit == 0
}

/// Run the system call described by `frame` (called by the `syscall`
/// entry with interrupts on) and store its result in `frame.rax`; a traced
/// process may stop at the entry and exit (`ptrace`).
pub fn syscall(frame: &mut TrapFrame) {
    CALLS.fetch_add(1, Ordering::Relaxed);
    if !crate::kern::ptrace::syscall_enter(frame) {
        dispatch(frame);
    }
    crate::kern::ptrace::syscall_exit(frame);
}

/// Call the handler of the system call in `frame`.
fn dispatch(frame: &mut TrapFrame) {
    let nr = frame.rax;
    let args = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    let entry = table::lookup(nr);
    let result = match entry {
        Some(e) => {
            let mut ctx = SyscallCtx { nr, args, frame };
            let r = (e.handler)(&mut ctx);
            frame_result(ctx.frame, r);
            r
        }
        None => {
            if report_enosys(nr) {
                log::warn!(
                    "{:?}: unimplemented system call {} ({}): ENOSYS",
                    crate::kern::sched::curlwp(),
                    nr,
                    ferrite_abi::syscall_name(nr).unwrap_or("unknown")
                );
            }
            let r = Err(Errno::ENOSYS);
            frame_result(frame, r);
            r
        }
    };
    if log::log_enabled!(target: trace::TARGET, log::Level::Trace) {
        trace::print(nr, entry, &args, result);
    }
}

fn frame_result(frame: &mut TrapFrame, r: SysResult) {
    frame.rax = match r {
        Ok(v) => v as u64,
        Err(e) => e.to_ret() as u64,
    };
}
