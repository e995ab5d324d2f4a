//! `user::sigframe`: the signal frame as a machine state. Delivery saves
//! every register, RFLAGS and the FPU/SSE state in the ucontext, the
//! handler starts on a clean FPU state, and rt_sigreturn puts back exactly
//! what the ucontext then holds (a handler may change it). A forged
//! context is treated as Linux treats it: kernel selectors, a
//! non-canonical or kernel rip, reserved MXCSR bits or an unreadable FPU
//! image kill the process with SIGSEGV (and nothing else); privileged
//! RFLAGS bits and the selectors' RPL are ignored. A handler address,
//! restorer or stack that cannot work also ends in SIGSEGV.
//!
//! The register checks run a block of assembly that loads known values
//! into every general register, RFLAGS, MXCSR and xmm0-15, executes `ud2`
//! and stores all of them again; the SIGILL handler skips the `ud2` through
//! the ucontext (and, depending on the check, clobbers or rewrites state).

use std::sync::atomic::{AtomicU64, Ordering};

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, checks, ensure_eq, sys};
use utests::fd::{close, pipe, read_some};
use utests::mem::{Mapping, PAGE};
use utests::sigctx::{
    self, Counter, RFLAGS_CF, RFLAGS_DF, RFLAGS_IF, RFLAGS_IOPL, RFLAGS_NT, SA_RESTORER, bit,
    current_mask, install, install_raw, kill_self, mxcsr, sigprocmask,
};

const CHECKS: &[ftest::Check] = checks![
    sigreturn_restores_every_general_register_and_rflags,
    sigreturn_restores_xmm_registers_and_mxcsr,
    ucontext_holds_the_interrupted_registers,
    handler_starts_with_a_clean_fpu_state,
    handler_can_rewrite_registers_through_the_ucontext,
    sigreturn_without_fpstate_resets_the_fpu,
    handler_can_change_the_mask_it_returns_to,
    forged_kernel_code_selector_kills_only_that_process,
    forged_kernel_stack_selector_kills_only_that_process,
    forged_non_canonical_rip_kills_only_that_process,
    forged_kernel_half_rip_kills_only_that_process,
    forged_reserved_mxcsr_bits_kill_only_that_process,
    forged_unreadable_fpstate_kills_only_that_process,
    forged_privileged_rflags_are_ignored,
    forged_selector_rpl_is_forced_to_3,
    null_stack_selector_is_repaired_unless_strict,
    rt_sigreturn_on_a_zeroed_frame_kills,
    handler_without_sa_restorer_kills,
    bad_restorer_address_kills_after_the_handler,
    bad_handler_addresses_kill,
    unwritable_stack_at_delivery_kills_despite_handlers,
    fuzzed_contexts_kill_only_the_process_that_made_them,
];

pub fn main() {
    ftest::main("sigframe", CHECKS)
}

// ---- the register block ----

/// Register state in the order the assembly loads and stores it: rax,
/// rbx, rcx, rdx, rsi, rdi, rbp, r8-r15 (words 0-14), rflags (15), rsp
/// (16, output only), mxcsr (17), xmm0-15 (words 18-49).
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Regs([u64; 50]);

const GPR_NAMES: [&str; 15] = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];
const W_RFLAGS: usize = 15;
const W_RSP: usize = 16;
const W_MXCSR: usize = 17;
const W_XMM: usize = 18;
const RFLAGS_RF: u64 = 1 << 16;

/// Arithmetic flags and DF set, IF and the fixed bit.
const TEST_RFLAGS: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x200 | 0x2;
/// Round toward -inf, exceptions masked.
const TEST_MXCSR: u64 = 0x3f80;

impl Regs {
    fn test_values() -> Regs {
        let mut r = Regs([0; 50]);
        for (i, w) in r.0[..15].iter_mut().enumerate() {
            *w = 0x0101_0101_0101_0101u64.wrapping_mul(i as u64 + 1) ^ 0x8000_0000_0000_0a00;
        }
        r.0[W_RFLAGS] = TEST_RFLAGS;
        r.0[W_MXCSR] = TEST_MXCSR;
        for i in 0..32 {
            r.0[W_XMM + i] = 0xa5a5_0000_0000_0000 | ((i as u64) << 32) | (i as u64 * 0x1111);
        }
        r
    }

