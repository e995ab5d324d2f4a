//! ktests of signals: the frame a handler gets, read at the byte offsets
//! of Linux's x86_64 structures (arch/x86/include/asm/sigframe.h:
//! `struct rt_sigframe { char *pretcode; struct ucontext uc; struct
//! siginfo info; }`, include/uapi/asm-generic/ucontext.h, the 64-bit
//! `struct sigcontext` of arch/x86/include/uapi/asm/sigcontext.h and
//! include/uapi/asm-generic/siginfo.h); rt_sigreturn's reader given a
//! frame written at those offsets, and its rules for forged contexts; the
//! pending queue; the alternate stack's rules.

use super::altstack::AltStack;
use super::pending::{Added, Pending};
use super::{SigAction, SigInfo, TrapRecord, build_frame, signal_for};
use crate::arch::x86_64::sigframe::{self, FIX_EFLAGS};
use crate::arch::x86_64::trap::{FaultCause, TrapFrame, TrapKind};
use crate::arch::x86_64::usermode::{self, BadFrame};
use crate::ktest::ktest;
use ferrite_abi::layout::sigframe::{RED_ZONE, UC_STRICT_RESTORE_SS, sigframe_layout};
use ferrite_abi::signal::{self as s, SigSet};
use ferrite_abi::{Errno, RtSigframe, StackT, sicode};

/// Byte offsets in `struct rt_sigframe` (64-bit Linux).
mod off {
    pub const PRETCODE: usize = 0;
    pub const UC: usize = 8;
    pub const UC_FLAGS: usize = UC;
    pub const UC_LINK: usize = UC + 8;
    pub const UC_STACK_SP: usize = UC + 16;
    pub const UC_STACK_FLAGS: usize = UC + 24;
    pub const UC_STACK_SIZE: usize = UC + 32;
    /// `uc_mcontext`, the sigcontext.
    pub const SC: usize = UC + 40;
    /// sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
    /// eflags in this order, 8 bytes each.
    pub const SC_R8: usize = SC;
    pub const SC_RDI: usize = SC + 64;
    pub const SC_RAX: usize = SC + 104;
    pub const SC_RCX: usize = SC + 112;
    pub const SC_RSP: usize = SC + 120;
    pub const SC_RIP: usize = SC + 128;
    pub const SC_EFLAGS: usize = SC + 136;
    pub const SC_CS: usize = SC + 144;
    pub const SC_SS: usize = SC + 150;
    pub const SC_ERR: usize = SC + 152;
    pub const SC_TRAPNO: usize = SC + 160;
    pub const SC_OLDMASK: usize = SC + 168;
    pub const SC_CR2: usize = SC + 176;
    pub const SC_FPSTATE: usize = SC + 184;
    pub const UC_SIGMASK: usize = UC + 296;
    pub const INFO: usize = UC + 304;
    pub const SI_SIGNO: usize = INFO;
    pub const SI_CODE: usize = INFO + 8;
    pub const SI_PID: usize = INFO + 16;
    pub const SI_UID: usize = INFO + 20;
    pub const SI_ADDR: usize = INFO + 16;
    pub const SI_VALUE: usize = INFO + 24;
    pub const SI_STATUS: usize = INFO + 24;
    pub const END: usize = INFO + 128;
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().expect("2 bytes"))
}

fn put_u64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// A user frame whose general registers are 0x1000 + 8 * their index in
/// sigcontext order (r8 first), so each lands at a known offset.
fn numbered_frame() -> TrapFrame {
    let mut f = usermode::initial_frame(0x40_1000, 0x7fff_0000_0000);
    let v = |i: u64| 0x1000 + 8 * i;
    (f.r8, f.r9, f.r10, f.r11) = (v(0), v(1), v(2), v(3));
    (f.r12, f.r13, f.r14, f.r15) = (v(4), v(5), v(6), v(7));
    (f.rdi, f.rsi, f.rbp, f.rbx) = (v(8), v(9), v(10), v(11));
    (f.rdx, f.rax, f.rcx) = (v(12), v(13), v(14));
    f.rflags |= 0x8d5; // CF PF AF ZF SF OF set, IF and bit 1 already
    f
}

