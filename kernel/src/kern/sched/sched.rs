//! The scheduler (NetBSD's kern_synch.c/sched_*): thread states, the run
//! queue, the sleep queues' storage, and the switch.
//!
//! State. Every thread (lwp) has a slot in the thread table, indexed by a
//! small number and stamped with a generation (an `LwpId` is both). A slot
//! holds the thread's scheduling state: its `Stat`, its run/sleep queue
//! links, its wait channel and why it was woken. A thread is on at most one
//! list at a time: the run queue of a CPU (runnable), a sleep-queue bucket
//! (sleeping), or the free list (an unused slot). All of it is guarded by
//! one spin lock, the scheduler lock, taken with interrupts off (OpenBSD's
//! SCHED_LOCK: correct on several CPUs, if not the most scalable; run
//! queues are already per CPU and reached through GS).
//!
//! Every operation is O(1): enqueue and dequeue on intrusive lists, lookup
//! by slot index. No operation scans all threads.
//!
//! Switching. `mi_switch` is entered with the scheduler lock held and the
//! current thread's new state already set (runnable and queued by `yield`,
//! sleeping, stopped or a zombie). It takes the first runnable thread (the
//! idle thread if there is none), switches the MD state (`switch_to`: FPU,
//! TLS bases, kernel stack; the address space if it differs) and the
//! registers. The lock is handed to the next thread, which releases it
//! (`finish_switch`): a switched-out thread resumes inside `mi_switch` with
//! the lock held on its behalf, a new thread in `lwp_trampoline`. The
//! per-thread preemption count is saved and restored with the thread.
//!
//! Round robin: a thread that has run for `QUANTUM_TICKS` clock ticks while
//! others wait is asked to reschedule (`want_resched`) and gives up the CPU
//! at the next safe point: on the way back to user mode, or when an
//! interrupt returns to kernel code that may be preempted (no spin lock
//! held, preemption not disabled, interrupts were on).
//!
//! A thread that exits becomes a zombie and switches away for the last
//! time; the next thread to run frees its kernel stack (it cannot free the
//! stack it stands on). The slot stays until the thread is reaped.

#![allow(unsafe_code)] // audited: the curlwp pointer and the lock handoff

use super::lwp::{Lwp, LwpId, LwpRef};
use crate::arch::x86_64::percpu::{self, MAX_CPUS};
use crate::arch::x86_64::switch::{self, SwitchArgs};
use crate::kern::error::{KResult, KernError};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use ferrite_ilist::{List, ListStore};
use x86_64::instructions::interrupts;

/// Clock ticks a thread may run while others wait.
pub const QUANTUM_TICKS: u32 = 5;

/// Buckets of the sleep-queue hash.
pub const SLEEPQ_BUCKETS: usize = 64;

/// A thread's scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    /// Slot unused.
    Free,
    /// Created, not yet started (never queued).
    Embryo,
    /// On a run queue.
    Runnable,
    /// Running on a CPU.
    Onproc,
    /// On a sleep queue.
    Sleeping,
    /// Stopped (job control, ptrace): on no queue until continued.
    Stopped,
    /// Exited, not yet reaped.
    Zombie,
}

/// Why a sleeping thread was woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    None,
    Wakeup,
    Signal,
    Timeout,
}

pub(super) struct Slot {
    pub lwp: Option<LwpRef>,
    pub generation: u32,
    pub stat: Stat,
    next: Option<u32>,
    prev: Option<u32>,
    /// Running on a CPU now (between the switch to it and the switch away).
    pub onproc: bool,
    pub wchan: usize,
    pub interruptible: bool,
    pub wake: WakeReason,
    /// Stamp of the current sleep, and of the sleep the timeout callout
    /// was armed for (a late timeout must not end a later sleep).
    pub sleep_seq: u64,
    pub timeout_seq: u64,
    /// The thread's preemption-disable count while it is switched out.
    pub preempt_off: u32,
    /// Clock ticks left in the running thread's quantum.
    pub quantum: u32,
}

