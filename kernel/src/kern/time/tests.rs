//! ktests of the clocks and the time system calls: the RTC and the
//! calendar, the clocks' consistency with each other and with the timer,
//! the system calls' results and errors, and sleeps that last at least as
//! long as asked and end early only for a signal.

use super::civil;
use super::clock::{self, NSEC_PER_SEC};
use crate::arch::x86_64::rtc::{self, status_b};
use crate::arch::x86_64::{apic, tsc};
use crate::kern::error::KResult;
use crate::kern::sched::lwp;
use crate::kern::sched::sched::Stat;
use crate::kern::sys_harness::{BAD_POINTERS, DATA, Harness};
use crate::ktest::ktest;
use core::sync::atomic::{AtomicI64, Ordering};
use ferrite_abi::clock as c;
use ferrite_abi::syscall as nr;
use ferrite_abi::{Errno, Timespec, Timeval, Timezone};

const MS: u64 = 1_000_000;

fn ts(sec: i64, nsec: i64) -> Timespec {
    Timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    }
}

fn ts_ns(t: &Timespec) -> i64 {
    t.tv_sec * NSEC_PER_SEC as i64 + t.tv_nsec
}

#[ktest]
fn the_rtc_holds_a_plausible_date() {
    let t = rtc::read().expect("the RTC answers");
    assert!(
        (2020..2100).contains(&t.year),
        "RTC year {} (QEMU starts the RTC at the host's date or -rtc base)",
        t.year
    );
    assert!(
        (1..=12).contains(&t.month) && (1..=31).contains(&t.day),
        "{t:?}"
    );
}

#[ktest]
fn the_rtc_decoder_handles_bcd_binary_and_12_hour_modes() {
    // BCD, 12-hour: 12:30:59 PM is 12 h, 12:05 AM is 0 h, 7 PM is 19 h.
    let t = rtc::decode_for_test([0x59, 0x30, 0x80 | 0x12, 0x31, 0x12, 0x24], 0).unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.hour, t.minute, t.second),
        (2024, 12, 31, 12, 30, 59)
    );
    let t = rtc::decode_for_test([0, 0x05, 0x12, 1, 1, 0x25], 0).unwrap();
    assert_eq!(t.hour, 0, "12 AM");
    let t = rtc::decode_for_test([0, 0, 0x80 | 0x07, 1, 1, 0x25], 0).unwrap();
    assert_eq!(t.hour, 19, "7 PM");
    // BCD, 24-hour.
    let t = rtc::decode_for_test([0x01, 0x02, 0x23, 0x28, 0x02, 0x99], status_b::HOUR_24).unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.hour, t.minute, t.second),
        (2099, 2, 28, 23, 2, 1)
    );
    // Binary, 24-hour.
    let t = rtc::decode_for_test(
        [59, 30, 23, 31, 12, 24],
        status_b::BINARY | status_b::HOUR_24,
    )
    .unwrap();
    assert_eq!(
        (t.year, t.month, t.day, t.hour, t.minute, t.second),
        (2024, 12, 31, 23, 30, 59)
    );
    // Not a date.
    assert_eq!(
        rtc::decode_for_test([0, 0, 0, 1, 0x13, 0x24], 0),
        None,
        "month 13"
    );
    assert_eq!(
        rtc::decode_for_test([0x60, 0, 0, 1, 1, 0x24], 0),
        None,
        "second 60"
    );
}

