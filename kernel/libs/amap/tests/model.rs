//! Model-based property test: random sequences of every amap operation on a
//! small world of live amaps, each mirrored by a plain model (per slot: an
//! optional anon id and a page reference count; plus refs, the shared flag,
//! whether ppref exists, and the list of arefs).
//!
//! After each step every result is compared with the model's prediction,
//! `check()` must pass on every live amap, its whole observable state must
//! match the model, and the anon reference counts kept from the callbacks
//! (`dropped`, `referenced`, and the anons returned by `add`/`unadd`) must
//! equal, for every anon, the number of slots of live amaps holding it (so
//! they never go negative and reach zero only when nobody holds the anon).
//!
//! Some amaps run with the allocation-limit hook: an operation that may
//! allocate is then allowed to fail with `NoMem`, in which case the amap's
//! observable state must be unchanged and no callback may have run.

use std::collections::HashMap;

use ferrite_amap::{Amap, AmapError, Direction, ExtendOutcome};
use proptest::prelude::*;
use proptest::sample::Index;

type Anon = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    anon: Option<Anon>,
    count: u32,
}

const EMPTY: Page = Page {
    anon: None,
    count: 0,
};

#[derive(Debug)]
struct Model {
    /// One entry per slot of `[0, nslot)`.
    pages: Vec<Page>,
    refs: u32,
    shared: bool,
    ppref: bool,
    /// The arefs (slot offset, length); `refs == arefs.len()`.
    arefs: Vec<(usize, usize)>,
}

impl Model {
    fn new(slots: usize) -> Self {
        Model {
            pages: vec![
                Page {
                    anon: None,
                    count: 1
                };
                slots
            ],
            refs: 1,
            shared: false,
            ppref: false,
            arefs: vec![(0, slots)],
        }
    }

    fn nslot(&self) -> usize {
        self.pages.len()
    }

    /// Without ppref: the referenced window `[lead, nslot)`.
    fn is_window(&self, start: usize, end: usize) -> bool {
        let lead = self.pages.iter().take_while(|p| p.count == 0).count();
        start == lead && end == self.nslot()
    }

    fn used(&self, start: usize, end: usize) -> Vec<(usize, Anon)> {
        (start..end.min(self.nslot()))
            .filter_map(|s| self.pages[s].anon.map(|a| (s, a)))
            .collect()
    }
}

/// Everything observable about an amap.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    nslot: usize,
    maxslot: usize,
    nused: usize,
    refs: u32,
    shared: bool,
    ppref: bool,
    held: usize,
    slots: Vec<(Option<Anon>, u32)>,
}

fn observe(a: &Amap<Anon>) -> Observed {
    Observed {
        nslot: a.nslot(),
        maxslot: a.maxslot(),
        nused: a.nused(),
        refs: a.refs(),
        shared: a.is_shared(),
        ppref: a.has_ppref(),
        held: a.held_elements(),
        slots: (0..a.maxslot() + 1)
            .map(|s| (a.lookup(s), a.page_refs(s)))
            .collect(),
    }
}

fn compare(a: &Amap<Anon>, m: &Model) {
    a.check().unwrap();
    assert_eq!(a.nslot(), m.nslot());
    assert_eq!(a.refs(), m.refs);
    assert_eq!(a.refs() as usize, m.arefs.len());
    assert_eq!(a.is_shared(), m.shared);
    assert_eq!(a.has_ppref(), m.ppref);
    assert_eq!(
        a.nused(),
        m.pages.iter().filter(|p| p.anon.is_some()).count()
    );
    for (s, p) in m.pages.iter().enumerate() {
        assert_eq!(a.lookup(s), p.anon, "slot {s}");
        assert_eq!(a.page_refs(s), p.count, "slot {s}");
    }
    assert_eq!(a.lookup(m.nslot()), None);
    assert_eq!(a.page_refs(m.nslot()), 0);
}