fn handler_action() -> SigAction {
    SigAction {
        handler: 0x40_2000,
        flags: s::SA_SIGINFO | s::SA_RESTORER,
        restorer: 0x40_3000,
        mask: SigSet::EMPTY,
    }
}

#[ktest]
fn frame_fields_are_at_linux_offsets() {
    let f = numbered_frame();
    let info = SigInfo::user(s::SIGUSR1, 1234).with_code(sicode::SI_TKILL);
    let stack = StackT {
        ss_sp: 0x5000_0000,
        ss_flags: s::SS_AUTODISARM,
        _pad: 0,
        ss_size: 0x4000,
    };
    let trap = TrapRecord {
        trapno: 14,
        err: 6,
        cr2: 0xdead_b000,
    };
    let old = SigSet(0x8000_0000_0000_0201);
    let rt = build_frame(&f, &info, &handler_action(), old, stack, trap, 0x7ffe_ff00);
    let b = rt.to_bytes();
    assert_eq!(RtSigframe::SIZE, off::END, "sizeof(struct rt_sigframe)");
    assert_eq!(
        u64_at(&b, off::PRETCODE),
        0x40_3000,
        "pretcode = sa_restorer"
    );
    assert_eq!(u64_at(&b, off::UC_LINK), 0, "uc_link");
    let flags = u64_at(&b, off::UC_FLAGS);
    assert!(flags & UC_STRICT_RESTORE_SS != 0, "uc_flags {flags:#x}");
    assert_eq!(u64_at(&b, off::UC_STACK_SP), 0x5000_0000, "uc_stack.ss_sp");
    assert_eq!(u32_at(&b, off::UC_STACK_FLAGS) as i32, s::SS_AUTODISARM);
    assert_eq!(u64_at(&b, off::UC_STACK_SIZE), 0x4000, "uc_stack.ss_size");
    for i in 0..15 {
        let at = off::SC_R8 + 8 * i;
        assert_eq!(
            u64_at(&b, at),
            0x1000 + 8 * i as u64,
            "register {i} at {at}"
        );
    }
    assert_eq!(u64_at(&b, off::SC_RDI), f.rdi);
    assert_eq!(u64_at(&b, off::SC_RAX), f.rax);
    assert_eq!(u64_at(&b, off::SC_RCX), f.rcx);
    assert_eq!(u64_at(&b, off::SC_RSP), f.rsp, "rsp");
    assert_eq!(u64_at(&b, off::SC_RIP), f.rip, "rip");
    assert_eq!(u64_at(&b, off::SC_EFLAGS), f.rflags, "eflags");
    let (cs, ss) = sigframe::user_selectors();
    assert_eq!(u64::from(u16_at(&b, off::SC_CS)), cs, "cs");
    assert_eq!(u64::from(u16_at(&b, off::SC_SS)), ss, "ss");
    assert_eq!(
        (
            u64_at(&b, off::SC_TRAPNO),
            u64_at(&b, off::SC_ERR),
            u64_at(&b, off::SC_CR2)
        ),
        (14, 6, 0xdead_b000),
        "trapno, err, cr2"
    );
    assert_eq!(u64_at(&b, off::SC_OLDMASK), old.bits(), "oldmask");
    assert_eq!(u64_at(&b, off::SC_FPSTATE), 0x7ffe_ff00, "fpstate pointer");
    assert_eq!(u64_at(&b, off::UC_SIGMASK), old.bits(), "uc_sigmask");
    assert_eq!(u32_at(&b, off::SI_SIGNO) as i32, s::SIGUSR1, "si_signo");
    assert_eq!(u32_at(&b, off::SI_CODE) as i32, sicode::SI_TKILL, "si_code");
    assert_eq!(u32_at(&b, off::SI_PID), 1234, "si_pid");
    assert_eq!(u32_at(&b, off::SI_UID), 0, "si_uid");
}

