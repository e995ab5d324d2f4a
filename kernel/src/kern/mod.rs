//! Machine-independent kernel services: errors, logging, the panic path, the
//! kernel heap. Processes, pools, scheduling and syscalls come later.

pub mod error;
pub mod heap;
mod heap_tests;
pub mod log;
pub mod panic;
