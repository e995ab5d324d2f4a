//! `user::ptrace`: ptrace(2) and process_vm_readv/writev, as a debugger
//! and strace use them.
//!
//! - `memory`: PEEK/POKE (a COW page after fork written for the tracee
//!   only, a breakpoint patched into read-only text, the error cases) and
//!   the mlock()ed-copy scenario;
//! - `regs`: GETREGS/SETREGS at system-call stops, the refused values,
//!   PEEKUSER/POKEUSER, FPU registers, register sets;
//! - `stops`: TRACEME and exec, signal-delivery stops (continue with a
//!   signal, with 0, replaced), siginfo, single-stepping, PTRACE_SYSCALL
//!   (a mini strace), the fork/exec/exit events, attach/seize/interrupt/
//!   detach, EXITKILL, SIGKILL, who sees a traced child's exit;
//! - `procvm`: process_vm_readv/writev.
//!
//! Tracees are children of the check (or of a helper child) that stop
//! themselves with SIGSTOP after PTRACE_TRACEME; everything is raw system
//! calls so that the checks see exactly the kernel's answers.

mod memory;
mod procvm;
mod regs;
mod stops;

use memory::*;
use procvm::*;
use regs::*;
use stops::*;

use ftest::proc::{WaitStatus, spawn};
use ftest::{checks, errname, errno, helpers, sys};

const CHECKS: &[ftest::Check] = checks![
    // memory
    peekdata_reads_known_values_across_a_page_boundary,
    peek_and_poke_of_unmapped_addresses_are_eio,
    peek_and_poke_ignore_the_programs_protection,
    peek_with_a_bad_data_pointer_is_efault,
    requests_to_a_process_not_traced_are_esrch,
    pokedata_into_a_cow_page_reaches_only_the_tracee,
    poketext_breakpoint_in_read_only_text_traps_and_restores,
    a_write_beside_an_mlocked_copy_keeps_it_and_leaks_nothing,
    // registers
    getregs_at_a_syscall_enter_stop,
    setregs_changes_the_result_the_tracee_sees,
    orig_rax_minus_one_skips_the_system_call,
    setregs_refuses_kernel_selectors,
    setregs_keeps_privileged_flags_out,
    setregs_refuses_a_non_canonical_rip.ferrite_only(),
    setregs_refuses_tls_bases_past_the_user_half,
    getregs_shows_the_tls_base_and_user_selectors,
    peekuser_reads_registers_and_refuses_bad_offsets,
    pokeuser_writes_a_register_and_debug_registers_read_back,
    fpregs_read_and_write_xmm0,
    getregset_and_setregset_prstatus,
    // stops
    traceme_then_exec_stops_with_sigtrap,
    traceme_twice_is_eperm,
    cont_with_a_signal_delivers_it,
    cont_with_zero_suppresses_the_signal,
    cont_can_replace_the_signal,
    getsiginfo_describes_the_signal_and_setsiginfo_replaces_it,
    singlestep_counts_the_instructions_of_a_known_loop,
    singlestep_over_syscall_stops_right_after_it,
    ptrace_syscall_sees_a_known_sequence_of_calls,
    tracesysgood_marks_system_call_stops,
    tracefork_follows_the_child,
    traceexec_reports_the_event_and_no_sigtrap,
    traceexit_stops_before_exit_with_the_status,
    attach_stops_with_sigstop_and_detach_resumes,
    attach_and_request_errors,
    seize_interrupt_stops_a_running_tracee,
    exitkill_kills_the_tracee_when_the_tracer_exits,
    a_tracer_exit_without_exitkill_detaches,
    sigkill_ends_a_stopped_tracee,
    ptrace_kill_kills_the_tracee,
    a_traced_childs_real_parent_still_sees_its_exit,
    // process_vm_readv / writev
    process_vm_readv_gathers_and_scatters,
    process_vm_writev_writes_only_the_target_copy,
    process_vm_errors_and_partial_transfers,
];

const HELPERS: &[ftest::Helper] = helpers![exit_with];

pub fn main() {
    ftest::main_with_helpers("ptrace", CHECKS, HELPERS)
}

/// Helper: exit with the status given as the first argument.
fn exit_with(args: &[String]) -> i32 {
    args.first().and_then(|a| a.parse().ok()).unwrap_or(100)
}

// ---- Linux's numbers (include/uapi/linux/ptrace.h) ----

