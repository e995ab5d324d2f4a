//! ptrace(2) requests, options and events (include/uapi/linux/ptrace.h,
//! x86's asm/ptrace-abi.h), the register-set note types PTRACE_GETREGSET
//! takes (`NT_*`, include/uapi/linux/elf.h) and the offsets into
//! `struct user` that PTRACE_PEEKUSER/POKEUSER address.

use crate::flagfmt::{Flags, Named, names};

/// Let the parent trace this process.
pub const PTRACE_TRACEME: u32 = 0;
/// Read a word of text.
pub const PTRACE_PEEKTEXT: u32 = 1;
/// Read a word of data.
pub const PTRACE_PEEKDATA: u32 = 2;
/// Read a word of `struct user`.
pub const PTRACE_PEEKUSER: u32 = 3;
/// Write a word of text.
pub const PTRACE_POKETEXT: u32 = 4;
/// Write a word of data.
pub const PTRACE_POKEDATA: u32 = 5;
/// Write a word of `struct user`.
pub const PTRACE_POKEUSER: u32 = 6;
/// Resume.
pub const PTRACE_CONT: u32 = 7;
/// Kill the tracee.
pub const PTRACE_KILL: u32 = 8;
/// Resume for one instruction.
pub const PTRACE_SINGLESTEP: u32 = 9;
/// Read the general registers (`user_regs_struct`).
pub const PTRACE_GETREGS: u32 = 12;
/// Write the general registers.
pub const PTRACE_SETREGS: u32 = 13;
/// Read the FPU registers (`user_fpregs_struct`).
pub const PTRACE_GETFPREGS: u32 = 14;
/// Write the FPU registers.
pub const PTRACE_SETFPREGS: u32 = 15;
/// Attach (sends SIGSTOP).
pub const PTRACE_ATTACH: u32 = 16;
/// Detach.
pub const PTRACE_DETACH: u32 = 17;
/// Read the extended FPU registers (32-bit only).
pub const PTRACE_GETFPXREGS: u32 = 18;
/// Write the extended FPU registers (32-bit only).
pub const PTRACE_SETFPXREGS: u32 = 19;
/// Resume until the next system-call entry or exit.
pub const PTRACE_SYSCALL: u32 = 24;
/// Read a TLS descriptor (32-bit).
pub const PTRACE_GET_THREAD_AREA: u32 = 25;
/// Write a TLS descriptor (32-bit).
pub const PTRACE_SET_THREAD_AREA: u32 = 26;
/// arch_prctl on the tracee.
pub const PTRACE_ARCH_PRCTL: u32 = 30;
/// Resume, stopping at system calls without running them.
pub const PTRACE_SYSEMU: u32 = 31;
/// PTRACE_SYSEMU with single-stepping.
pub const PTRACE_SYSEMU_SINGLESTEP: u32 = 32;
/// Resume until the next branch.
pub const PTRACE_SINGLEBLOCK: u32 = 33;
/// Set the PTRACE_O_* options.
pub const PTRACE_SETOPTIONS: u32 = 0x4200;
/// Read the message of the last event (new PID, exit status, ...).
pub const PTRACE_GETEVENTMSG: u32 = 0x4201;
/// Read the siginfo of the stop.
pub const PTRACE_GETSIGINFO: u32 = 0x4202;
/// Write the siginfo of the stop.
pub const PTRACE_SETSIGINFO: u32 = 0x4203;
/// Read a register set (`NT_*` in `addr`, an iovec in `data`).
pub const PTRACE_GETREGSET: u32 = 0x4204;
/// Write a register set.
pub const PTRACE_SETREGSET: u32 = 0x4205;
/// Attach without stopping.
pub const PTRACE_SEIZE: u32 = 0x4206;
/// Stop a seized tracee.
pub const PTRACE_INTERRUPT: u32 = 0x4207;
/// Leave a group stop listening for events.
pub const PTRACE_LISTEN: u32 = 0x4208;
/// Read queued siginfos without removing them.
pub const PTRACE_PEEKSIGINFO: u32 = 0x4209;
/// Read the signal mask.
pub const PTRACE_GETSIGMASK: u32 = 0x420a;
/// Write the signal mask.
pub const PTRACE_SETSIGMASK: u32 = 0x420b;
/// Read a seccomp filter.
pub const PTRACE_SECCOMP_GET_FILTER: u32 = 0x420c;
/// Read seccomp filter metadata.
pub const PTRACE_SECCOMP_GET_METADATA: u32 = 0x420d;
/// Read the system call the tracee is stopped in.
pub const PTRACE_GET_SYSCALL_INFO: u32 = 0x420e;
/// Read the rseq configuration.
pub const PTRACE_GET_RSEQ_CONFIGURATION: u32 = 0x420f;
/// Write the syscall-user-dispatch configuration.
pub const PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG: u32 = 0x4210;
/// Read the syscall-user-dispatch configuration.
pub const PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG: u32 = 0x4211;

