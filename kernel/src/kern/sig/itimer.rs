//! Interval timers (NetBSD's kern_time.c itimers): ITIMER_REAL counts real
//! time and sends SIGALRM when it expires, then reloads from its interval;
//! `alarm` is a one-shot ITIMER_REAL in seconds. A process's timer is a
//! callout made on first use (scheduling never allocates), keyed by PID:
//! a timer that fires for a process that is gone does nothing.
//! ITIMER_VIRTUAL and ITIMER_PROF are kept and reported but never fire
//! (no per-process CPU-time accounting yet).

use crate::arch::x86_64::apic;
use crate::kern::error::KResult;
use crate::kern::proc::ptable;
use crate::kern::sched::callout::Callout;
use ferrite_abi::signal::SIGALRM;

/// A process's ITIMER_REAL.
pub struct RealTimer {
    callout: Callout,
    /// Reload interval in clock ticks (0: one-shot).
    pub interval: u64,
    /// The tick it expires at (0: disarmed).
    pub deadline: u64,
}

/// The values ITIMER_VIRTUAL / ITIMER_PROF were set to (microseconds).
#[derive(Clone, Copy, Default)]
pub struct StoredTimer {
    pub interval_us: u64,
    pub value_us: u64,
}

/// Everything a process keeps for its interval timers.
#[derive(Default)]
pub struct Itimers {
    pub real: Option<RealTimer>,
    pub virt: StoredTimer,
    pub prof: StoredTimer,
}

fn hz() -> u64 {
    apic::timer_hz().max(1) as u64
}

/// Microseconds to clock ticks, rounded up (a timer never fires early).
pub fn us_to_ticks(us: u64) -> u64 {
    us.saturating_mul(hz()).div_ceil(1_000_000)
}

/// Clock ticks to microseconds.
pub fn ticks_to_us(t: u64) -> u64 {
    t.saturating_mul(1_000_000) / hz()
}

impl Itimers {
    /// Arm ITIMER_REAL of process `pid` to fire in `value` ticks, then
    /// every `interval` ticks (value 0 disarms). Returns the old
    /// (remaining, interval) in ticks.
    pub fn set_real(&mut self, pid: u32, value: u64, interval: u64) -> KResult<(u64, u64)> {
        if self.real.is_none() {
            self.real = Some(RealTimer {
                callout: Callout::new(fire, pid as usize)?,
                interval: 0,
                deadline: 0,
            });
        }
        let t = self.real.as_mut().expect("just made");
        let now = apic::ticks();
        let old = (
            if t.deadline > now {
                t.deadline - now
            } else {
                0
            },
            t.interval,
        );
        t.callout.stop();
        t.interval = interval;
        if value == 0 {
            t.deadline = 0;
        } else {
            t.deadline = now + value.max(1);
            t.callout.schedule_at(t.deadline);
        }
        Ok(old)
    }

    /// ITIMER_REAL now: (remaining, interval) in ticks.
    pub fn get_real(&self) -> (u64, u64) {
        match &self.real {
            Some(t) if t.deadline != 0 => {
                let now = apic::ticks();
                (t.deadline.saturating_sub(now).max(1), t.interval)
            }
            Some(t) => (0, t.interval),
            None => (0, 0),
        }
    }

    /// Disarm (exit).
    pub fn stop(&mut self) {
        if let Some(t) = self.real.as_mut() {
            t.callout.stop();
            t.deadline = 0;
        }
    }
}

/// Callout: ITIMER_REAL of process `pid` expired.
fn fire(pid: usize) {
    let Some(p) = ptable::lock().find(pid as u32) else {
        return;
    };
    {
        let mut timers = p.itimers.lock();
        if let Some(t) = timers.real.as_mut() {
            if t.interval != 0 {
                t.deadline = apic::ticks() + t.interval;
                t.callout.schedule_at(t.deadline);
            } else {
                t.deadline = 0;
            }
        }
    }
    super::post(
        &p,
        super::SigInfo::kernel(SIGALRM).with_code(ferrite_abi::sicode::SI_TIMER),
    );
}
