//! Interval timers (NetBSD's kern_time.c itimers): ITIMER_REAL counts real
//! time and sends SIGALRM when it expires, then reloads from its interval;
//! `alarm` is a one-shot ITIMER_REAL in seconds. A process's timer is a
//! callout made on first use (scheduling never allocates), keyed by PID:
//! a timer that fires for a process that is gone does nothing.
//! ITIMER_VIRTUAL and ITIMER_PROF are kept and reported but never fire
//! (no per-process CPU-time accounting yet).
//!
//! Algorithm. The expiry is a time on CLOCK_MONOTONIC (nanoseconds), not
//! a tick: the clock interrupt is the only timer, and the `t`-th tick from
//! now comes after between `t - 1` and `t` tick periods. So the callout is
//! set for the ticks covering the time left, and when it runs before the
//! expiry (the partial first period) it is set again for the rest: a timer
//! never fires early, and at most about one tick late. A periodic timer's
//! next expiry is the previous one plus the interval (plus as many more
//! intervals as were missed), so it does not drift; expiries missed
//! meanwhile are lost, as one pending SIGALRM covers them.

use crate::arch::x86_64::apic;
use crate::kern::error::KResult;
use crate::kern::proc::ptable;
use crate::kern::sched::callout::Callout;
use crate::kern::time::clock::{NSEC_PER_SEC, uptime_ns};
use ferrite_abi::signal::SIGALRM;

/// A process's ITIMER_REAL.
pub struct RealTimer {
    callout: Callout,
    /// Reload interval in nanoseconds (0: one-shot).
    pub interval_ns: u64,
    /// The CLOCK_MONOTONIC time it expires at (0: disarmed).
    pub deadline_ns: u64,
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

/// Clock ticks covering `ns` (rounded up, at least 1).
pub fn ticks_covering(ns: u64) -> u64 {
    let hz = apic::timer_hz().max(1) as u128;
    ((ns as u128 * hz).div_ceil(NSEC_PER_SEC as u128)).clamp(1, 1 << 40) as u64
}

impl RealTimer {
    /// Set the callout for the time left until the deadline.
    fn arm(&self, now_ns: u64) {
        let left = self.deadline_ns.saturating_sub(now_ns);
        self.callout
            .schedule_at(apic::ticks() + ticks_covering(left));
    }

    /// (time left, interval) in nanoseconds; an armed timer has at least
    /// 1 ns left.
    fn state(&self, now_ns: u64) -> (u64, u64) {
        let left = if self.deadline_ns == 0 {
            0
        } else {
            self.deadline_ns.saturating_sub(now_ns).max(1)
        };
        (left, self.interval_ns)
    }
}

impl Itimers {
    /// Arm ITIMER_REAL of process `pid` to expire in `value_ns`, then
    /// every `interval_ns` (value 0 disarms). Returns the old (time left,
    /// interval) in nanoseconds.
    pub fn set_real(&mut self, pid: u32, value_ns: u64, interval_ns: u64) -> KResult<(u64, u64)> {
        if self.real.is_none() {
            self.real = Some(RealTimer {
                callout: Callout::new(fire, pid as usize)?,
                interval_ns: 0,
                deadline_ns: 0,
            });
        }
        let t = self.real.as_mut().expect("just made");
        let now = uptime_ns();
        let old = t.state(now);
        t.callout.stop();
        t.interval_ns = interval_ns;
        if value_ns == 0 {
            t.deadline_ns = 0;
        } else {
            t.deadline_ns = now.saturating_add(value_ns);
            t.arm(now);
        }
        Ok(old)
    }

    /// ITIMER_REAL now: (time left, interval) in nanoseconds.
    pub fn get_real(&self) -> (u64, u64) {
        self.real.as_ref().map_or((0, 0), |t| t.state(uptime_ns()))
    }

    /// Disarm (exit).
    pub fn stop(&mut self) {
        if let Some(t) = self.real.as_mut() {
            t.callout.stop();
            t.deadline_ns = 0;
        }
    }
}

/// Callout: ITIMER_REAL of process `pid` may have expired.
fn fire(pid: usize) {
    let Some(p) = ptable::lock().find(pid as u32) else {
        return;
    };
    {
        let mut timers = p.itimers.lock();
        let Some(t) = timers.real.as_mut() else {
            return;
        };
        let now = uptime_ns();
        if t.deadline_ns == 0 {
            return; // disarmed meanwhile
        }
        if now < t.deadline_ns {
            t.arm(now); // early: the partial first tick
            return;
        }
        match (now - t.deadline_ns).checked_div(t.interval_ns) {
            Some(missed) => {
                t.deadline_ns = t
                    .deadline_ns
                    .saturating_add((missed + 1).saturating_mul(t.interval_ns));
                t.arm(now);
            }
            None => t.deadline_ns = 0, // one-shot
        }
    }
    // As Linux's it_real_fn: a kernel-sent SIGALRM (SI_KERNEL).
    super::post(&p, super::SigInfo::kernel(SIGALRM));
}
