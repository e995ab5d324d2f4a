//! `vmstat -m` and friends: the kernel's memory statistics on the console
//! (pools, malloc types, physical pages). Printed at power-off when the
//! command line says `vmstat`.

use crate::dev::console::ConsoleWriter;
use crate::kprintln;

/// Print every pool, every malloc type and the page counters.
pub fn print() {
    kprintln!("vmstat -m: pools");
    let _ = super::pool_registry::report(&mut ConsoleWriter);
    kprintln!("vmstat -m: malloc types");
    let _ = super::malloc::report(&mut ConsoleWriter);
    crate::uvm::physmem::report();
}
