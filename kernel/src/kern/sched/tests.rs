//! ktests of threads, the scheduler, sleep queues, callouts and locks.

use super::callout::Callout;
use super::lwp::{self, LwpRef};
use super::mutex::Mutex;
use super::rwlock::RwLock;
use super::sched::{self, Stat};
use super::sleepq::{self, SleepError};
use super::spinlock::SpinLock;
use super::{kstack, yield_now};
use crate::arch::x86_64::apic;
use crate::kern::error::KResult;
use crate::ktest::ktest;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

fn noop(_: usize) {}

#[ktest]
fn a_thread_is_created_runs_exits_and_is_reaped() -> KResult<()> {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    fn body(arg: usize) {
        RAN.store(arg, Ordering::SeqCst);
    }
    let before = sched::nlwps();
    let t = lwp::kthread_create("t1", body, 77)?;
    assert_eq!(lwp::join(t), 0);
    assert_eq!(
        RAN.load(Ordering::SeqCst),
        77,
        "the thread ran its entry with its argument"
    );
    assert_eq!(sched::nlwps(), before, "the slot was freed");
    sched::check_invariants().expect("scheduler invariants");
    Ok(())
}

#[ktest]
fn many_threads_come_and_go_without_leaking() -> KResult<()> {
    let mut ts: Vec<LwpRef> = Vec::new();
    for i in 0..50 {
        ts.push(lwp::kthread_create("many", noop, i)?);
    }
    for t in ts {
        lwp::join(t);
    }
    // A second round reuses slots (and cached stacks).
    for i in 0..50 {
        lwp::join(lwp::kthread_create("many", noop, i)?);
    }
    sched::check_invariants().expect("scheduler invariants");
    Ok(())
}

#[ktest]
fn a_thread_exit_status_reaches_its_joiner() -> KResult<()> {
    fn body(_: usize) {
        lwp::exit(5 << 8);
    }
    assert_eq!(lwp::join(lwp::kthread_create("exiter", body, 0)?), 5 << 8);
    Ok(())
}

#[ktest]
fn threads_have_names_and_stacks_with_guard_pages() -> KResult<()> {
    static STARTED: AtomicBool = AtomicBool::new(false);
    static GO: AtomicBool = AtomicBool::new(false);
    fn body(_: usize) {
        STARTED.store(true, Ordering::SeqCst);
        while !GO.load(Ordering::SeqCst) {
            yield_now();
        }
    }
    let t = lwp::kthread_create("named-thread-long-name", body, 0)?;
    while !STARTED.load(Ordering::SeqCst) {
        yield_now();
    }
    assert_eq!(t.name().as_str(), "named-thread-lon", "names keep 16 bytes");
    let (bottom, top) = t.kstack_range();
    assert_eq!(top - bottom, (kstack::KSTACK_PAGES as u64) * 4096);
    assert!(
        bottom >= crate::uvm::map::KERNEL_MAP_BASE,
        "stacks come from the kernel map"
    );
    let entry = crate::uvm::map::kernel_map()
        .lookup(bottom - 4096)
        .expect("the guard page belongs to the stack's kernel-map entry");
    assert!(entry.start <= bottom - 4096 && entry.end >= top);
    assert!(
        crate::pmap::Pmap::kernel().extract(bottom - 4096).is_none(),
        "the guard page is not mapped"
    );
    assert!(crate::pmap::Pmap::kernel().extract(bottom).is_some());
    GO.store(true, Ordering::SeqCst);
    lwp::join(t);
    Ok(())
}

#[ktest(should_panic)]
fn a_kernel_stack_overflow_hits_the_guard_page() {
    #[inline(never)]
    #[allow(unconditional_recursion)]
    fn recurse(n: u64) -> u64 {
        let big = [n; 64];
        core::hint::black_box(&big);
        recurse(n + 1) + big[3]
    }
    fn body(_: usize) {
        core::hint::black_box(recurse(0));
    }
    let t = lwp::kthread_create("overflow", body, 0).unwrap();
    lwp::join(t);
}

