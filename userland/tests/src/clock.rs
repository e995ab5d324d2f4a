//! Clocks and sleeping through the raw system calls (never the vDSO: the
//! checks are about the kernel).

use std::time::Duration;

/// Reads `clock` with the clock_gettime system call.
pub fn now(clock: libc::clockid_t) -> Result<Duration, String> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    let r = unsafe { libc::syscall(libc::SYS_clock_gettime, clock, &mut ts) };
    if r != 0 {
        return Err(format!(
            "clock_gettime({clock}) failed: {}",
            ftest::errname(ftest::errno())
        ));
    }
    Ok(to_duration(&ts))
}

/// CLOCK_MONOTONIC now.
pub fn mono() -> Result<Duration, String> {
    now(libc::CLOCK_MONOTONIC)
}

pub fn to_duration(ts: &libc::timespec) -> Duration {
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

pub fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// Sleeps with the nanosleep system call (restarting after EINTR).
pub fn sleep_ms(ms: u64) {
    let mut req = timespec(Duration::from_millis(ms));
    let mut rem = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid timespec pointers.
    while unsafe { libc::syscall(libc::SYS_nanosleep, &req, &mut rem) } == -1
        && ftest::errno() == libc::EINTR
    {
        req = rem;
    }
}
