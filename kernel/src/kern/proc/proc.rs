//! Processes (NetBSD's kern_proc.c): what a process owns and how it is
//! found.
//!
//! A process owns its thread (one: Ferrite has no user threads yet), its
//! descriptor table, its current directory, umask, resource limits and
//! signal dispositions. Its address space hangs off the thread (the switch
//! loads it). Processes come from their own pool (`procpl`) and are shared
//! through counted handles (`ProcRef`).
//!
//! The process tree (parent, children, zombies, process groups and
//! sessions) is kept in the PID table's slots (`pid`), under one spin
//! lock, the process lock; every link operation there is O(1).

use crate::fs::VnodeRef;
use crate::kern::file::FdTable;
use crate::kern::mem::pool_arc::{ArcPool, PoolArc};
use crate::kern::sched::lwp::LwpRef;
use crate::kern::sched::mutex::Mutex;
use crate::kern::sched::spinlock::SpinLock;
use crate::kern::sig::SigState;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use ferrite_abi::Rlimit;
use ferrite_abi::resource as rl;

pub use ferrite_pid::Pid;

/// A counted handle on a process.
pub type ProcRef = PoolArc<Proc>;

pub(super) static PROC_POOL: ArcPool<Proc> = ArcPool::new("procpl");

/// Resource limits indexed by `RLIMIT_*`.
pub const NLIMITS: usize = 16;

/// The default limits of the first process (Linux's defaults).
pub fn default_rlimits() -> [Rlimit; NLIMITS] {
    let inf = rl::RLIM_INFINITY;
    let mut l = [Rlimit {
        rlim_cur: inf,
        rlim_max: inf,
    }; NLIMITS];
    l[rl::RLIMIT_STACK as usize].rlim_cur = 8 << 20;
    l[rl::RLIMIT_NOFILE as usize] = Rlimit {
        rlim_cur: 1024,
        rlim_max: 4096,
    };
    l[rl::RLIMIT_CORE as usize].rlim_cur = 0;
    l[rl::RLIMIT_MEMLOCK as usize] = Rlimit {
        rlim_cur: 8 << 20,
        rlim_max: 8 << 20,
    };
    l[rl::RLIMIT_NPROC as usize] = Rlimit {
        rlim_cur: 8192,
        rlim_max: 8192,
    };
    l
}

pub struct Proc {
    /// The PID, set once when the process enters the table.
    pid: AtomicU32,
    /// The parent's PID: a copy of the process table's link, written with
    /// the table locked (`ptable::link_child`), read without (getppid).
    ppid: AtomicU32,
    /// The process's thread (None once reaped).
    pub(super) lwp: SpinLock<Option<LwpRef>>,
    /// Signal dispositions and process-directed pending signals
    /// (interrupt-safe: timers post signals from the clock interrupt).
    pub sig: SpinLock<SigState>,
    /// Interval timers (alarm, setitimer).
    pub itimers: SpinLock<crate::kern::sig::itimer::Itimers>,
    /// When the process started (TSC).
    pub start_tsc: AtomicU64,
    /// Open files (sleepable: file operations may sleep with it held).
    pub files: Mutex<FdTable>,
    /// Current directory.
    pub cwd: SpinLock<VnodeRef>,
    pub umask: AtomicU32,
    pub rlimits: SpinLock<[Rlimit; NLIMITS]>,
    /// A vfork child whose parent waits for it to exec or exit.
    vfork_parent_waits: AtomicBool,
    /// Capabilities (root's, less what capset dropped).
    pub caps: super::cap::Caps,
    /// The program it runs, as exec recorded it (`/proc`).
    pub image: SpinLock<Option<alloc::sync::Arc<super::procinfo::ExecImage>>>,
    /// ptrace: this process as a tracee and as a tracer.
    pub ptrace: crate::kern::ptrace::Ptrace,
}

