//! Open files and descriptors (NetBSD's kern_descrip.c, sys_generic.c,
//! sys_pipe.c, sys_select.c):
//!
//! - `file`: open file descriptions (vnode or pipe end, offset, flags);
//! - `descrip`: a process's descriptor table;
//! - `sys_descrip`: close, dup, dup2, dup3, fcntl;
//! - `sys_generic`: read, write, readv, writev, pread64, pwrite64, ioctl;
//! - `pipe`: pipes and pipe/pipe2;
//! - `poll`: poll/ppoll and the readiness notification every file uses;
//! - `sendfile`: sendfile, a copy between two files inside the kernel.
//!
//! Nothing under `kern/file/` needs unchecked code: the compiler enforces it.

#![deny(unsafe_code)]

pub mod descrip;
mod descrip_tests;
#[allow(clippy::module_inception)]
pub mod file;
pub mod pipe;
mod pipe_tests;
pub mod poll;
pub mod sendfile;
pub mod sys_descrip;
pub mod sys_generic;

pub use descrip::FdTable;
pub use file::{File, FileKind};
