//! ktests of the resource calls: the rules for changing a limit, the
//! calls' behaviour without a process, priorities, and usage reports that
//! follow the clocks.

use super::priority::{self, PRIO_PGRP, PRIO_PROCESS, PRIO_USER};
use super::rlimit::{NR_OPEN, apply};
use super::usage::{self, USER_HZ};
use crate::kern::error::KResult;
use crate::kern::proc::proc::default_rlimits;
use crate::kern::sys_harness::{BAD_POINTERS, DATA, Harness};
use crate::kern::time::clock::{self, NSEC_PER_SEC};
use crate::kern::time::sleep::sleep_ns;
use crate::ktest::ktest;
use ferrite_abi::resource::{
    RLIM_INFINITY, RLIMIT_AS, RLIMIT_CORE, RLIMIT_NOFILE, RLIMIT_RTTIME, RLIMIT_STACK,
    RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD,
};
use ferrite_abi::syscall as nr;
use ferrite_abi::{Errno, Rlimit, Rusage, Tms};

fn lim(cur: u64, max: u64) -> Rlimit {
    Rlimit {
        rlim_cur: cur,
        rlim_max: max,
    }
}

#[ktest]
fn limits_change_by_linux_rules() {
    let mut t = default_rlimits();
    // Reading returns the current value and changes nothing.
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, None, true),
        Ok(lim(1024, 4096))
    );
    assert_eq!(
        apply(&mut t, RLIMIT_STACK, None, true),
        Ok(lim(8 << 20, RLIM_INFINITY))
    );
    // A change returns the old value and sticks.
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, Some(lim(32, 4096)), true),
        Ok(lim(1024, 4096))
    );
    assert_eq!(t[RLIMIT_NOFILE as usize], lim(32, 4096));
    // Soft above hard: EINVAL, nothing changed.
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, Some(lim(4097, 4096)), true),
        Err(Errno::EINVAL)
    );
    assert_eq!(t[RLIMIT_NOFILE as usize], lim(32, 4096));
    // Unknown resources.
    for r in [RLIMIT_RTTIME + 1, 99, u32::MAX] {
        assert_eq!(
            apply(&mut t, r, None, true),
            Err(Errno::EINVAL),
            "resource {r}"
        );
        assert_eq!(apply(&mut t, r, Some(lim(1, 1)), true), Err(Errno::EINVAL));
    }
    // Open files: never above fs.nr_open, even for root.
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, Some(lim(64, NR_OPEN + 1)), true),
        Err(Errno::EPERM)
    );
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, Some(lim(64, RLIM_INFINITY)), true),
        Err(Errno::EPERM)
    );
    assert_eq!(
        apply(&mut t, RLIMIT_NOFILE, Some(lim(64, NR_OPEN)), true),
        Ok(lim(32, 4096))
    );
    // Raising a hard limit takes privilege; lowering does not, and a
    // lowered limit cannot be raised again without it.
    assert_eq!(
        apply(&mut t, RLIMIT_CORE, Some(lim(0, 1 << 20)), false),
        Ok(lim(0, RLIM_INFINITY))
    );
    assert_eq!(
        apply(&mut t, RLIMIT_CORE, Some(lim(0, 2 << 20)), false),
        Err(Errno::EPERM)
    );
    assert_eq!(t[RLIMIT_CORE as usize], lim(0, 1 << 20));
    assert_eq!(
        apply(&mut t, RLIMIT_CORE, Some(lim(0, RLIM_INFINITY)), true),
        Ok(lim(0, 1 << 20))
    );
    // Every resource is stored.
    assert_eq!(
        apply(&mut t, RLIMIT_AS, Some(lim(1 << 30, 1 << 31)), true).map(|_| ()),
        Ok(())
    );
    assert_eq!(
        apply(&mut t, RLIMIT_AS, None, true),
        Ok(lim(1 << 30, 1 << 31))
    );
}

#[ktest]
fn limit_calls_without_a_process_find_no_process() -> KResult<()> {
    // The harness runs on a kernel thread: there is no process whose
    // limits could be read, so ESRCH, but pointers are read first.
    let h = Harness::new()?;
    h.write(DATA, &lim(1, 2));
    assert_eq!(
        h.sys(nr::SYS_getrlimit, &[RLIMIT_NOFILE as u64, DATA]),
        Err(Errno::ESRCH)
    );
    assert_eq!(
        h.sys(nr::SYS_setrlimit, &[RLIMIT_NOFILE as u64, DATA]),
        Err(Errno::ESRCH)
    );
    assert_eq!(
        h.sys(nr::SYS_prlimit64, &[0, RLIMIT_NOFILE as u64, 0, DATA]),
        Err(Errno::ESRCH)
    );
    assert_eq!(
        h.sys(
            nr::SYS_prlimit64,
            &[0x3fff_fff0, RLIMIT_NOFILE as u64, 0, DATA]
        ),
        Err(Errno::ESRCH)
    );
    for bad in BAD_POINTERS {
        assert_eq!(
            h.sys(nr::SYS_setrlimit, &[RLIMIT_NOFILE as u64, bad]),
            Err(Errno::EFAULT)
        );
    }
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(
            h.sys(nr::SYS_prlimit64, &[0, RLIMIT_NOFILE as u64, *bad, 0]),
            Err(Errno::EFAULT)
        );
    }
    Ok(())
}

