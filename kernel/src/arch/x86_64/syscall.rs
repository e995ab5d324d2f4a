//! The `syscall` instruction: MSR setup (EFER.SCE, STAR, LSTAR, SFMASK) and
//! the Rust half of the entry path (`entry` has the assembly half).
//!
//! The Linux x86_64 convention: number in rax, arguments in rdi, rsi, rdx,
//! r10, r8, r9; result (or -errno) in rax; rcx and r11 are clobbered with
//! the return rip and rflags. SFMASK clears IF, TF, DF, AC, NT and IOPL on
//! entry, so the kernel starts with interrupts off, no single-stepping and
//! SMAP closed; the handler turns interrupts on at once.

use super::gdt::{KERNEL_CS, USER_CS, USER_DS};
use super::trap::TrapFrame;
use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::model_specific::{Efer, EferFlags, Msr};

const IA32_STAR: u32 = 0xc000_0081;
const IA32_LSTAR: u32 = 0xc000_0082;
const IA32_FMASK: u32 = 0xc000_0084;

/// RFLAGS bits cleared on `syscall`: TF, IF, DF, IOPL, NT, AC.
const SFMASK: u64 = (1 << 8) | (1 << 9) | (1 << 10) | (3 << 12) | (1 << 14) | (1 << 18);

/// Highest user rip `sysretq` may return to: the last byte below the top
/// page of the user half (Linux's TASK_SIZE_MAX rule), so rcx is always
/// canonical.
pub const SYSRET_RIP_LIMIT: u64 = 0x0000_7fff_ffff_f000;

const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_RF: u64 = 1 << 16;

/// Turn on `syscall` for this CPU.
pub fn init() {
    // STAR[47:32]: SYSCALL loads CS = this, SS = this + 8 (kernel code, data).
    // STAR[63:48]: SYSRET loads SS = this + 8, CS = this + 16 (user data, code),
    // with RPL 3: the GDT order null, kcode, kdata, udata, ucode.
    let sysret_base = (USER_DS & !3) as u64 - 8;
    let star = (sysret_base << 48) | ((KERNEL_CS as u64) << 32);
    debug_assert_eq!(sysret_base + 16, (USER_CS & !3) as u64);
    // The mask keeps interrupts off until the entry has switched stacks.
    // SAFETY: the selectors match the GDT of gdt::init; the entry point is `entry`'s assembly.
    unsafe {
        Msr::new(IA32_STAR).write(star);
        Msr::new(IA32_LSTAR).write(super::entry::syscall_entry_addr());
        Msr::new(IA32_FMASK).write(SFMASK);
        Efer::update(|e| e.insert(EferFlags::SYSTEM_CALL_EXTENSIONS));
    }
}

/// Called by the assembly entry with the saved frame: run the system call,
/// then the return-to-user work; returns (with interrupts off) whether the
/// fast `sysretq` path may be taken.
pub(super) extern "C" fn syscall_entry_rust(frame: &mut TrapFrame) -> bool {
    x86_64::instructions::interrupts::enable();
    crate::kern::syscall::syscall(frame);
    crate::kern::userret::userret(frame);
    let fast = sysret_allowed(frame);
    if !fast {
        SYSRET_REFUSED.fetch_add(1, Ordering::Relaxed);
    }
    fast
}

/// System calls that returned through `iretq` because the frame did not
/// allow `sysretq` (statistics, tests).
pub static SYSRET_REFUSED: AtomicU64 = AtomicU64::new(0);

/// May `frame` be returned to with `sysretq`? Only a state `sysretq` can
/// reproduce exactly and safely: rcx = rip, r11 = rflags (what the
/// `syscall` instruction left), the standard user selectors, a rip well
/// inside the canonical user half, and no TF/RF (a pending single step
/// must be delivered by `iretq`).
pub fn sysret_allowed(frame: &TrapFrame) -> bool {
    frame.rcx == frame.rip
        && frame.r11 == frame.rflags
        && frame.cs == USER_CS as u64
        && frame.ss == USER_DS as u64
        && frame.rip < SYSRET_RIP_LIMIT
        && frame.rflags & (RFLAGS_TF | RFLAGS_RF) == 0
}