impl Slot {
    fn free(generation: u32) -> Slot {
        Slot {
            lwp: None,
            generation,
            stat: Stat::Free,
            next: None,
            prev: None,
            onproc: false,
            wchan: 0,
            interruptible: false,
            wake: WakeReason::None,
            sleep_seq: 0,
            timeout_seq: 0,
            preempt_off: 0,
            quantum: QUANTUM_TICKS,
        }
    }
}

struct Links<'a>(&'a mut Vec<Slot>);

impl ListStore for Links<'_> {
    type Handle = u32;
    fn next(&self, h: u32) -> Option<u32> {
        self.0[h as usize].next
    }
    fn prev(&self, h: u32) -> Option<u32> {
        self.0[h as usize].prev
    }
    fn set_next(&mut self, h: u32, v: Option<u32>) {
        self.0[h as usize].next = v;
    }
    fn set_prev(&mut self, h: u32, v: Option<u32>) {
        self.0[h as usize].prev = v;
    }
}

/// Threads whose kernel stacks wait to be freed after their last switch.
const DEAD_MAX: usize = 8;

pub(super) struct SchedState {
    pub slots: Vec<Slot>,
    free: List<u32>,
    runq: [List<u32>; MAX_CPUS],
    sleepq: [List<u32>; SLEEPQ_BUCKETS],
    idle: [Option<u32>; MAX_CPUS],
    dead: [Option<LwpRef>; DEAD_MAX],
    next_seq: u64,
    /// Threads alive (slots in use).
    pub nlwps: usize,
}

fn bucket(wchan: usize) -> usize {
    (wchan.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) % SLEEPQ_BUCKETS
}

impl SchedState {
    const fn new() -> Self {
        SchedState {
            slots: Vec::new(),
            free: List::new(),
            runq: [const { List::new() }; MAX_CPUS],
            sleepq: [const { List::new() }; SLEEPQ_BUCKETS],
            idle: [None; MAX_CPUS],
            dead: [const { None }; DEAD_MAX],
            next_seq: 1,
            nlwps: 0,
        }
    }

    /// The slot of `id`, if it still names a live thread.
    pub fn slot_of(&mut self, id: LwpId) -> Option<&mut Slot> {
        let s = self.slots.get_mut(id.index() as usize)?;
        (s.generation == id.generation() && s.stat != Stat::Free).then_some(s)
    }

    pub fn slot(&mut self, idx: u32) -> &mut Slot {
        &mut self.slots[idx as usize]
    }

    /// Reserve a slot for a new thread; returns (index, generation).
    pub fn alloc_slot(&mut self) -> KResult<(u32, u32)> {
        let idx = match self.free.pop_front(&mut Links(&mut self.slots)) {
            Some(i) => i,
            None => {
                self.slots.try_reserve(1).map_err(|_| KernError::NoMem)?;
                self.slots.push(Slot::free(1));
                (self.slots.len() - 1) as u32
            }
        };
        let s = &mut self.slots[idx as usize];
        s.stat = Stat::Embryo;
        self.nlwps += 1;
        Ok((idx, s.generation))
    }

    /// Free a reaped thread's slot; returns its table reference.
    pub fn free_slot(&mut self, idx: u32) -> Option<LwpRef> {
        let s = &mut self.slots[idx as usize];
        debug_assert!(matches!(s.stat, Stat::Zombie | Stat::Embryo));
        let lwp = s.lwp.take();
        let generation = s.generation.wrapping_add(1).max(1);
        *s = Slot::free(generation);
        self.free.push_back(&mut Links(&mut self.slots), idx);
        self.nlwps -= 1;
        lwp
    }

    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Put a thread that became runnable where it belongs: a thread still
    /// on its CPU (woken between deciding to sleep and switching) just
    /// keeps running; any other goes to the tail of the run queue.
    pub fn make_runnable(&mut self, idx: u32) {
        let s = &mut self.slots[idx as usize];
        if s.onproc {
            s.stat = Stat::Onproc;
        } else {
            s.stat = Stat::Runnable;
            let cpu = percpu::this_cpu().id();
            self.runq[cpu].push_back(&mut Links(&mut self.slots), idx);
        }
    }