#[derive(Clone, Debug)]
enum Op {
    New {
        slots: usize,
        pad: usize,
        limit_extra: Option<usize>,
    },
    Add {
        amap: Index,
        slot: Index,
        replace: bool,
    },
    Unadd {
        amap: Index,
        slot: Index,
    },
    Lookup {
        amap: Index,
        slot: Index,
    },
    Lookups {
        amap: Index,
        start: Index,
        len: usize,
    },
    AddRef {
        amap: Index,
        start: Index,
        len: Index,
        partial: bool,
    },
    RemoveRef {
        amap: Index,
        aref: Index,
    },
    RemoveBogus {
        amap: Index,
        start: Index,
        len: Index,
    },
    SplitRef {
        amap: Index,
        aref: Index,
        offset: Index,
    },
    CopyRange {
        amap: Index,
        aref: Index,
        start: Index,
        len: Index,
    },
    Extend {
        amap: Index,
        more: usize,
        forward: bool,
    },
    SetShared {
        amap: Index,
        shared: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let i = any::<Index>;
    prop_oneof![
        1 => (1..10usize, 0..6usize, proptest::option::of(0..60usize))
            .prop_map(|(slots, pad, limit_extra)| Op::New { slots, pad, limit_extra }),
        8 => (i(), i(), proptest::bool::weighted(0.2))
            .prop_map(|(amap, slot, replace)| Op::Add { amap, slot, replace }),
        3 => (i(), i()).prop_map(|(amap, slot)| Op::Unadd { amap, slot }),
        1 => (i(), i()).prop_map(|(amap, slot)| Op::Lookup { amap, slot }),
        2 => (i(), i(), 0..14usize).prop_map(|(amap, start, len)| Op::Lookups { amap, start, len }),
        3 => (i(), i(), i(), any::<bool>())
            .prop_map(|(amap, start, len, partial)| Op::AddRef { amap, start, len, partial }),
        3 => (i(), i()).prop_map(|(amap, aref)| Op::RemoveRef { amap, aref }),
        1 => (i(), i(), i()).prop_map(|(amap, start, len)| Op::RemoveBogus { amap, start, len }),
        3 => (i(), i(), i()).prop_map(|(amap, aref, offset)| Op::SplitRef { amap, aref, offset }),
        2 => (i(), i(), i(), i())
            .prop_map(|(amap, aref, start, len)| Op::CopyRange { amap, aref, start, len }),
        4 => (i(), 1..10usize, any::<bool>())
            .prop_map(|(amap, more, forward)| Op::Extend { amap, more, forward }),
        1 => (i(), any::<bool>()).prop_map(|(amap, shared)| Op::SetShared { amap, shared }),
    ]
}

fn hit(stats: &mut HashMap<&'static str, usize>, what: &'static str) {
    *stats.entry(what).or_default() += 1;
}

struct World {
    live: Vec<(Amap<Anon>, Model)>,
    /// Anon reference counts as the kernel would keep them.
    anon_refs: HashMap<Anon, i64>,
    next_anon: Anon,
    /// How often each interesting case ran (see `model_reaches_every_case`).
    stats: HashMap<&'static str, usize>,
}

/// NoMem is acceptable only for an allocating operation on an amap with
/// the limit armed; then nothing may have changed.
fn assert_nomem_ok(a: &Amap<Anon>, before: &Observed, may_allocate: bool) {
    assert!(may_allocate, "NoMem from an operation that needs no memory");
    assert!(a.alloc_limit().is_some(), "NoMem without the limit hook");
    assert_eq!(&observe(a), before, "NoMem changed the amap");
}

impl World {
    fn new() -> Self {
        World {
            live: vec![(Amap::new(6, 2).unwrap(), Model::new(6))],
            anon_refs: HashMap::new(),
            next_anon: 1,
            stats: HashMap::new(),
        }
    }

    fn unref_anon(&mut self, anon: Anon) {
        let c = self.anon_refs.get_mut(&anon).expect("unknown anon");
        *c -= 1;
        assert!(*c >= 0, "anon {anon} reference count went negative");
    }