    fn xmm(&self, i: usize) -> u128 {
        u128::from(self.0[W_XMM + 2 * i]) | (u128::from(self.0[W_XMM + 2 * i + 1]) << 64)
    }
}

/// rsp just before the `ud2`.
static RSP_AT_UD2: AtomicU64 = AtomicU64::new(0);
static MXCSR_DEFAULT: u32 = 0x1f80;

/// Loads `inp` into the machine, runs `ud2` (a SIGILL handler must skip
/// it), and returns what the machine holds afterwards.
fn run_block(inp: &Regs) -> Regs {
    let mut out = Regs([0; 50]);
    // The block saves rbx and rbp itself and declares every other register
    // it changes; DF is cleared and MXCSR reset before the block ends.
    // SAFETY: registers and stack end as declared (see above), and the
    // caller's SIGILL handler resumes execution after the ud2.
    unsafe {
        core::arch::asm!(
            "push rbx",
            "push rbp",
            "push rdi",
            "movdqu xmm0, [rax + 144]",
            "movdqu xmm1, [rax + 160]",
            "movdqu xmm2, [rax + 176]",
            "movdqu xmm3, [rax + 192]",
            "movdqu xmm4, [rax + 208]",
            "movdqu xmm5, [rax + 224]",
            "movdqu xmm6, [rax + 240]",
            "movdqu xmm7, [rax + 256]",
            "movdqu xmm8, [rax + 272]",
            "movdqu xmm9, [rax + 288]",
            "movdqu xmm10, [rax + 304]",
            "movdqu xmm11, [rax + 320]",
            "movdqu xmm12, [rax + 336]",
            "movdqu xmm13, [rax + 352]",
            "movdqu xmm14, [rax + 368]",
            "movdqu xmm15, [rax + 384]",
            "ldmxcsr [rax + 136]",
            "mov [rip + {rsp_at}], rsp",
            "push qword ptr [rax + 120]",
            "popfq",
            "mov rbx, [rax + 8]",
            "mov rcx, [rax + 16]",
            "mov rdx, [rax + 24]",
            "mov rsi, [rax + 32]",
            "mov rdi, [rax + 40]",
            "mov rbp, [rax + 48]",
            "mov r8, [rax + 56]",
            "mov r9, [rax + 64]",
            "mov r10, [rax + 72]",
            "mov r11, [rax + 80]",
            "mov r12, [rax + 88]",
            "mov r13, [rax + 96]",
            "mov r14, [rax + 104]",
            "mov r15, [rax + 112]",
            "mov rax, [rax]",
            "ud2",
            "pushfq",
            "push rax",
            "mov rax, [rsp + 16]",
            "pop qword ptr [rax]",
            "pop qword ptr [rax + 120]",
            "cld",
            "mov [rax + 8], rbx",
            "mov [rax + 16], rcx",
            "mov [rax + 24], rdx",
            "mov [rax + 32], rsi",
            "mov [rax + 40], rdi",
            "mov [rax + 48], rbp",
            "mov [rax + 56], r8",
            "mov [rax + 64], r9",
            "mov [rax + 72], r10",
            "mov [rax + 80], r11",
            "mov [rax + 88], r12",
            "mov [rax + 96], r13",
            "mov [rax + 104], r14",
            "mov [rax + 112], r15",
            "mov [rax + 128], rsp",
            "stmxcsr [rax + 136]",
            "ldmxcsr [rip + {mx}]",
            "movdqu [rax + 144], xmm0",
            "movdqu [rax + 160], xmm1",
            "movdqu [rax + 176], xmm2",
            "movdqu [rax + 192], xmm3",
            "movdqu [rax + 208], xmm4",
            "movdqu [rax + 224], xmm5",
            "movdqu [rax + 240], xmm6",
            "movdqu [rax + 256], xmm7",
            "movdqu [rax + 272], xmm8",
            "movdqu [rax + 288], xmm9",
            "movdqu [rax + 304], xmm10",
            "movdqu [rax + 320], xmm11",
            "movdqu [rax + 336], xmm12",
            "movdqu [rax + 352], xmm13",
            "movdqu [rax + 368], xmm14",
            "movdqu [rax + 384], xmm15",
            "add rsp, 8",
            "pop rbp",
            "pop rbx",
            rsp_at = sym RSP_AT_UD2,
            mx = sym MXCSR_DEFAULT,
            inout("rax") inp as *const Regs => _,
            inout("rdi") &mut out as *mut Regs => _,
            out("rcx") _, out("rdx") _, out("rsi") _,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            out("r12") _, out("r13") _, out("r14") _, out("r15") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    out
}

static RUNS: Counter = Counter::new();
static GARBAGE_MXCSR: u32 = 0x7f80;

/// SIGILL handler: skips the ud2 (uc.rip += 2), then clobbers every
/// general register but rsp, every xmm register, MXCSR and the flags
/// before returning to the restorer.
#[unsafe(naked)]
extern "C" fn skip_and_clobber(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    core::arch::naked_asm!(
        "add qword ptr [rdx + 168], 2",
        "lock inc qword ptr [rip + {runs}]",
        "mov rax, -1",
        "mov rbx, rax",
        "mov rcx, rax",
        "mov rdx, rax",
        "mov rsi, rax",
        "mov rdi, rax",
        "mov rbp, rax",
        "mov r8, rax",
        "mov r9, rax",
        "mov r10, rax",
        "mov r11, rax",
        "mov r12, rax",
        "mov r13, rax",
        "mov r14, rax",
        "mov r15, rax",
        "pcmpeqd xmm0, xmm0",
        "pcmpeqd xmm1, xmm1",
        "pcmpeqd xmm2, xmm2",
        "pcmpeqd xmm3, xmm3",
        "pcmpeqd xmm4, xmm4",
        "pcmpeqd xmm5, xmm5",
        "pcmpeqd xmm6, xmm6",
        "pcmpeqd xmm7, xmm7",
        "pcmpeqd xmm8, xmm8",
        "pcmpeqd xmm9, xmm9",
        "pcmpeqd xmm10, xmm10",
        "pcmpeqd xmm11, xmm11",
        "pcmpeqd xmm12, xmm12",
        "pcmpeqd xmm13, xmm13",
        "pcmpeqd xmm14, xmm14",
        "pcmpeqd xmm15, xmm15",
        "ldmxcsr [rip + {mx}]",
        "xor eax, eax",
        "std",
        "ret",
        runs = sym RUNS,
        mx = sym GARBAGE_MXCSR,
    );
}

/// Runs the block under the clobbering handler.
fn clobbered_run() -> Result<(Regs, Regs), String> {
    install(libc::SIGILL, skip_and_clobber, 0, &[])?;
    let inp = Regs::test_values();
    let out = run_block(&inp);
    ensure_eq!(RUNS.get(), 1, "the SIGILL handler ran once");
    Ok((inp, out))
}

fn sigreturn_restores_every_general_register_and_rflags() -> CheckResult {
    let (inp, out) = clobbered_run()?;
    for (i, name) in GPR_NAMES.iter().enumerate() {
        ensure_eq!(out.0[i], inp.0[i], "{name} after the handler");
    }
    ensure_eq!(out.0[W_RFLAGS], inp.0[W_RFLAGS], "rflags after the handler");
    ensure_eq!(
        out.0[W_RSP],
        RSP_AT_UD2.load(Ordering::SeqCst),
        "rsp after the handler"
    );
    Ok(())
}

fn sigreturn_restores_xmm_registers_and_mxcsr() -> CheckResult {
    let (inp, out) = clobbered_run()?;
    for i in 0..16 {
        ensure_eq!(out.xmm(i), inp.xmm(i), "xmm{i} after the handler");
    }
    ensure_eq!(out.0[W_MXCSR], TEST_MXCSR, "mxcsr after the handler");
    Ok(())
}

/// What the recording SIGILL handler found in the ucontext: the general
/// registers (block order), rflags, rip, mxcsr and xmm0-15, and the
/// address of the ud2 (si_addr).
static SEEN: [AtomicU64; 56] = [const { AtomicU64::new(0) }; 56];
/// What `rewrite` does beyond skipping the ud2.
static REWRITE: AtomicU64 = AtomicU64::new(0);
const REWRITE_REGS: u64 = 1;
const REWRITE_NO_FPSTATE: u64 = 2;
/// MXCSR and the x87 control word inside the handler.
static FPU_IN: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

extern "C" fn rewrite(_: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    // SAFETY: the kernel's ucontext, used within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    let mc = &mut ctx.mc;
    let gprs = [
        mc.rax, mc.rbx, mc.rcx, mc.rdx, mc.rsi, mc.rdi, mc.rbp, mc.r8, mc.r9, mc.r10, mc.r11,
        mc.r12, mc.r13, mc.r14, mc.r15,
    ];
    for (i, v) in gprs.iter().enumerate() {
        SEEN[i].store(*v, Ordering::SeqCst);
    }
    SEEN[15].store(mc.eflags, Ordering::SeqCst);
    SEEN[16].store(mc.rip, Ordering::SeqCst);
    SEEN[55].store(si.addr(), Ordering::SeqCst);
    FPU_IN[0].store(u64::from(mxcsr()), Ordering::SeqCst);
    let mut fcw = 0u16;
    // SAFETY: fnstcw stores 2 bytes into a local.
    unsafe { core::arch::asm!("fnstcw [{}]", in(reg) &mut fcw, options(nostack)) };
    FPU_IN[1].store(u64::from(fcw), Ordering::SeqCst);
    if !mc.fpstate.is_null() {
        // SAFETY: the FPU image the kernel wrote for this frame.
        let fx = unsafe { &mut *mc.fpstate };
        SEEN[17].store(u64::from(fx.mxcsr), Ordering::SeqCst);
        for i in 0..16 {
            SEEN[18 + 2 * i].store(fx.xmm[i] as u64, Ordering::SeqCst);
            SEEN[19 + 2 * i].store((fx.xmm[i] >> 64) as u64, Ordering::SeqCst);
        }
        if REWRITE.load(Ordering::SeqCst) == REWRITE_REGS {
            fx.xmm[7] = 0x7777_0000_0000_0000_0000_0000_0000_7777;
            fx.mxcsr = 0x5f80;
        }
    }
    mc.rip += 2;
    match REWRITE.load(Ordering::SeqCst) {
        REWRITE_REGS => {
            mc.rbx = 0xb0b0;
            mc.r12 = 0x1212;
            mc.rcx = 0xc0c0;
            mc.r11 = 0x1111;
            mc.eflags &= !RFLAGS_CF;
        }
        REWRITE_NO_FPSTATE => mc.fpstate = std::ptr::null_mut(),
        _ => {}
    }
    RUNS.bump();
}

fn ucontext_holds_the_interrupted_registers() -> CheckResult {
    install(libc::SIGILL, rewrite, 0, &[])?;
    let inp = Regs::test_values();
    let out = run_block(&inp);
    ensure_eq!(RUNS.get(), 1);
    let seen: Vec<u64> = SEEN.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    for (i, name) in GPR_NAMES.iter().enumerate() {
        ensure_eq!(seen[i], inp.0[i], "uc {name}");
    }
    // RF may be set in the image of a fault (the CPU's choice).
    ensure_eq!(seen[15] & !RFLAGS_RF, inp.0[W_RFLAGS], "uc eflags");
    ensure_eq!(seen[16], seen[55], "uc rip = si_addr = the ud2");
    ensure_eq!(seen[17], TEST_MXCSR, "fpstate mxcsr");
    for i in 0..32 {
        ensure_eq!(seen[18 + i], inp.0[W_XMM + i], "fpstate xmm word {i}");
    }
    ensure_eq!(out.0[0], inp.0[0], "rax after the handler");
    Ok(())
}

fn handler_starts_with_a_clean_fpu_state() -> CheckResult {
    install(libc::SIGILL, rewrite, 0, &[])?;
    let inp = Regs::test_values();
    let out = run_block(&inp);
    ensure_eq!(
        (
            FPU_IN[0].load(Ordering::SeqCst),
            FPU_IN[1].load(Ordering::SeqCst)
        ),
        (0x1f80, 0x37f),
        "MXCSR and the x87 control word inside the handler"
    );
    ensure_eq!(out.0[W_MXCSR], TEST_MXCSR, "MXCSR after the handler");
    Ok(())
}

fn handler_can_rewrite_registers_through_the_ucontext() -> CheckResult {
    install(libc::SIGILL, rewrite, 0, &[])?;
    REWRITE.store(REWRITE_REGS, Ordering::SeqCst);
    let inp = Regs::test_values();
    let out = run_block(&inp);
    ensure_eq!(RUNS.get(), 1);
    ensure_eq!(
        (out.0[1], out.0[11], out.0[2], out.0[10]),
        (0xb0b0, 0x1212, 0xc0c0, 0x1111),
        "rbx, r12, rcx, r11 as the handler set them"
    );
    ensure_eq!(out.0[0], inp.0[0], "rax untouched");
    ensure_eq!(
        out.0[W_RFLAGS],
        inp.0[W_RFLAGS] & !RFLAGS_CF,
        "rflags with CF cleared"
    );
    ensure_eq!(
        out.xmm(7),
        0x7777_0000_0000_0000_0000_0000_0000_7777,
        "xmm7"
    );
    ensure_eq!(out.xmm(6), inp.xmm(6), "xmm6 untouched");
    ensure_eq!(out.0[W_MXCSR], 0x5f80, "mxcsr");
    Ok(())
}

fn sigreturn_without_fpstate_resets_the_fpu() -> CheckResult {
    install(libc::SIGILL, rewrite, 0, &[])?;
    REWRITE.store(REWRITE_NO_FPSTATE, Ordering::SeqCst);
    let inp = Regs::test_values();
    let out = run_block(&inp);
    ensure_eq!(RUNS.get(), 1);
    ensure_eq!(out.0[W_MXCSR], 0x1f80, "mxcsr: the initial value");
    for i in 0..16 {
        ensure_eq!(out.xmm(i), 0, "xmm{i}: the initial value");
    }
    ensure_eq!(out.0[3], inp.0[3], "rdx (general registers still restored)");
    Ok(())
}

extern "C" fn change_mask(_: i32, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's ucontext, within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    ctx.uc_sigmask |= bit(libc::SIGUSR2) | bit(libc::SIGKILL) | bit(libc::SIGSTOP);
    ctx.uc_sigmask &= !bit(libc::SIGHUP);
    RUNS.bump();
}

fn handler_can_change_the_mask_it_returns_to() -> CheckResult {
    install(libc::SIGUSR1, change_mask, 0, &[])?;
    sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGHUP)))?;
    sys(kill_self(libc::SIGUSR1), "kill")?;
    ensure_eq!(RUNS.get(), 1);
    ensure_eq!(
        current_mask(),
        bit(libc::SIGUSR2),
        "the mask from uc_sigmask, without SIGKILL and SIGSTOP"
    );
    Ok(())
}

