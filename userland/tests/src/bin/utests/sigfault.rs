//! `user::sigfault`: traps as signals with Linux's siginfo. A page fault
//! the VM cannot resolve is SIGSEGV with SEGV_MAPERR (nothing mapped) or
//! SEGV_ACCERR (the mapping forbids the access) and the exact address in
//! si_addr (and trapno 14, the error code and cr2 in the sigcontext);
//! #DE is SIGFPE/FPE_INTDIV, #UD SIGILL/ILL_ILLOPN, int3 SIGTRAP, #GP
//! SIGSEGV/SI_KERNEL. A handler can repair the cause and return, resume
//! elsewhere through the ucontext, or jump out as siglongjmp does; a
//! fault whose signal is blocked or ignored kills anyway; a stack overflow
//! is caught on the alternate stack, Rust's std included.
//!
//! Each fault is made inside a block of assembly that records the address
//! of a landing label first: the recording handler sends the program
//! there through the ucontext, so the block reports "faulted" and the
//! program carries on.

use std::sync::atomic::{AtomicU64, Ordering};

use ftest::proc::{WaitStatus, spawn, wait_pid};
use ftest::{CheckResult, check, checks, ensure_eq, helpers};
use utests::fd::{close, pipe};
use utests::mem::{Mapping, PAGE, unmapped_page};
use utests::sigctx::{self, Counter, bit, code, current_mask, install, sigprocmask};

const CHECKS: &[ftest::Check] = checks![
    read_of_an_unmapped_page_is_maperr_at_the_exact_address,
    write_to_a_read_only_page_is_accerr_with_the_write_bit,
    read_of_a_prot_none_page_is_accerr,
    fetch_from_a_non_executable_page_is_accerr,
    access_to_a_kernel_address_is_sigsegv_at_that_address,
    division_by_zero_is_sigfpe_fpe_intdiv_at_the_div,
    ud2_is_sigill_ill_illopn_at_the_instruction,
    int3_is_sigtrap_si_kernel_after_the_instruction,
    privileged_instruction_is_sigsegv_si_kernel,
    handler_can_fix_the_protection_and_return,
    handler_can_resume_elsewhere_through_the_ucontext,
    jump_out_of_a_sigsegv_handler_like_siglongjmp_and_carry_on,
    fault_with_sigsegv_blocked_still_kills,
    fault_with_sigsegv_ignored_still_kills,
    fault_inside_the_sigsegv_handler_kills,
    stack_overflow_is_caught_on_the_alternate_stack,
    stack_overflow_without_alternate_stack_kills,
    rust_program_overflowing_its_stack_dies_as_std_decides,
];

const HELPERS: &[ftest::Helper] = helpers![overflow_in_main];

pub fn main() {
    ftest::main_with_helpers("sigfault", CHECKS, HELPERS)
}

// ---- faults made in assembly ----

/// Where the recording handler sends a faulting block.
static LANDING: AtomicU64 = AtomicU64::new(0);
/// The address of the faulting instruction of the last block.
static FAULT_AT: AtomicU64 = AtomicU64::new(0);

/// What the recording handler saw: signo, code, si_addr, uc.rip, trapno,
/// err, cr2.
static SEEN: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
static FAULTS: Counter = Counter::new();

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    signo: i32,
    code: i32,
    addr: u64,
    rip: u64,
    trapno: u64,
    err: u64,
    cr2: u64,
}

fn seen() -> Seen {
    let v: Vec<u64> = SEEN.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    Seen {
        signo: v[0] as i32,
        code: v[1] as i32,
        addr: v[2],
        rip: v[3],
        trapno: v[4],
        err: v[5],
        cr2: v[6],
    }
}

/// Records the fault and resumes at the landing label.
extern "C" fn record_and_land(sig: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    // SAFETY: the kernel's ucontext, within the handler.
    let ctx = unsafe { sigctx::ucontext(uc) };
    let (_, _, code) = si.head();
    let vals = [
        sig as u64,
        code as i64 as u64,
        si.addr(),
        ctx.mc.rip,
        ctx.mc.trapno,
        ctx.mc.err,
        ctx.mc.cr2,
    ];
    for (a, v) in SEEN.iter().zip(vals) {
        a.store(v, Ordering::SeqCst);
    }
    FAULTS.bump();
    ctx.mc.rip = LANDING.load(Ordering::SeqCst);
}

