//! The user address-space layout.
//!
//! This module owns [`UserLayout`] and the pure arithmetic deciding where an
//! unhinted `mmap` search starts ([`UserLayout::default_addr`]): top-down
//! from just below the stack reservation, bottom-up from the end of the heap
//! reservation. It owns no map state.
//!
//! UVM bug avoided: with a huge (or unlimited) stack rlimit,
//! `stack_top - stack_max` ran below the program and its heap (or wrapped),
//! leaving no room for mappings. Here the stack reservation only counts for
//! at most half of the space between the heap reservation and the stack
//! top, and the start is never below the heap reservation.

use crate::{PAGE_SIZE, Vaddr, round_down, round_up};

/// Layout of a user address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserLayout {
    /// Lowest user address.
    pub min: Vaddr,
    /// End of user space (exclusive).
    pub max: Vaddr,
    /// Top of the main stack (it grows down from here).
    pub stack_top: Vaddr,
    /// Stack size limit (RLIMIT_STACK): may be huge or `u64::MAX`.
    pub stack_max: u64,
    /// Start of the program image.
    pub text_start: Vaddr,
    /// End of the program image = start of the heap (break).
    pub data_end: Vaddr,
    /// Heap size limit (RLIMIT_DATA): room kept free above `data_end`.
    pub heap_max: u64,
}

impl UserLayout {
    /// End of the heap reservation, `data_end + heap_max`, page aligned up
    /// and clamped to `[min, max]`.
    pub fn heap_end(&self) -> Vaddr {
        let e = self
            .data_end
            .checked_add(self.heap_max)
            .and_then(|e| round_up(e, PAGE_SIZE))
            .unwrap_or(self.max);
        e.clamp(self.min, self.max)
    }

    /// The stack reservation actually honoured: `stack_max` page aligned
    /// up, but at most half of `[heap_end, stack_top)` (page aligned down).
    pub fn stack_reserve(&self) -> u64 {
        let top = self.stack_top.min(self.max);
        let room = top.saturating_sub(self.heap_end());
        let asked = round_up(self.stack_max, PAGE_SIZE).unwrap_or(u64::MAX);
        asked.min(round_down(room / 2, PAGE_SIZE))
    }

    /// Where a search for an unhinted mapping of `len` bytes starts (the
    /// `hint` to give [`crate::Map::findspace`]).
    ///
    /// Top-down: just below the stack reservation, `stack_top -
    /// stack_reserve() - len` (page aligned down), but never below
    /// [`UserLayout::heap_end`] and never so high that the mapping would
    /// pass `stack_top`; with a normal stack limit this is exactly
    /// `stack_top - stack_max - len`. Bottom-up: `heap_end()`. The result
    /// is always within `[min, max - len]` when `len` fits the space at
    /// all (else `min`).
    pub fn default_addr(&self, len: u64, topdown: bool) -> Vaddr {
        let len = round_up(len, PAGE_SIZE).unwrap_or(u64::MAX);
        let highest = self.max.saturating_sub(len).max(self.min);
        if !topdown {
            return self.heap_end().min(highest);
        }
        let top = self.stack_top.min(self.max);
        let below_stack = round_down(
            top.saturating_sub(self.stack_reserve()).saturating_sub(len),
            PAGE_SIZE,
        );
        let cap = round_down(top.saturating_sub(len), PAGE_SIZE);
        below_stack
            .max(self.heap_end())
            .min(cap)
            .clamp(self.min, highest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    const TOP: u64 = 0x7fff_ffff_f000;

    fn layout(stack_max: u64) -> UserLayout {
        UserLayout {
            min: 0x1000,
            max: TOP,
            stack_top: TOP,
            stack_max,
            text_start: 0x40_0000,
            data_end: 0x60_0000,
            heap_max: GIB,
        }
    }

    #[test]
    fn normal_stack() {
        let l = layout(8 * MIB);
        assert_eq!(l.default_addr(0x3000, true), TOP - 8 * MIB - 0x3000);
        assert_eq!(l.default_addr(0x3000, false), 0x60_0000 + GIB);
        assert_eq!(l.heap_end(), 0x60_0000 + GIB);
        assert_eq!(l.stack_reserve(), 8 * MIB);
    }

    #[test]
    fn unaligned_inputs_are_page_aligned() {
        let mut l = layout(8 * MIB + 5);
        l.data_end = 0x60_0123;
        let a = l.default_addr(0x2001, true);
        assert_eq!(a % PAGE_SIZE, 0);
        assert_eq!(a, TOP - 8 * MIB - PAGE_SIZE - 0x3000);
        assert_eq!(l.default_addr(1, false), 0x60_1000 + GIB);
    }

    fn assert_room(l: &UserLayout, len: u64) {
        let a = l.default_addr(len, true);
        assert_eq!(a % PAGE_SIZE, 0);
        assert!(a >= l.heap_end(), "start {a:#x} below the heap reservation");
        assert!(a + len <= l.stack_top, "mapping passes the stack top");
        // At least half of the space between heap reservation and stack
        // lies below the start, usable by top-down mappings.
        let room = l.stack_top - l.heap_end();
        assert!(a + len - l.heap_end() >= room / 2 - PAGE_SIZE);
    }

    #[test]
    fn regression_huge_stack_reservation_leaves_room() {
        // 100 TiB of stack rlimit in a 128 TiB address space.
        let l = layout(100 << 40);
        assert_room(&l, 0x10_0000);
        // Larger than the address space.
        let l = layout(1 << 50);
        assert_room(&l, 0x10_0000);
        // Unlimited.
        let l = layout(u64::MAX);
        assert_room(&l, 0x10_0000);
        assert_room(&l, PAGE_SIZE);
        assert_eq!(l.default_addr(0x10_0000, false), l.heap_end());
    }

    #[test]
    fn absurd_heap_and_lengths_stay_in_bounds() {
        let mut l = layout(u64::MAX);
        l.heap_max = u64::MAX;
        assert_eq!(l.heap_end(), TOP);
        let a = l.default_addr(0x1000, true);
        assert!(a >= l.min && a + 0x1000 <= l.max);
        assert!(l.default_addr(0x1000, false) + 0x1000 <= l.max);
        // A length larger than the address space: clamped to min.
        assert_eq!(l.default_addr(u64::MAX, true), l.min);
        assert_eq!(l.default_addr(u64::MAX, false), l.min);
    }

    #[test]
    fn stack_reserve_bounded_by_half_of_room() {
        let l = layout(u64::MAX);
        let room = TOP - l.heap_end();
        assert_eq!(l.stack_reserve(), round_down(room / 2, PAGE_SIZE));
        let l = layout(0);
        assert_eq!(l.stack_reserve(), 0);
        assert_eq!(l.default_addr(0x2000, true), TOP - 0x2000);
    }
}