// ---- forged contexts ----

/// What the forging SIGUSR1 handler does to the context.
#[derive(Clone, Copy)]
enum Forge {
    Cs(u16),
    Ss(u16),
    SsLoose(u16),
    Rip(u64),
    Mxcsr(u32),
    FpstateAt(u64),
    FlagsOr(u64),
    Rpl0,
}

static FORGE_KIND: AtomicU64 = AtomicU64::new(0);
static FORGE_ARG: AtomicU64 = AtomicU64::new(0);

extern "C" fn forge(_: i32, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's ucontext, within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    let arg = FORGE_ARG.load(Ordering::SeqCst);
    match FORGE_KIND.load(Ordering::SeqCst) {
        0 => ctx.mc.cs = arg as u16,
        1 => ctx.mc.ss = arg as u16,
        2 => {
            ctx.mc.ss = arg as u16;
            ctx.uc_flags &= !sigctx::UC_STRICT_RESTORE_SS;
        }
        3 => ctx.mc.rip = arg,
        4 => {
            // SAFETY: the FPU image of this frame.
            unsafe { (*ctx.mc.fpstate).mxcsr = arg as u32 }
        }
        5 => ctx.mc.fpstate = arg as *mut sigctx::Fxsave,
        6 => ctx.mc.eflags = (ctx.mc.eflags | arg) & !(arg >> 32),
        _ => {
            ctx.mc.cs &= !3;
            ctx.mc.ss &= !3;
        }
    }
}

