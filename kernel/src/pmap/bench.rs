//! pmap benchmarks: the cost of entering and removing mappings, and what
//! deferring TLB invalidation to one `update()` saves over invalidating
//! page by page.

use super::{Pmap, PmapFlags, Vaddr, VmProt, update};
use crate::bench::{cycles, report};
use crate::uvm::page::PageUse;
use crate::uvm::physmem;

const VA: Vaddr = 0x0000_2000_0000_0000;
const RW: VmProt = VmProt::READ.union(VmProt::WRITE);

pub fn run() {
    let pmap = Pmap::create().expect("bench pmap");
    let pa = physmem::alloc_page_zeroed(PageUse::Kernel).expect("bench page");
    // The pmap is active, so every removal really needs a TLB invalidation.
    pmap.activate();

    // Warm up (QEMU translates code on first use) and leave the page table
    // in place so the loop measures the mapping itself.
    pmap.enter(VA + 4096, pa, RW, PmapFlags::empty()).unwrap();
    let one = |n: u64| {
        cycles(|| {
            for _ in 0..n {
                pmap.enter(VA, pa, RW, PmapFlags::empty()).unwrap();
                pmap.remove(VA, VA + 4096);
                update();
            }
        })
    };
    one(100);
    report(
        "pmap enter+remove+update, 1 page",
        one(1000) / 1000,
        "cycles",
    );

    // 1000 distinct pages, as a real address space would map.
    const N: u64 = 1000;
    let pages: alloc::vec::Vec<u64> = (0..N)
        .map(|_| physmem::alloc_page(PageUse::Kernel).expect("bench pages"))
        .collect();
    let enter_all = || {
        cycles(|| {
            for (i, &p) in pages.iter().enumerate() {
                pmap.enter(VA + i as u64 * 4096, p, RW, PmapFlags::empty())
                    .unwrap();
            }
        })
    };
    let batched = |enter: u64| {
        let remove = cycles(|| {
            pmap.remove(VA, VA + N * 4096);
            update();
        });
        (enter, remove)
    };
    let per_page = || {
        cycles(|| {
            for i in 0..N {
                pmap.remove(VA + i * 4096, VA + (i + 1) * 4096);
                update();
            }
        })
    };
    // Warm-up round of both strategies.
    let e = enter_all();
    batched(e);
    enter_all();
    per_page();

    let (enter, remove_batched) = batched(enter_all());
    enter_all();
    let remove_per_page = per_page();
    report("pmap enter, 1000 pages (per page)", enter / N, "cycles");
    report(
        "pmap remove 1000 pages + one update (per page)",
        remove_batched / N,
        "cycles",
    );
    report(
        "pmap remove+update page by page, 1000 pages (per page)",
        remove_per_page / N,
        "cycles",
    );
    report(
        "pmap remove 1000 pages + one update (total)",
        remove_batched,
        "cycles",
    );
    report(
        "pmap remove+update page by page, 1000 pages (total)",
        remove_per_page,
        "cycles",
    );

    Pmap::kernel().activate();
    drop(pmap);
    physmem::free_page(pa);
    pages.into_iter().for_each(physmem::free_page);
}
