//! `user::time`: clocks and sleeping through the raw system calls.
//! CLOCK_MONOTONIC never goes back; sleeps last at least as long as asked;
//! clock_getres, gettimeofday, time and CLOCK_REALTIME agree; bad clocks
//! and bad timespecs are EINVAL; CPU time and times(2) advance.

use std::time::Duration;

use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::clock::{mono, now, timespec, to_duration};

const CHECKS: &[ftest::Check] = checks![
    clock_monotonic_never_goes_back,
    nanosleep_20ms_sleeps_at_least_20ms,
    nanosleep_0_returns_at_once,
    nanosleep_rejects_bad_timespecs,
    clock_nanosleep_relative_and_absolute,
    clock_getres_is_positive_and_fine,
    clock_gettime_of_a_bad_clock_is_einval,
    gettimeofday_agrees_with_clock_realtime,
    time_agrees_with_clock_realtime,
    realtime_and_monotonic_advance_together,
    cpu_time_grows_while_busy,
    times_counts_clock_ticks,
];

pub fn main() {
    ftest::main("time", CHECKS)
}

fn nanosleep(ts: &libc::timespec) -> i64 {
    // SAFETY: a valid timespec; no remainder wanted.
    unsafe {
        libc::syscall(
            libc::SYS_nanosleep,
            ts,
            std::ptr::null_mut::<libc::timespec>(),
        )
    }
}

fn clock_nanosleep(clock: libc::clockid_t, flags: i32, ts: &libc::timespec) -> i64 {
    // SAFETY: as above.
    unsafe {
        libc::syscall(
            libc::SYS_clock_nanosleep,
            clock,
            flags,
            ts,
            std::ptr::null_mut::<libc::timespec>(),
        )
    }
}

fn clock_monotonic_never_goes_back() -> CheckResult {
    let mut last = mono()?;
    let first = last;
    for i in 0..20_000 {
        let t = mono()?;
        check!(
            t >= last,
            "read {i}: CLOCK_MONOTONIC went back from {last:?} to {t:?}"
        );
        last = t;
    }
    check!(
        last > first,
        "CLOCK_MONOTONIC did not move over 20000 reads"
    );
    Ok(())
}

fn nanosleep_20ms_sleeps_at_least_20ms() -> CheckResult {
    for _ in 0..3 {
        let start = mono()?;
        ensure_eq!(nanosleep(&timespec(Duration::from_millis(20))), 0);
        let slept = mono()? - start;
        check!(
            slept >= Duration::from_millis(20),
            "nanosleep(20 ms) slept {slept:?}"
        );
        check!(
            slept < Duration::from_secs(5),
            "nanosleep(20 ms) slept {slept:?}"
        );
    }
    Ok(())
}

fn nanosleep_0_returns_at_once() -> CheckResult {
    let start = mono()?;
    ensure_eq!(nanosleep(&timespec(Duration::ZERO)), 0);
    let took = mono()? - start;
    check!(
        took < Duration::from_millis(500),
        "nanosleep(0) took {took:?}"
    );
    Ok(())
}

fn nanosleep_rejects_bad_timespecs() -> CheckResult {
    let bad = [
        libc::timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        libc::timespec {
            tv_sec: 0,
            tv_nsec: -1,
        },
        libc::timespec {
            tv_sec: -1,
            tv_nsec: 0,
        },
    ];
    for ts in &bad {
        let r = nanosleep(ts);
        expect_errno(
            r,
            libc::EINVAL,
            &format!("nanosleep({{{}, {}}})", ts.tv_sec, ts.tv_nsec),
        )?;
    }
    Ok(())
}