#[derive(Clone, Copy)]
enum Op {
    Read,
    Write,
    Exec,
    Div0,
    Ud2,
    Int3,
    Hlt,
}

/// Runs `op` (at `addr` for the memory ones); true if it faulted and the
/// handler sent it to the landing label.
fn attempt(op: Op, addr: usize) -> bool {
    let faulted: u64;
    // Each block stores its landing and faulting addresses, then runs one
    // instruction that may trap.
    // SAFETY: the recording handler (installed by the caller) resumes at
    // label 2 with the stack as it was; nothing else is touched.
    unsafe {
        macro_rules! block {
            ($($insn:literal),+) => {
                core::arch::asm!(
                    "mov rdx, {a}",
                    "lea rax, [rip + 2f]",
                    "mov [rip + {land}], rax",
                    "lea rax, [rip + 4f]",
                    "mov [rip + {at}], rax",
                    "xor eax, eax",
                    "xor edx, edx",
                    "4:",
                    $($insn),+,
                    "jmp 3f",
                    "2:",
                    "mov eax, 1",
                    "3:",
                    land = sym LANDING,
                    at = sym FAULT_AT,
                    a = in(reg) addr,
                    out("rax") faulted,
                    out("rdx") _,
                    out("rcx") _,
                )
            };
        }
        match op {
            Op::Read => block!("mov cl, byte ptr [{a}]"),
            Op::Write => block!("mov byte ptr [{a}], 1"),
            Op::Exec => block!("jmp {a}"),
            Op::Div0 => block!("mov ecx, 0", "div ecx"),
            Op::Ud2 => block!("ud2"),
            Op::Int3 => block!("int3"),
            Op::Hlt => block!("hlt"),
        }
    }
    faulted == 1
}

/// Installs the recording handler for the fault signals.
fn recording() -> CheckResult {
    for s in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
    ] {
        install(s, record_and_land, 0, &[])?;
    }
    Ok(())
}

/// Page-fault error code bits (the sigcontext's err for trapno 14).
const PF_WRITE: u64 = 1 << 1;
const PF_USER: u64 = 1 << 2;
const PF_INSTR: u64 = 1 << 4;

/// A page fault at `addr` seen with `code`; returns the error code.
fn expect_page_fault(op: Op, addr: usize, code: i32) -> Result<u64, String> {
    recording()?;
    check!(attempt(op, addr), "no fault at {addr:#x}");
    ensure_eq!(FAULTS.get(), 1, "one fault");
    let s = seen();
    ensure_eq!(
        (s.signo, s.code, s.addr),
        (libc::SIGSEGV, code, addr as u64),
        "si_signo, si_code, si_addr"
    );
    ensure_eq!((s.trapno, s.cr2), (14, addr as u64), "trapno, cr2");
    check!(
        s.err & PF_USER != 0,
        "error code {:#x} without the user bit",
        s.err
    );
    let at = FAULT_AT.load(Ordering::SeqCst);
    if !matches!(op, Op::Exec) {
        ensure_eq!(s.rip, at, "uc rip: the faulting instruction");
    }
    Ok(s.err)
}

fn read_of_an_unmapped_page_is_maperr_at_the_exact_address() -> CheckResult {
    let page = unmapped_page()?;
    let err = expect_page_fault(Op::Read, page + 0x123, code::SEGV_MAPERR)?;
    check!(err & PF_WRITE == 0, "a read with the write bit: {err:#x}");
    Ok(())
}

fn write_to_a_read_only_page_is_accerr_with_the_write_bit() -> CheckResult {
    let m = Mapping::anon(2 * PAGE, libc::PROT_READ)?;
    // Fault the page in for reading first: the write then meets a present
    // read-only page.
    check!(!attempt(Op::Read, m.addr + PAGE + 8), "reading faulted");
    let err = expect_page_fault(Op::Write, m.addr + PAGE + 0x7ff, code::SEGV_ACCERR)?;
    check!(
        err & PF_WRITE != 0,
        "a write without the write bit: {err:#x}"
    );
    Ok(())
}

