//! Model-based property tests: random sequences of map (fixed, hinted,
//! unhinted, random alignment), unmap, protect (with set_max), inherit,
//! advise, lookup and findspace on top-down and bottom-up maps, with
//! random allocation failures, checked step by step against a per-page
//! model (`BTreeMap<page address, attributes>`), plus `check()` after every
//! step. A second property pits findspace against brute force.

mod common;

use std::collections::BTreeMap;

use common::*;
use ferrite_vmmap::*;
use proptest::prelude::*;

const MIN: u64 = 16 * P;
const MAX: u64 = (16 + 256) * P;

/// What the model knows about one mapped page. `obj` pages are backed by
/// object 1 at offset == page address; the others are anonymous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    prot: Prot,
    max: Prot,
    inherit: Inherit,
    advice: Advice,
    flags: EntryFlags,
    obj: bool,
}

type Model = BTreeMap<u64, Page>;

fn round_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

fn round_down(x: u64, a: u64) -> u64 {
    x / a * a
}

/// Maximal free runs `[p, q)` of the model inside `[min, max)`.
fn runs(model: &Model, min: u64, max: u64) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    let mut start = None;
    let mut a = min;
    while a < max {
        match (model.contains_key(&a), start) {
            (false, None) => start = Some(a),
            (true, Some(p)) => {
                v.push((p, a));
                start = None;
            }
            _ => {}
        }
        a += P;
    }
    if let Some(p) = start {
        v.push((p, max));
    }
    v
}

/// The documented findspace rule, computed on free runs.
fn model_findspace(
    model: &Model,
    (min, max): (u64, u64),
    len: u64,
    align: u64,
    hint: Option<u64>,
    topdown: bool,
) -> Option<u64> {
    let align = match align {
        0 => P,
        a if a.is_power_of_two() && a >= P => a,
        _ => return None,
    };
    if len == 0 || !len.is_multiple_of(P) || len > max - min {
        return None;
    }
    let t = len + align - P;
    let runs = runs(model, min, max);
    if !topdown {
        let h = hint.map_or(min, |h| round_up(h, P).max(min));
        if h >= max {
            return None;
        }
        let i0 = runs.iter().position(|&(_, q)| q > h)?;
        let (p, q) = runs[i0];
        let a = round_up(p.max(h), align);
        if a + len <= q {
            return Some(a);
        }
        runs[i0 + 1..]
            .iter()
            .find(|&&(p, q)| q - p >= t)
            .map(|&(p, _)| round_up(p, align))
    } else {
        let top = max - len;
        let h = hint.map_or(top, |h| round_down(h, P).min(top));
        if h < min {
            return None;
        }
        let i0 = runs.iter().rposition(|&(p, _)| p <= h)?;
        let (p, q) = runs[i0];
        if q >= p + len {
            let a = round_down(h.min(q - len), align);
            if a >= p {
                return Some(a);
            }
        }
        runs[..i0]
            .iter()
            .rev()
            .find(|&&(p, q)| q - p >= t)
            .map(|&(_, q)| round_down(q - len, align))
    }
}

fn is_free(model: &Model, a: u64, len: u64) -> bool {
    (a..a + len)
        .step_by(P as usize)
        .all(|x| !model.contains_key(&x))
}

/// The best possible answer by brute force: the lowest aligned fit at or
/// above the (rounded) hint, or the highest at or below it.
fn brute_best(
    model: &Model,
    (min, max): (u64, u64),
    len: u64,
    align: u64,
    hint: Option<u64>,
    topdown: bool,
) -> Option<u64> {
    let fits = |a: u64| a >= min && a + len <= max && is_free(model, a, len);
    if !topdown {
        let h = hint.map_or(min, |h| round_up(h, P).max(min));
        let mut a = round_up(h, align);
        while a + len <= max {
            if fits(a) {
                return Some(a);
            }
            a += align;
        }
        None
    } else {
        let h = hint.map_or(max - len, |h| round_down(h, P).min(max - len));
        if h < min {
            return None;
        }
        let mut a = round_down(h, align);
        loop {
            if a < min {
                return None;
            }
            if fits(a) {
                return Some(a);
            }
            a = a.checked_sub(align)?;
        }
    }
}

