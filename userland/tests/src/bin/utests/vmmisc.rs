//! `user::vmmisc`: brk(2) (grow, shrink, regrow reads zero, released pages
//! fault, impossible breaks return the old one), mincore(2) (residency
//! after touching, dropping and locking; its errors), msync(2) (flags,
//! ranges, EBUSY on locked pages with MS_INVALIDATE), and MAP_32BIT.

use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::mem::PAGE;
use utests::vm::{self, Region, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

const CHECKS: &[ftest::Check] = checks![
    brk_grows_shrinks_and_regrows_zeroed,
    brk_refuses_impossible_breaks,
    mincore_follows_touches_drops_and_locks,
    mincore_errors,
    msync_flags_and_ranges,
    map_32bit_lands_in_the_second_gib,
];

pub fn main() {
    ftest::main("vmmisc", CHECKS)
}

fn brk_grows_shrinks_and_regrows_zeroed() -> CheckResult {
    let start = vm::brk(0);
    let base = start.next_multiple_of(PAGE);
    let top = base + 8 * PAGE;
    ensure_eq!(vm::brk(top), top, "grow by 8 pages");
    for p in 0..8 {
        ensure_eq!(
            fault::read(base + p * PAGE),
            Ok(0),
            "new break memory is zero"
        );
        fault::write(base + p * PAGE + 1, 0x42).map_err(|f| f.to_string())?;
    }
    ensure_eq!(
        vm::brk(base + 2 * PAGE + 1),
        base + 2 * PAGE + 1,
        "shrink to 2 pages and a byte"
    );
    // The page holding the new break stays; the ones above it are gone.
    ensure_eq!(fault::read(base + 2 * PAGE + 1), Ok(0x42));
    for p in 3..8 {
        let at = base + p * PAGE;
        expect_fault(Access::Read, at, Fault::maperr(at), "a released page")?;
    }
    ensure_eq!(vm::brk(top), top, "grow again");
    ensure_eq!(
        fault::read(base + PAGE + 1),
        Ok(0x42),
        "the kept pages keep their data"
    );
    for p in 3..8 {
        ensure_eq!(
            fault::read(base + p * PAGE + 1),
            Ok(0),
            "a regrown page is zero"
        );
    }
    ensure_eq!(vm::brk(start), start);
    Ok(())
}

fn brk_refuses_impossible_breaks() -> CheckResult {
    let start = vm::brk(0);
    for (want, what) in [
        (1usize, "below the program"),
        (0x8000_0000_0000, "past user space"),
        (usize::MAX & !(PAGE - 1), "at the top of the address space"),
    ] {
        ensure_eq!(vm::brk(want), start, "brk {what}");
    }
    // Not into a mapping: put one a few pages above the break.
    let base = start.next_multiple_of(PAGE);
    let at = base + 16 * PAGE;
    let blocker = vm::mmap(at, PAGE, RW, PRIV | libc::MAP_FIXED_NOREPLACE, -1, 0);
    if blocker == Ok(at) {
        ensure_eq!(vm::brk(at + PAGE), start, "brk over a mapping");
        ensure_eq!(
            vm::brk(at),
            start,
            "brk right up to a mapping (no guard page)"
        );
        let ok = base + 8 * PAGE;
        ensure_eq!(vm::brk(ok), ok, "brk below it");
        vm::brk(start);
        vm::munmap(at, PAGE);
    }
    Ok(())
}

fn mincore_follows_touches_drops_and_locks() -> CheckResult {
    let r = Region::anon(6 * PAGE, RW)?;
    ensure_eq!(resident(r.addr, r.len)?, vec![false; 6], "fresh memory");
    r.set(PAGE, 1);
    let _ = r.get(3 * PAGE);
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![false, true, false, true, false, false],
        "written and read pages"
    );
    sys(
        vm::madvise(r.page(1), PAGE, libc::MADV_DONTNEED),
        "DONTNEED",
    )?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![false, false, false, true, false, false],
        "after DONTNEED"
    );
    sys(vm::mlock(r.page(4), 2 * PAGE), "mlock")?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![false, false, false, true, true, true],
        "after mlock"
    );
    // Partial last page: the length is rounded up.
    let mut v = [0xffu8; 2];
    sys(
        vm::sc(
            libc::SYS_mincore,
            &[r.page(3), PAGE + 1, v.as_mut_ptr() as usize],
        ),
        "mincore",
    )?;
    ensure_eq!(v, [1, 1], "bytes other than bit 0 are clear");
    Ok(())
}

