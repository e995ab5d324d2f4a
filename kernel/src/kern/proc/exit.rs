//! exit and wait (NetBSD's kern_exit.c).
//!
//! exit: the process gives back what it holds at once (its open files, its
//! current directory, its address space with its thread, its kernel stack
//! right after its last switch), its children go to init, and it becomes
//! a zombie: a small record with its wait status, queued on its parent's
//! zombie list. The parent gets SIGCHLD (ignored by default) and is woken.
//! A parent that set SIGCHLD to SIG_IGN, or SA_NOCLDWAIT, asked not to
//! keep zombies: the child leaves the process table as it exits, and its
//! thread is freed after its last switch.
//!
//! wait: a zombie child is found in O(1) (the first of the zombie list, or
//! by PID), unlinked and freed; the caller sleeps (interruptibly) on its
//! own wait channel until a child changes. Stopped and continued children
//! are reported for WUNTRACED / WCONTINUED.
//!
//! When init (PID 1) exits, the kernel says so on the console, in the form
//! the host runner reads (`ferrite: init exited with status N` or
//! `ferrite: init killed by signal N (NAME)`), and powers off.

use super::proc::{Pid, curproc};
use super::ptable::{self, Event, PState, PTable};
use crate::kern::sched::{curlwp, lwp, sleepq};
use crate::kern::sig::{SigInfo, post};
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy;
use core::sync::atomic::Ordering;
use ferrite_abi::sicode;
use ferrite_abi::signal as s;
use ferrite_abi::syscall as nr;
use ferrite_abi::wait::{self as w, WaitStatus};

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(nr::SYS_exit, "exit", sys_exit, [Arg::Int]),
    crate::sys!(nr::SYS_exit_group, "exit_group", sys_exit, [Arg::Int]),
    crate::sys!(
        nr::SYS_wait4,
        "wait4",
        sys_wait4,
        [Arg::Int, Arg::Hex, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_waitid,
        "waitid",
        sys_waitid,
        [Arg::Int, Arg::Int, Arg::Hex, Arg::Hex, Arg::Hex]
    ),
];

/// exit(2) / exit_group(2): one thread per process, so both end it. (A
/// thread of the kernel's ring-3 tests has no process: it just ends.)
pub fn sys_exit(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let ws = WaitStatus::exited(ctx.arg(0) as i32);
    if super::curproc_opt().is_none() {
        lwp::exit(ws.encode());
    }
    exit1(ws)
}

/// End the current process with wait status `ws`.
pub fn exit1(ws: WaitStatus) -> ! {
    crate::kern::ptrace::exit_event(&ws);
    let p = curproc();
    let l = curlwp();
    let status = ws.encode();
    if p.pid() == 1 && super::init::started() {
        init_died(ws);
    }
    crate::kern::ptrace::tracer_exit(p);
    // CLONE_CHILD_CLEARTID / set_tid_address: clear the word (best effort).
    let tid_addr = l.clear_child_tid.swap(0, Ordering::Relaxed);
    if tid_addr != 0 {
        let _ = copy::copyout(tid_addr, &0u32.to_le_bytes());
    }
    p.vfork_done();
    p.itimers.lock().stop();
    p.files.lock().close_all();
    p.set_cwd(crate::fs::root());

    let pid = p.pid();
    let (parent, init_woken, autoreaped) = {
        let mut t = ptable::lock();
        let reaper = super::init::reaper();
        let init_exists = reaper != 0 && t.get(reaper).is_some();
        let had_zombies = t.first_zombie(pid).is_some();
        t.reparent_children(pid, if init_exists { reaper } else { 0 });
        let parent = t.get(pid).expect("exiting process in the table").parent;
        let no_zombie = t.find(parent).is_some_and(|pp| {
            let a = pp.sig.lock().action(s::SIGCHLD);
            a.is_ignore() || a.flags & s::SA_NOCLDWAIT != 0
        });
        let slot = t.get_mut(pid).expect("exiting process");
        slot.state = PState::Zombie;
        slot.xstat = status;
        slot.event = Event::None;
        let autoreaped = if no_zombie {
            // The parent wants no zombie: the process leaves the table now
            // (its PID is free, kill finds nothing) and its thread is
            // freed after its last switch, with nobody to join it.
            t.remove_exiting(pid)
        } else {
            t.push_zombie(pid);
            None
        };
        (
            t.find(parent),
            had_zombies || (parent == reaper && reaper != 0),
            autoreaped,
        )
    };
    if let Some(me) = &autoreaped {
        // Break the process <-> thread reference cycle `wait` breaks
        // for zombies.
        drop(me.lwp.lock().take());
        l.detach();
    }
    crate::kern::ptrace::tracee_exit(p, status, autoreaped.is_some());
    if let Some(pp) = &parent {
        let (code, st) = match ws {
            WaitStatus::Signaled { sig, core } => (
                if core {
                    sicode::CLD_DUMPED
                } else {
                    sicode::CLD_KILLED
                },
                sig as i32,
            ),
            WaitStatus::Exited(c) => (sicode::CLD_EXITED, c as i32),
            _ => (sicode::CLD_EXITED, 0),
        };
        post(
            pp,
            SigInfo {
                signo: s::SIGCHLD,
                code,
                pid,
                uid: 0,
                status: st,
                addr: 0,
            },
        );
        sleepq::wakeup(pp.wait_chan());
    }
    let reaper = super::init::reaper();
    if init_woken
        && reaper != 0
        && let Some(init) = ptable::lock().find(reaper)
    {
        sleepq::wakeup(init.wait_chan());
    }
    // lwp::exit never returns: nothing held in this frame may outlive it.
    drop(parent);
    drop(autoreaped);
    lwp::exit(status)
}

