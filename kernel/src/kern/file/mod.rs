//! Open files and descriptors (kern_descrip.c, sys_generic.c), pipes
//! (sys_pipe.c) and poll (sys_select.c).
//!
//! (Skeleton: being written.)

pub mod descrip;

pub use descrip::FdTable;