fn mincore_errors() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let ro = Region::anon(PAGE, libc::PROT_READ)?;
    let hole = utests::mem::unmapped_page()?;
    let mut v = [0u8; 4];
    let vp = v.as_mut_ptr() as usize;
    let cases: &[(usize, usize, usize, i32, &str)] = &[
        (r.addr + 1, PAGE, vp, libc::EINVAL, "an unaligned address"),
        (hole, PAGE, vp, libc::ENOMEM, "an unmapped page"),
        (
            0xffff_8000_0000_0000,
            PAGE,
            vp,
            libc::ENOMEM,
            "a kernel address",
        ),
        (
            r.addr,
            usize::MAX - PAGE,
            vp,
            libc::ENOMEM,
            "a length that wraps",
        ),
        (r.addr, PAGE, 0, libc::EFAULT, "a NULL vector"),
        (
            r.addr,
            PAGE,
            0xffff_8000_0000_0000,
            libc::EFAULT,
            "a kernel vector",
        ),
        (
            hole,
            PAGE,
            0xffff_8000_0000_0000,
            libc::EFAULT,
            "a kernel vector is checked first",
        ),
        (r.addr, PAGE, ro.addr, libc::EFAULT, "a read-only vector"),
    ];
    for &(addr, len, vec, want, what) in cases {
        expect_errno(vm::sc(libc::SYS_mincore, &[addr, len, vec]), want, what)?;
    }
    ensure_eq!(vm::sc(libc::SYS_mincore, &[hole, 0, vp]), 0, "length 0");
    // A hole after mapped pages: ENOMEM, with the pages before reported.
    let h = Region::anon(3 * PAGE, RW)?;
    h.set(0, 1);
    sys(vm::munmap(h.page(1), PAGE), "munmap")?;
    v = [7; 4];
    expect_errno(
        vm::sc(libc::SYS_mincore, &[h.addr, 3 * PAGE, vp]),
        libc::ENOMEM,
        "over a hole",
    )?;
    ensure_eq!(v[0], 1, "the page before the hole was reported");
    Ok(())
}

fn msync_flags_and_ranges() -> CheckResult {
    let r = Region::anon(3 * PAGE, RW)?;
    let msync =
        |addr: usize, len: usize, flags: i32| vm::sc(libc::SYS_msync, &[addr, len, flags as usize]);
    for flags in [
        0,
        libc::MS_ASYNC,
        libc::MS_SYNC,
        libc::MS_INVALIDATE,
        libc::MS_SYNC | libc::MS_INVALIDATE,
    ] {
        ensure_eq!(msync(r.addr, r.len, flags), 0, "msync flags {flags:#x}");
    }
    expect_errno(msync(r.addr, PAGE, 8), libc::EINVAL, "an unknown flag")?;
    expect_errno(
        msync(r.addr, PAGE, libc::MS_ASYNC | libc::MS_SYNC),
        libc::EINVAL,
        "MS_ASYNC|MS_SYNC",
    )?;
    expect_errno(
        msync(r.addr + 1, PAGE, libc::MS_SYNC),
        libc::EINVAL,
        "an unaligned address",
    )?;
    let hole = utests::mem::unmapped_page()?;
    expect_errno(
        msync(hole, PAGE, libc::MS_SYNC),
        libc::ENOMEM,
        "an unmapped page",
    )?;
    expect_errno(
        msync(hole, PAGE, libc::MS_ASYNC),
        libc::ENOMEM,
        "an unmapped page, MS_ASYNC",
    )?;
    expect_errno(
        msync(0xffff_8000_0000_0000, PAGE, libc::MS_ASYNC),
        libc::ENOMEM,
        "a kernel address",
    )?;
    ensure_eq!(msync(hole, 0, libc::MS_SYNC), 0, "length 0");
    sys(vm::munmap(r.page(1), PAGE), "munmap")?;
    expect_errno(
        msync(r.addr, 3 * PAGE, libc::MS_ASYNC),
        libc::ENOMEM,
        "over a hole",
    )?;
    sys(vm::mlock(r.addr, PAGE), "mlock")?;
    expect_errno(
        msync(r.addr, PAGE, libc::MS_INVALIDATE),
        libc::EBUSY,
        "MS_INVALIDATE of locked pages",
    )?;
    ensure_eq!(
        msync(r.addr, PAGE, libc::MS_SYNC),
        0,
        "MS_SYNC of locked pages"
    );
    Ok(())
}

fn map_32bit_lands_in_the_second_gib() -> CheckResult {
    let r = Region::map(0, 4 * PAGE, RW, PRIV | libc::MAP_32BIT, -1, 0)?;
    check!(
        r.addr >= 0x4000_0000 && r.end() <= 0x8000_0000,
        "MAP_32BIT mapping at {:#x}",
        r.addr
    );
    r.set(0, 1);
    ensure_eq!(r.get(0), 1);
    Ok(())
}
