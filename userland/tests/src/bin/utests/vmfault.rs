//! `user::vmfault`: memory faults as a program sees them, through its own
//! SIGSEGV/SIGBUS handler (SA_SIGINFO): the signal, `si_code` and the exact
//! `si_addr` for unmapped addresses (SEGV_MAPERR: a hole, the first page,
//! a kernel address), for accesses the mapping forbids (SEGV_ACCERR: a
//! write to the program's own code), for non-canonical addresses (a
//! general-protection fault: SI_KERNEL, address 0); and the stack growing
//! on demand within RLIMIT_STACK, never beyond it and never into the guard
//! gap above another mapping, and MAP_GROWSDOWN mappings growing the same
//! way.

use ftest::{CheckResult, check, checks, ensure_eq, sys};
use utests::fault::{self, Access, Fault, expect_fault};
use utests::mem::PAGE;
use utests::vm::{self, Region};

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;
const PRIV: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
/// si_code of a signal the kernel sends for a trap without a better code.
const SI_KERNEL: i32 = 0x80;
/// Linux's stack_guard_gap (256 pages).
const GUARD_GAP: usize = 256 * PAGE;

const CHECKS: &[ftest::Check] = checks![
    unmapped_accesses_are_maperr_at_the_exact_address,
    the_first_page_is_unmapped,
    kernel_addresses_are_maperr,
    non_canonical_addresses_are_a_general_protection_fault,
    writing_the_program_text_is_accerr,
    the_stack_grows_on_demand,
    the_stack_does_not_grow_past_rlimit_stack,
    the_stack_does_not_grow_into_the_guard_gap,
    a_growsdown_mapping_grows_on_a_fault_below_it,
];

pub fn main() {
    ftest::main("vmfault", CHECKS)
}

fn unmapped_accesses_are_maperr_at_the_exact_address() -> CheckResult {
    let hole = utests::mem::unmapped_page()?;
    for off in [0, 1, 999, PAGE - 1] {
        let at = hole + off;
        for kind in [Access::Read, Access::Write, Access::Exec] {
            expect_fault(kind, at, Fault::maperr(at), "an unmapped page")?;
        }
    }
    Ok(())
}

fn the_first_page_is_unmapped() -> CheckResult {
    for at in [0usize, 8, 0xfff] {
        expect_fault(Access::Read, at, Fault::maperr(at), "near NULL")?;
    }
    Ok(())
}

fn kernel_addresses_are_maperr() -> CheckResult {
    for at in [0xffff_8000_0000_0000usize, 0xffff_ffff_8000_0010] {
        expect_fault(Access::Read, at, Fault::maperr(at), "a kernel address")?;
        expect_fault(Access::Write, at, Fault::maperr(at), "a kernel address")?;
    }
    Ok(())
}

fn non_canonical_addresses_are_a_general_protection_fault() -> CheckResult {
    for at in [0x0000_8000_0000_0000usize, 0x8000_0000_0000_0000] {
        let want = Fault::segv(SI_KERNEL, 0);
        expect_fault(Access::Read, at, want, "a non-canonical address")?;
    }
    Ok(())
}

fn writing_the_program_text_is_accerr() -> CheckResult {
    let text = writing_the_program_text_is_accerr as *const () as usize;
    expect_fault(
        Access::Write,
        text,
        Fault::accerr(text),
        "the program's code",
    )?;
    ensure_eq!(fault::exec(ret_page()?.addr), Ok(()), "calling a ret");
    Ok(())
}

/// A readable, executable page holding a `ret`.
fn ret_page() -> Result<Region, String> {
    let r = Region::anon(PAGE, RW)?;
    r.set(0, 0xc3);
    sys(
        vm::mprotect(r.addr, PAGE, libc::PROT_READ | libc::PROT_EXEC),
        "mprotect",
    )?;
    Ok(r)
}

fn stack_pointer() -> usize {
    let local = 0u8;
    std::hint::black_box(std::ptr::addr_of!(local) as usize)
}

