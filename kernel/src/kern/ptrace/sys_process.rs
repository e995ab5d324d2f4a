//! ptrace(2) (NetBSD's sys_process.c; Linux x86_64 requests, arguments
//! and errno values): `ptrace(request, pid, addr, data)`.
//!
//! - Attaching: PTRACE_TRACEME (the parent becomes the tracer),
//!   PTRACE_ATTACH (sends SIGSTOP) and PTRACE_SEIZE (no stop; `data` holds
//!   options; EIO for unknown ones or `addr` not 0). EPERM for attaching to oneself, to init, to a process
//!   already traced or already exited; ESRCH for no such process.
//! - Every other request names a tracee of the caller (ESRCH otherwise),
//!   which must be in a ptrace stop (ESRCH otherwise) except for
//!   PTRACE_KILL and PTRACE_INTERRUPT (seized tracees only, EIO otherwise).
//! - Memory: PEEKTEXT/PEEKDATA store the word read at `addr` at `data`
//!   (the raw call: the C library passes a pointer and returns the word),
//!   POKETEXT/POKEDATA write `data` at `addr`; through `uvm::io`, so text
//!   can be patched and a private page written is the tracee's own copy.
//!   EIO for an address that cannot be read or written, EFAULT for a bad
//!   `data` pointer.
//! - Registers (`regs`): PEEKUSER/POKEUSER, GETREGS/SETREGS,
//!   GETFPREGS/SETFPREGS, GETREGSET/SETREGSET (NT_PRSTATUS, NT_PRFPREG;
//!   `data` points to an iovec whose length is updated; EINVAL for another
//!   type or a length that is not a multiple of 8).
//! - Resuming: CONT, SYSCALL, SINGLESTEP, DETACH with a signal in `data`
//!   (EIO if it is not a signal number).
//! - PTRACE_SETOPTIONS (EINVAL for unknown bits), PTRACE_GETEVENTMSG,
//!   PTRACE_GETSIGINFO, PTRACE_SETSIGINFO.
//! - Anything else: EIO.

use super::regs;
use super::{How, Resume, flag};
use crate::kern::proc::ptable::{self, PState};
use crate::kern::proc::{Pid, Proc, ProcRef, curproc};
use crate::kern::sched::lwp::{self, LwpRef};
use crate::kern::sig::{SigInfo, post};
use crate::kern::syscall::{SysResult, SyscallCtx};
use crate::kern::ucopy::{copyin_plain, copyout_plain};
use crate::uvm::copy;
use crate::uvm::io::{IoBuf, uvm_io};
use ferrite_abi::ptrace as pt;
use ferrite_abi::signal as s;
use ferrite_abi::{Errno, Iovec, Siginfo, UserRegsStruct};