#[ktest]
fn the_calendar_conversion_matches_known_dates() {
    // Values from `date -u -d ... +%s`.
    assert_eq!(civil::unix_seconds(1970, 1, 1, 0, 0, 0), 0);
    assert_eq!(civil::unix_seconds(2000, 3, 1, 0, 0, 0), 951_868_800);
    assert_eq!(civil::unix_seconds(2024, 1, 1, 0, 0, 0), 1_704_067_200);
    assert_eq!(civil::unix_seconds(2024, 2, 29, 12, 0, 0), 1_709_208_000);
    assert_eq!(civil::unix_seconds(2038, 1, 19, 3, 14, 7), 2_147_483_647);
    assert_eq!(civil::unix_seconds(1969, 12, 31, 23, 59, 59), -1);
    assert_eq!(civil::unix_seconds(2100, 3, 1, 0, 0, 0), 4_107_542_400);
    // Every day from 1900 to 2200 converts back to itself, and
    // consecutive days are consecutive dates.
    let first = civil::days_from_civil(1900, 1, 1);
    let last = civil::days_from_civil(2200, 1, 1);
    let mut prev = civil::civil_from_days(first - 1);
    for d in first..last {
        let (y, m, dd) = civil::civil_from_days(d);
        assert_eq!(civil::days_from_civil(y, m, dd), d);
        let next_day = (y, m, dd) == (prev.0, prev.1, prev.2 + 1);
        let next_month =
            dd == 1 && ((y == prev.0 && m == prev.1 + 1) || (y == prev.0 + 1 && m == 1));
        assert!(next_day || next_month, "{prev:?} then {:?}", (y, m, dd));
        prev = (y, m, dd);
    }
}

#[ktest]
fn the_wall_clock_agrees_with_the_rtc() {
    let t = rtc::read().expect("the RTC answers");
    let rtc_secs = civil::unix_seconds(
        t.year as i64,
        t.month as u32,
        t.day as u32,
        t.hour as u32,
        t.minute as u32,
        t.second as u32,
    );
    let wall = clock::realtime_ns().div_euclid(NSEC_PER_SEC as i64);
    // The RTC counts whole seconds and the wall clock was set from it at
    // boot: they differ by less than 2 s (rounding at both reads).
    assert!(
        (wall - rtc_secs).abs() <= 2,
        "CLOCK_REALTIME {wall} s, RTC {rtc_secs} s"
    );
}

#[ktest]
fn the_monotonic_clock_never_goes_back_and_advances() {
    let first = clock::uptime_ns();
    let mut last = first;
    for i in 0..100_000 {
        let t = clock::uptime_ns();
        assert!(t >= last, "read {i}: went back from {last} to {t}");
        last = t;
    }
    assert!(last > first, "100000 reads and the clock did not move");
}

#[ktest]
fn the_tsc_clock_keeps_pace_with_the_timer_interrupts() {
    // Wait for a tick edge, then count 20 ticks on both clocks. The TSC
    // clock must not be slower than the ticks (a sleep measured in ticks
    // would then end early by the TSC clock); it may be faster, since a
    // busy host can drop timer interrupts of a virtual machine (QEMU does
    // not replay missed periods), but not by a factor.
    let t0 = apic::ticks();
    while apic::ticks() == t0 {
        core::hint::spin_loop();
    }
    let (k0, n0) = (apic::ticks(), clock::uptime_ns());
    while apic::ticks() < k0 + 20 {
        core::hint::spin_loop();
    }
    let (k1, n1) = (apic::ticks(), clock::uptime_ns());
    let ticks = k1 - k0;
    let elapsed = n1 - n0;
    let tick = clock::tick_ns();
    assert!(
        elapsed >= (ticks - 1) * tick && elapsed <= 2 * ticks * tick,
        "{ticks} ticks of {tick} ns took {elapsed} ns on the TSC clock (TSC {} Hz)",
        tsc::hz()
    );
}

