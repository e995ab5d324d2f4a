//! Fault and address-space benchmarks: zero-fill fault per page, COW fault
//! per page, and vmspace_fork + teardown of a 64-page and a 16,384-page
//! address space.

use super::map::MapRequest;
use super::vmspace::{PAGE, Vmspace, default_layout};
use crate::bench::{cycles, report};
use crate::uvm::VmProt;
use crate::uvm::copy;
use alloc::sync::Arc;

const RW: VmProt = VmProt::READ.union(VmProt::WRITE);

/// Touch (write) every page of `[a, a + n pages)` in `vs`.
fn touch(vs: &Arc<Vmspace>, a: u64, n: u64, v: u8) {
    vs.activate();
    for i in 0..n {
        copy::copyout_u8(a + i * PAGE, v).expect("bench touch");
    }
    Vmspace::deactivate();
}

pub fn run() {
    const N: u64 = 1024;
    // Warm up the code paths once.
    let warm = Vmspace::new(default_layout()).expect("bench vmspace");
    let w = warm.map(MapRequest::anon(16 * PAGE, RW)).unwrap();
    touch(&warm, w, 16, 1);
    drop(warm.fork().unwrap());
    drop(warm);

    let vs = Vmspace::new(default_layout()).expect("bench vmspace");
    let a = vs.map(MapRequest::anon(N * PAGE, RW)).unwrap();
    let zero = cycles(|| touch(&vs, a, N, 1));
    let rewrite = cycles(|| touch(&vs, a, N, 2));
    report(
        "fault: zero-fill, per page (first write)",
        zero / N,
        "cycles",
    );
    report(
        "write to a resident page (no fault), per page",
        rewrite / N,
        "cycles",
    );

    let child = vs.fork().unwrap();
    let cow = cycles(|| touch(&child, a, N, 3));
    report(
        "fault: copy-on-write after fork, per page",
        cow / N,
        "cycles",
    );
    drop(child);
    drop(vs);

    for pages in [64u64, 16_384] {
        let vs = Vmspace::new(default_layout()).expect("bench vmspace");
        let a = vs.map(MapRequest::anon(pages * PAGE, RW)).unwrap();
        touch(&vs, a, pages, 1);
        let c = cycles(|| drop(vs.fork().expect("bench fork")));
        report(
            &alloc::format!("vmspace_fork + teardown, {pages}-page address space"),
            c,
            "cycles",
        );
        drop(vs);
    }
}