/// PID 1 is gone: say how, and power off.
fn init_died(ws: WaitStatus) -> ! {
    use crate::arch::x86_64::qemu::{ExitCode, exit};
    crate::kern::prof::dump();
    match ws {
        WaitStatus::Exited(c) => {
            crate::kprintln!("ferrite: init exited with status {c}");
            if super::init::wants_vmstat() {
                crate::kern::mem::vmstat::print();
            }
            exit(if c == 0 {
                ExitCode::Success
            } else {
                ExitCode::Failure
            })
        }
        WaitStatus::Signaled { sig, .. } => {
            crate::kprintln!(
                "ferrite: init killed by signal {sig} ({})",
                s::signal_name(sig as i32).unwrap_or("?")
            );
            exit(ExitCode::Failure)
        }
        _ => exit(ExitCode::Failure),
    }
}

/// Which children a wait looks at.
#[derive(Clone, Copy)]
enum Which {
    Any,
    Pid(Pid),
    Pgrp(Pid),
}

impl Which {
    fn matches(self, t: &PTable, child: Pid) -> bool {
        match self {
            Which::Any => true,
            Which::Pid(p) => p == child,
            Which::Pgrp(g) => t.get(child).is_some_and(|s| s.pgid == g),
        }
    }
}

/// What a wait found.
struct Found {
    pid: Pid,
    status: i32,
    /// si_code for waitid.
    code: i32,
    /// si_status for waitid.
    si_status: i32,
}

enum Outcome {
    Found(Found),
    NotYet,
    NoChildren,
}

/// Look for a child that matches and has something to report; reap it
/// (unless `keep`) when it is a zombie.
fn find_child(me: Pid, which: Which, options: i32, keep: bool) -> Outcome {
    use crate::kern::ptrace::parent_may_reap;
    let mut t = ptable::lock();
    // A tracer's tracees first (they need not be its children).
    let matches = |t: &PTable, c: Pid| which.matches(t, c);
    let traced = crate::kern::ptrace::wait_scan(&mut t, curproc(), &matches, options, keep);
    if let Some(r) = traced.found {
        return Outcome::Found(Found {
            pid: r.pid,
            status: r.status,
            code: r.code,
            si_status: r.si_status,
        });
    }
    let none = if traced.any {
        Outcome::NotYet
    } else {
        Outcome::NoChildren
    };
    if !t.has_children(me) {
        return none;
    }
    if let Which::Pid(p) = which
        && t.get(p).is_none_or(|s| s.parent != me)
    {
        return none;
    }
    if let Which::Pgrp(_) = which
        && !t.children(me).any(|c| which.matches(&t, c))
    {
        return none;
    }
    // A zombie whose exit a tracer (not its parent) has yet to report
    // stays hidden from the parent until then.
    let zombie = match which {
        Which::Any => t.zombies(me).find(|&z| parent_may_reap(&t, z)),
        Which::Pid(p) => (t.get(p).is_some_and(|s| s.state == PState::Zombie)
            && parent_may_reap(&t, p))
        .then_some(p),
        Which::Pgrp(_) => t
            .zombies(me)
            .find(|&c| which.matches(&t, c) && parent_may_reap(&t, c)),
    };
    if options & w::WEXITED != 0
        && let Some(z) = zombie
    {
        let status = t.get(z).expect("zombie").xstat;
        let (code, si_status) = match WaitStatus::decode(status) {
            Some(WaitStatus::Exited(c)) => (sicode::CLD_EXITED, c as i32),
            Some(WaitStatus::Signaled { sig, core }) => (
                if core {
                    sicode::CLD_DUMPED
                } else {
                    sicode::CLD_KILLED
                },
                sig as i32,
            ),
            _ => (sicode::CLD_EXITED, 0),
        };
        let found = Found {
            pid: z,
            status,
            code,
            si_status,
        };
        if !keep {
            let proc = t.reap(z);
            drop(t);
            // Take the thread out first: the lock guard must not live
            // across join, which may sleep.
            let l = proc.and_then(|p| p.lwp.lock().take());
            if let Some(l) = l {
                lwp::join(l);
            }
        }
        return Outcome::Found(found);
    }
    // Job-control events (stops, continues) of live children.
    if options & (w::WUNTRACED | w::WCONTINUED) != 0 {
        let mut next = t.first_child(me);
        while let Some(c) = next {
            next = t.next_sibling(c);
            if !which.matches(&t, c) {
                continue;
            }
            let slot = t.get_mut(c).expect("child");
            match slot.event {
                Event::Stopped(sig) if options & w::WUNTRACED != 0 => {
                    if !keep {
                        slot.event = Event::None;
                    }
                    return Outcome::Found(Found {
                        pid: c,
                        status: WaitStatus::Stopped(sig as u8).encode(),
                        code: sicode::CLD_STOPPED,
                        si_status: sig,
                    });
                }
                Event::Continued if options & w::WCONTINUED != 0 => {
                    if !keep {
                        slot.event = Event::None;
                    }
                    return Outcome::Found(Found {
                        pid: c,
                        status: WaitStatus::Continued.encode(),
                        code: sicode::CLD_CONTINUED,
                        si_status: s::SIGCONT,
                    });
                }
                _ => {}
            }
        }
    }
    Outcome::NotYet
}

