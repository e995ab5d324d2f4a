//! `user::mprotect`: mprotect(2). Lowering protection makes the next
//! access fault at once (SIGSEGV/SEGV_ACCERR at the exact address: the
//! pmap is updated), raising it again works, a change in the middle of a
//! mapping splits it, PROT_NONE guard pages, execute through NX, write-only
//! pages (readable on x86), the maximum protection of a shared mapping of a
//! read-only descriptor (EACCES), holes (ENOMEM; on Ferrite the call then
//! changes nothing), copy-on-write pages after fork, and the errno table.

use ftest::proc::in_child;
use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, on_ferrite, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::fd::{close, make_file, open};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, page_has};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const RO: i32 = libc::PROT_READ;

const CHECKS: &[ftest::Check] = checks![
    read_only_then_write_is_accerr_at_the_exact_address,
    prot_none_guard_pages_fault_every_access,
    a_change_in_the_middle_splits_the_mapping,
    protection_comes_back_with_the_contents,
    execute_needs_prot_exec,
    write_only_pages_are_readable,
    prot_sem_is_accepted,
    beyond_the_maximum_protection_is_eacces,
    a_hole_is_enomem_and_the_rest_stays,
    a_hole_changes_nothing.ferrite_only(),
    a_child_protecting_copied_pages_leaves_the_parent_alone,
    errors,
];

pub fn main() {
    ftest::main("mprotect", CHECKS)
}

fn read_only_then_write_is_accerr_at_the_exact_address() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    for p in 0..4 {
        fill_page(r.page(p), p as u8);
    }
    sys(vm::mprotect(r.addr, 4 * PAGE, RO), "mprotect")?;
    for at in [r.addr, r.page(1) + 123, r.page(3) + PAGE - 1] {
        expect_fault(
            Access::Write,
            at,
            Fault::accerr(at),
            "write to a read-only page",
        )?;
    }
    for p in 0..4 {
        page_has(r.page(p), p as u8)?;
    }
    Ok(())
}

fn prot_none_guard_pages_fault_every_access() -> CheckResult {
    // A guard page between two writable ones.
    let r = Region::anon(3 * PAGE, RW)?;
    r.touch(1);
    sys(vm::mprotect(r.page(1), PAGE, libc::PROT_NONE), "mprotect")?;
    for kind in [Access::Read, Access::Write, Access::Exec] {
        let at = r.page(1) + 64;
        expect_fault(kind, at, Fault::accerr(at), "the guard page")?;
    }
    // Right next to it, both sides work.
    fault::write(r.page(1) - 1, 2).map_err(|f| f.to_string())?;
    fault::write(r.page(2), 3).map_err(|f| f.to_string())?;
    // An untouched PROT_NONE mapping faults the same way.
    let g = Region::anon(PAGE, libc::PROT_NONE)?;
    expect_fault(
        Access::Read,
        g.addr,
        Fault::accerr(g.addr),
        "a PROT_NONE mapping",
    )
}

fn a_change_in_the_middle_splits_the_mapping() -> CheckResult {
    let r = Region::anon(5 * PAGE, RW)?;
    for p in 0..5 {
        fill_page(r.page(p), 10 + p as u8);
    }
    sys(vm::mprotect(r.page(2), PAGE, RO), "mprotect")?;
    for p in 0..5 {
        let at = r.page(p) + 5;
        if p == 2 {
            expect_fault(Access::Write, at, Fault::accerr(at), "the read-only middle")?;
        } else {
            fault::write(at, 0x55).map_err(|f| format!("page {p}: {f}"))?;
        }
    }
    // Splitting the read-only page again, and re-joining everything.
    sys(vm::mprotect(r.page(1), 3 * PAGE, RO), "mprotect")?;
    expect_fault(Access::Write, r.page(1), Fault::accerr(r.page(1)), "page 1")?;
    expect_fault(Access::Write, r.page(3), Fault::accerr(r.page(3)), "page 3")?;
    sys(vm::mprotect(r.addr, 5 * PAGE, RW), "mprotect")?;
    for p in 0..5 {
        fault::write(r.page(p) + 6, 0x66).map_err(|f| format!("page {p}: {f}"))?;
    }
    page_has_but(r.page(2), 12, &[5, 6])
}

