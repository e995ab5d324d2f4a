//! The tracee's side of ptrace: the stops, and the hooks other subsystems
//! call (each a one-line call that returns at once for an untraced
//! process).
//!
//! Stops, in the order Linux has them on the way through a system call:
//! - syscall-enter-stop (PTRACE_SYSCALL): rax reads -ENOSYS, orig_rax the
//!   number; the tracer may change the number and arguments, or skip the
//!   call by setting orig_rax to -1 (rax is then the result);
//! - event stops inside calls: PTRACE_EVENT_FORK/VFORK (eventmsg: the
//!   child's PID; the child is traced too and starts with a SIGSTOP, or a
//!   PTRACE_EVENT_STOP when seized), PTRACE_EVENT_EXEC (eventmsg: the PID;
//!   without the option a traced, not seized process gets SIGTRAP after
//!   exec instead), PTRACE_EVENT_EXIT (eventmsg: the wait status; not for
//!   a death by SIGKILL);
//! - syscall-exit-stop (rax holds the result), or, when single-stepping, a
//!   SIGTRAP that reports the step over the `syscall` instruction;
//! - signal-delivery-stop, for every signal but SIGKILL (ignored ones
//!   included: the signal code keeps them for a traced process): the
//!   tracer suppresses it (resume with 0), lets it act, or replaces it;
//! - group-stop: a stop signal the tracer let through stops the tracee
//!   again, reported to the tracer (with PTRACE_EVENT_STOP when seized);
//! - interrupt-stop (PTRACE_INTERRUPT, and a seized auto-attached child's
//!   first stop): SIGTRAP with PTRACE_EVENT_STOP.
//!
//! A signal given to a resume request is delivered at a signal-delivery-
//! stop (instead of the one stopped for), sent to the tracee at a
//! system-call stop, and ignored at event, group and interrupt stops.
//! SIGKILL ends every stop at once and is never reported as a stop.
//!
//! Single-stepping sets TF in the user RFLAGS (remembered as forced, so a
//! later resume that does not step clears it again); the #DB trap after the
//! instruction becomes SIGTRAP (TRAP_TRACE) through the trap code, and a
//! step over `syscall` is reported at the system call's exit (TRAP_BRKPT,
//! as Linux's user_single_step_report).

use super::{Resume, Stop, StopKind, flag};
use crate::arch::x86_64::fpu;
use crate::arch::x86_64::trap::TrapFrame;
use crate::kern::proc::ptable::{self, PState};
use crate::kern::proc::{Pid, Proc, ProcRef};
use crate::kern::sched::lwp::{self, Lwp};
use crate::kern::sched::{curlwp, sleepq};
use crate::kern::sig::{SigAction, SigInfo, post, post_lwp};
use alloc::vec::Vec;
use ferrite_abi::ptrace as pt;
use ferrite_abi::signal as s;
use ferrite_abi::{Errno, Siginfo, WaitStatus, sicode};

/// RFLAGS.TF.
pub(super) const RFLAGS_TF: u64 = 1 << 8;

/// Why the tracee stops.
pub(super) enum Why {
    Signal(SigInfo),
    SyscallEnter,
    SyscallExit,
    Event { event: i32, msg: u64 },
    Group(i32),
    Interrupt,
}

/// How a stop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ended {
    /// The process is not traced: there was no stop.
    NotTraced,
    /// SIGKILL is pending: the caller lets it act.
    Killed,
    /// Resumed (or detached) with this signal (0: none).
    Resumed(i32),
}

/// True if SIGKILL is pending for the thread.
fn sigkill_pending(p: &Proc, l: &Lwp) -> bool {
    p.sig.lock().pending.set.contains(s::SIGKILL)
        || l.sig.inner.lock().pending.set.contains(s::SIGKILL)
}

/// The siginfo a stop shows with GETSIGINFO: the signal's own for a
/// signal-delivery-stop, else a SIGTRAP whose si_code is the reported
/// signal and event (`SIGTRAP | event << 8`, or `SIGTRAP | 0x80`), as
/// Linux's ptrace_notify builds it.
fn trap_info(code: i32, pid: Pid) -> Siginfo {
    Siginfo::kill(s::SIGTRAP, code, pid as i32, 0)
}