/// The common wait loop: find, or sleep until a child changes.
fn wait_common(which: Which, options: i32, keep: bool) -> Result<Option<Found>, Errno> {
    let me = curproc();
    loop {
        match find_child(me.pid(), which, options, keep) {
            Outcome::Found(f) => return Ok(Some(f)),
            Outcome::NoChildren => return Err(Errno::ECHILD),
            Outcome::NotYet if options & w::WNOHANG != 0 => return Ok(None),
            Outcome::NotYet => {}
        }
        // Sleep until something changes (a wakeup of our channel), then
        // look again.
        let t = sleepq::prepare(me.wait_chan(), true, None);
        if !matches!(find_child(me.pid(), which, options, true), Outcome::NotYet) {
            t.cancel();
            continue;
        }
        if t.block().is_err() {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

const WAIT4_OPTIONS: i32 =
    w::WNOHANG | w::WUNTRACED | w::WCONTINUED | w::__WALL | w::__WCLONE | w::__WNOTHREAD;

/// wait4(pid, status, options, rusage)
pub fn sys_wait4(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let pid = ctx.arg(0) as i32;
    let (status_ptr, options, rusage_ptr) = (ctx.arg(1), ctx.arg(2) as i32, ctx.arg(3));
    if options & !WAIT4_OPTIONS != 0 {
        return Err(Errno::EINVAL);
    }
    let me = curproc();
    let which = match pid {
        -1 => Which::Any,
        0 => Which::Pgrp(ptable::lock().get(me.pid()).map_or(0, |s| s.pgid)),
        p if p > 0 => Which::Pid(p as Pid),
        i32::MIN => return Err(Errno::ESRCH),
        p => Which::Pgrp(p.unsigned_abs()),
    };
    match wait_common(which, options | w::WEXITED, false)? {
        None => Ok(0),
        Some(f) => {
            // Linux reaps first and then reports a bad pointer: the
            // status is lost.
            if status_ptr != 0 {
                copy::copyout(status_ptr, &f.status.to_le_bytes()).map_err(|_| Errno::EFAULT)?;
            }
            if rusage_ptr != 0 {
                copy::copyout(rusage_ptr, &ferrite_abi::Rusage::default().to_bytes())
                    .map_err(|_| Errno::EFAULT)?;
            }
            Ok(f.pid as usize)
        }
    }
}

/// waitid(idtype, id, infop, options, rusage)
pub fn sys_waitid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (idtype, id, infop, options, rusage_ptr) = (
        ctx.arg(0) as u32,
        ctx.arg(1) as i32,
        ctx.arg(2),
        ctx.arg(3) as i32,
        ctx.arg(4),
    );
    let all = w::WNOHANG
        | w::WEXITED
        | w::WSTOPPED
        | w::WCONTINUED
        | w::WNOWAIT
        | w::__WALL
        | w::__WCLONE
        | w::__WNOTHREAD;
    if options & !all != 0 || options & (w::WEXITED | w::WSTOPPED | w::WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let me = curproc();
    let which = match idtype {
        w::P_ALL => Which::Any,
        w::P_PID if id > 0 => Which::Pid(id as Pid),
        w::P_PGID if id > 0 => Which::Pgrp(id as Pid),
        w::P_PGID if id == 0 => Which::Pgrp(ptable::lock().get(me.pid()).map_or(0, |s| s.pgid)),
        _ => return Err(Errno::EINVAL),
    };
    let keep = options & w::WNOWAIT != 0;
    let found = wait_common(which, options, keep)?;
    if infop != 0 {
        let info = match &found {
            Some(f) => ferrite_abi::Siginfo::child(f.code, f.pid as i32, 0, f.si_status, 0, 0),
            None => ferrite_abi::Siginfo::default(),
        };
        copy::copyout(infop, &info.to_bytes()).map_err(|_| Errno::EFAULT)?;
    }
    if rusage_ptr != 0 {
        copy::copyout(rusage_ptr, &ferrite_abi::Rusage::default().to_bytes())
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(0)
}
