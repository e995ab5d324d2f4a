//! ktests of the machine layer: traps are caught and decoded, the MMU
//! protections really stop the accesses they should (NX, SMEP, SMAP, WP),
//! the IST catches a kernel stack overflow, and the timer ticks.

use super::trap::{COUNTERS, PageFaultCode};
use super::{apic, backtrace, cpu, fw_cfg, gdt, probe, stack, tsc};
use crate::ktest::ktest;
use crate::pmap::direct;
use crate::pmap::{Pmap, PmapFlags, VmProt};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use core::sync::atomic::Ordering;

/// A lower-half address no one maps: scratch space for user-page tests.
const USER_TEST_VA: u64 = 0x0000_4000_0000_0000;

/// Assert that `fault` hit `addr` with all of `bits` in its error code.
fn expect_fault(fault: probe::Fault, addr: u64, bits: u64) {
    assert_eq!(fault.addr, addr, "CR2 must hold the faulting address");
    assert!(
        fault.code.has(bits),
        "error code {:#x} ({}) lacks {bits:#x}",
        fault.code.0,
        fault.code
    );
}

#[ktest]
fn breakpoint_is_caught_and_execution_continues() {
    let before = COUNTERS.breakpoints.load(Ordering::SeqCst);
    let here = breakpoint_is_caught_and_execution_continues as *const () as usize as u64;
    x86_64::instructions::interrupts::int3();
    assert_eq!(COUNTERS.breakpoints.load(Ordering::SeqCst), before + 1);
    let rip = COUNTERS.last_breakpoint_rip.load(Ordering::SeqCst);
    assert!(
        rip > here && rip < here + 4096,
        "breakpoint rip {rip:#x} not in the test ({here:#x})"
    );
}

#[ktest]
fn page_fault_on_unmapped_kernel_address_is_reported() {
    let va = 0xffff_c100_0000_1000; // outside the kernel map: nothing is ever mapped here
    let fault = probe::read_u8(va).expect_err("an unmapped address must fault");
    assert_eq!(fault.addr, va, "CR2 must hold the faulting address");
    assert!(
        !fault.code.has(PageFaultCode::PRESENT),
        "not-present fault expected: {}",
        fault.code
    );
    for bit in [
        PageFaultCode::WRITE,
        PageFaultCode::USER,
        PageFaultCode::INSTRUCTION,
    ] {
        assert!(
            !fault.code.has(bit),
            "unexpected bit {bit:#x} in {}",
            fault.code
        );
    }
}

#[ktest]
fn page_fault_error_code_is_decoded() {
    use alloc::format;
    let c = PageFaultCode(PageFaultCode::PRESENT | PageFaultCode::WRITE);
    assert_eq!(format!("{c}"), "protection violation, kernel write");
    let c = PageFaultCode(PageFaultCode::USER | PageFaultCode::INSTRUCTION);
    assert_eq!(format!("{c}"), "page not present, user instruction fetch");
    let c = PageFaultCode(PageFaultCode::RESERVED);
    assert_eq!(
        format!("{c}"),
        "page not present, kernel read, reserved bit set"
    );
}

#[ktest]
fn probe_reads_mapped_memory() {
    static VALUE: u8 = 0xa5;
    assert_eq!(probe::read_u8(&VALUE as *const u8 as u64), Ok(0xa5));
}

#[ktest]
fn write_protect_stops_kernel_writes_to_read_only_data() {
    static READ_ONLY: u8 = 0x5a;
    let addr = &READ_ONLY as *const u8 as u64;
    // SAFETY: the target is read-only data; if WP were off the write would
    // land in a byte only this test uses.
    let fault = unsafe { probe::write_u8(addr, 0) }.expect_err("write to rodata must fault");
    expect_fault(fault, addr, PageFaultCode::PRESENT | PageFaultCode::WRITE);
    assert_eq!(probe::read_u8(addr), Ok(0x5a));
}

#[ktest]
fn nx_stops_execution_from_a_data_page() {
    let mut page = physmem::alloc_owned(PageUse::Kernel).unwrap();
    direct::zero_page(&mut page);
    direct::write_bytes(&mut page, 0, &[0xc3]); // ret
    let pa = page.into_pa();
    let va = direct::phys_to_virt(pa);
    // SAFETY: the page holds a single `ret`; if NX failed it would just return.
    let result = unsafe { probe::exec(va) };
    physmem::free_page(pa);
    let fault = result.expect_err("executing a direct-map (NX) page must fault");
    expect_fault(
        fault,
        va,
        PageFaultCode::PRESENT | PageFaultCode::INSTRUCTION,
    );
}

