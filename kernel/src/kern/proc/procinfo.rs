//! What `/proc` and the tools read about processes (NetBSD's kinfo_proc2
//! and Linux's task views): the program image recorded at exec, the fork
//! counter, and consistent snapshots of a process's place in the tree
//! (parent, group, session, life state) taken under the process lock.
//!
//! A snapshot holds counted references (the process, its thread, its
//! address space), so a reader may look at them at leisure without the
//! process lock; the process itself may exit meanwhile, and what the
//! snapshot shows is then simply the state at the time it was taken. A
//! process is named by its PID together with the time it started
//! (`ProcId`): a PID handed out again later names another process.
//!
//! This file only reads process state; it never changes the tree.

use super::proc::{Pid, Proc, ProcRef};
use super::ptable::{self, PState};
use crate::kern::sched::lwp::{self, LwpRef, Name};
use crate::kern::sched::sched::Stat;
use crate::uvm::object::ObjRef;
use crate::uvm::vmspace::Vmspace;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_abi::Errno;

/// The most argv bytes kept for `/proc/<pid>/cmdline` (Linux before 4.2
/// showed one page too); longer command lines are cut there.
pub const CMDLINE_MAX: usize = 4096;

/// The program a process runs, as recorded by exec (shared by a forked
/// child, which runs the same program).
#[derive(Debug)]
pub struct ExecImage {
    /// The path given to execve.
    pub path: Vec<u8>,
    /// The arguments, each followed by a NUL, at most `CMDLINE_MAX` bytes.
    pub cmdline: Vec<u8>,
    /// The program file's memory object: map entries backed by it are the
    /// program's own segments. Only compared, never dereferenced (the
    /// handle is not a reference: the entries hold those).
    pub object: ObjRef,
    /// The program file's device and inode numbers.
    pub dev: u64,
    pub ino: u64,
}

impl ExecImage {
    /// The record of an exec of `path` with `argv` (None if there is no
    /// memory for it: the process then simply shows no command line).
    pub fn new(path: &[u8], argv: &[Vec<u8>], object: ObjRef, dev: u64, ino: u64) -> Option<Self> {
        let mut cmdline = Vec::new();
        let total: usize = argv.iter().map(|a| a.len() + 1).sum();
        cmdline.try_reserve_exact(total.min(CMDLINE_MAX)).ok()?;
        for a in argv {
            let room = CMDLINE_MAX - cmdline.len();
            if room == 0 {
                break;
            }
            let n = a.len().min(room - 1);
            cmdline.extend_from_slice(&a[..n]);
            cmdline.push(0);
        }
        Some(ExecImage {
            path: absolute(path)?,
            cmdline,
            object,
            dev,
            ino,
        })
    }
}

/// `path` made absolute against the current directory (symbolic links
/// are not resolved: `/bin/tests/fork` stays so, where Linux shows the
/// file it leads to).
fn absolute(path: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if path.first() != Some(&b'/') {
        let (root, cwd) = crate::fs::namei::current_dirs();
        if let Ok(dir) = crate::fs::vfs_getcwd::path_of(&root, &cwd) {
            out = dir;
            if out.last() != Some(&b'/') {
                out.try_reserve(1).ok()?;
                out.push(b'/');
            }
        }
    }
    out.try_reserve_exact(path.len()).ok()?;
    out.extend_from_slice(path);
    Some(out)
}

/// Forks since boot (Linux's `processes` line, vmstat's forks).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Count a fork.
pub fn count_fork() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Forks since boot.
pub fn forks() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// A process's name for `/proc`: its PID and when it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcId {
    pub pid: Pid,
    pub start_tsc: u64,
}

/// Where a process is, as `ps` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Running or ready to run (R).
    Running,
    /// Sleeping (S).
    Sleeping,
    /// Stopped by job control (T).
    Stopped,
    /// Exited, not yet reaped (Z).
    Zombie,
}

