//! `user::mmap`: mmap(2) as Linux defines it. Anonymous memory, placement
//! (top-down below the stack, hints honoured when free and never
//! clobbering, MAP_FIXED replacing, MAP_FIXED_NOREPLACE refusing), length
//! rounding, every protection combination against real accesses (write
//! and execute imply read on x86, execute through NX), MAP_POPULATE,
//! MAP_LOCKED and the accepted no-op flags, private and shared file
//! mappings of the RAM file system against read(2)/write(2), SIGBUS past
//! the end of a file, the errno table, and 10,000 mappings made and
//! removed (on Ferrite: nothing left behind in the kernel).

use ftest::{CheckResult, check, checks, ensure_eq, expect_errno, on_ferrite, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::fd::{close, make_file, open};
use utests::mem::PAGE;
use utests::vm::{self, Region, fill_page, free_range, page_has, page_is_zero, resident};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

const CHECKS: &[ftest::Check] = checks![
    anonymous_memory_reads_zero_and_keeps_writes,
    length_is_rounded_up_to_whole_pages,
    unhinted_mappings_go_top_down_below_the_stack,
    a_free_hint_is_taken,
    an_unaligned_hint_is_rounded_down,
    a_hint_never_clobbers,
    map_fixed_replaces_what_was_there,
    a_failed_map_fixed_leaves_the_old_mapping,
    map_fixed_noreplace_refuses_any_overlap,
    map_populate_makes_every_page_resident,
    map_locked_makes_every_page_resident,
    noreserve_stack_and_growsdown_are_accepted,
    every_protection_allows_exactly_its_accesses,
    private_file_mapping_is_copy_on_write,
    shared_file_mapping_writes_reach_the_file,
    file_mapping_past_the_end_of_the_file_is_sigbus,
    file_mapping_errors,
    argument_errors,
    unknown_protection_bits_are_ignored,
    ten_thousand_alternating_mappings_come_and_go.timeout(120),
    ten_thousand_mappings_leave_nothing_behind
        .ferrite_only()
        .timeout(120),
];

pub fn main() {
    ftest::main("mmap", CHECKS)
}

fn anonymous_memory_reads_zero_and_keeps_writes() -> CheckResult {
    let r = Region::anon(8 * PAGE, RW)?;
    check!(r.addr % PAGE == 0, "mmap returned {:#x}", r.addr);
    for p in 0..8 {
        page_is_zero(r.page(p))?;
    }
    for p in 0..8 {
        fill_page(r.page(p), p as u8);
    }
    for p in 0..8 {
        page_has(r.page(p), p as u8)?;
    }
    Ok(())
}

fn length_is_rounded_up_to_whole_pages() -> CheckResult {
    // Three free pages; map one page and a byte at the first.
    let at = free_range(3 * PAGE)?;
    let a = vm::mmap(at, PAGE + 1, RW, PRIV | libc::MAP_FIXED, -1, 0)
        .map_err(|e| format!("mmap: {}", ftest::errname(e)))?;
    ensure_eq!(a, at);
    let r = Region {
        addr: a,
        len: 2 * PAGE,
    };
    fault::write(r.addr + 2 * PAGE - 1, 7)
        .map_err(|f| format!("last byte of the rounded length: {f}"))?;
    expect_fault(
        Access::Read,
        r.addr + 2 * PAGE,
        Fault::maperr(r.addr + 2 * PAGE),
        "the page after",
    )?;
    // munmap rounds its length up too.
    sys(vm::munmap(r.addr + PAGE, 1), "munmap of one byte")?;
    expect_fault(
        Access::Read,
        r.addr + PAGE + 5,
        Fault::maperr(r.addr + PAGE + 5),
        "after munmap(1 byte)",
    )?;
    ensure_eq!(fault::read(r.addr), Ok(0));
    Ok(())
}

fn unhinted_mappings_go_top_down_below_the_stack() -> CheckResult {
    let local = 0u8;
    let stack = std::ptr::addr_of!(local) as usize;
    let heap = vm::brk(0);
    // Same sizes: each goes to the highest free range that fits, which is
    // below the previous one (what is left of a range is below its top).
    let a = Region::anon(16 * PAGE, RW)?;
    let b = Region::anon(16 * PAGE, RW)?;
    let c = Region::anon(16 * PAGE, libc::PROT_READ)?;
    check!(
        b.end() <= a.addr && c.end() <= b.addr,
        "each new mapping goes below the previous one: {:#x} {:#x} {:#x}",
        a.addr,
        b.addr,
        c.addr
    );
    check!(
        a.end() < stack && c.addr > heap,
        "mappings between the heap ({heap:#x}) and the stack ({stack:#x}): {:#x}",
        c.addr
    );
    Ok(())
}

fn a_free_hint_is_taken() -> CheckResult {
    let at = free_range(4 * PAGE)?;
    let r = Region::map(at + PAGE, 2 * PAGE, RW, PRIV, -1, 0)?;
    ensure_eq!(r.addr, at + PAGE, "the hint of a free range");
    Ok(())
}

fn an_unaligned_hint_is_rounded_down() -> CheckResult {
    let at = free_range(4 * PAGE)?;
    let r = Region::map(at + PAGE + 123, PAGE, RW, PRIV, -1, 0)?;
    ensure_eq!(r.addr, at + PAGE, "x86 rounds a hint down to its page");
    Ok(())
}

fn a_hint_never_clobbers() -> CheckResult {
    let old = Region::anon(3 * PAGE, RW)?;
    for p in 0..3 {
        fill_page(old.page(p), 40 + p as u8);
    }
    // Hints at the mapping, inside it, and straddling its start.
    for hint in [old.addr, old.page(1), old.addr - PAGE] {
        let r = Region::map(hint, 2 * PAGE, RW, PRIV, -1, 0)?;
        check!(
            r.end() <= old.addr || r.addr >= old.end(),
            "mmap with hint {hint:#x} returned {:#x}, over the existing {:#x}..{:#x}",
            r.addr,
            old.addr,
            old.end()
        );
        page_is_zero(r.addr)?;
    }
    for p in 0..3 {
        page_has(old.page(p), 40 + p as u8)?;
    }
    Ok(())
}

fn map_fixed_replaces_what_was_there() -> CheckResult {
    let r = Region::anon(4 * PAGE, RW)?;
    for p in 0..4 {
        fill_page(r.page(p), p as u8 + 1);
    }
    // Pages 1 and 2 become fresh read-only memory.
    let a = vm::mmap(
        r.page(1),
        2 * PAGE,
        libc::PROT_READ,
        PRIV | libc::MAP_FIXED,
        -1,
        0,
    )
    .map_err(|e| format!("MAP_FIXED: {}", ftest::errname(e)))?;
    ensure_eq!(a, r.page(1), "MAP_FIXED returns its address");
    page_has(r.page(0), 1)?;
    page_is_zero(r.page(1))?;
    page_is_zero(r.page(2))?;
    page_has(r.page(3), 4)?;
    expect_fault(
        Access::Write,
        r.page(2) + 9,
        Fault::accerr(r.page(2) + 9),
        "the replacement is read-only",
    )?;
    // A shared mapping over a private one, straddling its end.
    let s = vm::mmap(
        r.page(3),
        PAGE,
        RW,
        libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
        -1,
        0,
    )
    .map_err(|e| format!("MAP_FIXED shared: {}", ftest::errname(e)))?;
    ensure_eq!(s, r.page(3));
    page_is_zero(r.page(3))?;
    Ok(())
}

fn a_failed_map_fixed_leaves_the_old_mapping() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.page(0), 9);
    fill_page(r.page(1), 10);
    // A shared writable mapping of a read-only descriptor is refused.
    let f = make_file("fixedfail", &[1u8; PAGE], 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let got = vm::mmap(
        r.addr,
        2 * PAGE,
        RW,
        libc::MAP_SHARED | libc::MAP_FIXED,
        fd,
        0,
    );
    close(fd);
    ensure_eq!(
        got,
        Err(libc::EACCES),
        "MAP_FIXED|MAP_SHARED, PROT_WRITE, O_RDONLY"
    );
    // Bad offsets and lengths too.
    ensure_eq!(
        vm::mmap(r.addr, 2 * PAGE, RW, PRIV | libc::MAP_FIXED, -1, 100),
        Err(libc::EINVAL)
    );
    ensure_eq!(
        vm::mmap(
            r.addr,
            2 * PAGE,
            RW,
            libc::MAP_PRIVATE | libc::MAP_FIXED,
            999,
            0
        ),
        Err(libc::EBADF)
    );
    page_has(r.page(0), 9)?;
    page_has(r.page(1), 10)?;
    Ok(())
}

