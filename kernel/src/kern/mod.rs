//! Machine-independent kernel services: errors, logging, the panic path,
//! kernel memory (`mem`: pools, kmem, malloc types).

pub mod error;
pub mod log;
pub mod mem;
pub mod panic;
