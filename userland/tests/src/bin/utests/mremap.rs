//! `user::mremap`: mremap(2). Shrinking frees the tail; growing in place
//! keeps the contents and adds zeroes; growing without room moves with
//! MREMAP_MAYMOVE (contents kept, the old range gone) and fails with
//! ENOMEM without it; MREMAP_FIXED moves to a given place, replacing what
//! was there; MREMAP_DONTUNMAP leaves the old range mapped and empty; an
//! old length of 0 duplicates a shared mapping; shared anonymous memory
//! grows and stays shared; a mapping that copy-on-write after fork split
//! up inside Ferrite still moves as one; locked mappings stay locked; the
//! errno table.

use ftest::proc::in_child;
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, sys};
use utests::fault::{Access, Fault, expect_fault};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, free_range, page_has, page_is_zero, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
const MAYMOVE: i32 = libc::MREMAP_MAYMOVE;
const FIXED: i32 = libc::MREMAP_FIXED;
const DONTUNMAP: i32 = 4;

const CHECKS: &[ftest::Check] = checks![
    shrinking_frees_the_tail,
    growing_in_place_keeps_the_contents,
    growing_without_room_needs_maymove,
    maymove_moves_without_copying_the_data_away,
    fixed_moves_to_the_given_place,
    dontunmap_leaves_the_old_range_empty,
    old_length_0_duplicates_a_shared_mapping,
    shared_anonymous_memory_grows_and_stays_shared,
    a_mapping_split_by_copy_on_write_moves_as_one,
    a_locked_mapping_stays_locked_when_moved_and_grown,
    errors,
];

pub fn main() {
    ftest::main("mremap", CHECKS)
}

fn mremap(
    old: usize,
    old_len: usize,
    new_len: usize,
    flags: i32,
    new: usize,
) -> Result<usize, String> {
    let r = vm::mremap(old, old_len, new_len, flags, new);
    sys(r, "mremap").map(|a| a as usize)
}

/// `n` pages at the start of `2n` free ones, page i filled with tag i.
fn with_room(n: usize) -> Result<Region, String> {
    let at = free_range(2 * n * PAGE)?;
    let r = Region::map(at, n * PAGE, RW, PRIV | libc::MAP_FIXED, -1, 0)?;
    for p in 0..n {
        fill_page(r.page(p), p as u8 + 1);
    }
    Ok(r)
}

/// `n` writable pages with a read-only page right after them (no room to
/// grow in place): (the pages, the blocker).
fn blocked(n: usize) -> Result<(Region, Region), String> {
    let at = free_range((n + 1) * PAGE)?;
    let r = Region::map(at, n * PAGE, RW, PRIV | libc::MAP_FIXED, -1, 0)?;
    let b = Region::map(
        at + n * PAGE,
        PAGE,
        libc::PROT_READ,
        PRIV | libc::MAP_FIXED,
        -1,
        0,
    )?;
    Ok((r, b))
}

fn shrinking_frees_the_tail() -> CheckResult {
    let r = with_room(4)?;
    ensure_eq!(mremap(r.addr, 4 * PAGE, PAGE, 0, 0)?, r.addr);
    page_has(r.page(0), 1)?;
    for p in 1..4 {
        expect_fault(
            Access::Read,
            r.page(p),
            Fault::maperr(r.page(p)),
            "the freed tail",
        )?;
    }
    Ok(())
}

fn growing_in_place_keeps_the_contents() -> CheckResult {
    let r = with_room(3)?;
    ensure_eq!(
        mremap(r.addr, 3 * PAGE, 6 * PAGE, 0, 0)?,
        r.addr,
        "grown where it was"
    );
    let r = Region {
        addr: r.addr,
        len: 6 * PAGE,
    };
    for p in 0..3 {
        page_has(r.page(p), p as u8 + 1)?;
    }
    for p in 3..6 {
        page_is_zero(r.page(p))?;
    }
    fill_page(r.page(5), 9);
    page_has(r.page(5), 9)
}

fn growing_without_room_needs_maymove() -> CheckResult {
    let (r, blocker) = blocked(3)?;
    fill_page(r.page(0), 5);
    expect_errno(
        vm::mremap(r.addr, 3 * PAGE, 4 * PAGE, 0, 0),
        libc::ENOMEM,
        "growing into a mapping",
    )?;
    // Growing a part that does not reach the end of the mapping.
    expect_errno(
        vm::mremap(r.addr, PAGE, 2 * PAGE, 0, 0),
        libc::ENOMEM,
        "growing a head in place",
    )?;
    page_has(r.page(0), 5)?;
    drop(blocker);
    Ok(())
}

