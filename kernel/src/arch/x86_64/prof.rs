//! The machine half of the sampling profiler (`kern::prof` owns the
//! buffer, the window and the dump): the profiling rate of the local APIC
//! timer and the capture of the interrupted context.
//!
//! While profiling, the APIC timer runs `subticks` times faster than the
//! clock rate (`timer.hz`), so that one interrupt comes every profiling
//! period; every interrupt takes a sample and only every `subticks`-th one
//! is a clock tick (counted, hook, `hardclock`). The clock therefore keeps
//! its rate and the scheduler sees the same ticks; only the extra
//! interrupts' own instructions are added to what is measured.
//!
//! Under `-icount shift=0` the timer counts guest instructions, so the
//! samples fall at the same instructions on every run. A sample lands
//! where interrupts were enabled again if they were off when the period
//! ended (the usual skew of a timer-based profiler: code that runs with
//! interrupts off is charged to the instruction after `sti`/`iretq`).

use super::backtrace;
use super::trap::TrapFrame;
use core::sync::atomic::{AtomicU32, Ordering};

/// Deepest kernel stack a sample records.
pub const MAX_DEPTH: usize = 32;

/// The requested profiling period in nanoseconds (0: not profiling).
static PERIOD_NS: AtomicU32 = AtomicU32::new(0);
/// Timer interrupts per clock tick (1 when not profiling).
static SUBTICKS: AtomicU32 = AtomicU32::new(1);
/// Interrupts since the last clock tick.
static SINCE_TICK: AtomicU32 = AtomicU32::new(0);

/// Ask for one timer interrupt every `period_ns` nanoseconds; takes effect
/// when the timer starts (`apic::init_timer`).
pub fn request_period(period_ns: u32) {
    PERIOD_NS.store(period_ns, Ordering::Relaxed);
}

/// How many timer interrupts make one clock tick at `hz` for the
/// requested period (at least 1: a period longer than the tick samples
/// once per tick).
pub fn subticks_for(hz: u32) -> u32 {
    let period = PERIOD_NS.load(Ordering::Relaxed);
    if period == 0 || hz == 0 {
        return 1;
    }
    let tick_ns = 1_000_000_000 / u64::from(hz);
    let n = (tick_ns + u64::from(period) / 2) / u64::from(period);
    n.clamp(1, u64::from(u32::MAX)) as u32
}

/// Called by `apic::init_timer` with the interrupts-per-tick it programmed.
pub fn set_subticks(n: u32) {
    SUBTICKS.store(n.max(1), Ordering::Relaxed);
}

/// The interrupted context of one sample.
pub struct Context {
    /// Interrupted in user mode: `pcs[0]` is the user rip.
    pub user: bool,
    /// Program counters, innermost first: `pcs[..depth]`.
    pub pcs: [u64; MAX_DEPTH],
    pub depth: usize,
}

/// The interrupted context of `frame`: the user rip (one frame), or the
/// kernel call chain by frame pointers (only through known kernel stacks,
/// see `backtrace`), at most `MAX_DEPTH` deep.
fn capture(frame: &TrapFrame) -> Context {
    let mut ctx = Context {
        user: frame.from_user(),
        pcs: [0; MAX_DEPTH],
        depth: 0,
    };
    if ctx.user {
        ctx.pcs[0] = frame.rip;
        ctx.depth = 1;
        return ctx;
    }
    for (slot, pc) in ctx
        .pcs
        .iter_mut()
        .zip(backtrace::frames_from(frame.rip, frame.rbp))
    {
        *slot = pc;
        ctx.depth += 1;
    }
    ctx
}

/// The timer interrupt's profiling step (interrupts off): take a sample if
/// profiling, and say whether this interrupt is a clock tick.
pub fn on_timer(frame: &TrapFrame) -> bool {
    if PERIOD_NS.load(Ordering::Relaxed) == 0 {
        return true;
    }
    crate::kern::prof::record(&capture(frame));
    let subticks = SUBTICKS.load(Ordering::Relaxed);
    let n = SINCE_TICK.load(Ordering::Relaxed) + 1;
    if n >= subticks {
        SINCE_TICK.store(0, Ordering::Relaxed);
        true
    } else {
        SINCE_TICK.store(n, Ordering::Relaxed);
        false
    }
}