    fn check(&self) {
        let mut holders: HashMap<Anon, i64> = HashMap::new();
        for (a, m) in &self.live {
            compare(a, m);
            for (_, anon) in a.lookups(0, a.nslot()) {
                *holders.entry(anon).or_default() += 1;
            }
        }
        for (anon, &count) in &self.anon_refs {
            assert!(count >= 0);
            assert_eq!(
                count,
                holders.get(anon).copied().unwrap_or(0),
                "anon {anon}: reference count differs from its holders"
            );
        }
        for anon in holders.keys() {
            assert!(self.anon_refs.contains_key(anon));
        }
    }

    fn step(&mut self, op: Op) {
        if self.live.is_empty() && !matches!(op, Op::New { .. }) {
            return;
        }
        let pick = |idx: &Index, live: &Vec<(Amap<Anon>, Model)>| idx.index(live.len());
        match op {
            Op::New {
                slots,
                pad,
                limit_extra,
            } => {
                if self.live.len() >= 8 {
                    return;
                }
                let a = match limit_extra {
                    Some(extra) => {
                        Amap::with_alloc_limit(slots, pad, 3 * (slots + pad) + extra).unwrap()
                    }
                    None => Amap::new(slots, pad).unwrap(),
                };
                self.live.push((a, Model::new(slots)));
            }
            Op::Add {
                amap,
                slot,
                replace,
            } => {
                let k = pick(&amap, &self.live);
                let anon = self.next_anon;
                self.next_anon += 1;
                let (a, m) = &mut self.live[k];
                let slot = slot.index(m.nslot() + 1);
                let page = m.pages.get(slot).copied().unwrap_or(EMPTY);
                let expect = match (page.count, page.anon, replace) {
                    (0, _, _) => Err(AmapError::Inval),
                    (_, Some(old), true) => Ok(Some(old)),
                    (_, None, false) => Ok(None),
                    _ => Err(AmapError::Inval),
                };
                assert_eq!(a.add(slot, anon, replace), expect);
                hit(
                    &mut self.stats,
                    match expect {
                        Ok(None) => "add",
                        Ok(Some(_)) => "add_replace",
                        Err(_) => "add_inval",
                    },
                );
                if let Ok(old) = expect {
                    m.pages[slot].anon = Some(anon);
                    self.anon_refs.insert(anon, 1);
                    if let Some(old) = old {
                        self.unref_anon(old);
                    }
                }
            }
            Op::Unadd { amap, slot } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let slot = slot.index(m.nslot() + 1);
                let expect = m.pages.get_mut(slot).and_then(|p| p.anon.take());
                assert_eq!(a.unadd(slot), expect);
                if let Some(old) = expect {
                    self.unref_anon(old);
                }
            }
            Op::Lookup { amap, slot } => {
                let (a, m) = &self.live[pick(&amap, &self.live)];
                let slot = slot.index(m.nslot() + 3);
                assert_eq!(a.lookup(slot), m.pages.get(slot).and_then(|p| p.anon));
            }
            Op::Lookups { amap, start, len } => {
                let (a, m) = &self.live[pick(&amap, &self.live)];
                let start = start.index(m.nslot() + 2);
                let mut got: Vec<_> = a.lookups(start, len).collect();
                got.sort();
                assert_eq!(got, m.used(start, start + len));
            }
            Op::AddRef {
                amap,
                start,
                len,
                partial,
            } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let start = start.index(m.nslot());
                let len = len.index(m.nslot() - start + 2);
                let end = start + len;
                let before = observe(a);
                if len == 0 || end > m.nslot() {
                    assert_eq!(a.add_ref(start, len, partial), Err(AmapError::Inval));
                    assert_eq!(observe(a), before);
                    return;
                }
                let needs_ppref = !m.ppref && (partial || !m.is_window(start, end));
                let result = a.add_ref(start, len, partial);
                hit(
                    &mut self.stats,
                    match (&result, needs_ppref) {
                        (Ok(()), true) => "add_ref_establish",
                        (Ok(()), false) => "add_ref",
                        (Err(_), _) => "add_ref_nomem",
                    },
                );
                let (a, m) = &mut self.live[k];
                match result {
                    Ok(()) => {
                        m.refs += 1;
                        m.ppref |= needs_ppref;
                        m.pages[start..end].iter_mut().for_each(|p| p.count += 1);
                        m.arefs.push((start, len));
                    }
                    Err(AmapError::NoMem) => assert_nomem_ok(a, &before, needs_ppref),
                    Err(e) => panic!("add_ref: unexpected {e:?}"),
                }
            }
            Op::RemoveRef { amap, aref } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let (off, len) = m.arefs.remove(aref.index(m.arefs.len()));
                let mut expect = Vec::new();
                for p in &mut m.pages[off..off + len] {
                    p.count -= 1;
                    if p.count == 0
                        && let Some(anon) = p.anon.take()
                    {
                        expect.push(anon);
                    }
                }
                m.refs -= 1;
                let dead = m.refs == 0;
                if dead {
                    for p in &mut m.pages {
                        expect.extend(p.anon.take());
                        p.count = 0;
                    }
                }
                if m.refs <= 1 {
                    m.shared = false;
                }
                let mut got = Vec::new();
                assert_eq!(a.remove_ref(off, len, |x| got.push(x)), Ok(dead));
                got.sort();
                expect.sort();
                assert_eq!(got, expect, "dropped anons");
                match (dead, got.is_empty()) {
                    (true, false) => hit(&mut self.stats, "wipe_with_anons"),
                    (false, false) => hit(&mut self.stats, "partial_unref_drops"),
                    _ => hit(&mut self.stats, "remove_ref"),
                }
                for anon in got {
                    self.unref_anon(anon);
                }
                if dead {
                    let (a, _) = self.live.swap_remove(k);
                    a.check().unwrap();
                    assert_eq!(a.nused(), 0);
                }
            }
            Op::RemoveBogus { amap, start, len } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let start = start.index(m.nslot() + 1);
                let len = len.index(m.nslot() + 2);
                let end = start + len;
                let valid = len > 0
                    && end <= m.nslot()
                    && if m.ppref {
                        m.pages[start..end].iter().all(|p| p.count > 0)
                    } else {
                        m.is_window(start, end)
                    };
                if valid {
                    return; // would be accepted: not a bogus request
                }
                let before = observe(a);
                let mut called = false;
                assert_eq!(
                    a.remove_ref(start, len, |_| called = true),
                    Err(AmapError::Inval)
                );
                assert!(!called);
                assert_eq!(observe(a), before);
                hit(&mut self.stats, "remove_bogus");
            }
            Op::SplitRef { amap, aref, offset } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let i = aref.index(m.arefs.len());
                let (off, len) = m.arefs[i];
                let before = observe(a);
                if len < 2 {
                    assert_eq!(a.split_ref(off, len, 1), Err(AmapError::Inval));
                    assert_eq!(observe(a), before);
                    return;
                }
                let at = 1 + offset.index(len - 1);
                let result = a.split_ref(off, len, at);
                hit(
                    &mut self.stats,
                    if result.is_ok() {
                        "split_ref"
                    } else {
                        "split_ref_nomem"
                    },
                );
                let (a, m) = &mut self.live[k];
                match result {
                    Ok(()) => {
                        m.refs += 1;
                        m.ppref = true;
                        m.arefs[i] = (off, at);
                        m.arefs.push((off + at, len - at));
                    }
                    Err(AmapError::NoMem) => assert_nomem_ok(a, &before, !m.ppref),
                    Err(e) => panic!("split_ref: unexpected {e:?}"),
                }
            }
            Op::CopyRange {
                amap,
                aref,
                start,
                len,
            } => {
                if self.live.len() >= 8 {
                    return;
                }
                let k = pick(&amap, &self.live);
                let (a, m) = &self.live[k];
                let (off, alen) = m.arefs[aref.index(m.arefs.len())];
                let start = off + start.index(alen);
                let len = 1 + len.index(off + alen - start);
                let before = observe(a);
                let mut got = Vec::new();
                match a.copy_range(start, len, |x| got.push(x)) {
                    Ok(c) => {
                        assert_eq!(observe(a), before, "copy_range changed its source");
                        assert_eq!(c.alloc_limit(), a.alloc_limit());
                        let mut cm = Model::new(len);
                        for (s, p) in m.pages[start..start + len].iter().enumerate() {
                            cm.pages[s].anon = p.anon;
                        }
                        let mut expect: Vec<Anon> = m
                            .used(start, start + len)
                            .into_iter()
                            .map(|x| x.1)
                            .collect();
                        got.sort();
                        expect.sort();
                        assert_eq!(got, expect, "referenced anons");
                        for anon in got {
                            *self.anon_refs.get_mut(&anon).unwrap() += 1;
                        }
                        self.live.push((c, cm));
                        hit(&mut self.stats, "copy_range");
                    }
                    Err(AmapError::NoMem) => {
                        assert!(got.is_empty(), "callback ran before NoMem");
                        assert_nomem_ok(a, &before, true);
                        hit(&mut self.stats, "copy_range_nomem");
                    }
                    Err(e) => panic!("copy_range: unexpected {e:?}"),
                }
            }
            Op::Extend {
                amap,
                more,
                forward,
            } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                let (off, len) = m.arefs[0];
                let dir = if forward {
                    Direction::Forward
                } else {
                    Direction::Backward
                };
                let before = observe(a);
                if m.refs != 1 {
                    assert_eq!(a.extend(off, len, more, dir), Err(AmapError::Inval));
                    assert_eq!(observe(a), before);
                    return;
                }
                // One aref: every page outside it is unreferenced and empty.
                for (s, p) in m.pages.iter().enumerate() {
                    if !(off..off + len).contains(&s) {
                        assert_eq!(*p, EMPTY, "model: page {s} outside the only aref");
                    }
                }
                let (nslot, maxslot) = (m.nslot(), a.maxslot());
                let result = a.extend(off, len, more, dir);
                let expect = if forward {
                    let need = off + len + more;
                    if need <= nslot {
                        ExtendOutcome::Covered { new_offset: off }
                    } else if need <= maxslot {
                        ExtendOutcome::Grew { new_offset: off }
                    } else {
                        ExtendOutcome::Reallocated { new_offset: off }
                    }
                } else if off >= more {
                    ExtendOutcome::AdjustedOffset {
                        new_offset: off - more,
                    }
                } else if len + more <= maxslot {
                    ExtendOutcome::SlidSlots {
                        new_offset: maxslot - len - more,
                    }
                } else {
                    ExtendOutcome::Reallocated {
                        new_offset: a.maxslot().saturating_sub(len + more),
                    }
                };
                let out = match result {
                    Ok(out) => out,
                    Err(AmapError::NoMem) => {
                        let reallocates = matches!(expect, ExtendOutcome::Reallocated { .. });
                        assert_nomem_ok(a, &before, reallocates);
                        return hit(&mut self.stats, "extend_nomem");
                    }
                    Err(e) => panic!("extend: unexpected {e:?}"),
                };
                assert_eq!(out, expect);
                let new_off = out.new_offset();
                if forward {
                    let need = off + len + more;
                    if need > nslot {
                        m.pages.resize(need, EMPTY);
                    }
                    for p in &mut m.pages[off + len..need] {
                        p.count = 1;
                    }
                } else if let ExtendOutcome::AdjustedOffset { .. } = out {
                    for p in &mut m.pages[new_off..off] {
                        p.count = 1;
                    }
                } else {
                    let cap = a.maxslot();
                    assert_eq!(a.nslot(), cap);
                    assert!(cap >= len + more);
                    let mut pages = vec![EMPTY; cap];
                    pages[cap - len..].copy_from_slice(&m.pages[off..off + len]);
                    for p in &mut pages[new_off..cap - len] {
                        p.count = 1;
                    }
                    m.pages = pages;
                }
                match out {
                    ExtendOutcome::Reallocated { .. } => {
                        assert!(a.maxslot() > maxslot);
                    }
                    _ => assert_eq!(a.maxslot(), maxslot),
                }
                m.arefs[0] = (new_off, len + more);
                let m_ppref = m.ppref;
                hit(
                    &mut self.stats,
                    match (out, forward, m_ppref) {
                        (ExtendOutcome::Covered { .. }, _, _) => "extend_fwd_covered",
                        (ExtendOutcome::Grew { .. }, _, _) => "extend_fwd_grew",
                        (ExtendOutcome::Reallocated { .. }, true, _) => "extend_fwd_realloc",
                        (ExtendOutcome::AdjustedOffset { .. }, _, false) => "extend_back1_lead",
                        (ExtendOutcome::AdjustedOffset { .. }, _, true) => "extend_back1_ppref",
                        (ExtendOutcome::SlidSlots { .. }, _, false) => "extend_back2",
                        (ExtendOutcome::SlidSlots { .. }, _, true) => "extend_back2_ppref",
                        (ExtendOutcome::Reallocated { .. }, false, false) => "extend_back3",
                        (ExtendOutcome::Reallocated { .. }, false, true) => "extend_back3_ppref",
                    },
                );
            }
            Op::SetShared { amap, shared } => {
                let k = pick(&amap, &self.live);
                let (a, m) = &mut self.live[k];
                a.set_shared(shared);
                m.shared = shared;
            }
        }
    }
}

