//! The tracee's registers: GETREGS/SETREGS at system-call stops, what
//! SETREGS refuses or drops, PEEKUSER/POKEUSER, the FPU registers and the
//! register sets.

use super::*;
use ftest::{CheckResult, check, ensure_eq, expect_errno};

/// lseek(-1, 0x1234, SEEK_SET): known arguments, a known result (EBADF).
fn lseek_bad_fd() -> i64 {
    // SAFETY: lseek of no descriptor changes nothing.
    unsafe { libc::syscall(libc::SYS_lseek, -1i64, 0x1234i64, 0i64) }
}

/// A traced child that calls `lseek_bad_fd` and exits 0 if it returned
/// `want` (raw, so -1 for an error), 1 otherwise.
fn lseek_child(want: i64) -> Result<libc::pid_t, String> {
    traced_child(move || if lseek_bad_fd() == want { 0 } else { 1 })
}

const ENOSYS_RET: u64 = -(libc::ENOSYS as i64) as u64;
const EBADF_RET: u64 = -(libc::EBADF as i64) as u64;

pub fn getregs_at_a_syscall_enter_stop() -> CheckResult {
    let pid = lseek_child(-1)?;
    let r = run_to_syscall_entry(pid, libc::SYS_lseek)?;
    ensure_eq!(r.rdi, u64::MAX, "rdi: fd -1");
    ensure_eq!(r.rsi, 0x1234, "rsi: the offset");
    ensure_eq!(r.rdx, 0, "rdx: SEEK_SET");
    ensure_eq!(r.rax, ENOSYS_RET, "rax reads -ENOSYS at the entry");
    ensure_eq!(
        peek(pid, r.rip - 2)? & 0xffff,
        0x050f,
        "rip is after `syscall`"
    );
    let exit = next_syscall_stop(pid)?;
    ensure_eq!(
        exit.orig_rax,
        libc::SYS_lseek as u64,
        "orig_rax at the exit"
    );
    ensure_eq!(exit.rax, EBADF_RET, "rax: the result");
    ensure_eq!(exit.rip, r.rip);
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn setregs_changes_the_result_the_tracee_sees() -> CheckResult {
    let pid = lseek_child(42)?;
    run_to_syscall_entry(pid, libc::SYS_lseek)?;
    let mut r = next_syscall_stop(pid)?;
    ensure_eq!(r.rax, EBADF_RET);
    r.rax = 42;
    set_regs(pid, &r)?;
    ensure_eq!(get_regs(pid)?.rax, 42);
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "lseek returned what the tracer set"
    );
    Ok(())
}

pub fn orig_rax_minus_one_skips_the_system_call() -> CheckResult {
    let pid = traced_child(|| {
        // SAFETY: exit_group(9) unless the tracer skips it.
        let r = unsafe { libc::syscall(libc::SYS_exit_group, 9i64) };
        if r == 55 { 0 } else { 2 }
    })?;
    let mut r = run_to_syscall_entry(pid, libc::SYS_exit_group)?;
    ensure_eq!(r.rdi, 9);
    r.orig_rax = u64::MAX;
    r.rax = 55;
    set_regs(pid, &r)?;
    let exit = next_syscall_stop(pid)?;
    ensure_eq!(exit.rax, 55, "the skipped call returns rax as set");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "exit_group(9) did not run"
    );
    Ok(())
}