fn stack_limit() -> Result<usize, String> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: r is a valid out-pointer.
    sys(
        unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut r) },
        "getrlimit",
    )?;
    Ok(r.rlim_cur as usize)
}

/// True if nothing is mapped at `addr` (mincore says ENOMEM).
fn unmapped(addr: usize) -> bool {
    let mut v = 0u8;
    vm::sc(
        libc::SYS_mincore,
        &[addr & !(PAGE - 1), PAGE, &mut v as *mut u8 as usize],
    ) == -1
        && ftest::errno() == libc::ENOMEM
}

fn the_stack_grows_on_demand() -> CheckResult {
    let limit = stack_limit()?;
    check!(limit >= 4 << 20, "RLIMIT_STACK {limit}");
    let at = (stack_pointer() - (2 << 20)) & !(PAGE - 1);
    check!(
        unmapped(at),
        "2 MiB below the stack pointer is not mapped yet"
    );
    ensure_eq!(fault::read(at + 10), Ok(0), "a new stack page reads zero");
    fault::write(at + 10, 5).map_err(|f| f.to_string())?;
    ensure_eq!(fault::read(at + 10), Ok(5));
    // Everything between came with it.
    check!(!unmapped(at + PAGE), "the stack is one range");
    Ok(())
}

fn the_stack_does_not_grow_past_rlimit_stack() -> CheckResult {
    let limit = stack_limit()?;
    check!(limit <= 64 << 20, "RLIMIT_STACK {limit}");
    // Half a MiB beyond the limit, counted from the top (the stack pointer
    // is a little below it).
    let at = (stack_pointer() - limit - (512 << 10)) & !(PAGE - 1);
    check!(
        unmapped(at),
        "nothing is mapped {:#x} below the stack",
        limit + (512 << 10)
    );
    expect_fault(
        Access::Read,
        at + 3,
        Fault::maperr(at + 3),
        "past RLIMIT_STACK",
    )?;
    expect_fault(
        Access::Write,
        at + 3,
        Fault::maperr(at + 3),
        "past RLIMIT_STACK",
    )
}

fn the_stack_does_not_grow_into_the_guard_gap() -> CheckResult {
    // A target 4 MiB down, and a mapping 64 KiB below it: the gap between
    // them is less than the guard gap.
    let target = (stack_pointer() - (4 << 20)) & !(PAGE - 1);
    let other = target - (64 << 10);
    check!(
        unmapped(target) && unmapped(other),
        "the range below the stack is free"
    );
    let m = Region::map(other, PAGE, RW, PRIV | libc::MAP_FIXED_NOREPLACE, -1, 0)?;
    ensure_eq!(m.addr, other);
    expect_fault(
        Access::Write,
        target,
        Fault::maperr(target),
        "growing to within the guard gap",
    )?;
    // Just outside the gap it grows.
    let ok = other + PAGE + GUARD_GAP;
    fault::write(ok, 1).map_err(|f| format!("growing to the edge of the gap: {f}"))?;
    expect_fault(
        Access::Write,
        target,
        Fault::maperr(target),
        "still not within the gap",
    )?;
    Ok(())
}

fn a_growsdown_mapping_grows_on_a_fault_below_it() -> CheckResult {
    // Room: 2 MiB free, the mapping at the top of it.
    let base = vm::free_range(2 << 20)?;
    let top = base + (2 << 20);
    let g = Region::map(
        top - 4 * PAGE,
        4 * PAGE,
        RW,
        PRIV | libc::MAP_GROWSDOWN | libc::MAP_FIXED,
        -1,
        0,
    )?;
    g.set(0, 9);
    let below = g.addr - 3 * PAGE;
    ensure_eq!(
        fault::read(below),
        Ok(0),
        "three pages below a MAP_GROWSDOWN mapping"
    );
    fault::write(below, 1).map_err(|f| f.to_string())?;
    ensure_eq!(g.get(0), 9);
    vm::munmap(base, 2 << 20);
    g.forget();
    Ok(())
}
