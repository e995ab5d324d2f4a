//! ktests of the user/kernel boundary: hand-made ring-3 programs enter the
//! kernel through `syscall` and traps, and the kernel survives everything
//! they do.

use super::Errno;
use super::ferrite::{SYS_FERRITE_KTEST, op};
use crate::arch::x86_64::syscall as archsys;
use crate::kern::error::KResult;
use crate::ktest::ktest;
use crate::ktest::user::{
    DATA, EXIT_EDI, MOV_EDI_EAX, SYSCALL, UserProg, code, exited, mov_eax, mov_edi, mov_esi,
    mov_rsi64,
};
use crate::uvm::VmProt;
use crate::uvm::map::MapRequest;
use crate::uvm::vmspace::PAGE;
use ferrite_abi::signal::{SIGFPE, SIGILL, SIGSEGV, SIGTRAP};

#[ktest]
fn a_system_call_returns_its_value_to_ring_3() -> KResult<()> {
    // eax = ferrite_ktest(ECHO, 123); exit(eax)
    let p = UserProg::new(&code(&[
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::ECHO as u32),
        &mov_esi(123),
        &SYSCALL,
        &MOV_EDI_EAX,
        &EXIT_EDI,
    ]))?;
    assert_eq!(p.run(|_| {})?, exited(123));
    Ok(())
}

#[ktest]
fn an_unknown_system_call_number_gets_enosys() -> KResult<()> {
    // eax = syscall(999); exit(-eax)
    let p = UserProg::new(&code(&[
        &mov_eax(999),
        &SYSCALL,
        &[0xf7, 0xd8], // neg eax
        &MOV_EDI_EAX,
        &EXIT_EDI,
    ]))?;
    assert_eq!(p.run(|_| {})?, exited(Errno::ENOSYS.as_i32()));
    // A number far outside any table: rax = 2^40.
    let p = UserProg::new(&code(&[
        &[0x48, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0], // mov rax, 1 << 40
        &SYSCALL,
        &[0xf7, 0xd8],
        &MOV_EDI_EAX,
        &EXIT_EDI,
    ]))?;
    assert_eq!(p.run(|_| {})?, exited(Errno::ENOSYS.as_i32()));
    Ok(())
}

/// `mov byte [rdi], 7; movzx edi, byte [rdi]; exit(edi)`
const TOUCH: &[u8] = &[
    0xc6, 0x07, 0x07, 0x0f, 0xb6, 0x3f, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05,
];

#[ktest]
fn a_user_fault_on_a_zero_fill_page_is_resolved() -> KResult<()> {
    let p = UserProg::new(TOUCH)?;
    let before = crate::uvm::fault::STATS
        .zero_fills
        .load(core::sync::atomic::Ordering::Relaxed);
    // The data page was never touched: the write faults and is zero filled.
    assert_eq!(p.run(|f| f.rdi = DATA + 100)?, exited(7));
    let after = crate::uvm::fault::STATS
        .zero_fills
        .load(core::sync::atomic::Ordering::Relaxed);
    assert!(after > before, "the user write was a zero-fill fault");
    Ok(())
}

#[ktest]
fn a_user_write_to_a_read_only_page_kills_the_thread_with_sigsegv() -> KResult<()> {
    let p = UserProg::new(TOUCH)?;
    let ro =
        p.vs.map(MapRequest::anon(PAGE, VmProt::READ).at(0x60_0000))?;
    assert_eq!(p.run(|f| f.rdi = ro)?, SIGSEGV);
    // Writing into its own code page (read/execute) too.
    assert_eq!(p.run(|f| f.rdi = crate::ktest::user::CODE)?, SIGSEGV);
    Ok(())
}

#[ktest]
fn a_user_jump_into_kernel_memory_is_caught() -> KResult<()> {
    // jmp rdi
    let p = UserProg::new(&[0xff, 0xe7])?;
    let kernel_text = a_user_jump_into_kernel_memory_is_caught as *const () as usize as u64;
    assert_eq!(p.run(|f| f.rdi = kernel_text)?, SIGSEGV);
    // A non-canonical target faults with #GP, also SIGSEGV.
    assert_eq!(p.run(|f| f.rdi = 0x8000_0000_0000_0000)?, SIGSEGV);
    // And reading kernel memory.
    let p = UserProg::new(TOUCH)?;
    assert_eq!(p.run(|f| f.rdi = crate::DIRECT_MAP_BASE + 0x1000)?, SIGSEGV);
    Ok(())
}

#[ktest]
fn user_exceptions_become_the_right_fatal_signals() -> KResult<()> {
    let cases: [(&[u8], i32, &str); 5] = [
        (&[0x0f, 0x0b], SIGILL, "ud2"),
        (&[0xf4], SIGSEGV, "hlt (privileged: #GP)"),
        (&[0xcc], SIGTRAP, "int3"),
        (&[0x31, 0xc9, 0xf7, 0xf1], SIGFPE, "div by zero"),
        (&[0xfa], SIGSEGV, "cli (IOPL 0: #GP)"),
    ];
    for (text, sig, what) in cases {
        let p = UserProg::new(text)?;
        assert_eq!(p.run(|_| {})?, sig, "{what}");
    }
    Ok(())
}

