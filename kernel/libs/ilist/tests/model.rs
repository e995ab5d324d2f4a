//! Model-based property tests of `PageLists`: random get / put / add page /
//! remove empty page sequences (and a pool-like "allocate from the first
//! partial page, else an empty one") run through `transition`, `insert` and
//! `remove` against a model of each page's use count and each list's exact
//! order; after every step every page must be on the list `list_for` says,
//! in the order the placement policy implies, and every list must check.

mod common;

use common::Store;
use ferrite_ilist::{PageList, PageLists, list_for};
use proptest::prelude::*;
use proptest::sample::Index;

#[derive(Clone, Debug)]
enum Op {
    /// Allocate one item from a chosen non-full page.
    Get(Index),
    /// Free one item of a chosen page with items allocated.
    Put(Index),
    /// Pool-style allocation: first partial page, else first empty page.
    PoolGet,
    /// Add a new page with this many items already used (0 = fresh page).
    Add(usize),
    /// Remove a chosen empty page.
    RemoveEmpty(Index),
}

fn op(cap: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => any::<Index>().prop_map(Op::Get),
        4 => any::<Index>().prop_map(Op::Put),
        3 => Just(Op::PoolGet),
        2 => (0..=cap).prop_map(|u| if u % 2 == 0 { 0 } else { u }).prop_map(Op::Add),
        1 => any::<Index>().prop_map(Op::RemoveEmpty),
    ]
}

struct Model {
    cap: usize,
    /// (page id, used) for every live page.
    pages: Vec<(usize, usize)>,
    /// Expected order of each list.
    empty: Vec<usize>,
    partial: Vec<usize>,
    full: Vec<usize>,
}

impl Model {
    fn list(&mut self, w: PageList) -> &mut Vec<usize> {
        match w {
            PageList::Empty => &mut self.empty,
            PageList::Partial => &mut self.partial,
            PageList::Full => &mut self.full,
        }
    }
    fn place(&mut self, h: usize, w: PageList) {
        match w {
            PageList::Full => self.full.push(h),
            _ => self.list(w).insert(0, h),
        }
    }
    fn unplace(&mut self, h: usize, w: PageList) {
        let l = self.list(w);
        let i = l.iter().position(|&x| x == h).unwrap();
        l.remove(i);
    }
    /// Change page at index `i` of `pages` to `new_used`, mirroring
    /// `PageLists::transition`.
    fn set_used(&mut self, i: usize, new_used: usize) {
        let (h, old) = self.pages[i];
        let (from, to) = (list_for(old, self.cap), list_for(new_used, self.cap));
        if from != to {
            self.unplace(h, from);
            self.place(h, to);
        }
        self.pages[i].1 = new_used;
    }
}

fn run(cap: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut s = Store::default();
    let mut pl: PageLists<usize> = PageLists::new();
    let mut m = Model {
        cap,
        pages: Vec::new(),
        empty: vec![],
        partial: vec![],
        full: vec![],
    };
    for op in ops {
        match op {
            Op::Get(ix) => {
                let cand: Vec<usize> = (0..m.pages.len()).filter(|&i| m.pages[i].1 < cap).collect();
                if !cand.is_empty() {
                    let i = cand[ix.index(cand.len())];
                    let (h, u) = m.pages[i];
                    pl.transition(&mut s, h, u, u + 1, cap);
                    m.set_used(i, u + 1);
                }
            }
            Op::Put(ix) => {
                let cand: Vec<usize> = (0..m.pages.len()).filter(|&i| m.pages[i].1 > 0).collect();
                if !cand.is_empty() {
                    let i = cand[ix.index(cand.len())];
                    let (h, u) = m.pages[i];
                    pl.transition(&mut s, h, u, u - 1, cap);
                    m.set_used(i, u - 1);
                }
            }
            Op::PoolGet => {
                let h = pl.partial.head().or(pl.empty.head());
                prop_assert_eq!(h, m.partial.first().or(m.empty.first()).copied());
                if let Some(h) = h {
                    let i = m.pages.iter().position(|p| p.0 == h).unwrap();
                    let u = m.pages[i].1;
                    pl.transition(&mut s, h, u, u + 1, cap);
                    m.set_used(i, u + 1);
                }
            }
            Op::Add(used) => {
                let h = s.add();
                pl.insert(&mut s, h, used, cap);
                m.pages.push((h, used));
                m.place(h, list_for(used, cap));
            }
            Op::RemoveEmpty(ix) => {
                let cand: Vec<usize> = (0..m.pages.len()).filter(|&i| m.pages[i].1 == 0).collect();
                if !cand.is_empty() {
                    let i = cand[ix.index(cand.len())];
                    let (h, u) = m.pages.swap_remove(i);
                    pl.remove(&mut s, h, u, cap);
                    m.unplace(h, PageList::Empty);
                    prop_assert_eq!(s.links(h), (None, None));
                }
            }
        }
        // Lists are consistent and in the modelled order.
        prop_assert_eq!(pl.check(&s), Ok(()));
        prop_assert_eq!(pl.empty.iter(&s).collect::<Vec<_>>(), m.empty.clone());
        prop_assert_eq!(pl.partial.iter(&s).collect::<Vec<_>>(), m.partial.clone());
        prop_assert_eq!(pl.full.iter(&s).collect::<Vec<_>>(), m.full.clone());
        // Every page is on exactly the list list_for says.
        for &(h, u) in &m.pages {
            let on: Vec<PageList> = [PageList::Empty, PageList::Partial, PageList::Full]
                .into_iter()
                .filter(|&w| pl.get(w).iter(&s).any(|x| x == h))
                .collect();
            prop_assert_eq!(on, vec![list_for(u, cap)]);
        }
        // Counts match.
        prop_assert_eq!(pl.pages(), m.pages.len());
        let count = |w| m.pages.iter().filter(|p| list_for(p.1, cap) == w).count();
        prop_assert_eq!(pl.empty.len(), count(PageList::Empty));
        prop_assert_eq!(pl.partial.len(), count(PageList::Partial));
        prop_assert_eq!(pl.full.len(), count(PageList::Full));
        let used = |h: usize| m.pages.iter().find(|p| p.0 == h).unwrap().1;
        prop_assert_eq!(pl.check_placement(&s, cap, used), Ok(()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn page_lists_match_model(
        (cap, ops) in (1usize..=6).prop_flat_map(|cap| {
            (Just(cap), prop::collection::vec(op(cap), 1..300))
        })
    ) {
        run(cap, ops)?;
    }
}