#[ktest]
fn siginfo_forms_are_at_linux_offsets() {
    let f = numbered_frame();
    let act = handler_action();
    let frame_of = |info: SigInfo| {
        let rt = build_frame(
            &f,
            &info,
            &act,
            SigSet::EMPTY,
            AltStack::NONE.0,
            TrapRecord::default(),
            0,
        );
        rt.to_bytes()
    };
    let fault = SigInfo {
        signo: s::SIGSEGV,
        code: sicode::SEGV_ACCERR,
        addr: 0x1234_5678,
        ..SigInfo::NONE
    };
    let b = frame_of(fault);
    assert_eq!(u64_at(&b, off::SI_ADDR), 0x1234_5678, "si_addr of a fault");
    // A kernel-raised trap (int3, #GP) has the kill form: no address.
    let b = frame_of(SigInfo {
        addr: 0x40_1000,
        ..SigInfo::kernel(s::SIGTRAP)
    });
    assert_eq!(u64_at(&b, off::SI_ADDR), 0, "si_pid/si_uid of SI_KERNEL");
    let queued = SigInfo {
        addr: 0xfeed,
        ..SigInfo::user(40, 77).with_code(sicode::SI_QUEUE)
    };
    let b = frame_of(queued);
    assert_eq!(
        (u32_at(&b, off::SI_PID), u64_at(&b, off::SI_VALUE)),
        (77, 0xfeed),
        "si_pid, si_value"
    );
    let child = SigInfo {
        signo: s::SIGCHLD,
        code: sicode::CLD_STOPPED,
        pid: 99,
        status: s::SIGTSTP,
        ..SigInfo::NONE
    };
    let b = frame_of(child);
    assert_eq!(
        (u32_at(&b, off::SI_PID), u32_at(&b, off::SI_STATUS) as i32),
        (99, s::SIGTSTP),
        "si_pid, si_status"
    );
}

#[ktest]
fn frame_is_placed_as_linux_places_it() {
    let sp = 0x7fff_ffff_e123u64;
    let l = sigframe_layout(sp - RED_ZONE, 512).expect("room");
    assert_eq!((l.frame + 8) % 16, 0, "rsp + 8 aligned as after a call");
    assert_eq!(l.fpstate % 64, 0, "fpstate 64-byte aligned");
    assert!(
        l.fpstate >= l.frame + RtSigframe::SIZE as u64,
        "fpstate above the frame"
    );
    assert!(l.fpstate + 512 <= sp - RED_ZONE, "nothing in the red zone");
    assert!(sigframe_layout(100, 512).is_none(), "no room below 100");
}

/// The frame bytes a handler returns with: `build_frame`'s, then `edit`.
fn returned(edit: impl FnOnce(&mut [u8])) -> Result<TrapFrame, BadFrame> {
    let f = numbered_frame();
    let rt = build_frame(
        &f,
        &SigInfo::user(s::SIGUSR1, 1),
        &handler_action(),
        SigSet::EMPTY,
        AltStack::NONE.0,
        TrapRecord::default(),
        0,
    );
    let mut b = rt.to_bytes();
    edit(&mut b);
    let back = RtSigframe::from_bytes(&b);
    // The current flags of a thread in rt_sigreturn: IF and bit 1.
    sigframe::frame_of(&back.uc.uc_mcontext, back.uc.uc_flags, 0x202)
}

#[ktest]
fn sigreturn_reads_the_registers_at_linux_offsets() {
    let f = numbered_frame();
    let r = returned(|b| {
        put_u64(b, off::SC_RAX, 0xaaaa);
        put_u64(b, off::SC_R8 + 8 * 7, 0x1515); // r15
        put_u64(b, off::SC_RIP, 0x40_1234);
        put_u64(b, off::SC_RSP, 0x7ffe_0000);
    })
    .expect("an unchanged context is accepted");
    assert_eq!(
        (r.rax, r.r15, r.rip, r.rsp),
        (0xaaaa, 0x1515, 0x40_1234, 0x7ffe_0000)
    );
    assert_eq!((r.rbx, r.rcx, r.rdi, r.r11), (f.rbx, f.rcx, f.rdi, f.r11));
    assert_eq!(r.rflags, f.rflags, "the arithmetic flags come back");
    assert_eq!(r.error_code, u64::MAX, "not a system call any more");
    assert!(usermode::check_user_frame(&r).is_ok());
}