/// Map one fresh page at USER_TEST_VA in a new user pmap, switch to it,
/// run `f`, switch back and free everything.
fn with_user_page<R>(byte: u8, prot: VmProt, f: impl FnOnce(u64) -> R) -> R {
    let mut page = physmem::alloc_owned(PageUse::Kernel).unwrap();
    direct::zero_page(&mut page);
    direct::write_bytes(&mut page, 0, &[byte]);
    let pa = page.into_pa();
    let pmap = Pmap::create().unwrap();
    pmap.enter(USER_TEST_VA, pa, prot, PmapFlags::empty())
        .unwrap();
    pmap.activate();
    let r = f(USER_TEST_VA);
    Pmap::kernel().activate();
    drop(pmap);
    physmem::free_page(pa);
    r
}

#[ktest]
fn smap_stops_kernel_access_to_a_user_page() {
    with_user_page(0x42, VmProt::READ | VmProt::WRITE, |va| {
        let fault =
            probe::read_u8(va).expect_err("SMAP must stop a plain kernel read of a user page");
        expect_fault(fault, va, PageFaultCode::PRESENT);
        let opened = cpu::with_user_access(|| probe::read_u8(va));
        assert_eq!(opened, Ok(0x42), "with STAC the read must succeed");
    });
}

#[ktest]
fn smep_stops_kernel_execution_of_a_user_page() {
    with_user_page(0xc3, VmProt::READ | VmProt::EXECUTE, |va| {
        // SAFETY: the page holds a single `ret`.
        let fault = unsafe { probe::exec(va) }.expect_err("SMEP must stop executing a user page");
        expect_fault(
            fault,
            va,
            PageFaultCode::PRESENT | PageFaultCode::INSTRUCTION,
        );
    });
}

#[ktest]
fn protections_are_enabled() {
    let p = cpu::protection();
    assert!(p.nx && p.smep && p.smap && p.wp, "{p:?}");
    // CLAC must be in force outside with_user_access.
    let rflags = x86_64::registers::rflags::read();
    assert!(!rflags.contains(x86_64::registers::rflags::RFlags::ALIGNMENT_CHECK));
}

/// Recurses until the stack runs out (on purpose: the guard page must stop it).
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let buf = core::hint::black_box([depth; 64]);
    buf[(depth % 64) as usize] + recurse(core::hint::black_box(depth + 1))
}

#[ktest(should_panic)]
fn kernel_stack_overflow_hits_the_guard_page() {
    core::hint::black_box(recurse(0));
}

#[ktest]
fn timer_ticks() {
    let t0 = apic::ticks();
    let c0 = tsc::read();
    while apic::ticks() < t0 + 3 {
        super::wait_for_interrupt();
    }
    let cycles = tsc::read() - c0;
    let per_tick = tsc::hz() / apic::timer_hz() as u64;
    assert!(
        cycles >= per_tick,
        "3 ticks took {cycles} cycles, one tick should be ~{per_tick}"
    );
}

#[ktest]
fn backtrace_walks_the_kernel_stack() {
    let frames: alloc::vec::Vec<u64> = backtrace::current_frames().collect();
    assert!(frames.len() >= 3, "only {} frames", frames.len());
    assert!(
        frames.iter().all(|pc| *pc >= crate::KERNEL_DYNAMIC_BASE),
        "{frames:x?}"
    );
}

#[ktest]
fn ist_stacks_are_separate_and_known() {
    let ist = gdt::ist_stacks();
    assert_eq!(ist.len(), stack::IST_COUNT);
    for (i, &(lo, hi)) in ist.iter().enumerate() {
        assert_eq!(lo % 16, 0);
        assert_eq!(hi - lo, stack::IST_STACK_SIZE as u64);
        assert!(stack::contains(lo, 8) && stack::contains(hi - 8, 8));
        for &(lo2, hi2) in &ist[i + 1..] {
            assert!(hi <= lo2 || hi2 <= lo, "IST stacks overlap");
        }
    }
    let (guard_lo, guard_hi) = stack::boot_stack_guard();
    assert_eq!(
        Pmap::kernel().extract(guard_lo),
        None,
        "the boot stack guard page must be unmapped"
    );
    assert!(!stack::contains(guard_lo, guard_hi - guard_lo));
}

#[ktest]
fn fw_cfg_carries_the_command_line() {
    assert!(fw_cfg::present());
    let cmdline = fw_cfg::read_cmdline();
    assert!(cmdline.contains("mode=test"), "cmdline: {cmdline}");
}