/// A page filled with `tag` except for bytes `skip`.
fn page_has_but(addr: usize, tag: u8, skip: &[usize]) -> Result<(), String> {
    let probe = Region::anon(PAGE, RW)?;
    fill_page(probe.addr, tag);
    for k in 0..PAGE {
        if skip.contains(&k) {
            continue;
        }
        let (got, want) = (fault::read(addr + k), Ok(probe.get(k)));
        if got != want {
            return Err(format!("byte {k} of {addr:#x}: {got:?}, expected {want:?}"));
        }
    }
    Ok(())
}

fn protection_comes_back_with_the_contents() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 7);
    fill_page(r.page(1), 8);
    sys(vm::mprotect(r.addr, 2 * PAGE, libc::PROT_NONE), "mprotect")?;
    expect_fault(
        Access::Read,
        r.page(1),
        Fault::accerr(r.page(1)),
        "PROT_NONE",
    )?;
    sys(vm::mprotect(r.addr, 2 * PAGE, RO), "mprotect")?;
    page_has(r.page(0), 7)?;
    sys(vm::mprotect(r.addr, 2 * PAGE, RW), "mprotect")?;
    page_has(r.page(1), 8)?;
    r.set(0, 1);
    ensure_eq!(r.get(0), 1);
    Ok(())
}

fn execute_needs_prot_exec() -> CheckResult {
    let r = Region::anon(PAGE, RW)?;
    r.set(0, 0xc3); // ret
    expect_fault(
        Access::Exec,
        r.addr,
        Fault::accerr(r.addr),
        "execute on RW (NX)",
    )?;
    sys(vm::mprotect(r.addr, PAGE, RO | libc::PROT_EXEC), "mprotect")?;
    fault::exec(r.addr).map_err(|f| format!("execute on R-X: {f}"))?;
    expect_fault(
        Access::Write,
        r.addr + 8,
        Fault::accerr(r.addr + 8),
        "write on R-X",
    )?;
    sys(vm::mprotect(r.addr, PAGE, RO), "mprotect")?;
    expect_fault(
        Access::Exec,
        r.addr,
        Fault::accerr(r.addr),
        "execute after dropping PROT_EXEC",
    )
}

fn write_only_pages_are_readable() -> CheckResult {
    let r = Region::anon(PAGE, libc::PROT_WRITE)?;
    fault::write(r.addr + 3, 9).map_err(|f| f.to_string())?;
    ensure_eq!(
        fault::read(r.addr + 3),
        Ok(9),
        "x86 cannot refuse reads of a writable page"
    );
    let x = Region::anon(PAGE, libc::PROT_EXEC)?;
    ensure_eq!(fault::read(x.addr), Ok(0), "nor of an executable one");
    Ok(())
}

fn prot_sem_is_accepted() -> CheckResult {
    let r = Region::anon(PAGE, RW)?;
    sys(
        vm::mprotect(r.addr, PAGE, RO | 0x8),
        "mprotect(PROT_READ|PROT_SEM)",
    )?;
    expect_fault(
        Access::Write,
        r.addr,
        Fault::accerr(r.addr),
        "after PROT_READ|PROT_SEM",
    )
}