impl Proc {
    /// A new process (no PID yet, no thread yet).
    pub(super) fn new(
        files: FdTable,
        cwd: VnodeRef,
        umask: u32,
        rlimits: [Rlimit; NLIMITS],
        sig: SigState,
    ) -> Option<ProcRef> {
        PROC_POOL.get(
            Proc {
                pid: AtomicU32::new(0),
                ppid: AtomicU32::new(0),
                lwp: SpinLock::new("proc-lwp", None),
                sig: SpinLock::new("proc-sig", sig),
                itimers: SpinLock::new("proc-itimers", Default::default()),
                start_tsc: AtomicU64::new(crate::arch::x86_64::tsc::read()),
                files: Mutex::new("files", files),
                cwd: SpinLock::new("proc-cwd", cwd),
                umask: AtomicU32::new(umask),
                rlimits: SpinLock::new("proc-rlimits", rlimits),
                vfork_parent_waits: AtomicBool::new(false),
                caps: super::cap::Caps::root(),
                image: SpinLock::new("proc-image", None),
                ptrace: crate::kern::ptrace::Ptrace::new(),
            },
            crate::kern::mem::pool::PoolFlags::WAITOK,
        )
    }

    /// A process for the kernel's ring-3 tests (no files, root directory).
    pub fn new_for_tests() -> Option<ProcRef> {
        Proc::new(
            FdTable::new(),
            crate::fs::root(),
            0o022,
            default_rlimits(),
            SigState::new(),
        )
    }

    /// The thread slot (tests, which make processes by hand).
    pub fn lwp_slot(&self) -> &SpinLock<Option<LwpRef>> {
        &self.lwp
    }

    pub fn pid(&self) -> Pid {
        self.pid.load(Ordering::Relaxed)
    }

    /// The parent's PID (0 for init and parentless test processes).
    pub fn ppid(&self) -> Pid {
        self.ppid.load(Ordering::Relaxed)
    }

    pub(super) fn set_ppid(&self, ppid: Pid) {
        self.ppid.store(ppid, Ordering::Relaxed);
    }

    pub(super) fn set_pid(&self, pid: Pid) {
        self.pid.store(pid, Ordering::Relaxed);
    }

    /// Mark a vfork child: its parent sleeps until `vfork_done`.
    pub(super) fn set_vfork(&self) {
        self.vfork_parent_waits.store(true, Ordering::Release);
    }

    /// True while a vfork parent waits for this child.
    pub(super) fn in_vfork(&self) -> bool {
        self.vfork_parent_waits.load(Ordering::Acquire)
    }

    /// The vfork child has exec'd or is exiting: its parent goes on.
    pub(super) fn vfork_done(&self) {
        if self.vfork_parent_waits.swap(false, Ordering::AcqRel) {
            crate::kern::sched::sleepq::wakeup(self.vfork_chan());
        }
    }

    /// The channel a vfork parent sleeps on.
    pub(super) fn vfork_chan(&self) -> usize {
        self as *const Proc as usize + 1
    }

    /// The wait channel parents sleep on for their children.
    pub fn wait_chan(&self) -> usize {
        self as *const Proc as usize
    }

    /// The process's thread, if it has not been reaped.
    pub fn lwp(&self) -> Option<LwpRef> {
        self.lwp.lock().clone()
    }

    pub fn cwd(&self) -> VnodeRef {
        self.cwd.lock().clone()
    }

    pub fn set_cwd(&self, v: VnodeRef) {
        *self.cwd.lock() = v;
    }

    pub fn umask(&self) -> u32 {
        self.umask.load(Ordering::Relaxed)
    }

    /// Set the umask; returns the old one.
    pub fn set_umask(&self, m: u32) -> u32 {
        self.umask.swap(m & 0o777, Ordering::Relaxed)
    }

    pub fn rlimit(&self, which: u32) -> Rlimit {
        self.rlimits.lock()[which as usize]
    }
}

impl core::fmt::Debug for Proc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "pid {}", self.pid())
    }
}

/// The running thread's process (None for kernel threads).
pub fn curproc_opt() -> Option<&'static Proc> {
    crate::kern::sched::curlwp().proc()
}

/// The running thread's process; only for code that runs on behalf of a
/// process (system calls): a kernel thread there is a kernel bug.
pub fn curproc() -> &'static Proc {
    curproc_opt().expect("curproc() in a kernel thread")
}