pub const TRACEME: i64 = 0;
pub const PEEKTEXT: i64 = 1;
pub const PEEKDATA: i64 = 2;
pub const PEEKUSER: i64 = 3;
pub const POKETEXT: i64 = 4;
pub const POKEDATA: i64 = 5;
pub const POKEUSER: i64 = 6;
pub const CONT: i64 = 7;
pub const KILL: i64 = 8;
pub const SINGLESTEP: i64 = 9;
pub const GETREGS: i64 = 12;
pub const SETREGS: i64 = 13;
pub const GETFPREGS: i64 = 14;
pub const SETFPREGS: i64 = 15;
pub const ATTACH: i64 = 16;
pub const DETACH: i64 = 17;
pub const SYSCALL: i64 = 24;
pub const SETOPTIONS: i64 = 0x4200;
pub const GETEVENTMSG: i64 = 0x4201;
pub const GETSIGINFO: i64 = 0x4202;
pub const SETSIGINFO: i64 = 0x4203;
pub const GETREGSET: i64 = 0x4204;
pub const SETREGSET: i64 = 0x4205;
pub const SEIZE: i64 = 0x4206;
pub const INTERRUPT: i64 = 0x4207;

pub const O_TRACESYSGOOD: u64 = 0x01;
pub const O_TRACEFORK: u64 = 0x02;
pub const O_TRACEEXEC: u64 = 0x10;
pub const O_TRACEEXIT: u64 = 0x40;
pub const O_EXITKILL: u64 = 0x10_0000;

pub const EVENT_FORK: i32 = 1;
pub const EVENT_EXEC: i32 = 4;
pub const EVENT_EXIT: i32 = 6;
pub const EVENT_STOP: i32 = 128;

pub const NT_PRSTATUS: u64 = 1;
pub const NT_PRFPREG: u64 = 2;

/// `struct user_regs_struct` (sys/user.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

/// Offsets in `struct user` of a few registers.
pub const OFF_RAX: u64 = 10 * 8;
pub const OFF_ORIG_RAX: u64 = 15 * 8;
pub const OFF_RIP: u64 = 16 * 8;
/// `u_debugreg[0]` in `struct user`, and the kernel's size of it (the C
/// library's is 912: the kernel's ends with error_code and fault_address).
pub const OFF_DEBUGREG: u64 = 848;
pub const USER_SIZE: u64 = 928;

// ---- raw calls ----

/// The raw ptrace system call (PEEK* store the word at `data`).
pub fn ptrace(req: i64, pid: libc::pid_t, addr: u64, data: u64) -> i64 {
    // SAFETY: the raw call; pointer arguments are the caller's business
    // (the checks pass valid ones, or bad ones on purpose).
    unsafe { libc::syscall(libc::SYS_ptrace, req, pid as i64, addr, data) }
}

/// `ptrace` that must succeed.
#[track_caller]
pub fn pt(req: i64, pid: libc::pid_t, addr: u64, data: u64, what: &str) -> Result<(), String> {
    sys(ptrace(req, pid, addr, data), what).map(|_| ())
}

/// PEEKDATA.
#[track_caller]
pub fn peek(pid: libc::pid_t, addr: u64) -> Result<u64, String> {
    let mut word = 0u64;
    pt(
        PEEKDATA,
        pid,
        addr,
        &mut word as *mut u64 as u64,
        "PTRACE_PEEKDATA",
    )?;
    Ok(word)
}

/// GETREGS.
#[track_caller]
pub fn get_regs(pid: libc::pid_t) -> Result<Regs, String> {
    let mut r = Regs::default();
    pt(
        GETREGS,
        pid,
        0,
        &mut r as *mut Regs as u64,
        "PTRACE_GETREGS",
    )?;
    Ok(r)
}

/// SETREGS, returning the raw result (the checks look at refusals).
pub fn set_regs_raw(pid: libc::pid_t, r: &Regs) -> i64 {
    ptrace(SETREGS, pid, 0, r as *const Regs as u64)
}

#[track_caller]
pub fn set_regs(pid: libc::pid_t, r: &Regs) -> Result<(), String> {
    sys(set_regs_raw(pid, r), "PTRACE_SETREGS").map(|_| ())
}

pub fn getpid() -> libc::pid_t {
    // SAFETY: no arguments.
    unsafe { libc::syscall(libc::SYS_getpid) as libc::pid_t }
}

pub fn kill(pid: libc::pid_t, sig: i32) -> i64 {
    // SAFETY: the checks only signal their own processes.
    unsafe { libc::syscall(libc::SYS_kill, pid as i64, sig as i64) }
}

