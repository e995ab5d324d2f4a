//! The time-stamp counter: cycle counts for tests and benchmarks. Under QEMU
//! with `-icount shift=0` it counts guest instructions, so figures repeat.

use core::sync::atomic::{AtomicU64, Ordering};

static TSC_HZ: AtomicU64 = AtomicU64::new(0);

/// Current TSC value.
#[inline]
pub fn read() -> u64 {
    // SAFETY: RDTSC has no side effects and is always available on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Record the calibrated TSC frequency (done once, by the APIC calibration).
pub fn set_hz(hz: u64) {
    TSC_HZ.store(hz, Ordering::Relaxed);
}

/// Calibrated TSC frequency in Hz (0 before calibration).
pub fn hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}