/// Stop the current thread `l` of process `p` for `why` until its tracer
/// ends the stop (see the module comment of `ptrace`). `frame` is the
/// thread's user frame; it is published for the tracer and read back
/// (with the tracer's changes) before this returns.
pub(super) fn ptrace_stop(p: &Proc, l: &Lwp, frame: &mut TrapFrame, why: Why) -> Ended {
    if !p.ptrace.is_traced() {
        return Ended::NotTraced;
    }
    if sigkill_pending(p, l) {
        return Ended::Killed;
    }
    // Publish the registers where the tracer reads them.
    lwp::write_user_frame(l, *frame);
    fpu::save(&l.md.fpu);
    let (tracer, sig) = {
        let mut st = p.ptrace.lock();
        if st.tracer == 0 {
            return Ended::NotTraced;
        }
        let good = st.options & pt::PTRACE_O_TRACESYSGOOD != 0;
        let trap = s::SIGTRAP;
        let (kind, sig, event, info) = match why {
            Why::Signal(info) => (StopKind::Signal, info.signo, 0, info.to_abi()),
            Why::SyscallEnter | Why::SyscallExit => {
                let sig = if good { trap | 0x80 } else { trap };
                let kind = if matches!(why, Why::SyscallEnter) {
                    StopKind::SyscallEnter
                } else {
                    StopKind::SyscallExit
                };
                (kind, sig, 0, trap_info(sig, p.pid()))
            }
            Why::Event { event, msg } => {
                st.eventmsg = msg;
                let code = trap | (event << 8);
                (StopKind::Event, trap, event, trap_info(code, p.pid()))
            }
            Why::Group(sig) => {
                let event = if st.seized { pt::PTRACE_EVENT_STOP } else { 0 };
                (StopKind::Group, sig, event, Siginfo::kill(sig, 0, 0, 0))
            }
            Why::Interrupt => {
                let event = pt::PTRACE_EVENT_STOP;
                (
                    StopKind::Interrupt,
                    trap,
                    event,
                    trap_info(trap | (event << 8), p.pid()),
                )
            }
        };
        st.stop = Some(Stop { kind, sig, event });
        st.reported = false;
        st.resume = None;
        st.siginfo = info;
        (st.tracer, sig)
    };
    notify_tracer(tracer, p.pid(), sig);

    // Off the CPU until the tracer's request (a continue that came before
    // we got to stop makes `stop_current` return at once: look again).
    loop {
        let done = {
            let st = p.ptrace.lock();
            st.resume.is_some() || st.tracer == 0
        };
        if done || sigkill_pending(p, l) {
            break;
        }
        lwp::stop_current();
    }

    // Take back the registers the tracer may have changed.
    *frame = lwp::read_user_frame(l).expect("a running thread has its stack");
    fpu::restore(&l.md.fpu);
    let resume = {
        let mut st = p.ptrace.lock();
        st.stop = None;
        let r = st.resume.take().unwrap_or(Resume {
            how: super::How::Detach,
            sig: 0,
        });
        let mut flags = if st.tracer != 0 { flag::TRACED } else { 0 };
        match r.how {
            super::How::Step if st.tracer != 0 => {
                frame.rflags |= RFLAGS_TF;
                st.forced_tf = true;
                flags |= flag::STEP;
            }
            how => {
                if st.forced_tf {
                    frame.rflags &= !RFLAGS_TF;
                    st.forced_tf = false;
                }
                if how == super::How::Syscall && st.tracer != 0 {
                    flags |= flag::SYSCALL;
                }
            }
        }
        p.ptrace.set_flags(flags);
        r
    };
    if sigkill_pending(p, l) {
        Ended::Killed
    } else {
        Ended::Resumed(resume.sig)
    }
}

/// Tell the tracer a tracee stopped: SIGCHLD (CLD_TRAPPED) unless it set
/// SA_NOCLDSTOP, and a wakeup of its wait.
fn notify_tracer(tracer: Pid, pid: Pid, sig: i32) {
    let Some(tp) = ptable::lock().find(tracer) else {
        return;
    };
    let nocldstop = tp.sig.lock().action(s::SIGCHLD).flags & s::SA_NOCLDSTOP != 0;
    if !nocldstop {
        post(
            &tp,
            SigInfo {
                signo: s::SIGCHLD,
                code: sicode::CLD_TRAPPED,
                pid,
                uid: 0,
                status: sig,
                addr: 0,
            },
        );
    }
    sleepq::wakeup(tp.wait_chan());
}

