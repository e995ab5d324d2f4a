//! `user::mlock`: the memory-lock calls. mlock makes pages resident
//! (mincore) and keeps them (MADV_DONTNEED is refused on locked pages,
//! which is how a check sees a lock), survives munlock of a sub-range
//! outside it, does not nest, and goes with munmap; mlock2(MLOCK_ONFAULT)
//! and mlockall(MCL_ONFAULT) lock pages as they come in;
//! mlockall(MCL_CURRENT) locks what is mapped and MCL_FUTURE what is
//! mapped later (mmap, brk); RLIMIT_MEMLOCK binds a process without
//! CAP_IPC_LOCK (ENOMEM, EPERM at 0, EAGAIN for new mappings) and not root;
//! capget/capset as far as dropping CAP_IPC_LOCK goes; the errno table.

use ftest::proc::in_child;
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::fault::{Access, Fault, expect_fault};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, page_has, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
const MLOCK_ONFAULT: usize = 1;
const CAP_IPC_LOCK: u32 = 14;

const CHECKS: &[ftest::Check] = checks![
    mlock_makes_pages_resident,
    locked_pages_keep_their_data_and_refuse_dontneed,
    munlock_of_a_sub_range_keeps_the_rest_locked,
    mlock_does_not_nest,
    the_lock_goes_with_munmap,
    an_unaligned_mlock_covers_whole_pages,
    mlock2_onfault_locks_pages_as_they_come_in,
    mlockall_current_locks_what_is_mapped,
    mlockall_future_locks_new_mappings_and_brk,
    mlockall_onfault_brings_nothing_in,
    munlockall_ends_everything,
    root_is_not_bound_by_rlimit_memlock,
    rlimit_memlock_binds_without_cap_ipc_lock,
    rlimit_memlock_zero_is_eperm_without_cap_ipc_lock,
    capget_and_capset_drop_a_capability_for_good,
    errors,
];

pub fn main() {
    ftest::main("mlock", CHECKS)
}

/// True if the page at `addr` is locked: MADV_DONTNEED refuses locked
/// pages with EINVAL (and drops unlocked ones, so only use this on pages
/// whose data the check no longer needs, or on fresh ones).
fn locked(addr: usize) -> Result<bool, String> {
    match vm::madvise(addr, PAGE, libc::MADV_DONTNEED) {
        0 => Ok(false),
        _ if ftest::errno() == libc::EINVAL => Ok(true),
        _ => Err(format!("madvise: {}", ftest::errname(ftest::errno()))),
    }
}

fn mlock_makes_pages_resident() -> CheckResult {
    let r = Region::anon(16 * PAGE, RW)?;
    ensure_eq!(resident(r.addr, r.len)?, vec![false; 16], "before");
    sys(vm::mlock(r.addr, r.len), "mlock")?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true; 16], "after mlock");
    utests::vm::page_is_zero(r.page(15))?;
    // Read-only memory too.
    let ro = Region::anon(2 * PAGE, libc::PROT_READ)?;
    sys(vm::mlock(ro.addr, ro.len), "mlock of read-only memory")?;
    ensure_eq!(resident(ro.addr, ro.len)?, vec![true; 2]);
    Ok(())
}

fn locked_pages_keep_their_data_and_refuse_dontneed() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 1);
    fill_page(r.page(1), 2);
    sys(vm::mlock(r.addr, r.len), "mlock")?;
    expect_errno(
        vm::madvise(r.addr, 2 * PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "DONTNEED on locked pages",
    )?;
    page_has(r.page(0), 1)?;
    page_has(r.page(1), 2)?;
    // Through PROT_NONE and back, the data and the lock stay.
    sys(vm::mprotect(r.addr, r.len, libc::PROT_NONE), "mprotect")?;
    sys(vm::mprotect(r.addr, r.len, RW), "mprotect")?;
    page_has(r.page(1), 2)?;
    check!(locked(r.page(1))?, "still locked after mprotect");
    Ok(())
}