fn map_fixed_noreplace_refuses_any_overlap() -> CheckResult {
    let r = Region::anon(2 * PAGE, RW)?;
    fill_page(r.addr, 3);
    let nr = PRIV | libc::MAP_FIXED_NOREPLACE;
    for (at, len, what) in [
        (r.addr, PAGE, "the same page"),
        (r.addr - PAGE, 2 * PAGE, "straddling the start"),
        (r.page(1), 2 * PAGE, "straddling the end"),
        (r.addr - PAGE, 4 * PAGE, "around it"),
    ] {
        let got = vm::mmap(at, len, RW, nr, -1, 0);
        if got == Ok(at) {
            vm::munmap(at, len);
        }
        check!(
            got == Err(libc::EEXIST),
            "MAP_FIXED_NOREPLACE {what}: {:?}, expected EEXIST",
            got.map_err(ftest::errname)
        );
    }
    page_has(r.addr, 3)?;
    // Where nothing is mapped it maps exactly there.
    let at = free_range(2 * PAGE)?;
    let got = vm::mmap(at, 2 * PAGE, RW, nr, -1, 0);
    ensure_eq!(got, Ok(at), "MAP_FIXED_NOREPLACE on a free range");
    vm::munmap(at, 2 * PAGE);
    Ok(())
}

