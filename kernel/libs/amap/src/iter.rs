//! Allocation-free iteration over the used slots of a slot range
//! (`amap_lookups`, and the traversal behind copy and wipe).
//!
//! Like NetBSD (`amap_share_protect`, `amap_wiperange`), the iterator walks
//! whichever is shorter: the slot range itself (ascending order) or the
//! packed list of used slots, filtered by the range (list order). The order
//! of the items is therefore unspecified.

use core::fmt;

use crate::amap::Amap;

/// Iterator over `(slot, anon)` for the used slots of a range; see
/// [`Amap::lookups`].
#[derive(Debug, Clone)]
pub struct Lookups<'a, A: Copy + Eq + fmt::Debug> {
    amap: &'a Amap<A>,
    start: usize,
    end: usize,
    mode: Mode,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Walk `anons[next..end]`.
    Range { next: usize },
    /// Walk `slots[next..nused]`, keeping slots inside `[start, end)`.
    List { next: usize },
}

impl<A: Copy + Eq + fmt::Debug> Amap<A> {
    /// All used slots in `[slot, slot + len)` with their anons, for
    /// fault-around, copy and wipe. The range is clipped to `[0, nslot)`.
    /// Costs O(min(len, nused)); never allocates. Item order is unspecified.
    pub fn lookups(&self, slot: usize, len: usize) -> Lookups<'_, A> {
        let start = slot.min(self.nslot);
        let end = slot.saturating_add(len).min(self.nslot);
        let mode = if end - start <= self.nused {
            Mode::Range { next: start }
        } else {
            Mode::List { next: 0 }
        };
        Lookups {
            amap: self,
            start,
            end,
            mode,
        }
    }
}

impl<A: Copy + Eq + fmt::Debug> Iterator for Lookups<'_, A> {
    type Item = (usize, A);

    fn next(&mut self) -> Option<(usize, A)> {
        match &mut self.mode {
            Mode::Range { next } => {
                while *next < self.end {
                    let slot = *next;
                    *next += 1;
                    if let Some(anon) = self.amap.anons[slot] {
                        return Some((slot, anon));
                    }
                }
                None
            }
            Mode::List { next } => {
                while *next < self.amap.nused {
                    let slot = self.amap.slots[*next] as usize;
                    *next += 1;
                    if (self.start..self.end).contains(&slot) {
                        // A listed slot always holds an anon.
                        return self.amap.anons[slot].map(|anon| (slot, anon));
                    }
                }
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self.mode {
            Mode::Range { next } => self.end - next,
            Mode::List { next } => self.amap.nused - next,
        };
        (0, Some(left))
    }
}