fn munlock_of_a_sub_range_keeps_the_rest_locked() -> CheckResult {
    let r = Region::anon(6 * PAGE, RW)?;
    sys(vm::mlock(r.addr, r.len), "mlock")?;
    sys(vm::munlock(r.page(2), 2 * PAGE), "munlock of pages 2-3")?;
    let got: Vec<bool> = (0..6)
        .map(|p| locked(r.page(p)))
        .collect::<Result<_, _>>()?;
    ensure_eq!(
        got,
        vec![true, true, false, false, true, true],
        "locked pages"
    );
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true, true, false, false, true, true],
        "resident pages"
    );
    Ok(())
}

fn mlock_does_not_nest() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    sys(vm::mlock(r.addr, r.len), "mlock")?;
    sys(vm::mlock(r.addr, r.len), "mlock again")?;
    sys(vm::mlock(r.addr, PAGE), "and a third time, in part")?;
    sys(vm::munlock(r.addr, r.len), "one munlock")?;
    check!(
        !locked(r.addr)? && !locked(r.page(1))?,
        "one munlock undoes any number of mlocks"
    );
    Ok(())
}

fn the_lock_goes_with_munmap() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let addr = r.addr;
    sys(vm::mlock(addr, 2 * PAGE), "mlock")?;
    sys(vm::munmap(addr, 2 * PAGE), "munmap")?;
    r.forget();
    let again = Region::map(addr, 2 * PAGE, RW, PRIV | libc::MAP_FIXED, -1, 0)?;
    ensure_eq!(
        resident(again.addr, again.len)?,
        vec![false; 2],
        "a new mapping in its place"
    );
    check!(!locked(addr)?, "the new mapping is not locked");
    Ok(())
}

fn an_unaligned_mlock_covers_whole_pages() -> CheckResult {
    let r = Region::anon(3 * PAGE, RW)?;
    // From byte 5 of page 0 to byte 5 of page 1: pages 0 and 1.
    sys(vm::mlock(r.addr + 5, PAGE), "mlock")?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true, true, false]);
    sys(
        vm::munlock(r.addr + PAGE - 1, 2),
        "munlock of two bytes over a page boundary",
    )?;
    check!(
        !locked(r.addr)? && !locked(r.page(1))?,
        "both pages unlocked"
    );
    Ok(())
}

fn mlock2_onfault_locks_pages_as_they_come_in() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    r.set(0, 1); // one page in before the lock
    let rc = vm::sc(libc::SYS_mlock2, &[r.addr, r.len, MLOCK_ONFAULT]);
    sys(rc, "mlock2(MLOCK_ONFAULT)")?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true, false, false, false],
        "only what was there"
    );
    r.set(2 * PAGE, 3);
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true, false, true, false],
        "and what came in"
    );
    check!(
        locked(r.page(2))? && locked(r.page(3))?,
        "the whole range is locked"
    );
    ensure_eq!(r.get(0), 1);
    Ok(())
}

fn mlockall_current_locks_what_is_mapped() -> CheckResult {
    let r = Region::anon(8 * PAGE, RW)?;
    let guard = Region::anon(PAGE, libc::PROT_NONE)?;
    sys(
        vm::sc(libc::SYS_mlockall, &[libc::MCL_CURRENT as usize]),
        "mlockall(MCL_CURRENT)",
    )?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true; 8], "existing memory");
    check!(locked(r.page(3))?, "locked");
    // A PROT_NONE mapping is locked but not brought in.
    ensure_eq!(resident(guard.addr, PAGE)?, vec![false]);
    // Later mappings are not locked.
    let later = Region::anon(2 * PAGE, RW)?;
    ensure_eq!(
        resident(later.addr, later.len)?,
        vec![false; 2],
        "a later mapping"
    );
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall")?;
    Ok(())
}

