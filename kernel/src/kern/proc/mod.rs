//! Processes (kern_proc.c, kern_fork.c, kern_exit.c, kern_exec.c,
//! exec_elf.c): the process structure (`proc`), the process table and
//! tree (`ptable`), fork, exit and wait, exec and the ELF loader, the
//! identity calls, and the first process, init.

pub mod cap;
pub mod exec;
mod exec_tests;
pub mod exit;
pub mod fork;
pub mod init;
#[allow(clippy::module_inception)]
pub mod proc;
pub mod procinfo;
pub mod ptable;
pub mod sys_id;
mod tests;

pub use proc::{Pid, Proc, ProcRef, curproc, curproc_opt};

/// Size the process tables at boot.
pub fn init() {
    ptable::reserve(1024);
}