/// Check a findspace answer against the rule and against brute force.
#[allow(clippy::too_many_arguments)]
fn check_findspace(
    got: Option<u64>,
    model: &Model,
    bounds: (u64, u64),
    len: u64,
    align: u64,
    hint: Option<u64>,
    topdown: bool,
) -> Result<(), TestCaseError> {
    let want = model_findspace(model, bounds, len, align, hint, topdown);
    prop_assert_eq!(
        got,
        want,
        "len {:#x} align {:#x} hint {:?} topdown {}",
        len,
        align,
        hint,
        topdown
    );
    let al = if align == 0 { P } else { align };
    if !al.is_power_of_two() {
        prop_assert_eq!(got, None);
        return Ok(());
    }
    let best = brute_best(model, bounds, len, al, hint, topdown);
    if let Some(a) = got {
        prop_assert_eq!(a % al, 0);
        prop_assert!(a >= bounds.0 && a + len <= bounds.1);
        prop_assert!(is_free(model, a, len), "{:#x} in use", a);
        let b = best.expect("found something brute force did not");
        if topdown {
            prop_assert!(a <= b);
        } else {
            prop_assert!(a >= b);
        }
    }
    // Only aligned requests may miss a fit (documented conservative skip).
    if al == P {
        prop_assert_eq!(got, best, "page-aligned search must be exact");
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Op {
    Map {
        fixed: bool,
        hint: Option<u64>,
        len: u64,
        align: u64,
        page: Page,
        merge: bool,
    },
    Unmap(u64, u64),
    Protect(u64, u64, Prot, bool),
    Inherit(u64, u64, Inherit),
    Advise(u64, u64, Advice),
    Lookup(u64),
    Findspace {
        len: u64,
        align: u64,
        hint: Option<u64>,
        topdown: bool,
    },
}

fn prot() -> impl Strategy<Value = Prot> {
    (0u8..8).prop_map(Prot::from_bits_truncate)
}

fn likely_prot() -> impl Strategy<Value = Prot> {
    prop_oneof![3 => Just(RW), 1 => prot()]
}

fn inherit() -> impl Strategy<Value = Inherit> {
    prop_oneof![
        Just(Inherit::Share),
        Just(Inherit::Copy),
        Just(Inherit::None),
        Just(Inherit::Zero)
    ]
}

fn advice() -> impl Strategy<Value = Advice> {
    prop_oneof![
        Just(Advice::Normal),
        Just(Advice::Random),
        Just(Advice::Sequential)
    ]
}

fn align() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => Just(0u64),
        2 => Just(P),
        2 => Just(2 * P),
        1 => Just(4 * P),
        1 => Just(8 * P),
        1 => Just(16 * P),
        1 => Just(3 * P),
    ]
}

fn page() -> impl Strategy<Value = Page> {
    (
        likely_prot(),
        prop_oneof![3 => Just(Prot::all()), 1 => prot()],
        prop_oneof![3 => Just(Inherit::Copy), 1 => inherit()],
        prop_oneof![3 => Just(Advice::Normal), 1 => advice()],
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.15),
        any::<bool>(),
    )
        .prop_map(|(prot, max, inherit, advice, cow, no_merge, obj)| {
            let mut flags = EntryFlags::empty();
            flags.set(EntryFlags::COPY_ON_WRITE, cow);
            flags.set(EntryFlags::NO_MERGE, no_merge);
            Page {
                prot,
                max,
                inherit,
                advice,
                flags,
                obj,
            }
        })
}

/// A page-aligned address, sometimes outside the map.
fn addr() -> impl Strategy<Value = u64> {
    (0u64..300).prop_map(|p| p * P)
}

fn range() -> impl Strategy<Value = (u64, u64)> {
    (addr(), 0u64..48).prop_map(|(a, l)| (a, a + l * P))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (
            prop::bool::weighted(0.4),
            prop::option::weighted(0.6, addr()),
            1u64..=24,
            align(),
            page(),
            prop::bool::weighted(0.85),
        )
            .prop_map(|(fixed, hint, len, align, page, merge)| Op::Map {
                fixed,
                hint: if fixed { Some(hint.unwrap_or(MIN)) } else { hint },
                len: len * P,
                align,
                page,
                merge,
            }),
        3 => range().prop_map(|(a, b)| Op::Unmap(a, b)),
        2 => (range(), prot(), any::<bool>()).prop_map(|((a, b), p, m)| Op::Protect(a, b, p, m)),
        1 => (range(), inherit()).prop_map(|((a, b), i)| Op::Inherit(a, b, i)),
        1 => (range(), advice()).prop_map(|((a, b), v)| Op::Advise(a, b, v)),
        2 => (0u64..300 * P).prop_map(Op::Lookup),
        2 => (1u64..=40, align(), prop::option::weighted(0.5, addr()), any::<bool>()).prop_map(
            |(len, align, hint, topdown)| Op::Findspace { len: len * P, align, hint, topdown }
        ),
    ]
}

