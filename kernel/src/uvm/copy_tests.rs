//! ktests of copyin/copyout/copyinstr and of the fault routine under
//! concurrency and memory shortage.

use super::VmProt;
use super::copy::{self, StrError};
use super::map::MapRequest;
use super::physmem;
use super::vmspace::{PAGE, Vmspace, default_layout};
use crate::kern::error::{KResult, KernError};
use crate::kern::sched::spinlock::SpinLock;
use crate::kern::sched::{lwp, sched::Stat, sleepq, yield_now};
use crate::ktest::ktest;
use crate::uvm::page::PageUse;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);

/// Run `f` with `vs` as the current address space.
fn inside<R>(vs: &Arc<Vmspace>, f: impl FnOnce() -> R) -> R {
    vs.activate();
    let r = f();
    Vmspace::deactivate();
    r
}

#[ktest]
fn copies_of_bad_user_ranges_are_efault_without_any_access() -> KResult<()> {
    let vs = Vmspace::new(default_layout())?;
    let none = vs.map(MapRequest::anon(PAGE, VmProt::empty()))?;
    let gone = vs.map(MapRequest::anon(PAGE, RW))?;
    vs.unmap(gone, gone + PAGE)?;
    let mut buf = [0u8; 16];
    let bad: [(u64, &str); 7] = [
        (0, "NULL"),
        (0xffff_8000_0000_0000, "a kernel address"),
        (0x0000_8000_0000_0000, "the first non-canonical address"),
        (0x8000_0000_0000_0000, "a non-canonical address"),
        (0x0000_7fff_ffff_fff8, "a range running past the user half"),
        (none, "a PROT_NONE page"),
        (gone, "an unmapped page"),
    ];
    inside(&vs, || {
        for (addr, what) in bad {
            assert_eq!(
                copy::copyin(&mut buf, addr),
                Err(KernError::Fault),
                "copyin from {what}"
            );
            assert_eq!(
                copy::copyout(addr, &buf),
                Err(KernError::Fault),
                "copyout to {what}"
            );
            assert_eq!(
                copy::copyinstr(addr, &mut buf),
                Err(StrError::Fault),
                "copyinstr from {what}"
            );
        }
        // A range that wraps around the address space.
        assert_eq!(copy::check_range(u64::MAX - 4, 16), Err(KernError::Fault));
        assert_eq!(copy::copyin(&mut buf, u64::MAX - 4), Err(KernError::Fault));
    });
    Ok(())
}

#[ktest]
fn copies_cross_page_boundaries_and_fault_in_untouched_pages() -> KResult<()> {
    let vs = Vmspace::new(default_layout())?;
    let a = vs.map(MapRequest::anon(3 * PAGE, RW))?;
    let data: Vec<u8> = (0..2 * PAGE as usize)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let before = super::fault::STATS
        .zero_fills
        .load(core::sync::atomic::Ordering::Relaxed);
    let mut back = vec![0u8; data.len()];
    inside(&vs, || -> KResult<()> {
        // Nothing is resident: the copy faults pages in as it goes.
        copy::copyout(a + PAGE / 2, &data)?;
        copy::copyin(&mut back, a + PAGE / 2)?;
        Ok(())
    })?;
    assert_eq!(back, data, "a page-crossing copy round trip");
    let fills = super::fault::STATS
        .zero_fills
        .load(core::sync::atomic::Ordering::Relaxed)
        - before;
    assert_eq!(
        fills, 3,
        "three untouched pages were zero-filled by the copy"
    );
    // A read-only page refuses copyout but allows copyin.
    vs.protect(a, a + PAGE, VmProt::READ)?;
    inside(&vs, || {
        assert_eq!(copy::copyout(a, &[1]), Err(KernError::Fault));
        assert!(copy::copyin(&mut [0u8; 1], a).is_ok());
    });
    Ok(())
}

#[ktest]
fn copyinstr_stops_at_the_nul_and_reports_overlong_strings() -> KResult<()> {
    let vs = Vmspace::new(default_layout())?;
    let a = vs.map(MapRequest::anon(2 * PAGE, RW))?;
    inside(&vs, || -> KResult<()> {
        // "hello" ending exactly at a page boundary, the NUL on the next page.
        copy::copyout(a + PAGE - 5, b"hello\0")?;
        let mut buf = [0xffu8; 32];
        assert_eq!(copy::copyinstr(a + PAGE - 5, &mut buf), Ok(5));
        assert_eq!(&buf[..6], b"hello\0");
        assert_eq!(
            copy::copyinstr(a + PAGE - 5, &mut buf[..5]),
            Err(StrError::TooLong)
        );
        assert_eq!(copy::copyinstr(a + PAGE - 5, &mut buf[..6]), Ok(5));
        Ok(())
    })?;
    // A string running into an unmapped page is a fault, not "too long".
    let b = vs.map(MapRequest::anon(PAGE, RW).hint(0x6000_0000))?;
    inside(&vs, || -> KResult<()> {
        copy::copyout(b, &[b'x'; PAGE as usize])?;
        let mut buf = vec![0u8; 2 * PAGE as usize];
        assert_eq!(copy::copyinstr(b, &mut buf), Err(StrError::Fault));
        Ok(())
    })?;
    Ok(())
}

#[ktest]
fn a_kernel_access_to_user_memory_outside_a_copy_routine_is_a_kernel_bug_not_a_retry() {
    // With SMAP on, a plain load of a user address (no copy routine, AC
    // clear) is reported, never resolved: the probe sees the fault.
    let vs = Vmspace::new(default_layout()).unwrap();
    let a = vs.map(MapRequest::anon(PAGE, RW)).unwrap();
    inside(&vs, || {
        copy::copyout_u8(a, 9).unwrap();
        let r = crate::arch::x86_64::probe::read_u8(a);
        if crate::arch::x86_64::cpu::smap_on() {
            assert!(
                r.is_err(),
                "SMAP must stop a plain kernel read of user memory"
            );
        }
        assert_eq!(copy::copyin_u8(a), Ok(9));
    });
}

