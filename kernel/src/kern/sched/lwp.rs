//! Threads (NetBSD's lwp, "light-weight process"): what a thread owns and
//! its life cycle.
//!
//! A thread has a name, a kernel stack from the kernel map (`kstack`, with
//! an unmapped guard page below), its machine-dependent state (saved
//! registers, FPU/SSE area, TLS bases: `arch::switch::Md`), optionally an
//! address space (a user thread), and a slot in the scheduler's table
//! (`sched`), where its scheduling state lives. Threads come from their own
//! pool (`lwppl`) and are shared through counted handles (`LwpRef`): the
//! table holds one, joiners and the run queue machinery hold others.
//!
//! Life cycle: `kthread_create`/`uthread_create` make a thread and put it
//! on the run queue; it runs its entry function (a user thread enters ring
//! 3 through its prepared frame); `exit` makes it a zombie (its address
//! space is dropped at once, its kernel stack right after its last switch,
//! by the next thread); `join` waits for the zombie and reaps it (frees its
//! slot). Nothing leaks: a test checks pages and pool items around the
//! whole cycle.

use super::callout::Callout;
use super::kstack::KStack;
use super::sched::{self, Stat, WakeReason};
use super::spinlock::SpinLock;
use crate::arch::x86_64::switch::{self, Md};
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::usermode;
use crate::kern::error::{KResult, KernError};
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_arc::{ArcPool, PoolArc};
use crate::kern::proc::ProcRef;
use crate::uvm::vmspace::Vmspace;
use alloc::sync::Arc;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU32, AtomicU64, Ordering};

/// A counted handle on a thread.
pub type LwpRef = PoolArc<Lwp>;

static LWP_POOL: ArcPool<Lwp> = ArcPool::new("lwppl");

/// A thread's identity: its table slot and the slot's generation, so an id
/// kept after the thread is reaped never names its successor.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LwpId(u64);

impl LwpId {
    fn new(index: u32, generation: u32) -> LwpId {
        LwpId(((generation as u64) << 32) | index as u64)
    }
    pub fn index(self) -> u32 {
        self.0 as u32
    }
    pub fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
    pub fn as_u64(self) -> u64 {
        self.0
    }
    pub fn from_u64(v: u64) -> LwpId {
        LwpId(v)
    }
}

impl fmt::Debug for LwpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lwp{}.{}", self.index(), self.generation())
    }
}

const NAME_LEN: usize = 16;

/// A thread's name (fixed size, like `comm` on Linux).
#[derive(Clone, Copy)]
pub struct Name {
    bytes: [u8; NAME_LEN],
    len: u8,
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Name {
    pub fn new(s: &str) -> Name {
        let mut bytes = [0; NAME_LEN];
        let mut len = 0;
        for (i, c) in s.bytes().take(NAME_LEN).enumerate() {
            bytes[i] = c;
            len = i + 1;
        }
        Name {
            bytes,
            len: len as u8,
        }
    }
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("?")
    }
}

/// What a new kernel thread runs.
pub type ThreadFn = fn(usize);

pub struct Lwp {
    id: LwpId,
    /// The name, readable without a lock (the panic path reads it).
    name: [AtomicU8; NAME_LEN],
    name_len: AtomicU8,
    /// Registers, FPU state and TLS bases (the arch's pcb).
    pub md: Md,
    kstack: SpinLock<Option<KStack>>,
    kstack_range: (u64, u64),
    vmspace: SpinLock<Option<Arc<Vmspace>>>,
    start: SpinLock<Option<(ThreadFn, usize)>>,
    /// Pool gets in NOWAIT mode in progress on this thread (a WAITOK get
    /// inside one is a bug: see `pool_allocator`).
    pub nowait_depth: AtomicU32,
    /// A signal (or other event) wants this thread out of interruptible
    /// sleeps; set by the signal code.
    pub interrupt_pending: AtomicBool,
    exit_status: AtomicI32,
    user: bool,
    /// The process the thread belongs to (None: a kernel thread, or a bare
    /// user thread of the tests). Fixed at creation.
    proc: Option<crate::kern::proc::ProcRef>,
    /// Wakes the thread when a sleep times out.
    pub(super) sleep_timer: Callout,
    /// Blocked and thread-directed signals, the alternate signal stack.
    pub sig: crate::kern::sig::LwpSig,
    /// A continue came before the thread got to stop (job control).
    cont_pending: AtomicBool,
    /// Nobody will join the thread: its table slot is freed with its
    /// kernel stack after its last switch (an auto-reaped process).
    detached: AtomicBool,
    /// set_tid_address / CLONE_CHILD_CLEARTID: a user address cleared (and
    /// futex-woken, once futexes exist) when the thread exits.
    pub clear_child_tid: AtomicU64,
    /// Per-thread statistics.
    pub nswitch: AtomicU64,
}