fn backing_of(page: &Page, addr: u64) -> Tb {
    if page.obj {
        Tb::Obj { id: 1, off: addr }
    } else {
        Tb::Anon
    }
}

/// The map's content as a page model (also validates per-page backings).
fn expand(m: &Map<usize>, s: &VecStore<Tb>) -> Result<Model, TestCaseError> {
    let mut out = Model::new();
    for h in m.iter(s) {
        let e = s.get(h);
        for a in (e.start..e.end).step_by(P as usize) {
            let obj = match e.backing.split_at(a - e.start) {
                Tb::Anon => false,
                Tb::Obj { id: 1, off } if off == a => true,
                other => {
                    return Err(TestCaseError::fail(format!(
                        "bad backing {other:?} at {a:#x}"
                    )));
                }
            };
            out.insert(
                a,
                Page {
                    prot: e.prot,
                    max: e.max_prot,
                    inherit: e.inherit,
                    advice: e.advice,
                    flags: e.flags,
                    obj,
                },
            );
        }
    }
    Ok(out)
}

fn straddles(m: &Map<usize>, s: &VecStore<Tb>, at: u64) -> bool {
    m.iter(s).any(|h| s.get(h).start < at && at < s.get(h).end)
}

/// Entries clipping `[a, b)` creates (0 for an empty range).
fn clips(m: &Map<usize>, s: &VecStore<Tb>, a: u64, b: u64) -> usize {
    if a >= b {
        return 0;
    }
    usize::from(straddles(m, s, a)) + usize::from(straddles(m, s, b))
}

fn range_ok(a: u64, b: u64) -> bool {
    a <= b && a >= MIN && b <= MAX
}

/// Whether the mapped page at `at` can merge with a new range of `page`.
fn mergeable(model: &Model, at: u64, page: &Page) -> bool {
    model
        .get(&at)
        .is_some_and(|q| q == page && !page.flags.contains(EntryFlags::NO_MERGE))
}

fn apply_pages(model: &mut Model, a: u64, b: u64, mut f: impl FnMut(&mut Page)) {
    for (_, p) in model.range_mut(a..b) {
        f(p);
    }
}

/// Expected `map()` outcome before allocation: address or error.
fn model_map(model: &Model, topdown: bool, op: &Op) -> Result<u64, MapError> {
    let Op::Map {
        fixed,
        hint,
        len,
        align,
        page,
        ..
    } = op
    else {
        unreachable!()
    };
    let (len, fixed) = (*len, *fixed);
    let Some(al) = (match *align {
        0 => Some(P),
        a if a.is_power_of_two() && a >= P => Some(a),
        _ => None,
    }) else {
        return Err(MapError::Inval);
    };
    if !page.max.contains(page.prot) {
        return Err(MapError::Inval);
    }
    if fixed {
        let h = hint.unwrap();
        if h % al != 0 || h < MIN || h + len > MAX {
            return Err(MapError::Inval);
        }
        if !is_free(model, h, len) {
            return Err(MapError::NoSpace);
        }
        return Ok(h);
    }
    let hint = hint.filter(|&h| (MIN..MAX).contains(&h));
    let b = (MIN, MAX);
    model_findspace(model, b, len, al, hint, topdown)
        .or_else(|| hint.and_then(|_| model_findspace(model, b, len, al, None, topdown)))
        .ok_or(MapError::NoSpace)
}