#[ktest]
fn sigreturn_refuses_kernel_selectors_and_rips() {
    let set_cs = |v: u16| {
        move |b: &mut [u8]| b[off::SC_CS..off::SC_CS + 2].copy_from_slice(&v.to_le_bytes())
    };
    let set_ss = |v: u16| {
        move |b: &mut [u8]| b[off::SC_SS..off::SC_SS + 2].copy_from_slice(&v.to_le_bytes())
    };
    for sel in [0x08u16, 0x10, 0x0] {
        assert_eq!(
            returned(set_cs(sel)).err(),
            Some(BadFrame::Selectors),
            "cs {sel:#x}"
        );
        assert_eq!(
            returned(set_ss(sel)).err(),
            Some(BadFrame::Selectors),
            "ss {sel:#x}"
        );
    }
    for rip in [
        0x8000_0000_0000_0000u64,
        0x0000_8000_0000_0000,
        0xffff_8000_0000_0000,
    ] {
        let r = returned(|b| put_u64(b, off::SC_RIP, rip));
        assert_eq!(r.err(), Some(BadFrame::Rip), "rip {rip:#x}");
    }
}

#[ktest]
fn sigreturn_forces_rpl_3_and_repairs_a_loose_stack_selector() {
    let (cs, ss) = sigframe::user_selectors();
    let r = returned(|b| {
        b[off::SC_CS..off::SC_CS + 2].copy_from_slice(&((cs & !3) as u16).to_le_bytes());
        b[off::SC_SS..off::SC_SS + 2].copy_from_slice(&((ss & !3) as u16).to_le_bytes());
    })
    .expect("RPL 0 selectors of the user segments");
    assert_eq!((r.cs, r.ss), (cs, ss));
    let r = returned(|b| {
        b[off::SC_SS..off::SC_SS + 2].copy_from_slice(&0u16.to_le_bytes());
        let flags = u64_at(b, off::UC_FLAGS) & !UC_STRICT_RESTORE_SS;
        put_u64(b, off::UC_FLAGS, flags);
    })
    .expect("a null SS without the strict flag");
    assert_eq!(r.ss, ss, "repaired stack selector");
}

#[ktest]
fn sigreturn_takes_only_the_flags_a_program_may_set() {
    // IOPL 3, NT, VM, VIF, VIP, ID set and IF clear in the context.
    let forged =
        (3 << 12) | (1 << 14) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21) | 0x400 | 0x1;
    let r = returned(|b| put_u64(b, off::SC_EFLAGS, forged)).expect("flags are not refused");
    assert_eq!(
        r.rflags & (3 << 12 | 1 << 14 | 1 << 17 | 1 << 19 | 1 << 20),
        0,
        "privileged bits"
    );
    assert!(r.rflags & (1 << 9) != 0, "IF stays set");
    assert_eq!(
        r.rflags & FIX_EFLAGS,
        forged & FIX_EFLAGS,
        "DF and CF taken"
    );
    assert!(usermode::check_user_frame(&r).is_ok());
}

#[ktest]
fn trap_signals_have_linux_codes() {
    let pf = |cause| TrapKind::PageFault {
        addr: 0x1000,
        write: false,
        cause,
    };
    let cases = [
        (TrapKind::DivideError, s::SIGFPE, sicode::FPE_INTDIV),
        (TrapKind::InvalidOpcode, s::SIGILL, sicode::ILL_ILLOPN),
        (TrapKind::Breakpoint, s::SIGTRAP, sicode::SI_KERNEL),
        (TrapKind::GeneralProtection, s::SIGSEGV, sicode::SI_KERNEL),
        (pf(FaultCause::Unmapped), s::SIGSEGV, sicode::SEGV_MAPERR),
        (pf(FaultCause::Protection), s::SIGSEGV, sicode::SEGV_ACCERR),
        (pf(FaultCause::Io), s::SIGBUS, sicode::BUS_ADRERR),
    ];
    for (kind, sig, code) in cases {
        let (got_sig, got_code, _) = signal_for(kind);
        assert_eq!((got_sig, got_code), (sig, code), "{kind:?}");
    }
}