fn map_populate_makes_every_page_resident() -> CheckResult {
    let r = Region::map(0, 16 * PAGE, RW, PRIV | libc::MAP_POPULATE, -1, 0)?;
    ensure_eq!(
        resident(r.addr, r.len)?,
        vec![true; 16],
        "after MAP_POPULATE"
    );
    let plain = Region::anon(16 * PAGE, RW)?;
    ensure_eq!(
        resident(plain.addr, plain.len)?,
        vec![false; 16],
        "without it"
    );
    page_is_zero(r.page(15))?;
    Ok(())
}

fn map_locked_makes_every_page_resident() -> CheckResult {
    let r = Region::map(0, 8 * PAGE, RW, PRIV | libc::MAP_LOCKED, -1, 0)?;
    ensure_eq!(resident(r.addr, r.len)?, vec![true; 8], "after MAP_LOCKED");
    // A locked range cannot be dropped with MADV_DONTNEED (Linux: EINVAL).
    expect_errno(
        vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED),
        libc::EINVAL,
        "MADV_DONTNEED on MAP_LOCKED",
    )?;
    sys(vm::munlock(r.addr, r.len), "munlock")?;
    sys(
        vm::madvise(r.addr, PAGE, libc::MADV_DONTNEED),
        "MADV_DONTNEED after munlock",
    )?;
    Ok(())
}

fn noreserve_stack_and_growsdown_are_accepted() -> CheckResult {
    for (flag, name) in [
        (libc::MAP_NORESERVE, "MAP_NORESERVE"),
        (libc::MAP_STACK, "MAP_STACK"),
        (libc::MAP_GROWSDOWN, "MAP_GROWSDOWN"),
        (
            libc::MAP_NORESERVE | libc::MAP_STACK,
            "MAP_NORESERVE|MAP_STACK",
        ),
    ] {
        let r =
            Region::map(0, 4 * PAGE, RW, PRIV | flag, -1, 0).map_err(|e| format!("{name}: {e}"))?;
        r.touch(0x11);
        ensure_eq!(r.get(3 * PAGE), 0x11, "{name}");
    }
    Ok(())
}