fn clock_nanosleep_relative_and_absolute() -> CheckResult {
    let start = mono()?;
    ensure_eq!(
        clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            0,
            &timespec(Duration::from_millis(20))
        ),
        0
    );
    let slept = mono()? - start;
    check!(
        slept >= Duration::from_millis(20),
        "relative 20 ms slept {slept:?}"
    );
    let deadline = mono()? + Duration::from_millis(30);
    ensure_eq!(
        clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            libc::TIMER_ABSTIME,
            &timespec(deadline)
        ),
        0
    );
    let woke = mono()?;
    check!(
        woke >= deadline,
        "absolute sleep woke at {woke:?}, before {deadline:?}"
    );
    // A deadline in the past returns at once.
    let start = mono()?;
    ensure_eq!(
        clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            libc::TIMER_ABSTIME,
            &timespec(Duration::from_secs(1))
        ),
        0
    );
    check!(
        mono()? - start < Duration::from_millis(500),
        "a past deadline slept"
    );
    let r = clock_nanosleep(999, 0, &timespec(Duration::from_millis(1)));
    expect_errno(r, libc::EINVAL, "clock_nanosleep(clock 999)")?;
    let r = clock_nanosleep(
        libc::CLOCK_MONOTONIC,
        0,
        &libc::timespec {
            tv_sec: 0,
            tv_nsec: 2_000_000_000,
        },
    );
    expect_errno(r, libc::EINVAL, "clock_nanosleep with tv_nsec = 2e9")
}

fn clock_getres_is_positive_and_fine() -> CheckResult {
    for (clock, name) in [
        (libc::CLOCK_MONOTONIC, "CLOCK_MONOTONIC"),
        (libc::CLOCK_REALTIME, "CLOCK_REALTIME"),
    ] {
        let mut res = libc::timespec {
            tv_sec: 7,
            tv_nsec: 7,
        };
        // SAFETY: res is a valid out-pointer.
        sys(
            unsafe { libc::syscall(libc::SYS_clock_getres, clock, &mut res) },
            "clock_getres",
        )?;
        let res = to_duration(&res);
        check!(
            res > Duration::ZERO && res <= Duration::from_millis(10),
            "{name} resolution {res:?}"
        );
        // NULL is allowed: nothing to store.
        // SAFETY: a NULL out-pointer, which the kernel skips.
        let r = unsafe { libc::syscall(libc::SYS_clock_getres, clock, 0usize) };
        ensure_eq!(r, 0, "clock_getres({name}, NULL)");
    }
    let mut res = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: res is a valid out-pointer; clock 999 is refused.
    let r = unsafe { libc::syscall(libc::SYS_clock_getres, 999, &mut res) };
    expect_errno(r, libc::EINVAL, "clock_getres(999)")
}

fn clock_gettime_of_a_bad_clock_is_einval() -> CheckResult {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    let r = unsafe { libc::syscall(libc::SYS_clock_gettime, 999, &mut ts) };
    expect_errno(r, libc::EINVAL, "clock_gettime(999)")
}

fn gettimeofday_agrees_with_clock_realtime() -> CheckResult {
    let before = now(libc::CLOCK_REALTIME)?;
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: tv is a valid out-pointer; no timezone.
    sys(
        unsafe { libc::syscall(libc::SYS_gettimeofday, &mut tv, 0usize) },
        "gettimeofday",
    )?;
    let after = now(libc::CLOCK_REALTIME)?;
    check!(
        (0..1_000_000).contains(&tv.tv_usec),
        "tv_usec {}",
        tv.tv_usec
    );
    let t = Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    // gettimeofday truncates to microseconds.
    check!(
        t + Duration::from_micros(1) > before && t <= after,
        "gettimeofday {t:?} is not between CLOCK_REALTIME reads {before:?} and {after:?}"
    );
    // SAFETY: NULL for both pointers: the kernel stores nothing.
    let r = unsafe { libc::syscall(libc::SYS_gettimeofday, 0usize, 0usize) };
    ensure_eq!(r, 0, "gettimeofday(NULL, NULL)");
    Ok(())
}

fn time_agrees_with_clock_realtime() -> CheckResult {
    let before = now(libc::CLOCK_REALTIME)?.as_secs() as i64;
    let mut stored: i64 = 0;
    // SAFETY: stored is a valid out-pointer.
    let t = sys(
        unsafe { libc::syscall(libc::SYS_time, &mut stored) },
        "time",
    )?;
    let after = now(libc::CLOCK_REALTIME)?.as_secs() as i64;
    check!(
        before <= t && t <= after,
        "time() = {t}, CLOCK_REALTIME {before}..{after}"
    );
    ensure_eq!(stored, t, "the value stored through the pointer");
    // SAFETY: a NULL pointer: time only returns the value.
    let t2 = unsafe { libc::syscall(libc::SYS_time, 0usize) };
    check!(t2 >= t && t2 <= after + 1, "time(NULL) = {t2}");
    Ok(())
}