fn maymove_moves_without_copying_the_data_away() -> CheckResult {
    let (r, _blocker) = blocked(4)?;
    for p in 0..4 {
        fill_page(r.page(p), 20 + p as u8);
    }
    let old = r.addr;
    let new = mremap(old, 4 * PAGE, 8 * PAGE, MAYMOVE, 0)?;
    r.forget();
    let m = Region {
        addr: new,
        len: 8 * PAGE,
    };
    check!(new != old, "it had to move");
    for p in 0..4 {
        page_has(m.page(p), 20 + p as u8)?;
    }
    for p in 4..8 {
        page_is_zero(m.page(p))?;
    }
    ensure_eq!(
        resident(m.addr, 4 * PAGE)?,
        vec![true; 4],
        "the pages came along"
    );
    for p in 0..4 {
        let at = old + p * PAGE;
        expect_fault(Access::Read, at, Fault::maperr(at), "the old place")?;
    }
    Ok(())
}

fn fixed_moves_to_the_given_place() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 30);
    fill_page(r.page(1), 31);
    let target = Region::anon(4 * PAGE, RW)?;
    fill_page(target.page(3), 33);
    let got = mremap(r.addr, 2 * PAGE, 3 * PAGE, MAYMOVE | FIXED, target.addr)?;
    ensure_eq!(got, target.addr);
    r.forget();
    page_has(target.page(0), 30)?;
    page_has(target.page(1), 31)?;
    page_is_zero(target.page(2))?;
    page_has(target.page(3), 33)?;
    // Shrinking while moving.
    let s = Region::anon(4 * PAGE, RW)?;
    fill_page(s.page(0), 40);
    let dest = free_range(PAGE)?;
    ensure_eq!(mremap(s.addr, 4 * PAGE, PAGE, MAYMOVE | FIXED, dest)?, dest);
    page_has(dest, 40)?;
    expect_fault(
        Access::Read,
        s.page(1),
        Fault::maperr(s.page(1)),
        "the rest of the old range",
    )?;
    s.forget();
    vm::munmap(dest, PAGE);
    Ok(())
}

fn dontunmap_leaves_the_old_range_empty() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 50);
    fill_page(r.page(1), 51);
    let new = mremap(r.addr, 2 * PAGE, 2 * PAGE, MAYMOVE | DONTUNMAP, 0)?;
    let m = Region {
        addr: new,
        len: 2 * PAGE,
    };
    page_has(m.page(0), 50)?;
    page_has(m.page(1), 51)?;
    page_is_zero(r.page(0))?;
    page_is_zero(r.page(1))?;
    // The two ranges are separate memory now.
    fill_page(r.page(0), 52);
    page_has(m.page(0), 50)
}

fn old_length_0_duplicates_a_shared_mapping() -> CheckResult {
    let s = Region::shared(2 * PAGE)?;
    fill_page(s.page(1), 60);
    let dup = mremap(s.addr, 0, 2 * PAGE, MAYMOVE, 0)?;
    let d = Region {
        addr: dup,
        len: 2 * PAGE,
    };
    check!(d.addr != s.addr);
    page_has(d.page(1), 60)?;
    d.set(5, 0xab);
    ensure_eq!(s.get(5), 0xab, "the same pages");
    // A private mapping cannot be duplicated.
    let p = Region::anon(PAGE, RW)?;
    expect_errno(
        vm::mremap(p.addr, 0, PAGE, MAYMOVE, 0),
        libc::EINVAL,
        "old length 0 of private memory",
    )?;
    Ok(())
}

fn shared_anonymous_memory_grows_and_stays_shared() -> CheckResult {
    let at = free_range(8 * PAGE)?;
    let s = Region::map(
        at,
        2 * PAGE,
        RW,
        libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
        -1,
        0,
    )?;
    fill_page(s.page(0), 70);
    ensure_eq!(mremap(s.addr, 2 * PAGE, 4 * PAGE, 0, 0)?, s.addr);
    s.forget();
    let s = Region {
        addr: at,
        len: 4 * PAGE,
    };
    page_has(s.page(0), 70)?;
    // The memory object keeps its size: the grown part has no pages
    // behind it (Linux: SIGBUS, as past the end of a file).
    for p in 2..4 {
        expect_fault(
            Access::Read,
            s.page(p),
            Fault::buserr(s.page(p)),
            "past the object",
        )?;
    }
    let addr = at;
    in_child(move || {
        fill_page(addr + PAGE, 71);
        Ok(())
    })?;
    page_has(s.page(1), 71)?;
    // Moved, it stays shared with a child forked before.
    let (rd, wr) = utests::fd::pipe()?;
    let child = ftest::proc::spawn(move || {
        utests::fd::close(wr);
        let mut b = [0u8; 1];
        let _ = utests::fd::read_some(rd, &mut b);
        i32::from(page_has(addr, 72).is_err())
    })?;
    utests::fd::close(rd);
    let _blocker = Region::map(
        s.end(),
        PAGE,
        libc::PROT_READ,
        PRIV | libc::MAP_FIXED_NOREPLACE,
        -1,
        0,
    );
    let new = mremap(at, 2 * PAGE, 2 * PAGE, MAYMOVE | FIXED, at + 5 * PAGE)?;
    s.forget();
    fill_page(new, 72);
    utests::fd::close(wr);
    ensure_eq!(
        ftest::proc::wait_pid(child)?,
        ftest::WaitStatus::Exited(0),
        "the child sees writes through the moved mapping"
    );
    vm::munmap(new, 2 * PAGE);
    vm::munmap(at, 4 * PAGE);
    Ok(())
}

