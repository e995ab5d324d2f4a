//! The way back to user mode (NetBSD's `userret`): after a system call or
//! a trap from user mode, and before a new thread first enters user mode,
//! the thread does the work that was postponed to this safe point: it gives
//! up the CPU if the scheduler asked for it (preemption), and acts on
//! pending signals (`sig::deliver_pending`). It loops until nothing is
//! left and returns with interrupts off, so nothing new can arrive before
//! the return to user mode.
//!
//! `enter_user_mode` is the one place a thread leaves for user mode
//! through its saved frame without returning from a trap (new threads):
//! the unsafe part, the entry path's return, is `arch`'s
//! (`usermode::leave_through_frame`).

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
    crate::arch::x86_64::usermode::leave_through_frame(&f)
}