#[ktest]
fn two_busy_threads_both_make_progress_by_preemption() -> KResult<()> {
    static STOP: AtomicBool = AtomicBool::new(false);
    static COUNT: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
    fn spin(i: usize) {
        // Never yields, never sleeps: only the timer can take the CPU away.
        while !STOP.load(Ordering::Relaxed) {
            COUNT[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    STOP.store(false, Ordering::SeqCst);
    COUNT[0].store(0, Ordering::SeqCst);
    COUNT[1].store(0, Ordering::SeqCst);
    let switches = sched::SWITCHES.load(Ordering::Relaxed);
    let a = lwp::kthread_create("spin-a", spin, 0)?;
    let b = lwp::kthread_create("spin-b", spin, 1)?;
    // Sleep for 30 ticks; the two spinners share the CPU meanwhile.
    let _ = sleepq::sleep(sleepq::chan(&STOP), false, Some(30));
    let (ca, cb) = (
        COUNT[0].load(Ordering::SeqCst),
        COUNT[1].load(Ordering::SeqCst),
    );
    STOP.store(true, Ordering::SeqCst);
    lwp::join(a);
    lwp::join(b);
    assert!(ca > 0 && cb > 0, "both spinners ran: {ca} / {cb}");
    assert!(
        sched::SWITCHES.load(Ordering::Relaxed) > switches + 4,
        "the timer preempted the spinners several times"
    );
    Ok(())
}

#[ktest]
fn sleep_and_wakeup_hand_over_a_condition() -> KResult<()> {
    static FLAG: AtomicBool = AtomicBool::new(false);
    static SEEN: AtomicBool = AtomicBool::new(false);
    fn waiter(_: usize) {
        let chan = sleepq::chan(&FLAG);
        sleepq::sleep_until(chan, false, None, || FLAG.load(Ordering::SeqCst)).unwrap();
        SEEN.store(true, Ordering::SeqCst);
    }
    FLAG.store(false, Ordering::SeqCst);
    SEEN.store(false, Ordering::SeqCst);
    let t = lwp::kthread_create("waiter", waiter, 0)?;
    // Let it go to sleep.
    while lwp::stat_of(&t) != Stat::Sleeping {
        yield_now();
    }
    assert!(!SEEN.load(Ordering::SeqCst));
    FLAG.store(true, Ordering::SeqCst);
    assert_eq!(sleepq::wakeup(sleepq::chan(&FLAG)), 1, "one sleeper woken");
    lwp::join(t);
    assert!(SEEN.load(Ordering::SeqCst));
    Ok(())
}

#[ktest]
fn a_sleep_with_a_timeout_ends_after_the_timeout() {
    static CHAN: u8 = 0;
    let t0 = apic::ticks();
    let r = sleepq::sleep(sleepq::chan(&CHAN), false, Some(5));
    let waited = apic::ticks() - t0;
    assert_eq!(r, Err(SleepError::TimedOut));
    assert!(waited >= 5, "slept {waited} ticks, asked for 5");
    assert!(waited < 50, "slept far too long: {waited} ticks");
}

#[ktest]
fn a_wakeup_before_the_timeout_ends_the_sleep_early() -> KResult<()> {
    static CHAN: u8 = 0;
    static WOKE: AtomicBool = AtomicBool::new(false);
    fn sleeper(_: usize) {
        let r = sleepq::sleep(sleepq::chan(&CHAN), false, Some(10_000));
        WOKE.store(r.is_ok(), Ordering::SeqCst);
    }
    let t = lwp::kthread_create("early", sleeper, 0)?;
    while lwp::stat_of(&t) != Stat::Sleeping {
        yield_now();
    }
    let t0 = apic::ticks();
    assert_eq!(sleepq::wakeup(sleepq::chan(&CHAN)), 1);
    lwp::join(t);
    assert!(WOKE.load(Ordering::SeqCst), "woken, not timed out");
    assert!(apic::ticks() - t0 < 100);
    assert_eq!(
        super::callout::pending(),
        0,
        "the timeout callout was cancelled"
    );
    Ok(())
}

#[ktest]
fn wakeup_one_wakes_one_and_wakeup_wakes_the_rest() -> KResult<()> {
    static CHAN: u8 = 0;
    static WOKEN: AtomicUsize = AtomicUsize::new(0);
    fn sleeper(_: usize) {
        sleepq::sleep(sleepq::chan(&CHAN), false, None).unwrap();
        WOKEN.fetch_add(1, Ordering::SeqCst);
    }
    WOKEN.store(0, Ordering::SeqCst);
    let ts: Vec<LwpRef> = (0..3)
        .map(|i| lwp::kthread_create("sleeper", sleeper, i))
        .collect::<KResult<_>>()?;
    for t in &ts {
        while lwp::stat_of(t) != Stat::Sleeping {
            yield_now();
        }
    }
    assert!(sleepq::wakeup_one(sleepq::chan(&CHAN)));
    // The first to sleep is the one woken.
    lwp::join(ts[0].clone());
    assert_eq!(WOKEN.load(Ordering::SeqCst), 1);
    assert_eq!(lwp::stat_of(&ts[1]), Stat::Sleeping);
    assert_eq!(lwp::stat_of(&ts[2]), Stat::Sleeping);
    assert_eq!(sleepq::wakeup(sleepq::chan(&CHAN)), 2);
    for t in ts.into_iter().skip(1) {
        lwp::join(t);
    }
    assert_eq!(WOKEN.load(Ordering::SeqCst), 3);
    assert_eq!(sleepq::wakeup(sleepq::chan(&CHAN)), 0, "nobody left");
    Ok(())
}

#[ktest]
fn an_interruptible_sleep_is_broken_and_an_uninterruptible_one_is_not() -> KResult<()> {
    static CHAN: u8 = 0;
    static RESULT: AtomicUsize = AtomicUsize::new(0);
    fn sleeper(interruptible: usize) {
        let r = sleepq::sleep(sleepq::chan(&CHAN), interruptible == 1, Some(20));
        RESULT.store(
            match r {
                Ok(()) => 1,
                Err(SleepError::Interrupted) => 2,
                Err(SleepError::TimedOut) => 3,
            },
            Ordering::SeqCst,
        );
    }
    for (interruptible, expect) in [(1, 2), (0, 3)] {
        RESULT.store(0, Ordering::SeqCst);
        let t = lwp::kthread_create("intr", sleeper, interruptible)?;
        while lwp::stat_of(&t) != Stat::Sleeping {
            yield_now();
        }
        lwp::interrupt(&t);
        lwp::join(t);
        assert_eq!(
            RESULT.load(Ordering::SeqCst),
            expect,
            "interruptible={interruptible}"
        );
    }
    Ok(())
}

#[ktest]
fn callouts_fire_in_time_order_and_in_scheduling_order_within_a_tick() -> KResult<()> {
    static LOG: SpinLock<Vec<usize>> = SpinLock::new("callout-log", Vec::new());
    fn record(arg: usize) {
        LOG.lock().push(arg);
    }
    LOG.lock().clear();
    LOG.lock().reserve(8);
    let c: Vec<Callout> = (0..5)
        .map(|i| Callout::new(record, i))
        .collect::<KResult<_>>()?;
    let now = apic::ticks();
    c[0].schedule_at(now + 6);
    c[1].schedule_at(now + 2);
    c[2].schedule_at(now + 4);
    c[3].schedule_at(now + 4);
    c[4].schedule_at(now + 300); // a whole turn of the wheel later
    c[4].stop();
    c[4].schedule_at(now + 3);
    let _ = sleepq::sleep(sleepq::chan(&LOG), false, Some(10));
    assert_eq!(*LOG.lock(), [1, 4, 2, 3, 0]);
    assert!(!c[0].is_pending());
    drop(c);
    *LOG.lock() = Vec::new();
    Ok(())
}

#[ktest]
fn a_stopped_callout_does_not_fire() -> KResult<()> {
    static FIRED: AtomicBool = AtomicBool::new(false);
    fn fire(_: usize) {
        FIRED.store(true, Ordering::SeqCst);
    }
    FIRED.store(false, Ordering::SeqCst);
    let c = Callout::new(fire, 0)?;
    c.schedule(2);
    assert!(c.is_pending());
    assert!(c.stop(), "it was pending");
    assert!(!c.stop(), "stopping twice is harmless");
    let _ = sleepq::sleep(sleepq::chan(&FIRED), false, Some(5));
    assert!(!FIRED.load(Ordering::SeqCst));
    // A callout far in the future stays put across turns of the wheel.
    c.schedule(super::callout::WHEEL_SIZE as u64 * 2 + 5);
    let _ = sleepq::sleep(sleepq::chan(&FIRED), false, Some(3));
    assert!(c.is_pending() && !FIRED.load(Ordering::SeqCst));
    drop(c);
    Ok(())
}

#[ktest(should_panic)]
fn sleeping_while_holding_a_spin_lock_is_caught() {
    static LOCK: SpinLock<()> = SpinLock::new("held", ());
    static CHAN: u8 = 0;
    let _g = LOCK.lock();
    let _ = sleepq::sleep(sleepq::chan(&CHAN), false, Some(1));
}

#[ktest(should_panic)]
fn a_recursive_spin_lock_is_caught() {
    static LOCK: SpinLock<()> = SpinLock::new("recursive", ());
    let _a = LOCK.lock();
    let _b = LOCK.lock();
}

#[ktest]
fn a_sleepable_mutex_serialises_threads_that_sleep_inside_it() -> KResult<()> {
    static M: Mutex<u64> = Mutex::new("test-mutex", 0);
    fn worker(_: usize) {
        for _ in 0..20 {
            let mut g = M.lock();
            let v = *g;
            yield_now(); // let the others try the lock meanwhile
            *g = v + 1;
        }
    }
    *M.lock() = 0;
    let before = M.contended.load(Ordering::Relaxed);
    let ts: Vec<LwpRef> = (0..3)
        .map(|i| lwp::kthread_create("mutex", worker, i))
        .collect::<KResult<_>>()?;
    for t in ts {
        lwp::join(t);
    }
    assert_eq!(*M.lock(), 60, "no increment was lost");
    assert!(
        M.contended.load(Ordering::Relaxed) > before,
        "threads had to wait"
    );
    Ok(())
}

#[ktest]
fn a_rwlock_admits_many_readers_or_one_writer() -> KResult<()> {
    static L: RwLock<u64> = RwLock::new("test-rw", 0);
    static READERS_IN: AtomicUsize = AtomicUsize::new(0);
    static MAX_READERS: AtomicUsize = AtomicUsize::new(0);
    static BAD: AtomicBool = AtomicBool::new(false);
    fn reader(_: usize) {
        for _ in 0..10 {
            let g = L.read();
            let n = READERS_IN.fetch_add(1, Ordering::SeqCst) + 1;
            MAX_READERS.fetch_max(n, Ordering::SeqCst);
            let v = *g;
            yield_now();
            if *g != v {
                BAD.store(true, Ordering::SeqCst); // a writer got in
            }
            READERS_IN.fetch_sub(1, Ordering::SeqCst);
        }
    }
    fn writer(_: usize) {
        for _ in 0..10 {
            let mut g = L.write();
            if READERS_IN.load(Ordering::SeqCst) != 0 {
                BAD.store(true, Ordering::SeqCst);
            }
            *g += 1;
            yield_now();
        }
    }
    BAD.store(false, Ordering::SeqCst);
    MAX_READERS.store(0, Ordering::SeqCst);
    let mut ts: Vec<LwpRef> = Vec::new();
    for i in 0..3 {
        ts.push(lwp::kthread_create("reader", reader, i)?);
    }
    ts.push(lwp::kthread_create("writer", writer, 0)?);
    for t in ts {
        lwp::join(t);
    }
    assert!(!BAD.load(Ordering::SeqCst), "a writer overlapped readers");
    assert_eq!(*L.read(), 10);
    assert!(
        MAX_READERS.load(Ordering::SeqCst) >= 2,
        "readers shared the lock"
    );
    Ok(())
}

#[ktest]
fn yield_with_nothing_else_runnable_returns_at_once() {
    let s = sched::SWITCHES.load(Ordering::Relaxed);
    yield_now();
    yield_now();
    // Only the idle thread could run instead, and it is never queued.
    assert_eq!(sched::SWITCHES.load(Ordering::Relaxed), s);
}

#[ktest]
fn the_idle_thread_halts_when_everyone_sleeps() {
    static CHAN: u8 = 0;
    let hlt_before = sched::SWITCHES.load(Ordering::Relaxed);
    // Sleeping 3 ticks with nothing else runnable: the CPU runs the idle
    // thread (two switches at least: to idle and back).
    let _ = sleepq::sleep(sleepq::chan(&CHAN), false, Some(3));
    assert!(sched::SWITCHES.load(Ordering::Relaxed) >= hlt_before + 2);
}

#[ktest]
fn the_scheduler_queues_are_consistent() {
    sched::check_invariants().expect("scheduler invariants");
}