impl fmt::Debug for Lwp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} '{}'", self.id, self.name().as_str())
    }
}

impl Lwp {
    pub fn id(&self) -> LwpId {
        self.id
    }

    pub(super) fn index(&self) -> u32 {
        self.id.index()
    }

    pub fn name(&self) -> Name {
        let mut n = Name {
            bytes: [0; NAME_LEN],
            len: self.name_len.load(Ordering::Relaxed).min(NAME_LEN as u8),
        };
        for (b, a) in n.bytes.iter_mut().zip(self.name.iter()) {
            *b = a.load(Ordering::Relaxed);
        }
        n
    }

    pub fn set_name(&self, name: &str) {
        let n = Name::new(name);
        for (a, b) in self.name.iter().zip(n.bytes.iter()) {
            a.store(*b, Ordering::Relaxed);
        }
        self.name_len.store(n.len, Ordering::Relaxed);
    }

    pub fn is_user(&self) -> bool {
        self.user
    }

    /// The thread's process.
    pub fn proc(&self) -> Option<&crate::kern::proc::Proc> {
        self.proc.as_deref()
    }

    /// `[bottom, top)` of the kernel stack.
    pub fn kstack_range(&self) -> (u64, u64) {
        self.kstack_range
    }

    /// The thread's address space (None: a kernel thread).
    pub fn vmspace(&self) -> Option<Arc<Vmspace>> {
        self.vmspace.lock().clone()
    }

    /// Replace the thread's address space (exec), returning the old one.
    /// For the running thread the new one is activated at once.
    pub fn set_vmspace(&self, vs: Option<Arc<Vmspace>>) -> Option<Arc<Vmspace>> {
        let old = core::mem::replace(&mut *self.vmspace.lock(), vs);
        if core::ptr::eq(self, sched::curlwp()) {
            self.activate_vmspace();
        }
        old
    }

    /// Load this thread's page tables (if it has an address space; a
    /// kernel thread runs on whichever tables are loaded, which always
    /// include the kernel half).
    pub(super) fn activate_vmspace(&self) {
        match self.vmspace.lock().as_ref() {
            Some(vs) => vs.pmap.activate(),
            None => {}
        }
    }

    pub(super) fn take_start(&self) -> Option<(ThreadFn, usize)> {
        self.start.lock().take()
    }

    /// Let the thread be freed without a `join` once it has exited.
    pub fn detach(&self) {
        self.detached.store(true, Ordering::Relaxed);
    }

    pub(super) fn is_detached(&self) -> bool {
        self.detached.load(Ordering::Relaxed)
    }

    pub(super) fn release_kstack(&self) {
        let stack = self.kstack.lock().take();
        drop(stack);
    }

    pub fn exit_status(&self) -> i32 {
        self.exit_status.load(Ordering::Relaxed)
    }

    /// The user frame at the top of the kernel stack (user threads).
    pub fn user_frame_addr(&self) -> u64 {
        usermode::user_frame_at(self.kstack_range.1)
    }

    /// The wait channel joiners sleep on.
    fn join_chan(&self) -> usize {
        self as *const Lwp as usize
    }
}

/// Make a thread (not yet runnable) with a new kernel stack.
fn create(
    name: &str,
    user: bool,
    vmspace: Option<Arc<Vmspace>>,
    proc: Option<ProcRef>,
) -> KResult<LwpRef> {
    let kstack = KStack::alloc()?;
    let range = kstack.range();
    create_on(name, user, vmspace, proc, Some(kstack), range)
}

