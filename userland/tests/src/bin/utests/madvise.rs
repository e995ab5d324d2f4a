//! `user::madvise`: madvise(2). MADV_DONTNEED drops private anonymous
//! pages (they read back as zeroes and are no longer resident), keeps the
//! data of shared memory, shows a private file mapping's file again, and
//! in a child leaves the parent's copy alone; MADV_FREE; MADV_REMOVE on
//! shared anonymous memory; MADV_POPULATE_*; the inheritance advice
//! (DONTFORK / DOFORK / WIPEONFORK / KEEPONFORK) seen in children; the
//! hints accepted; a hole in the range; Ferrite's minherit; the errno
//! table.

use ftest::proc::in_child;
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, on_ferrite, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::fd::{close, make_file, open};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, page_has, page_is_zero, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

const MADV_POPULATE_READ: i32 = 22;
const MADV_POPULATE_WRITE: i32 = 23;
const MADV_DONTNEED_LOCKED: i32 = 24;

const CHECKS: &[ftest::Check] = checks![
    dontneed_zeroes_private_anonymous_pages,
    dontneed_keeps_shared_anonymous_data,
    dontneed_on_a_private_file_mapping_shows_the_file_again,
    dontneed_in_a_child_leaves_the_parent_alone,
    dontneed_locked_drops_locked_pages,
    free_drops_pages_or_keeps_them_but_a_later_write_stays,
    remove_frees_shared_anonymous_pages_for_everyone,
    populate_read_and_write_bring_pages_in,
    hints_are_accepted_and_change_no_data,
    a_hole_is_enomem_but_the_rest_is_advised,
    dontfork_range_is_absent_in_the_child,
    dofork_undoes_dontfork_and_keeps_sharing,
    wipeonfork_range_is_zero_in_the_child,
    keeponfork_undoes_wipeonfork,
    minherit_gives_netbsd_inheritance.ferrite_only(),
    errors,
    errors_by_kind_of_mapping,
];

pub fn main() {
    ftest::main("madvise", CHECKS)
}

fn filled(n: usize, base: u8) -> Result<Region, String> {
    let r = Region::anon(n * PAGE, RW)?;
    for p in 0..n {
        fill_page(r.page(p), base + p as u8);
    }
    Ok(r)
}

fn dontneed_zeroes_private_anonymous_pages() -> CheckResult {
    let r = filled(4, 1)?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true; 4]);
    sys(
        vm::madvise(r.page(1), 2 * PAGE, libc::MADV_DONTNEED),
        "madvise",
    )?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true, false, false, true],
        "resident after DONTNEED"
    );
    page_has(r.page(0), 1)?;
    page_is_zero(r.page(1))?;
    page_is_zero(r.page(2))?;
    page_has(r.page(3), 4)?;
    // The pages are usable again.
    fill_page(r.page(1), 9);
    page_has(r.page(1), 9)
}

fn dontneed_keeps_shared_anonymous_data() -> CheckResult {
    let r = Region::shared(2 * PAGE)?;
    fill_page(r.page(0), 5);
    fill_page(r.page(1), 6);
    sys(
        vm::madvise(r.addr, 2 * PAGE, libc::MADV_DONTNEED),
        "madvise",
    )?;
    page_has(r.page(0), 5)?;
    page_has(r.page(1), 6)
}