/// In a child: installs the forging handler, raises SIGUSR1 and, if it
/// comes back, exits with 0 after `after` approves the state it returned
/// to (or 1). Returns how the child ended.
fn forged_child(f: Forge, after: fn() -> bool) -> Result<WaitStatus, String> {
    let (kind, arg) = match f {
        Forge::Cs(v) => (0, u64::from(v)),
        Forge::Ss(v) => (1, u64::from(v)),
        Forge::SsLoose(v) => (2, u64::from(v)),
        Forge::Rip(v) => (3, v),
        Forge::Mxcsr(v) => (4, u64::from(v)),
        Forge::FpstateAt(v) => (5, v),
        Forge::FlagsOr(v) => (6, v),
        Forge::Rpl0 => (7, 0),
    };
    let pid = spawn(move || {
        utests::sig::default_fault_signals();
        FORGE_KIND.store(kind, Ordering::SeqCst);
        FORGE_ARG.store(arg, Ordering::SeqCst);
        if install(libc::SIGUSR1, forge, 0, &[]).is_err() {
            return 2;
        }
        kill_self(libc::SIGUSR1);
        if after() { 0 } else { 1 }
    })?;
    wait_pid(pid)
}

/// A bystander: a child blocked reading a pipe. Returns (pid, write end).
fn bystander() -> Result<(libc::pid_t, i32), String> {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        match read_some(rd, &mut b) {
            Ok(0) => 0,
            _ => 1,
        }
    })?;
    close(rd);
    Ok((pid, wr))
}