/// Make a thread on the given stack (None: a stack it does not own).
fn create_on(
    name: &str,
    user: bool,
    vmspace: Option<Arc<Vmspace>>,
    proc: Option<ProcRef>,
    kstack: Option<KStack>,
    range: (u64, u64),
) -> KResult<LwpRef> {
    let (idx, generation) = sched::lock().alloc_slot()?;
    let release_slot = || {
        sched::lock().free_slot(idx);
    };
    let timer = match Callout::new(sleep_timeout, LwpId::new(idx, generation).as_u64() as usize) {
        Ok(t) => t,
        Err(e) => {
            release_slot();
            return Err(e);
        }
    };
    let lwp = Lwp {
        id: LwpId::new(idx, generation),
        name: [const { AtomicU8::new(0) }; NAME_LEN],
        name_len: AtomicU8::new(0),
        md: Md::new(),
        kstack: SpinLock::new("lwp-kstack", kstack),
        kstack_range: range,
        vmspace: SpinLock::new("lwp-vmspace", vmspace),
        start: SpinLock::new("lwp-start", None),
        nowait_depth: AtomicU32::new(0),
        interrupt_pending: AtomicBool::new(false),
        exit_status: AtomicI32::new(0),
        user,
        proc,
        sleep_timer: timer,
        sig: crate::kern::sig::LwpSig::new(),
        clear_child_tid: AtomicU64::new(0),
        cont_pending: AtomicBool::new(false),
        detached: AtomicBool::new(false),
        nswitch: AtomicU64::new(0),
    };
    let Some(lwp) = LWP_POOL.get(lwp, PoolFlags::WAITOK) else {
        release_slot();
        return Err(KernError::NoMem);
    };
    lwp.set_name(name);
    sched::lock().slot(idx).lwp = Some(lwp.clone());
    Ok(lwp)
}

/// The boot context as a thread: it runs on the boot stack and is running
/// already (lwp0).
pub(super) fn create_boot_thread(name: &str, stack: (u64, u64)) -> KResult<LwpRef> {
    let l = create_on(name, false, None, None, None, stack)?;
    let mut g = sched::lock();
    let s = g.slot(l.index());
    s.stat = Stat::Onproc;
    s.onproc = true;
    Ok(l)
}

/// A CPU's idle thread: created ready to run `entry`, but never queued
/// (the scheduler runs it when nothing else is runnable).
pub(super) fn create_idle_thread(name: &str, entry: ThreadFn) -> KResult<LwpRef> {
    let l = create(name, false, None, None)?;
    *l.start.lock() = Some((entry, 0));
    prepare_first_switch(&l, l.kstack_range.1);
    sched::lock().slot(l.index()).stat = Stat::Runnable;
    Ok(l)
}

/// Make the first switch to `l` run `lwp_trampoline` with its stack
/// pointer just below `top` (its kernel stack top, or its user frame).
fn prepare_first_switch(l: &Lwp, top: u64) {
    let ks = l.kstack.lock();
    let ks = ks.as_ref().expect("a new thread has its stack");
    ks.prepare_first_switch(&l.md, top, sched::lwp_trampoline as switch::ThreadEntry);
}

/// Put a created thread on the run queue.
fn start(l: &LwpRef) {
    let mut g = sched::lock();
    let idx = l.index();
    debug_assert_eq!(g.slot(idx).stat, Stat::Embryo);
    g.make_runnable(idx);
}

/// Create and start a kernel thread running `entry(arg)`; returns a
/// handle to `join` it with.
pub fn kthread_create(name: &str, entry: ThreadFn, arg: usize) -> KResult<LwpRef> {
    let l = create(name, false, None, None)?;
    *l.start.lock() = Some((entry, arg));
    prepare_first_switch(&l, l.kstack_range.1);
    start(&l);
    Ok(l)
}

/// Create and start a user thread in `vmspace` that enters user mode with
/// the registers of `frame` (rip, rsp, ...; selectors and flags are forced
/// to user values).
pub fn uthread_create(name: &str, vmspace: Arc<Vmspace>, frame: TrapFrame) -> KResult<LwpRef> {
    let l = uthread_prepare(name, vmspace, frame, None)?;
    start(&l);
    Ok(l)
}

/// A user thread of process `proc`, ready to run but not yet started
/// (fork sets things up around it, then `start_thread`).
pub fn uthread_prepare(
    name: &str,
    vmspace: Arc<Vmspace>,
    frame: TrapFrame,
    proc: Option<ProcRef>,
) -> KResult<LwpRef> {
    uthread_prepare_with(name, vmspace, frame, proc, enter_user)
}

/// `uthread_prepare` whose thread first runs `entry` in the kernel (it
/// must end by entering user mode: init's exec of /init does).
pub fn uthread_prepare_with(
    name: &str,
    vmspace: Arc<Vmspace>,
    frame: TrapFrame,
    proc: Option<ProcRef>,
    entry: ThreadFn,
) -> KResult<LwpRef> {
    let l = create(name, true, Some(vmspace), proc)?;
    let mut f = frame;
    f.cs = crate::arch::x86_64::gdt::USER_CS as u64;
    f.ss = crate::arch::x86_64::gdt::USER_DS as u64;
    f.rflags = usermode::sanitize_rflags(f.rflags);
    write_user_frame(&l, f);
    *l.start.lock() = Some((entry, 0));
    prepare_first_switch(&l, l.user_frame_addr());
    Ok(l)
}