/// Send `sig` to the current thread as a tracer's resume asked (at a
/// system-call stop): sent by the kernel, as Linux's send_sig.
fn send_self(p: &Proc, l: &Lwp, sig: i32) {
    if sig != 0 {
        post_lwp(p, l, SigInfo::kernel(sig));
    }
}

/// The kernel's record of a siginfo a tracer may have written.
fn from_abi(si: &Siginfo) -> SigInfo {
    let fault = matches!(
        si.si_signo,
        s::SIGSEGV | s::SIGBUS | s::SIGILL | s::SIGFPE | s::SIGTRAP
    ) && si.si_code > 0;
    SigInfo {
        signo: si.si_signo,
        code: si.si_code,
        pid: si.pid() as u32,
        uid: si.uid(),
        status: si.status(),
        addr: if fault { si.addr() } else { si.value() },
    }
}

// ---------------------------------------------------------------------------
// Hooks.

/// System-call entry (`syscall::syscall`, before the dispatch): with
/// PTRACE_SYSCALL, the syscall-enter-stop. True if the call is not to run
/// (the tracer set orig_rax to -1, or SIGKILL came): rax is the result.
/// Otherwise rax holds the (possibly changed) number again.
pub fn syscall_enter(frame: &mut TrapFrame) -> bool {
    let l = curlwp();
    let Some(p) = l.proc() else {
        return false;
    };
    if p.ptrace.flags() & flag::SYSCALL == 0 {
        return false;
    }
    frame.rax = Errno::ENOSYS.to_ret() as u64;
    match ptrace_stop(p, l, frame, Why::SyscallEnter) {
        Ended::NotTraced => {
            frame.rax = frame.error_code;
            false
        }
        Ended::Killed => true,
        Ended::Resumed(sig) => {
            send_self(p, l, sig);
            if !frame.is_syscall() || frame.error_code == u64::MAX {
                return true;
            }
            frame.rax = frame.error_code;
            false
        }
    }
}

/// System-call exit (`syscall::syscall`, after the call): the
/// syscall-exit-stop, or the report of a single step over `syscall`.
pub fn syscall_exit(frame: &mut TrapFrame) {
    let l = curlwp();
    let Some(p) = l.proc() else {
        return;
    };
    let flags = p.ptrace.flags();
    if flags & (flag::SYSCALL | flag::STEP) == 0 {
        return;
    }
    if flags & flag::STEP != 0 {
        post_lwp(
            p,
            l,
            SigInfo {
                signo: s::SIGTRAP,
                code: sicode::TRAP_BRKPT,
                pid: 0,
                uid: 0,
                status: 0,
                addr: frame.rip,
            },
        );
        return;
    }
    if let Ended::Resumed(sig) = ptrace_stop(p, l, frame, Why::SyscallExit) {
        send_self(p, l, sig);
    }
}

/// Signal delivery (`sig::deliver_pending`, for each signal taken): the
/// signal-delivery-stop. Returns the signal to act on with its action (the
/// tracer may have replaced it), or None if there is none (suppressed,
/// blocked and queued again, or SIGKILL is next).
pub fn signal_stop(
    p: &Proc,
    l: &Lwp,
    frame: &mut TrapFrame,
    info: SigInfo,
    act: SigAction,
) -> Option<(SigInfo, SigAction)> {
    if !p.ptrace.is_traced() || info.signo == s::SIGKILL {
        return Some((info, act));
    }
    let sig = match ptrace_stop(p, l, frame, Why::Signal(info)) {
        Ended::NotTraced => return Some((info, act)),
        Ended::Killed | Ended::Resumed(0) => return None,
        Ended::Resumed(sig) => sig,
    };
    let (si, tracer) = {
        let st = p.ptrace.lock();
        (st.siginfo, st.tracer)
    };
    // The siginfo as the tracer left it (SETSIGINFO), or a new one from
    // the tracer if it changed the signal.
    let info = if si.si_signo == sig {
        from_abi(&si)
    } else {
        SigInfo::user(sig, tracer)
    };
    if l.sig.mask().contains(sig) {
        // Blocked: queued again, acted on when unblocked.
        post_lwp(p, l, info);
        return None;
    }
    let act = p.sig.lock().action(sig);
    Some((info, act))
}

