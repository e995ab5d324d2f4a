//! Machine-independent kernel services: errors, logging, the panic path, the
//! kernel heap. Processes, pools, scheduling and syscalls come later.

pub mod error;
pub mod kmem;
mod kmem_tests;
pub mod log;
pub mod malloc;
pub mod panic;
pub mod pool;
pub mod pool_allocator;
pub mod pool_arena;
pub mod pool_bench;
pub mod pool_box;
pub mod pool_registry;
mod pool_tests;
pub mod vmstat;