/// The forged context kills the forger with SIGSEGV, and a bystander
/// and this process carry on.
fn forged_kills_only_the_forger(f: Forge) -> CheckResult {
    let (other, wr) = bystander()?;
    let st = forged_child(f, || true)?;
    ensure_eq!(st, WaitStatus::Signaled(libc::SIGSEGV), "the forger");
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(other, &mut status, libc::WNOHANG) };
    ensure_eq!(r, 0, "the bystander ended too");
    close(wr);
    ensure_eq!(wait_pid(other)?, WaitStatus::Exited(0), "the bystander");
    Ok(())
}

fn forged_kernel_code_selector_kills_only_that_process() -> CheckResult {
    // 0x08 and 0x10: kernel segments on Linux and Ferrite alike.
    forged_kills_only_the_forger(Forge::Cs(0x08))?;
    forged_kills_only_the_forger(Forge::Cs(0x10))
}

fn forged_kernel_stack_selector_kills_only_that_process() -> CheckResult {
    forged_kills_only_the_forger(Forge::Ss(0x08))?;
    forged_kills_only_the_forger(Forge::Ss(0x10))
}

fn forged_non_canonical_rip_kills_only_that_process() -> CheckResult {
    forged_kills_only_the_forger(Forge::Rip(0x8000_0000_0000_0000))?;
    forged_kills_only_the_forger(Forge::Rip(0x0000_8000_0000_0000))
}