fn run(topdown: bool, ops: Vec<(Op, Option<usize>)>) -> Result<(), TestCaseError> {
    let mut m = Map::new(MIN, MAX, topdown);
    let mut s = VecStore::<Tb>::new();
    let mut model = Model::new();
    let mut ts = 0u64;
    for (op, fail) in ops {
        let before = snapshot(&m, &s);
        let live = s.live;
        s.fail_after = fail;
        // Allocations this op may make before the store fails.
        let allowed = fail.unwrap_or(usize::MAX);
        let res: Result<(), MapError> = match &op {
            Op::Map {
                fixed,
                hint,
                len,
                align,
                page,
                merge,
            } => {
                let want = model_map(&model, topdown, &op);
                let backing = if *fixed {
                    backing_of(page, hint.unwrap())
                } else {
                    Tb::Anon
                };
                let page = Page {
                    obj: *fixed && page.obj,
                    ..*page
                };
                let mut req = MapRequest::new(*len, page.prot, backing)
                    .with_max_prot(page.max)
                    .with_inherit(page.inherit)
                    .with_advice(page.advice)
                    .with_flags(page.flags)
                    .with_align(*align);
                req.hint = *hint;
                req.fixed = *fixed;
                req.merge = *merge;
                let n0 = m.nentries();
                let got = m.map(&mut s, req);
                match want {
                    Err(e) => {
                        prop_assert_eq!(got, Err(e));
                        Err(e)
                    }
                    Ok(a) => {
                        let merging = *merge && !page.flags.contains(EntryFlags::NO_MERGE);
                        let back = merging && a > MIN && mergeable(&model, a - P, &page);
                        let fwd = merging && mergeable(&model, a + len, &page);
                        if allowed == 0 && !back && !fwd {
                            prop_assert_eq!(got, Err(MapError::NoMem));
                            Err(MapError::NoMem)
                        } else {
                            prop_assert_eq!(got, Ok(a));
                            for x in (a..a + len).step_by(P as usize) {
                                model.insert(x, page);
                            }
                            let delta = match (back, fwd) {
                                (true, true) => -1,
                                (false, false) => 1,
                                _ => 0,
                            };
                            prop_assert_eq!(
                                m.nentries() as i64,
                                n0 as i64 + delta,
                                "merge {} {}",
                                back,
                                fwd
                            );
                            let me = m.lookup(&mut s, a);
                            prop_assert!(me.is_some());
                            if back {
                                prop_assert_eq!(m.lookup(&mut s, a - P), me);
                            }
                            if fwd {
                                prop_assert_eq!(m.lookup(&mut s, a + len), me);
                            }
                            Ok(())
                        }
                    }
                }
            }
            Op::Unmap(a, b) => {
                let (a, b) = (*a, *b);
                let needs = clips(&m, &s, a, b) > allowed;
                let old = model.clone();
                match m.unmap(&mut s, a, b) {
                    Ok(mut r) => {
                        prop_assert!(range_ok(a, b));
                        prop_assert!(!(needs && a < b));
                        let gone: Vec<u64> = model.range(a..b).map(|(&k, _)| k).collect();
                        prop_assert_eq!(r.bytes(), gone.len() as u64 * P);
                        let mut last_end = 0;
                        let mut n = 0;
                        while let Some(e) = r.pop(&mut s) {
                            prop_assert!(e.start >= a && e.end <= b && e.start >= last_end);
                            last_end = e.end;
                            for x in (e.start..e.end).step_by(P as usize) {
                                let p = old.get(&x).copied();
                                prop_assert_eq!(
                                    p.map(|p| backing_of(&p, x)),
                                    Some(e.backing.split_at(x - e.start))
                                );
                                prop_assert_eq!(p.map(|p| p.prot), Some(e.prot));
                                n += 1;
                            }
                        }
                        prop_assert_eq!(n, gone.len());
                        for k in gone {
                            model.remove(&k);
                        }
                        if a < b {
                            ts += 1;
                        }
                        Ok(())
                    }
                    Err(e) => {
                        let want = if !range_ok(a, b) {
                            MapError::Inval
                        } else {
                            MapError::NoMem
                        };
                        prop_assert_eq!(e, want);
                        if e == MapError::NoMem {
                            prop_assert!(needs);
                        }
                        Err(e)
                    }
                }
            }
            Op::Protect(a, b, prot, set_max) => {
                let (a, b, prot, set_max) = (*a, *b, *prot, *set_max);
                let needs = clips(&m, &s, a, b) > allowed;
                let got = m.protect(&mut s, a, b, prot, set_max);
                let want = if !range_ok(a, b) {
                    Err(MapError::Inval)
                } else if a == b {
                    Ok(())
                } else if model.range(a..b).any(|(_, p)| !p.max.contains(prot)) {
                    Err(MapError::Access)
                } else if needs {
                    Err(MapError::NoMem)
                } else {
                    Ok(())
                };
                prop_assert_eq!(got, want);
                if got.is_ok() && a < b {
                    apply_pages(&mut model, a, b, |p| {
                        if set_max {
                            p.max = prot;
                            p.prot &= prot;
                        } else {
                            p.prot = prot;
                        }
                    });
                    ts += 1;
                }
                got
            }
            Op::Inherit(a, b, v) => {
                let (a, b) = (*a, *b);
                let needs = clips(&m, &s, a, b) > allowed;
                let got = m.inherit(&mut s, a, b, *v);
                let want = if !range_ok(a, b) {
                    Err(MapError::Inval)
                } else if needs && a < b {
                    Err(MapError::NoMem)
                } else {
                    Ok(())
                };
                prop_assert_eq!(got, want);
                if got.is_ok() && a < b {
                    apply_pages(&mut model, a, b, |p| p.inherit = *v);
                    ts += 1;
                }
                got
            }
            Op::Advise(a, b, v) => {
                let (a, b) = (*a, *b);
                let needs = clips(&m, &s, a, b) > allowed;
                let got = m.advise(&mut s, a, b, *v);
                let want = if !range_ok(a, b) {
                    Err(MapError::Inval)
                } else if needs && a < b {
                    Err(MapError::NoMem)
                } else {
                    Ok(())
                };
                prop_assert_eq!(got, want);
                if got.is_ok() && a < b {
                    apply_pages(&mut model, a, b, |p| p.advice = *v);
                    ts += 1;
                }
                got
            }
            Op::Lookup(addr) => {
                let got = m.lookup(&mut s, *addr);
                let page = round_down(*addr, P);
                prop_assert_eq!(got.is_some(), model.contains_key(&page));
                if let Some(h) = got {
                    prop_assert!(s.get(h).contains(*addr));
                }
                Ok(())
            }
            Op::Findspace {
                len,
                align,
                hint,
                topdown: td,
            } => {
                let got = m.findspace(&mut s, *len, *align, *hint, *td);
                check_findspace(got, &model, (MIN, MAX), *len, *align, *hint, *td)?;
                Ok(())
            }
        };
        s.fail_after = None;
        if let (Op::Map { .. }, Ok(())) = (&op, &res) {
            ts += 1;
        }
        if res.is_err() {
            prop_assert_eq!(
                &snapshot(&m, &s),
                &before,
                "failed {:?} changed the map",
                op
            );
            prop_assert_eq!(s.live, live);
        }
        prop_assert_eq!(m.timestamp(), ts, "timestamp after {:?}", op);
        if let Err(e) = m.check(&mut s) {
            return Err(TestCaseError::fail(format!("check after {op:?}: {e}")));
        }
        prop_assert_eq!(&expand(&m, &s)?, &model, "content after {:?}", op);
        prop_assert_eq!(m.size(), model.len() as u64 * P);
        prop_assert_eq!(s.live, m.nentries());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn map_matches_page_model(
        topdown in any::<bool>(),
        ops in prop::collection::vec((op(), prop_oneof![17 => Just(None), 2 => Just(Some(0)), 1 => Just(Some(1))]), 1..120),
    ) {
        run(topdown, ops)?;
    }

    /// Random maps of up to 1024 pages with many entries; findspace must
    /// follow the documented rule and never return used space.
    #[test]
    fn findspace_matches_brute_force(
        ranges in prop::collection::vec((0u64..1024, 1u64..12), 0..80),
        queries in prop::collection::vec(
            (1u64..=64, align(), prop::option::of(0u64..1100), any::<bool>()), 1..64),
    ) {
        let (min, max) = (4 * P, 1028 * P);
        let mut m = Map::new(min, max, false);
        let mut s = VecStore::<()>::new();
        let mut model = Model::new();
        let page = Page {
            prot: RW, max: Prot::all(), inherit: Inherit::Copy, advice: Advice::Normal,
            flags: EntryFlags::empty(), obj: false,
        };
        for (p, l) in ranges {
            let (a, len) = ((p + 4) * P, l * P);
            if a + len <= max && is_free(&model, a, len) {
                m.map(&mut s, MapRequest::new(len, RW, ()).fixed_at(a)).unwrap();
                for x in (a..a + len).step_by(P as usize) {
                    model.insert(x, page);
                }
            }
        }
        for (len, align, hint, topdown) in queries {
            let hint = hint.map(|h| h * P);
            let got = m.findspace(&mut s, len * P, align, hint, topdown);
            check_findspace(got, &model, (min, max), len * P, align, hint, topdown)?;
            if let Err(e) = m.check(&mut s) {
                return Err(TestCaseError::fail(e));
            }
        }
    }
}
