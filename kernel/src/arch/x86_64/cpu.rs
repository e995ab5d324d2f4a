//! CPU features and protection bits: NX (EFER.NXE), SMEP and SMAP (CR4),
//! kernel write protection (CR0.WP), and the STAC/CLAC window through which
//! the kernel may touch user pages while SMAP is on.

use core::sync::atomic::{AtomicBool, Ordering};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{Efer, EferFlags};

/// Features found by CPUID.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    pub nx: bool,
    pub smep: bool,
    pub smap: bool,
    pub x2apic: bool,
    pub pat: bool,
    pub invariant_tsc: bool,
    /// 1 GiB pages.
    pub pdpe1gb: bool,
}

static SMAP_ON: AtomicBool = AtomicBool::new(false);

pub fn cpuid(leaf: u32, subleaf: u32) -> core::arch::x86_64::CpuidResult {
    // SAFETY: CPUID is available on every x86_64 CPU and has no side effects.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::__cpuid_count(leaf, subleaf)
    }
}

/// Probe the CPU's features.
pub fn features() -> Features {
    let max_leaf = cpuid(0, 0).eax;
    let max_ext = cpuid(0x8000_0000, 0).eax;
    let leaf1 = cpuid(1, 0);
    let leaf7 = if max_leaf >= 7 { cpuid(7, 0).ebx } else { 0 };
    let ext1 = if max_ext >= 0x8000_0001 {
        cpuid(0x8000_0001, 0).edx
    } else {
        0
    };
    let ext7 = if max_ext >= 0x8000_0007 {
        cpuid(0x8000_0007, 0).edx
    } else {
        0
    };
    Features {
        nx: ext1 & (1 << 20) != 0,
        smep: leaf7 & (1 << 7) != 0,
        smap: leaf7 & (1 << 20) != 0,
        x2apic: leaf1.ecx & (1 << 21) != 0,
        pat: leaf1.edx & (1 << 16) != 0,
        invariant_tsc: ext7 & (1 << 8) != 0,
        pdpe1gb: ext1 & (1 << 26) != 0,
    }
}

/// Turn on NX, SMEP, SMAP (where present) and CR0.WP.
pub fn enable_protection() {
    let f = features();
    if f.nx {
        // SAFETY: setting NXE only makes the NX bit in page tables meaningful;
        // the bootloader already relies on it for the direct map.
        unsafe { Efer::update(|e| e.insert(EferFlags::NO_EXECUTE_ENABLE)) };
    }
    let mut cr4 = Cr4Flags::empty();
    if f.smep {
        cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
    }
    if f.smap {
        cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
    }
    // SAFETY: the kernel never executes user pages, and touches user pages
    // only inside `with_user_access`, so SMEP/SMAP do not break it.
    unsafe { Cr4::update(|c| c.insert(cr4)) };
    SMAP_ON.store(f.smap, Ordering::Relaxed);
    super::usercopy::set_smap(f.smap);
    // SAFETY: WP makes the kernel honour read-only mappings; the kernel never
    // writes through read-only mappings on purpose.
    unsafe { Cr0::update(|c| c.insert(Cr0Flags::WRITE_PROTECT)) };
}

/// Current state of the protection bits.
#[derive(Clone, Copy, Debug)]
pub struct Protection {
    pub nx: bool,
    pub smep: bool,
    pub smap: bool,
    pub wp: bool,
}

pub fn protection() -> Protection {
    let cr4 = Cr4::read();
    Protection {
        nx: Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        smep: cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        smap: cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
        wp: Cr0::read().contains(Cr0Flags::WRITE_PROTECT),
    }
}

/// Log the CPU features and the protections in force.
pub fn report() {
    let f = features();
    let p = protection();
    let on = |b: bool| if b { "on" } else { "OFF" };
    log::info!(
        "cpu: NX {}, SMEP {}, SMAP {}, WP {} (x2apic {}, pat {}, 1 GiB pages {}, invariant tsc {})",
        on(p.nx),
        on(p.smep),
        on(p.smap),
        on(p.wp),
        f.x2apic,
        f.pat,
        f.pdpe1gb,
        f.invariant_tsc
    );
}

/// True if SMAP is on (kernel accesses to user pages fault unless RFLAGS.AC).
pub fn smap_on() -> bool {
    SMAP_ON.load(Ordering::Relaxed)
}

/// Run `f` with SMAP suspended (RFLAGS.AC set), so the kernel may access user
/// pages; AC is cleared again afterwards.
pub fn with_user_access<R>(f: impl FnOnce() -> R) -> R {
    let smap = SMAP_ON.load(Ordering::Relaxed);
    if smap {
        // SAFETY: STAC only sets RFLAGS.AC; it exists because SMAP is on.
        unsafe { core::arch::asm!("stac", options(nomem, nostack)) };
    }
    let r = f();
    if smap {
        // SAFETY: CLAC only clears RFLAGS.AC.
        unsafe { core::arch::asm!("clac", options(nomem, nostack)) };
    }
    r
}
