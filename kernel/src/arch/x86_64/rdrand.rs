//! The CPU's random-number instruction, RDRAND (CPUID leaf 1, ECX bit 30):
//! a source of seed material for the kernel's generator (`kern::random`).
//!
//! This module only executes the instruction; it never decides how its
//! output is used (the generator mixes it with other inputs and never hands
//! it out raw). Many virtual CPUs lack it (QEMU's `qemu64` model does):
//! then `available()` is false and `rdrand64()` returns None.

use super::cpu;
use core::sync::atomic::{AtomicU8, Ordering};

const UNKNOWN: u8 = 0;
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Retries of a RDRAND that reports no data (Intel's guidance: 10).
const RETRIES: u32 = 10;

/// True if the CPU has RDRAND (probed once).
pub fn available() -> bool {
    match STATE.load(Ordering::Relaxed) {
        PRESENT => true,
        ABSENT => false,
        _ => {
            let present = cpu::cpuid(1, 0).ecx & (1 << 30) != 0;
            STATE.store(if present { PRESENT } else { ABSENT }, Ordering::Relaxed);
            present
        }
    }
}

/// 64 bits from RDRAND; None if the CPU lacks it or it kept failing.
pub fn rdrand64() -> Option<u64> {
    if !available() {
        return None;
    }
    for _ in 0..RETRIES {
        let value: u64;
        let ok: u8;
        // SAFETY: RDRAND exists (CPUID said so); it only writes the output
        // register and the flags.
        unsafe {
            core::arch::asm!(
                "rdrand {v}",
                "setc {ok}",
                v = out(reg) value,
                ok = out(reg_byte) ok,
                options(nomem, nostack)
            );
        }
        if ok != 0 {
            return Some(value);
        }
    }
    None
}