fn dontneed_on_a_private_file_mapping_shows_the_file_again() -> CheckResult {
    let f = make_file("dontneed", &[0x31u8; 2 * PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let r = Region::map(0, 2 * PAGE, RW, libc::MAP_PRIVATE, fd, 0)?;
    close(fd);
    r.set(10, 0x99);
    r.set(PAGE + 10, 0x98);
    sys(vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED), "madvise")?;
    ensure_eq!(r.get(10), 0x31, "the file's byte is back");
    ensure_eq!(
        r.get(PAGE + 10),
        0x98,
        "the page not advised keeps its copy"
    );
    Ok(())
}

fn dontneed_in_a_child_leaves_the_parent_alone() -> CheckResult {
    let r = filled(3, 20)?;
    let addr = r.addr;
    in_child(move || {
        sys(
            vm::madvise(addr, 3 * PAGE, libc::MADV_DONTNEED),
            "madvise in the child",
        )?;
        for p in 0..3 {
            page_is_zero(addr + p * PAGE)?;
        }
        Ok(())
    })?;
    for p in 0..3 {
        page_has(r.page(p), 20 + p as u8)?;
    }
    // And the other way round: the parent drops, a child made before keeps.
    let (rd, wr) = utests::fd::pipe()?;
    let child = ftest::proc::spawn(move || {
        close(wr);
        let mut b = [0u8; 1];
        let _ = utests::fd::read_some(rd, &mut b);
        i32::from(page_has(addr, 20).is_err())
    })?;
    close(rd);
    sys(
        vm::madvise(addr, PAGE, libc::MADV_DONTNEED),
        "madvise in the parent",
    )?;
    page_is_zero(addr)?;
    close(wr);
    ensure_eq!(
        ftest::proc::wait_pid(child)?,
        ftest::WaitStatus::Exited(0),
        "the child kept its data"
    );
    Ok(())
}

fn dontneed_locked_drops_locked_pages() -> CheckResult {
    let r = filled(2, 40)?;
    sys(vm::mlock(r.addr, 2 * PAGE), "mlock")?;
    expect_errno(
        vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "DONTNEED on locked pages",
    )?;
    sys(
        vm::madvise(r.addr, PAGE, MADV_DONTNEED_LOCKED),
        "DONTNEED_LOCKED",
    )?;
    page_is_zero(r.page(0))?;
    page_has(r.page(1), 41)?;
    // Still locked: plain DONTNEED is still refused.
    expect_errno(
        vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "still locked",
    )?;
    Ok(())
}

fn free_drops_pages_or_keeps_them_but_a_later_write_stays() -> CheckResult {
    let r = filled(2, 60)?;
    sys(
        vm::madvise(r.addr, 2 * PAGE, libc::MADV_FREE),
        "madvise(MADV_FREE)",
    )?;
    // Each page now reads as it was, or as zeroes (if it was freed).
    for p in 0..2 {
        check!(
            page_has(r.page(p), 60 + p as u8).is_ok() || page_is_zero(r.page(p)).is_ok(),
            "page {p} after MADV_FREE is neither its old data nor zeroes"
        );
    }
    // A write after MADV_FREE is kept.
    fill_page(r.page(1), 70);
    page_has(r.page(1), 70)
}

fn remove_frees_shared_anonymous_pages_for_everyone() -> CheckResult {
    let r = Region::shared(2 * PAGE)?;
    fill_page(r.page(0), 1);
    fill_page(r.page(1), 2);
    let addr = r.addr;
    let (rd, wr) = utests::fd::pipe()?;
    let (rd2, wr2) = utests::fd::pipe()?;
    let child = ftest::proc::spawn(move || {
        close(wr);
        close(rd2);
        let mut b = [0u8; 1];
        let _ = utests::fd::read_some(rd, &mut b);
        // The parent removed page 0: zero here too.
        let ok = page_is_zero(addr).is_ok() && page_has(addr + PAGE, 2).is_ok();
        close(wr2);
        i32::from(!ok)
    })?;
    close(rd);
    close(wr2);
    sys(
        vm::madvise(addr, PAGE, libc::MADV_REMOVE),
        "madvise(MADV_REMOVE)",
    )?;
    page_is_zero(addr)?;
    close(wr);
    let mut b = [0u8; 1];
    let _ = utests::fd::read_some(rd2, &mut b);
    close(rd2);
    ensure_eq!(
        ftest::proc::wait_pid(child)?,
        ftest::WaitStatus::Exited(0),
        "the child sees zeroes too"
    );
    Ok(())
}

fn populate_read_and_write_bring_pages_in() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    sys(
        vm::madvise(r.addr, 2 * PAGE, MADV_POPULATE_READ),
        "POPULATE_READ",
    )?;
    sys(
        vm::madvise(r.page(2), PAGE, MADV_POPULATE_WRITE),
        "POPULATE_WRITE",
    )?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true, true, true, false]);
    page_is_zero(r.page(2))?;
    let ro = Region::anon(PAGE, libc::PROT_READ)?;
    expect_errno(
        vm::madvise(ro.addr, PAGE, MADV_POPULATE_WRITE),
        libc::EINVAL,
        "POPULATE_WRITE on read-only",
    )?;
    let none = Region::anon(PAGE, libc::PROT_NONE)?;
    expect_errno(
        vm::madvise(none.addr, PAGE, MADV_POPULATE_READ),
        libc::EINVAL,
        "POPULATE_READ on PROT_NONE",
    )?;
    Ok(())
}

fn hints_are_accepted_and_change_no_data() -> CheckResult {
    let r = filled(2, 80)?;
    for advice in [
        libc::MADV_RANDOM,
        libc::MADV_SEQUENTIAL,
        libc::MADV_WILLNEED,
        libc::MADV_DONTDUMP,
        libc::MADV_DODUMP,
        libc::MADV_COLD,
        libc::MADV_PAGEOUT,
        libc::MADV_NORMAL,
    ] {
        ensure_eq!(vm::madvise(r.addr, 2 * PAGE, advice), 0, "advice {advice}");
        // On half the range, which splits the mapping.
        ensure_eq!(
            vm::madvise(r.page(1), PAGE, advice),
            0,
            "advice {advice} on one page"
        );
    }
    page_has(r.page(0), 80)?;
    page_has(r.page(1), 81)
}