impl RunState {
    /// Linux's state letter and word (`R (running)`).
    pub fn linux(self) -> (char, &'static str) {
        match self {
            RunState::Running => ('R', "running"),
            RunState::Sleeping => ('S', "sleeping"),
            RunState::Stopped => ('T', "stopped"),
            RunState::Zombie => ('Z', "zombie"),
        }
    }
}

/// A snapshot of one process.
pub struct ProcView {
    pub id: ProcId,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub state: RunState,
    /// The wait status of a zombie (0 otherwise).
    pub xstat: i32,
    pub proc: ProcRef,
    /// The thread (None once it is gone).
    pub lwp: Option<LwpRef>,
    /// The address space (None for a zombie).
    pub vmspace: Option<Arc<Vmspace>>,
    pub image: Option<Arc<ExecImage>>,
}

impl ProcView {
    /// The command name (the thread's name: the program's file name).
    pub fn name(&self) -> Name {
        self.lwp
            .as_ref()
            .map_or_else(|| Name::new(""), |l| l.name())
    }

    pub fn proc(&self) -> &Proc {
        &self.proc
    }
}

/// The snapshot of process `pid` (alive or zombie), None if there is none.
pub fn view(pid: Pid) -> Option<ProcView> {
    let (proc, ppid, pgid, sid, zombie, xstat) = {
        let t = ptable::lock();
        let s = t.get(pid)?;
        (
            s.proc.clone(),
            s.parent,
            s.pgid,
            s.sid,
            s.state == PState::Zombie,
            s.xstat,
        )
    };
    let lwp = proc.lwp();
    let state = if zombie {
        RunState::Zombie
    } else {
        match lwp.as_ref().map(|l| lwp::stat_of(l)) {
            Some(Stat::Sleeping) => RunState::Sleeping,
            Some(Stat::Stopped) => RunState::Stopped,
            Some(Stat::Zombie) | None => RunState::Zombie,
            Some(_) => RunState::Running,
        }
    };
    let vmspace = lwp.as_ref().and_then(|l| l.vmspace());
    let image = proc.image.lock().clone();
    Some(ProcView {
        id: ProcId {
            pid,
            start_tsc: proc.start_tsc.load(Ordering::Relaxed),
        },
        ppid,
        pgid,
        sid,
        state,
        xstat: if zombie { xstat } else { 0 },
        proc,
        lwp,
        vmspace,
        image,
    })
}

/// The snapshot of the process `id` names: ESRCH if that process is gone
/// (reaped, and maybe its PID given to another).
pub fn view_of(id: ProcId) -> Result<ProcView, Errno> {
    view(id.pid).filter(|v| v.id == id).ok_or(Errno::ESRCH)
}

/// The identity of process `pid`, if it exists.
pub fn id_of(pid: Pid) -> Option<ProcId> {
    let t = ptable::lock();
    let s = t.get(pid)?;
    Some(ProcId {
        pid,
        start_tsc: s.proc.start_tsc.load(Ordering::Relaxed),
    })
}

/// Every PID in use (processes alive or zombie), in increasing order.
pub fn pids() -> Result<Vec<Pid>, Errno> {
    // Reserve outside the process lock (a spin lock); processes forked
    // meanwhile beyond the slack are left out, as if they came later.
    let n = ptable::lock().nprocs();
    let mut out = Vec::new();
    out.try_reserve_exact(n + 16).map_err(|_| Errno::ENOMEM)?;
    {
        let t = ptable::lock();
        for (pid, _) in t.all() {
            if out.len() == out.capacity() {
                break;
            }
            out.push(pid);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Nanoseconds from boot to the start of process `p`.
pub fn start_ns(p: &Proc) -> u64 {
    use crate::arch::x86_64::tsc;
    use crate::kern::time::clock;
    let age = tsc::read().saturating_sub(p.start_tsc.load(Ordering::Relaxed));
    clock::uptime_ns().saturating_sub(clock::cycles_to_ns(age))
}