/// Syscall stops report SIGTRAP | 0x80.
pub const PTRACE_O_TRACESYSGOOD: i32 = 0x01;
/// Stop at fork and trace the child.
pub const PTRACE_O_TRACEFORK: i32 = 0x02;
/// Stop at vfork and trace the child.
pub const PTRACE_O_TRACEVFORK: i32 = 0x04;
/// Stop at clone and trace the child.
pub const PTRACE_O_TRACECLONE: i32 = 0x08;
/// Stop at exec.
pub const PTRACE_O_TRACEEXEC: i32 = 0x10;
/// Stop when a vfork child releases the parent.
pub const PTRACE_O_TRACEVFORKDONE: i32 = 0x20;
/// Stop before exit.
pub const PTRACE_O_TRACEEXIT: i32 = 0x40;
/// Stop at seccomp SECCOMP_RET_TRACE.
pub const PTRACE_O_TRACESECCOMP: i32 = 0x80;
/// Kill the tracee when the tracer exits.
pub const PTRACE_O_EXITKILL: i32 = 0x10_0000;
/// Suspend the tracee's seccomp filters.
pub const PTRACE_O_SUSPEND_SECCOMP: i32 = 0x20_0000;
/// All valid options.
pub const PTRACE_O_MASK: i32 = 0x0030_00ff;

/// Event: fork.
pub const PTRACE_EVENT_FORK: i32 = 1;
/// Event: vfork.
pub const PTRACE_EVENT_VFORK: i32 = 2;
/// Event: clone.
pub const PTRACE_EVENT_CLONE: i32 = 3;
/// Event: exec.
pub const PTRACE_EVENT_EXEC: i32 = 4;
/// Event: vfork child released the parent.
pub const PTRACE_EVENT_VFORK_DONE: i32 = 5;
/// Event: about to exit.
pub const PTRACE_EVENT_EXIT: i32 = 6;
/// Event: seccomp.
pub const PTRACE_EVENT_SECCOMP: i32 = 7;
/// Event: group stop of a seized tracee.
pub const PTRACE_EVENT_STOP: i32 = 128;

/// Register set: general registers (`user_regs_struct`).
pub const NT_PRSTATUS: i32 = 1;
/// Register set: FPU registers (`user_fpregs_struct`).
pub const NT_PRFPREG: i32 = 2;
/// Register set: XSAVE area.
pub const NT_X86_XSTATE: i32 = 0x202;

/// Offset of `regs` (a `user_regs_struct`) in `struct user`.
pub const USER_REGS_OFFSET: usize = 0;
/// Offset of `u_debugreg[8]` in `struct user` (PEEKUSER of debug
/// registers).
pub const USER_DEBUGREG_OFFSET: usize = 848;
/// Size of `struct user`.
pub const USER_SIZE: usize = 912;

const REQUEST_NAMES: &[(i64, &str)] = names!(i64;
    PTRACE_TRACEME, PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSER, PTRACE_POKETEXT,
    PTRACE_POKEDATA, PTRACE_POKEUSER, PTRACE_CONT, PTRACE_KILL, PTRACE_SINGLESTEP,
    PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_GETFPREGS, PTRACE_SETFPREGS, PTRACE_ATTACH,
    PTRACE_DETACH, PTRACE_GETFPXREGS, PTRACE_SETFPXREGS, PTRACE_SYSCALL, PTRACE_GET_THREAD_AREA,
    PTRACE_SET_THREAD_AREA, PTRACE_ARCH_PRCTL, PTRACE_SYSEMU, PTRACE_SYSEMU_SINGLESTEP,
    PTRACE_SINGLEBLOCK, PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG, PTRACE_GETSIGINFO,
    PTRACE_SETSIGINFO, PTRACE_GETREGSET, PTRACE_SETREGSET, PTRACE_SEIZE, PTRACE_INTERRUPT,
    PTRACE_LISTEN, PTRACE_PEEKSIGINFO, PTRACE_GETSIGMASK, PTRACE_SETSIGMASK,
    PTRACE_SECCOMP_GET_FILTER, PTRACE_SECCOMP_GET_METADATA, PTRACE_GET_SYSCALL_INFO,
    PTRACE_GET_RSEQ_CONFIGURATION, PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG,
    PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG);

/// A ptrace request, e.g. `PTRACE_GETREGS` (hex if unknown).
pub fn fmt_ptrace_request(req: u32) -> Named {
    Named::new(req as i64, REQUEST_NAMES).hex()
}

const OPTION_NAMES: &[(u64, &str)] = names!(bits32;
    PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK, PTRACE_O_TRACECLONE,
    PTRACE_O_TRACEEXEC, PTRACE_O_TRACEVFORKDONE, PTRACE_O_TRACEEXIT, PTRACE_O_TRACESECCOMP,
    PTRACE_O_EXITKILL, PTRACE_O_SUSPEND_SECCOMP);

/// ptrace options, e.g. `PTRACE_O_TRACESYSGOOD|PTRACE_O_TRACEFORK`.
pub fn fmt_ptrace_options(options: i32) -> Flags {
    Flags::new(options as u32 as u64, OPTION_NAMES, "0")
}

const EVENT_NAMES: &[(i64, &str)] = names!(i64;
    PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC,
    PTRACE_EVENT_VFORK_DONE, PTRACE_EVENT_EXIT, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP);

/// A ptrace event, e.g. `PTRACE_EVENT_EXEC`.
pub fn fmt_ptrace_event(event: i32) -> Named {
    Named::new(event as i64, EVENT_NAMES)
}

const NT_NAMES: &[(i64, &str)] = names!(i64; NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE);

/// A register-set type, e.g. `NT_PRSTATUS` (hex if unknown).
pub fn fmt_nt_type(nt: i32) -> Named {
    Named::new(nt as i64, NT_NAMES).hex()
}