fn a_hole_is_enomem_but_the_rest_is_advised() -> CheckResult {
    let r = filled(3, 90)?;
    sys(vm::munmap(r.page(1), PAGE), "munmap")?;
    expect_errno(
        vm::madvise(r.addr, 3 * PAGE, libc::MADV_DONTNEED),
        libc::ENOMEM,
        "DONTNEED over a hole",
    )?;
    page_is_zero(r.page(0))?;
    page_is_zero(r.page(2))?;
    expect_errno(
        vm::madvise(r.addr, 3 * PAGE, libc::MADV_NORMAL),
        libc::ENOMEM,
        "NORMAL over a hole",
    )?;
    Ok(())
}

/// Runs `body` in a forked child given the address.
fn child_sees(addr: usize, body: fn(usize) -> Result<(), String>) -> CheckResult {
    in_child(move || body(addr))
}

fn dontfork_range_is_absent_in_the_child() -> CheckResult {
    let r = filled(3, 100)?;
    sys(
        vm::madvise(r.page(1), PAGE, libc::MADV_DONTFORK),
        "MADV_DONTFORK",
    )?;
    child_sees(r.addr, |a| {
        page_has(a, 100)?;
        expect_fault(
            Access::Read,
            a + PAGE,
            Fault::maperr(a + PAGE),
            "the DONTFORK page in the child",
        )?;
        page_has(a + 2 * PAGE, 102)
    })?;
    page_has(r.page(1), 101)
}

fn dofork_undoes_dontfork_and_keeps_sharing() -> CheckResult {
    let s = Region::shared(PAGE)?;
    sys(
        vm::madvise(s.addr, PAGE, libc::MADV_DONTFORK),
        "MADV_DONTFORK",
    )?;
    sys(vm::madvise(s.addr, PAGE, libc::MADV_DOFORK), "MADV_DOFORK")?;
    child_sees(s.addr, |a| {
        fault::write(a, 0x5c).map_err(|f| f.to_string())?;
        Ok(())
    })?;
    ensure_eq!(s.get(0), 0x5c, "shared memory is shared again after DOFORK");
    let p = filled(1, 7)?;
    sys(
        vm::madvise(p.addr, PAGE, libc::MADV_DONTFORK),
        "MADV_DONTFORK",
    )?;
    sys(vm::madvise(p.addr, PAGE, libc::MADV_DOFORK), "MADV_DOFORK")?;
    child_sees(p.addr, |a| {
        page_has(a, 7)?;
        fault::write(a, 0).map_err(|f| f.to_string())?;
        Ok(())
    })?;
    page_has(p.addr, 7)
}

fn wipeonfork_range_is_zero_in_the_child() -> CheckResult {
    let r = filled(3, 110)?;
    sys(
        vm::madvise(r.page(1), 2 * PAGE, libc::MADV_WIPEONFORK),
        "MADV_WIPEONFORK",
    )?;
    child_sees(r.addr, |a| {
        page_has(a, 110)?;
        page_is_zero(a + PAGE)?;
        page_is_zero(a + 2 * PAGE)?;
        // The grandchild of a wiped range gets zeroes again.
        fill_page(a + PAGE, 1);
        in_child(move || page_is_zero(a + PAGE))
    })?;
    page_has(r.page(1), 111)?;
    page_has(r.page(2), 112)
}

fn keeponfork_undoes_wipeonfork() -> CheckResult {
    let r = filled(1, 120)?;
    sys(
        vm::madvise(r.addr, PAGE, libc::MADV_WIPEONFORK),
        "MADV_WIPEONFORK",
    )?;
    // DOFORK does not undo a wipe.
    sys(vm::madvise(r.addr, PAGE, libc::MADV_DOFORK), "MADV_DOFORK")?;
    child_sees(r.addr, page_is_zero)?;
    sys(
        vm::madvise(r.addr, PAGE, libc::MADV_KEEPONFORK),
        "MADV_KEEPONFORK",
    )?;
    child_sees(r.addr, |a| page_has(a, 120))
}

/// Ferrite's minherit(2) and NetBSD's values.
const SYS_FERRITE_MINHERIT: libc::c_long = 1000;
const INHERIT_SHARE: usize = 0;
const INHERIT_COPY: usize = 1;
const INHERIT_NONE: usize = 2;
const INHERIT_ZERO: usize = 4;

fn minherit(addr: usize, len: usize, how: usize) -> i64 {
    vm::sc(SYS_FERRITE_MINHERIT, &[addr, len, how])
}

