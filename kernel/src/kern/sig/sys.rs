//! The signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
//! sigaltstack, kill, tkill and tgkill, with Linux's arguments and errors.

use super::{SigAction, SigInfo, post, post_lwp};
use crate::kern::proc::{self, ptable};
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::uvm::copy;
use ferrite_abi::signal::{self as s, SigSet};
use ferrite_abi::syscall as nr;
use ferrite_abi::{KernelSigaction, StackT};

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(nr::SYS_rt_sigaction, "rt_sigaction", sys_rt_sigaction, [Arg::Signal, Arg::Hex, Arg::Hex, Arg::Int]),
    crate::sys!(nr::SYS_rt_sigprocmask, "rt_sigprocmask", sys_rt_sigprocmask, [Arg::Int, Arg::Hex, Arg::Hex, Arg::Int]),
    crate::sys!(nr::SYS_rt_sigpending, "rt_sigpending", sys_rt_sigpending, [Arg::Hex, Arg::Int]),
    crate::sys!(nr::SYS_sigaltstack, "sigaltstack", sys_sigaltstack, [Arg::Hex, Arg::Hex]),
    crate::sys!(nr::SYS_kill, "kill", sys_kill, [Arg::Int, Arg::Signal]),
    crate::sys!(nr::SYS_tkill, "tkill", sys_tkill, [Arg::Int, Arg::Signal]),
    crate::sys!(nr::SYS_tgkill, "tgkill", sys_tgkill, [Arg::Int, Arg::Int, Arg::Signal]),
];

const SIGSET_SIZE: u64 = 8;

fn fault(_: crate::kern::error::KernError) -> Errno {
    Errno::EFAULT
}

fn valid(sig: i64) -> bool {
    (1..=64).contains(&sig)
}

/// rt_sigaction(sig, act, oldact, sigsetsize)
pub fn sys_rt_sigaction(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let sig = ctx.arg(0) as i64;
    let (act_ptr, old_ptr) = (ctx.arg(1), ctx.arg(2));
    if ctx.arg(3) != SIGSET_SIZE || !valid(sig) {
        return Err(Errno::EINVAL);
    }
    let sig = sig as i32;
    let new = if act_ptr != 0 {
        if sig == s::SIGKILL || sig == s::SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; KernelSigaction::SIZE];
        copy::copyin(&mut b, act_ptr).map_err(fault)?;
        let k = KernelSigaction::from_bytes(&b);
        Some(SigAction {
            handler: k.sa_handler,
            flags: k.sa_flags,
            restorer: k.sa_restorer,
            mask: SigSet(k.sa_mask).blockable(),
        })
    } else {
        None
    };
    let p = proc::curproc();
    let old = {
        let mut st = p.sig.lock();
        let old = st.action(sig);
        if let Some(a) = new {
            st.actions[sig as usize - 1] = a;
            // Setting a pending signal to be ignored discards it (POSIX).
            if super::ignored(sig, &a) {
                st.pending.discard(SigSet::single(sig));
            }
        }
        old
    };
    if let Some(a) = new
        && super::ignored(sig, &a)
        && let Some(l) = p.lwp()
    {
        l.sig.inner.lock().pending.discard(SigSet::single(sig));
    }
    if old_ptr != 0 {
        let k = KernelSigaction {
            sa_handler: old.handler,
            sa_flags: old.flags,
            sa_restorer: old.restorer,
            sa_mask: old.mask.bits(),
        };
        copy::copyout(old_ptr, &k.to_bytes()).map_err(fault)?;
    }
    Ok(0)
}

