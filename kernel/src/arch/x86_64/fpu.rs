//! Per-thread FPU/SSE state. The kernel is built soft-float and never
//! touches the x87, MMX or SSE registers, so while it runs they still hold
//! the user state of the thread that entered it. A thread switch saves the
//! outgoing thread's registers into its `FpuState` and loads the incoming
//! one's (eagerly: one FXSAVE and one FXRSTOR, or XSAVE/XRSTOR when the CPU
//! has them), so no thread ever sees another's registers.
//!
//! The save area has the FXSAVE layout in its first 512 bytes (what Linux
//! puts in a signal frame and what `PTRACE_GETFPREGS` returns); with XSAVE
//! the header and the AVX state follow.
//!
//! This module owns CR0.EM/MP/TS, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE and XCR0.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};

/// Size of the save area: legacy FXSAVE region (512), XSAVE header (64)
/// and room for the AVX upper halves (256), rounded up.
pub const AREA_SIZE: usize = 1024;

/// The default MXCSR: all exceptions masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// The default x87 control word (FNINIT): all exceptions masked.
pub const FCW_DEFAULT: u16 = 0x037f;
/// MXCSR bits that may be set (the rest raise #GP on load).
pub const MXCSR_MASK: u32 = 0xffff;

#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub struct FpuArea(pub [u8; AREA_SIZE]);

impl FpuArea {
    /// The state of a new thread: x87 and SSE reset, all exceptions masked.
    pub const fn initial() -> FpuArea {
        let mut a = [0u8; AREA_SIZE];
        let fcw = FCW_DEFAULT.to_le_bytes();
        a[0] = fcw[0];
        a[1] = fcw[1];
        let mxcsr = MXCSR_DEFAULT.to_le_bytes();
        a[24] = mxcsr[0];
        a[25] = mxcsr[1];
        a[26] = mxcsr[2];
        a[27] = mxcsr[3];
        // XSAVE header (offset 512): XSTATE_BV = x87|SSE, so XRSTOR loads
        // the legacy region rather than its init state.
        a[512] = 3;
        FpuArea(a)
    }

    /// The 512-byte FXSAVE image (user_fpregs_struct / signal frame layout).
    pub fn fxsave_image(&self) -> &[u8; 512] {
        self.0[..512].try_into().expect("512-byte prefix")
    }

    /// Replace the FXSAVE image (ptrace SETFPREGS, sigreturn). MXCSR bits the
    /// CPU does not allow are cleared so the next restore cannot fault.
    pub fn set_fxsave_image(&mut self, image: &[u8; 512]) {
        self.0[..512].copy_from_slice(image);
        let mxcsr = u32::from_le_bytes(self.0[24..28].try_into().expect("4 bytes")) & MXCSR_MASK;
        self.0[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        // Bytes 464..512 are available to software; the header says the
        // legacy region is valid.
        self.0[512..520].copy_from_slice(&3u64.to_le_bytes());
        self.0[520..576].fill(0);
    }
}

/// A thread's save area. Only the CPU running (or switching) the thread
/// touches it, so it needs no lock; see `save`/`restore`.
pub struct FpuState(UnsafeCell<FpuArea>);

// SAFETY: the area is only accessed by the CPU that runs or switches its
// thread (with the scheduler lock held), or by code that owns a stopped
// thread; `with`/`with_mut` document that rule for their callers.
unsafe impl Sync for FpuState {}

impl FpuState {
    pub const fn new() -> FpuState {
        FpuState(UnsafeCell::new(FpuArea::initial()))
    }

    /// Read the saved state. The thread must not be running on any CPU
    /// (stopped, sleeping, or the caller is that thread after `save_current`).
    pub fn with<R>(&self, f: impl FnOnce(&FpuArea) -> R) -> R {
        // SAFETY: by the rule above nothing writes the area meanwhile.
        f(unsafe { &*self.0.get() })
    }