/// Two threads on one address space: one faults pages in, the other unmaps
/// and maps the same range again and again. Nothing may crash, nothing may
/// be mapped from a freed page, nothing may leak.
#[ktest(timeout_ms = 120000)]
fn faults_and_unmaps_of_the_same_range_race_safely() -> KResult<()> {
    static VS: SpinLock<Option<Arc<Vmspace>>> = SpinLock::new("test-vs", None);
    static STOP: AtomicBool = AtomicBool::new(false);
    static FAULTS_OK: AtomicU64 = AtomicU64::new(0);
    static FAULTS_FAILED: AtomicU64 = AtomicU64::new(0);
    const BASE: u64 = 0x7000_0000;
    const PAGES: u64 = 8;
    fn faulter(_: usize) {
        let vs = VS.lock().clone().expect("vmspace");
        vs.activate();
        let mut i = 0u64;
        while !STOP.load(Ordering::Relaxed) {
            let va = BASE + (i % PAGES) * PAGE;
            match copy::copyout_u8(va, i as u8) {
                Ok(()) => FAULTS_OK.fetch_add(1, Ordering::Relaxed),
                Err(_) => FAULTS_FAILED.fetch_add(1, Ordering::Relaxed),
            };
            i += 1;
            if i.is_multiple_of(16) {
                yield_now();
            }
        }
        Vmspace::deactivate();
    }
    STOP.store(false, Ordering::SeqCst);
    let vs = Vmspace::new(default_layout())?;
    vs.map(MapRequest::anon(PAGES * PAGE, RW).at(BASE))?;
    *VS.lock() = Some(vs.clone());
    let t = lwp::kthread_create("faulter", faulter, 0)?;
    for round in 0..200 {
        vs.unmap(BASE, BASE + PAGES * PAGE)?;
        if round % 3 == 0 {
            yield_now();
        }
        vs.map(MapRequest::anon(PAGES * PAGE, RW).at(BASE))?;
        yield_now();
        vs.map.check_invariants().expect("map invariants");
    }
    STOP.store(true, Ordering::SeqCst);
    lwp::join(t);
    assert!(
        FAULTS_OK.load(Ordering::Relaxed) > 0,
        "some faults succeeded"
    );
    vs.unmap(BASE, BASE + PAGES * PAGE)?;
    assert_eq!(vs.pmap.resident_count(), 0, "no stale mapping left behind");
    *VS.lock() = None;
    Ok(())
}

/// The fault routine, short of memory, sleeps until pages are freed and
/// then completes (uvm_wait).
#[ktest(timeout_ms = 120000)]
fn a_fault_short_of_memory_sleeps_until_pages_are_freed() -> KResult<()> {
    static VS: SpinLock<Option<Arc<Vmspace>>> = SpinLock::new("test-vs", None);
    static RESULT: AtomicUsize = AtomicUsize::new(0);
    const VA: u64 = 0x6800_0000;
    fn toucher(_: usize) {
        let vs = VS.lock().clone().expect("vmspace");
        vs.activate();
        let r = copy::copyout_u8(VA, 1);
        RESULT.store(if r.is_ok() { 1 } else { 2 }, Ordering::SeqCst);
        Vmspace::deactivate();
    }
    RESULT.store(0, Ordering::SeqCst);
    let vs = Vmspace::new(default_layout())?;
    vs.map(MapRequest::anon(PAGE, RW).at(VA))?;
    *VS.lock() = Some(vs);
    // The thread exists (it runs once this one sleeps); then every free
    // page is taken.
    let no_preempt = crate::kern::sched::NoPreempt::new();
    let t = lwp::kthread_create("toucher", toucher, 0)?;
    let mut hoard: Vec<u64> = Vec::with_capacity(physmem::free_pages() as usize + 256);
    loop {
        // Cached pages too: what uvm_wait's drains could find.
        let freed = crate::kern::mem::pool_allocator::KMEM_ALLOCATOR.drain()
            + crate::kern::sched::kstack::drain_cache() as u64;
        while hoard.len() < hoard.capacity()
            && let Ok(pa) = physmem::alloc_page(PageUse::Kernel)
        {
            hoard.push(pa);
        }
        if freed == 0 {
            break;
        }
    }
    assert_eq!(physmem::free_pages(), 0, "every page is taken");
    drop(no_preempt);
    // It faults, finds no page, and sleeps waiting for one.
    let mut waited = 0;
    while physmem::page_waiters() == 0 && lwp::stat_of(&t) != Stat::Zombie {
        let _ = sleepq::sleep(sleepq::chan(&RESULT), false, Some(1));
        waited += 1;
        assert!(waited < 2000, "the fault never waited for memory");
    }
    assert_eq!(
        RESULT.load(Ordering::SeqCst),
        0,
        "the fault did not complete without memory"
    );
    assert_eq!(
        lwp::stat_of(&t),
        Stat::Sleeping,
        "the faulting thread sleeps"
    );
    // Give pages back: the free path wakes it and the fault completes.
    for pa in hoard.drain(..64) {
        physmem::free_page(pa);
    }
    lwp::join(t);
    for pa in hoard {
        physmem::free_page(pa);
    }
    assert_eq!(
        RESULT.load(Ordering::SeqCst),
        1,
        "the fault completed after the free"
    );
    *VS.lock() = None;
    Ok(())
}