fn realtime_and_monotonic_advance_together() -> CheckResult {
    let (r0, m0) = (now(libc::CLOCK_REALTIME)?, mono()?);
    ensure_eq!(nanosleep(&timespec(Duration::from_millis(50))), 0);
    let (r1, m1) = (now(libc::CLOCK_REALTIME)?, mono()?);
    let (dr, dm) = (r1.saturating_sub(r0), m1 - m0);
    check!(
        dm >= Duration::from_millis(50),
        "CLOCK_MONOTONIC advanced {dm:?} over a 50 ms sleep"
    );
    let diff = dr.abs_diff(dm);
    check!(
        diff < Duration::from_millis(20),
        "CLOCK_REALTIME advanced {dr:?}, CLOCK_MONOTONIC {dm:?}"
    );
    Ok(())
}

fn cpu_time(who: i32) -> Result<Duration, String> {
    // SAFETY: rusage is plain data, for which all-zero bytes are valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: ru is a valid out-pointer.
    sys(
        unsafe { libc::syscall(libc::SYS_getrusage, who, &mut ru) },
        "getrusage",
    )?;
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok(tv(ru.ru_utime) + tv(ru.ru_stime))
}

/// Spins for `d` of CLOCK_MONOTONIC.
fn spin(d: Duration) -> CheckResult {
    let end = mono()? + d;
    let mut x = 0u64;
    while mono()? < end {
        for i in 0..1000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    Ok(())
}

fn cpu_time_grows_while_busy() -> CheckResult {
    // Spin until 100 ms of CPU time have been charged (other load on the
    // machine only makes it take longer), then compare with the wall clock:
    // one thread cannot use more CPU time than time passed.
    let (c0, w0) = (cpu_time(libc::RUSAGE_SELF)?, mono()?);
    let mut used = Duration::ZERO;
    while used < Duration::from_millis(100) {
        spin(Duration::from_millis(10))?;
        used = cpu_time(libc::RUSAGE_SELF)?.saturating_sub(c0);
        let wall = mono()? - w0;
        check!(
            wall < Duration::from_secs(10),
            "10 s of spinning were charged {used:?} of CPU time"
        );
    }
    let wall = mono()? - w0;
    check!(
        used <= wall + Duration::from_millis(20),
        "{used:?} of CPU time in {wall:?}"
    );
    // SAFETY: the out-buffer is a 256-byte temporary, larger than rusage.
    let r = unsafe { libc::syscall(libc::SYS_getrusage, 12345, &mut [0u8; 256]) };
    expect_errno(r, libc::EINVAL, "getrusage(12345)")
}

/// times(2): (clock ticks since an arbitrary point, user + system ticks).
fn times() -> Result<(i64, i64), String> {
    // SAFETY: tms is plain data, for which all-zero bytes are valid.
    let mut t: libc::tms = unsafe { std::mem::zeroed() };
    // SAFETY: t is a valid out-pointer.
    let c = sys(unsafe { libc::syscall(libc::SYS_times, &mut t) }, "times")?;
    Ok((c, t.tms_utime + t.tms_stime))
}

fn times_counts_clock_ticks() -> CheckResult {
    // USER_HZ is 100: 200 ms of wall time are about 20 ticks.
    let (t0, _) = times()?;
    spin(Duration::from_millis(200))?;
    let (t1, cpu1) = times()?;
    check!(
        (10..=100).contains(&(t1 - t0)),
        "times() advanced {} ticks over 200 ms",
        t1 - t0
    );
    // Spin until 10 ticks of CPU time are charged; no more than passed.
    let mut cpu = cpu1;
    let mut now = t1;
    while cpu - cpu1 < 10 {
        spin(Duration::from_millis(10))?;
        (now, cpu) = times()?;
        check!(
            now - t1 < 1000,
            "10 s of spinning were charged {} ticks",
            cpu - cpu1
        );
    }
    check!(
        cpu - cpu1 <= now - t1 + 2,
        "{} ticks of CPU time in {} ticks",
        cpu - cpu1,
        now - t1
    );
    // SAFETY: a NULL pointer: times only returns the clock.
    let c2 = unsafe { libc::syscall(libc::SYS_times, 0usize) };
    check!(c2 >= now, "times(NULL) = {c2} went back from {now}");
    Ok(())
}