pub fn setregs_refuses_kernel_selectors() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    for (what, bad) in [
        ("cs = kernel code (RPL 0)", Regs { cs: 0x10, ..r }),
        ("cs = 0", Regs { cs: 0, ..r }),
        ("ss = kernel data (RPL 0)", Regs { ss: 0x18, ..r }),
        ("ss = 0", Regs { ss: 0, ..r }),
        ("ds with RPL 0", Regs { ds: 0x10, ..r }),
    ] {
        expect_errno(set_regs_raw(pid, &bad), libc::EIO, what)?;
    }
    ensure_eq!(get_regs(pid)?, r, "nothing changed");
    set_regs(pid, &r)?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn setregs_keeps_privileged_flags_out() -> CheckResult {
    const IOPL: u64 = 3 << 12;
    const IF: u64 = 1 << 9;
    const VM: u64 = 1 << 17;
    const CF: u64 = 1;
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    check!(r.eflags & IF != 0, "interrupts on in user mode");
    let mut bad = r;
    bad.eflags = (r.eflags | IOPL | VM | CF) & !IF;
    set_regs(pid, &bad)?;
    let now = get_regs(pid)?.eflags;
    ensure_eq!(now & (IOPL | VM), 0, "IOPL and VM stay clear");
    check!(now & IF != 0, "IF stays set");
    ensure_eq!(now & CF, CF, "an arithmetic flag is taken");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn setregs_refuses_a_non_canonical_rip() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    for rip in [0x8000_0000_0000_0000u64, 0x0000_8000_0000_0000] {
        expect_errno(
            set_regs_raw(pid, &Regs { rip, ..r }),
            libc::EIO,
            "SETREGS with rip outside the user half",
        )?;
    }
    ensure_eq!(get_regs(pid)?.rip, r.rip);
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn setregs_refuses_tls_bases_past_the_user_half() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    expect_errno(
        set_regs_raw(
            pid,
            &Regs {
                fs_base: 0xffff_8000_0000_0000,
                ..r
            },
        ),
        libc::EIO,
        "fs_base in the kernel half",
    )?;
    expect_errno(
        set_regs_raw(
            pid,
            &Regs {
                gs_base: 0x0000_7fff_ffff_f000,
                ..r
            },
        ),
        libc::EIO,
        "gs_base at TASK_SIZE_MAX",
    )?;
    set_regs(
        pid,
        &Regs {
            gs_base: 0x1234_5000,
            ..r
        },
    )?;
    ensure_eq!(
        get_regs(pid)?.gs_base,
        0x1234_5000,
        "a user gs_base is taken"
    );
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

/// The calling thread's FS base.
fn fs_base() -> u64 {
    let mut v = 0u64;
    // SAFETY: ARCH_GET_FS writes the base to `v`.
    unsafe { libc::syscall(libc::SYS_arch_prctl, 0x1003i64, &mut v as *mut u64) };
    v
}

pub fn getregs_shows_the_tls_base_and_user_selectors() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    ensure_eq!(r.fs_base, fs_base(), "the child's TLS base is the parent's");
    check!(r.fs_base != 0, "a TLS base is set");
    ensure_eq!(r.cs & 3, 3, "user code selector");
    ensure_eq!(r.ss & 3, 3, "user stack selector");
    ensure_eq!(r.orig_rax, libc::SYS_kill as u64, "stopped in kill");
    ensure_eq!(r.rax, 0, "kill returned 0");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

fn peekuser(pid: libc::pid_t, off: u64) -> Result<u64, String> {
    let mut v = 0u64;
    pt(PEEKUSER, pid, off, &mut v as *mut u64 as u64, "PEEKUSER")?;
    Ok(v)
}

pub fn peekuser_reads_registers_and_refuses_bad_offsets() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    ensure_eq!(peekuser(pid, OFF_RIP)?, r.rip);
    ensure_eq!(peekuser(pid, OFF_ORIG_RAX)?, r.orig_rax);
    ensure_eq!(peekuser(pid, 21 * 8)?, r.fs_base);
    ensure_eq!(peekuser(pid, 27 * 8)?, 0, "past the registers: 0");
    ensure_eq!(peekuser(pid, USER_SIZE - 8)?, 0, "the last word: 0");
    let mut v = 0u64;
    let out = &mut v as *mut u64 as u64;
    expect_errno(ptrace(PEEKUSER, pid, 3, out), libc::EIO, "unaligned offset")?;
    expect_errno(
        ptrace(PEEKUSER, pid, USER_SIZE, out),
        libc::EIO,
        "offset past struct user",
    )?;
    expect_errno(
        ptrace(POKEUSER, pid, 27 * 8, 0),
        libc::EIO,
        "POKEUSER outside registers and debug registers",
    )?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}

pub fn pokeuser_writes_a_register_and_debug_registers_read_back() -> CheckResult {
    let pid = lseek_child(77)?;
    let watched = Box::new(0u64);
    let watched_addr = &*watched as *const u64 as u64;
    pt(POKEUSER, pid, OFF_DEBUGREG, watched_addr, "POKEUSER DR0")?;
    ensure_eq!(peekuser(pid, OFF_DEBUGREG)?, watched_addr, "DR0 reads back");
    pt(POKEUSER, pid, OFF_DEBUGREG, 0, "POKEUSER DR0 = 0")?;
    pt(POKEUSER, pid, OFF_DEBUGREG + 7 * 8, 0, "POKEUSER DR7 = 0")?;
    ensure_eq!(peekuser(pid, OFF_DEBUGREG + 7 * 8)?, 0);
    run_to_syscall_entry(pid, libc::SYS_lseek)?;
    next_syscall_stop(pid)?;
    pt(POKEUSER, pid, OFF_RAX, 77, "POKEUSER rax")?;
    ensure_eq!(peekuser(pid, OFF_RAX)?, 77);
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "lseek returned the poked value"
    );
    Ok(())
}

/// xmm0 := `v`, a breakpoint, then returns xmm0.
fn xmm0_around_a_breakpoint(v: u64) -> u64 {
    let out: u64;
    // SAFETY: only xmm0 and the output register change; the int3 traps
    // into the tracer.
    unsafe {
        std::arch::asm!(
            "movq xmm0, {v}",
            "int3",
            "movq {o}, xmm0",
            v = in(reg) v,
            o = lateout(reg) out,
            out("xmm0") _,
        );
    }
    out
}