#[ktest]
fn clock_gettime_reads_each_clock() -> KResult<()> {
    let h = Harness::new()?;
    let get = |id: i32| -> Result<i64, Errno> {
        h.sys(nr::SYS_clock_gettime, &[id as u64, DATA])?;
        Ok(ts_ns(&h.read::<Timespec>(DATA)))
    };
    let before = clock::uptime_ns() as i64;
    let mono = get(c::CLOCK_MONOTONIC).unwrap();
    let after = clock::uptime_ns() as i64;
    assert!(
        before <= mono && mono <= after,
        "{before} <= {mono} <= {after}"
    );
    let before = clock::realtime_ns();
    let real = get(c::CLOCK_REALTIME).unwrap();
    let after = clock::realtime_ns();
    assert!(
        before <= real && real <= after,
        "{before} <= {real} <= {after}"
    );
    assert!(
        real > 1_577_836_800 * NSEC_PER_SEC as i64,
        "CLOCK_REALTIME before 2020"
    );
    // Coarse clocks: on a tick boundary, never ahead of the fine clock.
    let tick = clock::tick_ns() as i64;
    for (coarse, fine) in [
        (c::CLOCK_MONOTONIC_COARSE, c::CLOCK_MONOTONIC),
        (c::CLOCK_REALTIME_COARSE, c::CLOCK_REALTIME),
    ] {
        let a = get(coarse).unwrap();
        let b = get(fine).unwrap();
        assert_eq!(a % tick, 0, "clock {coarse} is tick-aligned");
        assert!(a <= b && b - a < 2 * tick, "coarse {a}, fine {b}");
    }
    // The aliases and CPU clocks, including the dynamic ids of the
    // caller's own CPU clocks (pid 0: (~0 << 3) | 2 = -6, thread -2).
    for id in [
        c::CLOCK_MONOTONIC_RAW,
        c::CLOCK_BOOTTIME,
        c::CLOCK_TAI,
        c::CLOCK_PROCESS_CPUTIME_ID,
        c::CLOCK_THREAD_CPUTIME_ID,
        -6,
        -2,
    ] {
        assert!(get(id).unwrap() > 0, "clock {id}");
    }
    // Not clocks: EINVAL (-1 is the fd-clock encoding, -5 the CPU clock
    // kind 3, 10 and 12 are unused numbers).
    for id in [999, 10, 12, -1, -5, i32::MAX] {
        assert_eq!(get(id), Err(Errno::EINVAL), "clock {id}");
    }
    for bad in BAD_POINTERS {
        assert_eq!(
            h.sys(nr::SYS_clock_gettime, &[c::CLOCK_MONOTONIC as u64, bad]),
            Err(Errno::EFAULT),
            "clock_gettime into {bad:#x}"
        );
    }
    Ok(())
}

#[ktest]
fn clock_getres_reports_a_nanosecond_and_the_tick() -> KResult<()> {
    let h = Harness::new()?;
    let res = |id: i32| -> Result<i64, Errno> {
        h.write(DATA, &ts(77, 77));
        h.sys(nr::SYS_clock_getres, &[id as u64, DATA])?;
        Ok(ts_ns(&h.read::<Timespec>(DATA)))
    };
    assert_eq!(res(c::CLOCK_MONOTONIC), Ok(1));
    assert_eq!(res(c::CLOCK_REALTIME), Ok(1));
    assert_eq!(res(c::CLOCK_MONOTONIC_COARSE), Ok(clock::tick_ns() as i64));
    assert_eq!(
        clock::tick_ns(),
        NSEC_PER_SEC / apic::timer_hz() as u64,
        "the tick is the timer's period"
    );
    assert_eq!(res(999), Err(Errno::EINVAL));
    // NULL asks only whether the clock exists.
    assert_eq!(
        h.sys(nr::SYS_clock_getres, &[c::CLOCK_MONOTONIC as u64, 0]),
        Ok(0)
    );
    assert_eq!(h.sys(nr::SYS_clock_getres, &[999, 0]), Err(Errno::EINVAL));
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(
            h.sys(nr::SYS_clock_getres, &[c::CLOCK_MONOTONIC as u64, *bad]),
            Err(Errno::EFAULT)
        );
    }
    Ok(())
}

#[ktest]
fn gettimeofday_and_time_agree_with_clock_realtime() -> KResult<()> {
    let h = Harness::new()?;
    let tz_addr = DATA + 64;
    h.write(
        tz_addr,
        &Timezone {
            tz_minuteswest: 5,
            tz_dsttime: 6,
        },
    );
    let before = clock::realtime_ns();
    assert_eq!(h.sys(nr::SYS_gettimeofday, &[DATA, tz_addr]), Ok(0));
    let after = clock::realtime_ns();
    let tv: Timeval = h.read(DATA);
    assert!(tv.is_valid(), "{tv:?}");
    let t = tv.tv_sec * NSEC_PER_SEC as i64 + tv.tv_usec * 1000;
    // Truncated to microseconds.
    assert!(
        t + 1000 > before && t <= after,
        "{before} <= {t} <= {after}"
    );
    assert_eq!(
        h.read::<Timezone>(tz_addr),
        Timezone::default(),
        "timezone zeroed"
    );
    assert_eq!(h.sys(nr::SYS_gettimeofday, &[0, 0]), Ok(0));
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(h.sys(nr::SYS_gettimeofday, &[*bad, 0]), Err(Errno::EFAULT));
        assert_eq!(h.sys(nr::SYS_gettimeofday, &[0, *bad]), Err(Errno::EFAULT));
    }

    let before = clock::realtime_ns() / NSEC_PER_SEC as i64;
    let r = h.sys(nr::SYS_time, &[DATA]).unwrap() as i64;
    let after = clock::realtime_ns() / NSEC_PER_SEC as i64;
    assert!(before <= r && r <= after);
    assert_eq!(h.read::<i64>(DATA), r, "time() stores what it returns");
    let r2 = h.sys(nr::SYS_time, &[0]).unwrap() as i64;
    assert!(r2 >= r && r2 <= after + 1);
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(h.sys(nr::SYS_time, &[*bad]), Err(Errno::EFAULT));
    }
    Ok(())
}