fn forged_kernel_half_rip_kills_only_that_process() -> CheckResult {
    forged_kills_only_the_forger(Forge::Rip(0xffff_8000_0000_1000))
}

fn forged_reserved_mxcsr_bits_kill_only_that_process() -> CheckResult {
    forged_kills_only_the_forger(Forge::Mxcsr(0xffff_0000 | 0x1f80))
}

fn forged_unreadable_fpstate_kills_only_that_process() -> CheckResult {
    let hole = utests::mem::unmapped_page()?;
    forged_kills_only_the_forger(Forge::FpstateAt(hole as u64))
}

/// The state a child returns to after the forged context: IOPL 0, NT
/// clear, IF set, the selectors it started with.
fn sane_state() -> bool {
    let f = sigctx::rflags();
    f & (RFLAGS_IOPL | RFLAGS_NT) == 0 && f & RFLAGS_IF != 0
}

fn forged_privileged_rflags_are_ignored() -> CheckResult {
    // IOPL 3, NT, VM set and IF cleared (the high word lists bits to
    // clear): all ignored, the process carries on.
    let set = RFLAGS_IOPL | RFLAGS_NT | (1 << 17);
    let clear = RFLAGS_IF << 32;
    let st = forged_child(Forge::FlagsOr(set | clear), sane_state)?;
    ensure_eq!(st, WaitStatus::Exited(0), "the process after its sigreturn");
    // And the arithmetic flags and DF are taken (the block check shows
    // them restored); a forged DF comes back too.
    let st = forged_child(Forge::FlagsOr(RFLAGS_DF), || {
        let df = sigctx::rflags() & RFLAGS_DF != 0;
        // SAFETY: the ABI wants DF clear again before any call.
        unsafe { core::arch::asm!("cld") };
        df
    })?;
    ensure_eq!(st, WaitStatus::Exited(0), "DF from the context");
    Ok(())
}