const XMM_SPACE: usize = 160;
const MXCSR: usize = 24;

pub fn fpregs_read_and_write_xmm0() -> CheckResult {
    const BEFORE: u64 = 0x1122_3344_5566_7788;
    const AFTER: u64 = 0x99aa_bbcc_ddee_ff00;
    let pid = traced_child(|| {
        if xmm0_around_a_breakpoint(BEFORE) == AFTER {
            0
        } else {
            1
        }
    })?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    expect_stop(pid, libc::SIGTRAP)?;
    let mut fp = [0u8; 512];
    pt(GETFPREGS, pid, 0, fp.as_mut_ptr() as u64, "GETFPREGS")?;
    let xmm0 = u64::from_le_bytes(fp[XMM_SPACE..XMM_SPACE + 8].try_into().unwrap());
    ensure_eq!(xmm0, BEFORE, "xmm0 as the tracee set it");
    let mxcsr = u32::from_le_bytes(fp[MXCSR..MXCSR + 4].try_into().unwrap());
    ensure_eq!(
        mxcsr & 0x1f80,
        0x1f80,
        "exceptions masked, as a program starts"
    );
    // The same through the register set.
    let mut set = [0u8; 512];
    let mut iov = libc::iovec {
        iov_base: set.as_mut_ptr().cast(),
        iov_len: 512,
    };
    sys(
        regset(GETREGSET, pid, NT_PRFPREG, &mut iov),
        "GETREGSET NT_PRFPREG",
    )?;
    ensure_eq!(iov.iov_len, 512);
    check!(set[..416] == fp[..416], "NT_PRFPREG differs from GETFPREGS");
    fp[XMM_SPACE..XMM_SPACE + 8].copy_from_slice(&AFTER.to_le_bytes());
    pt(SETFPREGS, pid, 0, fp.as_ptr() as u64, "SETFPREGS")?;
    let mut again = [0u8; 512];
    pt(GETFPREGS, pid, 0, again.as_mut_ptr() as u64, "GETFPREGS")?;
    check!(again[..416] == fp[..416], "SETFPREGS did not take");
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(
        run_to_end(pid)?,
        WaitStatus::Exited(0),
        "the tracee read back the new xmm0"
    );
    Ok(())
}

/// A register-set request on the iovec `iov`.
fn regset(req: i64, pid: libc::pid_t, nt: u64, iov: &mut libc::iovec) -> i64 {
    ptrace(req, pid, nt, iov as *mut libc::iovec as u64)
}

pub fn getregset_and_setregset_prstatus() -> CheckResult {
    let pid = traced_child(|| 0)?;
    let r = get_regs(pid)?;
    let mut buf = [0xffu8; 256];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: 256,
    };
    sys(regset(GETREGSET, pid, NT_PRSTATUS, &mut iov), "GETREGSET")?;
    ensure_eq!(iov.iov_len, 216, "the length becomes the set's size");
    let rip = u64::from_le_bytes(buf[128..136].try_into().unwrap());
    ensure_eq!(rip, r.rip);
    ensure_eq!(buf[216], 0xff, "nothing past the set");
    // A short buffer gets the beginning of the set.
    let mut small = [0xffu8; 16];
    let mut iov = libc::iovec {
        iov_base: small.as_mut_ptr().cast(),
        iov_len: 8,
    };
    sys(
        regset(GETREGSET, pid, NT_PRSTATUS, &mut iov),
        "GETREGSET (8 bytes)",
    )?;
    ensure_eq!(iov.iov_len, 8);
    ensure_eq!(u64::from_le_bytes(small[..8].try_into().unwrap()), r.r15);
    ensure_eq!(small[8], 0xff);
    iov.iov_len = 12;
    expect_errno(
        regset(GETREGSET, pid, NT_PRSTATUS, &mut iov),
        libc::EINVAL,
        "a length not a multiple of 8",
    )?;
    iov.iov_len = 8;
    expect_errno(
        regset(GETREGSET, pid, 0x999, &mut iov),
        libc::EINVAL,
        "an unknown register set",
    )?;
    // SETREGSET of rax (the first 11 words).
    let regs = Regs { rax: 0x5555, ..r };
    // SAFETY: Regs is plain data of 216 bytes.
    let bytes: [u8; 216] = unsafe { std::mem::transmute(regs) };
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: 11 * 8,
    };
    sys(regset(SETREGSET, pid, NT_PRSTATUS, &mut iov), "SETREGSET")?;
    ensure_eq!(iov.iov_len, 88);
    let now = get_regs(pid)?;
    ensure_eq!(now.rax, 0x5555, "rax set");
    ensure_eq!(now.rip, r.rip, "the rest as it was");
    set_regs(pid, &r)?;
    pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    ensure_eq!(run_to_end(pid)?, WaitStatus::Exited(0));
    Ok(())
}
