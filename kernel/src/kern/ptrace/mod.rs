//! ptrace (NetBSD's sys_process.c, Linux's semantics): one process (the
//! tracer) controls another (the tracee): it stops it at signals, system
//! calls, exec, fork and exit, reads and writes its registers and memory,
//! and resumes it.
//!
//! The parts:
//! - `sys_process`: the ptrace(2) requests (Linux x86_64 numbers, errno
//!   as Linux);
//! - `stop`: the tracee's side, the stops themselves and the one-line hooks
//!   the other subsystems call (signal delivery, system-call entry and
//!   exit, exec, fork, exit, SIGCONT/SIGKILL);
//! - `regs`: `user_regs_struct`, `user_fpregs_struct` and `struct user`
//!   over the user frame at the top of the tracee's kernel stack and its
//!   FPU save area;
//! - `wait`: what a tracer's wait4/waitid finds among its tracees (which
//!   need not be its children), and when a traced child's real parent may
//!   reap it;
//! - `procvm`: process_vm_readv/writev.
//!
//! Memory goes through `uvm::io` (map extraction into the kernel map), so
//! a write into a private copy-on-write page lands in the tracee's own amap.
//!
//! State. Every process carries a `Ptrace`: as a tracee, who traces it, the
//! options, the stop it is in (if any) and whether the tracer has seen it,
//! what the tracer asked for to end it, the event message and the siginfo
//! of the stop; as a tracer, how many tracees it has (so that wait looks at
//! the process table for tracees only when there are some). The state is
//! behind a spin lock per process; a few flags are mirrored in an atomic so
//! the system-call path tests "traced?" without a lock.
//!
//! A stop. The tracee publishes its user frame (at the top of its kernel
//! stack) and FPU state, records the stop, tells the tracer (SIGCHLD with
//! CLD_TRAPPED unless SA_NOCLDSTOP, and a wakeup of its wait channel) and
//! leaves the CPU (`lwp::stop_current`) until the tracer's resume request
//! (or a detach, or SIGKILL) has arrived, then takes back its frame, which
//! the tracer may have changed. The tracer may only touch the frame and the
//! FPU area while the stop lasts (requests check it under the lock), and
//! the tracee reads them back only after the stop ended.
//!
//! Lock order: the process-table lock, then a process's ptrace lock; never
//! two ptrace locks at once; while holding one, only leaf locks (a thread's
//! stack lock, to read or write its user frame).

pub mod procvm;
pub mod regs;
pub mod stop;
pub mod sys_process;
pub mod wait;

use crate::kern::proc::Pid;
use crate::kern::sched::spinlock::{SpinGuard, SpinLock};
use crate::kern::syscall::trace::Arg;
use core::sync::atomic::{AtomicU32, Ordering};
use ferrite_abi::Siginfo;

pub use stop::{
    exec_event, exit_event, fork_attach, fork_event, group_stop, in_trace_stop, pending_stop,
    signal_stop, syscall_enter, syscall_exit, tracee_exit, tracer_exit,
};
pub use wait::{parent_may_reap, scan as wait_scan};

/// The system calls of this module.
pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(
        ferrite_abi::syscall::SYS_ptrace,
        "ptrace",
        sys_process::sys_ptrace,
        [Arg::Int, Arg::Int, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        ferrite_abi::syscall::SYS_process_vm_readv,
        "process_vm_readv",
        procvm::sys_process_vm_readv,
        [Arg::Int, Arg::Hex, Arg::Int, Arg::Hex, Arg::Int, Arg::Hex]
    ),
    crate::sys!(
        ferrite_abi::syscall::SYS_process_vm_writev,
        "process_vm_writev",
        procvm::sys_process_vm_writev,
        [Arg::Int, Arg::Hex, Arg::Int, Arg::Hex, Arg::Int, Arg::Hex]
    ),
];

/// `Ptrace::flags` bits.
pub(crate) mod flag {
    /// The process is traced.
    pub const TRACED: u32 = 1;
    /// Stop at system-call entry and exit (PTRACE_SYSCALL).
    pub const SYSCALL: u32 = 2;
    /// Single-stepping (PTRACE_SINGLESTEP): a system call's exit reports
    /// the step.
    pub const STEP: u32 = 4;
}

/// What kind of stop the tracee is in (for GETSIGINFO and the resume).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    /// Signal-delivery-stop: the tracer decides about the signal.
    Signal,
    SyscallEnter,
    SyscallExit,
    /// PTRACE_EVENT_* stop.
    Event,
    /// Group-stop (a stop signal's default action).
    Group,
    /// PTRACE_INTERRUPT (or an auto-attached seized child's first stop).
    Interrupt,
}

/// A stop as the tracer's wait reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    pub kind: StopKind,
    /// WSTOPSIG: the signal, or SIGTRAP (| 0x80 for a system-call stop
    /// with PTRACE_O_TRACESYSGOOD).
    pub sig: i32,
    /// PTRACE_EVENT_* (status >> 16), 0 for none.
    pub event: i32,
}

