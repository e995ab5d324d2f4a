//! Kernel memory: pools with full/partial/empty page lists and their back
//! ends (subr_pool.c), pool arenas and typed pool boxes, the kernel heap
//! built on size-class pools (kmem), malloc types with limits
//! (kern_malloc.c), and the `vmstat -m` tables.

pub mod kmem;
mod kmem_tests;
pub mod malloc;
pub mod pool;
pub mod pool_allocator;
pub mod pool_arc;
pub mod pool_arena;
pub mod pool_bench;
pub mod pool_box;
pub mod pool_registry;
mod pool_tests;
pub mod vmstat;