    /// Change the saved state; the same rule as `with`.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut FpuArea) -> R) -> R {
        // SAFETY: by the rule above this is the only access.
        f(unsafe { &mut *self.0.get() })
    }
}

impl Default for FpuState {
    fn default() -> Self {
        Self::new()
    }
}

static USE_XSAVE: AtomicBool = AtomicBool::new(false);
static XCR0: AtomicU64 = AtomicU64::new(0);

/// Enable SSE for user mode (and XSAVE when present) on this CPU.
pub fn init() {
    // SAFETY: MP set / EM clear / TS clear is the configuration for a CPU
    // with an FPU and no lazy switching; the kernel never uses the FPU.
    unsafe {
        Cr0::update(|c| {
            c.insert(Cr0Flags::MONITOR_COPROCESSOR);
            c.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
        })
    };
    let mut cr4 = Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE;
    let leaf1 = super::cpu::cpuid(1, 0);
    let xsave = leaf1.ecx & (1 << 26) != 0;
    if xsave {
        cr4 |= Cr4Flags::OSXSAVE;
    }
    // SAFETY: these bits only tell the CPU the OS saves SSE (and XSAVE)
    // state on thread switches, which `switch_fpu` does.
    unsafe { Cr4::update(|c| c.insert(cr4)) };
    if xsave {
        let avx = leaf1.ecx & (1 << 28) != 0;
        let xcr0: u64 = if avx { 0b111 } else { 0b11 };
        let need = super::cpu::cpuid(0xd, 0).ebx as usize;
        // Only enable what fits our save area.
        let xcr0 = if need > AREA_SIZE { 0b11 } else { xcr0 };
        // SAFETY: XSETBV with XCR0 bits the CPU reports (x87, SSE, AVX).
        unsafe {
            core::arch::asm!("xsetbv", in("ecx") 0, in("eax") xcr0 as u32, in("edx") (xcr0 >> 32) as u32,
                options(nomem, nostack))
        };
        XCR0.store(xcr0, Ordering::Relaxed);
        USE_XSAVE.store(true, Ordering::Relaxed);
    }
    // Start the boot CPU with the default state loaded.
    restore(&FpuState::new());
}

/// True if XSAVE/XRSTOR are used (else FXSAVE/FXRSTOR).
pub fn uses_xsave() -> bool {
    USE_XSAVE.load(Ordering::Relaxed)
}

/// Save this CPU's FPU registers into `st`. The caller is the thread `st`
/// belongs to (or switches it out).
pub fn save(st: &FpuState) {
    let p = st.0.get();
    if uses_xsave() {
        let m = XCR0.load(Ordering::Relaxed);
        // SAFETY: `p` is a 64-byte aligned area big enough for the enabled
        // state components; only this CPU accesses it (see FpuState).
        unsafe {
            core::arch::asm!("xsave64 [{}]", in(reg) p, in("eax") m as u32, in("edx") (m >> 32) as u32,
                options(nostack))
        };
    } else {
        // SAFETY: `p` is a 16-byte aligned area of at least 512 bytes.
        unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) p, options(nostack)) };
    }
}

/// Load `st` into this CPU's FPU registers.
pub fn restore(st: &FpuState) {
    let p = st.0.get();
    if uses_xsave() {
        let m = XCR0.load(Ordering::Relaxed);
        // SAFETY: the area holds a state written by XSAVE, `initial()` or
        // `set_fxsave_image` (valid header, MXCSR masked), so XRSTOR cannot fault.
        unsafe {
            core::arch::asm!("xrstor64 [{}]", in(reg) p, in("eax") m as u32, in("edx") (m >> 32) as u32,
                options(nostack, readonly))
        };
    } else {
        // SAFETY: as above, with the FXSAVE layout and a valid MXCSR.
        unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) p, options(nostack, readonly)) };
    }
}

/// Load the initial state (exec, a new signal handler's context).
pub fn reset_current() {
    restore(&FpuState::new());
}