/// ptrace(request, pid, addr, data)
pub fn sys_ptrace(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let request = ctx.arg(0) as i64;
    let pid = ctx.arg(1) as i32;
    let (addr, data) = (ctx.arg(2), ctx.arg(3));
    let me = curproc();
    let Ok(req) = u32::try_from(request) else {
        tracee(me, pid)?;
        return Err(Errno::EIO);
    };
    match req {
        pt::PTRACE_TRACEME => return traceme(me),
        pt::PTRACE_ATTACH => return attach(me, pid, false, 0),
        pt::PTRACE_SEIZE => {
            if addr != 0 {
                return Err(Errno::EIO);
            }
            // Unknown options: EIO here (EINVAL for SETOPTIONS), as Linux.
            let options = data as i64;
            if options & !(pt::PTRACE_O_MASK as i64) != 0 {
                return Err(Errno::EIO);
            }
            return attach(me, pid, true, options as i32);
        }
        _ => {}
    }
    let t = tracee(me, pid)?;
    match req {
        pt::PTRACE_KILL => {
            post(&t, SigInfo::kernel(s::SIGKILL));
            return Ok(0);
        }
        pt::PTRACE_INTERRUPT => return interrupt(&t),
        _ => {}
    }
    let l = stopped(me, &t)?;
    match req {
        pt::PTRACE_PEEKTEXT | pt::PTRACE_PEEKDATA => {
            let vs = l.vmspace().ok_or(Errno::ESRCH)?;
            let mut word = [0u8; 8];
            uvm_io(&vs, addr, IoBuf::Read(&mut word)).map_err(|_| Errno::EIO)?;
            copy::copyout(data, &word).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        pt::PTRACE_POKETEXT | pt::PTRACE_POKEDATA => {
            let vs = l.vmspace().ok_or(Errno::ESRCH)?;
            uvm_io(&vs, addr, IoBuf::Write(&data.to_le_bytes())).map_err(|_| Errno::EIO)?;
            Ok(0)
        }
        pt::PTRACE_PEEKUSER => {
            let v = {
                let st = locked_stopped(me, &t)?;
                regs::peek_user(&l, &st, addr)?
            };
            copy::copyout_u64(data, v).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        pt::PTRACE_POKEUSER => {
            let mut st = locked_stopped(me, &t)?;
            regs::poke_user(&l, &mut st, addr, data)?;
            Ok(0)
        }
        pt::PTRACE_GETREGS => {
            let r = {
                let st = locked_stopped(me, &t)?;
                regs::get_regs(&l, &st)?
            };
            copyout_plain(data, &r)?;
            Ok(0)
        }
        pt::PTRACE_SETREGS => {
            let r: UserRegsStruct = copyin_plain(data)?;
            let mut st = locked_stopped(me, &t)?;
            regs::set_regs(&l, &mut st, &r)?;
            Ok(0)
        }
        pt::PTRACE_GETFPREGS => {
            let image = {
                let _st = locked_stopped(me, &t)?;
                regs::get_fpregs(&l)
            };
            copy::copyout(data, &image).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        pt::PTRACE_SETFPREGS => {
            let mut image = [0u8; 512];
            copy::copyin(&mut image, data).map_err(|_| Errno::EFAULT)?;
            let _st = locked_stopped(me, &t)?;
            regs::set_fpregs(&l, &image);
            Ok(0)
        }
        pt::PTRACE_GETREGSET => getregset(me, &t, &l, addr, data),
        pt::PTRACE_SETREGSET => setregset(me, &t, &l, addr, data),
        pt::PTRACE_CONT => resume(me, &t, &l, How::Cont, data),
        pt::PTRACE_SYSCALL => resume(me, &t, &l, How::Syscall, data),
        pt::PTRACE_SINGLESTEP => resume(me, &t, &l, How::Step, data),
        pt::PTRACE_DETACH => resume(me, &t, &l, How::Detach, data),
        pt::PTRACE_SETOPTIONS => {
            let options = data as i64;
            if options & !(pt::PTRACE_O_MASK as i64) != 0 {
                return Err(Errno::EINVAL);
            }
            locked_stopped(me, &t)?.options = options as i32;
            Ok(0)
        }
        pt::PTRACE_GETEVENTMSG => {
            let msg = locked_stopped(me, &t)?.eventmsg;
            copy::copyout_u64(data, msg).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        pt::PTRACE_GETSIGINFO => {
            let si = locked_stopped(me, &t)?.siginfo;
            copy::copyout(data, &si.to_bytes()).map_err(|_| Errno::EFAULT)?;
            Ok(0)
        }
        pt::PTRACE_SETSIGINFO => {
            let mut b = [0u8; Siginfo::SIZE];
            copy::copyin(&mut b, data).map_err(|_| Errno::EFAULT)?;
            locked_stopped(me, &t)?.siginfo = Siginfo::from_bytes(&b);
            Ok(0)
        }
        _ => Err(Errno::EIO),
    }
}

/// PTRACE_TRACEME: the parent traces the caller.
fn traceme(me: &Proc) -> SysResult {
    let parent = ptable::lock().get(me.pid()).map_or(0, |slot| slot.parent);
    let pp = ptable::lock().find(parent).ok_or(Errno::EPERM)?;
    {
        let mut st = me.ptrace.lock();
        if st.tracer != 0 {
            return Err(Errno::EPERM);
        }
        st.tracer = parent;
        st.options = 0;
        st.seized = false;
        me.ptrace.set_flags(flag::TRACED);
    }
    pp.ptrace.add_tracee();
    Ok(0)
}

/// PTRACE_ATTACH / PTRACE_SEIZE.
fn attach(me: &Proc, pid: i32, seize: bool, options: i32) -> SysResult {
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let pid = pid as Pid;
    if pid == me.pid() || pid == 1 {
        return Err(Errno::EPERM);
    }
    let t = {
        let table = ptable::lock();
        let slot = table.get(pid).ok_or(Errno::ESRCH)?;
        if slot.state == PState::Zombie {
            return Err(Errno::EPERM);
        }
        slot.proc.clone()
    };
    {
        let mut st = t.ptrace.lock();
        if st.tracer != 0 {
            return Err(Errno::EPERM);
        }
        st.tracer = me.pid();
        st.options = options;
        st.seized = seize;
        t.ptrace.set_flags(flag::TRACED);
    }
    me.ptrace.add_tracee();
    if !seize {
        post(&t, SigInfo::kernel(s::SIGSTOP));
    }
    Ok(0)
}

/// The process `pid` if the caller traces it (ESRCH otherwise).
fn tracee(me: &Proc, pid: i32) -> Result<ProcRef, Errno> {
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    let t = ptable::lock().find(pid as Pid).ok_or(Errno::ESRCH)?;
    if t.ptrace.lock().tracer != me.pid() {
        return Err(Errno::ESRCH);
    }
    Ok(t)
}

/// The tracee's thread, if it is in a ptrace stop (ESRCH otherwise).
fn stopped(me: &Proc, t: &Proc) -> Result<LwpRef, Errno> {
    let l = t.lwp().ok_or(Errno::ESRCH)?;
    drop(locked_stopped(me, t)?);
    Ok(l)
}

/// The tracee's ptrace state, locked, if it is in a ptrace stop of ours.
fn locked_stopped<'a>(
    me: &Proc,
    t: &'a Proc,
) -> Result<crate::kern::sched::spinlock::SpinGuard<'a, super::State>, Errno> {
    let st = t.ptrace.lock();
    if st.tracer != me.pid() || st.stop.is_none() {
        return Err(Errno::ESRCH);
    }
    Ok(st)
}

/// End the stop: CONT, SYSCALL, SINGLESTEP or DETACH with signal `data`.
fn resume(me: &Proc, t: &Proc, l: &LwpRef, how: How, data: u64) -> SysResult {
    if data > 64 {
        return Err(Errno::EIO);
    }
    {
        let mut st = locked_stopped(me, t)?;
        if how == How::Detach {
            super::untrace_locked(t, &mut st);
        }
        st.resume = Some(Resume {
            how,
            sig: data as i32,
        });
        st.stop = None;
    }
    if how == How::Detach {
        me.ptrace.remove_tracee();
    }
    lwp::continue_thread(l);
    Ok(0)
}

/// PTRACE_INTERRUPT: a seized tracee stops at its next return to user mode
/// (an interruptible sleep ends, the call restarts after the stop).
fn interrupt(t: &Proc) -> SysResult {
    {
        let mut st = t.ptrace.lock();
        if !st.seized {
            return Err(Errno::EIO);
        }
        if st.stop.is_some() {
            return Ok(0);
        }
        st.interrupt = true;
    }
    if let Some(l) = t.lwp() {
        lwp::interrupt(&l);
    }
    Ok(0)
}

/// The size of a register set, EINVAL for an unknown one.
fn regset_size(nt: u64) -> Result<usize, Errno> {
    match nt as i32 {
        pt::NT_PRSTATUS => Ok(regs::REGS_SIZE),
        pt::NT_PRFPREG => Ok(512),
        _ => Err(Errno::EINVAL),
    }
}

/// PTRACE_GETREGSET: `nt` in `addr`, an iovec at `data`; at most the
/// iovec's length is copied, and the length becomes what was.
fn getregset(me: &Proc, t: &Proc, l: &LwpRef, nt: u64, data: u64) -> SysResult {
    let size = regset_size(nt)?;
    let mut iov: Iovec = copyin_plain(data)?;
    if !iov.iov_len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let n = (iov.iov_len as usize).min(size);
    let mut image = [0u8; 512];
    {
        let st = locked_stopped(me, t)?;
        if nt as i32 == pt::NT_PRSTATUS {
            image[..size].copy_from_slice(&regs::get_regs(l, &st)?.to_bytes());
        } else {
            image = regs::get_fpregs(l);
        }
    }
    copy::copyout(iov.iov_base, &image[..n]).map_err(|_| Errno::EFAULT)?;
    iov.iov_len = n as u64;
    copyout_plain(data, &iov)?;
    Ok(0)
}

/// PTRACE_SETREGSET: the first `iov_len` bytes of the set are replaced.
fn setregset(me: &Proc, t: &Proc, l: &LwpRef, nt: u64, data: u64) -> SysResult {
    let size = regset_size(nt)?;
    let mut iov: Iovec = copyin_plain(data)?;
    if !iov.iov_len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let n = (iov.iov_len as usize).min(size);
    let mut new = [0u8; 512];
    copy::copyin(&mut new[..n], iov.iov_base).map_err(|_| Errno::EFAULT)?;
    {
        let mut st = locked_stopped(me, t)?;
        if nt as i32 == pt::NT_PRSTATUS {
            let mut b = regs::get_regs(l, &st)?.to_bytes();
            b[..n].copy_from_slice(&new[..n]);
            regs::set_regs(l, &mut st, &UserRegsStruct::from_bytes(&b))?;
        } else {
            let mut image = regs::get_fpregs(l);
            image[..n].copy_from_slice(&new[..n]);
            regs::set_fpregs(l, &image);
        }
    }
    iov.iov_len = n as u64;
    copyout_plain(data, &iov)?;
    Ok(0)
}
