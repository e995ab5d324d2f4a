//! Threads and scheduling (NetBSD's kern_lwp.c, kern_synch.c,
//! kern_sleepq.c, kern_timeout.c, kern_mutex.c, kern_rwlock.c):
//!
//! - `lwp`: threads, their creation, exit and reaping;
//! - `kstack`: kernel stacks from the kernel map, with guard pages;
//! - `sched`: thread states, the run queue, the switch, preemption;
//! - `sleepq`: sleeping on wait channels, wakeups, timeouts, interruption;
//! - `callout`: the timing wheel the clock tick drives;
//! - `spinlock`, `mutex`, `rwlock`: interrupt-safe spin locks and
//!   sleepable mutexes and reader-writer locks.
//!
//! `init` turns the boot context into the first thread (lwp0, which runs
//! the demo or the test suite on the boot stack) and creates this CPU's
//! idle thread, which halts with interrupts on when nothing is runnable.

pub mod bench;
pub mod callout;
pub mod kstack;
pub mod lwp;
pub mod mutex;
pub mod rwlock;
#[allow(clippy::module_inception)]
pub mod sched;
pub mod sleepq;
pub mod spinlock;
mod tests;

pub use sched::{curlwp, kpreempt, yield_now};

use crate::arch::x86_64::{apic, percpu, stack};

/// Threads the tables have room for from boot.
const RESERVED_THREADS: usize = 512;
use x86_64::instructions::interrupts;

/// Turn the boot context into lwp0 and start the idle thread. Call once,
/// with interrupts off, after the heap, the pools and the kernel map work.
pub fn init() {
    // Tables that only grow get room up front (growing them later is fine,
    // but the tests' leak checks would see it).
    sched::reserve(RESERVED_THREADS);
    callout::reserve(RESERVED_THREADS * 2);
    kstack::reserve();
    let (bottom, top) = stack::boot_stack();
    let lwp0 = lwp::create_boot_thread("lwp0", (bottom, top)).expect("no memory for lwp0");
    let cpu = percpu::this_cpu();
    cpu.set_curlwp(lwp::LwpRef::as_ptr(&lwp0) as usize);
    cpu.set_kernel_stack(bottom, top);
    let idle = lwp::create_idle_thread("idle0", idle_loop).expect("no memory for the idle thread");
    {
        let mut g = sched::lock();
        sched::set_idle(&mut g, cpu.id(), idle.id().index());
    }
    // The table keeps both threads alive; lwp0 and idle never exit.
    drop(idle);
    drop(lwp0);
}

/// The idle thread: run whatever becomes runnable, else halt until the
/// next interrupt (checking and halting without a window in between).
fn idle_loop(_: usize) {
    loop {
        interrupts::disable();
        let runnable = {
            let g = sched::lock();
            g.runq_len(percpu::this_cpu().id()) > 0
        };
        if runnable {
            interrupts::enable();
            yield_now();
        } else {
            // `sti; hlt`: an interrupt that makes a thread runnable ends
            // the halt, and the loop looks again.
            interrupts::enable_and_hlt();
        }
    }
}

/// The clock interrupt's machine-independent work (hardclock): callouts
/// that are due, and the running thread's quantum.
pub fn hardclock() {
    // The serial console has no receive interrupt wired: typed bytes are
    // collected here, each tick.
    crate::dev::console::poll_input();
    callout::tick(apic::ticks());
    sched::clock_tick();
}

/// Preemption off while the guard lives (the thread keeps the CPU unless it
/// sleeps or yields itself).
pub struct NoPreempt(());

impl NoPreempt {
    pub fn new() -> NoPreempt {
        percpu::this_cpu().preempt_disable();
        NoPreempt(())
    }
}

impl Drop for NoPreempt {
    fn drop(&mut self) {
        percpu::this_cpu().preempt_enable();
    }
}

impl Default for NoPreempt {
    fn default() -> Self {
        Self::new()
    }
}

/// True if the current context may sleep (no spin lock held, interrupts
/// on, not in an interrupt handler, the scheduler running).
pub fn may_sleep() -> bool {
    let Some(cpu) = percpu::try_this_cpu() else {
        return false;
    };
    sched::started() && cpu.spin_held() == 0 && cpu.intr_depth() == 0 && interrupts::are_enabled()
}

/// The running thread's name, for the double-fault report (no locks
/// waited for: the panic path may have interrupted anything).
pub fn panic_thread_name() -> lwp::Name {
    if !sched::started() {
        return lwp::Name::new("boot");
    }
    sched::curlwp().name()
}
