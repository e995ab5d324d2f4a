//! Devices. For now only the console; block devices and the like come later.

pub mod console;