#[ktest]
fn standard_signals_pend_once_realtime_ones_queue() {
    let mut p = Pending::<4>::new();
    let q = |sig, v| SigInfo {
        addr: v,
        ..SigInfo::user(sig, 1).with_code(sicode::SI_QUEUE)
    };
    assert_eq!(p.add(q(s::SIGUSR1, 1)), Added::Queued);
    assert_eq!(p.add(q(s::SIGUSR1, 2)), Added::AlreadyPending);
    assert_eq!(p.add(q(40, 10)), Added::Queued);
    assert_eq!(p.add(q(40, 11)), Added::Queued);
    assert_eq!(p.add(q(41, 20)), Added::Queued);
    assert_eq!(p.add(q(40, 12)), Added::NoRoom, "the fifth record");
    assert!(!p.has_room());
    assert_eq!(p.take(s::SIGUSR1).addr, 1, "the first instance");
    assert!(!p.set.contains(s::SIGUSR1));
    assert_eq!(p.take(40).addr, 10);
    assert!(p.set.contains(40), "still pending: another record");
    assert_eq!(p.take(40).addr, 11);
    assert!(!p.set.contains(40));
    p.discard(SigSet::single(41));
    assert_eq!((p.set, p.records()), (SigSet::EMPTY, 0));
    // A signal pending without a record gets a generic one.
    p.set.add(s::SIGTERM);
    assert_eq!(p.take(s::SIGTERM).code, sicode::SI_KERNEL);
}

#[ktest]
fn alternate_stack_follows_linux_rules() {
    let mut a = AltStack::NONE;
    let ss = |sp, flags, size| StackT {
        ss_sp: sp,
        ss_flags: flags,
        _pad: 0,
        ss_size: size,
    };
    assert_eq!(a.query(0x1000).ss_flags, s::SS_DISABLE);
    assert_eq!(a.set(ss(0x10000, 0, 1024), 0), Err(Errno::ENOMEM));
    assert_eq!(a.set(ss(0x10000, 0x40, 8192), 0), Err(Errno::EINVAL));
    assert_eq!(a.set(ss(0x10000, 0, 8192), 0x9000), Ok(()));
    assert_eq!(a.query(0x9000).ss_flags, 0, "off the stack");
    assert_eq!(a.query(0x12000).ss_flags, s::SS_ONSTACK, "on the stack");
    assert!(!a.is_on(0x10000) && a.is_on(0x10001) && a.is_on(0x12000));
    assert_eq!(a.set(ss(0, s::SS_DISABLE, 0), 0x11000), Err(Errno::EPERM));
    assert_eq!(
        a.frame_start(0x9000, true),
        (0x12000, true),
        "switch to the top"
    );
    assert_eq!(
        a.frame_start(0x11800, true),
        (0x11800, false),
        "already on it"
    );
    assert_eq!(
        a.frame_start(0x9000, false),
        (0x9000, false),
        "no SA_ONSTACK"
    );
    assert_eq!(a.set(ss(0x10000, s::SS_AUTODISARM, 8192), 0x9000), Ok(()));
    assert!(!a.is_on(0x11000), "never on an autodisarm stack");
    assert_eq!(a.query(0).ss_flags, s::SS_AUTODISARM);
    a.delivered();
    assert_eq!(a, AltStack::NONE, "disarmed by a delivery");
    assert_eq!(a.set(ss(0, s::SS_DISABLE, 0), 0), Ok(()));
    assert_eq!(a.query(0).ss_flags, s::SS_DISABLE);
}
