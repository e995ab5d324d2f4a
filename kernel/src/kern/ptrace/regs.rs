//! A stopped tracee's registers as ptrace shows them: `user_regs_struct`
//! over the user frame at the top of its kernel stack (plus the TLS bases
//! of its machine-dependent state), `user_fpregs_struct` over the FXSAVE
//! image of its FPU save area, and the words of `struct user` that
//! PEEKUSER/POKEUSER address.
//!
//! Writing registers follows Linux's putreg: a code or stack selector of 0
//! or with an RPL other than 3 (a kernel selector) is EIO, as is a data
//! selector other than 0 with a wrong RPL; fs_base and gs_base must lie
//! below TASK_SIZE_MAX; RFLAGS takes only the bits a program may change
//! (IOPL, IF, VM and the rest of the privileged bits keep their values:
//! silently, as Linux). Ferrite also refuses a rip outside the canonical
//! user half (EIO), which Linux would take and then fault on; the user
//! selectors are always Ferrite's own (a tracer copying Linux's values
//! back is accepted). Setting orig_rax to -1 at a system-call stop makes
//! the frame no longer a system call's: the call is skipped at a
//! syscall-enter-stop and never restarted.
//!
//! A TF the tracer forced for PTRACE_SINGLESTEP is hidden from reads and
//! kept across writes that do not mention it (Linux's TIF_FORCED_TF).
//!
//! Callers hold the tracee's ptrace lock and have checked it is stopped.

use super::State;
use super::stop::RFLAGS_TF;
use crate::arch::x86_64::gdt::{USER_CS, USER_DS};
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::usermode::{self, RFLAGS_USER_MASK, USER_END};
use crate::kern::sched::lwp::{self, Lwp};
use core::sync::atomic::Ordering;
use ferrite_abi::ptrace as pt;
use ferrite_abi::{Errno, UserRegsStruct};

/// The first address past what fs_base and gs_base may hold (Linux's
/// TASK_SIZE_MAX: the user half minus its top page).
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

/// Size of `user_regs_struct`.
pub const REGS_SIZE: usize = UserRegsStruct::SIZE;

/// The tracee's general registers.
pub fn get_regs(l: &Lwp, st: &State) -> Result<UserRegsStruct, Errno> {
    let f = lwp::read_user_frame(l).ok_or(Errno::ESRCH)?;
    let mut eflags = f.rflags;
    if st.forced_tf {
        eflags &= !RFLAGS_TF;
    }
    Ok(UserRegsStruct {
        r15: f.r15,
        r14: f.r14,
        r13: f.r13,
        r12: f.r12,
        rbp: f.rbp,
        rbx: f.rbx,
        r11: f.r11,
        r10: f.r10,
        r9: f.r9,
        r8: f.r8,
        rax: f.rax,
        rcx: f.rcx,
        rdx: f.rdx,
        rsi: f.rsi,
        rdi: f.rdi,
        orig_rax: if f.is_syscall() {
            f.error_code
        } else {
            u64::MAX
        },
        rip: f.rip,
        cs: f.cs,
        eflags,
        rsp: f.rsp,
        ss: f.ss,
        fs_base: l.md.fs_base.load(Ordering::Relaxed),
        gs_base: l.md.gs_base.load(Ordering::Relaxed),
        ds: 0,
        es: 0,
        fs: 0,
        gs: 0,
    })
}

/// A code or stack selector a program may have: not 0, RPL 3.
fn valid_cs_ss(v: u64) -> bool {
    v != 0 && v & 3 == 3 && v <= 0xffff
}

/// A data selector a program may have: 0, or RPL 3.
fn valid_data_sel(v: u64) -> bool {
    v == 0 || (v & 3 == 3 && v <= 0xffff)
}