/// Run one generated sequence, then tear everything down: dropping every
/// remaining aref must release every anon.
fn run(world: &mut World, ops: Vec<Op>) {
    world.check();
    for op in ops {
        world.step(op);
        world.check();
    }
    while let Some((mut a, m)) = world.live.pop() {
        let n = m.arefs.len();
        for (i, &(off, len)) in m.arefs.iter().enumerate() {
            let mut got = Vec::new();
            assert_eq!(a.remove_ref(off, len, |x| got.push(x)), Ok(i + 1 == n));
            for anon in got {
                world.unref_anon(anon);
            }
        }
        a.check().unwrap();
    }
    assert!(world.anon_refs.values().all(|&c| c == 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn amaps_match_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        run(&mut World::new(), ops);
    }
}

/// The generator reaches every case the model distinguishes (so the
/// property above is not vacuous): a fixed-seed run over many sequences.
#[test]
fn model_reaches_every_case() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(op(), 1..120);
    let mut stats: HashMap<&'static str, usize> = HashMap::new();
    for _ in 0..400 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut world = World::new();
        run(&mut world, ops);
        for (k, v) in world.stats {
            *stats.entry(k).or_default() += v;
        }
    }
    let cases = [
        "add",
        "add_replace",
        "add_inval",
        "add_ref",
        "add_ref_establish",
        "add_ref_nomem",
        "remove_ref",
        "partial_unref_drops",
        "wipe_with_anons",
        "remove_bogus",
        "split_ref",
        "split_ref_nomem",
        "copy_range",
        "copy_range_nomem",
        "extend_nomem",
        "extend_fwd_covered",
        "extend_fwd_grew",
        "extend_fwd_realloc",
        "extend_back1_lead",
        "extend_back1_ppref",
        "extend_back2",
        "extend_back2_ppref",
        "extend_back3",
        "extend_back3_ppref",
    ];
    let missing: Vec<_> = cases.iter().filter(|c| !stats.contains_key(*c)).collect();
    assert!(
        missing.is_empty(),
        "never reached: {missing:?}; stats: {stats:?}"
    );
}