impl Stop {
    /// The wait status: `0x7f | sig << 8 | event << 16`.
    pub fn status(&self) -> i32 {
        0x7f | ((self.sig & 0xff) << 8) | (self.event << 16)
    }
}

/// How the tracer ends a stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    Cont,
    Syscall,
    Step,
    Detach,
}

/// The tracer's resume request: how, and the signal to deliver (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resume {
    pub how: How,
    pub sig: i32,
}

/// The ptrace state of a process (see the module comment).
pub struct State {
    /// The tracer's PID (0: not traced).
    pub tracer: Pid,
    /// PTRACE_O_* options.
    pub options: i32,
    /// Attached with PTRACE_SEIZE.
    pub seized: bool,
    /// The stop the tracee is in.
    pub stop: Option<Stop>,
    /// The tracer's wait has reported `stop`.
    pub reported: bool,
    /// The tracer's request ending the stop.
    pub resume: Option<Resume>,
    /// PTRACE_INTERRUPT asked for a stop at the next return to user mode.
    pub interrupt: bool,
    /// TF in the user RFLAGS was set by PTRACE_SINGLESTEP (not by the
    /// program): cleared again by a resume that does not step, and hidden
    /// from GETREGS.
    pub forced_tf: bool,
    /// PTRACE_GETEVENTMSG.
    pub eventmsg: u64,
    /// The siginfo of the stop (GETSIGINFO/SETSIGINFO).
    pub siginfo: Siginfo,
    /// Debug registers as written with POKEUSER (no hardware breakpoint
    /// is armed: DR7 only accepts 0).
    pub debugreg: [u64; 8],
}

impl State {
    const fn new() -> State {
        State {
            tracer: 0,
            options: 0,
            seized: false,
            stop: None,
            reported: false,
            resume: None,
            interrupt: false,
            forced_tf: false,
            eventmsg: 0,
            siginfo: Siginfo {
                si_signo: 0,
                si_errno: 0,
                si_code: 0,
                _pad0: 0,
                _sifields: [0; 14],
            },
            debugreg: [0; 8],
        }
    }

    /// Forget everything about being traced (detach). A forced single
    /// step is remembered until the tracee takes its TF flag back off.
    fn clear(&mut self) {
        let (debugreg, forced_tf) = (self.debugreg, self.forced_tf);
        *self = State::new();
        self.debugreg = debugreg;
        self.forced_tf = forced_tf;
    }
}

/// A process's ptrace state, embedded in `Proc`.
pub struct Ptrace {
    /// `flag::*`, mirrored from the state for lock-free tests.
    flags: AtomicU32,
    /// Tracees of this process (as a tracer).
    ntracees: AtomicU32,
    state: SpinLock<State>,
}

impl Ptrace {
    pub const fn new() -> Ptrace {
        Ptrace {
            flags: AtomicU32::new(0),
            ntracees: AtomicU32::new(0),
            state: SpinLock::new("ptrace", State::new()),
        }
    }

    pub fn lock(&self) -> SpinGuard<'_, State> {
        self.state.lock()
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    fn set_flags(&self, f: u32) {
        self.flags.store(f, Ordering::Release);
    }

    /// True if the process is traced.
    pub fn is_traced(&self) -> bool {
        self.flags() & flag::TRACED != 0
    }

    /// True if the process traces others.
    pub fn is_tracer(&self) -> bool {
        self.ntracees.load(Ordering::Acquire) != 0
    }

    fn add_tracee(&self) {
        self.ntracees.fetch_add(1, Ordering::AcqRel);
    }

    fn remove_tracee(&self) {
        let _ = self
            .ntracees
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }
}

impl Default for Ptrace {
    fn default() -> Self {
        Self::new()
    }
}

/// True if `p` is traced (the signal code keeps ignored signals for it:
/// the tracer sees every signal but SIGKILL).
pub fn is_traced(p: &crate::kern::proc::Proc) -> bool {
    p.ptrace.is_traced()
}

/// Clear `p`'s tracee state (the caller holds its lock): it is no longer
/// traced. Returns the tracer it had, whose count the caller drops
/// (`release_tracer`, without holding a ptrace lock, or directly on the
/// tracer's own `Ptrace`).
fn untrace_locked(p: &crate::kern::proc::Proc, st: &mut State) -> Pid {
    let tracer = st.tracer;
    st.clear();
    p.ptrace.set_flags(0);
    tracer
}

/// Drop one tracee from the count of the tracer `tracer` (if it lives).
fn release_tracer(tracer: Pid) {
    if tracer == 0 {
        return;
    }
    if let Some(t) = crate::kern::proc::ptable::lock().find(tracer) {
        t.ptrace.remove_tracee();
        crate::kern::sched::sleepq::wakeup(t.wait_chan());
    }
}