/// A stop signal's default action for a traced process (`deliver_pending`):
/// the group-stop is reported to the tracer and lasts until it resumes the
/// tracee. True if handled here (the caller then does not stop itself).
pub fn group_stop(p: &Proc, l: &Lwp, frame: &mut TrapFrame, sig: i32) -> bool {
    if !p.ptrace.is_traced() {
        return false;
    }
    ptrace_stop(p, l, frame, Why::Group(sig)) != Ended::NotTraced
}

/// Before signals are taken (`deliver_pending`): the interrupt-stop a
/// PTRACE_INTERRUPT (or a seized auto-attach) asked for.
pub fn pending_stop(p: &Proc, l: &Lwp, frame: &mut TrapFrame) {
    if !p.ptrace.is_traced() {
        return;
    }
    let want = core::mem::take(&mut p.ptrace.lock().interrupt);
    if want {
        ptrace_stop(p, l, frame, Why::Interrupt);
    }
}

/// After a successful execve (`sys_execve`, the new program's frame in
/// place): PTRACE_EVENT_EXEC, or the legacy SIGTRAP.
pub fn exec_event(frame: &mut TrapFrame) {
    let l = curlwp();
    let Some(p) = l.proc() else {
        return;
    };
    if !p.ptrace.is_traced() {
        return;
    }
    let (options, seized) = {
        let mut st = p.ptrace.lock();
        // The old program's forced single step went with it.
        st.forced_tf = false;
        (st.options, st.seized)
    };
    // The new program's frame is still the execve call's return (orig_rax
    // reads the number, as on Linux).
    frame.vector = crate::arch::x86_64::entry::SYSCALL_VECTOR;
    frame.error_code = ferrite_abi::syscall::SYS_execve;
    if options & pt::PTRACE_O_TRACEEXEC != 0 {
        let msg = p.pid() as u64;
        let _ = ptrace_stop(
            p,
            l,
            frame,
            Why::Event {
                event: pt::PTRACE_EVENT_EXEC,
                msg,
            },
        );
    } else if !seized {
        post_lwp(p, l, SigInfo::user(s::SIGTRAP, p.pid()));
    }
}

/// fork/vfork made `child` (its thread set up, not yet started): if the
/// parent is traced with PTRACE_O_TRACEFORK (TRACEVFORK for vfork), the
/// child is traced by the same tracer with the same options and starts
/// with a stop. Returns the event the parent then reports (`fork_event`).
pub fn fork_attach(parent: &Proc, child: &ProcRef, vfork: bool) -> Option<i32> {
    if !parent.ptrace.is_traced() {
        return None;
    }
    let (tracer, options, seized, forced_tf) = {
        let st = parent.ptrace.lock();
        (st.tracer, st.options, st.seized, st.forced_tf)
    };
    let cl = child.lwp()?;
    if forced_tf && let Some(mut f) = lwp::read_user_frame(&cl) {
        // The parent's single step is not the child's.
        f.rflags &= !RFLAGS_TF;
        lwp::write_user_frame(&cl, f);
    }
    let (event, option) = if vfork {
        (pt::PTRACE_EVENT_VFORK, pt::PTRACE_O_TRACEVFORK)
    } else {
        (pt::PTRACE_EVENT_FORK, pt::PTRACE_O_TRACEFORK)
    };
    if tracer == 0 || options & option == 0 {
        return None;
    }
    let tp = ptable::lock().find(tracer)?;
    {
        let mut st = child.ptrace.lock();
        st.tracer = tracer;
        st.options = options;
        st.seized = seized;
        st.interrupt = seized;
    }
    child.ptrace.set_flags(flag::TRACED);
    tp.ptrace.add_tracee();
    if seized {
        lwp::interrupt(&cl);
    } else {
        post(child, SigInfo::kernel(s::SIGSTOP));
    }
    Some(event)
}

/// The parent's PTRACE_EVENT_FORK/VFORK stop (after the child started;
/// before a vfork parent waits for its child).
pub fn fork_event(frame: &mut TrapFrame, event: Option<i32>, child: Pid) {
    let Some(event) = event else {
        return;
    };
    let l = curlwp();
    let Some(p) = l.proc() else {
        return;
    };
    let _ = ptrace_stop(
        p,
        l,
        frame,
        Why::Event {
            event,
            msg: child as u64,
        },
    );
}

