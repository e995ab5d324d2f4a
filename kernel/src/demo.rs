//! The boot demonstration (`mode=demo`, what `scripts/run.sh` shows): a short
//! tour of what the kernel can do so far, then power off. Later layers add
//! fork, mmap, mlock and ptrace run by `init` in user mode.

use crate::arch::x86_64::{apic, cpu, qemu, tsc};
use crate::kern::mem::kmem;
use crate::kern::mem::malloc::MallocFlags;
use crate::kern::mem::pool::PoolFlags;
use crate::kern::mem::pool_box::TypedPool;
use crate::uvm::page::PageUse;
use crate::uvm::physmem;
use alloc::vec::Vec;

/// An example object type with its own pool.
struct DemoObject {
    id: u64,
    _payload: [u64; 7],
}

static DEMO_POOL: TypedPool<DemoObject> = TypedPool::new("demo-object");
crate::malloc_type!(M_DEMO, "demo", 64 * 1024);

/// An address space: mmap, page faults, fork with copy-on-write, mlock.
fn address_spaces() {
    use crate::uvm::copy;
    use crate::uvm::map::MapRequest;
    use crate::uvm::vmspace::{PAGE, Vmspace, default_layout};
    use crate::uvm::{VmProt, amap, anon, fault};
    use core::sync::atomic::Ordering::Relaxed;
    let rw = VmProt::READ | VmProt::WRITE;
    let parent = Vmspace::new(default_layout()).expect("vmspace");
    let a = parent.map(MapRequest::anon(16 * PAGE, rw)).expect("mmap");
    log::info!(
        "vmspace: mmap of 16 pages at {a:#x} (topdown, below the stack); nothing resident yet"
    );
    parent.activate();
    for i in 0..16 {
        copy::copyout_u8(a + i * PAGE, i as u8).expect("write");
    }
    Vmspace::deactivate();
    log::info!(
        "vmspace: touched 16 pages: {} zero-fill faults so far, {} resident",
        fault::STATS.zero_fills.load(Relaxed),
        parent.pmap.resident_count()
    );
    let child = parent.fork().expect("fork");
    let am = parent
        .map
        .lookup(a)
        .and_then(|e| e.backing.amap)
        .expect("amap");
    log::info!(
        "vmspace: fork: child shares the amap (references: {}) copy-on-write",
        amap::refs(am.amap)
    );
    child.activate();
    copy::copyout_u8(a, 0xaa).expect("child write");
    Vmspace::deactivate();
    parent.activate();
    let seen = copy::copyin_u8(a).expect("parent read");
    Vmspace::deactivate();
    log::info!(
        "vmspace: the child wrote 0xaa to page 0, the parent still reads {seen:#x}; {} copy-on-write faults so far",
        fault::STATS.cow_copies.load(Relaxed)
    );
    child.wire(a, a + 4 * PAGE).expect("mlock");
    log::info!(
        "vmspace: mlock of 4 pages in the child: {} wired mappings",
        child.pmap.wired_count()
    );
    child.unwire(a, a + 4 * PAGE).expect("munlock");
    drop(child);
    drop(parent);
    log::info!(
        "vmspace: both address spaces torn down, {} anons left",
        anon::count()
    );
}

/// Objects from a typed pool and memory from a malloc type.
fn pools() {
    let objects: Vec<_> = (0..1000)
        .filter_map(|id| {
            DEMO_POOL.get(
                DemoObject {
                    id,
                    _payload: [0; 7],
                },
                PoolFlags::WAITOK,
            )
        })
        .collect();
    let s = DEMO_POOL.pool().stats();
    log::info!(
        "pool demo-object: {} objects of {} bytes in {} pages ({} per page), ids 0..={}",
        s.in_use,
        DEMO_POOL.pool().size(),
        s.pages,
        DEMO_POOL.pool().items_per_page(),
        objects.last().map_or(0, |o| o.id)
    );
    drop(objects);
    let buf = M_DEMO
        .alloc(60 * 1024, MallocFlags::NOWAIT)
        .expect("60 KiB of M_DEMO");
    match M_DEMO.alloc(8 * 1024, MallocFlags::NOWAIT) {
        Ok(_) => log::warn!("malloc type demo: the limit did not hold"),
        Err(e) => log::info!(
            "malloc type demo: 60 KiB in use, another 8 KiB refused by its 64 KiB limit ({e})"
        ),
    }
    drop(buf);
}

pub fn run(opts: &ferrite_cmdline::Options) -> ! {
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
            physmem::free_contig(pa, 512);
        }
        Err(e) => log::warn!("contiguous allocation failed: {e}"),
    }
    log::info!("free pages back to {}", physmem::free_pages());

    let v: Vec<u64> = core::hint::black_box((0..100_000).collect());
    let k = kmem::stats();
    log::info!(
        "kmem holds a {}-element vector: {} bytes in {} blocks in use, {} pages in large blocks",
        v.len(),
        k.bytes_in_use,
        k.allocations,
        k.large_pages
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
    pools();
    address_spaces();
    if opts.vmstat {
        crate::kern::mem::vmstat::print();
    }
    log::info!("done, powering off");
    qemu::exit(qemu::ExitCode::Success)
}
