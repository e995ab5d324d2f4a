//! Machine-dependent code. Only x86_64 exists; everything that touches the CPU
//! or PC platform hardware directly lives below this module.

pub mod x86_64;