fn minherit_gives_netbsd_inheritance() -> CheckResult {
    check!(on_ferrite());
    let r = filled(4, 130)?;
    for (p, how) in [INHERIT_SHARE, INHERIT_COPY, INHERIT_NONE, INHERIT_ZERO]
        .into_iter()
        .enumerate()
    {
        sys(minherit(r.page(p), PAGE, how), "minherit")?;
    }
    child_sees(r.addr, |a| {
        fault::write(a, 0xf0).map_err(|f| format!("shared page: {f}"))?;
        fault::write(a + PAGE, 0xf1).map_err(|f| format!("copied page: {f}"))?;
        let none = a + 2 * PAGE;
        expect_fault(Access::Read, none, Fault::maperr(none), "the NONE page")?;
        page_is_zero(a + 3 * PAGE)
    })?;
    ensure_eq!(r.get(0), 0xf0, "the SHARE page is shared");
    page_has(r.page(1), 131)?;
    page_has(r.page(3), 133)?;
    expect_errno(minherit(r.addr, PAGE, 3), libc::EINVAL, "minherit value 3")?;
    expect_errno(minherit(r.addr + 1, PAGE, 0), libc::EINVAL, "unaligned")?;
    let hole = utests::mem::unmapped_page()?;
    expect_errno(minherit(hole, PAGE, 1), libc::EINVAL, "an unmapped page")?;
    Ok(())
}

fn errors() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let hole = utests::mem::unmapped_page()?;
    let cases: &[(usize, usize, i32, i32, &str)] = &[
        (r.addr, PAGE, 5, libc::EINVAL, "advice 5"),
        (r.addr, PAGE, 26, libc::EINVAL, "advice 26"),
        (r.addr, PAGE, -1, libc::EINVAL, "advice -1"),
        (r.addr, PAGE, 100, libc::EINVAL, "MADV_HWPOISON"),
        (
            hole,
            0,
            5,
            libc::EINVAL,
            "a bad advice before anything else",
        ),
        (
            r.addr + 1,
            PAGE,
            libc::MADV_NORMAL,
            libc::EINVAL,
            "an unaligned address",
        ),
        (
            r.addr,
            usize::MAX,
            libc::MADV_NORMAL,
            libc::EINVAL,
            "a length that rounds to 0",
        ),
        (
            r.addr,
            usize::MAX - PAGE + 1,
            libc::MADV_NORMAL,
            libc::EINVAL,
            "a range that wraps",
        ),
        (
            hole,
            PAGE,
            libc::MADV_NORMAL,
            libc::ENOMEM,
            "an unmapped page",
        ),
        (
            hole,
            PAGE,
            libc::MADV_DONTNEED,
            libc::ENOMEM,
            "DONTNEED of an unmapped page",
        ),
        (
            0xffff_8000_0000_0000,
            PAGE,
            libc::MADV_NORMAL,
            libc::ENOMEM,
            "a kernel address",
        ),
    ];
    for &(addr, len, advice, want, what) in cases {
        expect_errno(vm::madvise(addr, len, advice), want, what)?;
    }
    ensure_eq!(
        vm::madvise(hole, 0, libc::MADV_DONTNEED),
        0,
        "length 0 anywhere"
    );
    Ok(())
}

fn errors_by_kind_of_mapping() -> CheckResult {
    let shared = Region::shared(PAGE)?;
    let f = make_file("madvkind", &[1u8; PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDWR)?;
    let file_priv = Region::map(0, PAGE, RW, libc::MAP_PRIVATE, fd, 0)?;
    close(fd);
    let anon = Region::anon(PAGE, RW)?;
    let cases: &[(usize, i32, i32, &str)] = &[
        (
            shared.addr,
            libc::MADV_FREE,
            libc::EINVAL,
            "MADV_FREE on shared memory",
        ),
        (
            file_priv.addr,
            libc::MADV_FREE,
            libc::EINVAL,
            "MADV_FREE on a file mapping",
        ),
        (
            shared.addr,
            libc::MADV_WIPEONFORK,
            libc::EINVAL,
            "MADV_WIPEONFORK on shared memory",
        ),
        (
            file_priv.addr,
            libc::MADV_WIPEONFORK,
            libc::EINVAL,
            "MADV_WIPEONFORK on a file mapping",
        ),
        (
            anon.addr,
            libc::MADV_REMOVE,
            libc::EINVAL,
            "MADV_REMOVE on private anonymous memory",
        ),
        (
            file_priv.addr,
            libc::MADV_REMOVE,
            libc::EACCES,
            "MADV_REMOVE on a private file mapping",
        ),
    ];
    for &(addr, advice, want, what) in cases {
        expect_errno(vm::madvise(addr, PAGE, advice), want, what)?;
    }
    Ok(())
}