    pub fn runq_len(&self, cpu: usize) -> usize {
        self.runq[cpu].len()
    }

    pub fn sleepq_insert(&mut self, idx: u32, wchan: usize) {
        self.slots[idx as usize].wchan = wchan;
        self.sleepq[bucket(wchan)].push_back(&mut Links(&mut self.slots), idx);
    }

    pub fn sleepq_remove(&mut self, idx: u32) {
        let b = bucket(self.slots[idx as usize].wchan);
        self.sleepq[b].remove(&mut Links(&mut self.slots), idx);
    }

    /// Wake the threads sleeping on `wchan` (the first one only unless
    /// `all`), in the order they went to sleep; returns how many.
    pub fn wake_channel(&mut self, wchan: usize, all: bool, why: WakeReason) -> usize {
        let b = bucket(wchan);
        let mut woken = 0;
        let mut cur = self.sleepq[b].head();
        while let Some(h) = cur {
            cur = self.slots[h as usize].next;
            if self.slots[h as usize].wchan != wchan {
                continue;
            }
            self.sleepq[b].remove(&mut Links(&mut self.slots), h);
            self.slots[h as usize].wake = why;
            self.make_runnable(h);
            woken += 1;
            if !all {
                break;
            }
        }
        woken
    }

    /// Wake one sleeping thread for `why` (signal, timeout) if it is still
    /// in the sleep stamped `seq` (any sleep when `seq` is None) and, for a
    /// signal, sleeps interruptibly. True if it was woken.
    pub fn wake_thread(&mut self, idx: u32, seq: Option<u64>, why: WakeReason) -> bool {
        let s = &self.slots[idx as usize];
        if s.stat != Stat::Sleeping
            || seq.is_some_and(|q| q != s.sleep_seq)
            || (why == WakeReason::Signal && !s.interruptible)
        {
            return false;
        }
        self.sleepq_remove(idx);
        self.slots[idx as usize].wake = why;
        self.make_runnable(idx);
        true
    }

    /// Check the queues against the slots' states.
    pub fn check(&mut self) -> Result<(), &'static str> {
        let mut links = Links(&mut self.slots);
        for q in self.runq.iter() {
            q.check(&links)?;
        }
        for q in self.sleepq.iter() {
            q.check(&links)?;
        }
        self.free.check(&links)?;
        let slots = &mut links.0;
        let mut on_runq = 0;
        let mut sleeping = 0;
        for s in slots.iter() {
            match s.stat {
                Stat::Runnable => on_runq += 1,
                Stat::Sleeping if !s.onproc => sleeping += 1,
                _ => {}
            }
        }
        let queued_run: usize = self.runq.iter().map(|q| q.len()).sum();
        if on_runq != queued_run {
            return Err("runnable threads and run-queue lengths disagree");
        }
        let queued_sleep: usize = self.sleepq.iter().map(|q| q.len()).sum();
        if sleeping > queued_sleep {
            return Err("sleeping threads missing from the sleep queues");
        }
        Ok(())
    }
}

/// The scheduler lock and the state it guards.
static SCHED: spin::Mutex<SchedState> = spin::Mutex::new(SchedState::new());

/// The scheduler lock, held (interrupts off).
pub(super) struct SchedGuard {
    guard: Option<spin::MutexGuard<'static, SchedState>>,
    irq_on: bool,
}

impl core::ops::Deref for SchedGuard {
    type Target = SchedState;
    fn deref(&self) -> &SchedState {
        self.guard.as_ref().expect("live guard")
    }
}

impl core::ops::DerefMut for SchedGuard {
    fn deref_mut(&mut self) -> &mut SchedState {
        self.guard.as_mut().expect("live guard")
    }
}

impl Drop for SchedGuard {
    fn drop(&mut self) {
        if let Some(g) = self.guard.take() {
            drop(g);
            percpu::this_cpu().spin_exit();
            if self.irq_on {
                interrupts::enable();
            }
        }
    }
}