static START_SELECTORS: AtomicU64 = AtomicU64::new(0);

fn same_selectors() -> bool {
    let (cs, ss) = sigctx::selectors();
    START_SELECTORS.load(Ordering::SeqCst) == (u64::from(cs) << 16 | u64::from(ss))
}

fn forged_selector_rpl_is_forced_to_3() -> CheckResult {
    let (cs, ss) = sigctx::selectors();
    START_SELECTORS.store(u64::from(cs) << 16 | u64::from(ss), Ordering::SeqCst);
    let st = forged_child(Forge::Rpl0, same_selectors)?;
    ensure_eq!(st, WaitStatus::Exited(0), "selectors with RPL 0");
    Ok(())
}

fn null_stack_selector_is_repaired_unless_strict() -> CheckResult {
    let (cs, ss) = sigctx::selectors();
    START_SELECTORS.store(u64::from(cs) << 16 | u64::from(ss), Ordering::SeqCst);
    let st = forged_child(Forge::SsLoose(0), same_selectors)?;
    ensure_eq!(
        st,
        WaitStatus::Exited(0),
        "null SS without UC_STRICT_RESTORE_SS"
    );
    forged_kills_only_the_forger(Forge::Ss(0))
}

fn rt_sigreturn_on_a_zeroed_frame_kills() -> CheckResult {
    let pid = spawn(|| {
        utests::sig::default_fault_signals();
        let frame = vec![0u64; 256];
        let top = frame.as_ptr() as usize + 8;
        // SAFETY: none needed: the process ends in this system call.
        unsafe {
            core::arch::asm!(
                "mov rsp, {top}",
                "mov eax, 15",
                "syscall",
                "ud2",
                top = in(reg) top,
                options(noreturn),
            )
        }
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

extern "C" fn nop(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    RUNS.bump();
}

fn handler_without_sa_restorer_kills() -> CheckResult {
    let pid = spawn(|| {
        utests::sig::default_fault_signals();
        install_raw(
            libc::SIGUSR1,
            nop as *const () as usize,
            libc::SA_SIGINFO as u64,
            0,
        );
        kill_self(libc::SIGUSR1);
        if RUNS.get() == 0 { 3 } else { 4 }
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

fn bad_restorer_address_kills_after_the_handler() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(rd);
        utests::sig::default_fault_signals();
        WRITE_FD.store(wr as u64, Ordering::SeqCst);
        let act = sigctx::KSigaction {
            handler: tell as *const () as usize,
            flags: libc::SA_SIGINFO as u64 | SA_RESTORER,
            restorer: 8,
            mask: 0,
        };
        sigctx::rt_sigaction(libc::SIGUSR1, Some(&act), None);
        kill_self(libc::SIGUSR1);
        0
    })?;
    close(wr);
    let said = utests::fd::read_to_end(rd)?;
    close(rd);
    ensure_eq!(said, b"h".to_vec(), "the handler ran");
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

static WRITE_FD: AtomicU64 = AtomicU64::new(0);

extern "C" fn tell(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let fd = WRITE_FD.load(Ordering::SeqCst) as i32;
    // SAFETY: writes one byte from a static string.
    unsafe { libc::write(fd, b"h".as_ptr().cast(), 1) };
}

fn bad_handler_addresses_kill() -> CheckResult {
    for addr in [
        8usize,
        0x8000_0000_0000_0000,
        0x0000_8000_0000_0000,
        0xffff_8000_0000_1000,
    ] {
        let pid = spawn(move || {
            utests::sig::default_fault_signals();
            let flags = libc::SA_SIGINFO as u64 | SA_RESTORER;
            install_raw(libc::SIGUSR1, addr, flags, 0);
            kill_self(libc::SIGUSR1);
            0
        })?;
        ensure_eq!(
            wait_pid(pid)?,
            WaitStatus::Signaled(libc::SIGSEGV),
            "handler at {addr:#x}"
        );
    }
    Ok(())
}

fn unwritable_stack_at_delivery_kills_despite_handlers() -> CheckResult {
    let ro = Mapping::anon(4 * PAGE, libc::PROT_READ)?;
    let top = ro.addr + 4 * PAGE;
    let pid = spawn(move || {
        if install(libc::SIGUSR1, nop, 0, &[]).is_err()
            || install(libc::SIGSEGV, nop, 0, &[]).is_err()
        {
            return 2;
        }
        // SAFETY: none needed: the process ends in this system call
        // (kill returns to a stack the frame cannot be written on).
        unsafe {
            core::arch::asm!(
                "mov rsp, {top}",
                "mov eax, 62",
                "syscall",
                "ud2",
                top = in(reg) top,
                in("rdi") sigctx::getpid(),
                in("rsi") libc::SIGUSR1,
                options(noreturn),
            )
        }
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

static FUZZ_SEED: AtomicU64 = AtomicU64::new(0);

/// xorshift64*: the bytes the fuzzing handler writes.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Overwrites the whole ucontext (registers, selectors, flags, FPU image
/// pointer, mask, alternate stack) with pseudo-random bytes.
extern "C" fn scribble(_: i32, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let mut st = FUZZ_SEED.load(Ordering::SeqCst) | 1;
    let words = uc.cast::<u64>();
    for i in 0..(std::mem::size_of::<sigctx::UContext>() / 8) {
        // SAFETY: within the kernel-written ucontext of this handler.
        unsafe { words.add(i).write(next(&mut st)) };
    }
}

fn fuzzed_contexts_kill_only_the_process_that_made_them() -> CheckResult {
    let (other, wr) = bystander()?;
    for seed in 1..=48u64 {
        let pid = spawn(move || {
            utests::sig::default_fault_signals();
            FUZZ_SEED.store(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), Ordering::SeqCst);
            if install(libc::SIGUSR1, scribble, 0, &[]).is_err() {
                return 2;
            }
            kill_self(libc::SIGUSR1);
            3
        })?;
        ensure_eq!(
            wait_pid(pid)?,
            WaitStatus::Signaled(libc::SIGSEGV),
            "a context of random bytes (seed {seed})"
        );
    }
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let r = unsafe { libc::waitpid(other, &mut status, libc::WNOHANG) };
    ensure_eq!(r, 0, "the bystander ended too");
    close(wr);
    ensure_eq!(wait_pid(other)?, WaitStatus::Exited(0), "the bystander");
    Ok(())
}
