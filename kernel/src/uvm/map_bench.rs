//! vm_map benchmarks: lookup and map+unmap cost with 10, 1,000 and 100,000
//! entries; the augmented splay tree should make them grow logarithmically.

use super::map::{MapKind, MapRequest, VmMap};
use crate::bench::{cycles, report};
use crate::uvm::VmProt;

const P: u64 = 4096;
const BASE: u64 = 0x1000_0000;
const OPS: u64 = 1000;

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// A map with `n` one-page entries, each followed by a one-page hole.
fn populated(n: u64) -> VmMap {
    let m = VmMap::new(
        MapKind::User,
        BASE,
        BASE + 4 * n * P + (1 << 30),
        true,
        None,
    );
    for i in 0..n {
        let mut r = MapRequest::anon(P, VmProt::READ | VmProt::WRITE).at(BASE + 2 * i * P);
        r.merge = false;
        m.map(r).expect("bench map");
    }
    m
}

pub fn run() {
    for n in [10u64, 1000, 100_000] {
        let m = populated(n);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut lookups = || {
            cycles(|| {
                for _ in 0..OPS {
                    let i = xorshift(&mut seed) % n;
                    core::hint::black_box(m.lookup(BASE + 2 * i * P));
                }
            })
        };
        lookups(); // warm-up
        report(
            &alloc::format!("vm_map lookup (random), {n} entries"),
            lookups() / OPS,
            "cycles",
        );

        let map_unmap = || {
            cycles(|| {
                for _ in 0..OPS {
                    let a = m.map(MapRequest::anon(P, VmProt::READ)).expect("bench map");
                    m.reap(m.unmap(a, a + P).expect("bench unmap"), |_| {});
                }
            })
        };
        map_unmap();
        report(
            &alloc::format!("vm_map map+unmap (findspace), {n} entries"),
            map_unmap() / OPS,
            "cycles",
        );

        let mut fixed_holes = || {
            cycles(|| {
                for _ in 0..OPS {
                    let hole = BASE + (2 * (xorshift(&mut seed) % n) + 1) * P;
                    let mut r = MapRequest::anon(P, VmProt::READ).at(hole);
                    r.merge = false;
                    m.map(r).expect("bench map");
                    m.reap(m.unmap(hole, hole + P).expect("bench unmap"), |_| {});
                }
            })
        };
        fixed_holes();
        report(
            &alloc::format!("vm_map map+unmap (fixed, random hole), {n} entries"),
            fixed_holes() / OPS,
            "cycles",
        );
        drop(m);
    }
}