/// rt_sigprocmask(how, set, oldset, sigsetsize)
pub fn sys_rt_sigprocmask(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (how, set_ptr, old_ptr) = (ctx.arg(0) as i32, ctx.arg(1), ctx.arg(2));
    if ctx.arg(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let l = crate::kern::sched::curlwp();
    let old = l.sig.mask();
    if set_ptr != 0 {
        let set = SigSet(copy::copyin_u64(set_ptr).map_err(fault)?);
        let new = old.apply(how, set).ok_or(Errno::EINVAL)?;
        l.sig.set_mask(new);
        if let Some(p) = l.proc() {
            super::notify(p, l);
        }
    } else if !(0..=2).contains(&how) && old_ptr == 0 {
        // Linux checks `how` only when a set is given.
    }
    if old_ptr != 0 {
        copy::copyout_u64(old_ptr, old.bits()).map_err(fault)?;
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize)
pub fn sys_rt_sigpending(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(1) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let p = proc::curproc();
    let l = crate::kern::sched::curlwp();
    let pending = p
        .sig
        .lock()
        .pending
        .set
        .union(l.sig.inner.lock().pending.set)
        .intersection(l.sig.mask());
    copy::copyout_u64(ctx.arg(0), pending.bits()).map_err(fault)?;
    Ok(0)
}

/// sigaltstack(ss, old_ss)
pub fn sys_sigaltstack(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (ss_ptr, old_ptr) = (ctx.arg(0), ctx.arg(1));
    let l = crate::kern::sched::curlwp();
    let sp = ctx.frame.rsp;
    let cur = l.sig.inner.lock().altstack;
    let on_stack = cur.ss_flags & s::SS_DISABLE == 0
        && sp.wrapping_sub(cur.ss_sp) < cur.ss_size;
    let new = if ss_ptr != 0 {
        let mut b = [0u8; StackT::SIZE];
        copy::copyin(&mut b, ss_ptr).map_err(fault)?;
        let ss = StackT::from_bytes(&b);
        if on_stack {
            return Err(Errno::EPERM);
        }
        let mode = ss.ss_flags & !s::SS_AUTODISARM;
        if mode != 0 && mode != s::SS_DISABLE && mode != s::SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        if mode == s::SS_DISABLE {
            Some(StackT {
                ss_sp: 0,
                ss_flags: s::SS_DISABLE,
                _pad: 0,
                ss_size: 0,
            })
        } else {
            if (ss.ss_size as usize) < s::MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            Some(StackT {
                ss_flags: ss.ss_flags & s::SS_AUTODISARM,
                ..ss
            })
        }
    } else {
        None
    };
    if old_ptr != 0 {
        let mut old = cur;
        if on_stack {
            old.ss_flags |= s::SS_ONSTACK;
        }
        copy::copyout(old_ptr, &old.to_bytes()).map_err(fault)?;
    }
    if let Some(n) = new {
        l.sig.inner.lock().altstack = n;
    }
    Ok(0)
}

/// Send to every member of process group `pgid`; false if it has none.
pub fn kill_pgrp(pgid: u32, info: SigInfo) -> bool {
    let members: alloc::vec::Vec<proc::ProcRef> = {
        let t = ptable::lock();
        t.pgrp_members(pgid)
            .into_iter()
            .filter_map(|p| t.find(p))
            .collect()
    };
    for p in &members {
        post(p, info);
    }
    !members.is_empty()
}

/// kill(pid, sig)
pub fn sys_kill(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let pid = ctx.arg(0) as i32;
    let sig = ctx.arg(1) as i64;
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let me = proc::curproc();
    let info = SigInfo::user(sig as i32, me.pid());
    match pid {
        p if p > 0 => {
            let target = ptable::lock().find(p as u32).ok_or(Errno::ESRCH)?;
            post(&target, info);
        }
        0 => {
            let pgid = ptable::lock().get(me.pid()).map(|s| s.pgid).ok_or(Errno::ESRCH)?;
            if !kill_pgrp(pgid, info) {
                return Err(Errno::ESRCH);
            }
        }
        -1 => {
            // Everyone but init and the caller.
            let all: alloc::vec::Vec<proc::ProcRef> = {
                let t = ptable::lock();
                t.all()
                    .filter(|(p, s)| *p != 1 && *p != me.pid() && s.state == ptable::PState::Alive)
                    .map(|(_, s)| s.proc.clone())
                    .collect()
            };
            if all.is_empty() {
                return Err(Errno::ESRCH);
            }
            for p in &all {
                post(p, info);
            }
        }
        p => {
            if p == i32::MIN || !kill_pgrp(p.unsigned_abs(), info) {
                return Err(Errno::ESRCH);
            }
        }
    }
    Ok(0)
}

/// Send to thread `tid` (one thread per process: the tid is the pid),
/// optionally checking its thread group.
fn kill_thread(tgid: Option<i32>, tid: i32, sig: i64) -> SysResult {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) || !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if tgid.is_some_and(|g| g != tid) {
        return Err(Errno::ESRCH);
    }
    let target = ptable::lock().find(tid as u32).ok_or(Errno::ESRCH)?;
    let Some(l) = target.lwp() else {
        return Err(Errno::ESRCH);
    };
    let me = proc::curproc();
    let mut info = SigInfo::user(sig as i32, me.pid());
    info.code = ferrite_abi::sicode::SI_TKILL;
    post_lwp(&target, &l, info);
    Ok(0)
}

/// tkill(tid, sig)
pub fn sys_tkill(ctx: &mut SyscallCtx<'_>) -> SysResult {
    kill_thread(None, ctx.arg(0) as i32, ctx.arg(1) as i64)
}

/// tgkill(tgid, tid, sig)
pub fn sys_tgkill(ctx: &mut SyscallCtx<'_>) -> SysResult {
    kill_thread(Some(ctx.arg(0) as i32), ctx.arg(1) as i32, ctx.arg(2) as i64)
}
