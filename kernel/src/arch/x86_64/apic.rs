//! The local APIC (xAPIC, reached through the direct map) and its timer. The
//! timer is calibrated against the PIT, together with the TSC, and then runs
//! in periodic mode at the configured rate.

use super::{pit, prof, trap, tsc};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

const IA32_APIC_BASE: u32 = 0x1b;
const REG_EOI: u64 = 0xb0;
const REG_SPURIOUS: u64 = 0xf0;
const REG_LVT_TIMER: u64 = 0x320;
const REG_TIMER_INITIAL: u64 = 0x380;
const REG_TIMER_CURRENT: u64 = 0x390;
const REG_TIMER_DIVIDE: u64 = 0x3e0;
const LVT_MASKED: u32 = 1 << 16;
const LVT_PERIODIC: u32 = 1 << 17;
const DIVIDE_BY_16: u32 = 0b0011;

static APIC_BASE_VA: AtomicU64 = AtomicU64::new(0);
static TIMER_HZ: AtomicU32 = AtomicU32::new(0);
static BUS_TICKS_PER_SEC: AtomicU64 = AtomicU64::new(0);

fn reg_addr(reg: u64) -> *mut u32 {
    (APIC_BASE_VA.load(Ordering::Relaxed) + reg) as *mut u32
}

fn read(reg: u64) -> u32 {
    // SAFETY: the APIC page is mapped by the direct map (it covers the first
    // 4 GiB) and `reg` is a valid 32-bit register offset within it.
    unsafe { core::ptr::read_volatile(reg_addr(reg)) }
}

fn write(reg: u64, value: u32) {
    // SAFETY: as in `read`; APIC registers are written with 32-bit stores.
    unsafe { core::ptr::write_volatile(reg_addr(reg), value) }
}

fn map_apic() {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; reading it has no effect.
    let base = unsafe { Msr::new(IA32_APIC_BASE).read() } & 0xf_ffff_f000;
    APIC_BASE_VA.store(crate::DIRECT_MAP_BASE + base, Ordering::Relaxed);
}

/// Signal end of interrupt to the local APIC.
pub fn end_of_interrupt() {
    write(REG_EOI, 0);
}

/// Calibrate the APIC timer and TSC over 50 ms of PIT time, then start the
/// timer in periodic mode at `hz` interrupts per second.
pub fn init_timer(hz: u32) {
    map_apic();
    write(REG_SPURIOUS, 0x100 | trap::SPURIOUS_VECTOR as u32);
    write(REG_TIMER_DIVIDE, DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED | trap::TIMER_VECTOR as u32);

    const CALIBRATION_TICKS: u16 = (pit::PIT_HZ / 20) as u16; // 50 ms
    write(REG_TIMER_INITIAL, u32::MAX);
    let tsc0 = tsc::read();
    pit::wait_ticks(CALIBRATION_TICKS);
    let tsc1 = tsc::read();
    let elapsed = u32::MAX - read(REG_TIMER_CURRENT);
    write(REG_TIMER_INITIAL, 0);

    let bus_per_sec = elapsed as u64 * 20;
    BUS_TICKS_PER_SEC.store(bus_per_sec, Ordering::Relaxed);
    tsc::set_hz((tsc1 - tsc0) * 20);
    // While profiling the timer runs `subticks` times faster; every
    // `subticks`-th interrupt is a clock tick (see `prof`).
    let subticks = prof::subticks_for(hz);
    let initial = (bus_per_sec / hz as u64 / u64::from(subticks)).max(1) as u32;
    prof::set_subticks(subticks);
    TIMER_HZ.store(hz, Ordering::Relaxed);
    write(REG_LVT_TIMER, LVT_PERIODIC | trap::TIMER_VECTOR as u32);
    write(REG_TIMER_INITIAL, initial);
    log::info!(
        "timer: local APIC at {} Hz (bus {} kHz /16, TSC {} MHz)",
        hz,
        bus_per_sec / 1000,
        tsc::hz() / 1_000_000
    );
    if subticks > 1 {
        log::info!(
            "timer: profiling, {subticks} interrupts per tick (every {} bus ticks)",
            initial
        );
    }
}

/// The configured tick rate.
pub fn timer_hz() -> u32 {
    TIMER_HZ.load(Ordering::Relaxed)
}

/// Timer interrupts taken since boot.
pub fn ticks() -> u64 {
    trap::COUNTERS.timer_ticks.load(Ordering::Relaxed)
}
