//! Benchmark mode (`mode=bench`, run by `scripts/bench.sh` under QEMU with
//! `-icount shift=0`, where the TSC counts guest instructions, so every
//! figure repeats exactly from run to run).
//!
//! Each layer contributes a function that measures itself and reports
//! through `report`; results are printed as
//! `bench: <name> | <value> <unit>` lines, which the script turns into a
//! table.

use crate::arch::x86_64::{qemu, tsc};
use crate::kprintln;

/// Print one result line.
pub fn report(name: &str, value: u64, unit: &str) {
    kprintln!("bench: {name} | {value} {unit}");
}

/// Cycles taken by `f`.
pub fn cycles(f: impl FnOnce()) -> u64 {
    let t0 = tsc::read();
    f();
    tsc::read() - t0
}

pub fn run() -> ! {
    kprintln!("bench: starting (TSC counts guest instructions under -icount)");
    crate::pmap::bench::run();
    crate::kern::mem::pool_bench::run();
    crate::uvm::map_bench::run();
    crate::uvm::fault_bench::run();
    crate::kern::sched::bench::run();
    crate::kern::syscall::bench::run();
    kprintln!("bench: done");
    crate::kern::prof::dump();
    qemu::exit(qemu::ExitCode::Success)
}