#[ktest]
fn setting_the_wall_clock_moves_it_and_bad_values_are_refused() -> KResult<()> {
    let h = Harness::new()?;
    let saved = clock::realtime_ns();
    // clock_settime: an hour ahead.
    h.write(
        DATA,
        &clock::ns_to_timespec(saved + 3600 * NSEC_PER_SEC as i64),
    );
    assert_eq!(
        h.sys(nr::SYS_clock_settime, &[c::CLOCK_REALTIME as u64, DATA]),
        Ok(0)
    );
    let moved = clock::realtime_ns() - saved;
    let mono_before = clock::uptime_ns();
    assert!(
        (3600 * NSEC_PER_SEC as i64..3601 * NSEC_PER_SEC as i64).contains(&moved),
        "moved {moved} ns"
    );
    // settimeofday: back, with a timezone.
    h.write(
        DATA,
        &Timeval {
            tv_sec: saved / NSEC_PER_SEC as i64,
            tv_usec: 0,
        },
    );
    h.write(
        DATA + 32,
        &Timezone {
            tz_minuteswest: -60,
            tz_dsttime: 0,
        },
    );
    assert_eq!(h.sys(nr::SYS_settimeofday, &[DATA, DATA + 32]), Ok(0));
    assert!((clock::realtime_ns() - saved).abs() < 2 * NSEC_PER_SEC as i64);
    assert_eq!(clock::timezone(), (-60, 0));
    assert!(
        clock::uptime_ns() >= mono_before,
        "the monotonic clock did not move back"
    );
    // Errors: other clocks, bad values, a time before boot, a bad zone.
    h.write(DATA, &ts(2_000_000_000, 0));
    for id in [c::CLOCK_MONOTONIC, c::CLOCK_REALTIME_ALARM, 999] {
        assert_eq!(
            h.sys(nr::SYS_clock_settime, &[id as u64, DATA]),
            Err(Errno::EINVAL),
            "clock {id}"
        );
    }
    for bad in [ts(0, NSEC_PER_SEC as i64), ts(0, -1), ts(-1, 0), ts(0, 0)] {
        h.write(DATA, &bad);
        assert_eq!(
            h.sys(nr::SYS_clock_settime, &[c::CLOCK_REALTIME as u64, DATA]),
            Err(Errno::EINVAL),
            "{bad:?}"
        );
    }
    h.write(
        DATA + 32,
        &Timezone {
            tz_minuteswest: 15 * 60 + 1,
            tz_dsttime: 0,
        },
    );
    assert_eq!(
        h.sys(nr::SYS_settimeofday, &[0, DATA + 32]),
        Err(Errno::EINVAL)
    );
    h.write(
        DATA,
        &Timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        },
    );
    assert_eq!(h.sys(nr::SYS_settimeofday, &[DATA, 0]), Err(Errno::EINVAL));
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(
            h.sys(nr::SYS_clock_settime, &[c::CLOCK_REALTIME as u64, *bad]),
            Err(Errno::EFAULT)
        );
        assert_eq!(h.sys(nr::SYS_settimeofday, &[*bad, 0]), Err(Errno::EFAULT));
    }
    clock::set_timezone(0, 0);
    // Back to where it was (plus the time this test took).
    clock::set_realtime_ns(saved + (clock::uptime_ns() - mono_before) as i64).unwrap();
    Ok(())
}