/// The start of exit (`exit1`): PTRACE_EVENT_EXIT with the wait status as
/// the event message (not for a death by SIGKILL).
pub fn exit_event(ws: &WaitStatus) {
    let l = curlwp();
    let Some(p) = l.proc() else {
        return;
    };
    if !p.ptrace.is_traced()
        || matches!(ws, WaitStatus::Signaled { sig, .. } if *sig as i32 == s::SIGKILL)
        || p.ptrace.lock().options & pt::PTRACE_O_TRACEEXIT == 0
    {
        return;
    }
    let Some(mut f) = lwp::read_user_frame(l) else {
        return;
    };
    let msg = ws.encode() as u32 as u64;
    let _ = ptrace_stop(
        p,
        l,
        &mut f,
        Why::Event {
            event: pt::PTRACE_EVENT_EXIT,
            msg,
        },
    );
}

/// A traced process became a zombie with wait status `status` (`exit1`,
/// after it left the table when `autoreaped`). Traced by its parent (or
/// gone from the table): simply detached, the parent's wait reports the
/// exit. Traced by another process: that tracer is told and reports the
/// exit first; until it has, the parent's wait does not see the zombie
/// (`wait::parent_may_reap`).
pub fn tracee_exit(p: &Proc, status: i32, autoreaped: bool) {
    let tracer = p.ptrace.lock().tracer;
    if tracer == 0 {
        return;
    }
    let parent = if autoreaped {
        None
    } else {
        ptable::lock().get(p.pid()).map(|slot| slot.parent)
    };
    match parent {
        Some(parent) if parent != tracer => {
            let Some(tp) = ptable::lock().find(tracer) else {
                return;
            };
            let code = match WaitStatus::decode(status) {
                Some(WaitStatus::Signaled { core: true, .. }) => sicode::CLD_DUMPED,
                Some(WaitStatus::Signaled { .. }) => sicode::CLD_KILLED,
                _ => sicode::CLD_EXITED,
            };
            let st = match WaitStatus::decode(status) {
                Some(WaitStatus::Signaled { sig, .. }) => sig as i32,
                Some(WaitStatus::Exited(c)) => c as i32,
                _ => 0,
            };
            post(
                &tp,
                SigInfo {
                    signo: s::SIGCHLD,
                    code,
                    pid: p.pid(),
                    uid: 0,
                    status: st,
                    addr: 0,
                },
            );
            sleepq::wakeup(tp.wait_chan());
        }
        _ => {
            let tracer = {
                let mut st = p.ptrace.lock();
                super::untrace_locked(p, &mut st)
            };
            super::release_tracer(tracer);
        }
    }
}

/// A tracer exits (`exit1`): each tracee is detached (and resumed if it is
/// in a stop), or killed if it asked for PTRACE_O_EXITKILL; a tracee that
/// already exited is handed to its parent's wait.
pub fn tracer_exit(p: &Proc) {
    if !p.ptrace.is_tracer() {
        return;
    }
    let me = p.pid();
    let tracees: Vec<ProcRef> = {
        let t = ptable::lock();
        let mut v = Vec::new();
        for (_, slot) in t.all() {
            if slot.proc.ptrace.lock().tracer == me && v.try_reserve(1).is_ok() {
                v.push(slot.proc.clone());
            }
        }
        v
    };
    for c in tracees {
        let (exitkill, stopped) = {
            let mut st = c.ptrace.lock();
            if st.tracer != me {
                continue;
            }
            let exitkill = st.options & pt::PTRACE_O_EXITKILL != 0;
            let stopped = st.stop.is_some();
            super::untrace_locked(&c, &mut st);
            if stopped {
                st.resume = Some(Resume {
                    how: super::How::Detach,
                    sig: 0,
                });
            }
            (exitkill, stopped)
        };
        p.ptrace.remove_tracee();
        if exitkill {
            post(&c, SigInfo::kernel(s::SIGKILL));
        }
        if stopped && let Some(l) = c.lwp() {
            lwp::continue_thread(&l);
        }
        // A zombie that waited for us to report it: its parent may reap it.
        let parent = {
            let t = ptable::lock();
            t.get(c.pid())
                .filter(|slot| slot.state == PState::Zombie)
                .and_then(|slot| t.find(slot.parent))
        };
        if let Some(pp) = parent {
            sleepq::wakeup(pp.wait_chan());
        }
    }
}

/// True while `p` is in a ptrace stop. A SIGCONT then leaves it stopped
/// (only its tracer, a detach or SIGKILL ends the stop; `sig::post`).
pub fn in_trace_stop(p: &Proc) -> bool {
    let st = p.ptrace.lock();
    st.tracer != 0 && st.stop.is_some()
}