fn mlockall_future_locks_new_mappings_and_brk() -> CheckResult {
    let before = Region::anon(2 * PAGE, RW)?;
    sys(
        vm::sc(libc::SYS_mlockall, &[libc::MCL_FUTURE as usize]),
        "mlockall(MCL_FUTURE)",
    )?;
    ensure_eq!(
        resident(before.addr, before.len)?,
        vec![false; 2],
        "MCL_FUTURE alone leaves old mappings"
    );
    let r = Region::anon(4 * PAGE, RW)?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true; 4],
        "a new mapping is resident at once"
    );
    check!(locked(r.page(1))?, "and locked");
    let start = vm::brk(0);
    let top = (start + 3 * PAGE).next_multiple_of(PAGE);
    ensure_eq!(vm::brk(top), top, "growing the break");
    let first = start.next_multiple_of(PAGE);
    if top > first {
        ensure_eq!(
            resident(first, top - first)?,
            vec![true; (top - first) / PAGE],
            "brk growth"
        );
    }
    vm::brk(start);
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall")?;
    let after = Region::anon(2 * PAGE, RW)?;
    ensure_eq!(
        resident(after.addr, after.len)?,
        vec![false; 2],
        "after munlockall"
    );
    Ok(())
}

fn mlockall_onfault_brings_nothing_in() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    let flags = libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT;
    sys(
        vm::sc(libc::SYS_mlockall, &[flags as usize]),
        "mlockall(CURRENT|FUTURE|ONFAULT)",
    )?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![false; 4],
        "existing memory stays out"
    );
    let n = Region::anon(2 * PAGE, RW)?;
    ensure_eq!(
        resident(n.addr, n.len)?,
        vec![false; 2],
        "new memory stays out"
    );
    n.set(PAGE, 1);
    ensure_eq!(resident(n.addr, n.len)?, vec![false, true], "until touched");
    check!(locked(r.addr)? && locked(n.addr)?, "both locked");
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall").map(|_| ())
}

fn munlockall_ends_everything() -> CheckResult {
    let a = Region::anon(2 * PAGE, RW)?;
    let b = Region::anon(2 * PAGE, RW)?;
    sys(vm::mlock(a.addr, a.len), "mlock")?;
    sys(vm::mlock(b.addr, PAGE), "mlock")?;
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall")?;
    check!(
        !locked(a.addr)? && !locked(a.page(1))? && !locked(b.addr)?,
        "nothing locked"
    );
    Ok(())
}

fn set_memlock(bytes: u64) -> Result<(), String> {
    let r = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: a valid rlimit.
    sys(
        unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &r) },
        "setrlimit(RLIMIT_MEMLOCK)",
    )?;
    Ok(())
}

/// capget/capset header and data (linux/capability.h, version 3).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_V3: u32 = 0x2008_0522;

fn capget() -> Result<[CapData; 2], String> {
    let mut h = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut d = [CapData::default(); 2];
    let r = vm::sc(
        libc::SYS_capget,
        &[&mut h as *mut CapHeader as usize, d.as_mut_ptr() as usize],
    );
    sys(r, "capget")?;
    Ok(d)
}

fn capset(d: &[CapData; 2]) -> i64 {
    let mut h = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    vm::sc(
        libc::SYS_capset,
        &[&mut h as *mut CapHeader as usize, d.as_ptr() as usize],
    )
}

/// Drops CAP_IPC_LOCK from the effective set (the check runs in its own
/// process).
fn drop_ipc_lock() -> Result<(), String> {
    let mut d = capget()?;
    d[0].effective &= !(1 << CAP_IPC_LOCK);
    sys(capset(&d), "capset")?;
    Ok(())
}

fn root_is_not_bound_by_rlimit_memlock() -> CheckResult {
    check!(
        capget()?[0].effective & (1 << CAP_IPC_LOCK) != 0,
        "the checks run with CAP_IPC_LOCK"
    );
    set_memlock(PAGE as u64)?;
    let r = Region::anon(16 * PAGE, RW)?;
    sys(
        vm::mlock(r.addr, r.len),
        "mlock of 16 pages under a 1-page limit",
    )?;
    let m = Region::map(0, 4 * PAGE, RW, PRIV | libc::MAP_LOCKED, -1, 0)?;
    ensure_eq!(resident(m.addr, m.len)?, vec![true; 4]);
    set_memlock(0)?;
    sys(vm::mlock(r.addr, PAGE), "mlock under a limit of 0")?;
    Ok(())
}