#[ktest]
fn nanosleep_sleeps_at_least_as_long_as_asked() -> KResult<()> {
    let h = Harness::new()?;
    let tick = clock::tick_ns();
    for ms in [0, 1, 7, 15, 25] {
        h.write(DATA, &ts(0, (ms * MS) as i64));
        let t0 = clock::uptime_ns();
        assert_eq!(h.sys(nr::SYS_nanosleep, &[DATA, 0]), Ok(0));
        let slept = clock::uptime_ns() - t0;
        assert!(slept >= ms * MS, "nanosleep({ms} ms) slept {slept} ns");
        // About a tick more (a few if the host drops timer interrupts).
        assert!(
            slept <= ms * MS + 5 * tick + 5 * MS,
            "nanosleep({ms} ms) slept {slept} ns, tick {tick} ns"
        );
    }
    for bad in [ts(0, NSEC_PER_SEC as i64), ts(0, -1), ts(-1, 0)] {
        h.write(DATA, &bad);
        assert_eq!(
            h.sys(nr::SYS_nanosleep, &[DATA, 0]),
            Err(Errno::EINVAL),
            "{bad:?}"
        );
    }
    for bad in BAD_POINTERS {
        assert_eq!(h.sys(nr::SYS_nanosleep, &[bad, 0]), Err(Errno::EFAULT));
    }
    Ok(())
}

