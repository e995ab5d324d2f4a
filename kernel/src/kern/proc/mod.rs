//! Processes (kern_proc.c, kern_fork.c, kern_exit.c, kern_exec.c,
//! exec_elf.c): the process structure and the PID table, fork, exit and
//! wait, exec and the ELF loader, and the first process, init.
//!
//! (Being written: `proc` has the structure other layers use.)

#[allow(clippy::module_inception)]
pub mod proc;

pub use proc::{Pid, Proc, ProcRef, curproc, curproc_opt};
