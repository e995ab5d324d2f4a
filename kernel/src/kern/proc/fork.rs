//! fork, vfork and clone (NetBSD's kern_fork.c): a new process that is a
//! copy of the caller.
//!
//! The child gets a copy-on-write copy of the address space
//! (`Vmspace::fork`, by each entry's inheritance), the same open files
//! (shared offsets), the current directory, umask, resource limits, signal
//! dispositions and blocked mask (nothing pending), and the caller's
//! registers, FPU state and TLS bases, with rax = 0. vfork copies as fork
//! does, and its caller waits until the child execs or exits. clone is
//! accepted with the flags a C library uses for fork and posix_spawn: an
//! exit signal (SIGCHLD), optionally CLONE_CHILD_SETTID /
//! CLONE_CHILD_CLEARTID and a new stack, CLONE_VFORK (a fork whose caller
//! waits as vfork's), and CLONE_VM together with CLONE_VFORK: the child
//! runs in the caller's own address space (no copy at all) while the
//! caller sleeps, until it execs or exits (musl's posix_spawn, hence
//! Rust's `std::process::Command`). Anything else (threads, CLONE_VM
//! without CLONE_VFORK, namespaces) is refused with EINVAL and one log
//! line.
//!
//! Nothing here walks a list that grows with the number of processes: the
//! PID comes from the O(1) table and the child is linked into its
//! parent's children in O(1).

use super::proc::{Proc, curproc};
use super::ptable;
use crate::kern::sched::{curlwp, lwp};
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use core::sync::atomic::Ordering;
use ferrite_abi::resource::RLIMIT_NPROC;
use ferrite_abi::sched as cl;
use ferrite_abi::syscall as nr;

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(nr::SYS_fork, "fork", sys_fork, []),
    crate::sys!(nr::SYS_vfork, "vfork", sys_vfork, []),
    crate::sys!(
        nr::SYS_clone,
        "clone",
        sys_clone,
        [Arg::Hex, Arg::Hex, Arg::Hex, Arg::Hex, Arg::Hex]
    ),
];

/// fork(2).
pub fn sys_fork(ctx: &mut SyscallCtx<'_>) -> SysResult {
    fork1(ctx, 0, 0, false, 0)
}

/// vfork(2): a fork whose caller sleeps until the child execs or exits.
/// The child has its own copy of the address space (as fork), so the
/// wait is not needed for safety; it gives vfork's order (the child runs
/// first) and leaves the parent's memory untouched while the child
/// shares it copy-on-write (after the child's exec, the parent's first
/// writes find every amap and anon its own again: nothing is copied).
/// A signal ends the wait early.
pub fn sys_vfork(ctx: &mut SyscallCtx<'_>) -> SysResult {
    fork1(ctx, 0, 0, true, 0)
}

/// clone(flags, stack, parent_tid, child_tid, tls), fork flavour only
/// (see the module comment).
pub fn sys_clone(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let flags = ctx.arg(0);
    let exit_signal = flags & 0xff;
    let allowed =
        cl::CLONE_CHILD_SETTID | cl::CLONE_CHILD_CLEARTID | cl::CLONE_VFORK | cl::CLONE_VM;
    let extra = flags & !0xff & !allowed;
    let vm_without_vfork = flags & cl::CLONE_VM != 0 && flags & cl::CLONE_VFORK == 0;
    if extra != 0 || vm_without_vfork {
        log::warn!(
            "pid {}: clone({}) refused: only fork-style clone is supported (no threads)",
            curproc().pid(),
            ferrite_abi::sched::fmt_clone_flags(flags)
        );
        return Err(Errno::EINVAL);
    }
    if exit_signal != ferrite_abi::signal::SIGCHLD as u64 && exit_signal != 0 {
        log::warn!(
            "pid {}: clone with exit signal {exit_signal} refused (SIGCHLD only)",
            curproc().pid()
        );
        return Err(Errno::EINVAL);
    }
    let stack = ctx.arg(1);
    fork1(
        ctx,
        flags & allowed,
        ctx.arg(3),
        flags & cl::CLONE_VFORK != 0,
        stack,
    )
}