#[ktest]
fn clock_nanosleep_sleeps_relative_and_absolute_and_checks_its_clock() -> KResult<()> {
    let h = Harness::new()?;
    let sleep = |id: i32, flags: i32, t: Timespec| {
        h.write(DATA, &t);
        h.sys(nr::SYS_clock_nanosleep, &[id as u64, flags as u64, DATA, 0])
    };
    // Relative, on the monotonic and the wall clock.
    for id in [c::CLOCK_MONOTONIC, c::CLOCK_REALTIME, c::CLOCK_BOOTTIME] {
        let t0 = clock::uptime_ns();
        assert_eq!(sleep(id, 0, ts(0, (12 * MS) as i64)), Ok(0));
        assert!(clock::uptime_ns() - t0 >= 12 * MS, "clock {id}");
    }
    // Absolute deadlines: woken no earlier than the deadline.
    let deadline = clock::uptime_ns() + 30 * MS;
    assert_eq!(
        sleep(
            c::CLOCK_MONOTONIC,
            c::TIMER_ABSTIME,
            clock::ns_to_timespec(deadline as i64)
        ),
        Ok(0)
    );
    assert!(clock::uptime_ns() >= deadline);
    let deadline = clock::realtime_ns() + (20 * MS) as i64;
    assert_eq!(
        sleep(
            c::CLOCK_REALTIME,
            c::TIMER_ABSTIME,
            clock::ns_to_timespec(deadline)
        ),
        Ok(0)
    );
    assert!(clock::realtime_ns() >= deadline);
    // A deadline in the past returns at once.
    let t0 = clock::uptime_ns();
    let past = clock::ns_to_timespec((t0 - MS) as i64);
    assert_eq!(sleep(c::CLOCK_MONOTONIC, c::TIMER_ABSTIME, past), Ok(0));
    assert!(clock::uptime_ns() - t0 < clock::tick_ns());
    let past = clock::ns_to_timespec(clock::realtime_ns() - NSEC_PER_SEC as i64);
    assert_eq!(sleep(c::CLOCK_REALTIME, c::TIMER_ABSTIME, past), Ok(0));
    // Clocks: unknown and thread CPU time EINVAL, no timers EOPNOTSUPP.
    assert_eq!(sleep(999, 0, ts(0, 1)), Err(Errno::EINVAL));
    assert_eq!(
        sleep(c::CLOCK_THREAD_CPUTIME_ID, 0, ts(0, 1)),
        Err(Errno::EINVAL)
    );
    for id in [
        c::CLOCK_MONOTONIC_RAW,
        c::CLOCK_MONOTONIC_COARSE,
        c::CLOCK_REALTIME_COARSE,
    ] {
        assert_eq!(sleep(id, 0, ts(0, 1)), Err(Errno::EOPNOTSUPP), "clock {id}");
    }
    assert_eq!(
        sleep(c::CLOCK_MONOTONIC, 0, ts(0, 2 * NSEC_PER_SEC as i64)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sleep(c::CLOCK_MONOTONIC, c::TIMER_ABSTIME, ts(-1, 0)),
        Err(Errno::EINVAL)
    );
    for bad in BAD_POINTERS {
        assert_eq!(
            h.sys(
                nr::SYS_clock_nanosleep,
                &[c::CLOCK_MONOTONIC as u64, 0, bad, 0]
            ),
            Err(Errno::EFAULT)
        );
    }
    Ok(())
}

/// What the interrupted sleeper saw: its result (errno or 0) and the
/// remainder it found in `rem` (ns; -1 if untouched).
static SLEEP_RESULT: AtomicI64 = AtomicI64::new(0);
static SLEEP_REM: AtomicI64 = AtomicI64::new(0);

/// A thread that sleeps 10 s (relative with `rem`, or, with `abstime`,
/// until 10 s from now) and records what happened.
fn long_sleeper(abstime: usize) {
    let h = Harness::new().expect("scratch address space");
    let rem = DATA + 64;
    h.write(rem, &ts(-1, -1));
    let (flags, req) = if abstime != 0 {
        (
            c::TIMER_ABSTIME,
            clock::ns_to_timespec((clock::uptime_ns() + 10 * NSEC_PER_SEC) as i64),
        )
    } else {
        (0, ts(10, 0))
    };
    h.write(DATA, &req);
    let r = h.sys(
        nr::SYS_clock_nanosleep,
        &[c::CLOCK_MONOTONIC as u64, flags as u64, DATA, rem],
    );
    SLEEP_RESULT.store(
        match r {
            Ok(_) => 0,
            Err(e) => e.as_i32() as i64,
        },
        Ordering::SeqCst,
    );
    let left = h.read::<Timespec>(rem);
    SLEEP_REM.store(
        if left.tv_sec == -1 { -1 } else { ts_ns(&left) },
        Ordering::SeqCst,
    );
}

fn interrupt_a_sleeper(abstime: bool) -> KResult<(i64, i64)> {
    let t = lwp::kthread_create("sleeper", long_sleeper, abstime as usize)?;
    while lwp::stat_of(&t) != Stat::Sleeping {
        crate::kern::sched::yield_now();
    }
    super::sleep::sleep_ns(30 * MS);
    assert_eq!(lwp::stat_of(&t), Stat::Sleeping, "still asleep after 30 ms");
    lwp::interrupt(&t);
    lwp::join(t);
    Ok((
        SLEEP_RESULT.load(Ordering::SeqCst),
        SLEEP_REM.load(Ordering::SeqCst),
    ))
}

#[ktest]
fn a_signal_ends_nanosleep_with_eintr_and_the_time_left() -> KResult<()> {
    let (r, rem) = interrupt_a_sleeper(false)?;
    assert_eq!(r, Errno::EINTR.as_i32() as i64);
    // About 10 s minus the 30 ms before the interruption.
    let ten = 10 * NSEC_PER_SEC as i64;
    assert!(
        rem > ten - NSEC_PER_SEC as i64 && rem < ten - (30 * MS) as i64,
        "rem {rem} ns"
    );
    // An absolute sleep is interrupted the same way but leaves rem alone.
    let (r, rem) = interrupt_a_sleeper(true)?;
    assert_eq!(r, Errno::EINTR.as_i32() as i64);
    assert_eq!(rem, -1, "rem written after an absolute sleep");
    Ok(())
}

#[ktest]
fn a_kernel_sleep_on_the_wall_clock_ends_at_its_deadline() {
    let deadline = clock::realtime_ns() + (25 * MS) as i64;
    let r = super::sleep::sleep_until(super::sleep::Deadline::Realtime(deadline), false);
    assert_eq!(r, Ok(()));
    let now = clock::realtime_ns();
    assert!(now >= deadline, "woke {} ns early", deadline - now);
    assert!(
        now - deadline < (5 * clock::tick_ns() + 5 * MS) as i64,
        "woke {} ns late",
        now - deadline
    );
}
