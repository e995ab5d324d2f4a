//! Cost test: lookups and findspaces on a map of 100,000 entries touch
//! O(log n) entries on average (counted as store `get` calls).

mod common;

use common::*;
use ferrite_vmmap::*;

const N: u64 = 100_000;
const OPS: u64 = 10_000;
const SLOT: u64 = 64 * P;

/// 100,000 entries, one per 64-page slot at a random offset with a random
/// length, entered in random order.
fn build(rng: &mut Rng) -> (Map<usize>, VecStore<()>) {
    let min = P;
    let max = min + N * SLOT;
    let mut m = Map::new(min, max, false);
    let mut s = VecStore::new();
    let mut order: Vec<u64> = (0..N).collect();
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    for i in order {
        let off = rng.below(32) * P;
        let len = (1 + rng.below(16)) * P;
        let a = min + i * SLOT + off;
        m.map(&mut s, MapRequest::new(len, RW, ()).fixed_at(a))
            .unwrap();
    }
    assert_eq!(m.nentries(), N as usize);
    m.check(&mut s).unwrap();
    (m, s)
}

fn bound() -> f64 {
    8.0 * (N as f64).log2()
}

#[test]
fn lookups_and_findspaces_are_logarithmic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut m, mut s) = build(&mut rng);
    let (min, max) = (m.min(), m.max());

    s.gets.set(0);
    let mut hits = 0;
    for _ in 0..OPS {
        let a = min + rng.below(max - min);
        if m.lookup(&mut s, a).is_some() {
            hits += 1;
        }
    }
    let per_lookup = s.gets.get() as f64 / OPS as f64;
    assert!(hits > 0 && hits < OPS);

    s.gets.set(0);
    let mut found = 0;
    for _ in 0..OPS {
        let len = (1 + rng.below(48)) * P;
        let align = [0, 2 * P, 8 * P, 16 * P][rng.below(4) as usize];
        let hint = (rng.below(4) != 0).then(|| min + rng.below(max - min) / P * P);
        let topdown = rng.below(2) == 0;
        if m.findspace(&mut s, len, align, hint, topdown).is_some() {
            found += 1;
        }
    }
    let per_findspace = s.gets.get() as f64 / OPS as f64;
    assert!(found > OPS / 2);
    eprintln!(
        "n = {N}: {per_lookup:.1} gets per lookup, {per_findspace:.1} per findspace, bound {:.1}",
        bound()
    );
    assert!(per_lookup < bound(), "lookup: {per_lookup} gets on average");
    assert!(
        per_findspace < bound(),
        "findspace: {per_findspace} gets on average"
    );
    m.check(&mut s).unwrap();
}

/// Mapping and unmapping in the full map stays logarithmic too.
#[test]
fn map_unmap_cycles_are_logarithmic() {
    let mut rng = Rng(12345);
    let (mut m, mut s) = build(&mut rng);
    s.gets.set(0);
    for _ in 0..OPS {
        let len = (1 + rng.below(8)) * P;
        let a = m
            .map(&mut s, MapRequest::new(len, RW, ()).no_merge())
            .unwrap();
        m.unmap(&mut s, a, a + len).unwrap().free_all(&mut s);
    }
    let per_cycle = s.gets.get() as f64 / OPS as f64;
    eprintln!("{per_cycle:.1} gets per map+unmap cycle");
    assert!(
        per_cycle < 4.0 * bound(),
        "map+unmap: {per_cycle} gets on average"
    );
    assert_eq!(m.nentries(), N as usize);
    m.check(&mut s).unwrap();
}

/// Entries entered in address order leave the tree a 100,000-node path.
/// Long searches splay what they reach, so the path is repaired as it is
/// used: the first searches are expensive, the average over the run stays
/// logarithmic (the initial O(n log n) potential spread over the run).
#[test]
fn degenerate_tree_is_repaired_by_searches() {
    let mut rng = Rng(777);
    let min = P;
    let max = min + N * SLOT;
    let mut m = Map::new(min, max, false);
    let mut s = VecStore::<()>::new();
    for i in 0..N {
        m.map(&mut s, MapRequest::new(P, RW, ()).fixed_at(min + i * SLOT))
            .unwrap();
    }
    s.gets.set(0);
    for _ in 0..OPS {
        let a = min + rng.below(max - min);
        m.lookup(&mut s, a);
    }
    let first_run = s.gets.get() as f64 / OPS as f64;
    s.gets.set(0);
    for _ in 0..OPS {
        let a = min + rng.below(max - min);
        m.lookup(&mut s, a);
        let len = (1 + rng.below(80)) * P;
        m.findspace(&mut s, len, 0, Some(a / P * P), rng.below(2) == 0);
    }
    let second_run = s.gets.get() as f64 / (2 * OPS) as f64;
    eprintln!(
        "degenerate: {first_run:.1} gets per lookup in the first run, {second_run:.1} afterwards"
    );
    assert!(first_run < 2.0 * bound(), "first run: {first_run}");
    assert!(second_run < bound(), "second run: {second_run}");
    m.check(&mut s).unwrap();
}

/// A full walk with the splaying cursor over a degenerate 100,000-entry
/// tree costs O(log n) per step.
#[test]
fn cursor_walk_over_degenerate_tree() {
    let min = P;
    let mut m = Map::new(min, min + N * SLOT, true);
    let mut s = VecStore::<()>::new();
    for i in (0..N).rev() {
        m.map(&mut s, MapRequest::new(P, RW, ()).fixed_at(min + i * SLOT))
            .unwrap();
    }
    s.gets.set(0);
    let mut n = 0;
    let mut cur = m.first_entry(&mut s);
    while let Some(h) = cur {
        n += 1;
        cur = m.successor(&mut s, h);
    }
    assert_eq!(n, N);
    let per_step = s.gets.get() as f64 / N as f64;
    eprintln!("{per_step:.1} gets per cursor step");
    assert!(per_step < bound(), "cursor: {per_step}");
    m.check(&mut s).unwrap();
}