#[ktest]
fn a_non_canonical_return_address_takes_the_iretq_path_and_the_kernel_survives() -> KResult<()> {
    // ferrite_ktest(RETURN_TO, rsi): return to user mode at rsi.
    let prog = |target: u64| {
        code(&[
            &mov_eax(SYS_FERRITE_KTEST as u32),
            &mov_edi(op::RETURN_TO as u32),
            &mov_rsi64(target),
            &SYSCALL,
        ])
    };
    let refused = || archsys::SYSRET_REFUSED.load(core::sync::atomic::Ordering::Relaxed);
    // Canonical but in the top page: iretq, then a page fault in user mode.
    let before = refused();
    let p = UserProg::new(&prog(0x7fff_ffff_f800))?;
    assert_eq!(p.run(|_| {})?, SIGSEGV);
    assert_eq!(
        refused(),
        before + 1,
        "sysret must not be used for the top page"
    );
    // Non-canonical (the SYSRET #GP pitfall): iretq faults in ring 0 and
    // the fault is turned into the program's #GP.
    let before = refused();
    let p = UserProg::new(&prog(0x0000_8000_0000_0000))?;
    assert_eq!(p.run(|_| {})?, SIGSEGV);
    assert_eq!(refused(), before + 1);
    Ok(())
}

#[ktest]
fn syscalls_from_ring_3_use_sysret_when_they_can() -> KResult<()> {
    let p = UserProg::new(&code(&[
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::ECHO as u32),
        &mov_esi(5),
        &SYSCALL,
        &MOV_EDI_EAX,
        &EXIT_EDI,
    ]))?;
    let before = archsys::SYSRET_REFUSED.load(core::sync::atomic::Ordering::Relaxed);
    assert_eq!(p.run(|_| {})?, exited(5));
    assert_eq!(
        archsys::SYSRET_REFUSED.load(core::sync::atomic::Ordering::Relaxed),
        before,
        "an ordinary system call returns with sysretq"
    );
    Ok(())
}

#[ktest]
fn user_registers_survive_a_system_call() -> KResult<()> {
    // Set rbx, rbp, r12-r15 and rdx, r8-r10; syscall; check they are intact
    // (rcx and r11 are the only registers the ABI lets the kernel clobber).
    let p = UserProg::new(&code(&[
        &[0x48, 0xc7, 0xc3, 0x11, 0, 0, 0], // mov rbx, 0x11
        &[0x48, 0xc7, 0xc5, 0x22, 0, 0, 0], // mov rbp, 0x22
        &[0x49, 0xc7, 0xc4, 0x33, 0, 0, 0], // mov r12, 0x33
        &[0x49, 0xc7, 0xc7, 0x44, 0, 0, 0], // mov r15, 0x44
        &[0x49, 0xc7, 0xc0, 0x55, 0, 0, 0], // mov r8, 0x55
        &mov_eax(SYS_FERRITE_KTEST as u32),
        &mov_edi(op::ECHO as u32),
        &SYSCALL,
        // edi = rbx + rbp + r12 + r15 + r8 = 0xff if all survived
        &[0x48, 0x89, 0xdf], // mov rdi, rbx
        &[0x48, 0x01, 0xef], // add rdi, rbp
        &[0x4c, 0x01, 0xe7], // add rdi, r12
        &[0x4c, 0x01, 0xff], // add rdi, r15
        &[0x4c, 0x01, 0xc7], // add rdi, r8
        &EXIT_EDI,
    ]))?;
    assert_eq!(p.run(|_| {})?, exited(0xff));
    Ok(())
}

/// Two user threads keep distinct values in xmm0 across many switches.
#[ktest]
fn fpu_state_is_private_to_each_user_thread() -> KResult<()> {
    let n: u32 = 200;
    let nb = n.to_le_bytes();
    let text = code(&[
        &[0x66, 0x48, 0x0f, 0x6e, 0xc7],           // movq xmm0, rdi
        &[0x41, 0xbc, nb[0], nb[1], nb[2], nb[3]], // mov r12d, n
        // loop:
        &mov_eax(ferrite_abi::syscall::SYS_sched_yield as u32),
        &SYSCALL,
        &[0x66, 0x48, 0x0f, 0x7e, 0xc0], // movq rax, xmm0
        &[0x48, 0x39, 0xf8],             // cmp rax, rdi
        &[0x75, 0x0e],                   // jne fail
        &[0x41, 0xff, 0xcc],             // dec r12d
        &[0x75, 0xea],                   // jnz loop
        &[0x31, 0xff],                   // xor edi, edi
        &EXIT_EDI,
        // fail:
        &mov_edi(1),
        &EXIT_EDI,
    ]);
    let a = UserProg::new(&text)?;
    let b = UserProg::new(&text)?;
    let ta = a.start(|f| f.rdi = 0x1111_2222_3333_4444)?;
    let tb = b.start(|f| f.rdi = 0x5555_6666_7777_8888)?;
    let sa = crate::kern::sched::lwp::join(ta);
    let sb = crate::kern::sched::lwp::join(tb);
    assert_eq!(
        (sa, sb),
        (exited(0), exited(0)),
        "xmm0 kept across switches"
    );
    Ok(())
}