/// Set the tracee's general registers (see the module comment).
pub fn set_regs(l: &Lwp, st: &mut State, r: &UserRegsStruct) -> Result<(), Errno> {
    if !valid_cs_ss(r.cs)
        || !valid_cs_ss(r.ss)
        || ![r.ds, r.es, r.fs, r.gs].into_iter().all(valid_data_sel)
        || r.fs_base >= TASK_SIZE_MAX
        || r.gs_base >= TASK_SIZE_MAX
        || r.rip >= USER_END
    {
        return Err(Errno::EIO);
    }
    let old = lwp::read_user_frame(l).ok_or(Errno::ESRCH)?;
    let mut eflags = r.eflags;
    if eflags & RFLAGS_TF != 0 {
        st.forced_tf = false;
    } else if st.forced_tf {
        eflags |= RFLAGS_TF;
    }
    let mut f = TrapFrame {
        r15: r.r15,
        r14: r.r14,
        r13: r.r13,
        r12: r.r12,
        r11: r.r11,
        r10: r.r10,
        r9: r.r9,
        r8: r.r8,
        rbp: r.rbp,
        rdi: r.rdi,
        rsi: r.rsi,
        rdx: r.rdx,
        rcx: r.rcx,
        rbx: r.rbx,
        rax: r.rax,
        vector: old.vector,
        error_code: old.error_code,
        rip: r.rip,
        cs: USER_CS as u64,
        rflags: usermode::sanitize_rflags(
            (old.rflags & !RFLAGS_USER_MASK) | (eflags & RFLAGS_USER_MASK),
        ),
        rsp: r.rsp,
        ss: USER_DS as u64,
    };
    if old.is_syscall() {
        f.error_code = r.orig_rax;
        if r.orig_rax == u64::MAX {
            // No longer a system call: not run, not restarted.
            f.vector = 0;
        }
    }
    usermode::check_user_frame(&f).map_err(|_| Errno::EIO)?;
    lwp::write_user_frame(l, f);
    l.md.fs_base.store(r.fs_base, Ordering::Relaxed);
    l.md.gs_base.store(r.gs_base, Ordering::Relaxed);
    Ok(())
}

/// The FXSAVE image of the tracee's FPU state (`user_fpregs_struct`).
pub fn get_fpregs(l: &Lwp) -> [u8; 512] {
    l.md.fpu.with(|a| *a.fxsave_image())
}

/// Replace the tracee's FPU state (MXCSR bits the CPU refuses are cleared).
pub fn set_fpregs(l: &Lwp, image: &[u8; 512]) {
    l.md.fpu.with_mut(|a| a.set_fxsave_image(image));
}

/// The kernel's `struct user` (arch/x86/include/asm/user_64.h): the C
/// library's 912 bytes and two more words (error_code, fault_address).
const KERNEL_USER_SIZE: u64 = pt::USER_SIZE as u64 + 16;

/// Check a `struct user` offset: 8-byte aligned, inside the structure.
fn user_offset(off: u64) -> Result<usize, Errno> {
    if !off.is_multiple_of(8) || off >= KERNEL_USER_SIZE {
        return Err(Errno::EIO);
    }
    Ok(off as usize)
}

/// The debug register a `struct user` offset names, if any.
fn debugreg_index(off: usize) -> Option<usize> {
    (pt::USER_DEBUGREG_OFFSET..pt::USER_DEBUGREG_OFFSET + 64)
        .contains(&off)
        .then(|| (off - pt::USER_DEBUGREG_OFFSET) / 8)
}

/// PEEKUSER: the word at `off` of `struct user` (registers, debug
/// registers; 0 elsewhere).
pub fn peek_user(l: &Lwp, st: &State, off: u64) -> Result<u64, Errno> {
    let off = user_offset(off)?;
    if off < REGS_SIZE {
        let bytes = get_regs(l, st)?.to_bytes();
        return Ok(u64::from_le_bytes(
            bytes[off..off + 8].try_into().expect("8 bytes"),
        ));
    }
    Ok(debugreg_index(off).map_or(0, |n| st.debugreg[n]))
}

/// POKEUSER: write the word at `off` of `struct user`: a register (with
/// `set_regs`' rules), or a debug register (DR0-DR3 addresses below
/// TASK_SIZE_MAX and DR6 are kept; DR7 only takes 0, since no hardware
/// breakpoint is implemented; DR4/DR5 do not exist); EIO elsewhere.
pub fn poke_user(l: &Lwp, st: &mut State, off: u64, value: u64) -> Result<(), Errno> {
    let off = user_offset(off)?;
    if off < REGS_SIZE {
        let mut bytes = get_regs(l, st)?.to_bytes();
        bytes[off..off + 8].copy_from_slice(&value.to_le_bytes());
        return set_regs(l, st, &UserRegsStruct::from_bytes(&bytes));
    }
    match debugreg_index(off) {
        Some(n @ 0..=3) if value < TASK_SIZE_MAX => st.debugreg[n] = value,
        Some(6) => st.debugreg[6] = value,
        Some(7) if value == 0 => st.debugreg[7] = 0,
        _ => return Err(Errno::EIO),
    }
    Ok(())
}