fn every_protection_allows_exactly_its_accesses() -> CheckResult {
    let (r, w, x) = (libc::PROT_READ, libc::PROT_WRITE, libc::PROT_EXEC);
    let mut wrong = Vec::new();
    for prot in 0..8 {
        let m = Region::anon(PAGE, RW)?;
        // A `ret` at the start to call, room for the writes after it.
        m.set(0, 0xc3);
        sys(vm::mprotect(m.addr, PAGE, prot), "mprotect")?;
        // On x86 anything mapped at all can be read.
        let can_read = prot != 0;
        let can_write = prot & w != 0;
        let can_exec = prot & x != 0;
        let name = format!(
            "{}{}{}",
            if prot & r != 0 { "r" } else { "-" },
            if can_write { "w" } else { "-" },
            if can_exec { "x" } else { "-" }
        );
        for (kind, allowed, at) in [
            (Access::Read, can_read, m.addr + 1),
            (Access::Exec, can_exec, m.addr),
            (Access::Write, can_write, m.addr + 100),
        ] {
            let got = fault::probe(at, kind, 0x77);
            let want = if allowed {
                Ok(())
            } else {
                Err(Fault::accerr(at))
            };
            if got != want {
                wrong.push(format!(
                    "{name}: {kind:?} at {at:#x}: {}, expected {}",
                    got.map_or_else(|f| f.to_string(), |()| "no fault".into()),
                    want.map_or_else(|f| f.to_string(), |()| "no fault".into())
                ));
            }
        }
        if can_write {
            ensure_eq!(
                fault::read(m.addr + 100),
                Ok(0x77),
                "{name}: the write landed"
            );
        }
    }
    check!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

/// A scratch file of `pages` pages, page i filled with tag `base + i`.
fn pattern_file(tag: &str, pages: usize, base: u8) -> Result<utests::fd::TmpPath, String> {
    let scratch = Region::anon(pages * PAGE, RW)?;
    for p in 0..pages {
        fill_page(scratch.page(p), base + p as u8);
    }
    // SAFETY: the scratch region is readable for its length.
    let bytes = unsafe { std::slice::from_raw_parts(scratch.addr as *const u8, pages * PAGE) };
    make_file(tag, bytes, 0o644)
}

fn pread_byte(fd: i32, off: usize) -> Result<u8, String> {
    let mut b = [0u8; 1];
    // SAFETY: b is a valid one-byte buffer.
    let n = unsafe { libc::pread(fd, b.as_mut_ptr().cast(), 1, off as i64) };
    ensure_eq!(sys(n, "pread")?, 1);
    Ok(b[0])
}

fn pwrite_byte(fd: i32, off: usize, v: u8) -> Result<(), String> {
    // SAFETY: a valid one-byte buffer.
    let n = unsafe { libc::pwrite(fd, [v].as_ptr().cast(), 1, off as i64) };
    ensure_eq!(sys(n, "pwrite")?, 1);
    Ok(())
}

fn private_file_mapping_is_copy_on_write() -> CheckResult {
    let f = pattern_file("privmap", 3, 50)?;
    let fd = open(&f.c, libc::O_RDWR)?;
    let m = Region::map(0, 3 * PAGE, RW, libc::MAP_PRIVATE, fd, 0)?;
    let other = Region::map(0, 3 * PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, 0)?;
    for p in 0..3 {
        page_has(m.page(p), 50 + p as u8)?;
    }
    let orig = pread_byte(fd, 10)?;
    m.set(10, orig ^ 0xff);
    ensure_eq!(m.get(10), orig ^ 0xff, "the mapping sees its own write");
    ensure_eq!(pread_byte(fd, 10)?, orig, "the file does not");
    ensure_eq!(other.get(10), orig, "another private mapping does not");
    // A page not yet written still shows the file, even its later changes.
    pwrite_byte(fd, 2 * PAGE + 5, 0xee)?;
    ensure_eq!(
        m.get(2 * PAGE + 5),
        0xee,
        "an unwritten page follows the file"
    );
    // A written page does not.
    pwrite_byte(fd, 11, 0xdd)?;
    check!(m.get(11) != 0xdd, "a copied page changed with the file");
    close(fd);
    Ok(())
}

fn shared_file_mapping_writes_reach_the_file() -> CheckResult {
    let f = pattern_file("sharedmap", 2, 70)?;
    let fd = open(&f.c, libc::O_RDWR)?;
    let a = Region::map(0, 2 * PAGE, RW, libc::MAP_SHARED, fd, 0)?;
    let b = Region::map(0, PAGE, libc::PROT_READ, libc::MAP_SHARED, fd, PAGE as i64)?;
    page_has(a.page(0), 70)?;
    page_has(b.addr, 71)?;
    a.set(PAGE + 3, 0x99);
    ensure_eq!(
        pread_byte(fd, PAGE + 3)?,
        0x99,
        "read(2) sees a write through the mapping"
    );
    ensure_eq!(b.get(3), 0x99, "another shared mapping sees it");
    pwrite_byte(fd, 7, 0x42)?;
    ensure_eq!(a.get(7), 0x42, "the mapping sees write(2)");
    sys(
        vm::sc(libc::SYS_msync, &[a.addr, a.len, libc::MS_SYNC as usize]),
        "msync",
    )?;
    drop(a);
    // The data outlives the mapping.
    ensure_eq!(pread_byte(fd, PAGE + 3)?, 0x99, "after munmap");
    close(fd);
    Ok(())
}

fn file_mapping_past_the_end_of_the_file_is_sigbus() -> CheckResult {
    let f = make_file("pasteof", &[0x33u8; 100], 0o644)?;
    let fd = open(&f.c, libc::O_RDONLY)?;
    let m = Region::map(0, 3 * PAGE, libc::PROT_READ, libc::MAP_PRIVATE, fd, 0)?;
    close(fd);
    ensure_eq!(fault::read(m.addr + 99), Ok(0x33));
    ensure_eq!(
        fault::read(m.addr + 100),
        Ok(0),
        "the rest of the last page reads zero"
    );
    ensure_eq!(fault::read(m.addr + PAGE - 1), Ok(0));
    for at in [m.page(1), m.page(2) + 17] {
        expect_fault(
            Access::Read,
            at,
            Fault::buserr(at),
            "a page wholly past the end",
        )?;
    }
    Ok(())
}

fn file_mapping_errors() -> CheckResult {
    let f = make_file("maperr", &[5u8; 2 * PAGE], 0o644)?;
    let rdonly = open(&f.c, libc::O_RDONLY)?;
    let wronly = open(&f.c, libc::O_WRONLY)?;
    let dir = open(c"/tmp", libc::O_RDONLY | libc::O_DIRECTORY)?;
    let (prd, pwr) = utests::fd::pipe()?;
    let closed = open(&f.c, libc::O_RDONLY)?;
    close(closed);
    let ro = libc::PROT_READ;
    let cases: &[(i32, i32, i32, i64, i32, &str)] = &[
        (
            RW,
            libc::MAP_SHARED,
            rdonly,
            0,
            libc::EACCES,
            "shared writable over O_RDONLY",
        ),
        (
            ro,
            libc::MAP_PRIVATE,
            wronly,
            0,
            libc::EACCES,
            "private over O_WRONLY",
        ),
        (
            ro,
            libc::MAP_SHARED,
            wronly,
            0,
            libc::EACCES,
            "shared read-only over O_WRONLY",
        ),
        (
            ro,
            libc::MAP_PRIVATE,
            closed,
            0,
            libc::EBADF,
            "a closed descriptor",
        ),
        (ro, libc::MAP_PRIVATE, -1, 0, libc::EBADF, "descriptor -1"),
        (ro, libc::MAP_PRIVATE, dir, 0, libc::ENODEV, "a directory"),
        (ro, libc::MAP_PRIVATE, prd, 0, libc::ENODEV, "a pipe"),
        (
            ro,
            libc::MAP_PRIVATE,
            rdonly,
            100,
            libc::EINVAL,
            "an unaligned offset",
        ),
        (
            ro,
            libc::MAP_PRIVATE,
            rdonly,
            -(PAGE as i64),
            libc::EOVERFLOW,
            "offset -4096",
        ),
        (
            ro,
            libc::MAP_PRIVATE,
            rdonly,
            i64::MAX & !(PAGE as i64 - 1),
            libc::EOVERFLOW,
            "an offset near 2^63",
        ),
        (
            ro,
            libc::MAP_SHARED_VALIDATE | 0x80_0000,
            rdonly,
            0,
            libc::EOPNOTSUPP,
            "MAP_SHARED_VALIDATE with an unknown flag",
        ),
        (ro, 0, rdonly, 0, libc::EINVAL, "neither private nor shared"),
    ];
    let mut wrong = Vec::new();
    for &(prot, flags, fd, off, want, what) in cases {
        let got = vm::mmap(0, PAGE, prot, flags, fd, off);
        if let Ok(a) = got {
            vm::munmap(a, PAGE);
        }
        if got != Err(want) {
            wrong.push(format!(
                "{what}: {:?}, expected {}",
                got.map_err(ftest::errname),
                ftest::errname(want)
            ));
        }
    }
    // Length 0 is refused for files too; the descriptor is checked first.
    let got = vm::mmap(0, 0, ro, libc::MAP_PRIVATE, rdonly, 0);
    if got != Err(libc::EINVAL) {
        wrong.push(format!("length 0: {:?}", got.map_err(ftest::errname)));
    }
    let got = vm::mmap(0, 0, ro, libc::MAP_PRIVATE, -1, 0);
    if got != Err(libc::EBADF) {
        wrong.push(format!(
            "length 0, fd -1: {:?}, expected EBADF",
            got.map_err(ftest::errname)
        ));
    }
    // A shared read-only mapping of an O_RDONLY file is fine, but may
    // never become writable.
    let m = Region::map(0, PAGE, ro, libc::MAP_SHARED, rdonly, 0)?;
    expect_errno(
        vm::mprotect(m.addr, PAGE, RW),
        libc::EACCES,
        "mprotect(PROT_WRITE) beyond the descriptor",
    )?;
    for fd in [rdonly, wronly, dir, prd, pwr] {
        close(fd);
    }
    check!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

fn argument_errors() -> CheckResult {
    let at = free_range(2 * PAGE)?;
    let top = 0x7fff_ffff_f000usize; // Linux's TASK_SIZE on x86_64
    let cases: &[(usize, usize, i32, i32, i64, i32, &str)] = &[
        (0, 0, RW, PRIV, 0, libc::EINVAL, "length 0"),
        (
            0,
            PAGE,
            RW,
            libc::MAP_ANONYMOUS,
            0,
            libc::EINVAL,
            "neither MAP_PRIVATE nor MAP_SHARED",
        ),
        (
            0,
            PAGE,
            RW,
            libc::MAP_ANONYMOUS | 0xf,
            0,
            libc::EINVAL,
            "map type 0xf",
        ),
        (0, PAGE, RW, PRIV, 1, libc::EINVAL, "an unaligned offset"),
        (
            at + 1,
            PAGE,
            RW,
            PRIV | libc::MAP_FIXED,
            0,
            libc::EINVAL,
            "MAP_FIXED at an unaligned address",
        ),
        (
            at + 1,
            PAGE,
            RW,
            PRIV | libc::MAP_FIXED_NOREPLACE,
            0,
            libc::EINVAL,
            "MAP_FIXED_NOREPLACE unaligned",
        ),
        (
            0,
            usize::MAX - PAGE,
            RW,
            PRIV,
            0,
            libc::ENOMEM,
            "nearly 2^64 bytes",
        ),
        (0, 1 << 47, RW, PRIV, 0, libc::ENOMEM, "2^47 bytes"),
        (
            top,
            2 * PAGE,
            RW,
            PRIV | libc::MAP_FIXED,
            0,
            libc::ENOMEM,
            "MAP_FIXED past the end of user space",
        ),
        (
            1 << 47,
            PAGE,
            RW,
            PRIV | libc::MAP_FIXED,
            0,
            libc::ENOMEM,
            "MAP_FIXED in the non-canonical hole",
        ),
        (
            usize::MAX - PAGE + 1,
            PAGE,
            RW,
            PRIV | libc::MAP_FIXED,
            0,
            libc::ENOMEM,
            "MAP_FIXED at the top of the kernel half",
        ),
        (
            0,
            PAGE,
            RW,
            libc::MAP_SHARED_VALIDATE | libc::MAP_ANONYMOUS,
            0,
            libc::EINVAL,
            "anonymous MAP_SHARED_VALIDATE",
        ),
        (
            0,
            PAGE,
            RW,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_GROWSDOWN,
            0,
            libc::EINVAL,
            "shared MAP_GROWSDOWN",
        ),
    ];
    let mut wrong = Vec::new();
    for &(addr, len, prot, flags, off, want, what) in cases {
        let got = vm::mmap(addr, len, prot, flags, -1, off);
        if let Ok(a) = got {
            vm::munmap(a, len);
        }
        if got != Err(want) {
            wrong.push(format!(
                "{what}: {:?}, expected {}",
                got.map_err(ftest::errname),
                ftest::errname(want)
            ));
        }
    }
    check!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

fn unknown_protection_bits_are_ignored() -> CheckResult {
    // mmap ignores bits it does not know (mprotect does not: see user::mprotect).
    for prot in [RW | 0x100, RW | 0x8, libc::PROT_READ | 0x1000] {
        let r =
            Region::map(0, PAGE, prot, PRIV, -1, 0).map_err(|e| format!("prot {prot:#x}: {e}"))?;
        ensure_eq!(fault::read(r.addr), Ok(0), "prot {prot:#x}");
        ensure_eq!(
            fault::write(r.addr, 1).is_ok(),
            prot & libc::PROT_WRITE != 0,
            "write with prot {prot:#x}"
        );
    }
    Ok(())
}

/// Maps `n` one-page mappings at `base`, even ones writable and odd ones
/// PROT_NONE (so no two merge), writes into the writable ones, checks
/// them, and unmaps them one by one. Makes no allocation of its own.
fn alternating(base: usize, n: usize) -> Result<(), String> {
    for i in 0..n {
        let prot = if i % 2 == 0 { RW } else { libc::PROT_NONE };
        let at = base + i * PAGE;
        match vm::mmap(at, PAGE, prot, PRIV | libc::MAP_FIXED_NOREPLACE, -1, 0) {
            Ok(a) if a == at => {}
            other => return Err(format!("mapping {i}: {other:?}")),
        }
        if i % 2 == 0 {
            // SAFETY: our fresh writable page.
            unsafe { std::ptr::write_volatile(at as *mut u32, i as u32) };
        }
    }
    for i in (0..n).step_by(2) {
        // SAFETY: our page, written above.
        let v = unsafe { std::ptr::read_volatile((base + i * PAGE) as *const u32) };
        if v != i as u32 {
            return Err(format!("mapping {i} holds {v}"));
        }
    }
    for i in 0..n {
        if vm::munmap(base + i * PAGE, PAGE) != 0 {
            return Err(format!("munmap {i}: {}", ftest::errname(ftest::errno())));
        }
    }
    Ok(())
}

const MANY: usize = 10_000;

fn ten_thousand_alternating_mappings_come_and_go() -> CheckResult {
    let base = free_range(MANY * PAGE)?;
    alternating(base, MANY)?;
    // All gone: the whole range can be mapped again, and reads zero.
    let r = Region::map(
        base,
        MANY * PAGE,
        RW,
        PRIV | libc::MAP_FIXED_NOREPLACE,
        -1,
        0,
    )?;
    ensure_eq!(r.addr, base);
    page_is_zero(r.page(0))?;
    page_is_zero(r.page(MANY - 2))?;
    Ok(())
}

/// Ferrite's leak-check call: 2 takes a snapshot for one check (apart
/// from the suite's), 3 compares with it.
const SYS_FERRITE_LEAKCHECK: libc::c_long = 1001;

fn ten_thousand_mappings_leave_nothing_behind() -> CheckResult {
    check!(on_ferrite());
    let base = free_range(MANY * PAGE)?;
    // A first full round warms up everything that stays (page tables of
    // the range and of the stack, the process's own heap and stack pages,
    // the C library's state): only the second round must leave nothing.
    alternating(base, MANY)?;
    sys(vm::sc(SYS_FERRITE_LEAKCHECK, &[2]), "leak snapshot")?;
    alternating(base, MANY)?;
    let mut off = 0;
    for _ in 0..5 {
        off = vm::sc(SYS_FERRITE_LEAKCHECK, &[3]);
        if off == 0 {
            break;
        }
        utests::clock::sleep_ms(100);
    }
    ensure_eq!(
        off,
        0,
        "map entries, amaps, anons, pages or kernel memory left after 10,000 mappings (the kernel log names the pools)"
    );
    Ok(())
}