fn read_of_a_prot_none_page_is_accerr() -> CheckResult {
    let m = Mapping::anon(PAGE, libc::PROT_NONE)?;
    let err = expect_page_fault(Op::Read, m.addr + 0xfff, code::SEGV_ACCERR)?;
    check!(err & PF_WRITE == 0, "a read with the write bit: {err:#x}");
    Ok(())
}

fn fetch_from_a_non_executable_page_is_accerr() -> CheckResult {
    let mut m = Mapping::anon(PAGE, libc::PROT_READ | libc::PROT_WRITE)?;
    m.bytes_mut()[..16].fill(0xc3); // ret: harmless if it ever ran
    let err = expect_page_fault(Op::Exec, m.addr + 8, code::SEGV_ACCERR)?;
    check!(
        err & PF_INSTR != 0,
        "an instruction fetch without the fetch bit: {err:#x}"
    );
    ensure_eq!(
        seen().rip,
        (m.addr + 8) as u64,
        "uc rip: the address jumped to"
    );
    Ok(())
}

fn access_to_a_kernel_address_is_sigsegv_at_that_address() -> CheckResult {
    recording()?;
    let addr = 0xffff_8000_0010_0040usize;
    check!(attempt(Op::Read, addr), "no fault");
    let s = seen();
    ensure_eq!(
        (s.signo, s.code, s.addr),
        (libc::SIGSEGV, code::SEGV_MAPERR, addr as u64)
    );
    Ok(())
}

fn expect_trap(op: Op, signo: i32, code: i32) -> Result<Seen, String> {
    recording()?;
    check!(attempt(op, 0), "no trap");
    ensure_eq!(FAULTS.get(), 1, "one trap");
    let s = seen();
    ensure_eq!((s.signo, s.code), (signo, code), "si_signo, si_code");
    Ok(s)
}

fn division_by_zero_is_sigfpe_fpe_intdiv_at_the_div() -> CheckResult {
    let s = expect_trap(Op::Div0, libc::SIGFPE, code::FPE_INTDIV)?;
    let div = FAULT_AT.load(Ordering::SeqCst) + 5; // after mov ecx, 0
    ensure_eq!(
        (s.addr, s.rip, s.trapno),
        (div, div, 0),
        "si_addr, uc rip, trapno"
    );
    Ok(())
}

fn ud2_is_sigill_ill_illopn_at_the_instruction() -> CheckResult {
    let s = expect_trap(Op::Ud2, libc::SIGILL, code::ILL_ILLOPN)?;
    let at = FAULT_AT.load(Ordering::SeqCst);
    ensure_eq!(
        (s.addr, s.rip, s.trapno),
        (at, at, 6),
        "si_addr, uc rip, trapno"
    );
    Ok(())
}

fn int3_is_sigtrap_si_kernel_after_the_instruction() -> CheckResult {
    let s = expect_trap(Op::Int3, libc::SIGTRAP, libc::SI_KERNEL)?;
    let at = FAULT_AT.load(Ordering::SeqCst);
    ensure_eq!(
        (s.rip, s.trapno),
        (at + 1, 3),
        "uc rip (past the int3), trapno"
    );
    ensure_eq!(s.addr, 0, "si_pid and si_uid (SI_KERNEL)");
    Ok(())
}

fn privileged_instruction_is_sigsegv_si_kernel() -> CheckResult {
    let s = expect_trap(Op::Hlt, libc::SIGSEGV, libc::SI_KERNEL)?;
    let at = FAULT_AT.load(Ordering::SeqCst);
    ensure_eq!(
        (s.addr, s.rip, s.trapno),
        (0, at, 13),
        "si_addr, uc rip, trapno"
    );
    Ok(())
}

// ---- recovering ----

static FIX_LEN: AtomicU64 = AtomicU64::new(0);

