//! The boot demonstration (`mode=demo`, what `scripts/run.sh` shows): a short
//! tour of what the kernel can do so far, then power off. Later layers add
//! fork, mmap, mlock and ptrace run by `init` in user mode.

use crate::arch::x86_64::{apic, cpu, qemu, tsc};
use crate::kern::heap;
use crate::pmap::direct;
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;

pub fn run() -> ! {
    log::info!("Ferrite is up; showing the layers that exist so far");

    let p = cpu::protection();
    log::info!(
        "protections: NX={} SMEP={} SMAP={} WP={}",
        p.nx,
        p.smep,
        p.smap,
        p.wp
    );

    let before = physmem::free_pages();
    // The first round warms up QEMU's code translation; the second is timed.
    let mut cycles = 0;
    for _ in 0..2 {
        let t0 = tsc::read();
        let pages: Vec<_> = (0..64)
            .map(|_| physmem::alloc_page_zeroed(PageUse::Kernel))
            .collect();
        cycles = tsc::read() - t0;
        for pa in pages.into_iter().flatten() {
            physmem::free_page(pa);
        }
    }
    log::info!(
        "allocated, zeroed and freed 64 pages: {} cycles per page; free pages {} -> {}",
        cycles / 64,
        before,
        physmem::free_pages()
    );
    match physmem::alloc_contig(512, 512, PageUse::Kernel) {
        Ok(pa) => {
            log::info!("2 MiB physically contiguous, 2 MiB aligned run at {pa:#x}");
            direct::zero_page(pa);
            physmem::free_contig(pa, 512);
        }
        Err(e) => log::warn!("contiguous allocation failed: {e}"),
    }
    log::info!("free pages back to {}", physmem::free_pages());

    let v: Vec<u64> = core::hint::black_box((0..100_000).collect());
    let h = heap::stats();
    log::info!(
        "heap holds a {}-element vector: {} bytes in use, {} arenas, {} pages",
        v.len(),
        h.bytes_in_use,
        h.arenas,
        h.pages
    );
    drop(v);

    let t = apic::ticks();
    while apic::ticks() < t + 5 {
        crate::arch::x86_64::wait_for_interrupt();
    }
    log::info!(
        "timer ticked from {} to {} at {} Hz",
        t,
        apic::ticks(),
        apic::timer_hz()
    );
    if let Err(e) = physmem::check_invariants() {
        panic!("physical memory invariants broken: {e}");
    }
    log::info!("done, powering off");
    qemu::exit(qemu::ExitCode::Success)
}