/// Make the child. `flags`: CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID,
/// with `child_tid` their address in the child, and CLONE_VM (only with
/// `vfork`: the caller's address space itself). `stack`: the child's
/// stack pointer, 0 to keep the caller's.
fn fork1(
    ctx: &mut SyscallCtx<'_>,
    flags: u64,
    child_tid: u64,
    vfork: bool,
    stack: u64,
) -> SysResult {
    let parent = curproc();
    let pl = curlwp();
    let limit = parent.rlimit(RLIMIT_NPROC).rlim_cur;
    if ptable::lock().nprocs() as u64 >= limit {
        return Err(Errno::EAGAIN);
    }
    let vs = pl.vmspace().ok_or(Errno::EINVAL)?;
    let child_vs = if flags & cl::CLONE_VM != 0 {
        debug_assert!(vfork, "CLONE_VM only with CLONE_VFORK");
        vs.clone()
    } else {
        vs.fork().map_err(|_| Errno::ENOMEM)?
    };
    let files = parent.files.lock().fork().map_err(|_| Errno::ENOMEM)?;
    let sig = parent.sig.lock().fork_copy();
    let rlimits = *parent.rlimits.lock();
    let child =
        Proc::new(files, parent.cwd(), parent.umask(), rlimits, sig).ok_or(Errno::ENOMEM)?;
    child.caps.copy_from(&parent.caps);
    let (pgid, sid) = {
        let t = ptable::lock();
        let s = t.get(parent.pid()).ok_or(Errno::ESRCH)?;
        (s.pgid, s.sid)
    };
    let pid = ptable::lock().insert(&child, parent.pid(), Some(pgid), Some(sid))?;
    let image = parent.image.lock().clone();
    *child.image.lock() = image;
    super::procinfo::count_fork();

    let mut frame = *ctx.frame;
    frame.rax = 0;
    if stack != 0 {
        frame.rsp = stack;
    }
    let name = pl.name();
    let l = match lwp::uthread_prepare(name.as_str(), child_vs.clone(), frame, Some(child.clone()))
    {
        Ok(l) => l,
        Err(_) => {
            let mut t = ptable::lock();
            t.get_mut(pid).expect("just inserted").state = ptable::PState::Zombie;
            t.push_zombie(pid);
            t.reap(pid);
            return Err(Errno::ENOMEM);
        }
    };
    // The child continues with the caller's registers: FPU state (saved
    // from the live registers), TLS bases, signal mask and stack.
    crate::arch::x86_64::fpu::save(&l.md.fpu);
    l.md.fs_base
        .store(pl.md.fs_base.load(Ordering::Relaxed), Ordering::Relaxed);
    l.md.gs_base
        .store(pl.md.gs_base.load(Ordering::Relaxed), Ordering::Relaxed);
    l.sig.set_mask(pl.sig.mask());
    l.sig.inner.lock().altstack = pl.sig.inner.lock().altstack;
    if flags & cl::CLONE_CHILD_CLEARTID != 0 {
        l.clear_child_tid.store(child_tid, Ordering::Relaxed);
    }
    if flags & cl::CLONE_CHILD_SETTID != 0 {
        // Written into the child's (copy-on-write) memory now.
        child_vs.activate();
        let r = crate::uvm::copy::copyout(child_tid, &pid.to_le_bytes());
        vs.activate();
        if r.is_err() {
            log::debug!("pid {pid}: CLONE_CHILD_SETTID address {child_tid:#x} is bad");
        }
    }
    *child.lwp.lock() = Some(l.clone());
    if vfork {
        child.set_vfork();
    }
    let traced = crate::kern::ptrace::fork_attach(parent, &child, vfork);
    lwp::start_thread(&l);
    crate::kern::ptrace::fork_event(ctx.frame, traced, pid);
    if vfork {
        let chan = child.vfork_chan();
        let _ = crate::kern::sched::sleepq::sleep_until(chan, true, None, || !child.in_vfork());
    }
    Ok(pid as usize)
}