/// Take the scheduler lock.
pub(super) fn lock() -> SchedGuard {
    let irq_on = interrupts::are_enabled();
    interrupts::disable();
    let guard = match SCHED.try_lock() {
        Some(g) => g,
        None if MAX_CPUS == 1 => panic!("scheduler lock taken while already held"),
        None => SCHED.lock(),
    };
    percpu::this_cpu().spin_enter();
    SchedGuard {
        guard: Some(guard),
        irq_on,
    }
}

/// Release the scheduler lock held on this thread's behalf after a switch
/// (the thread that switched to us took it).
fn release_handed_lock(irq_on: bool) {
    // The switch protocol: whoever switched to this thread holds the
    // scheduler lock for it and left it locked (its guard forgotten).
    // SAFETY: this thread is the one to release it, exactly once.
    unsafe { SCHED.force_unlock() };
    percpu::this_cpu().spin_exit();
    if irq_on {
        interrupts::enable();
    }
}

/// The running thread.
#[inline]
pub fn curlwp() -> &'static Lwp {
    let p = percpu::this_cpu().curlwp();
    debug_assert!(p != 0, "curlwp before the scheduler started");
    // The per-CPU slot holds the address of the running thread's Lwp,
    // which its table slot keeps alive until it has been reaped, which
    // happens only after it switched away for the last time. Callers must
    // not keep the reference beyond the thread's own execution.
    // SAFETY: code running on the thread therefore always sees it alive.
    unsafe { &*(p as *const Lwp) }
}

/// True once the scheduler runs threads (before: early boot).
pub fn started() -> bool {
    percpu::try_this_cpu().is_some_and(|c| c.curlwp() != 0)
}

/// Switches done (statistics).
pub static SWITCHES: AtomicU64 = AtomicU64::new(0);

/// Give up the CPU. `g` holds the scheduler lock; the current thread's
/// slot already has its new state (queued if runnable). Returns when the
/// thread runs again (never for a zombie).
pub(super) fn mi_switch(mut g: SchedGuard) {
    let cpu = percpu::this_cpu();
    let cur = curlwp();
    let cur_idx = cur.index();
    let cpu_id = cpu.id();
    let next_idx = {
        let st = &mut *g;
        let mut links = Links(&mut st.slots);
        st.runq[cpu_id]
            .pop_front(&mut links)
            .or(st.idle[cpu_id])
            .expect("no idle thread")
    };
    cpu.set_want_resched(false);
    if next_idx == cur_idx {
        let s = g.slot(cur_idx);
        s.stat = Stat::Onproc;
        s.quantum = QUANTUM_TICKS;
        return;
    }
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    let preempt = cpu.preempt_off();
    {
        let s = g.slot(cur_idx);
        s.onproc = false;
        s.preempt_off = preempt;
    }
    let next: &Lwp = {
        let s = g.slot(next_idx);
        s.stat = Stat::Onproc;
        s.onproc = true;
        s.quantum = QUANTUM_TICKS;
        cpu.set_preempt_off(s.preempt_off);
        let p = LwpRef::as_ptr(s.lwp.as_ref().expect("runnable slot without a thread"));
        // The table's reference keeps the thread alive while it is runnable
        // or running.
        // SAFETY: it is reaped only as a zombie that switched away, later.
        unsafe { &*p }
    };
    cpu.set_curlwp(next as *const Lwp as usize);
    next.activate_vmspace();
    let args = SwitchArgs {
        from: &cur.md,
        to: &next.md,
        to_stack: next.kstack_range(),
    };
    let irq_on = g.irq_on;
    // Keep the lock held across the switch: the next thread releases it.
    if let Some(guard) = g.guard.take() {
        core::mem::forget(guard);
    }
    switch::switch_to(args);
    // Back on this thread: someone switched to us holding the lock.
    release_handed_lock(irq_on);
    finish_switch();
}

