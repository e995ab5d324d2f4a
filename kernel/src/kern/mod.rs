//! Machine-independent kernel services: errors, logging, the panic path,
//! kernel memory (`mem`: pools, kmem, malloc types), threads and scheduling
//! (`sched`), the system-call layer (`syscall`), the return to user mode
//! (`userret`) and signals (`sig`).

#![deny(unsafe_code)]

pub mod error;
pub mod file;
pub mod log;
pub mod mem;
pub mod panic;
pub mod proc;
pub mod prof;
pub mod ptrace;
pub mod random;
pub mod resource;
pub mod sched;
pub mod sig;
pub mod sys_harness;
pub mod sys_misc;
mod sys_misc_tests;
pub mod syscall;
pub mod time;
pub mod ucopy;
pub mod userret;