/// Stop the calling process with SIGSTOP (a raw kill: nothing else runs
/// between the call and the stop).
pub fn stop_self() {
    kill(getpid(), libc::SIGSTOP);
}

/// waitpid(pid, &status, 0), retried on EINTR: the raw status.
#[track_caller]
pub fn wait_raw(pid: libc::pid_t) -> Result<i32, String> {
    let loc = std::panic::Location::caller();
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(status);
        }
        if r == -1 && errno() == libc::EINTR {
            continue;
        }
        return Err(format!(
            "{}:{}: waitpid({pid}) returned {r} ({})",
            loc.file(),
            loc.line(),
            if r == -1 { errname(errno()) } else { "?" }
        ));
    }
}

/// The signal of a stop status, None for anything else.
pub fn stop_sig(status: i32) -> Option<i32> {
    libc::WIFSTOPPED(status).then(|| libc::WSTOPSIG(status))
}

/// Wait for `pid` to report a stop with `sig` (WSTOPSIG, so with bit 7 for
/// TRACESYSGOOD and the event in `status >> 16`); returns the status.
#[track_caller]
pub fn expect_stop(pid: libc::pid_t, sig: i32) -> Result<i32, String> {
    let loc = std::panic::Location::caller();
    let status = wait_raw(pid)?;
    if stop_sig(status) != Some(sig) {
        return Err(format!(
            "{}:{}: pid {pid}: expected a stop with signal {sig}, got {} (status {status:#x})",
            loc.file(),
            loc.line(),
            WaitStatus::from_raw(status)
        ));
    }
    Ok(status)
}

/// The PTRACE_EVENT_* of a stop status.
pub fn event_of(status: i32) -> i32 {
    status >> 16
}

/// Wait for `pid` to end, continuing it (suppressing the signal) through
/// any stop on the way (SIGCHLD of its own children, say).
#[track_caller]
pub fn run_to_end(pid: libc::pid_t) -> Result<WaitStatus, String> {
    for _ in 0..1000 {
        let status = wait_raw(pid)?;
        if stop_sig(status).is_none() {
            return Ok(WaitStatus::from_raw(status));
        }
        pt(CONT, pid, 0, 0, "PTRACE_CONT")?;
    }
    Err(format!("pid {pid} keeps stopping"))
}

/// A child traced by us: it calls PTRACE_TRACEME, stops itself with
/// SIGSTOP (we wait for that stop) and then runs `body` when continued,
/// exiting with what it returns.
#[track_caller]
pub fn traced_child(body: impl FnOnce() -> i32) -> Result<libc::pid_t, String> {
    let pid = spawn(|| {
        if ptrace(TRACEME, 0, 0, 0) != 0 {
            return 120;
        }
        stop_self();
        body()
    })?;
    expect_stop(pid, libc::SIGSTOP)?;
    Ok(pid)
}

/// Resume with PTRACE_SYSCALL and wait for the next system-call stop
/// (SIGTRAP, or SIGTRAP | 0x80 with TRACESYSGOOD); its registers.
#[track_caller]
pub fn next_syscall_stop(pid: libc::pid_t) -> Result<Regs, String> {
    pt(SYSCALL, pid, 0, 0, "PTRACE_SYSCALL")?;
    let status = wait_raw(pid)?;
    match stop_sig(status) {
        Some(s) if s & 0x7f == libc::SIGTRAP => get_regs(pid),
        _ => Err(format!(
            "pid {pid}: expected a system-call stop, got {} (status {status:#x})",
            WaitStatus::from_raw(status)
        )),
    }
}

/// From a stop outside system calls, run `pid` with PTRACE_SYSCALL to the
/// entry of system call `nr` (enter and exit stops alternate); returns
/// its registers there.
#[track_caller]
pub fn run_to_syscall_entry(pid: libc::pid_t, nr: i64) -> Result<Regs, String> {
    for _ in 0..100 {
        let enter = next_syscall_stop(pid)?;
        if enter.orig_rax == nr as u64 {
            return Ok(enter);
        }
        next_syscall_stop(pid)?; // its exit
    }
    Err(format!("pid {pid} never entered system call {nr}"))
}

/// Wait until `fd` (a pipe's read end) has a byte, and take it.
pub fn wait_byte(fd: i32) -> Result<u8, String> {
    let mut b = [0u8; 1];
    match utests::fd::read_some(fd, &mut b)? {
        1 => Ok(b[0]),
        _ => Err("pipe closed before the byte came".into()),
    }
}