/// Makes the faulting page readable and writable, then returns: the
/// access is retried and completes.
extern "C" fn unprotect(_: i32, si: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    let page = si.addr() & !(PAGE as u64 - 1);
    FAULTS.bump();
    // SAFETY: mprotect of the check's own mapping.
    unsafe {
        libc::mprotect(
            page as *mut libc::c_void,
            FIX_LEN.load(Ordering::SeqCst) as usize,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    };
}

fn handler_can_fix_the_protection_and_return() -> CheckResult {
    install(libc::SIGSEGV, unprotect, 0, &[])?;
    FIX_LEN.store(PAGE as u64, Ordering::SeqCst);
    let m = Mapping::anon(PAGE, libc::PROT_NONE)?;
    for round in 1..=3u8 {
        // SAFETY: the page is ours; it faults until the handler opens it.
        unsafe { std::ptr::write_volatile(m.ptr().add(100), round) };
        ensure_eq!(FAULTS.get(), u64::from(round), "faults after round {round}");
        ensure_eq!(m.bytes()[100], round, "the write landed");
        m.protect(libc::PROT_NONE)?;
    }
    Ok(())
}

fn handler_can_resume_elsewhere_through_the_ucontext() -> CheckResult {
    recording()?;
    let page = unmapped_page()?;
    for i in 1..=3u64 {
        check!(attempt(Op::Write, page + 8 * i as usize), "no fault");
        ensure_eq!(FAULTS.get(), i);
    }
    // Nothing is left blocked or pending.
    ensure_eq!(current_mask(), 0, "mask after the handlers");
    ensure_eq!(sigctx::pending(), 0);
    Ok(())
}

/// Saved by [`probe_with_jump`], restored by [`jump_back`]: rsp, rbp,
/// rbx, r12-r15, the landing address, then the mask to restore.
static JUMP_BUF: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];

/// Like siglongjmp(buf, 1): puts back the saved callee-saved registers
/// and stack pointer and continues at the saved address.
#[unsafe(naked)]
extern "C" fn jump_back() -> ! {
    core::arch::naked_asm!(
        "lea rax, [rip + {b}]",
        "mov rsp, [rax]",
        "mov rbp, [rax + 8]",
        "mov rbx, [rax + 16]",
        "mov r12, [rax + 24]",
        "mov r13, [rax + 32]",
        "mov r14, [rax + 40]",
        "mov r15, [rax + 48]",
        "jmp qword ptr [rax + 56]",
        b = sym JUMP_BUF,
    );
}

static JUMPS: Counter = Counter::new();

/// Leaves without returning: restores the mask saved with the jump
/// buffer (siglongjmp with a saved mask does the same) and jumps.
extern "C" fn leave_by_jump(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    JUMPS.bump();
    let mask = JUMP_BUF[8].load(Ordering::SeqCst);
    // SAFETY: a valid mask pointer.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &mask,
            0usize,
            8usize,
        )
    };
    jump_back()
}

/// Reads `addr`; if that faults, the handler jumps back into this block,
/// which then reports it. The equivalent of
/// `if (sigsetjmp(buf, 1) == 0) { *addr; return false; } return true;`
/// written as one block of assembly, so that the compiler sees an
/// ordinary block that returns once (no returns-twice function).
fn probe_with_jump(addr: usize) -> bool {
    JUMP_BUF[8].store(current_mask(), Ordering::SeqCst);
    let jumped: u64;
    // SAFETY: rsp and the callee-saved registers are saved before the access
    // and restored by a jump back to label 2; the rest are declared clobbered.
    unsafe {
        core::arch::asm!(
            "lea rax, [rip + {b}]",
            "mov [rax], rsp",
            "mov [rax + 8], rbp",
            "mov [rax + 16], rbx",
            "mov [rax + 24], r12",
            "mov [rax + 32], r13",
            "mov [rax + 40], r14",
            "mov [rax + 48], r15",
            "lea rcx, [rip + 2f]",
            "mov [rax + 56], rcx",
            "xor eax, eax",
            "mov cl, byte ptr [{a}]",
            "jmp 3f",
            "2:",
            "mov eax, 1",
            "3:",
            b = sym JUMP_BUF,
            a = in(reg) addr,
            out("rax") jumped,
            out("rcx") _, out("rdx") _, out("rsi") _, out("rdi") _,
            out("r8") _, out("r9") _, out("r10") _, out("r11") _,
            out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
            out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
            out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
            out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
        );
    }
    jumped == 1
}

