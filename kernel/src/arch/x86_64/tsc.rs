//! The time-stamp counter: cycle counts for tests and benchmarks. Under QEMU
//! with `-icount shift=0` it counts guest instructions, so figures repeat.

use core::sync::atomic::{AtomicU64, Ordering};

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);

/// Remember the TSC at kernel entry (log timestamps count from here).
pub fn mark_boot() {
    BOOT_TSC.store(read(), Ordering::Relaxed);
}

/// Cycles since `mark_boot`.
pub fn since_boot() -> u64 {
    read().saturating_sub(BOOT_TSC.load(Ordering::Relaxed))
}

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