/// Put a prepared thread on the run queue.
pub fn start_thread(l: &LwpRef) {
    start(l);
}

/// Store `f` as the user frame of a thread that is not running (new, or
/// stopped), or of the running thread (whose frame is at rest while it is
/// in the kernel). Does nothing for a thread whose stack is gone (a zombie).
pub fn write_user_frame(l: &Lwp, f: TrapFrame) {
    if let Some(ks) = l.kstack.lock().as_ref() {
        ks.store_user_frame(f);
    }
}

/// A copy of the user frame of a thread (same rules as `write_user_frame`);
/// None for a zombie.
pub fn read_user_frame(l: &Lwp) -> Option<TrapFrame> {
    l.kstack.lock().as_ref().map(|ks| ks.load_user_frame())
}

/// Entry of a new user thread: leave for user mode through its frame.
fn enter_user(_: usize) {
    crate::kern::userret::enter_user_mode()
}

/// End the running thread with `status`: it becomes a zombie, its address
/// space goes now, its kernel stack after its last switch; joiners wake.
pub fn exit(status: i32) -> ! {
    let l = sched::curlwp();
    l.exit_status.store(status, Ordering::Relaxed);
    l.sleep_timer.stop();
    // Leave the address space before dropping it (its page tables may be
    // freed): run on the kernel's tables from here on.
    let vs = l.vmspace.lock().take();
    if vs.is_some() {
        crate::pmap::Pmap::kernel().activate();
    }
    drop(vs);
    let mut g = sched::lock();
    let idx = l.index();
    g.slot(idx).stat = Stat::Zombie;
    let me = g
        .slot(idx)
        .lwp
        .clone()
        .expect("running thread without a table entry");
    sched::push_dead(&mut g, me);
    g.wake_channel(l.join_chan(), true, WakeReason::Wakeup);
    sched::mi_switch(g);
    unreachable!("a zombie ran again");
}

/// Wait for `l` to exit, reap it, and return its exit status.
pub fn join(l: LwpRef) -> i32 {
    let idx = l.index();
    let id = l.id();
    let chan = l.join_chan();
    super::sleepq::sleep_until(chan, false, None, || {
        sched::lock()
            .slot_of(id)
            .is_some_and(|s| s.stat == Stat::Zombie)
    })
    .expect("uninterruptible sleep without timeout cannot fail");
    let table_ref = sched::lock().free_slot(idx);
    drop(table_ref);
    l.exit_status()
}

/// Callout: a sleep of the thread named by `arg` timed out.
fn sleep_timeout(arg: usize) {
    let id = LwpId::from_u64(arg as u64);
    let mut g = sched::lock();
    let seq = match g.slot_of(id) {
        Some(s) => s.timeout_seq,
        None => return,
    };
    g.wake_thread(id.index(), Some(seq), WakeReason::Timeout);
}

/// Ask a thread sleeping interruptibly to wake (a signal arrived).
pub fn interrupt(l: &Lwp) {
    l.interrupt_pending.store(true, Ordering::SeqCst);
    let mut g = sched::lock();
    g.wake_thread(l.index(), None, WakeReason::Signal);
}

/// A thread's scheduling state (for tests and /proc).
pub fn stat_of(l: &Lwp) -> Stat {
    sched::lock()
        .slot_of(l.id())
        .map(|s| s.stat)
        .unwrap_or(Stat::Free)
}

/// Stop the running thread (a stop signal's default action) until
/// `continue_thread`; returns at once, with false, if a continue already
/// came.
pub fn stop_current() -> bool {
    let l = sched::curlwp();
    let mut g = sched::lock();
    if l.cont_pending.swap(false, Ordering::SeqCst) {
        return false;
    }
    g.slot(l.index()).stat = Stat::Stopped;
    sched::mi_switch(g);
    true
}

/// A stop signal was sent: forget an earlier continue.
pub fn forget_continue(l: &Lwp) {
    l.cont_pending.store(false, Ordering::SeqCst);
}

/// Let a stopped thread run again; true if it was stopped. A thread that
/// is about to stop is told not to.
pub fn continue_thread(l: &Lwp) -> bool {
    let mut g = sched::lock();
    let idx = l.index();
    match g.slot_of(l.id()).map(|s| s.stat) {
        Some(Stat::Stopped) => {
            g.make_runnable(idx);
            true
        }
        Some(_) => {
            l.cont_pending.store(true, Ordering::SeqCst);
            false
        }
        None => false,
    }
}

/// True if the thread is stopped (job control).
pub fn is_stopped(l: &Lwp) -> bool {
    stat_of(l) == Stat::Stopped
}