fn jump_out_of_a_sigsegv_handler_like_siglongjmp_and_carry_on() -> CheckResult {
    // The handler never returns through rt_sigreturn: it restores the mask
    // and jumps back into the probing code (the siglongjmp pattern; Rust
    // has no sigsetjmp, so the "setjmp" is the probing block itself).
    install(libc::SIGSEGV, leave_by_jump, 0, &[])?;
    sigprocmask(libc::SIG_SETMASK, Some(bit(libc::SIGHUP)))?;
    let hole = unmapped_page()?;
    let ok = Mapping::anon(PAGE, libc::PROT_READ)?;
    let mut results = Vec::new();
    for addr in [hole, ok.addr, hole + 64, ok.addr + 64, hole + 128] {
        results.push(probe_with_jump(addr));
    }
    ensure_eq!(results, vec![true, false, true, false, true]);
    ensure_eq!(JUMPS.get(), 3, "handler runs");
    ensure_eq!(
        current_mask(),
        bit(libc::SIGHUP),
        "the mask the jump restored (SIGSEGV not left blocked)"
    );
    Ok(())
}

// ---- faults that cannot be caught ----

fn dies_of_fault(prepare: fn()) -> CheckResult {
    let pid = spawn(move || {
        prepare();
        let hole = unmapped_page().unwrap_or(8);
        // SAFETY: faults on purpose, in a child.
        unsafe { std::ptr::read_volatile(hole as *const u8) };
        3
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

fn fault_with_sigsegv_blocked_still_kills() -> CheckResult {
    dies_of_fault(|| {
        let _ = recording();
        utests::sig::block(libc::SIGSEGV);
    })
}

fn fault_with_sigsegv_ignored_still_kills() -> CheckResult {
    dies_of_fault(|| utests::sig::ignore(libc::SIGSEGV))
}

extern "C" fn fault_again(_: i32, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    FAULTS.bump();
    // SAFETY: a second fault, inside the handler, on purpose.
    unsafe { std::ptr::read_volatile(8 as *const u8) };
}

fn fault_inside_the_sigsegv_handler_kills() -> CheckResult {
    dies_of_fault(|| {
        let _ = install(libc::SIGSEGV, fault_again, 0, &[]);
    })
}

// ---- stack overflow ----

/// Recurses until the stack runs out.
#[inline(never)]
fn recurse(n: u64) -> u64 {
    let buf = [n; 32];
    std::hint::black_box(&buf);
    if n == u64::MAX {
        return 0;
    }
    recurse(n + 1).wrapping_add(buf[n as usize % 32])
}

static ALT_FD: AtomicU64 = AtomicU64::new(0);

/// Reports where it runs, then ends the process (the stack is gone).
extern "C" fn report_overflow(_: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo argument, used within the handler.
    let si = unsafe { sigctx::Info::from_ptr(si) };
    let (_, cur) = sigctx::sigaltstack(None);
    let on_alt = cur.ss_flags & libc::SS_ONSTACK != 0;
    let code = si.head().2;
    let msg: &[u8] = if on_alt && (code == code::SEGV_MAPERR || code == code::SEGV_ACCERR) {
        b"caught on the alternate stack"
    } else {
        b"caught elsewhere"
    };
    let _ = uc;
    // SAFETY: write and _exit are async-signal-safe.
    unsafe {
        libc::write(
            ALT_FD.load(Ordering::SeqCst) as i32,
            msg.as_ptr().cast(),
            msg.len(),
        );
        libc::_exit(7);
    }
}

fn stack_overflow_is_caught_on_the_alternate_stack() -> CheckResult {
    let (rd, wr) = pipe()?;
    let pid = spawn(move || {
        close(rd);
        ALT_FD.store(wr as u64, Ordering::SeqCst);
        let (sp, size) = sigctx::leak_stack(64 * 1024);
        sigctx::sigaltstack(Some((sp, 0, size)));
        let _ = install(libc::SIGSEGV, report_overflow, libc::SA_ONSTACK, &[]);
        std::hint::black_box(recurse(0)) as i32
    })?;
    close(wr);
    let said = utests::fd::read_to_end(rd)?;
    close(rd);
    ensure_eq!(
        String::from_utf8_lossy(&said),
        "caught on the alternate stack"
    );
    ensure_eq!(wait_pid(pid)?, WaitStatus::Exited(7));
    Ok(())
}

fn stack_overflow_without_alternate_stack_kills() -> CheckResult {
    // The handler's frame cannot be written on the exhausted stack.
    let pid = spawn(|| {
        sigctx::sigaltstack(Some((0, libc::SS_DISABLE, 0)));
        let _ = install(libc::SIGSEGV, report_overflow, libc::SA_ONSTACK, &[]);
        std::hint::black_box(recurse(0)) as i32
    })?;
    ensure_eq!(wait_pid(pid)?, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}

/// std's SIGSEGV handler, found at start-up.
static STD_HANDLER: AtomicU64 = AtomicU64::new(0);

/// Runs in front of std's handler: says where it runs, calls std's
/// handler as the kernel would, and says what std did.
extern "C" fn in_front_of_std(sig: i32, si: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let (_, cur) = sigctx::sigaltstack(None);
    let msg: &[u8] = if cur.ss_flags & libc::SS_ONSTACK != 0 {
        b"on the alternate stack; "
    } else {
        b"not on the alternate stack; "
    };
    // SAFETY: write is async-signal-safe.
    unsafe { libc::write(1, msg.as_ptr().cast(), msg.len()) };
    // SAFETY: the address std installed as a three-argument handler.
    let std_handler: sigctx::Handler =
        unsafe { std::mem::transmute(STD_HANDLER.load(Ordering::SeqCst) as usize) };
    std_handler(sig, si, uc);
    let after = sigctx::action_of(libc::SIGSEGV).map_or(99, |a| a.handler);
    let msg: &[u8] = if after == libc::SIG_DFL {
        b"std restored the default\n"
    } else {
        b"std left a handler\n"
    };
    // SAFETY: as above.
    unsafe { libc::write(1, msg.as_ptr().cast(), msg.len()) };
}

/// Helper: a Rust program overflowing its main thread's stack, with a
/// handler of ours chained in front of the one std installed (on the
/// alternate stack std set up).
fn overflow_in_main(_: &[String]) -> i32 {
    let Ok(std_action) = sigctx::action_of(libc::SIGSEGV) else {
        return 2;
    };
    let (_, alt) = sigctx::sigaltstack(None);
    let onstack = std_action.flags & libc::SA_ONSTACK as u64 != 0;
    println!(
        "std handler {} SA_ONSTACK, alternate stack {}",
        if onstack { "with" } else { "without" },
        if alt.ss_flags == 0 { "set" } else { "missing" }
    );
    if std_action.handler <= 1 {
        return 3;
    }
    STD_HANDLER.store(std_action.handler as u64, Ordering::SeqCst);
    let act = sigctx::KSigaction {
        handler: in_front_of_std as *const () as usize,
        ..std_action
    };
    sigctx::rt_sigaction(libc::SIGSEGV, Some(&act), None);
    std::hint::black_box(recurse(0)) as i32
}

fn rust_program_overflowing_its_stack_dies_as_std_decides() -> CheckResult {
    // std (on musl) does not know where the main thread's guard page is:
    // its handler, run on its alternate stack, restores the default
    // action and returns, and the repeated fault kills the program with
    // SIGSEGV. (For a thread, whose guard page std knows, it prints "has
    // overflowed its stack" and aborts; Ferrite has no threads yet.)
    let out = ftest::run_helper("overflow_in_main", &[], None)?;
    ensure_eq!(
        out.text(),
        "std handler with SA_ONSTACK, alternate stack set\n\
         on the alternate stack; std restored the default\n",
        "what the program saw"
    );
    ensure_eq!(out.status, WaitStatus::Signaled(libc::SIGSEGV));
    Ok(())
}
