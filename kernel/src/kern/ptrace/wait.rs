//! What wait4/waitid see of ptrace (called by `proc::exit`'s wait with the
//! process-table lock held).
//!
//! - A tracer waits for its tracees whether or not they are its children:
//!   a ptrace stop not yet reported is reported (WIFSTOPPED with the
//!   stop's signal, `status >> 16` the event), without WUNTRACED (Linux's
//!   rule for ptrace stops); a tracee that is not its child and has exited
//!   is reported too (with WEXITED), once, and then handed over to its
//!   real parent (detached; the parent is woken).
//! - A traced child's real parent, if it is not the tracer, does not see
//!   the child's exit until the tracer has (Linux: "a zombie ptracee is
//!   only visible to its ptracer"), then reaps it as usual. A child traced
//!   by its own parent is detached when it exits and is reaped by the
//!   usual child path.
//!
//! The tracees of a tracer are found by a walk of the process table, done
//! only for processes that have tracees (`Ptrace::is_tracer`).

use super::untrace_locked;
use crate::kern::proc::ptable::{PState, PTable};
use crate::kern::proc::{Pid, Proc};
use crate::kern::sched::sleepq;
use ferrite_abi::WaitStatus;
use ferrite_abi::sicode;
use ferrite_abi::wait as w;

/// One report for wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub pid: Pid,
    /// The wait4 status.
    pub status: i32,
    /// waitid's si_code and si_status.
    pub code: i32,
    pub si_status: i32,
}

/// What the tracer's part of a wait found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitScan {
    /// Something to report.
    pub found: Option<Report>,
    /// The waiter has tracees the wait is about (so it is not ECHILD even
    /// without children).
    pub any: bool,
}

enum Hit {
    Stop(super::Stop),
    Exit(i32),
}

/// The tracer `me`'s wait among its tracees that `matches` (see the module
/// comment); unless `keep` (WNOWAIT, or a look before sleeping), what is
/// reported is consumed.
pub fn scan(
    t: &mut PTable,
    me: &Proc,
    matches: &dyn Fn(&PTable, Pid) -> bool,
    options: i32,
    keep: bool,
) -> WaitScan {
    if !me.ptrace.is_tracer() {
        return WaitScan::default();
    }
    let mypid = me.pid();
    let mut any = false;
    let mut hit = None;
    for (pid, slot) in t.all() {
        let st = slot.proc.ptrace.lock();
        if st.tracer != mypid || !matches(t, pid) {
            continue;
        }
        any = true;
        if slot.state == PState::Zombie {
            // A child of ours is reaped by the child path.
            if slot.parent != mypid && options & w::WEXITED != 0 {
                hit = Some((pid, Hit::Exit(slot.xstat)));
                break;
            }
            continue;
        }
        if let Some(stop) = st.stop
            && !st.reported
        {
            hit = Some((pid, Hit::Stop(stop)));
            break;
        }
    }
    let Some((pid, hit)) = hit else {
        return WaitScan { found: None, any };
    };
    let report = match hit {
        Hit::Stop(stop) => {
            if !keep && let Some(slot) = t.get(pid) {
                slot.proc.ptrace.lock().reported = true;
            }
            Report {
                pid,
                status: stop.status(),
                code: sicode::CLD_TRAPPED,
                si_status: (stop.sig & 0xff) | (stop.event << 8),
            }
        }
        Hit::Exit(status) => {
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
            if !keep {
                // Reported: detach, and let the real parent reap it.
                let parent = t.get(pid).map(|slot| {
                    let mut st = slot.proc.ptrace.lock();
                    untrace_locked(&slot.proc, &mut st);
                    slot.parent
                });
                me.ptrace.remove_tracee();
                if let Some(pp) = parent.and_then(|pp| t.find(pp)) {
                    sleepq::wakeup(pp.wait_chan());
                }
            }
            Report {
                pid,
                status,
                code,
                si_status,
            }
        }
    };
    WaitScan {
        found: Some(report),
        any: true,
    }
}

/// May the real parent reap the zombie `z`? Not while a tracer other than
/// the parent has yet to report its exit.
pub fn parent_may_reap(t: &PTable, z: Pid) -> bool {
    t.get(z).is_none_or(|slot| {
        let tracer = slot.proc.ptrace.lock().tracer;
        tracer == 0 || tracer == slot.parent
    })
}
