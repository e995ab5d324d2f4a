//! The signal system calls: rt_sigaction, rt_sigprocmask, rt_sigpending,
//! sigaltstack, kill, tkill and tgkill, with Linux's arguments and errors.

use super::{SigAction, SigInfo, post, post_lwp};
use crate::kern::proc::{self, ptable};
use crate::kern::syscall::trace::Arg;
use crate::kern::syscall::{Errno, SysResult, SyscallCtx};
use crate::kern::time::clock::{NSEC_PER_SEC, uptime_ns};
use crate::uvm::copy;
use ferrite_abi::signal::{self as s, SigSet};
use ferrite_abi::syscall as nr;
use ferrite_abi::{KernelSigaction, StackT};

pub const SYSCALLS: crate::kern::syscall::table::SysList = &[
    crate::sys!(
        nr::SYS_rt_sigaction,
        "rt_sigaction",
        sys_rt_sigaction,
        [Arg::Signal, Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_rt_sigprocmask,
        "rt_sigprocmask",
        sys_rt_sigprocmask,
        [Arg::Int, Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_rt_sigpending,
        "rt_sigpending",
        sys_rt_sigpending,
        [Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_sigaltstack,
        "sigaltstack",
        sys_sigaltstack,
        [Arg::Hex, Arg::Hex]
    ),
    crate::sys!(nr::SYS_kill, "kill", sys_kill, [Arg::Int, Arg::Signal]),
    crate::sys!(nr::SYS_tkill, "tkill", sys_tkill, [Arg::Int, Arg::Signal]),
    crate::sys!(
        nr::SYS_tgkill,
        "tgkill",
        sys_tgkill,
        [Arg::Int, Arg::Int, Arg::Signal]
    ),
    crate::sys!(nr::SYS_rt_sigreturn, "rt_sigreturn", sys_rt_sigreturn, []),
    crate::sys!(
        nr::SYS_rt_sigsuspend,
        "rt_sigsuspend",
        sys_rt_sigsuspend,
        [Arg::Hex, Arg::Int]
    ),
    crate::sys!(nr::SYS_pause, "pause", sys_pause, []),
    crate::sys!(nr::SYS_alarm, "alarm", sys_alarm, [Arg::Int]),
    crate::sys!(
        nr::SYS_setitimer,
        "setitimer",
        sys_setitimer,
        [Arg::Int, Arg::Hex, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_getitimer,
        "getitimer",
        sys_getitimer,
        [Arg::Int, Arg::Hex]
    ),
    crate::sys!(
        nr::SYS_rt_sigtimedwait,
        "rt_sigtimedwait",
        sys_rt_sigtimedwait,
        [Arg::Hex, Arg::Hex, Arg::Hex, Arg::Int]
    ),
    crate::sys!(
        nr::SYS_rt_sigqueueinfo,
        "rt_sigqueueinfo",
        sys_rt_sigqueueinfo,
        [Arg::Int, Arg::Signal, Arg::Hex]
    ),
];

const SIGSET_SIZE: u64 = 8;

/// The sa_flags rt_sigaction keeps (Linux's UAPI_SA_FLAGS on x86_64).
const UAPI_SA_FLAGS: u64 = s::SA_NOCLDSTOP
    | s::SA_NOCLDWAIT
    | s::SA_SIGINFO
    | s::SA_ONSTACK
    | s::SA_RESTART
    | s::SA_NODEFER
    | s::SA_RESETHAND
    | s::SA_RESTORER;

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
            // Unknown bits are dropped, so that a program can probe for
            // flags this kernel lacks (SA_UNSUPPORTED), as on Linux.
            flags: k.sa_flags & UAPI_SA_FLAGS,
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
    }
    if old_ptr != 0 {
        copy::copyout_u64(old_ptr, old.bits()).map_err(fault)?;
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize): a smaller size copies that many bytes
/// of the set (as Linux allows), a larger one is EINVAL.
pub fn sys_rt_sigpending(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let size = ctx.arg(1);
    if size > SIGSET_SIZE {
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
    let bytes = pending.bits().to_le_bytes();
    copy::copyout(ctx.arg(0), &bytes[..size as usize]).map_err(fault)?;
    Ok(0)
}

/// sigaltstack(ss, old_ss): the rules are `AltStack`'s.
pub fn sys_sigaltstack(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (ss_ptr, old_ptr) = (ctx.arg(0), ctx.arg(1));
    let l = crate::kern::sched::curlwp();
    let sp = ctx.frame.rsp;
    let new = if ss_ptr != 0 {
        let mut b = [0u8; StackT::SIZE];
        copy::copyin(&mut b, ss_ptr).map_err(fault)?;
        Some(StackT::from_bytes(&b))
    } else {
        None
    };
    // As Linux: the old stack is taken, the new one set, then the old one
    // copied out (a bad `old_ss` fails the call after the change).
    let old = {
        let mut inner = l.sig.inner.lock();
        let old = inner.altstack.query(sp);
        if let Some(ss) = new {
            inner.altstack.set(ss, sp)?;
        }
        old
    };
    if old_ptr != 0 {
        copy::copyout(old_ptr, &old.to_bytes()).map_err(fault)?;
    }
    Ok(0)
}

/// Send to every member of process group `pgid`; false if it has none.
/// ENOMEM (and nothing sent) if the list of members cannot be built.
pub fn kill_pgrp(pgid: u32, info: SigInfo) -> Result<bool, Errno> {
    let members = {
        let t = ptable::lock();
        let mut members: alloc::vec::Vec<proc::ProcRef> = alloc::vec::Vec::new();
        members
            .try_reserve_exact(t.pgrp_size(pgid))
            .map_err(|_| Errno::ENOMEM)?;
        members.extend(t.pgrp_members(pgid).filter_map(|p| t.find(p)));
        members
    };
    for p in &members {
        post(p, info);
    }
    Ok(!members.is_empty())
}

/// Everyone but init and `me` (kill(-1)); false if there was no one.
///
/// Allocates nothing (init's last act is kill(-1, SIGKILL), often with
/// memory exhausted): the table is walked in batches of a few processes,
/// each collected under the lock and signalled after it is dropped.
fn kill_all(me: u32, info: SigInfo) -> bool {
    const BATCH: usize = 16;
    let mut start = 0;
    let mut any = false;
    loop {
        let mut batch: [Option<proc::ProcRef>; BATCH] = core::array::from_fn(|_| None);
        let mut n = 0;
        let mut resume = None;
        {
            let t = ptable::lock();
            for (slot, pid, s) in t.all_from(start) {
                if n == BATCH {
                    resume = Some(slot);
                    break;
                }
                if pid != 1 && pid != me && s.state == ptable::PState::Alive {
                    batch[n] = Some(s.proc.clone());
                    n += 1;
                }
            }
        }
        for p in batch.iter().flatten() {
            post(p, info);
            any = true;
        }
        match resume {
            Some(slot) => start = slot,
            None => return any,
        }
    }
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
            let pgid = ptable::lock()
                .get(me.pid())
                .map(|s| s.pgid)
                .ok_or(Errno::ESRCH)?;
            if !kill_pgrp(pgid, info)? {
                return Err(Errno::ESRCH);
            }
        }
        -1 => {
            if !kill_all(me.pid(), info) {
                return Err(Errno::ESRCH);
            }
        }
        p => {
            if p == i32::MIN || !kill_pgrp(p.unsigned_abs(), info)? {
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
    kill_thread(
        Some(ctx.arg(0) as i32),
        ctx.arg(1) as i32,
        ctx.arg(2) as i64,
    )
}

/// rt_sigreturn(): the handler is done; back to the interrupted context.
pub fn sys_rt_sigreturn(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(super::sigreturn(ctx.frame) as usize)
}

/// Sleep (interruptibly) until a signal is delivered; the caller picks
/// what the interruption returns.
fn sleep_for_signal() {
    let l = crate::kern::sched::curlwp();
    let chan = crate::kern::sched::sleepq::chan(l);
    // Only an interruption ends this sleep (no one wakes the channel).
    let _ = crate::kern::sched::sleepq::sleep_until(chan, true, None, || false);
}

/// pause(): until a signal's handler has run (or it ends the process).
pub fn sys_pause(_: &mut SyscallCtx<'_>) -> SysResult {
    sleep_for_signal();
    Err(Errno::ERESTARTNOHAND)
}

/// rt_sigsuspend(mask, sigsetsize): wait for a signal with `mask` blocked;
/// the old mask comes back after the handler.
pub fn sys_rt_sigsuspend(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(1) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = SigSet(copy::copyin_u64(ctx.arg(0)).map_err(fault)?);
    super::set_temporary_mask(new);
    sleep_for_signal();
    Err(Errno::ERESTARTNOHAND)
}

/// alarm(seconds): SIGALRM after that long; returns the seconds that were
/// left of the previous alarm, rounded to the nearest and at least 1 if
/// one was pending (Linux's rule), 0 if none.
pub fn sys_alarm(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let secs = ctx.arg(0) as u32 as u64;
    let p = proc::curproc();
    let (left, _) = p
        .itimers
        .lock()
        .set_real(p.pid(), secs * NSEC_PER_SEC, 0)
        .map_err(|_| Errno::ENOMEM)?;
    let us = left.div_ceil(1000);
    let (whole, frac) = (us / 1_000_000, us % 1_000_000);
    let rounded = if (whole == 0 && frac != 0) || frac >= 500_000 {
        whole + 1
    } else {
        whole
    };
    Ok(rounded as usize)
}

/// Read an itimerval: (interval µs, value µs), EINVAL for a bad field.
fn read_itimerval(addr: u64) -> Result<(u64, u64), Errno> {
    let mut b = [0u8; ferrite_abi::ItimerVal::SIZE];
    copy::copyin(&mut b, addr).map_err(fault)?;
    let v = ferrite_abi::ItimerVal::from_bytes(&b);
    let us = |t: ferrite_abi::Timeval| -> Result<u64, Errno> {
        if t.tv_sec < 0 || !(0..1_000_000).contains(&t.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok((t.tv_sec as u64).saturating_mul(1_000_000) + t.tv_usec as u64)
    };
    Ok((us(v.it_interval)?, us(v.it_value)?))
}

fn write_itimerval(addr: u64, interval_us: u64, value_us: u64) -> Result<(), Errno> {
    let tv = |us: u64| ferrite_abi::Timeval {
        tv_sec: (us / 1_000_000) as i64,
        tv_usec: (us % 1_000_000) as i64,
    };
    let v = ferrite_abi::ItimerVal {
        it_interval: tv(interval_us),
        it_value: tv(value_us),
    };
    copy::copyout(addr, &v.to_bytes()).map_err(fault)
}

/// setitimer(which, new, old).
pub fn sys_setitimer(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (which, new_ptr, old_ptr) = (ctx.arg(0) as i32, ctx.arg(1), ctx.arg(2));
    if !(0..=2).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let (interval, value) = if new_ptr == 0 {
        (0, 0) // Linux treats a NULL new value as disarming
    } else {
        read_itimerval(new_ptr)?
    };
    let p = proc::curproc();
    let old = {
        let mut t = p.itimers.lock();
        match which {
            ferrite_abi::clock::ITIMER_REAL => {
                let (left, iv) = t
                    .set_real(
                        p.pid(),
                        value.saturating_mul(1000),
                        interval.saturating_mul(1000),
                    )
                    .map_err(|_| Errno::ENOMEM)?;
                (iv / 1000, left.div_ceil(1000))
            }
            w => {
                let slot = if w == ferrite_abi::clock::ITIMER_VIRTUAL {
                    &mut t.virt
                } else {
                    &mut t.prof
                };
                let old = (slot.interval_us, slot.value_us);
                slot.interval_us = interval;
                slot.value_us = value;
                old
            }
        }
    };
    if old_ptr != 0 {
        write_itimerval(old_ptr, old.0, old.1)?;
    }
    Ok(0)
}

/// getitimer(which, cur).
pub fn sys_getitimer(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let which = ctx.arg(0) as i32;
    if !(0..=2).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let p = proc::curproc();
    let (interval, value) = {
        let t = p.itimers.lock();
        match which {
            ferrite_abi::clock::ITIMER_REAL => {
                let (left, iv) = t.get_real();
                (iv / 1000, left.div_ceil(1000))
            }
            ferrite_abi::clock::ITIMER_VIRTUAL => (t.virt.interval_us, t.virt.value_us),
            _ => (t.prof.interval_us, t.prof.value_us),
        }
    };
    write_itimerval(ctx.arg(1), interval, value)?;
    Ok(0)
}

/// Take a pending signal of `set` for the current thread, if any.
fn dequeue_from(set: SigSet) -> Option<SigInfo> {
    let p = proc::curproc();
    let l = crate::kern::sched::curlwp();
    let mut ls = l.sig.inner.lock();
    if let Some(sig) = ls.pending.set.intersection(set).first() {
        return Some(ls.pending.take(sig));
    }
    drop(ls);
    let mut ps = p.sig.lock();
    let sig = ps.pending.set.intersection(set).first()?;
    Some(ps.pending.take(sig))
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): take one of the
/// signals in `set` (normally blocked by the caller) when it arrives.
pub fn sys_rt_sigtimedwait(ctx: &mut SyscallCtx<'_>) -> SysResult {
    if ctx.arg(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let set = SigSet(copy::copyin_u64(ctx.arg(0)).map_err(fault)?).blockable();
    let timeout = if ctx.arg(2) != 0 {
        let mut b = [0u8; ferrite_abi::Timespec::SIZE];
        copy::copyin(&mut b, ctx.arg(2)).map_err(fault)?;
        let ts = ferrite_abi::Timespec::from_bytes(&b);
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some((ts.tv_sec as u64).saturating_mul(NSEC_PER_SEC) + ts.tv_nsec as u64)
    } else {
        None
    };
    let deadline = timeout.map(|ns| uptime_ns().saturating_add(ns));
    let l = crate::kern::sched::curlwp();
    let info = match dequeue_from(set) {
        Some(i) => Some(i),
        None if timeout == Some(0) => None,
        None => {
            // Let the waited-for signals interrupt the sleep, then put the
            // mask back before anything could deliver them.
            let mask = l.sig.mask();
            l.sig.set_mask(mask.difference(set));
            let interrupted = sleep_for_signal_until(deadline);
            l.sig.set_mask(mask);
            let got = dequeue_from(set);
            if got.is_none() && interrupted {
                return Err(Errno::EINTR);
            }
            got
        }
    };
    let Some(info) = info else {
        return Err(Errno::EAGAIN);
    };
    if let Some(p) = l.proc() {
        super::notify(p, l);
    }
    if ctx.arg(1) != 0 {
        copy::copyout(ctx.arg(1), &info.to_abi().to_bytes()).map_err(fault)?;
    }
    Ok(info.signo as usize)
}

/// Sleep (interruptibly) until a signal or, if given, the CLOCK_MONOTONIC
/// `deadline` (never before it: a tick-based timeout can end up to a tick
/// early, so the clock is read again). True if a signal ended it.
fn sleep_for_signal_until(deadline: Option<u64>) -> bool {
    use crate::kern::sched::sleepq::{self, SleepError};
    let l = crate::kern::sched::curlwp();
    let chan = sleepq::chan(l);
    loop {
        let ticks = match deadline {
            None => None,
            Some(d) => {
                let now = uptime_ns();
                if now >= d {
                    return false;
                }
                Some(super::itimer::ticks_covering(d - now))
            }
        };
        if let Err(SleepError::Interrupted) = sleepq::sleep_until(chan, true, ticks, || false) {
            return true;
        }
    }
}

/// rt_sigqueueinfo(tgid, sig, info): a signal with a value.
pub fn sys_rt_sigqueueinfo(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let (pid, sig) = (ctx.arg(0) as i32, ctx.arg(1) as i64);
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; ferrite_abi::Siginfo::SIZE];
    copy::copyin(&mut b, ctx.arg(2)).map_err(fault)?;
    let si = ferrite_abi::Siginfo::from_bytes(&b);
    let me = proc::curproc();
    // A program may only send its own codes (negative, and not SI_TKILL)
    // to others; to itself anything (as Linux).
    if (si.si_code >= 0 || si.si_code == ferrite_abi::sicode::SI_TKILL) && pid != me.pid() as i32 {
        return Err(Errno::EPERM);
    }
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let target = ptable::lock().find(pid as u32).ok_or(Errno::ESRCH)?;
    let info = SigInfo {
        signo: sig as i32,
        code: si.si_code,
        pid: me.pid(),
        uid: 0,
        status: 0,
        addr: si.value(),
    };
    super::post_checked(&target, info)?;
    Ok(0)
}