fn a_mapping_split_by_copy_on_write_moves_as_one() -> CheckResult {
    // 64 pages written, then in a child written again here and there
    // (copy on write after fork), then moved and grown as one.
    let r = Region::anon(64 * PAGE, RW)?;
    for p in 0..64 {
        fill_page(r.page(p), p as u8);
    }
    let addr = r.addr;
    in_child(move || {
        for p in [0usize, 17, 40, 63] {
            fill_page(addr + p * PAGE, 100 + p as u8);
        }
        let new = mremap(addr, 64 * PAGE, 80 * PAGE, MAYMOVE, 0)?;
        for p in 0..64 {
            let tag = if [0, 17, 40, 63].contains(&p) {
                100 + p as u8
            } else {
                p as u8
            };
            page_has(new + p * PAGE, tag)?;
        }
        page_is_zero(new + 79 * PAGE)
    })?;
    for p in 0..64 {
        page_has(r.page(p), p as u8)?;
    }
    Ok(())
}

fn a_locked_mapping_stays_locked_when_moved_and_grown() -> CheckResult {
    let (r, _blocker) = blocked(2)?;
    fill_page(r.page(0), 90);
    sys(vm::mlock(r.addr, 2 * PAGE), "mlock")?;
    let new = mremap(r.addr, 2 * PAGE, 4 * PAGE, MAYMOVE, 0)?;
    r.forget();
    let m = Region {
        addr: new,
        len: 4 * PAGE,
    };
    ensure_eq!(
        resident(m.addr, m.len)?,
        vec![true; 4],
        "the grown part is locked in too"
    );
    page_has(m.page(0), 90)?;
    expect_errno(
        vm::madvise(m.page(3), PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "still locked",
    )?;
    Ok(())
}

fn errors() -> CheckResult {
    // Free room after the mapping, so "past the mapping" is unmapped.
    let r = with_room(4)?;
    let hole = utests::mem::unmapped_page()?;
    let top = 0x7fff_ffff_f000usize;
    let cases: &[(usize, usize, usize, i32, usize, i32, &str)] = &[
        (r.addr, PAGE, PAGE, 8, 0, libc::EINVAL, "an unknown flag"),
        (
            r.addr,
            PAGE,
            PAGE,
            FIXED,
            r.addr + 8 * PAGE,
            libc::EINVAL,
            "FIXED without MAYMOVE",
        ),
        (
            r.addr,
            PAGE,
            2 * PAGE,
            MAYMOVE | DONTUNMAP,
            0,
            libc::EINVAL,
            "DONTUNMAP with a new size",
        ),
        (
            r.addr,
            PAGE,
            PAGE,
            DONTUNMAP,
            0,
            libc::EINVAL,
            "DONTUNMAP without MAYMOVE",
        ),
        (
            r.addr + 1,
            PAGE,
            PAGE,
            0,
            0,
            libc::EINVAL,
            "an unaligned address",
        ),
        (
            r.addr,
            PAGE,
            0,
            MAYMOVE,
            0,
            libc::EINVAL,
            "a new length of 0",
        ),
        (
            r.addr,
            PAGE,
            usize::MAX - PAGE,
            MAYMOVE,
            0,
            libc::EINVAL,
            "a huge new length",
        ),
        (
            r.addr,
            PAGE,
            1 << 47,
            MAYMOVE,
            0,
            libc::EINVAL,
            "2^47 bytes",
        ),
        (
            r.addr,
            PAGE,
            PAGE,
            MAYMOVE | FIXED,
            r.addr + 1,
            libc::EINVAL,
            "an unaligned new address",
        ),
        (
            r.addr,
            2 * PAGE,
            2 * PAGE,
            MAYMOVE | FIXED,
            r.addr + PAGE,
            libc::EINVAL,
            "overlapping ranges",
        ),
        (
            r.addr,
            PAGE,
            PAGE,
            MAYMOVE | FIXED,
            top,
            libc::EINVAL,
            "a new range past user space",
        ),
        (
            hole,
            PAGE,
            2 * PAGE,
            MAYMOVE,
            0,
            libc::EFAULT,
            "growing an unmapped range",
        ),
        (
            hole,
            2 * PAGE,
            PAGE,
            0,
            0,
            libc::EFAULT,
            "shrinking an unmapped range",
        ),
        (
            r.addr,
            8 * PAGE,
            9 * PAGE,
            MAYMOVE,
            0,
            libc::EFAULT,
            "an old range past the mapping",
        ),
        (
            r.addr,
            0,
            PAGE,
            MAYMOVE,
            0,
            libc::EINVAL,
            "old length 0 of private memory",
        ),
    ];
    for &(old, old_len, new_len, flags, new, want, what) in cases {
        expect_errno(vm::mremap(old, old_len, new_len, flags, new), want, what)?;
    }
    // Nothing moved.
    r.set(3 * PAGE, 1);
    ensure_eq!(r.get(3 * PAGE), 1);
    Ok(())
}