/// Work a thread does right after it starts running again: free the
/// kernel stacks of threads that exited (and the table slots of those
/// nobody joins).
pub(super) fn finish_switch() {
    let dead: [Option<LwpRef>; DEAD_MAX] = {
        let mut g = lock();
        core::mem::replace(&mut g.dead, [const { None }; DEAD_MAX])
    };
    for l in dead.into_iter().flatten() {
        l.release_kstack();
        if l.is_detached() {
            let table_ref = lock().free_slot(l.index());
            drop(table_ref);
        }
    }
}

/// First code of every new thread (after the switch that started it).
pub(super) extern "C" fn lwp_trampoline(_arg: usize) -> ! {
    release_handed_lock(true);
    finish_switch();
    let l = curlwp();
    let (entry, arg) = l.take_start().expect("thread started twice");
    entry(arg);
    super::lwp::exit(0)
}

/// Queue a thread for `finish_switch` to free its kernel stack.
pub(super) fn push_dead(st: &mut SchedState, l: LwpRef) {
    let slot = st
        .dead
        .iter_mut()
        .find(|d| d.is_none())
        .expect("too many exited threads waiting for their stacks to be freed");
    *slot = Some(l);
}

/// Make this CPU's idle thread the one `mi_switch` falls back to.
pub(super) fn set_idle(st: &mut SchedState, cpu: usize, idx: u32) {
    st.idle[cpu] = Some(idx);
}

pub(super) fn is_idle(st: &SchedState, cpu: usize, idx: u32) -> bool {
    st.idle[cpu] == Some(idx)
}

/// Give the CPU to the next runnable thread, if any (sched_yield).
pub fn yield_now() {
    let mut g = lock();
    let cpu = percpu::this_cpu().id();
    let idx = curlwp().index();
    if !is_idle(&g, cpu, idx) {
        g.make_runnable_tail(idx);
    }
    mi_switch(g);
}

impl SchedState {
    /// The running thread goes to the tail of its run queue (yield).
    fn make_runnable_tail(&mut self, idx: u32) {
        let cpu = percpu::this_cpu().id();
        let s = &mut self.slots[idx as usize];
        s.stat = Stat::Runnable;
        self.runq[cpu].push_back(&mut Links(&mut self.slots), idx);
    }
}

/// Preempt the running thread if the scheduler asked for it and the
/// kernel is at a point where that is allowed (called when an interrupt
/// returns to kernel code that ran with interrupts on).
pub fn kpreempt() {
    let cpu = percpu::this_cpu();
    if cpu.want_resched() && cpu.preempt_off() == 0 && cpu.spin_held() == 0 && cpu.intr_depth() == 0
    {
        yield_now();
    }
}

/// The clock's share of the scheduler: charge the running thread a tick;
/// when its quantum is used up and others wait, ask for a reschedule.
pub(super) fn clock_tick() {
    let cpu = percpu::this_cpu();
    if cpu.curlwp() == 0 {
        return;
    }
    let mut g = lock();
    let idx = curlwp().index();
    let waiting = g.runq_len(cpu.id()) > 0;
    let idle = is_idle(&g, cpu.id(), idx);
    let s = g.slot(idx);
    s.quantum = s.quantum.saturating_sub(1);
    if waiting && (s.quantum == 0 || idle) {
        cpu.set_want_resched(true);
    }
}

/// Make room for `n` threads in the table.
pub(super) fn reserve(n: usize) {
    let _ = lock().slots.try_reserve(n);
}

/// Check the scheduler's queues (tests).
pub fn check_invariants() -> Result<(), &'static str> {
    lock().check()
}

/// Threads alive.
pub fn nlwps() -> usize {
    lock().nlwps
}

/// The scheduler's system calls.
pub const SYSCALLS: crate::kern::syscall::table::SysList = &[crate::sys!(
    ferrite_abi::syscall::SYS_sched_yield,
    "sched_yield",
    sys_sched_yield,
    []
)];

/// sched_yield(2).
pub fn sys_sched_yield(
    _: &mut crate::kern::syscall::SyscallCtx<'_>,
) -> crate::kern::syscall::SysResult {
    yield_now();
    Ok(0)
}
