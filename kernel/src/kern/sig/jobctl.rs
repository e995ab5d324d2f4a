//! Job control (NetBSD's proc_stop and proc_unstop): a stop signal's
//! default action stops the process; SIGCONT (and SIGKILL) run it again.
//! The parent hears of a stop and of a continue through wait (the
//! process-table event WUNTRACED / WCONTINUED report) and through SIGCHLD
//! with CLD_STOPPED / CLD_CONTINUED, unless its SIGCHLD action has
//! SA_NOCLDSTOP. A SIGKILL that ends a stop is no continue: the parent
//! hears only of the death.
//!
//! The race between a stop and a continue: a stop signal is taken off the
//! pending set (forgetting any earlier continue) under the process's
//! signal lock, and SIGCONT is sent under the same lock. A SIGCONT that
//! finds the thread not yet stopped leaves it a note (`cont_pending`), so
//! the thread does not stop at all; the continue is then reported here by
//! the thread itself, since the sender did not see a stopped thread.

use super::SigInfo;
use crate::kern::proc::Proc;
use crate::kern::proc::ptable::{self, Event};
use ferrite_abi::sicode;
use ferrite_abi::signal as s;

/// Tell the parent of `p` about a job-control change: record `event` for
/// wait, send SIGCHLD with `code` and `status` unless the parent asked for
/// no SIGCHLD on stops and continues, and wake its waits.
fn tell_parent(p: &Proc, event: Event, code: i32, status: i32) {
    let pid = p.pid();
    let parent = {
        let mut t = ptable::lock();
        let Some(slot) = t.get_mut(pid) else {
            return;
        };
        slot.event = event;
        let parent = slot.parent;
        t.find(parent)
    };
    if let Some(pp) = &parent {
        let nocldstop = pp.sig.lock().action(s::SIGCHLD).flags & s::SA_NOCLDSTOP != 0;
        if !nocldstop {
            super::post(
                pp,
                SigInfo {
                    signo: s::SIGCHLD,
                    code,
                    pid,
                    status,
                    ..SigInfo::NONE
                },
            );
        }
        crate::kern::sched::sleepq::wakeup(pp.wait_chan());
    }
}

/// The default action of stop signal `sig`: the process stops until
/// SIGCONT or SIGKILL; its parent hears of it (and of the continue, if
/// one came before the thread had actually stopped).
pub fn stop_self(p: &Proc, sig: i32) {
    tell_parent(p, Event::Stopped(sig), sicode::CLD_STOPPED, sig);
    let stopped = crate::kern::sched::lwp::stop_current();
    // A SIGKILL also ends a stop early, but is no continue.
    if !stopped && !p.sig.lock().pending.set.contains(s::SIGKILL) {
        report_continue(p);
    }
}

/// A stopped process was continued by SIGCONT: tell its parent.
pub fn report_continue(p: &Proc) {
    tell_parent(p, Event::Continued, sicode::CLD_CONTINUED, s::SIGCONT);
}
