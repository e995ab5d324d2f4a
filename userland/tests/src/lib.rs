//! Shared pieces of the userland test programs (`src/bin/utests/*`, one
//! program per area: exec, fork, pipe, procfs, signal, file, time, tools,
//! misc, badptr, all in the `utests` multi-call binary).
//!
//! Small, plainly named wrappers over the system calls the checks use as
//! tools (as opposed to the calls a check is about, which the checks make
//! themselves, usually through raw `libc::syscall`). Nothing here asserts
//! behaviour: failures come back as `Err(reason)`.

pub mod badaddr;
pub mod clock;
pub mod fault;
pub mod fd;
pub mod mem;
pub mod sig;
pub mod vm;
pub mod sigctx;
