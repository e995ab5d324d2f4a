//! The way back to user mode (NetBSD's `userret`): after a system call or
//! a trap from user mode, and before a new thread first enters user mode,
//! the thread does the work that was postponed to this safe point: it gives
//! up the CPU if the scheduler asked for it (preemption), and acts on
//! pending signals (`sig::deliver_pending`). It loops until nothing is
//! left and returns with interrupts off, so nothing new can arrive before
//! the return to user mode.
//!
//! `enter_user_mode` is the one place a thread leaves for user mode
//! through its saved frame without returning from a trap (new threads,
//! and later exec): an audited use of the entry path.

#![allow(unsafe_code)]

use crate::arch::x86_64::percpu;
use crate::arch::x86_64::trap::TrapFrame;
use x86_64::instructions::interrupts;

/// Finish the kernel's work for the user frame `frame` of the current thread.
pub fn userret(frame: &mut TrapFrame) {
    loop {
        interrupts::disable();
        if percpu::this_cpu().want_resched() {
            interrupts::enable();
            super::sched::yield_now();
            continue;
        }
        if super::sig::work_pending() {
            interrupts::enable();
            super::sig::deliver_pending(frame);
            continue;
        }
        super::sig::finish_return(frame);
        return;
    }
}

/// Leave for user mode through the running thread's saved user frame (the
/// top of its kernel stack), after the return-to-user work.
pub fn enter_user_mode() -> ! {
    let l = super::sched::curlwp();
    let mut f = super::sched::lwp::read_user_frame(l).expect("running thread without a stack");
    userret(&mut f);
    super::sched::lwp::write_user_frame(l, f);
    interrupts::disable();
    let addr = l.user_frame_addr();
    // SAFETY: `addr` is this thread's user frame at the top of its own
    // kernel stack (built by uthread_create, fork or exec with user
    // selectors and sanitised flags); interrupts are off; nothing on the
    // stack below the frame is needed again.
    unsafe { crate::arch::x86_64::entry::return_to_user(addr as *const TrapFrame) }
}