fn rlimit_memlock_binds_without_cap_ipc_lock() -> CheckResult {
    drop_ipc_lock()?;
    // A limit of L pages (room left for the C library's own memory once
    // MCL_FUTURE locks it too).
    const L: usize = 64;
    set_memlock((L * PAGE) as u64)?;
    let r = Region::anon(2 * L * PAGE, RW)?;
    sys(vm::mlock(r.addr, L / 2 * PAGE), "L/2 pages")?;
    sys(
        vm::mlock(r.addr, L * PAGE),
        "L pages (L/2 of them already locked)",
    )?;
    expect_errno(
        vm::mlock(r.addr, (L + 1) * PAGE),
        libc::ENOMEM,
        "L + 1 pages",
    )?;
    expect_errno(vm::mlock(r.page(L), PAGE), libc::ENOMEM, "one more page")?;
    ensure_eq!(
        vm::mmap(0, PAGE, RW, PRIV | libc::MAP_LOCKED, -1, 0),
        Err(libc::EAGAIN),
        "MAP_LOCKED past the limit"
    );
    expect_errno(
        vm::sc(libc::SYS_mlockall, &[libc::MCL_CURRENT as usize]),
        libc::ENOMEM,
        "mlockall(MCL_CURRENT)",
    )?;
    // munlock, and munmap of locked memory, give room back.
    sys(vm::munlock(r.addr, 4 * PAGE), "munlock")?;
    sys(vm::mlock(r.page(L), 4 * PAGE), "4 pages after unlocking 4")?;
    sys(
        vm::munmap(r.page(L / 2), L / 2 * PAGE),
        "munmap of L/2 locked pages",
    )?;
    sys(
        vm::mlock(r.page(L + 8), L / 2 * PAGE),
        "L/2 pages after unmapping L/2",
    )?;
    sys(vm::munlock(r.addr, L / 2 * PAGE), "munlock")?;
    sys(vm::munlock(r.page(L), L * PAGE), "munlock")?;
    // Under MCL_FUTURE new mappings must fit too.
    sys(
        vm::sc(libc::SYS_mlockall, &[libc::MCL_FUTURE as usize]),
        "mlockall(MCL_FUTURE)",
    )?;
    let small = Region::anon(8 * PAGE, RW)?;
    ensure_eq!(resident(small.addr, small.len)?, vec![true; 8]);
    ensure_eq!(
        vm::mmap(0, L * PAGE, RW, PRIV, -1, 0),
        Err(libc::EAGAIN),
        "a mapping past the limit under MCL_FUTURE"
    );
    let b = vm::brk(0);
    ensure_eq!(
        vm::brk(b + 2 * L * PAGE),
        b,
        "brk past the limit under MCL_FUTURE"
    );
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall")?;
    Ok(())
}

fn rlimit_memlock_zero_is_eperm_without_cap_ipc_lock() -> CheckResult {
    drop_ipc_lock()?;
    set_memlock(0)?;
    let r = Region::anon(PAGE, RW)?;
    expect_errno(vm::mlock(r.addr, PAGE), libc::EPERM, "mlock")?;
    expect_errno(vm::mlock(r.addr, 0), libc::EPERM, "even of 0 bytes")?;
    expect_errno(
        vm::sc(libc::SYS_mlock2, &[r.addr, PAGE, MLOCK_ONFAULT]),
        libc::EPERM,
        "mlock2",
    )?;
    expect_errno(
        vm::sc(libc::SYS_mlockall, &[libc::MCL_FUTURE as usize]),
        libc::EPERM,
        "mlockall",
    )?;
    ensure_eq!(
        vm::mmap(0, PAGE, RW, PRIV | libc::MAP_LOCKED, -1, 0),
        Err(libc::EPERM),
        "MAP_LOCKED"
    );
    // Unlocking needs no permission.
    sys(vm::munlock(r.addr, PAGE), "munlock")?;
    sys(vm::sc(libc::SYS_munlockall, &[]), "munlockall")?;
    Ok(())
}