#[ktest]
fn priorities_are_nice_zero_and_unknown_targets_are_esrch() -> KResult<()> {
    let h = Harness::new()?;
    for which in [PRIO_PROCESS, PRIO_PGRP, PRIO_USER] {
        // The raw call returns 20 - nice.
        assert_eq!(h.sys(nr::SYS_getpriority, &[which as u64, 0]), Ok(20));
        assert_eq!(h.sys(nr::SYS_setpriority, &[which as u64, 0, 5]), Ok(0));
        assert_eq!(
            h.sys(nr::SYS_setpriority, &[which as u64, 0, (-100i64) as u64]),
            Ok(0),
            "clamped to -20, allowed for root"
        );
        assert_eq!(
            h.sys(nr::SYS_getpriority, &[which as u64, 12345]),
            Err(Errno::ESRCH)
        );
        assert_eq!(
            h.sys(nr::SYS_setpriority, &[which as u64, 12345, 0]),
            Err(Errno::ESRCH)
        );
    }
    for which in [3u64, (-1i64) as u64] {
        assert_eq!(h.sys(nr::SYS_getpriority, &[which, 0]), Err(Errno::EINVAL));
        assert_eq!(
            h.sys(nr::SYS_setpriority, &[which, 0, 0]),
            Err(Errno::EINVAL)
        );
    }
    assert_eq!(
        (priority::nice_to_raw(-20), priority::nice_to_raw(19)),
        (40, 1)
    );
    Ok(())
}

fn cpu_ns(ru: &Rusage) -> i64 {
    let t = |tv: ferrite_abi::Timeval| tv.tv_sec * NSEC_PER_SEC as i64 + tv.tv_usec * 1000;
    t(ru.ru_utime) + t(ru.ru_stime)
}

#[ktest]
fn getrusage_reports_cpu_time_and_voluntary_switches() -> KResult<()> {
    let h = Harness::new()?;
    let get = |who: i32| -> Result<Rusage, Errno> {
        h.sys(nr::SYS_getrusage, &[who as u64, DATA])?;
        Ok(h.read::<Rusage>(DATA))
    };
    let wall0 = clock::uptime_ns() as i64;
    let a = get(RUSAGE_SELF).unwrap();
    sleep_ns(20_000_000);
    let b = get(RUSAGE_THREAD).unwrap();
    let wall = clock::uptime_ns() as i64 - wall0;
    let used = cpu_ns(&b) - cpu_ns(&a);
    assert!(used > 0, "CPU time did not advance");
    // Never more CPU time than wall time passed (one thread; rusage
    // truncates to microseconds, hence the 1 us).
    assert!(used <= wall + 1000, "{used} ns of CPU time in {wall} ns");
    assert!(b.ru_nvcsw > a.ru_nvcsw, "the sleep was a voluntary switch");
    assert_eq!(
        get(RUSAGE_CHILDREN),
        Ok(Rusage::default()),
        "no children waited for"
    );
    for who in [2, -2, 12345] {
        assert_eq!(get(who), Err(Errno::EINVAL), "who {who}");
    }
    for bad in BAD_POINTERS {
        assert_eq!(
            h.sys(nr::SYS_getrusage, &[RUSAGE_SELF as u64, bad]),
            Err(Errno::EFAULT)
        );
    }
    Ok(())
}

#[ktest]
fn times_counts_user_hz_ticks_since_boot() -> KResult<()> {
    let h = Harness::new()?;
    let ticks = |ns: u64| (ns / (NSEC_PER_SEC / USER_HZ)) as usize;
    let before = ticks(clock::uptime_ns());
    let r = h.sys(nr::SYS_times, &[DATA]).unwrap();
    let after = ticks(clock::uptime_ns());
    assert!(before <= r && r <= after, "{before} <= {r} <= {after}");
    let t: Tms = h.read(DATA);
    assert!(t.tms_utime > 0 && t.tms_utime as usize <= r, "{t:?}");
    assert_eq!((t.tms_cutime, t.tms_cstime), (0, 0));
    sleep_ns(50_000_000);
    let r2 = h.sys(nr::SYS_times, &[0]).unwrap();
    assert!(r2 >= r + 5, "50 ms is at least 5 ticks: {r} then {r2}");
    assert_eq!(usage::ns_to_clock_t(NSEC_PER_SEC), USER_HZ as i64);
    for bad in &BAD_POINTERS[1..] {
        assert_eq!(h.sys(nr::SYS_times, &[*bad]), Err(Errno::EFAULT));
    }
    Ok(())
}
