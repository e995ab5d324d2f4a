//! `user::munmap`: munmap(2). Partial unmaps of the head, the middle and
//! the tail of a mapping (SIGSEGV/SEGV_MAPERR at the exact address in the
//! hole, the rest intact and still writable), unmaps across several
//! mappings of different kinds, unmapping nothing, the per-page amap
//! references a partial unmap leaves (checked through a fork), and the
//! errno table.

use ftest::proc::in_child;
use ftest::{CheckResult, checks, ensure_eq, expect_errno, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, free_range, page_has};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

const CHECKS: &[ftest::Check] = checks![
    unmapping_the_head_leaves_the_rest,
    unmapping_the_middle_leaves_both_sides,
    unmapping_the_tail_leaves_the_rest,
    unmapping_across_several_mappings,
    unmapping_nothing_is_not_an_error,
    partial_unmaps_keep_the_right_pages_across_fork,
    a_hole_can_be_mapped_again,
    errors,
];

pub fn main() {
    ftest::main("munmap", CHECKS)
}

/// A mapping of `n` pages, page i filled with tag i + 1.
fn filled(n: usize) -> Result<Region, String> {
    let r = Region::anon(n * PAGE, RW)?;
    for p in 0..n {
        fill_page(r.page(p), p as u8 + 1);
    }
    Ok(r)
}

/// Pages `gone` of `r` fault with SEGV_MAPERR at the exact address, for
/// reads and writes; every other page holds its tag and can be written.
fn holes_and_rest(r: &Region, n: usize, gone: &[usize]) -> Result<(), String> {
    for p in 0..n {
        if gone.contains(&p) {
            for at in [r.page(p), r.page(p) + 1234, r.page(p) + PAGE - 1] {
                expect_fault(Access::Read, at, Fault::maperr(at), "read in the hole")?;
                expect_fault(Access::Write, at, Fault::maperr(at), "write in the hole")?;
            }
        } else {
            page_has(r.page(p), p as u8 + 1)?;
            // Still writable (the byte is written back as it was).
            let b = r.get(p * PAGE + 7);
            fault::write(r.page(p) + 7, b).map_err(|f| format!("page {p}: {f}"))?;
        }
    }
    Ok(())
}

fn unmapping_the_head_leaves_the_rest() -> CheckResult {
    let r = filled(4)?;
    sys(vm::munmap(r.addr, PAGE), "munmap")?;
    holes_and_rest(&r, 4, &[0])
}

fn unmapping_the_middle_leaves_both_sides() -> CheckResult {
    let r = filled(6)?;
    sys(vm::munmap(r.page(2), 2 * PAGE), "munmap")?;
    holes_and_rest(&r, 6, &[2, 3])?;
    // Another hole in what is left of the left part.
    sys(vm::munmap(r.page(1), PAGE), "munmap")?;
    holes_and_rest(&r, 6, &[1, 2, 3])
}

fn unmapping_the_tail_leaves_the_rest() -> CheckResult {
    let r = filled(4)?;
    // The length is rounded up: 1.5 pages take two.
    sys(vm::munmap(r.page(2), PAGE + PAGE / 2), "munmap")?;
    holes_and_rest(&r, 4, &[2, 3])
}

fn unmapping_across_several_mappings() -> CheckResult {
    // Four mappings side by side: private RW, private RO, shared, private RW.
    let base = free_range(8 * PAGE)?;
    let fixed = libc::MAP_FIXED;
    Region::map(base, 2 * PAGE, RW, PRIV | fixed, -1, 0)?.forget();
    Region::map(
        base + 2 * PAGE,
        2 * PAGE,
        libc::PROT_READ,
        PRIV | fixed,
        -1,
        0,
    )?
    .forget();
    Region::map(
        base + 4 * PAGE,
        2 * PAGE,
        RW,
        libc::MAP_SHARED | libc::MAP_ANONYMOUS | fixed,
        -1,
        0,
    )?
    .forget();
    Region::map(base + 6 * PAGE, 2 * PAGE, RW, PRIV | fixed, -1, 0)?.forget();
    let r = Region {
        addr: base,
        len: 8 * PAGE,
    };
    for p in [0, 1, 4, 5, 6, 7] {
        fill_page(r.page(p), p as u8 + 1);
    }
    // Pages 1 to 6: the end of the first, all of the second and third,
    // the start of the fourth.
    sys(vm::munmap(r.page(1), 6 * PAGE), "munmap")?;
    page_has(r.page(0), 1)?;
    page_has(r.page(7), 8)?;
    for p in 1..7 {
        expect_fault(
            Access::Read,
            r.page(p),
            Fault::maperr(r.page(p)),
            "unmapped",
        )?;
    }
    Ok(())
}

fn unmapping_nothing_is_not_an_error() -> CheckResult {
    let at = free_range(4 * PAGE)?;
    ensure_eq!(vm::munmap(at, 4 * PAGE), 0, "munmap of a free range");
    // A range that is only partly mapped.
    let r = Region::map(at + PAGE, PAGE, RW, PRIV, -1, 0)?;
    ensure_eq!(r.addr, at + PAGE);
    ensure_eq!(vm::munmap(at, 4 * PAGE), 0, "munmap around one page");
    expect_fault(Access::Read, at + PAGE, Fault::maperr(at + PAGE), "after")?;
    r.forget();
    Ok(())
}

fn partial_unmaps_keep_the_right_pages_across_fork() -> CheckResult {
    let r = filled(8)?;
    sys(vm::munmap(r.page(3), 3 * PAGE), "munmap")?;
    sys(vm::munmap(r.page(0), PAGE), "munmap")?;
    let addr = r.addr;
    in_child(move || {
        let r = Region {
            addr,
            len: 8 * PAGE,
        };
        let mut res = holes_and_rest(&r, 8, &[0, 3, 4, 5]);
        for p in [1, 2, 6, 7] {
            if res.is_ok() {
                fill_page(r.page(p), 0xaa);
            }
        }
        if res.is_ok() {
            res = page_has(r.page(6), 0xaa);
        }
        r.forget();
        res
    })?;
    // The child's copies were its own.
    for p in [1, 2, 6, 7] {
        page_has(r.page(p), p as u8 + 1)?;
    }
    Ok(())
}

fn a_hole_can_be_mapped_again() -> CheckResult {
    let r = filled(3)?;
    sys(vm::munmap(r.page(1), PAGE), "munmap")?;
    let again = vm::mmap(r.page(1), PAGE, RW, PRIV | libc::MAP_FIXED_NOREPLACE, -1, 0);
    ensure_eq!(
        again,
        Ok(r.page(1)),
        "the hole is free for MAP_FIXED_NOREPLACE"
    );
    ensure_eq!(fault::read(r.page(1)), Ok(0), "the new page is zero");
    page_has(r.page(0), 1)?;
    page_has(r.page(2), 3)
}

fn errors() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let top = 0x7fff_ffff_f000usize;
    for (addr, len, what) in [
        (r.addr + 1, PAGE, "an unaligned address"),
        (r.addr, 0, "length 0"),
        (0xffff_8000_0000_0000, PAGE, "a kernel address"),
        (1 << 47, PAGE, "a non-canonical address"),
        (top, 2 * PAGE, "a range past the end of user space"),
        (top - PAGE, 2 * PAGE + 1, "a range one byte past the end"),
        (r.addr, usize::MAX - PAGE, "a length that wraps"),
    ] {
        expect_errno(vm::munmap(addr, len), libc::EINVAL, what)?;
    }
    // Nothing was unmapped by the failed calls.
    r.set(PAGE, 1);
    ensure_eq!(r.get(PAGE), 1);
    Ok(())
}