fn capget_and_capset_drop_a_capability_for_good() -> CheckResult {
    let d = capget()?;
    check!(
        d[0].permitted & (1 << CAP_IPC_LOCK) != 0,
        "CAP_IPC_LOCK permitted: {d:?}"
    );
    // Out of effective but still permitted: it can come back.
    drop_ipc_lock()?;
    ensure_eq!(capget()?[0].effective & (1 << CAP_IPC_LOCK), 0);
    sys(capset(&d), "capset back to the old sets")?;
    ensure_eq!(capget()?, d, "restored");
    // Out of permitted too: gone for good, and for children.
    let mut gone = d;
    gone[0].effective &= !(1 << CAP_IPC_LOCK);
    gone[0].permitted &= !(1 << CAP_IPC_LOCK);
    sys(capset(&gone), "capset without it")?;
    expect_errno(capset(&d), libc::EPERM, "raising it again")?;
    let mut over = gone;
    over[0].effective |= 1 << CAP_IPC_LOCK;
    expect_errno(capset(&over), libc::EPERM, "effective beyond permitted")?;
    in_child(move || {
        ensure_eq!(capget()?, gone, "a child inherits the sets");
        Ok(())
    })?;
    // A bad version: the kernel's is written back.
    let mut h = CapHeader { version: 1, pid: 0 };
    let mut buf = [CapData::default(); 2];
    let r = vm::sc(
        libc::SYS_capget,
        &[&mut h as *mut CapHeader as usize, buf.as_mut_ptr() as usize],
    );
    expect_errno(r, libc::EINVAL, "capget version 1")?;
    ensure_eq!(h.version, CAP_V3, "the preferred version");
    let mut h = CapHeader {
        version: CAP_V3,
        pid: 1,
    };
    let r = vm::sc(
        libc::SYS_capset,
        &[&mut h as *mut CapHeader as usize, gone.as_ptr() as usize],
    );
    expect_errno(r, libc::EPERM, "capset of another process")?;
    Ok(())
}

fn errors() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let none = Region::anon(PAGE, libc::PROT_NONE)?;
    let hole = utests::mem::unmapped_page()?;
    for (addr, len, want, what) in [
        (hole, PAGE, libc::ENOMEM, "mlock of an unmapped page"),
        (
            0xffff_8000_0000_0000usize,
            PAGE,
            libc::ENOMEM,
            "mlock of a kernel address",
        ),
        (none.addr, PAGE, libc::ENOMEM, "mlock of a PROT_NONE page"),
        (
            r.addr,
            usize::MAX - PAGE,
            libc::EINVAL,
            "mlock of a length that wraps",
        ),
    ] {
        expect_errno(vm::mlock(addr, len), want, what)?;
    }
    expect_errno(
        vm::munlock(hole, PAGE),
        libc::ENOMEM,
        "munlock of an unmapped page",
    )?;
    expect_errno(
        vm::munlock(r.addr, usize::MAX - PAGE),
        libc::EINVAL,
        "munlock of a length that wraps",
    )?;
    ensure_eq!(vm::mlock(hole, 0), 0, "mlock of 0 bytes");
    ensure_eq!(
        vm::munlock(none.addr, PAGE),
        0,
        "munlock of a PROT_NONE page"
    );
    expect_errno(
        vm::sc(libc::SYS_mlock2, &[r.addr, PAGE, 2]),
        libc::EINVAL,
        "mlock2 flag 2",
    )?;
    for flags in [0, libc::MCL_ONFAULT, 8, libc::MCL_ONFAULT | 8] {
        expect_errno(
            vm::sc(libc::SYS_mlockall, &[flags as usize]),
            libc::EINVAL,
            &format!("mlockall({flags:#x})"),
        )?;
    }
    // Over a hole: ENOMEM.
    let h = Region::anon(3 * PAGE, RW)?;
    sys(vm::munmap(h.page(1), PAGE), "munmap")?;
    expect_errno(
        vm::mlock(h.addr, 3 * PAGE),
        libc::ENOMEM,
        "mlock over a hole",
    )?;
    expect_errno(
        vm::munlock(h.addr, 3 * PAGE),
        libc::ENOMEM,
        "munlock over a hole",
    )?;
    expect_fault(
        Access::Read,
        h.page(1),
        Fault::maperr(h.page(1)),
        "the hole",
    )
}
