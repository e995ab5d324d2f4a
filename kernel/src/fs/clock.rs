//! The time stamped on files (access, modification and change times).
//!
//! Until the kernel has a real-time clock this is the time since boot,
//! from the TSC (its calibrated rate; before calibration, zero). When the
//! clock arrives, `now` reads it instead; nothing else changes.

use crate::arch::x86_64::tsc;
use ferrite_abi::Timespec;

/// The current file time.
pub fn now() -> Timespec {
    let hz = tsc::hz();
    if hz == 0 {
        return Timespec::default();
    }
    let cycles = tsc::since_boot();
    let secs = cycles / hz;
    let rem = cycles % hz;
    Timespec {
        tv_sec: secs as i64,
        tv_nsec: ((rem as u128 * 1_000_000_000) / hz as u128) as i64,
    }
}