fn beyond_the_maximum_protection_is_eacces() -> CheckResult {
    let f = make_file("maxprot", &[3u8; 2 * PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let shared = Region::map(0, 2 * PAGE, RO, libc::MAP_SHARED, fd, 0)?;
    let private = Region::map(0, 2 * PAGE, RO, libc::MAP_PRIVATE, fd, 0)?;
    close(fd);
    expect_errno(
        vm::mprotect(shared.addr, PAGE, RW),
        libc::EACCES,
        "PROT_WRITE on a shared mapping of an O_RDONLY file",
    )?;
    expect_fault(
        Access::Write,
        shared.addr,
        Fault::accerr(shared.addr),
        "still read-only",
    )?;
    sys(
        vm::mprotect(shared.addr, PAGE, RO | libc::PROT_EXEC),
        "PROT_EXEC is within the maximum",
    )?;
    // A private mapping may always become writable (its copy is its own).
    sys(
        vm::mprotect(private.addr, 2 * PAGE, RW),
        "PROT_WRITE on a private mapping",
    )?;
    private.set(1, 4);
    ensure_eq!(shared.get(1), 3, "the file did not change");
    Ok(())
}

/// Three pages with a hole in the middle; the pages on both sides
/// written.
fn with_hole() -> Result<Region, String> {
    let r = Region::anon(3 * PAGE, RW)?;
    r.touch(1);
    sys(vm::munmap(r.page(1), PAGE), "munmap")?;
    Ok(r)
}

fn a_hole_is_enomem_and_the_rest_stays() -> CheckResult {
    let r = with_hole()?;
    expect_errno(
        vm::mprotect(r.addr, 3 * PAGE, RO),
        libc::ENOMEM,
        "mprotect over a hole",
    )?;
    expect_errno(
        vm::mprotect(r.page(1), 2 * PAGE, RO),
        libc::ENOMEM,
        "mprotect from a hole",
    )?;
    // The page after the hole was not changed (Linux stops at the hole).
    fault::write(r.page(2), 5).map_err(|f| format!("after the hole: {f}"))?;
    Ok(())
}

fn a_hole_changes_nothing() -> CheckResult {
    check!(on_ferrite());
    let r = with_hole()?;
    expect_errno(
        vm::mprotect(r.addr, 3 * PAGE, RO),
        libc::ENOMEM,
        "mprotect over a hole",
    )?;
    fault::write(r.page(0), 5).map_err(|f| format!("before the hole: {f}"))?;
    Ok(())
}

fn a_child_protecting_copied_pages_leaves_the_parent_alone() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 1);
    fill_page(r.page(1), 2);
    let addr = r.addr;
    in_child(move || {
        sys(vm::mprotect(addr, 2 * PAGE, RO), "mprotect in the child")?;
        expect_fault(Access::Write, addr, Fault::accerr(addr), "child, read-only")?;
        sys(vm::mprotect(addr, 2 * PAGE, RW), "mprotect in the child")?;
        fault::write(addr + 1, 0xee).map_err(|f| f.to_string())?;
        Ok(())
    })?;
    page_has(r.page(0), 1)?;
    page_has(r.page(1), 2)?;
    r.set(0, 3);
    ensure_eq!(r.get(0), 3, "the parent can still write");
    Ok(())
}

fn errors() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    let top = 0x7fff_ffff_f000usize;
    let hole = utests::mem::unmapped_page()?;
    let cases: &[(usize, usize, i32, i32, &str)] = &[
        (r.addr + 1, PAGE, RO, libc::EINVAL, "an unaligned address"),
        (
            r.addr,
            PAGE,
            0x10,
            libc::EINVAL,
            "an unknown protection bit",
        ),
        (r.addr, PAGE, RO | 0x100, libc::EINVAL, "bit 0x100"),
        (
            r.addr,
            PAGE,
            RO | libc::PROT_GROWSDOWN,
            libc::EINVAL,
            "PROT_GROWSDOWN on a normal mapping",
        ),
        (
            r.addr,
            PAGE,
            RO | libc::PROT_GROWSUP,
            libc::EINVAL,
            "PROT_GROWSUP",
        ),
        (
            r.addr,
            PAGE,
            RO | libc::PROT_GROWSDOWN | libc::PROT_GROWSUP,
            libc::EINVAL,
            "both grows flags",
        ),
        (hole, PAGE, RO, libc::ENOMEM, "an unmapped page"),
        (
            0xffff_8000_0000_0000,
            PAGE,
            RO,
            libc::ENOMEM,
            "a kernel address",
        ),
        (top, PAGE, RO, libc::ENOMEM, "the page past user space"),
        (
            r.addr,
            usize::MAX - PAGE,
            RO,
            libc::ENOMEM,
            "a length that wraps",
        ),
    ];
    for &(addr, len, prot, want, what) in cases {
        expect_errno(vm::mprotect(addr, len, prot), want, what)?;
    }
    // A length of 0 is fine anywhere.
    ensure_eq!(vm::mprotect(hole, 0, RO), 0, "length 0 on an unmapped page");
    ensure_eq!(
        vm::mprotect(r.addr + PAGE, 0, 0x10),
        0,
        "length 0 with a bad protection"
    );
    // The failed calls changed nothing.
    r.set(PAGE + 1, 1);
    ensure_eq!(r.get(PAGE + 1), 1);
    Ok(())
}
