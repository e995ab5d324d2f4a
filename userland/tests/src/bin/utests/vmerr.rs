//! `user::vmerr`: the VM calls given addresses outside user space and bad
//! pointers. Ranges in the kernel half or the non-canonical hole get each
//! call's errno from the Linux man pages (munmap EINVAL; mprotect,
//! madvise, mlock, munlock, mincore and msync ENOMEM; mremap EFAULT; brk
//! keeps the break); the pointer arguments (mincore's vector,
//! capget/capset's header and data) get EFAULT for every bad address; and
//! a failed call leaves the mappings as they were.

use ftest::{CheckResult, checks, ensure_eq, expect_errno};
use utests::badaddr::{Dir, KERNEL_ADDR, NONCANONICAL_HIGH, NONCANONICAL_LOW, each_bad};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, page_has};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

const CHECKS: &[ftest::Check] = checks![
    ranges_outside_user_space_get_each_calls_errno,
    mincore_vector_bad_pointers_are_efault,
    capget_bad_pointers_are_efault,
    capset_bad_pointers_are_efault,
    failed_calls_leave_the_mappings_alone,
];

pub fn main() {
    ftest::main("vmerr", CHECKS)
}

fn ranges_outside_user_space_get_each_calls_errno() -> CheckResult {
    let mut v = [0u8; 4];
    let vp = v.as_mut_ptr() as usize;
    let start = vm::brk(0);
    let fixed = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED) as usize;
    for addr in [KERNEL_ADDR, NONCANONICAL_LOW, NONCANONICAL_HIGH] {
        let calls: [(&str, i32, &dyn Fn() -> i64); 9] = [
            ("munmap", libc::EINVAL, &|| vm::munmap(addr, PAGE)),
            ("mprotect", libc::ENOMEM, &|| {
                vm::mprotect(addr, PAGE, libc::PROT_READ)
            }),
            ("madvise", libc::ENOMEM, &|| {
                vm::madvise(addr, PAGE, libc::MADV_DONTNEED)
            }),
            ("mlock", libc::ENOMEM, &|| vm::mlock(addr, PAGE)),
            ("munlock", libc::ENOMEM, &|| vm::munlock(addr, PAGE)),
            ("mincore", libc::ENOMEM, &|| {
                vm::sc(libc::SYS_mincore, &[addr, PAGE, vp])
            }),
            ("msync", libc::ENOMEM, &|| {
                vm::sc(libc::SYS_msync, &[addr, PAGE, libc::MS_SYNC as usize])
            }),
            ("mremap", libc::EFAULT, &|| {
                vm::mremap(addr, PAGE, 2 * PAGE, libc::MREMAP_MAYMOVE, 0)
            }),
            ("mmap(MAP_FIXED)", libc::ENOMEM, &|| {
                vm::sc(
                    libc::SYS_mmap,
                    &[addr, PAGE, RW as usize, fixed, usize::MAX, 0],
                )
            }),
        ];
        for (name, want, call) in calls {
            expect_errno(call(), want, &format!("{name}({addr:#x})"))?;
        }
        ensure_eq!(vm::brk(addr), start, "brk({addr:#x}) keeps the break");
    }
    Ok(())
}

fn mincore_vector_bad_pointers_are_efault() -> CheckResult {
    let r = Region::anon(PAGE, RW)?;
    each_bad(Dir::Out, "mincore(addr, PAGE, BAD)", libc::EFAULT, |bad| {
        vm::sc(libc::SYS_mincore, &[r.addr, PAGE, bad])
    })
}

const CAP_V3: u32 = 0x2008_0522;

fn capget_bad_pointers_are_efault() -> CheckResult {
    let header = [CAP_V3, 0u32];
    let mut data = [0u32; 6];
    // The header is read (and written back on a bad version).
    each_bad(Dir::Out, "capget(BAD, data)", libc::EFAULT, |bad| {
        vm::sc(libc::SYS_capget, &[bad, data.as_mut_ptr() as usize])
    })?;
    // The data is written (NULL data means "only check the version").
    utests::badaddr::each_bad_but_null(Dir::Out, "capget(header, BAD)", libc::EFAULT, |bad| {
        vm::sc(libc::SYS_capget, &[header.as_ptr() as usize, bad])
    })
}

fn capset_bad_pointers_are_efault() -> CheckResult {
    let header = [CAP_V3, 0u32];
    let mut data = [0u32; 6];
    let mut h = header;
    ftest::sys(
        vm::sc(
            libc::SYS_capget,
            &[h.as_mut_ptr() as usize, data.as_mut_ptr() as usize],
        ),
        "capget",
    )?;
    // The header is read and, for a bad version, written: a read-only
    // page is fine for a good one.
    each_bad(Dir::In, "capset(BAD, data)", libc::EFAULT, |bad| {
        vm::sc(libc::SYS_capset, &[bad, data.as_ptr() as usize])
    })?;
    each_bad(Dir::In, "capset(header, BAD)", libc::EFAULT, |bad| {
        vm::sc(libc::SYS_capset, &[header.as_ptr() as usize, bad])
    })
}

fn failed_calls_leave_the_mappings_alone() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    for p in 0..4 {
        fill_page(r.page(p), p as u8 + 1);
    }
    // Calls that fail on one bad argument among good ones.
    let _ = vm::mmap(
        r.addr,
        4 * PAGE,
        RW,
        libc::MAP_PRIVATE | libc::MAP_FIXED,
        -1,
        0,
    );
    let _ = vm::mmap(
        r.addr,
        4 * PAGE,
        RW,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
        -1,
        3,
    );
    let _ = vm::mprotect(r.addr, 4 * PAGE, 0x40);
    let _ = vm::mremap(
        r.addr,
        4 * PAGE,
        8 * PAGE,
        libc::MREMAP_FIXED,
        r.addr + 8 * PAGE,
    );
    let _ = vm::madvise(r.addr, 4 * PAGE, 77);
    let _ = vm::sc(libc::SYS_mlock2, &[r.addr, 4 * PAGE, 8]);
    let _ = vm::sc(libc::SYS_msync, &[r.addr, 4 * PAGE, 9]);
    for p in 0..4 {
        page_has(r.page(p), p as u8 + 1)?;
        r.set(p * PAGE + 5, 0);
    }
    Ok(())
}
